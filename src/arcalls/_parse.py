"""Reading export files as text and parsing text cells per kind, vectorised.

The loaders in :mod:`arcalls.io` read every cell as text first (so ids keep their leading
zeros and nothing is guessed per cell), then parse each column by its canonical kind. The
parsers work on a column's distinct values (``pd.factorize``) and map the result back, so
a million-row file with a few thousand distinct dates parses in well under a second.

Each parser returns ``(values, problems)``: the parsed Series and a Series of problem
texts (``<NA>`` where the cell is fine). Empty cells parse to missing without a problem;
whether a column may be empty is the loader's decision.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import AmbiguousDateError, InputError, ParseError
from .schema import MONEY_DECIMALS

#: Amounts at or above this size (in absolute value) are typing accidents, not invoices.
MAX_ABS_AMOUNT = 1e12
#: Dates outside these years are problems: a typo like 2202 would wreck every metric.
MIN_YEAR, MAX_YEAR = 1970, 2100
#: How many leading lines are searched for a preset's header line.
HEADER_SEARCH_LINES = 200
#: Two-digit years below this are 20xx, the others 19xx (the POSIX ``%y`` rule).
TWO_DIGIT_YEAR_PIVOT = 69
#: A header line with more columns than a spreadsheet holds (Excel: 16,384) is no table.
MAX_COLUMNS = 16_384
#: A cell longer than a spreadsheet cell may be (Excel: 32,767 characters) is a problem:
#: it cannot come from a spreadsheet and could not go back into one in our exports.
MAX_CELL_CHARS = 32_767

_OUT_OF_RANGE = f"date outside {MIN_YEAR}..{MAX_YEAR} (a typo?)"
_FAST_STR = "string[pyarrow]"
_SEPARATORS = (",", ";", "\t")
_TRUE = frozenset({"yes", "y", "true", "t", "1", "x"})
_FALSE = frozenset({"no", "n", "false", "f", "0", ""})
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_TIME = r"(?:[T ]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<p>[AaPp][Mm])?)?"
_ISO = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME + r"$")
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})" + _TIME + r"$")
_DAY_MONTH = re.compile(
    r"^(?P<d>\d{1,2})[ -](?P<mon>[A-Za-z]{3,9})\.?[ -](?P<y>\d{4}|\d{2})" + _TIME + r"$"
)
_MONTH_DAY = re.compile(
    r"^(?:[A-Za-z]+,? )?(?P<mon>[A-Za-z]{3,9})\.? (?P<d>\d{1,2}),? (?P<y>\d{4})$"
)
#: Whole-column ISO layouts parsed in one strptime pass (pattern, format); any other
#: layout goes through the general parser, which gives the same dates for these.
_ISO_FAST_PATHS = (
    (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"),
    (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "%Y-%m-%d %H:%M:%S"),
)
_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$"
_CURRENCY = r"[$€£¥₹\s']|^(?:USD|EUR|GBP|CAD|AUD|NZD|INR)|(?:USD|EUR|GBP)$"


def normalize_header(name: str) -> str:
    """The key headers are matched by: lower case, without spaces, ``_`` or ``-``."""
    return re.sub(r"[\s_\-]+", "", str(name).strip().lower())


@dataclass
class RawTable:
    """A file read as text: one string column per header, and the spreadsheet row numbers.

    ``cells`` has positional integer columns (headers may repeat); ``rows[i]`` is the line
    number a spreadsheet shows for ``cells.iloc[i]`` (header = its own line, counting any
    preamble lines above it).
    """

    name: str
    encoding: str | None
    sep: str
    headers: list[str]
    cells: pd.DataFrame
    rows: np.ndarray
    preamble: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Rows with non-empty cells beyond the header's last column.
    extra: np.ndarray | None = None

    def column(self, header: str) -> pd.Series | None:
        """The cells under a header (matched like any header), or None."""
        key = normalize_header(header)
        for i, h in enumerate(self.headers):
            if normalize_header(h) == key:
                return self.cells[i]
        return None

    def with_column(self, header: str, values: pd.Series) -> RawTable:
        """A copy with one more text column."""
        cells = self.cells.copy()
        cells[len(self.headers)] = values.to_numpy(dtype=object)
        return RawTable(
            self.name,
            self.encoding,
            self.sep,
            [*self.headers, header],
            cells,
            self.rows,
            self.preamble,
            self.notes,
            self.extra,
        )

    def take(self, mask: np.ndarray | pd.Series) -> RawTable:
        """A copy holding only the rows where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        return RawTable(
            self.name,
            self.encoding,
            self.sep,
            self.headers,
            self.cells[mask].reset_index(drop=True),
            self.rows[mask],
            self.preamble,
            self.notes,
            None if self.extra is None else self.extra[mask],
        )


