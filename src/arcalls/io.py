"""Loaders for the four input tables, with presets for real exports.

Every loader reads the file as text, maps its headers onto the canonical names of
:mod:`arcalls.schema`, parses each column by its kind (vectorised, decided per column,
never per cell) and checks the rows. All problems are collected before anything is
raised, so one run shows them all. ``on_bad_rows="skip"`` loads the good rows and sets
the bad ones aside, counted on the frame's :func:`load_report`: rows in = rows loaded +
rows set aside, always.
"""

from __future__ import annotations

import difflib
import functools
import re
import warnings
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _parse
from ._export import restore_text
from ._keys import contains, equals
from ._memory import release_freed_memory
from ._presets import PRESETS, Preset
from .errors import (
    PROBLEM_COLUMNS,
    ArcallsError,
    InputError,
    IntegrityError,
    ParseError,
    RowsSetAsideWarning,
    SchemaError,
    empty_problems,
    format_problems,
)
from .schema import (
    CALLS,
    CUSTOMERS,
    DEFAULT_OUTCOME_MAP,
    DERIVED_INPUTS,
    INVOICES,
    OUTCOMES,
    PAYMENTS,
    TABLES,
    Table,
    dtype_of,
    round_money,
)

#: Two amounts closer than half a cent are the same amount.
HALF_CENT = 0.005

__all__ = [
    "LoadReport",
    "PRESETS",
    "check_file",
    "default_as_of",
    "load_calls",
    "load_customers",
    "load_invoices",
    "load_payments",
    "load_report",
]

#: What ``on_bad_rows`` accepts: stop on the first bad file, or set bad rows aside.
ON_BAD_ROWS = ("raise", "skip")
#: Prefix of the ids ``make_ids=True`` builds from the spreadsheet row number.
MADE_ID_PREFIX = "row-"

_PARSE_TAG = "parse"
_INTEGRITY_TAG = "integrity"


@dataclass(frozen=True)
class LoadReport:
    """How a file was loaded: rows in, rows loaded, and the rows set aside with why.

    Attributes
    ----------
    source : str
        The file (or ``<DataFrame>``).
    encoding : str or None
        ``utf-8``, ``utf-8-sig`` (with a byte-order mark), ``utf-16`` (with one) or
        ``cp1252``; None for a frame.
    rows_in : int
        Data rows in the file (blank, section and total lines of a report are layout,
        not rows).
    rows_loaded : int
        Rows in the returned frame.
    set_aside : DataFrame
        One row per row set aside: ``row`` (as a spreadsheet shows it), the raw cells
        under their own headers, and ``problem``. Always ``rows_in == rows_loaded +
        len(set_aside)``.
    as_of : Timestamp or None
        The report date printed in an aging report's title (QuickBooks, Xero presets).
    preset : str or None
        The preset used.
    notes : tuple of str
        Things the user should know (e.g. the file was read as cp1252).
    """

    source: str
    encoding: str | None
    rows_in: int
    rows_loaded: int
    set_aside: pd.DataFrame = field(repr=False)
    as_of: pd.Timestamp | None = None
    preset: str | None = None
    notes: tuple[str, ...] = ()

    # pandas deep-copies ``attrs`` on most operations; the report is immutable, so share it.
    __deepcopy__ = lambda self, memo: self  # noqa: E731

    def __str__(self) -> str:
        text = f"{self.source}: {self.rows_in} rows in, {self.rows_loaded} loaded"
        if len(self.set_aside):
            text += f", {len(self.set_aside)} set aside"
        return text


def load_report(frame: pd.DataFrame) -> LoadReport:
    """The :class:`LoadReport` of a frame returned by a ``load_*`` function.

    Parameters
    ----------
    frame : DataFrame
        A frame returned by :func:`load_invoices` and its siblings.

    Returns
    -------
    LoadReport

    Raises
    ------
    ArcallsError
        The frame was not made by a loader (or lost its ``attrs``).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Num": ["001", "002"], "Customer": ["A", "B"],
    ...     "Date": ["2026-01-05", "2026-13-01"], "Due Date": ["2026-02-04"] * 2,
    ...     "Amount": ["$1,200.00", "80"]})
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     inv = load_invoices(raw, columns={"Num": "invoice_id", "Date": "invoice_date",
    ...                                       "Customer": "customer_id"}, on_bad_rows="skip")
    >>> report = load_report(inv)
    >>> report.rows_in, report.rows_loaded, len(report.set_aside)
    (2, 1, 1)
    >>> report.set_aside[["row", "problem"]].to_dict("records")
    [{'row': 3, 'problem': "Date: '2026-13-01' not a date"}]
    """
    report = frame.attrs.get("load_report") if isinstance(frame, pd.DataFrame) else None
    if not isinstance(report, LoadReport):
        raise ArcallsError(
            "This frame has no load report: only frames returned by arcalls.load_invoices, "
            "load_payments, load_calls or load_customers carry one (and only until an "
            "operation drops pandas' attrs)."
        )
    return report


# --------------------------------------------------------------------------- public loaders


def load_invoices(
    source,
    *,
    preset: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    on_bad_rows: str = "raise",
    make_ids: bool = False,
) -> pd.DataFrame:
    """Load an invoice file (or an aging-report export) into the canonical invoices table.

    Parameters
    ----------
    source : path, file-like or DataFrame
        A CSV file (``,``, ``;`` or tab separated; UTF-8, UTF-8 with BOM or cp1252), an
        open file, or a frame already read (every cell is re-read as text).
    preset : str, optional
        A built-in export format: ``"ibm_ar"``, ``"quickbooks_aging_detail"`` or
        ``"xero_aged_receivables_detail"`` (see :data:`PRESETS`).
    columns : mapping, optional
        Your header -> canonical name, e.g. ``{"Vendor_Name": "customer_id"}``. Headers
        match case-, space-, ``_``- and ``-``-insensitively; canonical names match
        themselves; map a header to None to ignore it. Overrides the preset's mapping.
        Besides the canonical columns, a days column may map to ``days_to_pay``: the
        loader makes ``paid_date = invoice_date + days``. ``amount_paid`` needs a
        ``paid_date`` (or ``days_to_pay``), and a header mapped to another table's
        column is refused: neither would be used, and nothing is dropped in silence.
    date_format : str, optional
        strftime format of every date column (wins over any guess), e.g. ``"%d-%b-%y"``.
    dayfirst : bool, optional
        Numeric dates are day-first (True) or month-first (False). By default this is
        decided per column from the values; a column that reads both ways raises
        :class:`~arcalls.AmbiguousDateError`.
    on_bad_rows : {"raise", "skip"}
        ``"raise"`` (default): any bad row raises an :class:`~arcalls.InputError` listing
        all problems. ``"skip"``: bad rows are set aside (see :func:`load_report`) with
        one :class:`~arcalls.RowsSetAsideWarning`.
    make_ids : bool, default False
        For a file with no invoice id column: number the invoices ``row-<n>`` by their
        spreadsheet row. A row identical to an earlier one is then a problem (without
        ids, nothing else tells a double-exported line from a second invoice).

    Returns
    -------
    DataFrame
        Canonical invoices: the required columns, the optional ones the file has, and
        ``is_credit`` (True for a negative amount: a credit note, kept). A preset may
        add documented extra columns.

    Raises
    ------
    SchemaError
        Missing required or duplicated columns.
    ParseError, AmbiguousDateError, IntegrityError
        Bad values (with ``on_bad_rows="raise"``) or columns that cannot be read at all.
    InputError
        Missing, empty or unreadable file.

    Examples
    --------
    >>> import io
    >>> csv = io.StringIO(
    ...     "Invoice No;Client;Date;Due;Total\\n"
    ...     "0007;ACME;31/01/2026;02/03/2026;1.234,50\\n"
    ...     "0008;ACME;05/02/2026;07/03/2026;(10,00)\\n")
    >>> inv = load_invoices(csv, columns={"Invoice No": "invoice_id", "Client": "customer_id",
    ...     "Date": "invoice_date", "Due": "due_date", "Total": "amount"})
    >>> inv[["invoice_id", "due_date", "amount", "is_credit"]]
      invoice_id   due_date  amount  is_credit
    0       0007 2026-03-02  1234.5      False
    1       0008 2026-03-07   -10.0       True
    """
    return _public_load(
        INVOICES,
        source,
        preset=preset,
        columns=columns,
        date_format=date_format,
        dayfirst=dayfirst,
        on_bad_rows=on_bad_rows,
        make_ids=make_ids,
    )


