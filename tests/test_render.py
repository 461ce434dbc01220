"""The Excel list and its call sheets as they print: rendered by LibreOffice to PDF (issue 20).

The workbook of the bundled sample (as of 2026-10-31, every listed account, with call sheets) is
converted by ``soffice --headless --convert-to pdf`` in a private profile (so parallel
runs do not share one); ``pdfinfo`` gives the page count and ``pdftotext`` each page's
text. ``.ci/run`` installs LibreOffice and poppler when it can; without them the test
says so and is skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import arcalls
from arcalls.calllist import excel_header
from arcalls.worksheet import ENTRY_COLUMNS, SCREEN_ENTRY_COLUMNS, call_sheets

AS_OF = "2026-10-31"
TOOLS = ("soffice", "pdfinfo", "pdftotext")


def _missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    missing = _missing_tools()
    if missing:
        pytest.skip(
            f"LibreOffice (soffice) / poppler not installed: {', '.join(missing)} not on PATH; "
            "install libreoffice-calc and poppler-utils to render the Excel list to PDF"
        )
    folder = tmp_path_factory.mktemp("render")
    s = arcalls.load_sample()
    week = arcalls.call_list(*s, as_of=AS_OF)
    sheets = call_sheets(week, *s, business_name="Acme Supplies")
    book = arcalls.write_call_list(week, folder / "week.xlsx", sheets=sheets)[0]
    profile = (folder / "lo-profile").as_uri()
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    pdf = folder / "week.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr[-2000:]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    text = [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(k), "-l", str(k), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for k in range(1, pages + 1)
    ]
    return week, sheets, pages, text


def _words(text: str) -> str:
    return " ".join(text.split())


def test_first_page_shows_name_phone_and_the_entry_columns(rendered):
    week, _, _, text = rendered
    first = _words(text[0])
    top = week.calls.iloc[0]
    assert top["customer_name"] in first and top["phone"] in first
    # Headers wrap onto two lines in the cell: look for each of their words. The boxes
    # filled now and then (a plan, who pays) are on screen only.
    for column in (c for c in ENTRY_COLUMNS if c not in SCREEN_ENTRY_COLUMNS):
        for word in excel_header(column).split():
            assert word in first, (column, word)
    assert "Best time" in first and "Overdue" in first


def test_pages_are_the_list_the_excluded_and_one_per_account(rendered):
    week, sheets, pages, text = rendered
    firsts = [_words(t)[:40] for t in text]
    listed = [k for k, f in enumerate(firsts) if f.startswith("# Customer Phone")]
    # "Customer id" wraps in its cell: the first line reads "Customer Customer".
    excluded = [k for k, f in enumerate(firsts) if f.startswith("Customer Customer Open")]
    accounts = [k for k, f in enumerate(firsts) if re.match(r"#\d+ ", f)]
    # Every page is one of the three, the header row repeated on every table page.
    assert len(listed) + len(excluded) + len(accounts) == pages
    # Over a hundred listed accounts: fitted to the width, the list prints on a few pages (it was
    # 186 pages before the print setup), every account on them.
    assert 1 <= len(listed) <= 3
    list_text = _words(" ".join(text[k] for k in listed))
    assert all(name in list_text for name in week.calls["customer_name"])
    # One page per account, in list order, none spilling onto a second page.
    assert len(week.calls) > 100
    assert len(accounts) == len(week.calls)
    ranks = [int(re.match(r"#(\d+) ", firsts[k]).group(1)) for k in accounts]
    assert ranks == list(range(1, len(week.calls) + 1))


def test_call_sheets_are_not_clipped(rendered):
    _, sheets, _, text = rendered
    pages = [t for t in text if re.match(r"#\d+ ", _words(t))]
    acc = sheets.accounts
    for page, (_, row) in zip(pages, acc.iterrows(), strict=True):
        words = _words(page)
        assert row["customer_name"] in words
        # The phone on one line, never wrapped inside the number.
        assert str(row["phone"]) in words, row["phone"]
        # The wrapped opening line and reminder arrive whole, to their last words.
        assert _words(row["opening_line"])[-40:] in words
        assert _words(row["third_party_line"])[-40:] in words