HeaderFinder = Callable[[list[list[str]]], int | None]


def read_raw(source, *, find_header: HeaderFinder | None = None) -> RawTable:
    """Read a CSV path, file-like, text or DataFrame into a :class:`RawTable` of text cells.

    Raises
    ------
    InputError
        Missing file, a folder, an empty file, an encoding that is neither UTF-8 nor
        cp1252, or no header line a preset recognises.
    """
    if isinstance(source, pd.DataFrame):
        return _raw_from_frame(source)
    name, data = _read_bytes(source)
    text, encoding, notes = _decode(data, name)
    if not text.strip():
        raise InputError(
            f"{name} is empty: expected a header line and data rows. Export the report again."
        )
    if "\r" in text:
        # Old Mac exports end lines with CR alone, and some files mix endings; the csv
        # module rejects a bare CR inside an unquoted field, a spreadsheet breaks the line.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # The csv module refuses cells over 128 KiB; read them whole here, and report the
    # ones longer than a spreadsheet cell as row problems (see MAX_CELL_CHARS).
    with _csv_field_limit(len(text) + 1):
        return _read_text(text, name, encoding, notes, find_header)


@contextlib.contextmanager
def _csv_field_limit(limit: int):
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, min(limit, 2**31 - 1)))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _read_text(
    text: str, name: str, encoding: str, notes: list[str], find_header: HeaderFinder | None
) -> RawTable:
    head = text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES]
    sep = _sniff_separator(head, find_header)
    head_cells = [next(csv.reader([line.rstrip("\r")], delimiter=sep), []) for line in head]
    if find_header is None:
        header_at = next(
            (i for i, cells in enumerate(head_cells) if any(c.strip() for c in cells)), None
        )
        if header_at is None:
            raise InputError(
                f"{name} has no header line: its first {HEADER_SEARCH_LINES} lines hold no "
                "column name. Export the table again with its header row."
            )
    else:
        header_at = find_header(head_cells)
        if header_at is None:
            raise InputError(
                f"{name}: no header line of the expected report was found in its first "
                f"{HEADER_SEARCH_LINES} lines. Check that the file is the report the preset "
                "names, exported as CSV, or load it without the preset and pass columns=."
            )
    headers = [h.strip() for h in head_cells[header_at]]
    if len(headers) > MAX_COLUMNS:
        raise InputError(
            f"{name}: the header line (row {header_at + 1}) has {len(headers):,} columns, "
            f"more than a spreadsheet holds ({MAX_COLUMNS:,}); this is not a table export. "
            "Check that you picked the right file."
        )
    # Skip the header and the lines above it without splitting the whole text.
    start = 0
    for _ in range(header_at + 1):
        nl = text.find("\n", start)
        start = len(text) if nl < 0 else nl + 1
    body = text[start:]
    first_row = header_at + 2
    cells, extra = None, None
    unclosed = body.count('"') % 2 == 1
    if find_header is None and not unclosed:
        cells = _read_fast(body, sep, len(headers))
    if cells is None:
        cells, extra = _read_slow(body, sep, len(headers))
    if unclosed and len(cells):
        _check_closed_quotes(cells, name, first_row + len(cells) - 1)
    rows = np.arange(first_row, first_row + len(cells), dtype=np.int64)
    if len(cells):
        # Blank lines (or lines of empty cells) are layout, not rows: neither loaded nor
        # set aside.
        filled = np.zeros(len(cells), dtype=bool) if extra is None else extra.copy()
        for col in cells.columns:
            filled |= (cells[col] != "").to_numpy()
        if not filled.all():
            cells = cells[filled].reset_index(drop=True)
            rows = rows[filled]
            extra = None if extra is None else extra[filled]
    preamble = [c for c in head_cells[:header_at] if any(x.strip() for x in c)]
    return RawTable(name, encoding, sep, headers, cells, rows, preamble, notes, extra)