def load_payments(
    source,
    *,
    preset: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    on_bad_rows: str = "raise",
    make_ids: bool = False,
    invoices: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Load a payments file into the canonical payments table.

    Parameters
    ----------
    source, preset, columns, date_format, dayfirst, on_bad_rows
        As for :func:`load_invoices`.
    make_ids : bool, default False
        Number payments ``row-<n>`` when the file has no payment id column.
    invoices : DataFrame, optional
        Canonical invoices: a payment to an invoice id not among them is a problem.

    Returns
    -------
    DataFrame
        Canonical payments.

    Raises
    ------
    SchemaError, ParseError, AmbiguousDateError, IntegrityError, InputError
        As for :func:`load_invoices`.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"payment_id": ["P1"], "Invoice ID": ["0007"],
    ...                     "Payment Date": ["2026-02-10"], "Amount": ["$500.00"]})
    >>> load_payments(raw).dtypes.astype(str).to_dict()
    {'payment_id': 'string', 'invoice_id': 'string', 'payment_date': 'datetime64[ns]', \
'amount': 'float64'}
    """
    return _public_load(
        PAYMENTS,
        source,
        preset=preset,
        columns=columns,
        date_format=date_format,
        dayfirst=dayfirst,
        on_bad_rows=on_bad_rows,
        make_ids=make_ids,
        invoices=invoices,
    )


def load_calls(
    source,
    *,
    preset: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    on_bad_rows: str = "raise",
    make_ids: bool = False,
    outcome_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Load a call log into the canonical calls table.

    Parameters
    ----------
    source, preset, columns, date_format, dayfirst, on_bad_rows
        As for :func:`load_invoices`.
    make_ids : bool, default False
        Number calls ``row-<n>`` when the log has no call id column.
    outcome_map : mapping, optional
        Your outcome spellings -> canonical outcomes, on top of
        ``arcalls.schema.DEFAULT_OUTCOME_MAP``; e.g. ``{"Left VM": "voicemail"}``.
        Canonical outcomes always match themselves; keys match case-insensitively with
        spaces, dashes and underscores collapsed. An unmapped outcome is a problem.

    Returns
    -------
    DataFrame
        Canonical calls (``called_at`` keeps the time of day).

    Raises
    ------
    SchemaError, ParseError, AmbiguousDateError, IntegrityError, InputError
        As for :func:`load_invoices`; also an ``outcome_map`` value that is not an outcome.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"call_id": ["c1", "c2"], "customer_id": ["A", "A"],
    ...     "called_at": ["2026-03-02 09:15", "2026-03-03 16:40"],
    ...     "outcome": ["PTP", "Left VM"], "promise_date": ["2026-03-09", ""]})
    >>> calls = load_calls(raw, outcome_map={"Left VM": "voicemail"})
    >>> calls["outcome"].tolist()
    ['promise', 'voicemail']
    """
    frame = _public_load(
        CALLS,
        source,
        preset=preset,
        columns=columns,
        date_format=date_format,
        dayfirst=dayfirst,
        on_bad_rows=on_bad_rows,
        make_ids=make_ids,
        outcome_map=outcome_map,
    )
    # arcalls writes the log (log-calls) with formula-safe text; read it back exactly,
    # so that an id such as "-C1" still matches its invoices.
    # Only a cell with an apostrophe can hold a quoted piece: most columns have none,
    # which one pass over their bytes shows.
    for col in frame.columns:
        if pd.api.types.is_string_dtype(frame[col]) and _parse.holds_byte(frame[col], "'"):
            frame[col] = restore_text(frame[col])
    return frame


def load_customers(
    source,
    *,
    preset: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    on_bad_rows: str = "raise",
) -> pd.DataFrame:
    """Load a customer file into the canonical customers table.

    Parameters
    ----------
    source, preset, columns, date_format, dayfirst, on_bad_rows
        As for :func:`load_invoices`.

    Returns
    -------
    DataFrame
        Canonical customers (``do_not_call`` blank means False).

    Raises
    ------
    SchemaError, ParseError, AmbiguousDateError, IntegrityError, InputError
        As for :func:`load_invoices`.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Customer ID": ["A", "B"], "Do Not Call": ["x", ""]})
    >>> load_customers(raw)["do_not_call"].tolist()
    [True, False]
    """
    return _public_load(
        CUSTOMERS,
        source,
        preset=preset,
        columns=columns,
        date_format=date_format,
        dayfirst=dayfirst,
        on_bad_rows=on_bad_rows,
    )


def check_file(source, *, kind: str, **loader_options) -> pd.DataFrame:
    """Every row-level problem in a file, as a table (empty when the file is clean).

    Parameters
    ----------
    source : path, file-like or DataFrame
        The file to check.
    kind : {"invoices", "payments", "calls", "customers"}
        Which table the file holds.
    **loader_options
        Passed to the loader (``preset``, ``columns``, ``date_format``, ``dayfirst``,
        ``make_ids``, ``outcome_map``, ``invoices``); ``on_bad_rows`` is ignored.

    Returns
    -------
    DataFrame
        Columns ``file, row, column, value, problem``. Empty exactly when the loader
        would load every row of the file.

    Raises
    ------
    InputError
        Table-level problems: unreadable or empty file, missing required columns, a date
        column that cannot be read either way.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"customer_id": ["A", "A", ""]})
    >>> check_file(raw, kind="customers")[["row", "problem"]].to_dict("records")
    [{'row': 3, 'problem': 'duplicate customer_id: same as row 2'}, \
{'row': 4, 'problem': 'empty id (required)'}]
    """
    table = _check_kind(kind)
    loader_options.pop("on_bad_rows", None)
    return _load(table, source, **loader_options).problems


