"""Tests for `arcalls check`: exit codes and output, run in-process."""

from __future__ import annotations

import json
from pathlib import Path

from arcalls.cli import main

DATA = Path(__file__).parent / "data"
HEADER = "invoice_id,customer_id,invoice_date,due_date,amount\n"


def test_clean_file_exits_0(tmp_path, capsys):
    path = tmp_path / "invoices.csv"
    path.write_text(HEADER + "A,C,2026-01-05,2026-02-04,10\nB,C,2026-01-05,2026-02-04,5\n")
    assert main(["check", str(path), "--kind", "invoices"]) == 0
    assert capsys.readouterr().out.startswith("clean: 2 rows")


def test_problems_exit_1_with_a_table(tmp_path, capsys):
    path = tmp_path / "invoices.csv"
    path.write_text(HEADER + "A,C,2026-01-05,2026-02-04,10\nA,C,2026-02-30,2026-02-04,5\n")
    assert main(["check", str(path), "--kind", "invoices"]) == 1
    out = capsys.readouterr().out
    assert "file" in out and "problem" in out
    assert "2026-02-30" in out and "not a date" in out
    assert "duplicate invoice_id: same as row 2" in out
    assert "2 problems in 1 of 2 rows" in out


def test_table_level_problem_exits_2(tmp_path, capsys):
    path = tmp_path / "invoices.csv"
    path.write_text(
        "Number,customer_id,invoice_date,due_date,amount\n1,C,2026-01-05,2026-02-04,1\n"
    )
    assert main(["check", str(path), "--kind", "invoices"]) == 2
    err = capsys.readouterr().err
    assert "missing required invoices column(s): 'invoice_id'" in err
    assert "Traceback" not in err


def test_preset_and_options(tmp_path, capsys):
    assert (
        main(
            [
                "check",
                str(DATA / "quickbooks_ar_aging_detail.csv"),
                "--kind",
                "invoices",
                "--preset",
                "quickbooks_aging_detail",
            ]
        )
        == 0
    )
    # Five invoices, a credit memo and a payment: all of them load, and check says so.
    assert "clean: 7 rows" in capsys.readouterr().out
    path = tmp_path / "ledger.csv"
    path.write_text("Vendor,Date,Due,Total\nACME,03/04/2026,05/04/2026,10\n")
    columns = json.dumps(
        {"Vendor": "customer_id", "Date": "invoice_date", "Due": "due_date", "Total": "amount"}
    )
    argv = ["check", str(path), "--kind", "invoices", "--columns", columns, "--make-ids"]
    assert main(argv) == 2  # 03/04 vs 04/03: ambiguous without --dayfirst
    assert "dayfirst" in capsys.readouterr().err
    assert main([*argv, "--dayfirst"]) == 0
    assert main([*argv, "--date-format", "%m/%d/%Y"]) == 0


LEDGER_COLUMNS = {
    "Vendor_Name": "customer_id",
    "Invoice_Date": "invoice_date",
    "Due_Date": "due_date",
    "Amount": "amount",
    "Settled": "amount_paid",
}


def test_ledger_settlement_without_its_date_is_refused(ledger_path, capsys):
    argv = ["check", str(ledger_path), "--kind", "invoices", "--columns"]
    argv += [json.dumps(LEDGER_COLUMNS), "--date-format", "%d-%b-%y", "--make-ids"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "column 'Settled' maps to amount_paid, but no column says when it was paid" in err
    assert """--columns '{"Number_of_Days_until_Payment": "days_to_pay"}'""" in err


def test_ledger_check(ledger_path, capsys):
    columns = json.dumps(
        LEDGER_COLUMNS
        | {"Number_of_Days_until_Payment": "days_to_pay", "Outstanding": "open_balance"}
    )
    argv = [
        "check",
        str(ledger_path),
        "--kind",
        "invoices",
        "--columns",
        columns,
        "--date-format",
        "%d-%b-%y",
        "--make-ids",
    ]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "identical to row 315" in out
    assert "1 problem in 1 of 8753 rows" in out
