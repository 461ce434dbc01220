"""Reading export files as text and parsing text cells per kind, vectorised.

The loaders in :mod:`arcalls.io` read every cell as text first (so ids keep their leading
zeros and nothing is guessed per cell), then parse each column by its canonical kind. Text
stays in Arrow memory (``string[pyarrow]``) from the file to the loaded frame: no Python
object per cell. The common shapes (ISO dates, plain amounts) are parsed by pyarrow
compute over the whole column; every other cell goes to the general parsers, which work
on a column's distinct values and map the result back, so a million-row file parses in
about a second.

Each parser returns ``(values, problems)``: the parsed Series and a Series of problem
texts (``<NA>`` where the cell is fine). Empty cells parse to missing without a problem;
whether a column may be empty is the loader's decision.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv
from pyarrow.lib import ArrowInvalid

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

#: Input files larger than this are refused before they are read (2 GiB: a ten-million
#: row export is about 1 GB). Override with the environment variable
#: ``ARCALLS_MAX_FILE_BYTES`` (a number of bytes) for a bigger book.
MAX_FILE_BYTES = int(os.environ.get("ARCALLS_MAX_FILE_BYTES", 2 << 30))
#: A line longer than this (8 MiB) is refused before the file is parsed: no spreadsheet
#: row is that long (a cell holds at most MAX_CELL_CHARS characters), and reading it
#: would cost many times its size in memory. Lines up to it are read, and their cells
#: longer than MAX_CELL_CHARS are row problems. ``ARCALLS_MAX_LINE_BYTES`` overrides it.
MAX_LINE_BYTES = int(os.environ.get("ARCALLS_MAX_LINE_BYTES", 8 << 20))

_OUT_OF_RANGE = f"date outside {MIN_YEAR}..{MAX_YEAR} (a typo?)"
_FAST_STR = "string[pyarrow]"
#: Bytes that are never whitespace: printable ASCII, "!" to "~".
_PRINTABLE = (0x21, 0x7E)
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: pyarrow's read block: a row longer than this may go through the careful reader (1 MB
#: holds 32 of a spreadsheet's longest cells, 32,767 characters; 8 of four-byte
#: characters; a line over 8 MiB is refused before any read). Each block's
#: parse buffers are freed between the blocks' arrays, which stay: 16 MB blocks left
#: those holes too large to reuse, and reading 3M calls (724 MB of arrays) made the
#: process 1,296 MB larger; with 1 MB blocks 924 MB, in as much time
#: (benchmarks/README.md, 2026-12-07).
_BLOCK_SIZE = 1 << 20
#: Bytes looked at to tell a body of blank lines from a table (and its end from blanks).
_BLANK_BODY_PROBE = 1 << 16
#: Bytes per block when a file is scanned for line ends and quotes.
_SCAN_BLOCK = 1 << 24
#: Bytes per block when a file is searched for a CR or a quote: small enough to stay in
#: the cache between the searches.
_HOLDS_BLOCK = 1 << 20
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
_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$"
#: Amounts a C++ cast reads to the same cent as the general parser: no sign but a
#: leading minus, at most cents, and too few digits to reach MAX_ABS_AMOUNT.
_PLAIN_CENTS = r"^-?\d{1,12}(?:\.\d{1,2})?$"
_CURRENCY = r"[$€£¥₹\s']|^(?:USD|EUR|GBP|CAD|AUD|NZD|INR)|(?:USD|EUR|GBP)$"
#: Thousands grouped by the separator that is not the decimal one: 1,234,567.89 and
#: 1.234.567,89 (a sign may lead).
_POINT_GROUPS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_COMMA_DECIMAL_GROUPS = r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?"


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
    if isinstance(source, str | Path):
        path = _check_path(source)
        name = str(path)
        if path.is_file():
            _check_size(path.stat().st_size, name)
            _check_line_lengths(_FileContent(path), name)
        # A file is streamed to pyarrow, never held whole in memory next to its table
        # (a pipe or device is read once, into memory, below).
        streamed = find_header is None and path.is_file()
        raw = _read_utf8(_FileContent(path), name) if streamed else None
        if raw is not None:
            return raw
        data = path.read_bytes()
    else:
        name, data = _read_bytes(source)
        _check_line_lengths(_BytesContent(data), name)
        raw = _read_utf8(_BytesContent(data), name) if find_header is None else None
        if raw is not None:
            return raw
    text, encoding, notes = _decode(data, name)
    del data
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


@dataclass(frozen=True)
class _Header:
    """Where a file's header line is, as read from its first lines."""

    sep: str
    head_cells: list[list[str]]
    at: int
    headers: list[str]

    @property
    def preamble(self) -> list[list[str]]:
        return [c for c in self.head_cells[: self.at] if any(x.strip() for x in c)]


def _find_header(head: list[str], name: str, find_header: HeaderFinder | None) -> _Header:
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
    return _Header(sep, head_cells, header_at, headers)


