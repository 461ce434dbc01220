"""Tests for the presets: IBM sample, QuickBooks A/R Aging Detail, Xero Aged Receivables."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from arcalls import IntegrityError, ParseError, SchemaError
from arcalls.io import PRESETS, load_invoices, load_report

DATA = Path(__file__).parent / "data"
QB = DATA / "quickbooks_ar_aging_detail.csv"
XERO = DATA / "xero_aged_receivables_detail.csv"


def test_registry_names():
    assert set(PRESETS) == {"ibm_ar", "quickbooks_aging_detail", "xero_aged_receivables_detail"}


def test_ibm_ar(ibm_ar_path):
    inv = load_invoices(ibm_ar_path, preset="ibm_ar")
    with open(ibm_ar_path, newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    assert len(inv) == len(raw) == 2466
    assert load_report(inv).rows_in == 2466
    # Leading zeros kept: the first invoice number is 0000611365 in the file.
    assert inv["invoice_id"].iloc[0] == raw[0]["invoiceNumber"] == "0000611365"
    assert inv["amount"].sum() == pytest.approx(
        sum(float(r["InvoiceAmount"]) for r in raw), abs=0.005
    )
    # Settled in full: amount_paid == amount on every row.
    assert (inv["amount_paid"] == inv["amount"]).all()
    assert inv["disputed"].sum() == sum(r["Disputed"] == "Yes" for r in raw)
    assert inv["paperless"].sum() == sum(r["PaperlessBill"] == "Electronic" for r in raw)
    assert inv["country"].dtype == "string"
    assert set(inv["country"]) == {r["countryCode"] for r in raw}
    assert "DaysLate" not in inv and "DaysToSettle" not in inv
    # 1/2/2013 is 2 January (the preset says month-first).
    assert inv["invoice_date"].iloc[0] == pd.Timestamp("2013-01-02")
    assert inv.columns.tolist()[:5] == [
        "invoice_id",
        "customer_id",
        "invoice_date",
        "due_date",
        "amount",
    ]


def test_ibm_ar_days_late_mismatch_names_the_row(ibm_ar_path, tmp_path):
    lines = ibm_ar_path.read_text(encoding="utf-8").splitlines()
    # Row 2 settles 13 days after its invoice date and is not late: claim DaysLate 9.
    assert lines[1].endswith(",13,0")
    lines[1] = lines[1][: -len(",13,0")] + ",13,9"
    path = tmp_path / "ar.csv"
    path.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    with pytest.raises(
        IntegrityError,
        match=r"row 2, column 'DaysLate': value '9': "
        r"does not match max\(0, SettledDate - DueDate\) = 0 days",
    ):
        load_invoices(path, preset="ibm_ar")


def test_quickbooks_aging_detail():
    inv = load_invoices(QB, preset="quickbooks_aging_detail")
    # Every transaction row is part of the receivable: five invoices, a credit memo and
    # an unapplied payment. Hand totals: amounts 1200 + 250.50 + 2000 - 75 + 629.10 + 3.50
    # - 100 = 3908.10 (the TOTAL line's Amount); open balances 1200 + 250.50 + 800 - 75
    # + 629.10 + 3.50 - 100 = 2708.10 (its Open Balance).
    assert inv["invoice_id"].tolist() == ["1042", "1043", "1035", "1038", "0991", "0874", "row-19"]
    assert inv["transaction_type"].tolist() == ["Invoice"] * 3 + ["Credit Memo"] + [
        "Invoice"
    ] * 2 + ["Payment"]
    assert round(inv["amount"].sum(), 2) == 3908.10
    assert round(inv["open_balance"].sum(), 2) == 2708.10
    assert inv["is_credit"].tolist() == [False] * 3 + [True] + [False] * 2 + [True]
    assert inv["customer_id"].tolist()[:2] == ["Amy's Bird Sanctuary", "Cool Cars"]
    assert (inv["customer_name"] == inv["customer_id"]).all()
    assert inv["due_date"].iloc[2] == pd.Timestamp("2026-11-09")
    # A credit memo or a payment has no due date: it is due (and aged) from its own date.
    assert inv["due_date"].iloc[3] == inv["invoice_date"].iloc[3] == pd.Timestamp("2026-10-30")
    assert inv["due_date"].iloc[6] == pd.Timestamp("2026-06-20")
    report = load_report(inv)
    assert report.as_of == pd.Timestamp("2026-11-25")
    assert (report.rows_in, report.rows_loaded, len(report.set_aside)) == (7, 7, 0)


def test_quickbooks_credits_land_in_the_bucket_of_their_date():
    import arcalls

    inv = load_invoices(QB, preset="quickbooks_aging_detail")
    table = arcalls.aging(inv, as_of="2026-11-25", by=None)
    # The report's own section totals: Current 1,450.50; 1-30 725.00 (800 - 75);
    # 31-60 629.10; 91 and over -96.50 (3.50 - 100, 120+ here: both rows are older).
    assert table[["current", "1-30", "31-60", "61-90", "91-120", "120+"]].iloc[0].round(
        2
    ).tolist() == [1450.50, 725.00, 629.10, 0.0, 0.0, -96.50]
    assert round(float(table["total"].iloc[0]), 2) == 2708.10


def test_quickbooks_total_mismatch(tmp_path):
    text = QB.read_text(encoding="utf-8").replace('"$2,708.10"', '"$2,708.11"')
    path = tmp_path / "aging.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        IntegrityError, match=r"add up to 2,708.10 but the TOTAL line \(row 21\) says 2,708.11"
    ):
        load_invoices(path, preset="quickbooks_aging_detail")


def test_quickbooks_preset_on_another_file(tmp_path):
    path = tmp_path / "aging.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(Exception, match="no header line of the expected report"):
        load_invoices(path, preset="quickbooks_aging_detail")


def test_xero_aged_receivables_detail():
    inv = load_invoices(XERO, preset="xero_aged_receivables_detail")
    assert inv["invoice_id"].tolist() == ["INV-0041", "INV-0027", "INV-0012", "CN-0003"]
    assert inv["customer_id"].tolist() == ["Bayside Club"] * 2 + ["City Limousines"] * 2
    # No original amount in the report: amount = open balance = Total.
    assert inv["open_balance"].tolist() == [234.0, 1050.0, 500.0, -50.0]
    assert (inv["amount"] == inv["open_balance"]).all()
    assert inv["is_credit"].tolist() == [False, False, False, True]
    assert inv["open_balance"].sum() == pytest.approx(1734.0, abs=0.005)  # the Total line
    assert inv["invoice_date"].iloc[0] == pd.Timestamp("2026-11-20")
    report = load_report(inv)
    assert report.as_of == pd.Timestamp("2026-11-25")
    assert (report.rows_in, report.rows_loaded, len(report.set_aside)) == (4, 4, 0)


def test_xero_bad_invoice_row_is_set_aside_with_its_line_number(tmp_path):
    text = XERO.read_text(encoding="utf-8").replace("12 Jul 2026,INV-0012", "31 Jun 2026,INV-0012")
    path = tmp_path / "xero.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.warns(UserWarning, match="1 row"):
        inv = load_invoices(path, preset="xero_aged_receivables_detail", on_bad_rows="skip")
    report = load_report(inv)
    assert report.set_aside["row"].tolist() == [11]
    assert report.rows_in == report.rows_loaded + len(report.set_aside) == 4


def test_preset_columns_can_be_overridden(ibm_ar_path):
    with pytest.raises(SchemaError, match="missing required invoices column"):
        load_invoices(ibm_ar_path, preset="ibm_ar", columns={"invoiceNumber": None})


def test_quickbooks_partly_applied_payment_and_journal_entry():
    import arcalls

    inv = load_invoices(
        DATA / "quickbooks_ar_aging_detail_payments.csv", preset="quickbooks_aging_detail"
    )
    assert inv["invoice_id"].tolist() == [
        "1101",
        "row-10",
        "1090",
        "1095",
        "row-13",
        "JE-7",
        "1050",
    ]
    table = arcalls.aging(inv, as_of=load_report(inv).as_of, by=None)
    # Hand totals, as the report's sections print them: Current 1,500.00; 1-30 -400.00
    # + 450.00 - 60.00 - 125.00 = -135.00; 61-90 35.00; 91+ 2,000.00 (122 days: 120+).
    assert table[["current", "1-30", "61-90", "120+"]].iloc[0].round(2).tolist() == [
        1500.0,
        -135.0,
        35.0,
        2000.0,
    ]
    assert round(float(table["total"].iloc[0]), 2) == 3400.00


def _day_first_copy(ibm_ar_path, tmp_path):
    with open(ibm_ar_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    dates = [rows[0].index(h) for h in ("PaperlessDate", "InvoiceDate", "DueDate", "SettledDate")]
    for row in rows[1:]:
        for i in dates:
            m, d, y = row[i].split("/")
            row[i] = f"{d}/{m}/{y}"
    path = tmp_path / "ar_dayfirst.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_ibm_day_first_copy_names_dayfirst(ibm_ar_path, tmp_path):
    path = _day_first_copy(ibm_ar_path, tmp_path)
    with pytest.raises(
        ParseError,
        match=r"column 'InvoiceDate': \d[\d,]* of 2,466 dates are not dates read month-first "
        r"\(the ibm_ar preset's order\), but every one of them reads day-first.*--dayfirst",
    ) as info:
        load_invoices(path, preset="ibm_ar")
    assert "--date-format" in str(info.value)
    # Read day-first, the copy is the original file.
    assert load_invoices(path, preset="ibm_ar", dayfirst=True).equals(
        load_invoices(ibm_ar_path, preset="ibm_ar")
    )


def test_a_few_bad_dates_under_a_preset_stay_row_problems(ibm_ar_path, tmp_path):
    lines = ibm_ar_path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",1/2/2013,", ",13/2/2013,", 1)
    path = tmp_path / "ar.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"row 2, column 'InvoiceDate': value '13/2/2013'"):
        load_invoices(path, preset="ibm_ar")


def test_quickbooks_applied_part_of_a_payment_is_no_negative_payment():
    import arcalls

    inv = load_invoices(
        DATA / "quickbooks_ar_aging_detail_payments.csv", preset="quickbooks_aging_detail"
    )
    # Row 13: a payment of 500.00 with 125.00 unapplied. Its applied 375.00 is in the open
    # balance of the invoice it paid; the payment's own receivable is the 125.00 credit.
    row = inv.set_index("invoice_id").loc["row-13"]
    assert (row["amount"], row["open_balance"]) == (-125.0, -125.0)
    payments = arcalls.settlements_as_payments(inv)
    assert (payments["amount"] > 0).all()
    # Invoice 1090: 900.00 billed, 450.00 open: 450.00 paid before the report.
    assert payments.set_index("invoice_id").loc["1090", "amount"] == 450.0
