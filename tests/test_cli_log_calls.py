"""The weekly loop on the command line: list, call, fill in, ``log-calls``, next week's list."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pandas as pd
import pytest

import arcalls
from arcalls.cli import EXIT_ERROR, main
from arcalls.worksheet import _column_names

NOW = pd.Timestamp("2026-11-06 17:30:00")


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """This week's Excel list (top 5, with call sheets) made from the bundled sample."""
    folder = tmp_path_factory.mktemp("week")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        code = main(
            [
                "call-list",
                "--out",
                "week.xlsx",
                "--top",
                "5",
                "--call-sheets",
                "--handoff-age",
                "none",
                "--business-name",
                "Acme Supplies",
            ]
        )
    assert code == 0
    return folder / "week.xlsx"


@pytest.fixture()
def here(tmp_path, monkeypatch, week):
    """A fresh folder with the list and a copy of the sample's call log; a fixed clock."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("arcalls.worksheet._now", lambda: NOW)
    shutil.copy(week, tmp_path / "week.xlsx")
    shutil.copy(arcalls.sample_path("calls"), tmp_path / "calls.csv")
    return tmp_path


def _fill(path, rows) -> list[str]:
    """Type entries into rows of the list as a caller would; return the rows' customer ids."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Call list"]
    header = _column_names(c.value for c in ws[1])
    for r, values in rows.items():
        for name, value in values.items():
            ws.cell(row=r, column=header.index(name) + 1).value = value
    wb.save(path)
    return [ws.cell(row=r, column=header.index("customer_id") + 1).value for r in rows]


def test_the_list_has_sheets_and_entry_columns(week):
    wb = openpyxl.load_workbook(week)
    assert wb.sheetnames == ["Call list", "Excluded", "Call sheets"]
    header = _column_names(c.value for c in wb["Call list"][1])
    assert header[4:10] == [
        "called_at",
        "outcome",
        "new_promise_date",
        "new_promise_amount",
        "callback_at",
        "notes",
    ]
    # After the printed columns, the boxes filled now and then.
    assert header[13:20] == [
        "plan_instalments",
        "plan_first_date",
        "plan_frequency",
        "plan_amount",
        "plan_schedule",
        "payments_contact",
        "payments_contact_title",
    ]
    text = [c.value for row in wb["Call sheets"].iter_rows() for c in row if c.value]
    assert sum(str(v).startswith("Hello, this is ") for v in text) == 5
    assert any("from Acme Supplies" in str(v) for v in text)


def test_weekly_loop_list_call_fill_log_next_week(here, capsys):
    promised, voicemail = _fill(
        here / "week.xlsx",
        {
            2: {
                "called_at": dt.datetime(2026, 11, 2, 10, 15),
                "outcome": "promise",
                "new_promise_date": dt.datetime(2026, 11, 9),
                "new_promise_amount": 1200,
            },
            3: {"called_at": "2026-11-02 11:00", "outcome": "voicemail", "notes": "left msg"},
        },
    )
    before = (here / "calls.csv").read_bytes()
    assert main(["log-calls", "week.xlsx", "--calls", "calls.csv", "--collector", "Dana"]) == 0
    out = capsys.readouterr().out
    assert "Added 2 calls to calls.csv" in out
    assert "previous log kept as calls.20261106-173000.bak.csv" in out
    assert f"LOG-20261031-{promised}-202611021015" in out
    assert f"LOG-20261031-{voicemail}-202611021100" in out
    assert (here / "calls.20261106-173000.bak.csv").read_bytes() == before
    assert (here / "calls.csv").read_bytes().startswith(before)

    # Reading the same list twice adds nothing.
    assert main(["log-calls", "week.xlsx", "--calls", "calls.csv"]) == 0
    out = capsys.readouterr().out
    assert "Added 0 calls" in out and "2 already in the log were skipped" in out

    # Next week's list knows the promise (pending until 11-09 + 3 days of grace).
    sample = {k: str(arcalls.sample_path(k)) for k in ("invoices", "payments", "customers")}
    argv = ["call-list", "--calls", "calls.csv", "--as-of", "2026-11-07"]
    for kind, path in sample.items():
        argv += [f"--{kind}", path]
    assert main([*argv, "--out", "next.csv", "--handoff-age", "none"]) == 0
    excluded = pd.read_csv(here / "next_excluded.csv", dtype=str).set_index("customer_id")
    assert "pending promise" in excluded.loc[promised, "reason"]
    assert excluded.loc[promised, "promise_date"] == "2026-11-09"


