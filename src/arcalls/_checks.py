"""Validation shared by the analyses: is this a frame, and has it the columns needed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import InputError, SchemaError
from .schema import TABLES


def check_columns(frame, required: Sequence[str], *, what: str) -> None:
    """Raise unless ``frame`` is a DataFrame holding every ``required`` column.

    ``what`` names the frame in the message ("invoices", "calls table", "curve"); when
    its first word is a canonical table, the message says which loader maps headers.

    Raises
    ------
    InputError
        ``frame`` is not a DataFrame.
    SchemaError
        Columns are missing; the message names them and the columns present.

    Examples
    --------
    >>> check_columns(pd.DataFrame({"a": [1]}), ["a", "b"], what="invoices")
    Traceback (most recent call last):
    ...
    arcalls.errors.SchemaError: invoices lacks column(s) ['b']; it has ['a']. Load it ...
    """
    table = what.split()[0]
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        fix = (
            f"Load it with arcalls.load_{table}(path, columns={{...}}) to map your headers."
            if table in TABLES
            else "Rename the columns, or build it again with the arcalls function that makes it."
        )
        raise SchemaError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}. {fix}")


def currency_counts(invoices: pd.DataFrame) -> pd.Series:
    """Invoices per currency code (blank codes left out), largest first, then by code."""
    if not isinstance(invoices, pd.DataFrame) or "currency" not in invoices:
        return pd.Series(dtype="int64", name="invoices")
    codes = invoices["currency"]
    if isinstance(codes.dtype, pd.StringDtype):
        # Loaded text (Arrow strings): counted as they are, no copy into Python objects
        # (at 1M invoices the copy cost a third of a second, and every analysis asks).
        counts = codes.value_counts(dropna=True)
        counts.index = counts.index.astype(object)
    else:
        counts = codes.dropna().astype(str).value_counts()
    order = sorted(counts.index, key=lambda code: (-counts[code], code))
    return counts.reindex(order).astype("int64").rename("invoices")


def check_one_currency(invoices: pd.DataFrame, *, what: str = "invoices") -> str | None:
    """Raise unless the invoices are in at most one currency; return its code.

    Amounts in different currencies are never added up (DESIGN.md): every analysis
    that sums money calls this first. Blank currency cells do not count as a currency
    of their own (an export with one code and a few blanks is one book).

    Returns
    -------
    str or None
        The one currency code, or None when the invoices have no ``currency`` column
        (or only blank codes).

    Raises
    ------
    InputError
        The invoices hold two or more codes; the message lists each with its invoice
        count and the fix (``--currency CODE``, or :func:`arcalls.select_currency`).

    Examples
    --------
    >>> inv = pd.DataFrame({"currency": ["USD", "EUR", "USD"]})
    >>> check_one_currency(inv.head(1))
    'USD'
    >>> check_one_currency(inv)
    Traceback (most recent call last):
    ...
    arcalls.errors.InputError: invoices are in 2 currencies (USD: 2 invoices, EUR: 1 ...
    """
    counts = currency_counts(invoices)
    if len(counts) <= 1:
        return str(counts.index[0]) if len(counts) else None
    listed = ", ".join(
        f"{code}: {n:,} invoice{'s' if n != 1 else ''}" for code, n in counts.items()
    )
    first = counts.index[0]
    raise InputError(
        f"{what} are in {len(counts)} currencies ({listed}); amounts in different "
        "currencies are never added up. Choose one: --currency "
        f"{first} on the command line, or arcalls.select_currency(invoices, payments, "
        f"calls, customers, currency={first!r}) in Python (one run per currency)."
    )


def format_amount(value: float, currency: str | None = None, *, decimals: int = 2) -> str:
    """An amount as the outputs show it: ``$1,234.56``, or ``EUR 1,234.56`` with a code.

    The dollar sign stands for a book with no currency column; a book that names its
    currency shows the code, so that an amount is never read in the wrong currency.

    Examples
    --------
    >>> format_amount(-1234.5), format_amount(1234.5, "EUR", decimals=0)
    ('-$1,234.50', 'EUR 1,234')
    """
    text = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 and text.strip("0.,") else ""
    return f"{sign}${text}" if currency is None else f"{currency} {sign}{text}"


#: Width the "%.2f" texts are right-aligned to for grouping: 18 digits and ".dd".
_GROUPED_WIDTH = 21


def _thousands(digits: np.ndarray):
    """ "1234567.89" -> "1,234,567.89" for an array of "%.2f" texts of non-negative
    numbers, as an Arrow string array. Right-aligned to one width, every text splits into
    the same three-digit slices: Arrow cuts and joins them for the whole column at once
    (the regex it replaces ran cell by cell, a second per 100k amounts)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(digits) == 0 or np.char.str_len(digits).max() > _GROUPED_WIDTH:
        # Nothing to group, or amounts of 1e18 and more (no bank ledger's): cell by cell.
        grouped = pd.Series(digits).str.replace(r"(\d)(?=(\d{3})+\.)", r"\1,", regex=True)
        return pa.array(grouped.to_numpy(dtype=object), pa.string())
    width = _GROUPED_WIDTH
    padded = pc.utf8_lpad(pa.array(digits), width, " ")
    groups = [pc.utf8_slice_codeunits(padded, i, i + 3) for i in range(0, width - 3, 3)]
    joined = pc.binary_join_element_wise(*groups, ",")
    cents = pc.utf8_slice_codeunits(padded, width - 3, width)
    return pc.replace_substring_regex(pc.binary_join_element_wise(joined, cents, ""), "^[ ,]+", "")


def format_amounts(values: pd.Series, currency: str | None = None) -> pd.Series:
    """:func:`format_amount` of each value (two decimals), vectorised; '' where missing.

    Examples
    --------
    >>> format_amounts(pd.Series([-1234.5, 0.001, None]), "EUR").tolist()
    ['EUR -1,234.50', 'EUR 0.00', '']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    v = values.to_numpy(dtype="float64", na_value=np.nan)
    plain = _thousands(np.char.mod("%.2f", np.abs(np.nan_to_num(v))))
    # Pieces joined by Arrow for the whole column (no Python string per amount).
    negative = pc.and_(pa.array(v < 0), pc.not_equal(plain, "0.00"))
    sign = pc.if_else(negative, "-", "")
    if currency is None:
        text = pc.binary_join_element_wise(sign, "$", plain, "")
    else:
        text = pc.binary_join_element_wise(f"{currency} ", sign, plain, "")
    text = pc.if_else(pa.array(np.isnan(v)), "", text)
    return pd.Series(text.to_numpy(zero_copy_only=False), index=values.index, dtype=object)