# --------------------------------------------------------------------------- machinery


@dataclass
class _Loaded:
    frame: pd.DataFrame
    problems: pd.DataFrame
    report: LoadReport
    problem_kinds: set[str]


def _public_load(table: Table, source, *, on_bad_rows: str, **options) -> pd.DataFrame:
    _check_on_bad_rows(on_bad_rows)
    loaded = _load(table, source, **options)
    _release_unused()
    if len(loaded.problems) and on_bad_rows == "raise":
        cls = ParseError if _PARSE_TAG in loaded.problem_kinds else IntegrityError
        raise cls(
            f"{loaded.report.source} has {len(loaded.problems)} "
            f"{'problem' if len(loaded.problems) == 1 else 'problems'} in its "
            f"{table.name}:\n{format_problems(loaded.problems)}\nFix these rows, or pass "
            "on_bad_rows='skip' (--lenient) to load the good rows and set these aside.",
            loaded.problems,
        )
    n_bad = loaded.problems["row"].nunique()
    if n_bad:
        warnings.warn(
            f"{n_bad} {'row' if n_bad == 1 else 'rows'} of {loaded.report.source} set aside "
            "for problems "
            f"({loaded.report.rows_loaded} loaded); see arcalls.load_report(frame).set_aside.",
            RowsSetAsideWarning,
            stacklevel=3,
        )
    return loaded.frame


def _release_unused() -> None:
    """Hand the memory freed while reading back to the system: Arrow's pool kept about
    400 MB more than its tables use after a 3M-call file, for the rest of the run
    (:mod:`arcalls._memory`)."""
    release_freed_memory()


def _check_on_bad_rows(on_bad_rows: str) -> None:
    if on_bad_rows not in ON_BAD_ROWS:
        raise ArcallsError(f"on_bad_rows must be 'raise' or 'skip', got {on_bad_rows!r}.")


def _check_kind(kind: str) -> Table:
    if kind not in TABLES:
        raise ArcallsError(f"kind must be one of {', '.join(TABLES)}, got {kind!r}.")
    return TABLES[kind]