def _read_text(
    text: str, name: str, encoding: str, notes: list[str], find_header: HeaderFinder | None
) -> RawTable:
    head = text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES]
    header = _find_header(head, name, find_header)
    sep, headers = header.sep, header.headers
    # Skip the header and the lines above it without splitting the whole text.
    start = 0
    for _ in range(header.at + 1):
        nl = text.find("\n", start)
        start = len(text) if nl < 0 else nl + 1
    body = text[start:]
    del text
    first_row = header.at + 2
    cells, extra = None, None
    unclosed = body.count('"') % 2 == 1
    if find_header is None and not unclosed and body.strip():
        cells = _read_fast(
            pa.BufferReader(body.rstrip("\r\n").encode("utf-8")),
            sep,
            len(headers),
            quotes='"' in body,
        )
    if cells is None:
        cells, extra = _read_slow(body, sep, len(headers))
    if unclosed and len(cells):
        _check_closed_quotes(cells, name, first_row + len(cells) - 1)
    return _raw_table(name, encoding, header, cells, first_row, extra, notes)


def _raw_table(
    name: str,
    encoding: str,
    header: _Header,
    cells: pd.DataFrame,
    first_row: int,
    extra: np.ndarray | None,
    notes: list[str],
) -> RawTable:
    rows = np.arange(first_row, first_row + len(cells), dtype=np.int64)
    if len(cells):
        # Blank lines (or lines of empty cells) are layout, not rows: neither loaded nor
        # set aside.
        filled = np.zeros(len(cells), dtype=bool) if extra is None else extra.copy()
        for col in cells.columns:
            if filled.all():
                break  # every row has a cell already (the usual first column, an id)
            filled |= _nonempty(cells[col])
        if not filled.all():
            cells = cells[filled].reset_index(drop=True)
            rows = rows[filled]
            extra = None if extra is None else extra[filled]
    return RawTable(
        name, encoding, header.sep, header.headers, cells, rows, header.preamble, notes, extra
    )


def _nonempty(cells: pd.Series) -> np.ndarray:
    if cells.dtype == _FAST_STR:
        lengths = pc.binary_length(cells.array.__arrow_array__())
        return pc.greater(lengths, 0).to_numpy(zero_copy_only=False)
    return (cells != "").to_numpy()


class _BytesContent:
    """A file's bytes in memory, as :func:`_read_utf8` reads them."""

    def __init__(self, data: bytes):
        self.data = data
        self.size = len(data)

    def read(self, start: int, end: int) -> bytes:
        return self.data[start:end]

    def counts(self) -> tuple[int, int, int]:
        return _counts(self.data)

    def stream(self, start: int, end: int) -> contextlib.AbstractContextManager:
        body = pa.py_buffer(memoryview(self.data)[start:end])
        return contextlib.nullcontext(pa.BufferReader(body))


class _FileContent:
    """A file on disk, read in blocks: its bytes are never all in memory at once."""

    def __init__(self, path: Path):
        self.path = path
        self.size = path.stat().st_size

    def read(self, start: int, end: int) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(start)
            return f.read(max(0, end - start))

    def counts(self) -> tuple[int, int, int]:
        cr = crlf = quotes = 0
        if not self._holds_any(b"\r", b'"'):
            return cr, crlf, quotes
        with open(self.path, "rb") as f:
            previous = b""
            while block := f.read(_SCAN_BLOCK):
                # A CR LF may straddle two blocks: count across the seam.
                seam = previous[-1:] + block[:1]
                cr_here, crlf_here, quotes_here = _counts(block)
                cr, crlf, quotes = cr + cr_here, crlf + crlf_here, quotes + quotes_here
                crlf += seam == b"\r\n"
                previous = block
        return cr, crlf, quotes

    def _holds_any(self, *needles: bytes) -> bool:
        """Whether the file holds one of the single bytes ``needles`` (most exports hold
        neither a CR nor a quote, and need no count).

        One pass for all of them: the file is read block by block into one small buffer,
        searched while it is in the cache (a mapped file searched once per byte cost
        twice as much, most of it in page faults).
        """
        buffer = bytearray(_HOLDS_BLOCK)
        with open(self.path, "rb", buffering=0) as f:
            while size := f.readinto(buffer):
                if any(buffer.find(needle, 0, size) >= 0 for needle in needles):
                    return True
        return False

    @contextlib.contextmanager
    def stream(self, start: int, end: int):
        with pa.OSFile(str(self.path)) as f:
            yield f.get_stream(start, end - start)


def _counts(data: bytes) -> tuple[int, int, int]:
    """CR bytes, CR LF pairs and quotes in ``data`` (a byte search first: most have none)."""
    cr = crlf = quotes = 0
    if data.find(b"\r") >= 0:
        cr, crlf = data.count(b"\r"), data.count(b"\r\n")
    if data.find(b'"') >= 0:
        quotes = data.count(b'"')
    return cr, crlf, quotes


