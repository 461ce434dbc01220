"""Every file of the adversarial corpus loads cleanly or raises its exact, located error.

The manifest is :mod:`cases`; each file is loaded strictly, then leniently (where rows
in = rows loaded + rows set aside must hold), and its bytes must be unchanged after.
Files too big to commit (a 1 MB cell, a million-cell line) are written at test time.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls import InputError, ParseError, RowsSetAsideWarning, io

from .cases import CASES, FILES, KINDS, PRESETS, Case

LOADERS = {
    "invoices": io.load_invoices,
    "payments": io.load_payments,
    "calls": io.load_calls,
    "customers": io.load_customers,
}

#: Big generated inputs (bytes of one cell, cells on one line).
BIG_CELL_CHARS = 1_000_000
MANY_CELLS = 1_000_000


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _options(case: Case) -> dict:
    options = dict(case.options)
    if case.preset is not None:
        options["preset"] = case.preset
    if case.invoices_file is not None:
        options["invoices"] = io.load_invoices(FILES / case.invoices_file)
    return options


def _case_id(case: Case) -> str:
    extra = ",".join(f"{k}={v}" for k, v in case.options.items() if k != "outcome_map")
    if "outcome_map" in case.options:
        extra += "outcome_map"
    return case.file + (f"[{extra}]" if extra else "")


def test_the_corpus_covers_every_table_and_preset():
    files = {c.file for c in CASES}
    on_disk = {p.name for p in FILES.iterdir() if p.name != ".gitattributes"}
    assert len(files) >= 40
    assert on_disk == files, "every committed file has a case, and every case a file"
    assert {c.kind for c in CASES} == set(KINDS)
    assert {c.preset for c in CASES} - {None} == set(PRESETS)
    # Both outcomes are represented for every table.
    for kind in KINDS:
        assert {c.error is None for c in CASES if c.kind == kind} == {True, False}, kind


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_corpus_file(case: Case):
    path = FILES / case.file
    before = _sha256(path)
    loader = LOADERS[case.kind]
    options = _options(case)

    if case.error is not None:
        with pytest.raises(case.error, match=case.match) as info:
            loader(path, **options)
        # Exactly this class, not a subclass that happens to match.
        assert type(info.value) is case.error
        assert str(path.name) in str(info.value)
    else:
        frame = loader(path, **options)
        report = arcalls.load_report(frame)
        assert len(frame) == report.rows_loaded == case.rows
        assert report.rows_in == report.rows_loaded + len(report.set_aside)
        if case.preset is None:
            assert len(report.set_aside) == 0
        if case.encoding is not None:
            assert report.encoding == case.encoding
        for column, expected in case.values.items():
            got = frame[column].tolist()
            if frame[column].dtype == "float64":
                np.testing.assert_allclose(got, expected, atol=0.005)
                # -0 must load as +0 (a "-0.00" in an export is not a credit).
                zero = np.asarray(expected) == 0
                assert not np.signbit(frame[column].to_numpy()[zero]).any()
            else:
                assert got == expected, column

    if case.lenient is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RowsSetAsideWarning)
            frame = loader(path, on_bad_rows="skip", **options)
        report = arcalls.load_report(frame)
        assert (report.rows_loaded, len(report.set_aside)) == case.lenient
        assert report.rows_in == report.rows_loaded + len(report.set_aside)
        assert len(frame) == report.rows_loaded
        assert report.set_aside["problem"].notna().all()
    elif case.error is not None:
        # A table-level problem: lenient mode cannot load around it either.
        with pytest.raises(case.error, match=case.match):
            loader(path, on_bad_rows="skip", **options)

    assert _sha256(path) == before, "loading must never modify the input file"


def test_payment_larger_than_its_invoice_leaves_a_credit_balance():
    # INV-1 is 100.00; P1 pays 250.00 on 2026-02-01: open = 100 - 250 = -150.00, still
    # "open" (money owed back), never silently clipped to zero.
    invoices = io.load_invoices(FILES / "inv_bom.csv")
    payments = io.load_payments(FILES / "pay_larger_than_invoice.csv", invoices=invoices)
    state = arcalls.invoice_balances(invoices, payments, as_of=pd.Timestamp("2026-03-01"))
    assert state["paid_to_date"].tolist() == [250.0]
    assert state["open_amount"].tolist() == [-150.0]


# --------------------------------------------------------------------------- generated


def test_a_one_megabyte_cell_is_a_located_row_problem(tmp_path):
    path = tmp_path / "calls.csv"
    big = "x" * BIG_CELL_CHARS
    path.write_text(
        "call_id,customer_id,called_at,outcome,notes\n"
        "K1,C1,2026-02-10 10:00,contact,short\n"
        f'K2,C1,2026-02-11 10:00,contact,"{big}"\n'
    )
    with pytest.raises(
        ParseError,
        match=r"calls\.csv, row 3, column 'notes': value 'xxx.*\.\.\.': cell longer than "
        r"32,767 characters",
    ):
        io.load_calls(path)
    with pytest.warns(RowsSetAsideWarning):
        calls = io.load_calls(path, on_bad_rows="skip")
    report = arcalls.load_report(calls)
    assert (report.rows_in, report.rows_loaded, len(report.set_aside)) == (2, 1, 1)
    assert calls["call_id"].tolist() == ["K1"]


def test_a_cell_at_the_spreadsheet_limit_loads(tmp_path):
    path = tmp_path / "customers.csv"
    name = "n" * 32_767
    path.write_text(f"customer_id,customer_name\nC1,{name}\n")
    assert io.load_customers(path)["customer_name"].str.len().tolist() == [32_767]


def test_a_million_cell_line_is_a_row_problem(tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_text(
        "invoice_id,customer_id,invoice_date,due_date,amount\n"
        "INV-1,C1,2026-01-05,2026-02-04,100.00\n"
        "INV-2,C1,2026-01-05,2026-02-04,5" + ",x" * MANY_CELLS + "\n"
    )
    with pytest.raises(
        ParseError, match=r"invoices\.csv, row 3: more cells than the header line has columns"
    ):
        io.load_invoices(path)
    with pytest.warns(RowsSetAsideWarning):
        inv = io.load_invoices(path, on_bad_rows="skip")
    report = arcalls.load_report(inv)
    assert (report.rows_in, report.rows_loaded, len(report.set_aside)) == (2, 1, 1)


def test_a_million_column_header_is_refused(tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_text(
        "invoice_id,customer_id,invoice_date,due_date,amount"
        + ",x" * MANY_CELLS
        + "\nINV-1,C1,2026-01-05,2026-02-04,100.00\n"
    )
    with pytest.raises(InputError, match=r"header line \(row 1\) has 1,000,005 columns"):
        io.load_invoices(path)


def test_the_csv_field_limit_is_restored(tmp_path):
    import csv

    before = csv.field_size_limit()
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,customer_name\nC1," + "n" * 200_000 + "\n")
    with pytest.raises(ParseError, match="cell longer than"):
        io.load_customers(path)
    assert csv.field_size_limit() == before
