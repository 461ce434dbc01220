"""Excel workbooks for people: formats, frozen headers, safe text, same bytes every run.

A workbook is written with openpyxl into a temporary file beside the target and moved
over it only once complete (:func:`arcalls._export.atomic_path`). Text that a
spreadsheet would run as a formula is stored as a plain string cell, so a customer
named ``=HYPERLINK(...)`` shows as that text. The zip members carry a fixed timestamp
and the document properties a fixed date, so that the same tables give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._export import FORMULA_PREFIXES, atomic_path

#: Excel number formats used by the call list (and any other workbook export).
MONEY_FORMAT = '"$"#,##0.00'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"

#: Column widths (in characters) are fitted to the content within these bounds.
MIN_WIDTH, MAX_WIDTH = 6, 60

#: The earliest timestamp a zip member can carry (the zip format's epoch).
_ZIP_EPOCH = dt.datetime(1980, 1, 1)

#: Background of the header cells of the columns a caller fills in (pale yellow).
ENTRY_FILL = "FFF2CC"
#: Column widths of a layout sheet (first column, then every other column).
LAYOUT_WIDTHS = (18, 16)
#: Kinds of entry column and the Excel number format each gets.
ENTRY_FORMATS = {
    "datetime": DATETIME_FORMAT,
    "later_datetime": DATETIME_FORMAT,
    "date": DATE_FORMAT,
    "money": MONEY_FORMAT,
    "choice": None,
    "text": None,
}
#: Width (characters) of each kind of entry column, before the header's own need.
ENTRY_WIDTHS = {
    "datetime": 16,
    "later_datetime": 16,
    "date": 11,
    "money": 11,
    "choice": 13,
    "text": 30,
}


@dataclass(frozen=True)
class EntryColumn:
    """An empty column for a person to fill in, with Excel data validation.

    Attributes
    ----------
    name : str
        Header.
    kind : {"datetime", "later_datetime", "date", "money", "choice", "text"}
        ``datetime``/``date``: a date on or after ``earliest`` (and, for
        ``datetime``, not after today); ``later_datetime``: a date and time on or after
        ``earliest``, any time ahead (a callback); ``money``: a number > 0; ``choice``: one of
        ``choices`` from a drop-down; ``text``: anything.
    prompt : str
        The hint Excel shows when the cell is selected.
    choices : tuple of str
        The drop-down values of a ``choice`` column.
    earliest : date, optional
        The earliest date a ``date``/``datetime`` column accepts.
    """

    name: str
    kind: str
    prompt: str = ""
    choices: tuple[str, ...] = ()
    earliest: dt.date | None = None


class _FixedTimeZipFile(zipfile.ZipFile):
    """A ZipFile whose members all carry one timestamp, so output bytes do not drift."""

    def __init__(self, *args, date_time: tuple[int, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self._date_time = date_time

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            zinfo.compress_type = self.compression
            zinfo.external_attr = 0o600 << 16
            zinfo_or_arcname = zinfo
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl streams each worksheet through a temporary file, whose mtime would
        # otherwise end up in the archive.
        with open(filename, "rb") as fh:
            data = fh.read()
        self.writestr(arcname or os.path.basename(filename), data, compress_type, compresslevel)


def write_workbook(
    sheets: Mapping[str, pd.DataFrame],
    path: str | os.PathLike,
    *,
    formats: Mapping[str, str] | None = None,
    timestamp: dt.datetime | pd.Timestamp | None = None,
    entry_columns: Mapping[str, Sequence[EntryColumn]] | None = None,
    layouts: Mapping[str, pd.DataFrame] | None = None,
    properties: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    entry_at: Mapping[str, int] | None = None,
    printed_columns: Mapping[str, int] | None = None,
    more_entry_columns: Mapping[str, Sequence[EntryColumn]] | None = None,
) -> Path:
    """Write DataFrames as the sheets of one .xlsx workbook, atomically.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name -> table, in sheet order. Each sheet gets a bold, wrapped, frozen
        header row, an auto-filter and column widths fitted to its content.
    path : path-like
        The .xlsx file to write; the previous file stays untouched if writing fails.
    formats : mapping of str to str, optional
        Column name -> Excel number format (e.g. :data:`MONEY_FORMAT`), applied in
        every sheet that has the column.
    timestamp : datetime, optional
        Creation/modification date stored in the workbook and its zip members; fixed
        (1980-01-01 when omitted) so that the same tables give the same bytes.
    entry_columns : mapping of str to sequence of EntryColumn, optional
        Sheet name -> empty columns added to that table for a person to fill in (after
        its last column, or at ``entry_at``): highlighted header, every data cell
        filled, bordered and unlocked, data validation on every data row.
    layouts : mapping of str to DataFrame, optional
        Free-form sheets written after the tables: each row of the frame is a row of
        the sheet (no header row). A ``style`` column, when present, is not written
        but styles the row: ``title`` (bold, larger), ``section`` (bold), ``header``
        (italic) or empty. Cells are formatted by type: floats as money, timestamps
        as dates (with the time when not midnight).
    properties : mapping of str to str, optional
        Custom document properties (File > Properties > Custom), e.g. the as-of date
        of a list, so that a program reading the workbook back can find it.
    headers : mapping of str to str, optional
        Column (or entry column) name -> the header shown in Excel (default: the name).
    entry_at : mapping of str to int, optional
        Sheet name -> the position among the table's columns where its entry columns
        go (default: after the last one). The panes of such a sheet are frozen after
        the entry columns, so that the columns left of them and the entry cells stay
        in view while scrolling right.
    printed_columns : mapping of str to int, optional
        Sheet name -> how many of the table's first columns (plus its entry columns)
        are printed (default: all).
    more_entry_columns : mapping of str to sequence of EntryColumn, optional
        Sheet name -> entry columns used now and then (a payment plan's terms, who
        pays), marked and validated as the others but placed right after the printed
        columns: on screen, not on paper, so that a printed list stays readable.

    Every table sheet prints landscape, fitted to the page width, with narrow margins,
    its header row repeated on every page and the print area set to the table. A layout
    sheet prints one block per page (a page break before each ``title`` row but the
    first), fitted to the width; long text is wrapped across the remaining columns.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        When the folder is missing or cannot be written.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> frame = pd.DataFrame({"name": ["=1+1", "Acme"], "owed": [12.5, -3.0]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_workbook({"Owed": frame}, f"{folder}/x.xlsx",
    ...                          formats={"owed": MONEY_FORMAT})
    ...     ws = openpyxl.load_workbook(out)["Owed"]
    ...     [(c.value, c.data_type) for c in ws["A"]]
    [('name', 's'), ('=1+1', 's'), ('Acme', 's')]
    """
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    formats = dict(formats or {})
    stamp = _ZIP_EPOCH if timestamp is None else max(pd.Timestamp(timestamp), _ZIP_EPOCH)
    stamp = pd.Timestamp(stamp).to_pydatetime().replace(tzinfo=None, microsecond=0)

    wb = Workbook()
    wb.remove(wb.active)
    shown = dict(headers or {})
    for name, frame in sheets.items():
        entries = tuple((entry_columns or {}).get(name, ()))
        at = (entry_at or {}).get(name)
        _add_table_sheet(
            wb.create_sheet(title=name),
            _storable(frame),
            formats=formats,
            headers=shown,
            entries=entries,
            more=tuple((more_entry_columns or {}).get(name, ())),
            at=len(frame.columns) if at is None else min(max(int(at), 0), len(frame.columns)),
            freeze_entries=at is not None,
            printed=(printed_columns or {}).get(name),
        )
    for name, layout in (layouts or {}).items():
        _add_layout_sheet(wb.create_sheet(title=name), layout)
    if properties:
        from openpyxl.packaging.custom import StringProperty

        for key, value in properties.items():
            wb.custom_doc_props.append(StringProperty(name=key, value=_storable_text(str(value))))

    wb.properties.creator = "arcalls"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buffer = io.BytesIO()
    archive = _FixedTimeZipFile(
        buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True, date_time=stamp.timetuple()[:6]
    )
    ExcelWriter(wb, archive).save()
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return Path(path)


#: Page margins (inches) of every printed sheet: narrow, as Excel's "Narrow" preset.
PRINT_MARGINS = {
    "left": 0.25,
    "right": 0.25,
    "top": 0.5,
    "bottom": 0.5,
    "header": 0.3,
    "footer": 0.3,
}
#: Thin grey border drawn around every entry cell.
ENTRY_BORDER = "BFBFBF"


def _print_setup(ws, *, landscape: bool, area: str | None, title_rows: str | None) -> None:
    """Fit to the page width (as many pages down as needed), margins, repeated header."""
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(**PRINT_MARGINS)
    if title_rows:
        ws.print_title_rows = title_rows
    if area:
        ws.print_area = area


def _add_table_sheet(
    ws,
    frame: pd.DataFrame,
    *,
    formats: Mapping[str, str],
    headers: Mapping[str, str],
    entries: Sequence[EntryColumn],
    at: int,
    freeze_entries: bool,
    printed: int | None = None,
    more: Sequence[EntryColumn] = (),
) -> None:
    """One table with its entry columns (at position ``at``, and ``more`` of them after
    the printed columns), written in one pass."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    n, k, k2 = len(frame), len(entries), len(more)
    names = [str(c) for c in frame.columns]
    # The second block goes after the printed columns (the table's end without them).
    at2 = len(names) if printed is None else min(max(printed, at), len(names))
    # Sheet column (1-based) of each table column: the entry blocks sit at ``at``, ``at2``.
    position = [j + 1 + (k if j >= at else 0) + (k2 if j >= at2 else 0) for j in range(len(names))]
    head = [headers.get(c, c) for c in names]

    def spliced(values, first, second):
        return values[:at] + first + values[at:at2] + second + values[at2:]

    row1 = spliced(
        head,
        [headers.get(e.name, e.name) for e in entries],
        [headers.get(e.name, e.name) for e in more],
    )
    ws.append([_storable_text(h) for h in row1])
    bold = Font(bold=True)
    wrapped = Alignment(wrap_text=True, vertical="top")
    for j in range(1, len(row1) + 1):
        cell = ws.cell(row=1, column=j)
        cell.font = bold
        cell.alignment = wrapped
    ws.row_dimensions[1].height = LINE_HEIGHT * HEADER_LINES + 2
    gap, gap2 = [None] * k, [None] * k2
    for row in _python_rows(frame):
        ws.append(spliced(row, gap, gap2) if k or k2 else row)
    for j, col in zip(position, frame.columns, strict=True):
        letter = get_column_letter(j)
        number_format = formats.get(col)
        risky = np.flatnonzero(_formula_like(frame[col]))
        if number_format is not None:
            for r in range(2, n + 2):
                ws.cell(row=r, column=j).number_format = number_format
        # openpyxl turns text starting with "=" into a formula: force a string cell,
        # and quotePrefix keeps Excel from re-reading it as one when edited.
        for i in risky:
            cell = ws.cell(row=int(i) + 2, column=j)
            cell.data_type = "s"
            cell.quotePrefix = True
        ws.column_dimensions[letter].width = _width(frame[col], headers.get(col, str(col)))
    if k:
        _add_entry_columns(ws, entries, first=at + 1, rows=n, headers=headers)
    if k2:
        _add_entry_columns(ws, more, first=at2 + k + 1, rows=n, headers=headers)
    width = len(names) + k + k2
    frozen = at + k if (k and freeze_entries) else 0
    ws.freeze_panes = f"{get_column_letter(frozen + 1)}2"
    if width:
        last = f"{get_column_letter(width)}{n + 1}"
        ws.auto_filter.ref = f"A1:{last}"
        shown = width if printed is None else min(max(printed, 1) + k, width)
        area = f"A1:{get_column_letter(shown)}{n + 1}"
        _print_setup(ws, landscape=True, area=area, title_rows="1:1")


def _storable_text(text: str) -> str:
    """``text`` without the control characters an .xlsx cannot hold (openpyxl refuses
    them: C0 controls but tab, newline and carriage return)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`_storable_text` applied to its text cells (a copy if needed)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out = frame
    for col in frame.columns:
        s = frame[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        try:
            bad = s.str.contains(ILLEGAL_CHARACTERS_RE, na=False).to_numpy(dtype=bool)
        except AttributeError:  # no text in this column
            continue
        if bad.any():
            if out is frame:
                out = frame.copy()
            cleaned = s[bad].str.replace(ILLEGAL_CHARACTERS_RE, "", regex=True)
            out[col] = s.astype("object").mask(bad, cleaned.astype("object"))
    return out


def _python_rows(frame: pd.DataFrame) -> list[list]:
    """The frame's rows as Python values openpyxl can store (None for missing)."""
    columns = [
        frame[col].astype(object).where(frame[col].notna(), None).tolist() for col in frame.columns
    ]
    return [list(r) for r in zip(*columns, strict=True)] if columns else []


def _formula_like(s: pd.Series) -> np.ndarray:
    if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
        return np.zeros(len(s), dtype=bool)
    text = s.astype("string")
    return text.str.startswith(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)


def _width(s: pd.Series, header: str) -> float:
    if pd.api.types.is_datetime64_any_dtype(s):
        longest = 10
    elif pd.api.types.is_float_dtype(s):
        # Money shows as $1,234.56: digits plus sign, separators and cents.
        biggest = float(s.abs().max()) if s.notna().any() else 0.0
        longest = len(f"${biggest:,.2f}") + 1
    else:
        lengths = s.astype("string").str.len()
        longest = int(lengths.max()) if lengths.notna().any() else 0
    return float(min(max(longest, _header_room(header), MIN_WIDTH) + 2, MAX_WIDTH))


def _header_room(header: str) -> int:
    """Characters a header needs when wrapped on :data:`HEADER_LINES` lines."""
    room = max((len(w) for w in header.split()), default=0)
    while _wrapped_lines(header, room + 2) > HEADER_LINES:
        room += 1
    return room


#: Lines a table's header row holds (headers are wrapped, the row made this tall).
HEADER_LINES = 2


def read_properties(path: str | os.PathLike) -> dict[str, str]:
    """The custom document properties of a workbook (``{}`` when it has none)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return {p.name: str(p.value) for p in wb.custom_doc_props}
    finally:
        wb.close()


def _add_entry_columns(
    ws,
    entries: Sequence[EntryColumn],
    *,
    first: int,
    rows: int,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Empty, unlocked, validated, marked columns from column ``first`` on, for ``rows`` rows."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter

    fill = PatternFill("solid", start_color=ENTRY_FILL, end_color=ENTRY_FILL)
    side = Side(style="thin", color=ENTRY_BORDER)
    border = Border(left=side, right=side, top=side, bottom=side)
    unlocked = Protection(locked=False)
    for j, entry in enumerate(entries, start=first):
        letter = get_column_letter(j)
        shown = (headers or {}).get(entry.name, entry.name)
        head = ws.cell(row=1, column=j, value=_storable_text(shown))
        head.font = Font(bold=True)
        head.fill = fill
        head.border = border
        head.alignment = Alignment(wrap_text=True, vertical="top")
        room = max(_header_room(shown), ENTRY_WIDTHS[entry.kind])
        ws.column_dimensions[letter].width = float(min(room + 2, MAX_WIDTH))
        if not rows:
            continue
        number_format = ENTRY_FORMATS[entry.kind]
        for i in range(2, rows + 2):
            cell = ws.cell(row=i, column=j)
            cell.protection = unlocked
            cell.fill = fill
            cell.border = border
            if number_format:
                cell.number_format = number_format
        validation = _validation(entry, shown)
        if validation is None:
            continue
        validation.add(f"{letter}2:{letter}{rows + 1}")
        ws.add_data_validation(validation)


def _validation(entry: EntryColumn, shown: str | None = None):
    """The Excel data validation of an entry column (None for free text)."""
    shown = shown or entry.name
    from openpyxl.worksheet.datavalidation import DataValidation

    options = {"allow_blank": True, "showErrorMessage": True, "showInputMessage": True}
    if entry.kind == "choice":
        validation = DataValidation(
            type="list", formula1='"' + ",".join(entry.choices) + '"', **options
        )
        error = "Pick one of: " + ", ".join(entry.choices)
    elif entry.kind in {"date", "datetime", "later_datetime"}:
        earliest = entry.earliest or _ZIP_EPOCH.date()
        low = f"DATE({earliest.year},{earliest.month},{earliest.day})"
        if entry.kind == "datetime":
            # A call cannot be logged before it happened: up to the end of today.
            validation = DataValidation(
                type="date", operator="between", formula1=low, formula2="TODAY()+1", **options
            )
            error = f"Enter the date and time of the call, from {earliest} to now."
        elif entry.kind == "later_datetime":
            validation = DataValidation(
                type="date", operator="greaterThanOrEqual", formula1=low, **options
            )
            error = f"Enter a date and time on or after {earliest}, e.g. {earliest} 14:00."
        else:
            validation = DataValidation(
                type="date", operator="greaterThanOrEqual", formula1=low, **options
            )
            error = f"Enter a date on or after {earliest}."
    elif entry.kind == "money":
        validation = DataValidation(type="decimal", operator="greaterThan", formula1="0", **options)
        error = "Enter an amount greater than 0."
    else:
        return None
    validation.errorTitle = f"Invalid {shown}"[:32]
    validation.error = error
    if entry.prompt:
        validation.promptTitle = shown[:32]
        validation.prompt = entry.prompt[:255]
    return validation


def _add_layout_sheet(ws, layout: pd.DataFrame) -> None:
    """Write a free-form layout (see :func:`write_workbook`) into ``ws``, in one pass.

    Row numbers are counted here, never asked of the sheet (``ws.max_row`` and ``ws[r]``
    walk every cell written so far, which made this quadratic). The last filled cell of a
    row, when its text is longer than its column, is merged through the last column and
    wrapped, with the row tall enough for its lines; each ``title`` row but the first
    starts a new printed page.
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break

    styles = (
        layout["style"].fillna("").astype(str).tolist() if "style" in layout else [""] * len(layout)
    )
    values = layout.drop(columns=["style"], errors="ignore")
    width = values.shape[1]
    widths = _layout_widths(values)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    fonts = {
        "title": Font(bold=True, size=13),
        "section": Font(bold=True),
        "header": Font(italic=True),
    }
    top = Alignment(vertical="top")
    last_letter = get_column_letter(max(width, 1))
    r = 0
    for style, row in zip(styles, _python_rows(values), strict=True):
        r += 1
        if style == "title" and r > 1:
            ws.row_breaks.append(Break(id=r - 1))
        cells = [_cell_value(v) for v in row]
        filled = [j for j, v in enumerate(cells) if v is not None]
        for j in filled:
            value = cells[j]
            cell = ws.cell(row=r, column=j + 1, value=value)
            if isinstance(value, str):
                if value.startswith(FORMULA_PREFIXES):
                    cell.data_type = "s"
                    cell.quotePrefix = True
            elif isinstance(value, float):
                cell.number_format = MONEY_FORMAT
            elif isinstance(value, dt.datetime):
                has_time = value.time() != dt.time()
                cell.number_format = DATETIME_FORMAT if has_time else DATE_FORMAT
            if style in fonts:
                cell.font = fonts[style]
        tallest = 1
        for at, j in enumerate(filled):
            text = cells[j]
            if not isinstance(text, str) or len(text) <= widths[j]:
                continue
            end = filled[at + 1] if at + 1 < len(filled) else width
            cell = ws.cell(row=r, column=j + 1)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if end > j + 1:
                _merge(ws, f"{get_column_letter(j + 1)}{r}:{get_column_letter(end)}{r}")
            tallest = max(tallest, _wrapped_lines(text, sum(widths[j:end])))
        if tallest > 1:
            height = fonts["title"].size if style == "title" else 11
            ws.row_dimensions[r].height = LINE_HEIGHT * height / 11 * tallest + 2
            # In a tall row the short cells sit at the top, beside the wrapped text's start.
            for j in filled:
                cell = ws.cell(row=r, column=j + 1)
                if not cell.alignment.wrap_text:
                    cell.alignment = top
    _print_setup(
        ws,
        landscape=False,
        area=f"A1:{last_letter}{max(r, 1)}",
        title_rows=None,
    )


def _layout_widths(values: pd.DataFrame) -> list[float]:
    """Column widths of a layout: :data:`LAYOUT_WIDTHS` at least, wide enough for the
    texts that cannot spill over or wrap across the next cells (a filled cell follows
    them on their row, e.g. a phone number before "Best time"), up to
    :data:`MAX_LAYOUT_WIDTH`."""
    out = []
    filled = values.notna().to_numpy()
    for j in range(values.shape[1]):
        low = float(LAYOUT_WIDTHS[0] if j == 0 else LAYOUT_WIDTHS[1])
        blocked = filled[:, j] & filled[:, j + 1 :].any(axis=1)
        try:  # .str.len() counts text only: numbers and dates give NaN
            lengths = values.iloc[:, j][blocked].str.len()
        except AttributeError:  # no text at all in the column
            lengths = pd.Series(dtype="float64")
        longest = int(lengths.max()) if lengths.notna().any() else 0
        out.append(float(min(max(low, longest + 2), MAX_LAYOUT_WIDTH)))
    return out


#: The widest a layout column grows for its texts (longer ones wrap).
MAX_LAYOUT_WIDTH = 30


def _merge(ws, coord: str) -> None:
    """``ws.merge_cells(coord)`` without its check against every range merged so far
    (a loop over them all: merging a range per account made the call sheets quadratic).
    The layout merges at most one range per cell, never overlapping ones."""
    from openpyxl.worksheet.merge import MergedCellRange

    merged = MergedCellRange(ws, coord)
    ws.merged_cells.ranges.add(merged)
    ws._clean_merge_range(merged)


#: Points per wrapped line of text (11 pt font), for the height of wrapped rows.
LINE_HEIGHT = 15.0


def _wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` needs in a cell ``width`` characters wide, wrapping at spaces."""
    room = max(int(width) - 2, 1)
    lines = 0
    for paragraph in text.split("\n"):
        length = 0
        lines += 1
        for word in paragraph.split(" "):
            need = len(word) if length == 0 else length + 1 + len(word)
            if need > room and length:
                lines += 1
                length = len(word)
            else:
                length = need
            while length > room:
                lines += 1
                length -= room
    return lines


def _cell_value(value):
    """A layout value as openpyxl stores it (Timestamps as datetimes, NaN as empty)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
