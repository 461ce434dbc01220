"""Every loaded open total reconciles to the export's own total, to the cent.

One test per real or real-shaped export. The export's total is computed here from the
file itself with the csv module (never copied from a run), and compared with the open
total arcalls computes (:func:`arcalls.aging` with ``by=None``) after loading.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pandas as pd
import pytest

import arcalls

#: The README's UDYAM'22 worked example (section "Loading in Python").
UDYAM_COLUMNS = {
    "Vendor_Name": "customer_id",
    "Invoice_Date": "invoice_date",
    "Due_Date": "due_date",
    "Amount": "amount",
    "Settled": "amount_paid",
    "Number_of_Days_until_Payment": "days_to_pay",
    "Outstanding": "open_balance",
}


def _cents(value: float) -> int:
    return round(value * 100)


def _open_total(invoices: pd.DataFrame, payments=None, *, as_of) -> float:
    table = arcalls.aging(invoices, payments, as_of=as_of, by=None)
    return float(table["total"].iloc[0])


def _load_udyam(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", arcalls.RowsSetAsideWarning)
        return arcalls.load_invoices(
            path,
            columns=UDYAM_COLUMNS,
            date_format="%d-%b-%y",
            make_ids=True,
            on_bad_rows="skip",
        )


def test_udyam_open_total_is_the_outstanding_column(ledger_path):
    with open(ledger_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    outstanding = sum(_cents(float(r["Outstanding"])) for r in rows)
    assert outstanding == 73_997_692  # $739,976.92, the figure
    last_paid = max(
        pd.Timestamp(pd.to_datetime(r["Invoice_Date"], format="%d-%b-%y"))
        + pd.Timedelta(days=int(r["Number_of_Days_until_Payment"]))
        for r in rows
    )
    inv = _load_udyam(ledger_path)
    report = arcalls.load_report(inv)
    # The duplicated line is set aside (no ids tell it from a second invoice): its
    # outstanding amount is the only difference from the file's own total.
    assert report.set_aside["row"].tolist() == [316]
    aside = _cents(float(rows[316 - 2]["Outstanding"]))
    as_of = last_paid + pd.Timedelta(days=1)
    assert _cents(_open_total(inv, as_of=as_of)) + aside == outstanding
    # Every paid date is the invoice date plus the file's days until payment.
    assert inv["paid_date"].max() == last_paid
    assert "days_to_pay" not in inv


def test_udyam_paid_dates_come_from_the_days_column(ledger_path):
    inv = _load_udyam(ledger_path)
    first = inv.iloc[0]
    # Row 2: invoiced 26-Apr-11, paid 13 days later.
    assert first["invoice_date"] == pd.Timestamp("2011-04-26")
    assert first["paid_date"] == pd.Timestamp("2011-05-09")


def test_readme_udyam_figures(ledger_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    inv = _load_udyam(ledger_path)
    with open(ledger_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    total = _open_total(inv, as_of="2017-11-30")
    outstanding = sum(_cents(float(r["Outstanding"])) for r in rows) / 100
    aside = float(rows[316 - 2]["Outstanding"])
    assert f'as_of="2017-11-30", by=None)["total"]   # {total:,.2f}' in readme
    assert f"The open total, ${total:,.2f}, is the file's own `Outstanding` column" in readme
    assert f"(${outstanding:,.2f})" in readme
    assert (
        f"less\nthe ${aside:,.2f} outstanding on the duplicated line set aside (row 316)" in readme
    )
    assert str(arcalls.load_report(inv)).endswith("8753 rows in, 8752 loaded, 1 set aside")
    assert "8753 rows in, 8752 loaded, 1 set aside" in readme


DATA = Path(__file__).parent / "data"


def _printed_total(path: Path, label: str, column: str) -> int:
    """The export's own grand total line, in cents, read from the file's text."""
    with open(path, newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    header = next(line for line in lines if column in line)
    at = header.index(column)
    total = next(line for line in lines if line and line[0].strip() == label)
    text = total[at].replace("$", "").replace(",", "")
    negative = text.startswith("(")
    cents = _cents(float(text.strip("()")))
    return -cents if negative else cents


@pytest.mark.parametrize(
    "name",
    ["quickbooks_ar_aging_detail.csv", "quickbooks_ar_aging_detail_payments.csv"],
)
def test_quickbooks_open_total_is_the_total_line(name):
    path = DATA / name
    inv = arcalls.load_invoices(path, preset="quickbooks_aging_detail")
    as_of = arcalls.load_report(inv).as_of
    assert _cents(_open_total(inv, as_of=as_of)) == _printed_total(path, "TOTAL", "Open Balance")
    # Credits stay credits: every credit memo and payment row loaded, negative.
    credits = inv["transaction_type"].str.lower().isin(["credit memo", "payment"])
    assert credits.sum() >= 2
    assert (inv.loc[credits, "amount"] < 0).all()


@pytest.mark.parametrize(
    "name", ["xero_aged_receivables_detail.csv", "xero_aged_receivables_detail_credits.csv"]
)
def test_xero_open_total_is_the_total_line(name):
    path = DATA / name
    inv = arcalls.load_invoices(path, preset="xero_aged_receivables_detail")
    as_of = arcalls.load_report(inv).as_of
    assert _cents(_open_total(inv, as_of=as_of)) == _printed_total(path, "Total", "Total")


def test_xero_credit_notes_overpayments_and_prepayments_load():
    inv = arcalls.load_invoices(
        DATA / "xero_aged_receivables_detail_credits.csv", preset="xero_aged_receivables_detail"
    )
    credits = inv[inv["is_credit"]]
    assert credits["invoice_id"].tolist() == [
        "Overpayment row-9",
        "CN-0003",
        "Prepayment row-16",
        "row-18",
    ]
    assert credits["customer_id"].tolist() == [
        "Bayside Club",
        "City Limousines",
        "Marine Systems",
        "Marine Systems",
    ]
    # No due date printed: due, and aged, from the transaction's own date.
    assert credits["due_date"].iloc[0] == pd.Timestamp("2026-10-15")


@pytest.mark.parametrize("as_of", ["2012-06-30", "2013-06-30", "2013-12-31"])
def test_ibm_open_total_is_what_was_unsettled_on_the_date(ibm_ar_path, as_of):
    """The IBM sample settles every invoice: open on a date = issued, not yet settled."""
    with open(ibm_ar_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    t = pd.Timestamp(as_of)
    expected = sum(
        _cents(float(r["InvoiceAmount"]))
        for r in rows
        if pd.Timestamp(r["InvoiceDate"]) <= t < pd.Timestamp(r["SettledDate"])
    )
    inv = arcalls.load_invoices(ibm_ar_path, preset="ibm_ar")
    assert expected > 0
    assert _cents(_open_total(inv, as_of=t)) == expected


def test_udyam_on_the_command_line(ledger_path, capsys):
    """The README's mapping as --columns JSON: the same open total, and a check hint that
    reads the file the same way."""
    import json
    import shlex

    from arcalls.cli import main

    columns = json.dumps(UDYAM_COLUMNS)
    argv = ["aging", "--invoices", str(ledger_path), "--columns", columns]
    argv += ["--date-format", "%d-%b-%y", "--make-ids", "--lenient", "--as-of", "2017-11-30"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    total = _open_total(_load_udyam(ledger_path), as_of="2017-11-30")
    assert f"{total:,.2f}" in captured.out
    hint = captured.err.split("run `", 1)[1].split("`", 1)[0]
    assert main(shlex.split(hint)[1:]) == 1
    assert "1 problem in 1 of 8753 rows" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "preset"),
    [
        ("quickbooks_ar_aging_detail.csv", "quickbooks_aging_detail"),
        ("quickbooks_ar_aging_detail_payments.csv", "quickbooks_aging_detail"),
        ("xero_aged_receivables_detail_credits.csv", "xero_aged_receivables_detail"),
    ],
)
def test_the_ledger_and_aging_agree_per_customer(name, preset):
    """Per customer, the ledger's open amounts add up to aging's total, credits included."""
    inv = arcalls.load_invoices(DATA / name, preset=preset)
    as_of = arcalls.load_report(inv).as_of
    balances = arcalls.invoice_balances(inv, as_of=as_of)
    by_customer = balances.groupby("customer_id")["open_amount"].sum().round(2)
    table = arcalls.aging(inv, as_of=as_of)
    assert table["total"].round(2).sort_index().to_dict() == by_customer.sort_index().to_dict()
    # And each customer's open amount is what the report's own rows print for it.
    printed = inv.groupby("customer_id")["open_balance"].sum().round(2)
    assert by_customer.sort_index().to_dict() == printed.sort_index().to_dict()
