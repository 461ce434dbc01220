"""Point-in-time balances: what each invoice owed on a given date.

Every analysis starts here, so that aging, DSO, recovery, promises and the call list all
agree on what was open on the as-of date, to the cent. A payment dated after the as-of
date is unknown on that date; so is a write-off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import IntegrityError
from .schema import PAYMENTS, dtype_of, round_money

__all__ = ["invoice_balances", "settlements_as_payments", "resolve_payments"]


def settlements_as_payments(invoices: pd.DataFrame) -> pd.DataFrame:
    """Payments implied by an invoice file that carries its own settlement.

    Invoices with ``paid_date`` (and ``amount_paid``, else the full amount) become one
    payment each, id ``"<invoice_id>:settled"``. Aging-report exports (QuickBooks, Xero)
    know only the open balance: the paid part becomes a payment dated on the invoice
    date, the earliest it could have been, so that the open balance on the report date
    is exactly the one printed.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices.

    Returns
    -------
    DataFrame
        Canonical payments (possibly empty).

    Examples
    --------
    >>> import arcalls
    >>> inv = arcalls.load_sample().invoices
    >>> pays = settlements_as_payments(inv.assign(paid_date=inv["due_date"]))
    >>> bool((pays["amount"] > 0).all())
    True
    """
    parts = []
    if "paid_date" in invoices:
        paid = invoices[invoices["paid_date"].notna()]
        amount = (
            paid["amount_paid"].fillna(paid["amount"]) if "amount_paid" in paid else paid["amount"]
        )
        parts.append(
            pd.DataFrame(
                {
                    "payment_id": paid["invoice_id"] + ":settled",
                    "invoice_id": paid["invoice_id"],
                    "payment_date": paid["paid_date"],
                    "amount": amount,
                }
            )
        )
    if "open_balance" in invoices and "paid_date" not in invoices:
        known = invoices[invoices["open_balance"].notna()]
        paid_part = round_money(known["amount"] - known["open_balance"])
        keep = paid_part != 0
        parts.append(
            pd.DataFrame(
                {
                    "payment_id": known.loc[keep, "invoice_id"] + ":paid-before-report",
                    "invoice_id": known.loc[keep, "invoice_id"],
                    "payment_date": known.loc[keep, "invoice_date"],
                    "amount": paid_part[keep],
                }
            )
        )
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({c: [] for c in PAYMENTS.required})
    )
    return frame.astype(
        {c.name: dtype_of(c.kind) for c in PAYMENTS.columns if c.name in frame}
    ).reset_index(drop=True)


def resolve_payments(invoices: pd.DataFrame, payments: pd.DataFrame | None) -> pd.DataFrame:
    """The payments table to use: the given one, else the invoices' own settlements."""
    return settlements_as_payments(invoices) if payments is None else payments


def invoice_balances(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
) -> pd.DataFrame:
    """Each invoice's state on ``as_of``, from what was known on that date.

    Only invoices issued on or before ``as_of`` appear. Payments dated after ``as_of``
    are ignored; a write-off counts only from its date on.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices.
    payments : DataFrame, optional
        Canonical payments; when omitted, the invoices' own settlement columns
        (see :func:`settlements_as_payments`).
    as_of : date-like
        The point in time.

    Returns
    -------
    DataFrame
        The invoices' columns plus ``paid_to_date`` (dollars received up to ``as_of``),
        ``open_amount`` (``amount - paid_to_date`` to the cent, 0 once written off;
        negative for credit notes), ``written_off`` (bool), ``days_past_due``
        (``(as_of - due_date).days``, negative when not yet due) and ``is_open``
        (``open_amount != 0``).

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> bal = invoice_balances(s.invoices, s.payments, as_of="2025-06-30")
    >>> bool((bal["paid_to_date"] <= bal["amount"] + 0.005).all())
    True
    """
    as_of = pd.Timestamp(as_of)
    payments = resolve_payments(invoices, payments)
    inv = invoices[invoices["invoice_date"] <= as_of]
    known = payments[payments["payment_date"] <= as_of]
    paid = known.groupby("invoice_id", observed=True, sort=False)["amount"].sum()
    paid_to_date = round_money(inv["invoice_id"].map(paid).astype("float64").fillna(0.0).to_numpy())
    if "written_off_date" in inv:
        written_off = (inv["written_off_date"] <= as_of).to_numpy()
    else:
        written_off = np.zeros(len(inv), dtype=bool)
    open_amount = np.where(written_off, 0.0, round_money(inv["amount"].to_numpy() - paid_to_date))
    # -0.0 would print as "-0.00" in a spreadsheet.
    open_amount = open_amount + 0.0
    return inv.assign(
        paid_to_date=paid_to_date,
        open_amount=open_amount,
        written_off=written_off,
        days_past_due=(as_of - inv["due_date"]).dt.days.astype("int64"),
        is_open=open_amount != 0,
    ).reset_index(drop=True)