def _read_utf8(content: _BytesContent | _FileContent, name: str) -> RawTable | None:
    """A UTF-8 file (BOM or not) read by pyarrow from its bytes; None: use the careful path.

    Only the first lines are decoded here (to find the header); the body goes to pyarrow
    as bytes, which checks the UTF-8 itself. Anything unusual (other encodings, bare CR
    line ends, an odd number of quotes, ragged rows, a missing header) is left to the
    careful path, which reads it as before and gives the messages.
    """
    head = _head_bytes(content)
    if head.startswith(_UTF16_BOMS):
        return None
    try:
        head_text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    cr, crlf, quotes = content.counts()
    if cr != crlf:
        return None  # bare CR line ends: the careful path turns them into line breaks
    head_text = head_text.replace("\r\n", "\n")
    if not head_text.strip():
        return None
    lines = head_text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES]
    try:
        with _csv_field_limit(len(head_text) + 1):
            header = _find_header(lines, name, None)
    except (InputError, csv.Error):
        return None
    start = 0
    for _ in range(header.at + 1):
        nl = head.find(b"\n", start)
        start = len(head) if nl < 0 else nl + 1
    # Blank lines at the end are no rows: leave them out rather than read them as rows.
    end = _end_without_newlines(content, start)
    if end <= start:
        return None  # no data rows: the careful path makes the empty table
    probe = content.read(start, min(end, start + _BLANK_BODY_PROBE))
    if not probe.decode("utf-8", "ignore").strip():
        return None
    # Quotes of the body: those of the file but the ones above it (after it: line ends).
    quotes -= head.count(b'"', 0, start)
    if quotes % 2:
        return None  # a quote never closed: the careful path says where
    with content.stream(start, end) as body:
        cells = _read_fast(body, header.sep, len(header.headers), quotes=quotes > 0)
    if cells is None:
        return None
    if crlf and quotes:
        # A quoted cell may hold CR LF line breaks; the careful path reads them as LF.
        for col in cells.columns:
            values = cells[col].array.__arrow_array__()
            if pc.any(pc.match_substring(values, "\r")).as_py():
                fixed = pc.replace_substring(values, "\r\n", "\n")
                cells[col] = pd.Series(pd.arrays.ArrowStringArray(fixed), index=cells.index)
    encoding = "utf-8-sig" if head.startswith(_UTF8_BOM) else "utf-8"
    return _raw_table(name, encoding, header, cells, header.at + 2, None, [])


def _head_bytes(content: _BytesContent | _FileContent) -> bytes:
    """The file's first HEADER_SEARCH_LINES lines, line ends included (or all of it)."""
    size = _BLANK_BODY_PROBE
    while True:
        head = content.read(0, size)
        end = 0
        for _ in range(HEADER_SEARCH_LINES):
            nl = head.find(b"\n", end)
            if nl < 0:
                break
            end = nl + 1
        else:
            return head[:end]
        if len(head) >= content.size:
            return head
        size *= 4


def _end_without_newlines(content: _BytesContent | _FileContent, start: int) -> int:
    """The end of the body without its trailing CR and LF bytes."""
    end = content.size
    while end > start:
        block = content.read(max(start, end - _BLANK_BODY_PROBE), end)
        kept = block.rstrip(b"\r\n")
        end -= len(block) - len(kept)
        if kept:
            break
    return end


def _check_path(source: str | Path) -> Path:
    path = Path(source)
    if path.is_dir():
        raise InputError(
            f"{path} is a folder, not a file: pass the CSV file inside it (e.g. invoices.csv)."
        )
    if not path.exists():
        raise InputError(f"{path} does not exist: check the path and the file name.")
    return path


def _read_bytes(source) -> tuple[str, bytes]:
    if hasattr(source, "read"):
        # One byte (or character) past the cap is enough to know it is too big.
        data = source.read(MAX_FILE_BYTES + 1)
        name = str(getattr(source, "name", "<file-like>"))
        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        _check_size(len(data), name)
        return name, data
    raise InputError(
        f"source must be a file path, an open file or a DataFrame, got {type(source).__name__}."
    )


def _check_size(size: int, name: str) -> None:
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{name} is larger than {MAX_FILE_BYTES:,} bytes, the most arcalls reads "
            f"({MAX_FILE_BYTES / (1 << 30):.1f} GiB): is it the right file? For a bigger "
            "export, set the environment variable ARCALLS_MAX_FILE_BYTES to its size."
        )


def _check_line_lengths(content: _BytesContent | _FileContent, name: str) -> None:
    """Refuse a line longer than MAX_LINE_BYTES before anything parses it.

    Aligned windows of half that size are searched for a line end (C speed, and each
    search stops at the first one): a line of MAX_LINE_BYTES or more leaves one window
    without any, and only then is the line measured and its number counted.
    """
    window = max(1, MAX_LINE_BYTES // 2)
    if content.size <= MAX_LINE_BYTES:
        return
    for start in range(0, content.size, window):
        stop = min(content.size, start + window)
        if stop - start < window or _has_line_end(content, start, stop):
            continue
        begin, end, line = _line_around(content, start)
        if end - begin > MAX_LINE_BYTES:
            raise InputError(
                f"{name}, row {line}: the line is {end - begin:,} bytes long, more than the "
                f"{MAX_LINE_BYTES:,} arcalls reads in one line (a spreadsheet cell holds at "
                f"most {MAX_CELL_CHARS:,} characters): a paste gone wrong, or not a table "
                "export? Fix that row (or set ARCALLS_MAX_LINE_BYTES to read it)."
            )


def _has_line_end(content: _BytesContent | _FileContent, start: int, stop: int) -> bool:
    """Whether bytes ``start:stop`` hold a line end, read in small pieces (most hold one
    in their first piece, so little of the file is read)."""
    piece = _BLANK_BODY_PROBE
    for at in range(start, stop, piece):
        block = content.read(at, min(stop, at + piece))
        if b"\n" in block or b"\r" in block:
            return True
    return False


def _line_around(content: _BytesContent | _FileContent, at: int) -> tuple[int, int, int]:
    """The start and end byte of the line holding byte ``at``, and its line number."""
    step = 1 << 20
    begin = at
    while begin > 0:
        block = content.read(max(0, begin - step), begin)
        nl = block.rfind(b"\n")
        if nl >= 0:
            begin = begin - len(block) + nl + 1
            break
        begin -= len(block)
    end = at
    while end < content.size:
        block = content.read(end, min(content.size, end + step))
        nl = block.find(b"\n")
        if nl >= 0:
            end += nl
            break
        end += len(block)
    lines = 1
    for start in range(0, begin, step):
        lines += content.read(start, min(begin, start + step)).count(b"\n")
    return begin, end, lines


def _decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    if data.startswith(_UTF16_BOMS):
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
        encoding = "utf-8-sig" if data.startswith(_UTF8_BOM) else "utf-8"
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


def _read_fast(body: pa.NativeFile, sep: str, width: int, *, quotes: bool) -> pd.DataFrame | None:
    """pyarrow's reader, for regular files; None when the file needs the careful reader.

    Every line is a row (``ignore_empty_lines=False``), so row numbers stay those of the
    file: a blank line in a wider table is a column-count error, left to the careful
    reader, and in a one-column table an empty row, dropped like any blank line.
    """
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            body,
            read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK_SIZE),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=quotes, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                # pandas keeps Arrow text as large_string: read it so, not cast after.
                column_types={n: pa.large_string() for n in names},
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


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """A column of cells as an Arrow string array without nulls (missing reads as "")."""
    if values.dtype != _FAST_STR:
        values = values.astype(_FAST_STR)
    arr = values.array.__arrow_array__()
    return arr.fill_null("") if arr.null_count else arr


