"""Across tables and commands, nothing a file holds vanishes (issue 16, items 12 and 15).

A payment to an invoice id the invoices do not have is refused naming its file and row
(or, lenient, set aside and counted) by every command and by ``arcalls check``.
"""

from __future__ import annotations

import shutil

import pytest

import arcalls
from arcalls.cli import main
from arcalls.datasets import sample_path


@pytest.fixture
def book(tmp_path):
    for kind in ("invoices", "payments", "calls", "customers"):
        shutil.copy(sample_path(kind), tmp_path / f"{kind}.csv")
    payments = tmp_path / "payments.csv"
    lines = payments.read_text(encoding="utf-8").splitlines()
    lines.append("PX1,NOPE-1,2025-03-01,500.00,")
    payments.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path, len(lines)


def _inputs(folder, *kinds):
    argv = []
    for kind in kinds:
        argv += [f"--{kind}", str(folder / f"{kind}.csv")]
    return argv


@pytest.mark.parametrize(
    "command",
    [
        ["aging"],
        ["call-list", "--out", "{out}/list.csv"],
        ["promises"],
        ["recovery"],
    ],
    ids=lambda c: c[0],
)
def test_every_command_refuses_a_payment_to_an_unknown_invoice(book, capsys, command):
    folder, last_row = book
    argv = [c.format(out=folder) for c in command]
    argv += _inputs(folder, "invoices", "payments", "calls", "customers")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"payments.csv, row {last_row}, column 'invoice_id': value 'NOPE-1'" in err
    assert "payment to an invoice id not in" in err and "invoices.csv" in err


def test_lenient_sets_the_payment_aside_and_says_so(book, capsys):
    folder, _ = book
    argv = ["aging", "--lenient", *_inputs(folder, "invoices", "payments")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    n = len(arcalls.load_sample().payments)
    assert f"1 of {n + 1} rows of" in err and f"payments.csv set aside ({n} loaded)" in err
    assert f"--kind payments --invoices {folder / 'invoices.csv'}" in err


def test_check_payments_against_invoices(book, capsys):
    folder, last_row = book
    payments, invoices = str(folder / "payments.csv"), str(folder / "invoices.csv")
    # On its own, the payments file is well formed.
    assert main(["check", payments, "--kind", "payments"]) == 0
    capsys.readouterr()
    assert main(["check", payments, "--kind", "payments", "--invoices", invoices]) == 1
    out = capsys.readouterr().out
    assert f"{last_row} invoice_id NOPE-1" in " ".join(out.split())
    assert f"1 problem in 1 of {len(arcalls.load_sample().payments) + 1} rows" in out


def test_check_invoices_option_is_for_payments(book, capsys):
    folder, _ = book
    argv = ["check", str(folder / "calls.csv"), "--kind", "calls"]
    assert main([*argv, "--invoices", str(folder / "invoices.csv")]) == 2
    assert "--invoices is for --kind payments" in capsys.readouterr().err


# --------------------------------------------------------------------------- time zones


@pytest.mark.parametrize("zone", ["Factory", "localtime", "posixrules"])
def test_a_zone_that_is_no_clock_is_refused_everywhere(book, capsys, zone):
    import arcalls

    folder, _ = book
    # Only the payments of the fixture are broken; use the sample's own payments here.
    shutil.copy(sample_path("payments"), folder / "payments.csv")
    customers = folder / "customers.csv"
    lines = customers.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index("timezone")
    cells = lines[5].split(",")
    cells[at] = zone
    lines[5] = ",".join(cells)
    customers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # check, the loader and every command agree: row 6 is refused, naming file and row.
    problems = arcalls.check_file(customers, kind="customers")
    assert problems["row"].tolist() == [6]
    assert problems["problem"].str.contains("unknown time zone").all()
    with pytest.raises(arcalls.ParseError, match=r"customers\.csv, row 6, column 'timezone'"):
        arcalls.load_customers(customers)
    argv = ["call-list", "--out", str(folder / "list.csv")]
    argv += _inputs(folder, "invoices", "payments", "calls", "customers")
    assert main(argv) == 2
    assert "customers.csv, row 6, column 'timezone'" in capsys.readouterr().err
    assert main([*argv, "--lenient"]) == 0
    assert "1 of 400 rows of" in capsys.readouterr().err


def test_settlement_columns_beside_a_payments_file_are_named(tmp_path, capsys):
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "invoice_id,customer_id,invoice_date,due_date,amount,paid_date\n"
        "A1,C,2026-01-05,2026-02-04,100.00,2026-01-20\n",
        encoding="utf-8",
    )
    payments = tmp_path / "payments.csv"
    payments.write_text(
        "payment_id,invoice_id,payment_date,amount\nP1,A1,2026-01-20,40.00\n", encoding="utf-8"
    )
    argv = ["aging", "--invoices", str(invoices), "--payments", str(payments)]
    assert main([*argv, "--as-of", "2026-03-01"]) == 0
    err = capsys.readouterr().err
    assert "invoices.csv has paid_date, but the payments file" in err
    assert "the invoices' own settlement columns are not used" in err


# --------------------------------------------------------------------------- payment plans


def test_plan_problems_are_named_on_their_own_rows_among_other_calls(tmp_path):
    # The loader judges only the plan rows; each problem must land back on its own row,
    # with its own text (the schedule's sum differs per row), among ordinary calls.
    header = "call_id,customer_id,called_at,outcome,plan_amount,plan_schedule,plan_frequency"
    lines = [header]
    bad = {}
    for i in range(30):
        if i % 7 == 3:
            total = 100 + i
            lines.append(f"k{i},c{i},2026-11-02 10:00,plan,{total + 1}.00,2026-11-09={total}.00,")
            bad[i] = f"does not equal the schedule's sum, {total}.00"
        elif i % 11 == 5:
            lines.append(f"k{i},c{i},2026-11-02 10:00,contact,50.00,,")
            bad[i] = "plan fields are filled but the outcome is not 'plan'"
        elif i % 13 == 8:
            lines.append(f"k{i},c{i},2026-11-02 10:00,plan,90.00,2026-11-09=90.00,")
        else:
            lines.append(f"k{i},c{i},2026-11-02 10:00,no_answer,,,")
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(arcalls.RowsSetAsideWarning):
        calls = arcalls.load_calls(path, on_bad_rows="skip")
    aside = arcalls.load_report(calls).set_aside
    assert sorted(aside["row"].tolist()) == [i + 2 for i in sorted(bad)]
    for row, problem in zip(aside["row"], aside["problem"], strict=True):
        assert bad[row - 2] in problem
    assert len(calls) == 30 - len(bad) and "k8" in set(calls["call_id"])