# --- id columns as integer codes -----------------------------------------------------
# The analyses join millions of rows on string ids. Hashing each id column once into
# integer positions, then working on integer arrays, is what keeps them fast; these
# helpers do it the same way whether the ids are Python strings (object or
# ``string[python]``) or Arrow strings (``string[pyarrow]``), without converting one
# storage into the other.


def _arrow_text(values):
    """``values`` as one Arrow ``large_string`` array, or None when they are not text.

    Arrow storage is used as it is; Python strings are copied into Arrow once (about
    50 ms a million), because Arrow hashes strings several times faster than pandas'
    object hash table.
    """
    import pyarrow as pa

    array = _array(values)
    try:
        if _is_arrow_text(array):
            out = pa.array(array)
        else:
            # From the object array itself: pandas' own conversion copies it first.
            out = pa.array(np.asarray(array, dtype=object), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(out, pa.ChunkedArray):
        out = out.combine_chunks()
    if not (pa.types.is_string(out.type) or pa.types.is_large_string(out.type)):
        if not pa.types.is_null(out.type):
            return None
    return out.cast(pa.large_string())


def _factorize(values, *, sort: bool = False):
    """``pd.factorize(values, sort=sort)`` for text, hashed by Arrow: the codes (int64,
    -1 for missing) and the unique values, a string array in the storage of ``values``
    (Python strings for object columns)."""
    arrow = _arrow_text(values)
    if arrow is None:
        codes, uniques = pd.factorize(pd.Series(_array(values), copy=False), sort=sort)
        return codes.astype(np.int64, copy=False), _text(uniques)
    import pyarrow.compute as pc

    encoded = arrow.dictionary_encode()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    uniques = encoded.dictionary
    if sort and len(uniques):
        # Byte order of UTF-8 is code point order: the order Python sorts strings in.
        by_text = pc.array_sort_indices(uniques).to_numpy().astype(np.int64)
        rank = np.empty_like(by_text)
        rank[by_text] = np.arange(len(by_text))
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
        uniques = uniques.take(by_text)
    dtype = _array(values).dtype
    if not isinstance(dtype, pd.StringDtype):
        dtype = pd.StringDtype()
    return codes, pd.array(uniques.to_numpy(zero_copy_only=False), dtype=dtype)


def _positions(values, universe) -> np.ndarray:
    """Position of each of ``values`` in ``universe`` (whose values are unique); -1 when
    absent or missing."""
    (found,) = _lookup_ids(universe, values)
    return found


def _lookup_ids(universe, *columns) -> list[np.ndarray]:
    """Positions in ``universe`` (unique values) of the values of each column."""
    needles = [_arrow_text(c) for c in columns]
    haystack = _arrow_text(universe)
    if haystack is not None and all(n is not None for n in needles):
        import pyarrow as pa
        import pyarrow.compute as pc

        # One hash set of the universe, probed by every column at once.
        found = pc.index_in(pa.concat_arrays(needles), value_set=haystack, skip_nulls=True)
        found = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        index = pd.Index(_array(universe))
        parts = [pd.Series(_array(c), copy=False) for c in columns]
        values = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        found = index.get_indexer(values).astype(np.int64, copy=False)
        if index.hasnans:
            found[values.isna().to_numpy()] = -1
    bounds = np.cumsum([0, *(len(c) for c in columns)])
    return [found[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _invoice_positions(invoice_ids, *ids) -> list[np.ndarray]:
    """Position in ``invoice_ids`` of each id of each of ``ids`` (-1: not an invoice).

    Raises IntegrityError when an invoice id repeats (a payment could not say which
    invoice it pays).
    """
    ids_are_text = _arrow_text(invoice_ids) is not None
    if ids_are_text:
        own, *found = _lookup_ids(invoice_ids, invoice_ids, *ids)
        # A repeated id is found at its first position, not at its own.
        repeated = (own >= 0) & (own != np.arange(len(own)))
    else:
        repeated = pd.Series(_array(invoice_ids)).duplicated().to_numpy()
    if repeated.any():
        dup = pd.Series(_array(invoice_ids)[repeated]).unique()[:5].tolist()
        raise IntegrityError(
            f"invoice_id must be unique in the invoices, got duplicates {dup}. "
            "Remove the repeated rows (or load with arcalls.load_invoices)."
        )
    if not ids_are_text:
        found = _lookup_ids(invoice_ids, *ids) if ids else []
    return found


def _equals(values: pd.Series, value) -> np.ndarray:
    """``values == value`` as a plain bool array (missing values are not equal)."""
    # isin hashes once; == on Python strings goes through pandas' NA handling (4x slower).
    return values.isin([value]).to_numpy(dtype=bool, na_value=False)


def _is_arrow_text(array) -> bool:
    dtype = array.dtype
    if isinstance(dtype, pd.StringDtype):
        return str(dtype.storage).startswith("pyarrow")
    return isinstance(dtype, pd.ArrowDtype)


def _text(values) -> pd.api.extensions.ExtensionArray:
    """``values`` as a pandas string array; an existing string dtype (Python or Arrow
    storage) is kept as it is, rather than converted."""
    array = _array(values)
    if isinstance(array.dtype, pd.StringDtype):
        return array
    return pd.array(array, dtype="string")


def _take_text(values: pd.Series, positions: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values`` at ``positions`` (-1: missing), as a string array (see :func:`_text`)."""
    taken = values.array.take(np.asarray(positions, dtype=np.int64), allow_fill=True)
    return _text(taken)


def _array(values):
    """The pandas array behind a Series or Index (no copy); arrays pass through."""
    return (
        values.array if isinstance(values, pd.Series | pd.Index) else pd.array(values, copy=False)
    )


def _stable_order(*keys: np.ndarray) -> np.ndarray:
    """The stable order of rows by integer ``keys`` (the first is the major one), as
    ``np.lexsort(keys[::-1])`` gives it.

    When the keys' ranges and the row number fit in 63 bits together, they are packed
    into one int64 and sorted as plain numbers, which numpy does several times faster
    than an argsort (and stably, the row number being the last part of the number).
    """
    n = len(keys[0]) if keys else 0
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lows = [int(k.min()) for k in keys]
    spans = [int(k.max()) - low + 1 for k, low in zip(keys, lows, strict=True)]
    row_bits = max(int(n - 1).bit_length(), 1)
    if sum(max(s - 1, 1).bit_length() for s in spans) + row_bits > 63:
        return np.lexsort(keys[::-1])
    packed = np.zeros(n, dtype=np.int64)
    for key, low, span in zip(keys, lows, spans, strict=True):
        packed *= span
        packed += key - low
    packed <<= row_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << row_bits) - 1
    return packed


def _sort_stable(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``order = np.argsort(key, kind="stable")`` and ``key[order]``, by one plain sort of
    the key and row number packed into one int64 where they fit (see
    :func:`_stable_order`)."""
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.asarray(key, dtype=np.int64)
    low = int(key.min())
    row_bits = max(int(n - 1).bit_length(), 1)
    if (int(key.max()) - low).bit_length() + row_bits > 63:
        order = np.argsort(key, kind="stable")
        return order, key[order]
    packed = key.astype(np.int64) - low
    packed <<= row_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << row_bits) - 1)
    packed >>= row_bits
    packed += low
    return order, packed
