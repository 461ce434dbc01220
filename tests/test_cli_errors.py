"""Every command, given a broken input or an unusable output, fails as one paragraph.

A paragraph on stderr naming the file, row, column and value and saying how to fix it;
exit code 2; no traceback unless ``--debug``. Ctrl-C exits 130 without a traceback and
without touching outputs; an error arcalls did not expect exits 3, still as a paragraph.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import arcalls
from arcalls.cli import EXIT_BUG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_PROBLEMS, build_parser, main

CORPUS = Path(__file__).resolve().parent / "adversarial" / "files"


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    # check and log-calls take a single file of their own; their errors are tested in
    # test_cli_check.py and test_cli_log_calls.py.
    return sorted(name for name in sub.choices if name not in {"check", "log-calls"})


COMMANDS = _commands()


def _copy(name: str, folder: Path, as_name: str = "invoices.csv") -> Path:
    target = folder / as_name
    shutil.copyfile(CORPUS / name, target)
    return target


def _assert_paragraph(err: str, command: str) -> None:
    assert "Traceback" not in err
    assert err.startswith(f"arcalls {command}: "), err
    # One paragraph: no blank line inside, one message.
    assert "\n\n" not in err.strip(), err
    assert err.count(f"arcalls {command}:") == 1, err


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    # A command that wrongly got as far as writing would write here, not in the repo.
    monkeypatch.chdir(tmp_path)


def test_there_are_commands_to_test():
    assert {"aging", "call-list", "promises", "recovery"} <= set(COMMANDS)


# --------------------------------------------------------------------------- broken inputs


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_row_is_one_located_paragraph_and_exit_2(command, tmp_path, capsys):
    path = _copy("inv_amount_nan_inf.csv", tmp_path)
    code = main([command, "--invoices", str(path)])
    out, err = capsys.readouterr()
    assert code == EXIT_ERROR
    _assert_paragraph(err, command)
    # file, row, column, value, what is wrong, how to fix it
    assert "invoices.csv, row 2, column 'amount': value 'NaN': not an amount" in err
    assert "invoices.csv, row 3, column 'amount': value 'inf'" in err
    assert "Fix these rows" in err and "--lenient" in err


@pytest.mark.parametrize(
    ("file", "options", "message"),
    [
        ("inv_missing_due_date.csv", [], "missing required invoices column(s): 'due_date'"),
        ("inv_not_text.csv", [], "neither UTF-8 nor Windows-1252"),
        ("inv_unbalanced_quote.csv", [], 'row 3: a quote (") opened in this row is never'),
        ("inv_ambiguous_dates.csv", [], "Pass --dayfirst (03/04 = 3 April) or --no-dayfirst"),
        (
            "qb_aging_total_mismatch.csv",
            ["--preset", "quickbooks_aging_detail"],
            "the TOTAL line (row 8) says 1,300.00",
        ),
        ("inv_empty.csv", [], "is empty"),
    ],
)
@pytest.mark.parametrize("command", ["aging", "recovery"])
def test_file_level_problems_are_one_paragraph(command, file, options, message, tmp_path, capsys):
    path = _copy(file, tmp_path)
    code = main([command, "--invoices", str(path), *options])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    _assert_paragraph(err, command)
    assert message in err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_side_file_is_reported_too(command, tmp_path, capsys):
    invoices = _copy("inv_bom.csv", tmp_path)
    customers = _copy("cust_unknown_timezone.csv", tmp_path, "customers.csv")
    code = main([command, "--invoices", str(invoices), "--customers", str(customers)])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    _assert_paragraph(err, command)
    assert "customers.csv, row 3, column 'timezone': value 'Mars/Olympus_Mons'" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_an_empty_invoice_file_asks_for_an_as_of_date(command, tmp_path, capsys):
    path = _copy("inv_header_only.csv", tmp_path)
    code = main([command, "--invoices", str(path)])
    err = capsys.readouterr().err
    if command in {"promises", "follow-ups"}:
        # promises and follow-ups refuse earlier: they need a call log.
        assert "needs a call log" in err
    else:
        assert "Pass --as-of YYYY-MM-DD" in err
    assert code == EXIT_ERROR
    _assert_paragraph(err, command)


@pytest.mark.parametrize("command", ["aging", "recovery"])
def test_an_empty_invoice_file_with_an_as_of_date_does_not_crash(command, tmp_path, capsys):
    path = _copy("inv_header_only.csv", tmp_path)
    code = main([command, "--invoices", str(path), "--as-of", "2026-01-31", "--out", "o"])
    err = capsys.readouterr().err
    assert code in (0, EXIT_ERROR), err
    assert "Traceback" not in err and "unexpected error" not in err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_file_and_a_folder_are_one_paragraph(command, tmp_path, capsys):
    code = main([command, "--invoices", str(tmp_path / "nope.csv")])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    _assert_paragraph(err, command)
    assert "nope.csv does not exist: check the path" in err

    folder = tmp_path / "exports"
    folder.mkdir()
    code = main([command, "--invoices", str(folder)])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    _assert_paragraph(err, command)
    assert "is a folder, not a file" in err


def test_check_lists_row_problems_on_stdout_and_exits_1(tmp_path, capsys):
    path = _copy("inv_amount_nan_inf.csv", tmp_path)
    code = main(["check", str(path), "--kind", "invoices"])
    out, err = capsys.readouterr()
    assert code == EXIT_PROBLEMS
    assert err == ""
    assert "2 problems in 2 of 2 rows" in out


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("inv_missing_due_date.csv", "'due_date'"),
        ("inv_not_text.csv", "neither UTF-8"),
        ("inv_unbalanced_quote.csv", "never closed"),
    ],
)
def test_check_reports_file_level_problems_as_a_paragraph(file, message, tmp_path, capsys):
    path = _copy(file, tmp_path)
    code = main(["check", str(path), "--kind", "invoices"])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    _assert_paragraph(err, "check")
    assert message in err


def test_check_on_a_missing_file_and_a_folder(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.csv"), "--kind", "calls"]) == EXIT_ERROR
    _assert_paragraph(capsys.readouterr().err, "check")
    assert main(["check", str(tmp_path), "--kind", "calls"]) == EXIT_ERROR
    assert "is a folder" in capsys.readouterr().err


# --------------------------------------------------------------------------- --debug


def test_debug_shows_the_traceback(tmp_path, capsys):
    path = _copy("inv_amount_nan_inf.csv", tmp_path)
    assert main(["--debug", "aging", "--invoices", str(path)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "arcalls.errors.ParseError" in err
    # The paragraph still ends the output.
    assert err.rstrip().splitlines()[-1].startswith("Fix these rows")
    # The flag also works after the command name.
    assert main(["aging", "--debug", "--invoices", str(path)]) == EXIT_ERROR
    assert "Traceback" in capsys.readouterr().err


def test_a_real_process_prints_no_traceback(tmp_path):
    path = _copy("inv_date_feb30.csv", tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "arcalls.cli", "aging", "--invoices", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_ERROR
    assert "Traceback" not in done.stderr
    assert "row 2, column 'invoice_date': value '2026-02-30': not a date" in done.stderr
    assert done.stdout == ""


# --------------------------------------------------------------------------- outputs


def _sample_invoices(tmp_path: Path) -> Path:
    # A small, valid invoice file that every command can at least load.
    path = tmp_path / "invoices.csv"
    path.write_text(
        "invoice_id,customer_id,invoice_date,due_date,amount\n"
        "INV-1,C1,2026-01-05,2026-02-04,100.00\n"
        "INV-2,C2,2026-02-05,2026-03-07,250.00\n"
    )
    return path


@pytest.mark.parametrize(
    ("command", "out"),
    [
        ("aging", "blocker/aging.csv"),
        ("call-list", "blocker/call_list.csv"),
        ("promises", "blocker/promises"),
        ("recovery", "blocker/recovery"),
    ],
)
def test_an_output_under_a_file_is_one_paragraph(command, out, tmp_path, capsys):
    invoices = _sample_invoices(tmp_path)
    calls = _copy("calls_am_pm_times.csv", tmp_path, "calls.csv")
    (tmp_path / "blocker").write_text("a file, not a folder")
    code = main(
        [command, "--invoices", str(invoices), "--calls", str(calls), "--out", str(tmp_path / out)]
    )
    err = capsys.readouterr().err
    assert code == EXIT_ERROR, err
    _assert_paragraph(err, command)
    assert "blocker" in err


def test_an_unwritable_folder_is_one_paragraph_and_the_old_file_survives(
    tmp_path, capsys, monkeypatch
):
    # Tests may run as root, which ignores folder permissions: refuse the temporary
    # file the way a read-only folder does.
    import arcalls._export as export

    invoices = _sample_invoices(tmp_path)
    target = tmp_path / "aging.csv"
    target.write_text("last week's table\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(export, "_new_temp", refuse)
    code = main(["aging", "--invoices", str(invoices), "--out", str(target)])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    _assert_paragraph(err, "aging")
    assert "Cannot write" in err and "Permission denied" in err
    assert target.read_text() == "last week's table\n"


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("command", COMMANDS)
def test_ctrl_c_is_one_line_exit_130_and_changes_nothing(command, tmp_path, capsys, monkeypatch):
    invoices = _sample_invoices(tmp_path)
    before = hashlib.sha256(invoices.read_bytes()).hexdigest()
    monkeypatch.setattr(arcalls.io, "load_invoices", _interrupt)
    code = main([command, "--invoices", str(invoices), "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == EXIT_INTERRUPTED
    _assert_paragraph(err, command)
    assert "interrupted; no output was changed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invoices.csv"]
    assert hashlib.sha256(invoices.read_bytes()).hexdigest() == before


def _bug(*args, **kwargs):
    raise ValueError("something arcalls did not expect")


def test_an_unexpected_error_is_a_paragraph_asking_for_a_report(tmp_path, capsys, monkeypatch):
    invoices = _sample_invoices(tmp_path)
    monkeypatch.setattr(arcalls.io, "load_invoices", _bug)
    assert main(["aging", "--invoices", str(invoices)]) == EXIT_BUG
    err = capsys.readouterr().err
    _assert_paragraph(err, "aging")
    assert "ValueError: something arcalls did not expect" in err and "--debug" in err
    assert main(["--debug", "aging", "--invoices", str(invoices)]) == EXIT_BUG
    assert "Traceback" in capsys.readouterr().err


def test_lenient_mode_says_what_was_set_aside_in_one_line(tmp_path, capsys):
    path = _copy("inv_empty_required_cells.csv", tmp_path)
    code = main(["aging", "--invoices", str(path), "--lenient", "--as-of", "2026-03-01"])
    err = capsys.readouterr().err
    assert code == 0
    # 3 rows in: row 2 loads, rows 3 (no id) and 4 (no amount) are set aside.
    assert err == (
        f"arcalls: 2 of 3 rows of {path} set aside (1 loaded); run "
        f"`arcalls check {path} --kind invoices` to see why.\n"
    )
