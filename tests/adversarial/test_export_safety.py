"""Exports are safe to open: no formula runs, no HTML runs, no half-written file, no input touched.

Customer and contact names of the bundled sample are replaced by hostile text (formulas,
tabs, HTML); the call list (CSV and Excel) and the report are then made through the
command line, as an owner would.
"""

from __future__ import annotations

import csv
import hashlib
import re

import openpyxl
import pandas as pd
import pytest

import arcalls
from arcalls._export import FORMULA_PREFIXES
from arcalls.calllist import call_list, write_call_list
from arcalls.cli import main

HOSTILE = (
    '=HYPERLINK("http://evil.example","pay here")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    '<script>alert("x")</script>',
    "Smith & <b>Sons</b>",
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The sample with hostile names, as CSV files an owner would pass (and their hashes)."""
    folder = tmp_path_factory.mktemp("hostile")
    sample = arcalls.load_sample()
    customers = sample.customers.copy()
    n = len(customers)
    customers["customer_name"] = [f"{HOSTILE[i % len(HOSTILE)]} {i}" for i in range(n)]
    customers["contact_name"] = [HOSTILE[(i + 3) % len(HOSTILE)] for i in range(n)]
    # The two accounts heading the list (which every output shows) carry the markup.
    heads = call_list(*sample, as_of=arcalls.SAMPLE_AS_OF, top=2).calls["customer_id"]
    for k, customer_id in enumerate(heads):
        at = customers["customer_id"] == customer_id
        customers.loc[at, "customer_name"] = f"{HOSTILE[5 + k]} {k}"
    frames = {
        "invoices": sample.invoices.drop(columns=["customer_name"]),
        "payments": sample.payments,
        "calls": sample.calls,
        "customers": customers,
    }
    for name, frame in frames.items():
        # Quoted, as an accounting system writes text; hostile cells go through as is.
        frame.to_csv(folder / f"{name}.csv", index=False, quoting=csv.QUOTE_ALL)
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    return folder, hashes


def _unchanged(folder, hashes) -> bool:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.name in hashes
    } == hashes


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _assert_csv_safe(path) -> int:
    """No cell a spreadsheet would run; returns how many cells were neutralised."""
    with open(path, newline="", encoding="utf-8") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    risky = [c for c in cells if c.startswith(FORMULA_PREFIXES) and not _is_number(c)]
    assert risky == [], risky[:5]
    return sum(c.startswith("'") and c[1:].startswith(FORMULA_PREFIXES) for c in cells)


def test_call_list_csv_is_formula_safe_and_inputs_untouched(hostile, tmp_path, capsys):
    folder, hashes = hostile
    out = tmp_path / "list.csv"
    assert main(["call-list", str(folder), "--out", str(out)]) == 0, capsys.readouterr().err
    neutralised = _assert_csv_safe(out)
    neutralised += _assert_csv_safe(tmp_path / "list_excluded.csv")
    # Every listed name is hostile text, so some cells must have been neutralised.
    assert neutralised > 0
    listed = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert listed["customer_name"].str.startswith("'=HYPERLINK(").any()
    assert _unchanged(folder, hashes)


def test_call_list_excel_stores_text_never_formulas(hostile, tmp_path, capsys):
    folder, hashes = hostile
    out = tmp_path / "list.xlsx"
    assert main(["call-list", str(folder), "--out", str(out)]) == 0, capsys.readouterr().err
    book = openpyxl.load_workbook(out)
    seen = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                    # Stored as text and marked so Excel will not re-read it as a formula.
                    assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
                    seen += 1
    assert seen > 0
    # The name itself arrives unaltered (no apostrophe inside the workbook's text).
    names = [c.value for c in book["Call list"]["B"]][1:]  # column B: "Customer"
    assert book["Call list"]["B1"].value == "Customer"
    assert any(str(n).startswith('=HYPERLINK("http://evil.example"') for n in names)
    assert _unchanged(folder, hashes)


def test_report_html_escapes_names(hostile, tmp_path, capsys):
    folder, hashes = hostile
    if "report" not in _commands():
        pytest.fail("the report command is expected to exist")
    out = tmp_path / "report"
    code = main(["report", str(folder), "--out", str(out), "--backtest-weeks", "0"])
    assert code == 0, capsys.readouterr().err
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<b>Sons</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert _unchanged(folder, hashes)


def _commands() -> set[str]:
    import argparse

    from arcalls.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


# --------------------------------------------------------------------------- atomic writes


@pytest.fixture(scope="module")
def small_list():
    sample = arcalls.load_sample()
    customers = sample.customers.assign(
        customer_name=[HOSTILE[i % len(HOSTILE)] for i in range(len(sample.customers))]
    )
    return call_list(
        sample.invoices,
        sample.payments,
        sample.calls,
        customers,
        as_of=sample.invoices["invoice_date"].max(),
        top=10,
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_failed_write_leaves_the_previous_list_and_no_debris(
    small_list, tmp_path, monkeypatch, suffix
):
    target = tmp_path / f"list{suffix}"
    target.write_bytes(b"last week's list")
    if suffix == ".csv":
        (tmp_path / "list_excluded.csv").write_bytes(b"last week's exclusions")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if suffix == ".csv":
        monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    else:
        import openpyxl.writer.excel

        monkeypatch.setattr(openpyxl.writer.excel.ExcelWriter, "save", fail)
    with pytest.raises((arcalls.OutputError, OSError)):
        write_call_list(small_list, target)
    assert target.read_bytes() == b"last week's list"
    if suffix == ".csv":
        assert (tmp_path / "list_excluded.csv").read_bytes() == b"last week's exclusions"
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == sorted(
        [target.name] + (["list_excluded.csv"] if suffix == ".csv" else [])
    ), leftovers


def test_a_successful_write_replaces_the_list(small_list, tmp_path):
    target = tmp_path / "list.csv"
    target.write_bytes(b"last week's list")
    write_call_list(small_list, target)
    assert target.read_bytes() != b"last week's list"
    _assert_csv_safe(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.csv", "list_excluded.csv"]


# ------------------------------------------------------- separators and control characters

#: A formula hidden after a separator: a spreadsheet splitting lines on that separator
#: (its locale's list separator, a tab or a pipe) would see the formula as a cell.
SPLIT_HOSTILE = ("Acme;=1+1", "Acme,=1+1", "Acme\t=1+1", "Acme| @SUM(1)", "Acme; -2+3")
#: Control characters and NUL reaching a writer from Python (the loaders refuse them).
CONTROL_HOSTILE = ("Nul\x00Co", "Bell\x07Co", "Esc\x1b[2JCo", "Del\x7fCo", "Vt\x0bCo")


def _list_named(names):
    sample = arcalls.load_sample()
    customers = sample.customers.assign(
        customer_name=[names[i % len(names)] for i in range(len(sample.customers))],
        contact_name=[names[(i + 1) % len(names)] for i in range(len(sample.customers))],
    )
    return sample, call_list(
        sample.invoices.drop(columns=["customer_name"]),
        sample.payments,
        sample.calls,
        customers,
        as_of="2026-10-31",
        # The whole list, so that every hostile name is on it.
        top=None,
    )


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_no_formula_after_any_separator_a_spreadsheet_may_split_on(tmp_path, separator):
    _, listed = _list_named(SPLIT_HOSTILE)
    out = write_call_list(listed, tmp_path / "list.csv")[0]
    lines = out.read_text(encoding="utf-8").splitlines()
    # A spreadsheet that splits on the separator, ignoring quotes: every piece is a cell.
    pieces = [p.strip(' "') for line in lines for p in line.split(separator)]
    risky = [p for p in pieces if p.startswith(FORMULA_PREFIXES) and not _is_number(p)]
    assert risky == [], risky[:5]
    # The names are all there, each formula piece behind an apostrophe.
    listed_names = pd.read_csv(out, dtype=str, keep_default_na=False)["customer_name"]
    assert set(listed_names) <= {
        "Acme;'=1+1",
        "Acme,'=1+1",
        "Acme\t'=1+1",
        "Acme| '@SUM(1)",
        "Acme; '-2+3",
    }
    assert len(set(listed_names)) == len(SPLIT_HOSTILE)


def test_every_writer_is_safe_with_control_characters(tmp_path):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from arcalls._text import MARKUP_CONTROL
    from arcalls.worksheet import call_sheets, write_call_sheets

    sample, listed = _list_named(CONTROL_HOSTILE)
    assert listed.calls["customer_name"].str.contains("[\x00-\x1f\x7f]").all()
    cleaned = {n: ILLEGAL_CHARACTERS_RE.sub("", n).replace("\x7f", "") for n in CONTROL_HOSTILE}
    assert set(cleaned.values()) == {"NulCo", "BellCo", "Esc[2JCo", "DelCo", "VtCo"}

    # CSV: no control character in the file; each name arrives without its control.
    csv_path = write_call_list(listed, tmp_path / "list.csv")[0]
    text = csv_path.read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    names = pd.read_csv(csv_path, dtype=str, keep_default_na=False)["customer_name"]
    assert set(names) <= set(cleaned.values())

    # Excel, with the call sheets: written (openpyxl refuses these characters), and
    # every cell free of them.
    sheets = call_sheets(listed, *sample)
    xlsx = write_call_list(listed, tmp_path / "list.xlsx", sheets=sheets)[0]
    book = openpyxl.load_workbook(xlsx)
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    text_cells = [v for v in values if isinstance(v, str)]
    assert not any(ILLEGAL_CHARACTERS_RE.search(v) for v in text_cells)
    # Each listed name arrives minus what openpyxl refuses (DEL is allowed in .xlsx).
    in_excel = {ILLEGAL_CHARACTERS_RE.sub("", n) for n in listed.calls["customer_name"]}
    assert in_excel <= set(text_cells)

    # HTML call sheets: no control character in the page, the names escaped and shown.
    html_path = write_call_sheets(sheets, tmp_path / "sheets.html")
    page = html_path.read_text(encoding="utf-8")
    assert not MARKUP_CONTROL.search(page)
    shown = {MARKUP_CONTROL.sub("", n) for n in listed.calls["customer_name"]}
    assert all(n in page for n in shown), shown


def test_the_reports_call_table_is_safe_with_control_characters():
    from arcalls._text import MARKUP_CONTROL
    from arcalls.report import _call_table

    _, listed = _list_named(CONTROL_HOSTILE)
    page = _call_table(listed.calls, None)
    assert not MARKUP_CONTROL.search(page)
    assert {MARKUP_CONTROL.sub("", n) for n in listed.calls["customer_name"]} <= {
        n for n in ("NulCo", "BellCo", "Esc[2JCo", "DelCo", "VtCo") if n in page
    }