def _text_series(arr: pa.ChunkedArray | pa.Array, index: pd.Index | None = None) -> pd.Series:
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr], type=arr.type)
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index)


def _no_problems(index: pd.Index) -> pd.Series:
    """A column without problems: all missing, in Arrow (no object per cell to test)."""
    nulls = pa.chunked_array([pa.nulls(len(index), pa.large_string())])
    return pd.Series(pd.arrays.ArrowStringArray(nulls), index=index)


def _views(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A text chunk's offsets (one more than cells) and bytes, as numpy views (no copy)."""
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    _, offsets, data = chunk.buffers()
    offsets = np.frombuffer(offsets, dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data else np.zeros(0, np.uint8)


def _lengths(arr: pa.ChunkedArray) -> np.ndarray:
    """Each cell's length in bytes, from the offsets (missing cells: 0)."""
    out = np.empty(len(arr), dtype=np.int64)
    at = 0
    for chunk in arr.chunks:
        if len(chunk):
            offsets = _views(chunk)[0]
            np.subtract(offsets[1:], offsets[:-1], out=out[at : at + len(chunk)])
        at += len(chunk)
    return out


def _shape(arr: pa.ChunkedArray) -> tuple[bool, bool]:
    """Whether some cell may start or end with whitespace, and whether one is empty.

    From each cell's first and last byte: a printable ASCII one (``!`` to ``~``) is no
    whitespace; any other byte may be (an ASCII space or control, or a UTF-8 sequence).
    """
    edges = empty = False
    for chunk in arr.chunks:
        if not len(chunk):
            continue
        if edges and empty:
            break  # nothing more to learn
        offsets, data = _views(chunk)
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        if not filled.all():
            empty = True
            starts, ends = starts[filled], ends[filled]
        if not edges:
            # Bytes below "!" wrap around above "~" - "!": one comparison per byte.
            span = _PRINTABLE[1] - _PRINTABLE[0]
            edges = bool(
                ((data[starts] - _PRINTABLE[0]) > span).any()
                or ((data[ends - 1] - _PRINTABLE[0]) > span).any()
            )
    return edges, empty


def _nulls_where_empty(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Empty cells as missing; the text buffers are kept, only a validity bitmap is new."""
    chunks = []
    for chunk in arr.chunks:
        valid = pc.not_equal(pc.binary_length(chunk), 0)
        if chunk.offset or valid.offset or chunk.null_count:
            chunks.append(pc.if_else(valid, chunk, pa.scalar(None, chunk.type)))
            continue
        _, offsets, data = chunk.buffers()
        missing = len(chunk) - pc.sum(valid).as_py() if len(chunk) else 0
        chunks.append(
            pa.Array.from_buffers(
                chunk.type, len(chunk), [valid.buffers()[1], offsets, data], null_count=missing
            )
        )
    return pa.chunked_array(chunks, type=arr.type)


def _distinct(arr: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Codes into the distinct values, and those values in order of first appearance."""
    if not len(arr):
        return np.zeros(0, dtype=np.int32), pa.array([], type=arr.type)
    encoded = pc.dictionary_encode(arr).combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary


def _spread(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values[codes]`` on ``index``, in the dtype of ``values``."""
    if isinstance(values.dtype, np.dtype):
        return pd.Series(values.to_numpy()[codes], index=index, dtype=values.dtype)
    return pd.Series(values.array.take(codes), index=index)


def _spread_problems(problems: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    if not problems.notna().any():
        return _no_problems(index)
    return pd.Series(problems.to_numpy()[codes], index=index, dtype="string")


def _by_unique(
    values: pd.Series, parse: Callable[[pd.Series], tuple[pd.Series, pd.Series]]
) -> tuple[pd.Series, pd.Series]:
    """Parse the distinct values once and spread the results back over the column."""
    codes, uniques = _distinct(_arrow_text(values))
    # pyarrow-backed strings run the string methods in C++, not a Python loop per value.
    parsed, problems = parse(_text_series(uniques).str.strip())
    index = values.index
    return _spread(parsed, codes, index), _spread_problems(problems, codes, index)


def _merge(
    out: np.ndarray,
    fast: np.ndarray,
    cells: pa.ChunkedArray,
    index: pd.Index,
    parse_rest: Callable[[pd.Series], tuple[pd.Series, pd.Series]],
) -> tuple[np.ndarray, pd.Series]:
    """``out`` (read by a whole-column fast path where ``fast``) with the other cells read
    by ``parse_rest``, in place; and the problems."""
    rest = np.flatnonzero(~fast)
    if not len(rest):
        return out, _no_problems(index)
    parsed, problems = parse_rest(_text_series(cells.take(rest)))
    out[rest] = parsed.to_numpy()
    if not problems.notna().any():
        return out, _no_problems(index)
    spread = np.full(len(cells), pd.NA, dtype=object)
    spread[rest] = problems.to_numpy()
    return out, pd.Series(spread, index=index, dtype="string")


#: Control characters no text cell may hold: C0 controls but TAB, LF and CR, and DEL.
#: They are invisible in a spreadsheet, break Excel files (openpyxl refuses them) and can
#: drive a terminal (an escape sequence retitles or clears it).
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def control_characters(cells: pd.Series) -> np.ndarray:
    """Which cells hold a control character (:data:`_CONTROL`)."""
    arr = _arrow_text(cells)
    if not len(arr) or not any(_has_control_byte(chunk) for chunk in arr.chunks):
        # Most columns: one pass over the bytes (in UTF-8 no byte of a longer character
        # is below 0x80) clears them without a regex per cell.
        return np.zeros(len(arr), dtype=bool)
    return pc.match_substring_regex(arr, _CONTROL).to_numpy(zero_copy_only=False)


def _cell_bytes(chunk: pa.Array) -> np.ndarray:
    """The bytes of a text chunk's cells, end to end, as a numpy view (no copy)."""
    if not len(chunk):
        return np.zeros(0, np.uint8)
    offsets, data = _views(chunk)
    return data[offsets[0] : offsets[-1]]


def holds_byte(cells: pd.Series, byte: str) -> bool:
    """Whether some cell may hold the ASCII character ``byte``, from the column's bytes.

    One numpy pass over the text buffers (in UTF-8 an ASCII byte is that character, never
    part of a longer one): much cheaper than a substring kernel run cell by cell. May say
    True for the bytes of a missing cell, never False for a cell that holds it.
    """
    if cells.dtype != _FAST_STR:
        cells = cells.astype(_FAST_STR)
    code = ord(byte)
    return any((_cell_bytes(c) == code).any() for c in cells.array.__arrow_array__().chunks)


def _has_control_byte(chunk: pa.Array) -> bool:
    data = _cell_bytes(chunk)
    if not len(data):
        return False
    low = data < 0x20
    if low.any():
        low &= (data != 0x09) & (data != 0x0A) & (data != 0x0D)
    return bool(low.any() or (data == 0x7F).any())


def escape_controls(values: pd.Series) -> pd.Series:
    """The cells with each control character written as ``<0xNN>``, safe to print."""
    return values.astype(object).str.replace(
        _CONTROL, lambda m: f"<0x{ord(m.group(0)):02x}>", regex=True
    )


def longer_than(cells: pd.Series, limit: int) -> np.ndarray:
    """Which text cells hold more than ``limit`` characters."""
    arr = _arrow_text(cells)
    # A character is at least one byte: most columns are cleared by their byte lengths,
    # read from the offsets (no length array is built).
    longest = max((int(np.diff(_views(c)[0]).max()) for c in arr.chunks if len(c)), default=0)
    if longest <= limit:
        return np.zeros(len(arr), dtype=bool)
    return pc.greater(pc.utf8_length(arr), limit).to_numpy(zero_copy_only=False)


def parse_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text and ids: stripped, empty -> missing, as ``string[pyarrow]``.

    A column with nothing to strip and no empty cell keeps the file's own Arrow memory.
    """
    arr = _arrow_text(values)
    edges, empty = _shape(arr)
    if edges:
        arr = pc.utf8_trim_whitespace(arr)
        empty = pc.any(pc.equal(pc.binary_length(arr), 0)).as_py()
    if empty:
        arr = _nulls_where_empty(arr)
    return _text_series(arr, values.index), _no_problems(values.index)


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
    arr = _arrow_text(values)
    if sep != ";" and not holds_byte(values, ","):
        return False  # no comma votes, and the separator does not mean comma decimals
    u = _text_series(pc.unique(arr)).str.strip()
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
        # A separator that does not group thousands is a misread waiting to happen:
        # "12,00" in a decimal-point column is not 1,200, nor "1,2,3" 123.
        group, grouping = (".", _COMMA_DECIMAL_GROUPS) if decimal_comma else (",", _POINT_GROUPS)
        misgrouped = s.str.contains(group, regex=False) & ~s.str.fullmatch(grouping)
        if decimal_comma:
            s = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        else:
            s = s.str.replace(",", "", regex=False)
        well_formed = s.str.match(_PLAIN_NUMBER) & ~(negative & s.str.startswith("-")) & ~misgrouped
        nums = pd.to_numeric(s.where(well_formed), errors="coerce").astype("float64")
        nums = np.where(negative, -nums, nums)
        absurd = well_formed & ~(np.abs(nums) < MAX_ABS_AMOUNT)
        # + 0.0 turns -0.0 into 0.0.
        parsed = pd.Series(np.round(np.where(absurd, np.nan, nums), MONEY_DECIMALS) + 0.0)
        problems = pd.Series(pd.NA, index=u.index, dtype="string")
        problems = problems.mask((u != "") & ~well_formed, "not an amount")
        problems = problems.mask(
            misgrouped,
            "not an amount: points must group thousands in this column, which writes "
            "decimals with a comma (1.234,56)"
            if decimal_comma
            else "not an amount: commas must group thousands in this column, which writes "
            "decimals with a point (1,234.56); fix the cell, e.g. 12.00 for 12,00",
        )
        problems = problems.mask(absurd, f"amount too large (not below {MAX_ABS_AMOUNT:,.0f})")
        return parsed, problems

    if decimal_comma:
        return _by_unique(values, parse)
    # Cells that are plain numbers to the cent (or empty) are cast in C++, the others
    # read by the general parser over their distinct values: both read such a cell to
    # the same cent, and nothing here is decided from the whole column.
    arr = _arrow_text(values)
    lengths = _lengths(arr)
    filled = np.flatnonzero(lengths)
    if len(filled) * 2 < len(arr):
        # A mostly empty column (promise or plan amounts): match only the filled cells.
        plain = np.zeros(len(arr), dtype=bool)
        plain[filled] = pc.match_substring_regex(arr.take(filled), _PLAIN_CENTS).to_numpy(
            zero_copy_only=False
        )
    else:
        plain = pc.match_substring_regex(arr, _PLAIN_CENTS).to_numpy(zero_copy_only=False)
    del filled
    fast = plain | (lengths == 0)
    # Missing (NaN) where not plain: an empty cell, or one the general parser reads.
    if plain.all():
        out = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        if not out.flags.writeable:
            out = out.copy()
    else:
        out = np.full(len(arr), np.nan)
        rows = np.flatnonzero(plain)
        out[rows] = pc.cast(arr.take(rows), pa.float64()).to_numpy(zero_copy_only=False)
        del rows
    del plain
    np.round(out, MONEY_DECIMALS, out=out)
    out += 0.0  # turns -0.0 into 0.0
    out, problems = _merge(out, fast, arr, values.index, lambda rest: _by_unique(rest, parse))
    return pd.Series(out, index=values.index, dtype="float64"), problems


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
    scan: DateScan | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Dates in ISO, D/M/Y or M/D/Y, ``23 Nov 2026``, ``26-Apr-11``, ``DD-MM-YYYY HH:MM``.

    Day-first or month-first is decided from the whole column (``where`` names it in
    messages), never value by value. ``scan`` is the column's :func:`scan_dates` (made
    with the same ``date_format``) when the caller has it already; it is used up.

    Raises
    ------
    AmbiguousDateError
        Numeric dates that read both ways and neither ``dayfirst`` nor ``date_format``.
    ParseError
        A column that holds both day-first and month-first dates.
    """
    arr = _arrow_text(values)
    if scan is None:
        scan = scan_dates(values, date_format=rule.date_format)
    seconds, seen, fast = scan.seconds, scan.seen, scan.fast
    if not with_time:
        seconds //= _DAY_SECONDS
        seconds *= _DAY_SECONDS
    seconds *= _NS_PER_SECOND
    out = seconds.view("datetime64[ns]")
    out[~scan.good] = np.datetime64("NaT", "ns")
    del scan, seconds

    def parse_rest(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
        codes, uniques = _distinct(_arrow_text(cells))
        u = _text_series(uniques).astype(object).str.strip()
        if rule.date_format is not None:
            parsed, problems = _parse_dates_format(u, rule.date_format)
        else:
            iso_format = _whole_column_iso_format(u, seen)
            if iso_format is not None:
                parsed, problems = _parse_dates_iso(u, iso_format)
            else:
                parsed, problems = _parse_dates_auto(u, rule.dayfirst, rule.file_dayfirst, where)
        if not with_time:
            parsed = parsed.dt.normalize()
        parsed = parsed.astype("datetime64[ns]")
        return (
            pd.Series(parsed.to_numpy()[codes], dtype="datetime64[ns]"),
            pd.Series(problems.to_numpy()[codes], dtype="string"),
        )

    out, problems = _merge(out, fast, arr, values.index, parse_rest)
    return pd.Series(out, index=values.index, dtype="datetime64[ns]"), problems


@dataclass(frozen=True)
class DateScan:
    """A date column's cells in a strict ISO layout, read by pyarrow (:func:`scan_dates`)."""

    #: Cells read: in a layout, a real date, in MIN_YEAR..MAX_YEAR.
    good: np.ndarray
    #: Their seconds since 1970 (0 elsewhere); :func:`parse_dates` turns it into its result.
    seconds: np.ndarray
    #: The layouts of the cells read.
    seen: frozenset[_IsoLayout]
    #: Cells read, or empty: the others are left to the general parsers.
    fast: np.ndarray


def scan_dates(values: pd.Series, *, date_format: str | None = None) -> DateScan:
    """The whole-column pass of :func:`parse_dates`, also what :func:`dayfirst_evidence` skips.

    Cells in a strict ISO layout (YYYY-MM-DD, or with HH:MM:SS; with ``date_format``,
    only the one it names) are read by pyarrow's ISO parser, which refuses impossible
    dates: a date it reads, every other parser reads the same. The other cells, and the
    ISO ones it refuses or that fall outside MIN_YEAR..MAX_YEAR, are left to the general
    parsers, over their distinct values. Empty cells are missing, without a problem, in
    every parser: they need none.
    """
    arr = _arrow_text(values)
    layouts = tuple(
        lay for lay in (_ISO_DATE, _ISO_SECONDS) if date_format is None or lay.format == date_format
    )
    good, seconds, seen, empty = _iso_cells(arr, layouts)
    return DateScan(good, seconds, seen, good | empty)


@dataclass(frozen=True)
class _IsoLayout:
    pattern: str
    format: str
    length: int


#: The ISO layouts read by pyarrow over a whole column (the common exports).
_ISO_DATE = _IsoLayout(r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d", 10)
_ISO_SECONDS = _IsoLayout(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "%Y-%m-%d %H:%M:%S", 19)
#: (position, byte) of the separators in YYYY-MM-DD, and of those after it in " hh:mm:ss".
_DATE_SEPARATORS = ((4, ord("-")), (7, ord("-")))
_TIME_SEPARATORS = ((10, ord(" ")), (13, ord(":")), (16, ord(":")))
#: Cells cast per piece of this many when one of a column's cells stops the whole cast.
_CAST_PIECE = 1 << 16
_DAY_SECONDS = 86_400
_NS_PER_SECOND = 1_000_000_000
_FIRST_SECOND = int(pd.Timestamp(f"{MIN_YEAR}-01-01").timestamp())
_END_SECOND = int(pd.Timestamp(f"{MAX_YEAR + 1}-01-01").timestamp())


def _iso_cells(
    arr: pa.ChunkedArray, layouts: tuple[_IsoLayout, ...]
) -> tuple[np.ndarray, np.ndarray, frozenset[_IsoLayout], np.ndarray]:
    """The cells in one of ``layouts`` that pyarrow reads as a date in MIN_YEAR..MAX_YEAR.

    Returns their mask, their seconds since 1970 (0 elsewhere), the layouts they use,
    and which cells are empty.
    """
    n = len(arr)
    lengths, iso = _iso_shaped(arr, layouts)
    empty = lengths == 0
    good, out = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    count = int(np.count_nonzero(iso))
    if not count:
        return good, out, frozenset(), empty
    if count == n:
        # The usual dated column, every cell in a layout: no gathering and scattering.
        seconds, good = _cast_seconds(arr)
        good &= (seconds >= _FIRST_SECOND) & (seconds < _END_SECOND)
        out = seconds if good.all() and seconds.flags.writeable else np.where(good, seconds, 0)
    else:
        seconds, ok = _cast_seconds(arr.filter(pa.array(iso)))
        ok &= (seconds >= _FIRST_SECOND) & (seconds < _END_SECOND)
        good[iso] = ok
        out[good] = seconds[ok]
    lengths = lengths[good]
    seen = frozenset(lay for lay in layouts if (lengths == lay.length).any())
    return good, out, seen, empty


def _iso_shaped(
    arr: pa.ChunkedArray, layouts: tuple[_IsoLayout, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's length in bytes, and whether it has a layout's length and separators.

    The digits are left to pyarrow's ISO parser: it reads YYYY-MM-DD, then optionally
    a space or T and hh, :mm, :ss, a fraction or a zone. A cell of 10 bytes with "-" at 4
    and 7 that it reads is YYYY-MM-DD; one of 19 with also " " at 10 and ":" at 13 and
    16 is YYYY-MM-DD hh:mm:ss: no other form it reads has those bytes there.
    """
    lengths = np.empty(len(arr), dtype=np.int64)
    shaped = np.zeros(len(arr), dtype=bool)
    at = 0
    for chunk in arr.chunks:
        size = len(chunk)
        if not size:
            continue
        offsets, data = _views(chunk)
        starts = offsets[:-1]
        length = lengths[at : at + size]
        np.subtract(offsets[1:], starts, out=length)
        ok = np.zeros(size, dtype=bool)
        for layout in layouts:
            ok |= length == layout.length
        # The separators of the cells of a layout's length only (in most date columns
        # all or almost none of them): the byte at each position, then one verdict.
        hit = np.flatnonzero(ok) if not ok.all() else None
        first = starts if hit is None else starts[hit]
        verdict = np.ones(len(first), dtype=bool)
        for pos, byte in _DATE_SEPARATORS:
            verdict &= data[first + pos] == byte
        if _ISO_SECONDS in layouts:
            timed = (length if hit is None else length[hit]) == _ISO_SECONDS.length
            if timed.any():
                at_time = first if timed.all() else first[timed]
                time_ok = np.ones(len(at_time), dtype=bool)
                for pos, byte in _TIME_SEPARATORS:
                    time_ok &= data[at_time + pos] == byte
                if timed.all():
                    verdict &= time_ok
                else:
                    verdict[np.flatnonzero(timed)[~time_ok]] = False
        if hit is None:
            ok = verdict
        else:
            ok[hit] = verdict
        shaped[at : at + size] = ok
        at += size
    return lengths, shaped


def _cast_seconds(cells: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """pyarrow's strict ISO cast to seconds since 1970, and where it read the cell."""
    try:
        stamps = pc.cast(cells, pa.timestamp("s")).cast(pa.int64())
        return stamps.to_numpy(zero_copy_only=False), np.ones(len(cells), dtype=bool)
    except ArrowInvalid:
        pass
    # A cell like 2024-02-30 stops the cast of the whole column: cast piece by piece and
    # leave the pieces holding such a cell to the parsers of the other cells.
    seconds = np.zeros(len(cells), dtype=np.int64)
    ok = np.zeros(len(cells), dtype=bool)
    for start in range(0, len(cells), _CAST_PIECE):
        piece = cells.slice(start, _CAST_PIECE)
        try:
            stamps = pc.cast(piece, pa.timestamp("s")).cast(pa.int64())
        except ArrowInvalid:
            continue
        seconds[start : start + len(piece)] = stamps.to_numpy(zero_copy_only=False)
        ok[start : start + len(piece)] = True
    return seconds, ok


def _whole_column_iso_format(u: pd.Series, seen: frozenset[_IsoLayout]) -> str | None:
    """The one ISO layout every filled cell of a column is in, if there is one.

    ``u`` holds the (stripped) cells the fast path did not read, ``seen`` the layouts of
    the cells it did. A column all in one layout reads its odd cells by strptime in that
    layout (2024-02-30 is "not a date"); any other column reads them with the general
    parser.
    """
    filled = u[u != ""].astype(_FAST_STR)
    for layout in (_ISO_DATE, _ISO_SECONDS):
        if not seen - {layout} and filled.str.fullmatch(layout.pattern).all():
            return layout.format
    return None


def _parse_dates_format(u: pd.Series, date_format: str) -> tuple[pd.Series, pd.Series]:
    """Distinct values in the user's ``date_format``."""
    parsed = pd.to_datetime(u, format=date_format, errors="coerce")
    bad = (u != "") & parsed.isna()
    problems = pd.Series(pd.NA, index=u.index, dtype="string").mask(
        bad, f"not a date in the format {date_format!r}"
    )
    years = parsed.dt.year
    out_of_range = parsed.notna() & ((years < MIN_YEAR) | (years > MAX_YEAR))
    problems = problems.mask(out_of_range.to_numpy(), _OUT_OF_RANGE)
    parsed = parsed.mask(out_of_range.to_numpy())
    return parsed, problems


def _parse_dates_iso(u: pd.Series, iso_format: str) -> tuple[pd.Series, pd.Series]:
    """Distinct values of a column all in one ISO layout: one strptime pass."""
    filled = u != ""
    stamp = pd.to_datetime(u.where(filled), format=iso_format, errors="coerce")
    year = pd.to_numeric(u.str[:4].where(filled), errors="coerce")
    outside = filled & ~year.between(MIN_YEAR, MAX_YEAR)
    problems = pd.Series(pd.NA, index=u.index, dtype="string")
    problems = problems.mask(filled & stamp.isna(), "not a date").mask(outside, _OUT_OF_RANGE)
    return stamp.mask(outside), problems


def dayfirst_evidence(values: pd.Series, *, scan: DateScan | None = None) -> bool | None:
    """True/False when a column's numeric dates decide day-first/month-first, else None.

    With the column's :func:`scan_dates`, the cells it read (ISO or empty: no evidence)
    are not looked at again.
    """
    arr = _arrow_text(values)
    if scan is not None:
        if scan.fast.all():
            return None
        arr = arr.take(np.flatnonzero(~scan.fast))
    # Only a cell that starts (stripped) with one or two digits and a separator ("12/")
    # can be a numeric date. Leave out, in C++, the empty cells and those that start with
    # a letter or three digits (ISO dates): the Python regex sees the few others only.
    others = pc.invert(pc.match_substring_regex(arr, r"^(?:$|[0-9]{3}|[A-Za-z])"))
    if not pc.any(others).as_py():
        return None
    u = _text_series(pc.unique(arr.filter(others))).astype(object).str.strip()
    u = u[u.astype(_FAST_STR).str.match(r".{1,2}[-/.]").to_numpy(dtype=bool)]
    numeric = u.str.extract(_NUMERIC)
    a, b = numeric["a"].astype(float), numeric["b"].astype(float)
    day, month = bool((a > 12).any()), bool((b > 12).any())
    return day if day != month else None


def _parse_dates_auto(
    u: pd.Series, dayfirst: bool | None, file_dayfirst: bool | None, where: str
) -> tuple[pd.Series, pd.Series]:
    """Distinct values in any layout the package reads, with the day-month order decided."""
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
    # An impossible time would roll over (25:30 into the next day): refuse it instead.
    bad_time = (
        (hour > np.where(pm | am, 12, 23))
        | ((pm | am) & (hour < 1))
        | (nums["M"].fillna(0) > 59)
        | (nums["S"].fillna(0) > 59)
    ).to_numpy()
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
    stamp = stamp.mask(bad_time)
    problems = problems.mask((u != "") & stamp.isna(), "not a date")
    problems = problems.mask(year.notna() & ~in_range, _OUT_OF_RANGE)
    problems = problems.mask(bad_time, "not a time of day (hours 00-23, minutes and seconds 00-59)")
    return stamp, problems


def first_cell_matching(rows: Sequence[Sequence[str]], pattern: re.Pattern) -> re.Match | None:
    """The first match of ``pattern`` in the cells of a few preamble rows (for as-of dates)."""
    for cells in rows:
        for cell in cells:
            found = pattern.search(cell.strip())
            if found:
                return found
    return None