def _read_bytes(source) -> tuple[str, bytes]:
    if isinstance(source, str | Path):
        path = Path(source)
        if path.is_dir():
            raise InputError(
                f"{path} is a folder, not a file: pass the CSV file inside it (e.g. invoices.csv)."
            )
        if not path.exists():
            raise InputError(f"{path} does not exist: check the path and the file name.")
        return str(path), path.read_bytes()
    if hasattr(source, "read"):
        data = source.read()
        name = str(getattr(source, "name", "<file-like>"))
        return name, data.encode("utf-8") if isinstance(data, str) else bytes(data)
    raise InputError(
        f"source must be a file path, an open file or a DataFrame, got {type(source).__name__}."
    )


def _decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text" export: UTF-16 with a byte-order mark, tab separated.
        try:
            return data.decode("utf-16"), "utf-16", [f"{name} read as UTF-16."]
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name} starts like UTF-16 text but is not (byte offset {exc.start}). "
                "Save it as 'CSV UTF-8' and retry."
            ) from exc
    try:
        text = data.decode("utf-8-sig")
        encoding = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text, encoding, []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is neither UTF-8 nor Windows-1252 (cp1252) text (byte "
            f"{data[exc.start]:#x} at offset {exc.start}). Save it as 'CSV UTF-8' and retry."
        ) from exc
    return text, "cp1252", [f"{name} is not UTF-8: read as Windows-1252 (cp1252)."]


def _sniff_separator(head: list[str], find_header: HeaderFinder | None) -> str:
    """The separator with the most fields on the header line (quotes respected)."""
    lines = [line.rstrip("\r") for line in head if line.strip()]
    if not lines:
        return ","
    best, best_sep = -1, ","
    for sep in _SEPARATORS:
        cells = [next(csv.reader([line], delimiter=sep), []) for line in lines]
        if find_header is not None:
            at = find_header(cells)
            count = len(cells[at]) if at is not None else 0
        else:
            count = len(cells[0])
        if count > best:
            best, best_sep = count, sep
    return best_sep


def _read_fast(body: str, sep: str, width: int) -> pd.DataFrame | None:
    """pyarrow's reader, for regular files; None when the file needs the careful reader."""
    if re.search(r"\n[ \t\r]*\n", body.rstrip("\r\n")) or not body.strip():
        return None
    try:
        from pyarrow import csv as pacsv
        from pyarrow import string as pa_string
        from pyarrow.lib import ArrowInvalid
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa_string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except ArrowInvalid:
        return None
    # Arrow-backed text columns: no Python object per cell (a third of the memory), and
    # the string methods the parsers run on them stay in C++.
    return pd.DataFrame(
        {i: pd.Series(pd.arrays.ArrowStringArray(table.column(i))) for i in range(width)}
    )