def test_a_bad_row_is_refused_with_its_row_and_nothing_written(here, capsys):
    _fill(
        here / "week.xlsx",
        {
            2: {"called_at": "2026-11-02 10:15", "outcome": "voicemail"},
            3: {"called_at": "2026-11-02 11:00", "outcome": "left a message"},
        },
    )
    before = (here / "calls.csv").read_bytes()
    assert main(["log-calls", "week.xlsx", "--calls", "calls.csv"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("arcalls log-calls: ")
    assert "row 3, column 'outcome'" in err and "unknown outcome" in err
    assert "Traceback" not in err
    assert (here / "calls.csv").read_bytes() == before
    assert sorted(p.name for p in here.iterdir()) == ["calls.csv", "week.xlsx"]


def test_an_empty_filled_list_adds_nothing(here, capsys):
    assert main(["log-calls", "week.xlsx", "--calls", "calls.csv"]) == 0
    assert "No call entered in week.xlsx" in capsys.readouterr().out
    assert sorted(p.name for p in here.iterdir()) == ["calls.csv", "week.xlsx"]


def test_html_call_sheets_one_page_per_account(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["call-list", "--format", "html", "--top", "3", "--handoff-age", "none"]) == 0
    assert "Wrote call_list.html (call sheets" in capsys.readouterr().out
    text = (tmp_path / "call_list.html").read_text(encoding="utf-8")
    assert text.count('<section class="sheet">') == 3
    assert "never mention the debt" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "html", "--out", "week.xlsx"], "--format html writes a .html file"),
        (["--call-sheets"], "--call-sheets needs an Excel list or HTML"),
    ],
)
def test_bad_format_options_are_one_paragraph(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["call-list", "--handoff-age", "none", *argv]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_missing_or_wrong_files_are_one_paragraph(here, capsys):
    cases = [
        (["nope.xlsx", "--calls", "calls.csv"], "nope.xlsx does not exist: check the path"),
        ([".", "--calls", "calls.csv"], "is a folder, not a file"),
        (["calls.csv", "--calls", "calls.csv"], "is not an .xlsx file"),
        (["week.xlsx", "--calls", "missing/calls.csv"], "does not exist"),
    ]
    _fill(here / "week.xlsx", {2: {"called_at": "2026-11-02 10:15", "outcome": "contact"}})
    for argv, message in cases:
        assert main(["log-calls", *argv]) == EXIT_ERROR
        err = capsys.readouterr().err
        assert err.startswith("arcalls log-calls: ") and message in err, err
        assert "Traceback" not in err and "\n\n" not in err.strip()


def test_ctrl_c_changes_nothing(here, capsys, monkeypatch):
    _fill(here / "week.xlsx", {2: {"called_at": "2026-11-02 10:15", "outcome": "contact"}})
    before = (here / "calls.csv").read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("arcalls.io.load_calls", interrupted)
    assert main(["log-calls", "week.xlsx", "--calls", "calls.csv"]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert (here / "calls.csv").read_bytes() == before
    assert sorted(p.name for p in here.iterdir()) == ["calls.csv", "week.xlsx"]


def test_common_spellings_of_an_outcome_are_taken(here, capsys):
    """The README says "PTP", "left message" ... are mapped: typed into the list too."""
    _fill(
        here / "week.xlsx",
        {
            2: {
                "called_at": "2026-11-02 10:15",
                "outcome": "PTP",
                "new_promise_date": dt.datetime(2026, 11, 9),
            },
            3: {"called_at": "2026-11-02 11:00", "outcome": "Left message"},
            4: {"called_at": "2026-11-02 11:30", "outcome": "No Answer"},
        },
    )
    assert main(["log-calls", "week.xlsx", "--calls", "calls.csv"]) == 0
    assert "Added 3 calls to calls.csv" in capsys.readouterr().out
    log = pd.read_csv(here / "calls.csv").set_index("called_at")["outcome"]
    assert log["2026-11-02 10:15:00"] == "promise"
    assert log["2026-11-02 11:00:00"] == "voicemail"
    assert log["2026-11-02 11:30:00"] == "no_answer"