def _check_preset(preset: str | None, table: Table) -> Preset | None:
    if preset is None:
        return None
    if preset not in PRESETS:
        close = difflib.get_close_matches(preset, list(PRESETS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ArcallsError(
            f"Unknown preset {preset!r}: expected one of {', '.join(PRESETS)}.{hint}"
        )
    found = PRESETS[preset]
    if found.table != table.name:
        raise ArcallsError(
            f"Preset {preset!r} reads {found.table} exports, not {table.name}: load it "
            f"with load_{found.table}, or drop the preset."
        )
    return found


def _check_outcome_map(outcome_map: Mapping[str, str] | None) -> dict[str, str]:
    mapping = {_outcome_key(k): v for k, v in DEFAULT_OUTCOME_MAP.items()}
    mapping.update({_outcome_key(o): o for o in OUTCOMES})
    bad = {k: v for k, v in (outcome_map or {}).items() if v not in OUTCOMES}
    if bad:
        raise ArcallsError(
            f"outcome_map values must be canonical outcomes ({', '.join(OUTCOMES)}); got {bad}."
        )
    mapping.update({_outcome_key(k): v for k, v in (outcome_map or {}).items()})
    return mapping


def _outcome_key(text: str) -> str:
    return " ".join(str(text).lower().replace("_", " ").replace("-", " ").split())


def _map_headers(
    raw: _parse.RawTable,
    table: Table,
    preset: Preset | None,
    columns: Mapping[str, str | None] | None,
) -> dict[str, int]:
    """Canonical name -> position of the file column that holds it."""
    extras = dict(preset.extra_columns) if preset else {}
    allowed = set(table.names) | set(extras) | set(DERIVED_INPUTS.get(table.name, {}))
    known_anywhere = (
        {n for t in TABLES.values() for n in t.names}
        | {n for names in DERIVED_INPUTS.values() for n in names}
        | allowed
    )
    # A mapping key names the headers equal to it; failing that, those equal to it once
    # case, spaces, "_" and "-" are ignored.
    by_position: dict[int, str | None] = {}
    keys = [_parse.normalize_header(h) for h in raw.headers]
    for mapping in (preset.columns if preset else {}), (columns or {}):
        for name, target in mapping.items():
            hits = [i for i, h in enumerate(raw.headers) if h == str(name).strip()] or [
                i for i, k in enumerate(keys) if k == _parse.normalize_header(name)
            ]
            by_position.update(dict.fromkeys(hits, target))
    explicit = {
        k: v for m in ((preset.columns if preset else {}), (columns or {})) for k, v in m.items()
    }
    for header, target in explicit.items():
        if target is not None and target not in known_anywhere:
            raise SchemaError(
                f"columns= maps {header!r} to {target!r}, which is not a canonical column. "
                f"{table.name} columns: {', '.join(_mappable(table))}."
            )
        present = any(
            h == str(header).strip() or k == _parse.normalize_header(header)
            for h, k in zip(raw.headers, keys, strict=True)
        )
        if target is not None and target not in allowed and present:
            # A column of this file mapped to another table's column would be dropped
            # here without a word. (One --columns mapping serves every file of a run:
            # a header this file does not have is another file's business.)
            owner = next(
                name
                for name, table_ in TABLES.items()
                if target in table_.names or target in DERIVED_INPUTS.get(name, {})
            )
            raise SchemaError(
                f"columns= maps {header!r} to {target!r}, a {owner} column: a {table.name} "
                f"file cannot use it, so it would be dropped. {table.name} columns: "
                f"{', '.join(_mappable(table))}. Map {header!r} to one of those, or to None "
                "to leave it out."
            )
    self_match = {_parse.normalize_header(n): n for n in allowed}
    claimed: dict[str, list[int]] = {}
    for pos, key in enumerate(keys):
        target = by_position[pos] if pos in by_position else self_match.get(key)
        if target is not None and target in allowed:
            claimed.setdefault(target, []).append(pos)
    duplicated = {t: p for t, p in claimed.items() if len(p) > 1}
    if duplicated:
        detail = "; ".join(
            f"{t!r} from " + ", ".join(repr(raw.headers[i]) for i in p)
            for t, p in duplicated.items()
        )
        raise SchemaError(
            f"{raw.name}: more than one column maps to the same canonical column ({detail}). "
            "Keep one: map the others to None, e.g. columns={'Amount 2': None}.",
            _table_problem(raw, "duplicated column: " + detail),
        )
    return {t: p[0] for t, p in claimed.items()}


def _mappable(table: Table) -> list[str]:
    """The names a column of this table's file may be mapped to."""
    return [n for n in table.names if n != "is_credit"] + list(DERIVED_INPUTS.get(table.name, {}))


def _check_settlement_columns(raw: _parse.RawTable, positions: dict[str, int]) -> None:
    """A settlement amount needs its date: without one it would be ignored, silently."""
    if "paid_date" in positions and "days_to_pay" in positions:
        raise SchemaError(
            f"{raw.name}: both paid_date ({raw.headers[positions['paid_date']]!r}) and "
            f"days_to_pay ({raw.headers[positions['days_to_pay']]!r}) are mapped; they say "
            "the same thing twice and could disagree. Map one of them to None.",
            _table_problem(raw, "both paid_date and days_to_pay mapped"),
        )
    if "amount_paid" not in positions or "paid_date" in positions or "days_to_pay" in positions:
        return
    header = raw.headers[positions["amount_paid"]]
    free = [h for i, h in enumerate(raw.headers) if i not in set(positions.values())]
    days = sorted(
        (h for h in free if re.search(r"day", h, re.I)),
        key=lambda h: not re.search(r"pa(y|id)|settle", h, re.I),
    )
    dates = [h for h in free if re.search(r"(paid|settle|pay).*date|date.*(paid|settle)", h, re.I)]
    hint = ""
    if days:
        hint = f" This file has {days[0]!r}: columns={{{days[0]!r}: 'days_to_pay'}}."
    elif dates:
        hint = f" This file has {dates[0]!r}: columns={{{dates[0]!r}: 'paid_date'}}."
    raise SchemaError(
        f"{raw.name}: column {header!r} maps to amount_paid, but no column says when it "
        "was paid, so the settlement could not be used and every invoice would show as "
        "unpaid. Map the settlement date to paid_date (columns={'<date header>': "
        "'paid_date'}), or the days from invoice to payment to days_to_pay "
        "(columns={'<days header>': 'days_to_pay'}: paid_date = invoice_date + days); or "
        f"map {header!r} to None to load every invoice as unpaid.{hint}",
        _table_problem(raw, f"{header}: amount_paid without paid_date"),
    )


def _derive_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical columns from the input-only ones (:data:`arcalls.schema.DERIVED_INPUTS`)."""
    if "days_to_pay" not in frame:
        return frame
    days = pd.to_timedelta(frame["days_to_pay"].astype("float64"), unit="D")
    return frame.drop(columns="days_to_pay").assign(paid_date=frame["invoice_date"] + days)


def _check_required(
    raw: _parse.RawTable, table: Table, positions: dict[str, int], make_ids: bool
) -> None:
    missing = [c for c in table.required if c not in positions]
    if make_ids and table.key in missing:
        missing.remove(table.key)
    elif make_ids and table.key in positions:
        raise SchemaError(
            f"{raw.name} has an id column ({raw.headers[positions[table.key]]!r} -> "
            f"{table.key}) and make_ids=True: keep the file's ids by dropping make_ids."
        )
    if not missing:
        return
    lines, near_first = [], []
    for name in missing:
        # Only headers not already used for another column are worth suggesting.
        free = [h for i, h in enumerate(raw.headers) if i not in set(positions.values())]
        close = difflib.get_close_matches(
            _parse.normalize_header(name),
            [_parse.normalize_header(h) for h in free],
            n=3,
            cutoff=0.5,
        )
        near = [h for h in free if _parse.normalize_header(h) in close]
        hint = f" (close: {', '.join(map(repr, near))})" if near else ""
        lines.append(f"{name!r}{hint}")
        near_first.append(near[0] if near else "<your header>")
    example = near_first[0]
    message = (
        f"{raw.name} is missing required {table.name} column(s): {'; '.join(lines)}. "
        f"Headers found: {', '.join(map(repr, raw.headers))}. Map yours with "
        f"columns={{{example!r}: {missing[0]!r}}} (--columns on the command line)."
    )
    if table.key in missing and table.name != "customers":
        message += (
            f" If the file has no {table.key} at all, pass make_ids=True (--make-ids) to "
            f"number rows as '{MADE_ID_PREFIX}<spreadsheet row>'."
        )
    raise SchemaError(message, _table_problem(raw, f"missing column(s): {', '.join(missing)}"))


def _table_problem(raw: _parse.RawTable, problem: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": pd.Series([raw.name], dtype="string"),
            "row": pd.Series([1], dtype="Int64"),
            "column": pd.Series([pd.NA], dtype="string"),
            "value": pd.Series([pd.NA], dtype="string"),
            "problem": pd.Series([problem], dtype="string"),
        }
    )


class _Problems:
    """Row problems gathered while loading: position in the raw table, column, value."""

    def __init__(self, raw: _parse.RawTable):
        self.raw = raw
        self.parts: list[pd.DataFrame] = []
        self.kinds: set[str] = set()

    def add(self, mask, column: str, values, problem, kind: str = _PARSE_TAG) -> None:
        if isinstance(mask, pd.Series) and mask.dtype == bool:
            mask = mask.to_numpy()  # nothing missing to fill: no copy of the column
        elif not (isinstance(mask, np.ndarray) and mask.dtype == bool):
            mask = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
        if not mask.any():
            return
        self.kinds.add(kind)
        pos = np.flatnonzero(mask)
        problem = (
            pd.Series(problem).to_numpy()[pos]
            if isinstance(problem, pd.Series | np.ndarray)
            else problem
        )
        # Only the flagged cells become Python strings, not the whole column.
        values = (
            pd.Series(values).iloc[pos].astype("string").to_numpy() if values is not None else pd.NA
        )
        self.parts.append(
            pd.DataFrame({"pos": pos, "column": column, "value": values, "problem": problem})
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"pos": pd.Series(dtype="int64")}).join(empty_problems())
        found = pd.concat(self.parts, ignore_index=True).sort_values("pos", kind="stable")
        return pd.DataFrame(
            {
                "pos": found["pos"].to_numpy(),
                "file": pd.Series(self.raw.name, index=found.index, dtype="string"),
                "row": pd.Series(self.raw.rows[found["pos"].to_numpy()], index=found.index).astype(
                    "Int64"
                ),
                "column": found["column"].astype("string"),
                "value": found["value"].astype("string"),
                "problem": found["problem"].astype("string"),
            }
        ).reset_index(drop=True)


def _load(
    table: Table,
    source,
    *,
    preset: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    make_ids: bool = False,
    outcome_map: Mapping[str, str] | None = None,
    invoices: pd.DataFrame | None = None,
) -> _Loaded:
    found_preset = _check_preset(preset, table)
    outcomes = _check_outcome_map(outcome_map) if table is CALLS else None
    raw = _parse.read_raw(source, find_header=found_preset.find_header if found_preset else None)
    rule_aside = None
    as_of = None
    if found_preset is not None and found_preset.prepare is not None:
        prepared = found_preset.prepare(raw)
        raw, rule_aside, as_of = prepared.raw, prepared.set_aside, prepared.as_of
    positions = _map_headers(raw, table, found_preset, columns)
    _check_required(raw, table, positions, make_ids)
    if table is INVOICES:
        _check_settlement_columns(raw, positions)
    kinds_all = {c.name: c.kind for c in table.columns}
    rule = _parse.DateRule(
        date_format=date_format or (found_preset.date_format if found_preset else None),
        dayfirst=dayfirst
        if dayfirst is not None
        else (found_preset.dayfirst if found_preset else None),
    )
    # The whole-column ISO pass of each date column, shared by the vote and the parse.
    scans = {
        name: _parse.scan_dates(raw.cells[pos], date_format=rule.date_format)
        for name, pos in positions.items()
        if kinds_all.get(name) in ("date", "datetime")
    }
    if rule.dayfirst is None and rule.date_format is None:
        # A file keeps one date order: a column where nothing decides follows the file's
        # other date columns when those agree.
        votes = {
            _parse.dayfirst_evidence(raw.cells[positions[name]], scan=scan)
            for name, scan in scans.items()
        } - {None}
        if len(votes) == 1:
            rule = _parse.DateRule(file_dayfirst=votes.pop())
    problems = _Problems(raw)
    if raw.extra is not None:
        problems.add(raw.extra, "", None, "more cells than the header line has columns")
    for pos in positions.values():
        too_long = _parse.longer_than(raw.cells[pos], _parse.MAX_CELL_CHARS)
        problems.add(
            too_long,
            raw.headers[pos],
            raw.cells[pos],
            f"cell longer than {_parse.MAX_CELL_CHARS:,} characters (a spreadsheet cell's "
            "limit): a paste gone wrong?",
        )
    kinds = {c.name: c.kind for c in table.columns}
    kinds.update(DERIVED_INPUTS.get(table.name, {}))
    kinds.update(found_preset.extra_columns if found_preset else {})
    required = set(table.required)
    out: dict[str, pd.Series] = {}
    for name, pos in positions.items():
        header = raw.headers[pos]
        cells = raw.cells[pos]
        out[name] = _parse_column(
            cells,
            kinds[name],
            header=header,
            raw=raw,
            rule=rule,
            problems=problems,
            required=name in required,
            outcomes=outcomes,
            scan=scans.pop(name, None),
            preset=found_preset,
        )
    if make_ids and table.key not in positions:
        out[table.key] = pd.Series(
            MADE_ID_PREFIX + pd.Series(raw.rows).astype(str), dtype=dtype_of("id")
        )
        _flag_identical_rows(raw, problems)
    # copy=False: the parsed columns become the frame as they are (no consolidating copy).
    frame = pd.DataFrame(out, index=raw.cells.index, copy=False)
    del out
    frame = _derive_inputs(frame)
    if found_preset is not None and found_preset.derive is not None:
        frame = found_preset.derive(frame)
    _check_rows(table, frame, raw, problems, positions, invoices)
    if found_preset is not None and found_preset.check is not None:
        for mask, column, values, problem in found_preset.check(frame, raw):
            problems.add(mask, column, values, problem, _INTEGRITY_TAG)
    found = problems.frame()
    if len(found):
        bad = np.zeros(len(frame), dtype=bool)
        bad[found["pos"].to_numpy()] = True
        frame = frame[~bad]
    order = [n for n in table.names if n in frame] + [
        n for n in (found_preset.extra_columns if found_preset else {}) if n in frame
    ]
    # The columns in order on a fresh 0..n-1 index, without copying them again.
    frame = pd.DataFrame({n: frame[n] for n in order}, copy=False)
    frame.index = pd.RangeIndex(len(frame))
    set_aside = _set_aside(raw, found, rule_aside)
    report = LoadReport(
        source=raw.name,
        encoding=raw.encoding,
        rows_in=len(raw.cells) + (0 if rule_aside is None else len(rule_aside)),
        rows_loaded=len(frame),
        set_aside=set_aside,
        as_of=as_of,
        preset=preset,
        notes=tuple(raw.notes),
    )
    frame.attrs["load_report"] = report
    return _Loaded(frame, found[list(PROBLEM_COLUMNS)], report, problems.kinds)


def _parse_column(
    cells: pd.Series,
    kind: str,
    *,
    header: str,
    raw: _parse.RawTable,
    rule: _parse.DateRule,
    problems: _Problems,
    required: bool,
    outcomes: dict[str, str] | None,
    scan: _parse.DateScan | None = None,
    preset: Preset | None = None,
) -> pd.Series:
    where = f"{raw.name}, column {header!r}"
    if kind in ("id", "text"):
        values, bad = _parse.parse_text(cells)
    elif kind == "amount":
        values, bad = _parse.parse_amount(
            cells, decimal_comma=_parse.decimal_comma_for(cells, raw.sep)
        )
    elif kind in ("date", "datetime"):
        values, bad = _parse.parse_dates(
            cells, rule=rule, with_time=kind == "datetime", where=where, scan=scan
        )
        _check_date_order(cells, bad, rule, kind=kind, where=where, preset=preset)
    elif kind == "bool":
        values, bad = _parse.parse_bool(cells)
    elif kind == "int":
        values, bad = _parse.parse_int(cells)
    elif kind == "outcome":
        text, _ = _parse.parse_text(cells)
        values, bad = _map_outcomes(text, outcomes)
    else:  # pragma: no cover - the schema has no other kinds
        raise ArcallsError(f"unknown column kind {kind!r}")
    problems.add(bad.notna(), header, cells, bad)
    if kind in ("id", "text", "outcome"):
        _check_controls(cells, header, problems)
    if required:
        empty = values.isna() & bad.isna()
        problems.add(
            empty,
            header,
            cells,
            "empty id (required)" if kind == "id" else "empty (required)",
            _INTEGRITY_TAG,
        )
    return values.astype(dtype_of(kind), copy=False)


def _check_date_order(
    cells: pd.Series,
    bad: pd.Series,
    rule: _parse.DateRule,
    *,
    kind: str,
    where: str,
    preset: Preset | None,
) -> None:
    """Most of a column not a date in a fixed order, yet dates the other way: say so.

    A day-first copy of a month-first export (or the reverse) would otherwise fail row by
    row, thousands of "not a date" with no word of why.
    """
    if rule.dayfirst is None and rule.date_format is None:
        return  # the order was decided from the column itself
    failed = bad.notna().to_numpy()
    filled = int(_parse._nonempty(cells).sum())
    if not failed.any() or failed.sum() * 2 <= filled:
        return
    failing = cells[failed]
    if rule.date_format is None:
        other = _parse.DateRule(dayfirst=not rule.dayfirst)
        fmt = "%d/%m/%Y" if other.dayfirst else "%m/%d/%Y"
    elif "%d" in rule.date_format and "%m" in rule.date_format:
        # The same format with day and month swapped.
        fmt = rule.date_format.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
        other = _parse.DateRule(date_format=fmt)
    else:
        return
    values, still = _parse.parse_dates(
        failing, rule=other, with_time=kind == "datetime", where=where
    )
    if still.notna().any():
        return
    if rule.date_format is not None:
        given = f"in the format {rule.date_format!r}"
        order = f"in the format {fmt!r}"
        flag = f"--date-format '{fmt}' (date_format='{fmt}')"
    else:
        given = "read day-first" if rule.dayfirst else "read month-first"
        order = "day-first" if other.dayfirst else "month-first"
        flag = (
            f"{'--dayfirst' if other.dayfirst else '--no-dayfirst'} "
            f"(dayfirst={bool(other.dayfirst)}) or --date-format '{fmt}' (date_format='{fmt}')"
        )
    if preset is not None and (
        rule.date_format == preset.date_format and rule.dayfirst == preset.dayfirst
    ):
        given += f" (the {preset.name} preset's order)"
    example = str(failing.iloc[0]).strip()
    raise ParseError(
        f"{where}: {int(failed.sum()):,} of {filled:,} dates are not dates {given}, but "
        f"every one of them reads {order} (e.g. {example!r} = "
        f"{pd.Timestamp(values.iloc[0]):%d %B %Y}). The file writes its dates {order}: "
        f"pass {flag}."
    )


def _check_controls(cells: pd.Series, header: str, problems: _Problems) -> None:
    """Control characters in a text cell are a problem of that row (shown escaped)."""
    found = _parse.control_characters(cells)
    if not found.any():
        return
    shown = pd.Series(pd.NA, index=cells.index, dtype=object)
    shown[found] = _parse.escape_controls(cells[found]).to_numpy()
    problems.add(
        found,
        header,
        shown,
        "control character in the text (shown as <0xNN>; invisible in a spreadsheet, and "
        "no export could keep it): remove the character",
    )


def _map_outcomes(text: pd.Series, outcomes: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Canonical outcomes, and a problem for each spelling the mapping does not know."""
    # A column holds a handful of distinct outcomes: map those, then spread back.
    encoded = pc.dictionary_encode(text.array.__arrow_array__()).combine_chunks()
    distinct = pd.Series(encoded.dictionary.to_pylist(), dtype="string")
    keys = distinct.str.lower().str.replace(r"[\s_\-]+", " ", regex=True).str.strip()
    mapped = pa.array(
        keys.map(outcomes).to_numpy(dtype=object), type=pa.large_string(), from_pandas=True
    )
    # An empty cell (a null code) stays null.
    values = pd.Series(
        pd.arrays.ArrowStringArray(pa.chunked_array([mapped.take(encoded.indices)])),
        index=text.index,
    )
    unknown = text.notna() & values.isna()
    if not unknown.any():
        # All known (the usual log): no column of missing problems cell by cell.
        return values, _parse._no_problems(text.index)
    bad = pd.Series(pd.NA, index=text.index, dtype="string").mask(
        unknown,
        "unknown call outcome: map it with outcome_map={'"
        + text.fillna("").astype(str)
        + "': '<one of "
        + "/".join(OUTCOMES)
        + ">'}",
    )
    return values, bad


def _flag_identical_rows(raw: _parse.RawTable, problems: _Problems) -> None:
    cells = raw.cells.apply(lambda c: c.str.strip())
    dup = cells.duplicated(keep="first").to_numpy()
    if dup.any():
        first = cells.groupby(list(cells.columns), sort=False, dropna=False).ngroup()
        first_row = pd.Series(raw.rows).groupby(first.to_numpy()).transform("first")
        problems.add(
            dup,
            "",
            None,
            "identical to row " + first_row.astype(str) + " (a line exported twice? "
            "without ids it cannot be told from a second invoice)",
            _INTEGRITY_TAG,
        )


def _check_rows(
    table: Table,
    frame: pd.DataFrame,
    raw: _parse.RawTable,
    problems: _Problems,
    positions: dict[str, int],
    invoices: pd.DataFrame | None,
) -> None:
    def header(name: str) -> str:
        return raw.headers[positions[name]] if name in positions else name

    def cells(name: str) -> pd.Series:
        return raw.cells[positions[name]] if name in positions else frame[name]

    key = table.key
    ids = frame[key]
    dup = _duplicated(ids)
    if dup.any():
        first_row = pd.Series(raw.rows, index=frame.index).groupby(ids).transform("first")
        problems.add(
            dup,
            header(key),
            ids,
            f"duplicate {key}: same as row " + first_row.astype("Int64").astype(str),
            _INTEGRITY_TAG,
        )
    if table is INVOICES:
        early = frame["due_date"] < frame["invoice_date"]
        problems.add(
            early,
            header("due_date"),
            cells("due_date"),
            "due date before the invoice date",
            _INTEGRITY_TAG,
        )
        frame["is_credit"] = (frame["amount"] < 0).fillna(False).astype(bool)
        _check_settlement_rows(frame, header, cells, problems)
    if table is PAYMENTS and invoices is not None:
        known = invoices["invoice_id"].dropna().astype(dtype_of("id"))
        unknown = frame["invoice_id"].notna() & ~_among_ids(frame["invoice_id"], known)
        source = getattr(invoices.attrs.get("load_report"), "source", "<DataFrame>")
        source = "the invoices given" if source == "<DataFrame>" else source
        problems.add(
            unknown,
            header("invoice_id"),
            frame["invoice_id"],
            f"payment to an invoice id not in {source}: money received must belong to an "
            "invoice (correct the id, or load the invoice file that has it)",
            _INTEGRITY_TAG,
        )
    if table is CUSTOMERS and "timezone" in frame:
        zone = frame["timezone"]
        known = _known_time_zones(zone.dropna().unique())
        unknown = (
            (zone.notna() & ~zone.isin(known))
            if known is not None
            else pd.Series(False, index=zone.index)
        )
        problems.add(
            unknown,
            header("timezone"),
            cells("timezone"),
            "unknown time zone: expected an IANA name such as America/New_York or "
            "Europe/London (empty: the business's own zone)",
        )
    # The day of each call, for the checks that compare a date with it.
    dated = table is CALLS and ("promise_date" in frame or "callback_at" in frame)
    called_day = _midnights(frame["called_at"]) if dated else None
    if table is CALLS and "promise_date" in frame:
        early = frame["promise_date"] < called_day
        problems.add(
            early,
            header("promise_date"),
            cells("promise_date"),
            "promise date before the call",
            _INTEGRITY_TAG,
        )
    if table is CALLS and "callback_at" in frame:
        # A date alone (midnight) means "that day": compared by day, as the Excel list does.
        called = frame["called_at"]
        back = frame["callback_at"]
        day_only = back == _midnights(back)
        early = back.notna() & ((back < called) & ~day_only | (back < called_day))
        problems.add(
            early,
            header("callback_at"),
            cells("callback_at"),
            "callback before the call itself (called_at): enter when they asked to be called "
            "back, e.g. 2026-11-05 14:00",
            _INTEGRITY_TAG,
        )
    if table is CALLS:
        _check_plan_rows(frame, header, cells, problems)


def _midnights(stamps: pd.Series) -> pd.Series:
    """Each time's day (``.dt.normalize()``; NaT stays NaT), by numpy's cast to days and
    back (a third of pandas' time on a 3M-call log)."""
    if stamps.dtype != "datetime64[ns]":
        return stamps.dt.normalize()
    days = stamps.to_numpy().astype("datetime64[D]").astype("datetime64[ns]")
    return pd.Series(days, index=stamps.index, name=stamps.name)


def _check_plan_rows(frame: pd.DataFrame, header, cells, problems: _Problems) -> None:
    """Payment plans that do not add up, or lack a field (rules in arcalls._plan_rules)."""
    from ._plan_rules import PLAN_FIELDS, plan_problems

    if not any(c in frame for c in PLAN_FIELDS) and not (frame["outcome"] == "plan").any():
        return
    # The plan rules are row by row, and only a call with outcome plan or a plan field
    # filled can break one: judge those rows alone (most calls are neither, and the
    # problem texts are built for every row judged).
    given = [frame[c].notna().to_numpy(dtype=bool) for c in PLAN_FIELDS if c in frame]
    rows = np.flatnonzero(np.logical_or.reduce([equals(frame["outcome"], "plan"), *given]))
    judged = [c for c in ("outcome", "called_at", *PLAN_FIELDS) if c in frame]
    # Each column's judged rows alone (frame[judged] copied the whole columns first).
    some = pd.DataFrame({c: frame[c].array.take(rows) for c in judged})
    for mask, column, _values, problem in plan_problems(some):
        full = np.zeros(len(frame), dtype=bool)
        full[rows] = mask
        if isinstance(problem, pd.Series | np.ndarray):
            texts = np.full(len(frame), None, dtype=object)
            texts[rows] = pd.Series(problem).to_numpy()
            problem = texts
        shown = cells(column) if column in frame else None
        problems.add(full, header(column), shown, problem, _INTEGRITY_TAG)


def _check_settlement_rows(frame: pd.DataFrame, header, cells, problems: _Problems) -> None:
    """Settlement amounts without their date, and open balances that contradict them."""
    if "amount_paid" not in frame:
        return
    paid = frame["amount_paid"]
    if "paid_date" in frame:
        undated = (paid.fillna(0) != 0) & frame["paid_date"].isna()
        problems.add(
            undated,
            header("amount_paid"),
            cells("amount_paid"),
            "amount_paid without a paid date (nothing says when it was paid): fill in the "
            "date, or leave the amount empty",
            _INTEGRITY_TAG,
        )
    if "open_balance" in frame:
        expected = round_money(frame["amount"] - paid.fillna(0))
        wrong = frame["open_balance"].notna() & (
            (frame["open_balance"] - expected).abs() >= HALF_CENT
        )
        problems.add(
            wrong,
            header("open_balance"),
            cells("open_balance"),
            "does not match amount - amount_paid = " + expected.map("{:.2f}".format),
            _INTEGRITY_TAG,
        )


def _duplicated(ids: pd.Series) -> np.ndarray:
    """Ids equal to an earlier (non-missing) id."""
    if ids.dtype == dtype_of("id") and len(ids) > 1 and not ids.hasnans:
        # Exports are mostly sorted by id: strictly increasing ids are all distinct,
        # which one comparison in C++ shows without hashing every id.
        arr = ids.array.__arrow_array__()
        if pc.all(pc.greater(arr[1:], arr[:-1])).as_py():
            return np.zeros(len(ids), dtype=bool)
    return (ids.notna() & ids.duplicated(keep="first")).to_numpy()


def _among_ids(ids: pd.Series, known: pd.Series) -> np.ndarray:
    """``contains(ids, known)`` (no missing value among ``known``), for Arrow text.

    Exports number their ids in one width (``INV-0000001``): when every known id has the
    same byte length and the bytes at each position vary over a short range (digits),
    each id is exactly a number in mixed radix, and a table of the known numbers answers
    for every id by one lookup (Arrow's hash set of a million ids and its probes cost
    about 0.6 s at 1M, this a fifth of it). Any other ids are looked up by :func:`contains`.
    """
    found = _among_numbered(ids, known)
    return found if found is not None else contains(ids, known)


#: The number table of :func:`_among_numbered` has at most this many entries per known
#: id (and at least 2**16): a sparser numbering is looked up by hashing.
_TABLE_PER_ID = 4


def _among_numbered(ids: pd.Series, known: pd.Series) -> np.ndarray | None:
    """:func:`_among_ids` by a table of numbers; None when the known ids do not fit one."""
    if not (ids.dtype == known.dtype == dtype_of("id")) or not len(known):
        return None
    haystack = known.array.__arrow_array__().combine_chunks()
    needles = ids.array.__arrow_array__().combine_chunks()
    if haystack.null_count:
        return None
    hay_offsets, hay_data = _parse._views(haystack)
    hay_lengths = np.diff(hay_offsets)
    width = int(hay_lengths[0])
    if not width or (hay_lengths != width).any():
        return None
    offsets, data = _parse._views(needles)
    lengths = np.diff(offsets)
    # Cells of another width are no known id; empty ones hold no bytes, so the bytes of
    # a column of cells of the width or empty are those cells, one row each.
    if ((lengths != width) & (lengths != 0)).any():
        return None
    # Position by position (each a contiguous column of bytes): the byte range of the
    # known ids at each, the positions that vary, and each position's weight in the number.
    hay = np.ascontiguousarray(hay_data[hay_offsets[0] : hay_offsets[-1]].reshape(-1, width).T)
    rows = np.ascontiguousarray(data[offsets[0] : offsets[-1]].reshape(-1, width).T)
    low, high = hay.min(axis=1).astype(np.int64), hay.max(axis=1).astype(np.int64)
    size, weights = 1, {}
    for pos in reversed(range(width)):
        if high[pos] > low[pos]:
            weights[pos] = size
            size *= int(high[pos] - low[pos] + 1)  # Python integers: no overflow
    if size > max(1 << 16, _TABLE_PER_ID * len(known)):
        return None
    # A cell with a byte outside the known range at some position is no known id.
    fits = np.ones(rows.shape[1], dtype=bool)
    for pos in range(width):
        fits &= (rows[pos] >= low[pos]) & (rows[pos] <= high[pos])

    def numbers(cells: np.ndarray) -> np.ndarray:
        out = np.full(cells.shape[1], -sum(low[p] * w for p, w in weights.items()), np.int64)
        for pos, weight in weights.items():
            out += cells[pos].astype(np.int64) * weight
        return out

    table = np.zeros(size, dtype=bool)
    table[numbers(hay)] = True
    probe = numbers(rows)
    probe[~fits] = 0
    hit = table[probe] & fits
    found = np.zeros(len(needles), dtype=bool)
    found[np.flatnonzero(lengths)] = hit
    if needles.null_count:
        found &= needles.is_valid().to_numpy(zero_copy_only=False)
    return found


#: Names in the zone database that are no place's clock: "Factory" (a placeholder
#: without an offset of its own), "localtime" (this machine's zone, a different one on
#: every machine) and "posixrules" (a rules file).
NOT_CALL_ZONES = frozenset({"Factory", "localtime", "posixrules"})


def _known_time_zones(named) -> frozenset[str] | None:
    """The zones among ``named`` a call can be in; None when the system has no
    time-zone database (then nothing is checked rather than every zone refused)."""
    # Only zones pandas can put a call in are kept, so that what loads is what every
    # command can use; tried one by one for the few zones a file names, not for the
    # whole database (about 0.5 s).
    names = _zone_names()
    if not names:
        return None
    named = {z for z in named if isinstance(z, str)} & names
    return frozenset(z for z in named if _usable_zone(z))


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - NOT_CALL_ZONES)


@functools.cache
def _usable_zone(zone: str) -> bool:
    try:
        pd.Timestamp("2000-01-01").tz_localize(zone)
    except Exception:  # noqa: BLE001 - pytz, zoneinfo and dateutil raise differently
        return False
    return True


def _set_aside(
    raw: _parse.RawTable, found: pd.DataFrame, rule_aside: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per row set aside: its row number, raw cells and the problems joined."""
    headers = _unique_headers(raw.headers)
    if len(found):
        label = found["column"].fillna("")
        value = found["value"].fillna("")
        text = (
            label.where(label == "", label + ": ")
            + value.where(value == "", "'" + value + "' ")
            + found["problem"]
        ).str.strip()
        joined = text.groupby(found["pos"].to_numpy()).agg("; ".join)
        pos = joined.index.to_numpy()
        cells = raw.cells.iloc[pos].copy()
        cells.columns = headers
        bad = pd.concat(
            [
                pd.DataFrame({"row": pd.Series(raw.rows[pos], dtype="Int64")}),
                cells.reset_index(drop=True).astype("string"),
                pd.DataFrame({"problem": pd.Series(joined.to_numpy(), dtype="string")}),
            ],
            axis=1,
        )
    else:
        bad = pd.DataFrame(
            {"row": pd.Series(dtype="Int64")}
            | {h: pd.Series(dtype="string") for h in headers}
            | {"problem": pd.Series(dtype="string")}
        )
    if rule_aside is not None and len(rule_aside):
        rule_aside = rule_aside.reindex(columns=bad.columns).astype(bad.dtypes.to_dict())
        bad = pd.concat([bad, rule_aside], ignore_index=True) if len(bad) else rule_aside
        bad = bad.sort_values("row", kind="stable").reset_index(drop=True)
    return bad


def _unique_headers(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        name = h or "(no header)"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


#: The latest date in the files sets the default as-of date only when it is at most this
#: many days after the next latest one: a date far beyond the rest (a call typed as
#: 2099, a year slip) is refused with where it is, never taken silently.
OUTLIER_GAP_DAYS = 183

#: The dates the default as-of date is taken from: (table, column, id column).
_DATED_COLUMNS = (
    ("invoices", "invoice_date", "invoice_id"),
    ("invoices", "paid_date", "invoice_id"),
    ("payments", "payment_date", "payment_id"),
    ("calls", "called_at", "call_id"),
)


def default_as_of(tables) -> pd.Timestamp:
    """The date to compute as of when none is given: the day the files were exported.

    That is the "as of" date an aging report prints in its title, else the latest date
    found in the tables (invoice, paid, payment and call dates), as every command of the
    command line takes it. The latest date must not stand alone far beyond the rest:
    when it is more than :data:`OUTLIER_GAP_DAYS` after the next latest date, it is
    refused naming the file, the row's id, the column and the date. The computer's
    clock is never used: the same files give the same date anywhere.

    Parameters
    ----------
    tables : arcalls.Tables
        The loaded tables (payments, calls and customers may be None).

    Returns
    -------
    pandas.Timestamp
        A day (midnight).

    Raises
    ------
    InputError
        No date in the tables, or a latest date standing alone.

    Examples
    --------
    >>> import arcalls
    >>> arcalls.default_as_of(arcalls.load_sample())
    Timestamp('2026-10-31 00:00:00')
    """
    # An aging-report export (QuickBooks, Xero) prints its own "as of" date.
    printed = getattr(tables.invoices.attrs.get("load_report"), "as_of", None)
    if printed is not None:
        return pd.Timestamp(printed).normalize()
    found = []
    for kind, column, id_column in _DATED_COLUMNS:
        frame = getattr(tables, kind)
        if frame is None or column not in frame or not len(frame):
            continue
        days = frame[column].dt.normalize()
        found.append((kind, column, id_column, frame, days))
    latest = [days.max() for *_, days in found if days.notna().any()]
    if not latest:
        raise InputError(
            "The inputs hold no dates to take the as-of date from (is the invoices file "
            "empty?). Pass as_of='YYYY-MM-DD' (--as-of YYYY-MM-DD on the command line), "
            "or export the invoices again with their rows."
        )
    as_of = pd.Timestamp(max(latest))
    below = [days[days < as_of].max() for *_, days in found]
    below = [d for d in below if pd.notna(d)]
    if below and (as_of - max(below)).days > OUTLIER_GAP_DAYS:
        _refuse_outlier(found, as_of, pd.Timestamp(max(below)))
    return as_of


def _refuse_outlier(found, as_of: pd.Timestamp, next_latest: pd.Timestamp) -> None:
    kind, column, id_column, frame, days = next(f for f in found if f[4].max() == as_of)
    at = frame[(days == as_of).to_numpy()].iloc[0]
    report = frame.attrs.get("load_report")
    source = getattr(report, "source", None) or kind
    where = f"{source}, {id_column} {str(at[id_column])!r}" if id_column in frame else source
    raise InputError(
        f"The latest date in the files would set the as-of date, but it stands alone: "
        f"{where}, column {column!r}: {as_of:%Y-%m-%d}, {(as_of - next_latest).days:,} days "
        f"after the next latest date in the files, {next_latest:%Y-%m-%d} (more than "
        f"{OUTLIER_GAP_DAYS} days). Correct that date, or pass as_of='YYYY-MM-DD' "
        "(--as-of YYYY-MM-DD on the command line) "
        "(e.g. the day you exported the files)."
    )