def _read_slow(body: str, sep: str, width: int) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The csv module: ragged rows, blank lines and report layouts; one record per line."""
    records = list(csv.reader(io.StringIO(body), delimiter=sep))
    lengths = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    extra = None
    long = np.flatnonzero(lengths > width)
    if len(long):
        # Cells beyond the header are only reported, never kept: cutting the (few) long
        # records here keeps a million-cell line from becoming a million-column frame.
        extra = np.zeros(len(records), dtype=bool)
        for i in long:
            extra[i] = any(records[i][width:])
            records[i] = records[i][:width]
    frame = pd.DataFrame(records, dtype=object) if records else pd.DataFrame(dtype=object)
    # Short records are filled with empty cells up to the header's width, in one step.
    frame = frame.reindex(columns=range(width)).astype(object).fillna("")
    return frame, extra


def _check_closed_quotes(cells: pd.DataFrame, name: str, last_row: int) -> None:
    """An odd number of quotes whose last record holds line breaks: a quote never closed.

    The csv module then reads everything after the quote as one cell, so the lines after
    it would vanish into that cell; refuse the file instead. (An odd count alone is not
    enough: an inch mark inside an unquoted cell, ``3/4"``, is legal.)
    """
    last = cells.iloc[-1].astype(str)
    if last.str.contains("\n", regex=False).any():
        raise ParseError(
            f'{name}, row {last_row}: a quote (") opened in this row is never closed, so '
            "everything after it, to the end of the file, was read as one cell. Close or "
            "remove the quote in that row and save the file again."
        )


def _raw_from_frame(frame: pd.DataFrame) -> RawTable:
    cells = {}
    for i, col in enumerate(frame.columns):
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            text = s.dt.strftime("%Y-%m-%d %H:%M:%S")
        else:
            text = s.astype("string")
        cells[i] = text.fillna("").to_numpy(dtype=object)
    rows = np.arange(2, 2 + len(frame), dtype=np.int64)
    return RawTable(
        "<DataFrame>", None, ",", [str(c) for c in frame.columns], pd.DataFrame(cells), rows
    )


# --------------------------------------------------------------------------- parsers


def _by_unique(
    values: pd.Series, parse: Callable[[pd.Series], tuple[pd.Series, pd.Series]]
) -> tuple[pd.Series, pd.Series]:
    """Parse the distinct values once and spread the results back over the column."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    # pyarrow-backed strings run the string methods in C++, not a Python loop per value.
    parsed, problems = parse(pd.Series(uniques, dtype=_FAST_STR).str.strip())
    index = values.index
    if len(uniques) == 0:
        return (
            pd.Series(parsed.iloc[:0].to_numpy(), index=index[:0], dtype=parsed.dtype).reindex(
                index
            ),
            pd.Series(pd.NA, index=index, dtype="string"),
        )
    return (
        pd.Series(parsed.to_numpy()[codes], index=index, dtype=parsed.dtype),
        pd.Series(problems.to_numpy()[codes], index=index, dtype="string"),
    )


def cell_lengths(cells: pd.Series) -> pd.Series:
    """Characters in each text cell (as ``cells.str.len()``, without its Python loop)."""
    if cells.dtype == _FAST_STR:
        return cells.str.len().astype(np.int64)
    values = cells.to_numpy(dtype=object)
    try:
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    except TypeError:  # a cell that is not text (e.g. missing): the general method
        return cells.str.len()
    return pd.Series(lengths, index=cells.index)


def parse_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text and ids: stripped, empty -> missing."""
    out = values.astype(_FAST_STR).str.strip()
    out = out.mask(out == "").astype("string")
    return out, pd.Series(pd.NA, index=values.index, dtype="string")


def parse_bool(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yes/No, Y/N, True/False, 1/0, x/blank (case-insensitive); blank is False."""

    def parse(u: pd.Series) -> tuple[pd.Series, pd.Series]:
        low = u.str.lower()
        ok = low.isin(_TRUE) | low.isin(_FALSE)
        problems = pd.Series(pd.NA, index=u.index, dtype="string").mask(
            ~ok, "not a yes/no value (expected Yes/No, Y/N, True/False, 1/0, or x/blank)"
        )
        return low.isin(_TRUE), problems

    return _by_unique(values, parse)


def parse_int(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (``12`` or ``12.0``); empty -> missing."""

    def parse(u: pd.Series) -> tuple[pd.Series, pd.Series]:
        ok = u.str.fullmatch(r"[+-]?\d{1,15}(?:\.0*)?") | (u == "")
        nums = pd.to_numeric(u.where(ok & (u != "")), errors="coerce")
        problems = pd.Series(pd.NA, index=u.index, dtype="string").mask(~ok, "not a whole number")
        return nums.round().astype("Int64"), problems

    return _by_unique(values, parse)


def decimal_comma_for(values: pd.Series, sep: str) -> bool:
    """Whether a column writes decimals with a comma (``1.234,56``), from the whole column.

    A value ending in ``,dd`` (one or two digits) votes comma, one ending in ``.dd`` votes
    point; when neither or both appear, a ``;``-separated file means comma decimals.
    """
    u = pd.Series(pd.unique(values.to_numpy(dtype=object)), dtype=_FAST_STR).str.strip()
    u = u.str.replace(r"^\(|\)$", "", regex=True).str.rstrip("-")
    comma = bool(u.str.contains(r",\d{1,2}$", regex=True).any())
    point = bool(u.str.contains(r"\.\d{1,2}$", regex=True).any())
    if comma != point:
        return comma
    return sep == ";"


def parse_amount(values: pd.Series, *, decimal_comma: bool = False) -> tuple[pd.Series, pd.Series]:
    """Money: ``$1,234.56``, ``1.234,56`` (decimal comma), ``(12.00)`` = -12, rounded to cents.

    ``NaN``, ``inf``, exponents and amounts of :data:`MAX_ABS_AMOUNT` or more are problems.
    """

    def parse(u: pd.Series) -> tuple[pd.Series, pd.Series]:
        s = u.str.replace(_CURRENCY, "", regex=True)
        negative = s.str.match(r"^\(.*\)$") | s.str.endswith("-")
        s = s.str.replace(r"^\(|\)$", "", regex=True).str.rstrip("-")
        s = s.str.replace(_CURRENCY, "", regex=True)
        if decimal_comma:
            s = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            s = s.str.replace(",", "", regex=False)
        well_formed = s.str.match(_PLAIN_NUMBER) & ~(negative & s.str.startswith("-"))
        nums = pd.to_numeric(s.where(well_formed), errors="coerce").astype("float64")
        nums = np.where(negative, -nums, nums)
        absurd = well_formed & ~(np.abs(nums) < MAX_ABS_AMOUNT)
        # + 0.0 turns -0.0 into 0.0.
        parsed = pd.Series(np.round(np.where(absurd, np.nan, nums), MONEY_DECIMALS) + 0.0)
        problems = pd.Series(pd.NA, index=u.index, dtype="string")
        problems = problems.mask((u != "") & ~well_formed, "not an amount")
        problems = problems.mask(absurd, f"amount too large (not below {MAX_ABS_AMOUNT:,.0f})")
        return parsed, problems

    return _by_unique(values, parse)


@dataclass(frozen=True)
class DateRule:
    """How a date column is read: an explicit format, or day-first / month-first."""

    date_format: str | None = None
    dayfirst: bool | None = None
    #: What the file's other date columns decided, for a column where nothing decides.
    file_dayfirst: bool | None = None


def parse_dates(
    values: pd.Series,
    *,
    rule: DateRule,
    with_time: bool,
    where: str,
    problems_frame: Callable[[], pd.DataFrame] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Dates in ISO, D/M/Y or M/D/Y, ``23 Nov 2026``, ``26-Apr-11``, ``DD-MM-YYYY HH:MM``.

    Day-first or month-first is decided from the whole column (``where`` names it in
    messages), never value by value.

    Raises
    ------
    AmbiguousDateError
        Numeric dates that read both ways and neither ``dayfirst`` nor ``date_format``.
    ParseError
        A column that holds both day-first and month-first dates.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    u = pd.Series(uniques, dtype=object).str.strip()
    if rule.date_format is not None:
        parsed = pd.to_datetime(u, format=rule.date_format, errors="coerce")
        bad = (u != "") & parsed.isna()
        problems = pd.Series(pd.NA, index=u.index, dtype="string").mask(
            bad, f"not a date in the format {rule.date_format!r}"
        )
        years = parsed.dt.year
        out_of_range = parsed.notna() & ((years < MIN_YEAR) | (years > MAX_YEAR))
        problems = problems.mask(out_of_range.to_numpy(), _OUT_OF_RANGE)
        parsed = parsed.mask(out_of_range.to_numpy())
    else:
        parsed, problems = _parse_dates_auto(u, rule.dayfirst, rule.file_dayfirst, where)
    if not with_time:
        parsed = parsed.dt.normalize()
    parsed = parsed.astype("datetime64[ns]")
    index = values.index
    return (
        pd.Series(parsed.to_numpy()[codes], index=index, dtype="datetime64[ns]"),
        pd.Series(problems.to_numpy()[codes], index=index, dtype="string"),
    )


def dayfirst_evidence(values: pd.Series) -> bool | None:
    """True/False when a column's numeric dates decide day-first/month-first, else None."""
    u = pd.Series(pd.unique(values.to_numpy(dtype=object)), dtype=object).str.strip()
    # Only values with a separator after one or two characters ("12/") can match; the
    # C++ prefix test keeps the Python regex off the ISO timestamps of large columns.
    u = u[u.astype(_FAST_STR).str.match(r".{1,2}[-/.]").to_numpy(dtype=bool)]
    numeric = u.str.extract(_NUMERIC)
    a, b = numeric["a"].astype(float), numeric["b"].astype(float)
    day, month = bool((a > 12).any()), bool((b > 12).any())
    return day if day != month else None


def _parse_dates_auto(
    u: pd.Series, dayfirst: bool | None, file_dayfirst: bool | None, where: str
) -> tuple[pd.Series, pd.Series]:
    filled = u != ""
    # pyarrow-backed strings run the regex checks in C++, not a Python loop per value.
    fast = u[filled].astype(_FAST_STR)
    iso_format = next(
        (fmt for pattern, fmt in _ISO_FAST_PATHS if fast.str.fullmatch(pattern).all()), None
    )
    if iso_format is not None:
        # Fast path for the common all-ISO column (dates, or dates with times to the
        # second): one strptime over the column instead of the general regex split.
        stamp = pd.to_datetime(u.where(filled), format=iso_format, errors="coerce")
        year = pd.to_numeric(u.str[:4].where(filled), errors="coerce")
        outside = filled & ~year.between(MIN_YEAR, MAX_YEAR)
        problems = pd.Series(pd.NA, index=u.index, dtype="string")
        problems = problems.mask(filled & stamp.isna(), "not a date").mask(outside, _OUT_OF_RANGE)
        return stamp.mask(outside), problems
    parts = pd.DataFrame(index=u.index, columns=["y", "m", "d", "H", "M", "S", "p"], dtype=object)
    iso = u.str.extract(_ISO)
    parts = parts.fillna(iso[["y", "m", "d", "H", "M", "S", "p"]])
    named = u.str.extract(_DAY_MONTH)
    named2 = u.str.extract(_MONTH_DAY).reindex(columns=named.columns)
    named = named.fillna(named2)
    months = named["mon"].str.lower().str[:3].map(_MONTHS)
    named["m"] = months.astype(object).where(months.notna())
    named = named.where(named["m"].notna())
    parts = parts.fillna(named.reindex(columns=parts.columns))
    numeric = u.str.extract(_NUMERIC)
    has_numeric = numeric["a"].notna()
    if has_numeric.any():
        a = numeric["a"].astype(float)
        b = numeric["b"].astype(float)
        day_evidence = has_numeric & (a > 12)
        month_evidence = has_numeric & (b > 12)
        if day_evidence.any() and month_evidence.any() and dayfirst is None:
            raise ParseError(
                f"{where} mixes day-first dates (e.g. {u[day_evidence].iloc[0]!r}) and "
                f"month-first dates (e.g. {u[month_evidence].iloc[0]!r}); one column must "
                "use one order. Fix the file, or pass dayfirst=True/False (or "
                "date_format=...) to read it one way and see which values do not fit."
            )
        if dayfirst is None:
            if day_evidence.any():
                dayfirst = True
            elif month_evidence.any():
                dayfirst = False
            elif file_dayfirst is not None:
                dayfirst = file_dayfirst
            elif (has_numeric & (a != b)).any():
                example = u[has_numeric & (a != b)].iloc[0]
                raise AmbiguousDateError(
                    f"{where} has dates like {example!r} that read both day-first and "
                    "month-first, and no value in the file decides (none has a part "
                    "above 12). Pass dayfirst=True (03/04 = 3 April) or dayfirst=False "
                    "(03/04 = March 4), or date_format='%d/%m/%Y' (or --dayfirst / "
                    "--no-dayfirst / --date-format on the command line)."
                )
            else:
                dayfirst = False
        numeric["d"], numeric["m"] = (
            (numeric["a"], numeric["b"]) if dayfirst else (numeric["b"], numeric["a"])
        )
        parts = parts.fillna(numeric.reindex(columns=parts.columns))
    nums = {c: pd.to_numeric(parts[c], errors="coerce") for c in ("y", "m", "d", "H", "M", "S")}
    year = nums["y"]
    two_digit = parts["y"].str.len() == 2
    year = year.where(~two_digit, year + np.where(year < TWO_DIGIT_YEAR_PIVOT, 2000, 1900))
    hour = nums["H"].fillna(0)
    pm = parts["p"].str.lower().eq("pm").fillna(False).astype(bool)
    am = parts["p"].str.lower().eq("am").fillna(False).astype(bool)
    hour = hour.where(~(pm | am), hour % 12 + np.where(pm, 12, 0))
    in_range = year.between(MIN_YEAR, MAX_YEAR)
    stamp = pd.to_datetime(
        pd.DataFrame(
            {
                "year": year.where(in_range),
                "month": nums["m"],
                "day": nums["d"],
                "hour": hour,
                "minute": nums["M"].fillna(0),
                "second": nums["S"].fillna(0),
            }
        ),
        errors="coerce",
    )
    problems = pd.Series(pd.NA, index=u.index, dtype="string")
    problems = problems.mask((u != "") & stamp.isna(), "not a date")
    problems = problems.mask(year.notna() & ~in_range, _OUT_OF_RANGE)
    return stamp, problems


def first_cell_matching(rows: Sequence[Sequence[str]], pattern: re.Pattern) -> re.Match | None:
    """The first match of ``pattern`` in the cells of a few preamble rows (for as-of dates)."""
    for cells in rows:
        for cell in cells:
            found = pattern.search(cell.strip())
            if found:
                return found
    return None
