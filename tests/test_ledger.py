"""Point-in-time balances: the numbers every analysis starts from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcalls.ledger import invoice_balances, settlements_as_payments
from arcalls.schema import INVOICES, PAYMENTS, dtype_of


def _frame(table, rows):
    frame = pd.DataFrame(rows)
    return frame.astype({c.name: dtype_of(c.kind) for c in table.columns if c.name in frame})


@pytest.fixture
def invoices():
    return _frame(
        INVOICES,
        {
            "invoice_id": ["A", "B", "C", "D", "E"],
            "customer_id": ["c1", "c1", "c2", "c2", "c3"],
            "invoice_date": pd.to_datetime(
                ["2026-01-01", "2026-02-01", "2026-01-15", "2026-03-20", "2026-01-01"]
            ),
            "due_date": pd.to_datetime(
                ["2026-01-31", "2026-03-03", "2026-02-14", "2026-04-19", "2026-01-31"]
            ),
            "amount": [100.00, 250.10, 80.00, 40.00, -30.00],
            "written_off_date": pd.to_datetime([None, None, "2026-03-01", None, None]),
        },
    )


@pytest.fixture
def payments():
    return _frame(
        PAYMENTS,
        {
            "payment_id": ["p1", "p2", "p3", "p4"],
            "invoice_id": ["A", "A", "B", "C"],
            "payment_date": pd.to_datetime(
                ["2026-02-10", "2026-03-10", "2026-03-31", "2026-02-20"]
            ),
            "amount": [60.00, 40.00, 100.05, 10.00],
        },
    )


def test_balances_use_only_what_was_known_on_the_date(invoices, payments):
    bal = invoice_balances(invoices, payments, as_of="2026-03-03").set_index("invoice_id")
    # D is issued after the as-of date: unknown.
    assert list(bal.index) == ["A", "B", "C", "E"]
    # A: 100 - 60 (p2 on 03-10 is in the future) = 40.00, due 01-31 -> 31 days past due.
    assert bal.loc["A", "open_amount"] == 40.00
    assert bal.loc["A", "days_past_due"] == 31
    # B is due on the as-of date: 0 days past due, nothing paid yet.
    assert bal.loc["B", "days_past_due"] == 0
    assert bal.loc["B", "open_amount"] == 250.10
    # C was written off on 03-01: no longer open, though 70.00 was never paid.
    assert bal.loc["C", "open_amount"] == 0.0
    assert bool(bal.loc["C", "written_off"])
    # E is a credit note: it stays negative and open.
    assert bal.loc["E", "open_amount"] == -30.00
    assert bool(bal.loc["E", "is_open"])


def test_balances_later_date_sees_later_payments(invoices, payments):
    bal = invoice_balances(invoices, payments, as_of="2026-04-01").set_index("invoice_id")
    assert bal.loc["A", "open_amount"] == 0.0
    assert not bool(bal.loc["A", "is_open"])
    # 250.10 - 100.05 = 150.05 to the cent.
    assert bal.loc["B", "open_amount"] == 150.05
    # No "-0.0" that a spreadsheet would print as -0.00.
    assert not np.signbit(bal.loc["A", "open_amount"])


def test_balances_never_mutate_inputs(invoices, payments):
    before_inv, before_pay = invoices.copy(), payments.copy()
    invoice_balances(invoices, payments, as_of="2026-04-01")
    pd.testing.assert_frame_equal(invoices, before_inv)
    pd.testing.assert_frame_equal(payments, before_pay)


def test_settlement_columns_become_payments(invoices):
    inv = invoices.assign(
        paid_date=pd.to_datetime(["2026-02-05", None, None, None, None]),
        amount_paid=[99.99, np.nan, np.nan, np.nan, np.nan],
    )
    pays = settlements_as_payments(inv)
    assert list(pays["payment_id"]) == ["A:settled"]
    assert pays["amount"].tolist() == [99.99]
    bal = invoice_balances(inv, None, as_of="2026-02-05").set_index("invoice_id")
    assert bal.loc["A", "open_amount"] == 0.01


def test_open_balance_exports_reproduce_the_printed_balance(invoices):
    inv = invoices.drop(columns="written_off_date").assign(
        open_balance=[100.00, 50.10, 0.0, 40.00, -30.00]
    )
    bal = invoice_balances(inv, None, as_of="2026-04-30").set_index("invoice_id")
    pd.testing.assert_series_equal(
        bal["open_amount"], inv.set_index("invoice_id")["open_balance"], check_names=False
    )


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    cents=st.lists(st.integers(1, 10_000_00), min_size=1, max_size=20),
    shares=st.lists(st.floats(0, 1), min_size=20, max_size=20),
    day=st.integers(0, 120),
)
def test_open_plus_paid_is_the_invoiced_amount_to_the_cent(cents, shares, day):
    n = len(cents)
    amounts = np.array(cents) / 100
    inv = _frame(
        INVOICES,
        {
            "invoice_id": [f"I{i}" for i in range(n)],
            "customer_id": ["c"] * n,
            "invoice_date": pd.Timestamp("2026-01-01"),
            "due_date": pd.Timestamp("2026-01-31"),
            "amount": amounts,
        },
    )
    pay = _frame(
        PAYMENTS,
        {
            "payment_id": [f"P{i}" for i in range(n)],
            "invoice_id": [f"I{i}" for i in range(n)],
            "payment_date": pd.Timestamp("2026-02-15"),
            "amount": np.round(amounts * np.array(shares[:n]), 2),
        },
    )
    bal = invoice_balances(inv, pay, as_of=pd.Timestamp("2026-01-01") + pd.Timedelta(days=day))
    total = round(bal["open_amount"].sum() + bal["paid_to_date"].sum(), 2)
    assert total == pytest.approx(round(amounts.sum(), 2), abs=0.005)
