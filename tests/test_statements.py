"""Customer statements: hand-worked items and buckets, reconciliation, writers, command."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import arcalls
from arcalls import InputError, OutputError, statements, statements_html, write_statements
from arcalls.cli import main

AS_OF = "2025-06-30"


def _book():
    """Customer A: 1-30, current, a credit in 120+, one paid in full, one part-paid.
    Customer B: one disputed invoice in 31-60 and a name only in the customers table."""
    inv = pd.DataFrame(
        {
            "invoice_id": ["1", "2", "3", "4", "5", "6"],
            "customer_id": ["A", "A", "A", "A", "A", "B"],
            "invoice_date": pd.to_datetime(
                ["2025-05-01", "2025-06-01", "2025-02-01", "2025-05-01", "2025-03-15", "2025-04-01"]
            ),
            "due_date": pd.to_datetime(
                ["2025-05-31", "2025-06-30", "2025-03-01", "2025-05-31", "2025-04-15", "2025-05-01"]
            ),
            "amount": [100.0, 250.0, -40.0, 75.0, 500.0, 80.0],
            "customer_name": ["=HYPERLINK(1)", "=HYPERLINK(1)", None, None, None, None],
            "disputed": [False, False, False, False, False, True],
        }
    ).astype({"invoice_id": "string", "customer_id": "string", "customer_name": "string"})
    pay = pd.DataFrame(
        {
            "payment_id": ["P1", "P2", "P3"],
            "invoice_id": pd.array(["4", "5", "5"], dtype="string"),
            "payment_date": pd.to_datetime(["2025-06-10", "2025-05-20", "2025-07-02"]),
            "amount": [75.0, 300.0, 200.0],  # P3 is after the as-of date
        }
    )
    customers = pd.DataFrame(
        {"customer_id": ["A", "B"], "customer_name": ["Other name", "<b>Bolt & Nut</b>\x07"]}
    ).astype("string")
    return inv, pay, customers


def test_hand_worked_statement_items_and_totals():
    inv, pay, customers = _book()
    st = statements(inv, pay, as_of=AS_OF, customers=customers)
    items = st.items.set_index("invoice_id")
    assert list(items.index) == ["3", "5", "1", "2", "6"]  # by customer, then due date
    assert items["bucket"].astype(str).to_dict() == {
        "3": "120+",
        "5": "61-90",
        "1": "1-30",
        "2": "current",
        "6": "31-60",
    }
    assert items["open_amount"].to_dict() == {
        "3": -40.0,
        "5": 200.0,
        "1": 100.0,
        "2": 250.0,
        "6": 80.0,
    }
    assert items.loc["3", "item"] == "credit" and items.loc["1", "item"] == "invoice"
    assert items.loc["5", "paid_to_date"] == 300.0
    # The invoices' own name wins; the customers table fills the one they lack.
    assert items.loc["1", "customer_name"] == "=HYPERLINK(1)"
    assert items.loc["6", "customer_name"] == "<b>Bolt & Nut</b>\x07"
    a, b = st.totals.loc["A"], st.totals.loc["B"]
    assert a[["current", "1-30", "31-60", "61-90", "91-120", "120+"]].tolist() == [
        250.0,
        100.0,
        0.0,
        200.0,
        0.0,
        -40.0,
    ]
    assert a["total_due"] == 510.0 and a["overdue"] == 260.0 and a["open_items"] == 4
    assert b["total_due"] == 80.0 and b["disputed"] == 80.0 and b["31-60"] == 80.0
    assert items.loc["2", "customer_total_due"] == 510.0
    assert st.as_of == pd.Timestamp(AS_OF) and st.currency is None


@pytest.mark.parametrize("as_of", ["2025-06-30", "2026-01-31", "2026-06-30", "2026-10-31"])
def test_statements_reconcile_with_the_aging_to_the_cent(as_of):
    s = arcalls.load_sample()
    st = statements(s.invoices, s.payments, as_of=as_of, customers=s.customers)
    aged = arcalls.aging(s.invoices, s.payments, as_of=as_of, by="customer_id")
    assert sorted(st.totals.index) == sorted(aged.index)
    aged = aged.reindex(st.totals.index)
    for col in [*st.buckets]:
        assert (st.totals[col] - aged[col]).abs().max() < 0.005, col
    assert (st.totals["total_due"] - aged["total"]).abs().max() < 0.005
    assert (st.totals["overdue"] - aged["overdue"]).abs().max() < 0.005
    assert (st.totals["open_items"] == aged["open_invoices"]).all()
    assert round(st.items["open_amount"].sum(), 2) == round(aged["total"].sum(), 2)


def test_late_charges_are_shown_beside_never_inside_the_total_due():
    inv, pay, _ = _book()
    plain = statements(inv, pay, as_of=AS_OF)
    st = statements(inv, pay, as_of=AS_OF, late_charges="monthly:1.5")
    pd.testing.assert_series_equal(st.totals["total_due"], plain.totals["total_due"])
    charges = arcalls.late_charges(inv, pay, as_of=AS_OF, policy="monthly:1.5")
    by_id = st.items.set_index("invoice_id")["late_charge"]
    # Invoice 1: 100 x 0.18 x 30 / 365 = 1.479 -> 1.48. Invoice 5: 500 on 16 Apr..19 May
    # (34 days), then 200 on 20 May..30 Jun (42 days): 25400 x 0.18 / 365 = 12.526 -> 12.53.
    assert by_id.to_dict() == {"3": 0.0, "5": 12.53, "1": 1.48, "2": 0.0, "6": 0.0}
    assert st.totals.loc["A", "late_charges"] == 14.01
    assert charges.set_index("invoice_id")["late_charge"].to_dict() == {
        "5": 12.53,
        "1": 1.48,
        "6": 0.0,
    }
    # The table itself may be passed, as the command does.
    again = statements(inv, pay, as_of=AS_OF, late_charges=charges)
    pd.testing.assert_frame_equal(again.items, st.items)


def test_html_one_page_per_customer_escaped(tmp_path):
    inv, pay, customers = _book()
    st = statements(inv, pay, as_of=AS_OF, customers=customers, late_charges="fee:10")
    page = statements_html(st, business_name="Smith & <Sons>")
    assert page.count('<section class="statement">') == 2
    assert "page-break-after: always" in page and "break-after: page" in page
    assert page.count("<h1>Smith &amp; &lt;Sons&gt;</h1>") == 2
    assert "as of 2025-06-30" in page
    assert "&lt;b&gt;Bolt &amp; Nut&lt;/b&gt;" in page and "<b>Bolt" not in page
    assert "\x07" not in page
    assert "$510.00" in page and "-$40.00" in page
    assert "Late charges that may apply: $20.00 (not included in the total due)" in page


def test_write_statements_csv_and_html_atomically(tmp_path):
    inv, pay, customers = _book()
    st = statements(inv, pay, as_of=AS_OF, customers=customers)
    paths = write_statements(st, tmp_path, business_name="Acme")
    assert [p.name for p in paths] == ["statements.csv", "statement_totals.csv", "statements.html"]
    with open(tmp_path / "statements.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(st.items) == 5
    assert rows[2]["customer_name"] == "'=HYPERLINK(1)"  # formula neutralised
    assert {r["customer_id"]: r["customer_total_due"] for r in rows} == {"A": "510.0", "B": "80.0"}
    totals = pd.read_csv(tmp_path / "statement_totals.csv", dtype={"customer_id": str})
    assert totals.set_index("customer_id")["total_due"].to_dict() == {"A": 510.0, "B": 80.0}
    with pytest.raises(OutputError, match="does not exist"):
        write_statements(st, tmp_path / "missing")


def test_two_currencies_are_refused():
    inv, pay, _ = _book()
    inv = inv.assign(currency=["USD", "USD", "USD", "EUR", "USD", "USD"])
    with pytest.raises(InputError, match="2 currencies"):
        statements(inv, pay, as_of=AS_OF)


def _readme_section(title: str) -> str:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    return " ".join(text[start : text.index("\n## ", start + 1)].split())


def test_command_writes_the_statements_and_the_readme_quotes_its_line(tmp_path, capsys):
    s = arcalls.load_sample()
    code = main(
        [
            "statements",
            "--as-of",
            "2026-06-30",
            "--out",
            str(tmp_path / "st"),
            "--late-charges",
            "monthly:1.5",
            "C0001=fee:25",
            "--business-name",
            "Acme",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    charges = arcalls.late_charges(
        s.invoices,
        s.payments,
        as_of="2026-06-30",
        policy="monthly:1.5",
        customer_policies={"C0001": "fee:25"},
    )
    st = statements(s.invoices, s.payments, as_of="2026-06-30", late_charges=charges)
    aged = arcalls.aging(s.invoices, s.payments, as_of="2026-06-30", by=None)
    line = (
        f"Statements as of 2026-06-30 for {len(st.totals)} customers with "
        f"{len(st.items)} open items: total due USD {aged['total'].item():,.2f}; late "
        f"charges that may apply USD {charges['late_charge'].sum():,.2f} (not in the total)."
    )
    assert line in out
    assert " ".join(line.split()) in _readme_section("Late charges and statements")
    assert (tmp_path / "st" / "statements.html").is_file()
    items = pd.read_csv(tmp_path / "st" / "statements.csv", dtype={"invoice_id": str})
    assert len(items) == len(st.items)
    assert round(items["late_charge"].sum(), 2) == round(charges["late_charge"].sum(), 2)


def test_command_one_customer_and_bad_options(tmp_path, capsys):
    assert main(["statements", "--out", str(tmp_path), "--customer", "C0001"]) == 0
    items = pd.read_csv(tmp_path / "statements.csv", dtype={"customer_id": str})
    assert set(items["customer_id"]) == {"C0001"}
    assert main(["statements", "--out", str(tmp_path), "--customer", "NOPE"]) == 2
    assert "--customer 'NOPE' has no invoice" in capsys.readouterr().err
    assert main(["statements", "--out", str(tmp_path), "--late-charges", "weekly:1"]) == 2
    assert "unknown late-charge policy 'weekly:1'" in capsys.readouterr().err
    assert main(["statements", "--out", str(tmp_path), "--late-charges", "uk:5", "eu:4"]) == 2
    assert "one policy for the business" in capsys.readouterr().err


def test_a_book_with_no_open_item_writes_empty_statements(tmp_path):
    """No open invoice at all (every payment set aside, a header-only export): the HTML
    and CSV are written, not an exit 3 (issue 17: '<td>' + an empty float column)."""
    s = arcalls.load_sample()
    result = statements(s.invoices.iloc[:0], s.payments.iloc[:0], as_of="2026-06-30")
    assert len(result.items) == 0 and len(result.totals) == 0
    page = statements_html(result)
    assert '<section class="statement">' not in page
    written = write_statements(result, tmp_path)
    assert {p.name for p in written} >= {"statements.csv", "statements.html"}
