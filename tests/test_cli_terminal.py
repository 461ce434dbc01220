"""What the commands print: fits 100 columns, plurals right, in CLI terms, one set of rules.

Each command runs in-process on the bundled sample with ``COLUMNS=100`` (as a 100-column
terminal would report); ``log-calls`` is tested in tests/test_cli_log_calls.py (it needs a
filled list).
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import pandas as pd
import pytest

import arcalls
from arcalls.cli import EXIT_ERROR, main
from arcalls.cli._terminal import fit_columns, wrap_line
from arcalls.cli._wording import cli_terms

WIDTH = 100

COMMANDS = {
    "aging": ["aging"],
    "aging-total": ["aging", "--by", "total"],
    "recovery": ["recovery", "--out", "rec"],
    "promises": ["promises", "--out", "prom"],
    "call-list": ["call-list", "--out", "list.csv"],
    "call-list-xlsx": ["call-list", "--out", "list.xlsx", "--top", "20"],
    "statements": ["statements", "--out", "st"],
    "report": ["report", "--out", "rep"],
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """Each command's stdout and stderr at 100 columns."""
    out = {}
    folder = tmp_path_factory.mktemp("terminal")
    # capsys is per test; the commands run once for the module.
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv("COLUMNS", str(WIDTH))
        for name, argv in COMMANDS.items():
            stdout, stderr = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = main(argv)
            assert code == 0, (name, stderr.getvalue())
            out[name] = stdout.getvalue() + stderr.getvalue()
    return out


@pytest.mark.parametrize("name", COMMANDS)
def test_every_line_fits_100_columns(printed, name):
    long = [line for line in printed[name].splitlines() if len(line) > WIDTH]
    assert long == [], long[:3]


@pytest.mark.parametrize("name", COMMANDS)
def test_no_count_is_printed_with_a_plural_guess(printed, name):
    text = printed[name]
    assert "(s)" not in text
    # No "1 accounts", "1 invoices", "1 customers", "1 problems".
    assert not re.search(r"\b1 (accounts|invoices|customers|problems|rows|calls|days)\b", text)


def test_the_call_list_printout_keeps_every_reason_whole(printed):
    text = printed["call-list"]
    # The reasons are printed under their rows, wrapped at word boundaries: joined back,
    # the first one is the file's first reason, word for word.
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("     why: "))
    reason = [lines[start].removeprefix("     why: ")]
    for line in lines[start + 1 :]:
        if not line.startswith("     ") or line.startswith("     why: "):
            break
        reason.append(line.strip())
    first = " ".join(reason)
    week = arcalls.call_list(*arcalls.load_sample(), as_of=arcalls.SAMPLE_AS_OF)
    assert first == week.calls["reasons"].iloc[0]
    # Counts and their nouns agree in every reason printed.
    assert re.search(r"\b1 (invoices|promises|days|call attempts|months)\b", text) is None


def test_aging_says_which_columns_it_left_out(printed):
    text = printed["aging"]
    header = text.splitlines()[2]
    assert "total" in header and "overdue" in header and "120+" in header
    assert "(not shown at this width: " in text


def test_a_wide_terminal_shows_every_column(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["aging", "--top", "3"]) == 0
    header = capsys.readouterr().out.splitlines()[2].split()
    assert header[:2] == ["customer", "current"] and header[-4:] == ["open", "#", "overdue", "#"]
    assert "not shown at this width" not in " ".join(header)


def test_wrapping_never_cuts_a_word():
    text = "call one of the largest overdue balances ($20,650.75); 3 open invoices (3 to chase)"
    wrapped = wrap_line("     why: " + text, 40).splitlines()
    assert all(len(line) <= 40 for line in wrapped)
    assert " ".join(line.strip() for line in wrapped) == "why: " + text


def test_fit_columns_keeps_the_most_important_first():
    table = pd.DataFrame({"a": ["x" * 10], "b": ["y" * 10], "c": ["z" * 10]})
    text, left_out = fit_columns(table, 23, ["c", "a", "b"], index=False)
    assert left_out == ["b"] and text.split("\n")[0].split() == ["a", "c"]
    assert fit_columns(table, None, ["c"], index=False) == (table.to_string(index=False), [])


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"arcalls {arcalls.__version__}\n"


def test_recovery_and_statements_write_under_report_like_promises(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["recovery"]) == 0
    assert main(["statements"]) == 0
    assert main(["follow-ups"]) == 0
    capsys.readouterr()
    assert (tmp_path / "report" / "recovery" / "recovery_curve.csv").is_file()
    assert (tmp_path / "report" / "statements" / "statements.html").is_file()
    assert (tmp_path / "report" / "follow-ups" / "follow_ups.html").is_file()
    assert not list(tmp_path.glob("*.csv"))


