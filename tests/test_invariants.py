"""Invariants across the analyses, on generated ledgers (hypothesis) and the sample.

- aging buckets add up to each customer's open balance, and the total to the ledger's
  open balance, to the cent;
- recovery rates lie in [0, 1] and the share unpaid never rises with age;
- dollars received against a promise never exceed what the customer paid;
- the call list never lists an account that must not be called.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arcalls
from arcalls.calllist import call_list
from arcalls.promises import promise_outcomes
from arcalls.recovery import recovery_curve

#: Examples per property: small ledgers, fixed seed.
EXAMPLES = 40
START = pd.Timestamp("2025-01-01")
AS_OF = pd.Timestamp("2025-12-31")
BUCKETS = ["current", "1-30", "31-60", "61-90", "91-120", "120+"]

SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def ledgers(draw):
    """Invoices (some credits), partial and over-payments, some dated after as_of."""
    n = draw(st.integers(1, 12))
    day = st.integers(0, 330)
    offsets = [draw(day) for _ in range(n)]
    terms = [draw(st.sampled_from([0, 15, 30, 60])) for _ in range(n)]
    cents = [draw(st.integers(-50_00, 5_000_00)) for _ in range(n)]
    invoices = pd.DataFrame(
        {
            "invoice_id": pd.array([f"I{i}" for i in range(n)], dtype="string"),
            "customer_id": pd.array(
                [f"C{draw(st.integers(0, 3))}" for _ in range(n)], dtype="string"
            ),
            "invoice_date": START + pd.to_timedelta(offsets, unit="D"),
            "due_date": START + pd.to_timedelta(np.add(offsets, terms), unit="D"),
            "amount": np.array(cents) / 100.0,
        }
    )
    rows = []
    for _ in range(draw(st.integers(0, 15))):
        i = draw(st.integers(0, n - 1))
        rows.append(
            (
                f"I{i}",
                START + pd.Timedelta(days=offsets[i] + draw(st.integers(0, 420))),
                draw(st.integers(1, 3_000_00)) / 100.0,
            )
        )
    payments = pd.DataFrame(
        {
            "payment_id": pd.array([f"P{k}" for k in range(len(rows))], dtype="string"),
            "invoice_id": pd.array([r[0] for r in rows], dtype="string"),
            "payment_date": pd.to_datetime([r[1] for r in rows]).astype("datetime64[ns]"),
            "amount": np.array([r[2] for r in rows], dtype="float64"),
        }
    )
    return invoices, payments


@SETTINGS
@given(ledger=ledgers())
def test_aging_buckets_add_up_to_the_open_balance(ledger):
    invoices, payments = ledger
    table = arcalls.aging(invoices, payments, as_of=AS_OF)
    buckets = table[BUCKETS].sum(axis=1)
    np.testing.assert_allclose(buckets, table["total"], atol=0.005)
    balances = arcalls.invoice_balances(invoices, payments, as_of=AS_OF)
    open_total = balances.loc[balances["is_open"], "open_amount"].sum()
    assert table["total"].sum() == pytest.approx(open_total, abs=0.005)


@SETTINGS
@given(ledger=ledgers())
def test_recovery_rates_are_shares_and_unpaid_never_rises(ledger):
    invoices, payments = ledger
    try:
        curve = recovery_curve(invoices, payments, as_of=AS_OF, n_boot=0)
    except arcalls.ArcallsError:
        return  # too little history is refused, with a message
    for column in ("recovery_rate", "share_unpaid", "ci_low", "ci_high"):
        values = curve[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column
    unpaid = curve.sort_values("days_past_due")["share_unpaid"].dropna().to_numpy()
    assert (np.diff(unpaid) <= 1e-12).all()


@SETTINGS
@given(ledger=ledgers(), data=st.data())
def test_promise_dollars_received_never_exceed_payments(ledger, data):
    invoices, payments = ledger
    n = data.draw(st.integers(1, 6))
    called = [START + pd.Timedelta(days=data.draw(st.integers(0, 360)), hours=10) for _ in range(n)]
    calls = pd.DataFrame(
        {
            "call_id": pd.array([f"K{k}" for k in range(n)], dtype="string"),
            "customer_id": pd.array(
                [f"C{data.draw(st.integers(0, 3))}" for _ in range(n)], dtype="string"
            ),
            "called_at": pd.to_datetime(called).astype("datetime64[ns]"),
            "outcome": pd.array(["promise"] * n, dtype="string"),
            "promise_date": pd.to_datetime(
                [c.normalize() + pd.Timedelta(days=data.draw(st.integers(0, 20))) for c in called]
            ).astype("datetime64[ns]"),
        }
    )
    outcomes = promise_outcomes(calls, payments, invoices, as_of=AS_OF)
    customer_of = invoices.set_index("invoice_id")["customer_id"]
    paid = payments.assign(customer_id=payments["invoice_id"].map(customer_of))
    paid = paid[paid["payment_date"] <= AS_OF].groupby("customer_id")["amount"].sum()
    received = outcomes.groupby("customer_id")["received"].max()
    for customer, amount in received.items():
        assert amount <= paid.get(customer, 0.0) + 0.005, customer
    assert (outcomes["received"].fillna(0) >= 0).all()


def test_the_call_list_never_lists_a_must_not_call_account():
    sample = arcalls.load_sample()
    customers = sample.customers.copy()
    # Every third customer asks not to be called; every fifth is with an agency.
    rng = np.random.default_rng(8)
    customers["do_not_call"] = rng.random(len(customers)) < 1 / 3
    placed = rng.random(len(customers)) < 1 / 5
    as_of = sample.invoices["invoice_date"].max()
    customers["placed_with_agency_date"] = pd.Series(
        np.where(placed, as_of - pd.Timedelta(days=10), pd.NaT), dtype="datetime64[ns]"
    )
    result = call_list(sample.invoices, sample.payments, sample.calls, customers, as_of=as_of)
    banned = set(customers.loc[customers["do_not_call"] | placed, "customer_id"])
    listed = set(result.calls["customer_id"])
    assert banned, "the test needs banned accounts"
    assert not listed & banned
    # Excluded, with a reason, not dropped silently.
    assert result.excluded["reason"].notna().all()
    assert not listed & set(result.excluded["customer_id"])
    # Nobody with an overdue balance and no reason to skip is missing from the list.
    balances = arcalls.invoice_balances(sample.invoices, sample.payments, as_of=as_of)
    overdue = balances[(balances["days_past_due"] > 0) & (balances["open_amount"] > 0)]
    owing = set(overdue["customer_id"])
    assert owing <= listed | set(result.excluded["customer_id"])