@pytest.fixture()
def calls_with_own_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoices.csv").write_text(
        "invoice_id,customer_id,invoice_date,due_date,amount\nA1,C,2026-01-05,2026-02-04,100.00\n"
    )
    (tmp_path / "calls.csv").write_text(
        "call_id,customer_id,called_at,outcome\n"
        "K1,C,2026-01-06 10:00,Rang out\nK2,C,2026-01-07 10:00,PTP\n"
    )
    return tmp_path


def test_an_unknown_outcome_points_to_outcome_map_in_cli_terms(calls_with_own_spelling, capsys):
    assert main(["aging", "invoices.csv", "calls.csv"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "--outcome-map FILE (a row 'Rang out,OUTCOME'" in err and "--lenient" in err
    assert "outcome_map=" not in err and "on_bad_rows" not in err


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_outcome_map_file_maps_your_spellings(calls_with_own_spelling, capsys, kind):
    here = calls_with_own_spelling
    if kind == "csv":
        (here / "map.csv").write_text("yours,outcome\nRang out,no_answer\n")
    else:
        (here / "map.json").write_text(json.dumps({"Rang out": "no_answer"}))
    argv = ["invoices.csv", "calls.csv", "--outcome-map", f"map.{kind}"]
    assert main(["aging", *argv, "--by", "total"]) == 0
    assert main(["check", "calls.csv", "--kind", "calls", "--outcome-map", f"map.{kind}"]) == 0
    assert "clean: 2 rows" in capsys.readouterr().out


def test_outcome_map_to_no_outcome_is_refused_in_cli_terms(calls_with_own_spelling, capsys):
    (calls_with_own_spelling / "map.json").write_text(json.dumps({"Rang out": "nope"}))
    assert main(["aging", "invoices.csv", "calls.csv", "--outcome-map", "map.json"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "--outcome-map: each outcome must be one of arcalls' outcomes" in err
    assert "'Rang out': 'nope'" in err


def test_one_positional_file_with_columns_is_the_invoices(ledger_path, capsys):
    mapping = {
        "Vendor_Name": "customer_id",
        "Invoice_Date": "invoice_date",
        "Due_Date": "due_date",
        "Amount": "amount",
        "Settled": "amount_paid",
        "Number_of_Days_until_Payment": "days_to_pay",
        "Outstanding": "open_balance",
    }
    argv = [str(ledger_path), "--columns", json.dumps(mapping), "--date-format", "%d-%b-%y"]
    argv += ["--make-ids", "--lenient", "--as-of", "2017-11-30", "--by", "total"]
    assert main(["aging", *argv]) == 0
    # The README's worked example, from the command line: the same open total.
    assert "739,076.92" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("python", "cli"),
    [
        (
            "Fix these rows, or pass on_bad_rows='skip' (--lenient) to load the good rows.",
            "Fix these rows, or pass --lenient to load the good rows.",
        ),
        (
            "Keep one: map the others to None, e.g. columns={'Amount 2': None}.",
            "Keep one: map the others to None, e.g. --columns '{\"Amount 2\": null}'.",
        ),
        (
            "pass --dayfirst (dayfirst=True) or --date-format '%d/%m/%Y' (date_format='%d/%m/%Y')",
            "pass --dayfirst or --date-format '%d/%m/%Y'",
        ),
        (
            "Load the call log with arcalls.load_calls(..., outcome_map={...}) to map "
            "your spellings.",
            "Map your spellings with --outcome-map FILE (a CSV with columns raw,outcome, or a "
            "JSON object raw -> outcome).",
        ),
        (
            "pass make_ids=True (--make-ids) to number rows",
            "pass --make-ids to number rows",
        ),
    ],
)
def test_python_names_become_cli_options(python, cli):
    assert cli_terms(python) == cli


def test_the_default_as_of_is_worded_alike_in_help_readme_and_notebooks(capsys):
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    phrase = "the date printed in an aging report's title, else the latest date found in your files"
    with pytest.raises(SystemExit):
        main(["aging", "--help"])
    assert phrase in " ".join(capsys.readouterr().out.split())
    assert phrase in " ".join((repo / "README.md").read_text(encoding="utf-8").split())
    for notebook in sorted((repo / "notebooks").glob("*.ipynb")):
        cell = " ".join(json.loads(notebook.read_text("utf-8"))["cells"][1]["source"])
        words = " ".join(cell.replace("#", " ").split())
        assert phrase in words and "arcalls.default_as_of" in words, notebook.name
