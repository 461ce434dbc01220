"""Late charges: hand-worked cases to the cent under each policy, point in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arcalls
from arcalls import InputError, LateChargePolicy, late_charge_policy, late_charges


def _invoices(rows, **extra):
    frame = pd.DataFrame(
        rows, columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount"]
    )
    for col in ("invoice_id", "customer_id"):
        frame[col] = frame[col].astype("string")
    for col in ("invoice_date", "due_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame.assign(**extra)


def _payments(rows=()):
    frame = pd.DataFrame(list(rows), columns=["invoice_id", "payment_date", "amount"])
    frame.insert(0, "payment_id", [f"P{i}" for i in range(len(frame))])
    frame["invoice_id"] = frame["invoice_id"].astype("string")
    frame["payment_date"] = pd.to_datetime(frame["payment_date"])
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def _one(invoices, payments, as_of, policy, **kwargs):
    out = late_charges(invoices, payments, as_of=as_of, policy=policy, **kwargs)
    return out.set_index("invoice_id")


def test_no_policy_charges_nothing_but_lists_overdue():
    inv = _invoices([("1", "A", "2025-01-01", "2025-01-31", 500.0)])
    out = _one(inv, _payments(), "2025-03-02", None)
    assert out.loc["1", ["days_late", "overdue_balance"]].tolist() == [30, 500.0]
    assert out.loc["1", ["interest", "fixed_fee", "late_charge"]].tolist() == [0.0, 0.0, 0.0]
    assert out.loc["1", "policy"] == "none"


def test_monthly_percentage_across_a_month_end():
    # Due 15 Jan, as of 14 Feb: 30 late days (16 Jan .. 14 Feb) across 31 January.
    # 1.5 % a month = 18 % a year, / 365 a day: 1000 x 0.18 x 30 / 365 = 14.7945 -> 14.79.
    inv = _invoices([("1", "A", "2024-12-16", "2025-01-15", 1000.0)])
    out = _one(inv, _payments(), "2025-02-14", "monthly:1.5")
    assert out.loc["1", "days_late"] == 30
    assert out.loc["1", "interest"] == 14.79
    assert out.loc["1", "late_charge"] == 14.79
    assert out.loc["1", "policy"] == "1.5% a month"


def test_leap_day_is_one_more_day_of_interest():
    # Due 15 Feb 2028, as of 15 Mar 2028: 16..29 Feb (14 days, 29 Feb included) + 15 = 29.
    # 2000 x 0.18 x 29 / 365 = 28.6027 -> 28.60; the same dates in 2027 give 28 days.
    leap = _invoices([("1", "A", "2028-01-16", "2028-02-15", 2000.0)])
    out = _one(leap, _payments(), "2028-03-15", "monthly:1.5")
    assert out.loc["1", "days_late"] == 29
    assert out.loc["1", "interest"] == 28.60
    plain = _invoices([("1", "A", "2027-01-16", "2027-02-15", 2000.0)])
    out = _one(plain, _payments(), "2027-03-15", "monthly:1.5")
    assert out.loc["1", "days_late"] == 28
    assert out.loc["1", "interest"] == 27.62  # 2000 x 0.18 x 28 / 365 = 27.616


def test_partial_payment_mid_period_and_point_in_time():
    # 1000 due 31 Jan; 200 paid 20 Jan (before due), 300 paid 10 Feb, 500 paid 5 Mar.
    # As of 28 Feb: 1..9 Feb on 800 (9 days), 10..28 Feb on 500 (19 days):
    # 7200 + 9500 = 16700 balance-days x 0.18 / 365 = 8.2356 -> 8.24. The March payment
    # is after the as-of date and does not count.
    inv = _invoices([("1", "A", "2025-01-01", "2025-01-31", 1000.0)])
    pay = _payments(
        [("1", "2025-01-20", 200.0), ("1", "2025-02-10", 300.0), ("1", "2025-03-05", 500.0)]
    )
    out = _one(inv, pay, "2025-02-28", "monthly:1.5")
    assert out.loc["1", "overdue_balance"] == 500.0
    assert out.loc["1", "interest"] == 8.24
    known = pay[pay["payment_date"] <= "2025-02-28"]
    pd.testing.assert_frame_equal(out, _one(inv, known, "2025-02-28", "monthly:1.5"))
    # Paid in full on 5 March: no longer overdue, so not listed as of 31 March.
    assert late_charges(inv, pay, as_of="2025-03-31", policy="monthly:1.5").empty


def test_fixed_fee_after_grace_days():
    inv = _invoices(
        [
            ("1", "A", "2025-01-01", "2025-01-31", 300.0),
            ("2", "A", "2025-01-01", "2025-02-05", 80.0),
        ]
    )
    # As of 10 Feb invoice 1 is 10 days late (not more than the 10 grace days): no fee.
    out = _one(inv, _payments(), "2025-02-10", "fee:25:10")
    assert out["fixed_fee"].tolist() == [0.0, 0.0]
    out = _one(inv, _payments(), "2025-02-11", "fee:25:10")
    assert out.loc["1", ["interest", "fixed_fee", "late_charge"]].tolist() == [0.0, 25.0, 25.0]
    assert out.loc["2", "fixed_fee"] == 0.0  # 6 days late
    assert out.loc["1", "policy"] == "fee 25.00 after 10 days"


def test_uk_statutory_interest_and_compensation_bands():
    # Base rate 5.25 % + 8 % = 13.25 % a year, simple, daily over 365 days; 30 days late.
    # Compensation by the debt when it fell late: < 1,000 -> 40, < 10,000 -> 70, else 100.
    inv = _invoices(
        [
            ("small", "A", "2025-01-01", "2025-01-31", 999.99),
            ("mid", "A", "2025-01-01", "2025-01-31", 1000.0),
            ("big", "B", "2025-01-01", "2025-01-31", 10000.0),
            ("paid_down", "B", "2025-01-01", "2025-01-31", 1200.0),
        ],
        currency="GBP",
    )
    pay = _payments([("paid_down", "2025-01-25", 300.0)])  # 900 owed when it fell late
    out = _one(inv, pay, "2025-03-02", LateChargePolicy.uk_statutory(5.25))
    assert (out["days_late"] == 30).all()
    assert out["fixed_fee"].to_dict() == {
        "small": 40.0,
        "mid": 70.0,
        "big": 100.0,
        "paid_down": 40.0,
    }
    # 999.99 x 0.1325 x 30 / 365 = 10.8903; 1000 -> 10.8904; 10000 -> 108.9041; 900 -> 9.8014
    assert out["interest"].to_dict() == {
        "small": 10.89,
        "mid": 10.89,
        "big": 108.90,
        "paid_down": 9.80,
    }
    assert out.loc["big", "late_charge"] == 208.90
    assert out.loc["big", "currency"] == "GBP"


def test_eu_directive_interest_and_minimum_compensation():
    # ECB rate 4.5 % + 8 = 12.5 %; 61 days (1 Mar .. 30 Apr) on 5000:
    # 5000 x 0.125 x 61 / 365 = 104.4521 -> 104.45, plus EUR 40.
    inv = _invoices([("1", "A", "2025-01-29", "2025-02-28", 5000.0)], currency="EUR")
    out = _one(inv, _payments(), "2025-04-30", "eu:4.5")
    assert out.loc["1", ["days_late", "interest", "fixed_fee", "late_charge"]].tolist() == [
        61,
        104.45,
        40.0,
        144.45,
    ]
    with pytest.raises(InputError, match="at least EUR 40"):
        LateChargePolicy.eu_directive(4.5, compensation=30)
    with pytest.raises(InputError, match="charges in EUR but the invoices are in GBP"):
        late_charges(inv.assign(currency="GBP"), None, as_of="2025-04-30", policy="eu:4.5")


def test_disputed_invoices_bear_no_charge_unless_asked():
    inv = _invoices(
        [
            ("1", "A", "2025-01-01", "2025-01-31", 1000.0),
            ("2", "A", "2025-01-01", "2025-01-31", 1000.0),
        ],
        disputed=[True, False],
    )
    out = _one(inv, _payments(), "2025-03-02", "monthly:1.5")
    assert out.loc["1", "late_charge"] == 0.0 and bool(out.loc["1", "disputed"])
    assert out.loc["2", "late_charge"] == 14.79
    out = _one(inv, _payments(), "2025-03-02", "monthly:1.5", include_disputed=True)
    assert out["late_charge"].tolist() == [14.79, 14.79]


def test_customer_policy_overrides_the_business_policy():
    inv = _invoices(
        [
            ("1", "A", "2025-01-01", "2025-01-31", 1000.0),
            ("2", "B", "2025-01-01", "2025-01-31", 1000.0),
        ]
    )
    out = _one(inv, _payments(), "2025-03-02", "monthly:1.5", customer_policies={"B": "fee:50"})
    assert out.loc["1", ["late_charge", "policy"]].tolist() == [14.79, "1.5% a month"]
    assert out.loc["2", ["late_charge", "policy"]].tolist() == [50.0, "fee 50.00"]
    with pytest.raises(InputError, match=r"customer_policies\['B'\]: unknown late-charge policy"):
        late_charges(inv, None, as_of="2025-03-02", customer_policies={"B": "daily:1"})


def test_unknown_or_malformed_policy_is_refused():
    inv = _invoices([("1", "A", "2025-01-01", "2025-01-31", 1000.0)])
    with pytest.raises(InputError, match="unknown late-charge policy 'weekly:2'.*monthly:1.5"):
        late_charges(inv, None, as_of="2025-03-02", policy="weekly:2")
    with pytest.raises(InputError, match="does not read as 'uk'"):
        late_charge_policy("uk")
    with pytest.raises(InputError, match="does not read as 'monthly'"):
        late_charge_policy("monthly:abc")
    with pytest.raises(InputError, match="must be a LateChargePolicy"):
        late_charge_policy(1.5)


def test_two_currencies_are_refused():
    inv = _invoices(
        [("1", "A", "2025-01-01", "2025-01-31", 1.0), ("2", "A", "2025-01-01", "2025-01-31", 1.0)],
        currency=["USD", "EUR"],
    )
    with pytest.raises(InputError, match="2 currencies"):
        late_charges(inv, None, as_of="2025-03-02", policy="monthly:1")


def test_charges_are_never_added_to_the_receivable():
    s = arcalls.load_sample()
    before = s.invoices.copy()
    aging = arcalls.aging(s.invoices, s.payments, as_of="2026-06-30")
    out = late_charges(s.invoices, s.payments, as_of="2026-06-30", policy="monthly:1.5")
    pd.testing.assert_frame_equal(s.invoices, before)
    pd.testing.assert_frame_equal(arcalls.aging(s.invoices, s.payments, as_of="2026-06-30"), aging)
    assert out["late_charge"].sum() > 0
    # The overdue balances listed are the ledger's own, to the cent.
    bal = arcalls.invoice_balances(s.invoices, s.payments, as_of="2026-06-30")
    late = bal[(bal["open_amount"] > 0) & (bal["days_past_due"] > 0) & ~bal["written_off"]]
    assert len(out) == len(late)
    assert round(out["overdue_balance"].sum(), 2) == round(late["open_amount"].sum(), 2)


def _reference_interest(amount, due, payments, as_of, annual_rate):
    """Day by day, the slow and obvious way: the independent check of the vectorized sum."""
    total = 0.0
    for day in pd.date_range(due + pd.Timedelta(days=1), as_of):
        paid = sum(a for d, a in payments if d <= day)
        total += max(amount - paid, 0.0) * annual_rate / 365
    return round(total, 2)


def test_vectorized_interest_matches_a_day_by_day_count_on_the_sample():
    s = arcalls.load_sample()
    as_of = pd.Timestamp("2026-06-30")
    out = late_charges(s.invoices, s.payments, as_of=as_of, policy="monthly:2")
    out = out[~out["disputed"]]
    paid_ids = set(s.payments["invoice_id"])
    partly_paid = out[out["invoice_id"].isin(paid_ids)].head(15)
    sample = pd.concat([partly_paid, out.head(5)])
    assert len(partly_paid) >= 5
    inv = s.invoices.set_index("invoice_id")
    for row in sample.itertuples():
        pays = s.payments[s.payments["invoice_id"] == row.invoice_id]
        pays = list(zip(pays["payment_date"], pays["amount"], strict=True))
        expected = _reference_interest(
            inv.loc[row.invoice_id, "amount"], row.due_date, pays, as_of, 0.24
        )
        assert row.interest == pytest.approx(expected, abs=0.005), row.invoice_id


def test_overpaid_days_bear_no_interest():
    # 100 due 31 Jan; 150 paid 11 Feb (overpaid): 10 days on 100 only.
    inv = _invoices([("1", "A", "2025-01-01", "2025-01-31", 100.0)])
    pay = _payments([("1", "2025-02-11", 150.0), ("1", "2025-02-20", -40.0)])
    # The -40 refund on 20 Feb leaves -10: still nothing owed, so not listed on 28 Feb.
    assert late_charges(inv, pay, as_of="2025-02-28", policy="monthly:1.5").empty
    pay = _payments([("1", "2025-02-11", 150.0), ("1", "2025-02-20", -60.0)])
    out = _one(inv, pay, "2025-02-28", "monthly:1.5")
    # 1..10 Feb on 100 and 20..28 Feb (9 days) on 10: 1090 x 0.18 / 365 = 0.5375 -> 0.54
    assert out.loc["1", ["overdue_balance", "interest"]].tolist() == [10.0, 0.54]
    assert np.isclose(out["late_charge"].sum(), 0.54)


def test_the_public_name_is_the_function_and_an_empty_ledger_gives_an_empty_table():
    assert arcalls.late_charges is late_charges
    assert late_charges.__module__ == "arcalls.late_charges"
    inv = _invoices([("1", "A", "2025-01-01", "2025-01-31", 1000.0)])
    out = late_charges(inv, _payments(), as_of="2024-12-31", policy="uk:5")
    assert out.empty
    assert list(out.columns) == [
        "invoice_id",
        "customer_id",
        "due_date",
        "days_late",
        "overdue_balance",
        "interest",
        "fixed_fee",
        "late_charge",
        "policy",
    ]


def test_readme_states_the_policies_as_the_code_has_them():
    from pathlib import Path

    from arcalls.late_charges import EU_MIN_COMPENSATION, STATUTORY_MARGIN, UK_COMPENSATION_BANDS

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index("## Late charges and statements")
    section = " ".join(text[start : text.index("\n## ", start + 1)].split())
    (b1, f1), (b2, f2), (_, f3) = UK_COMPENSATION_BANDS
    assert f"{STATUTORY_MARGIN:g} % over the Bank of England base rate" in section
    assert f"GBP {f1:g} / {f2:g} / {f3:g} for a debt under GBP {b1:,.0f} / under" in section
    assert f"GBP {b2:,.0f} / from GBP {b2:,.0f}" in section
    assert (
        f"reference rate + {STATUTORY_MARGIN:g} points, plus EUR {EU_MIN_COMPENSATION:g}" in section
    )
    assert LateChargePolicy.monthly(1.5).annual_rate == 1.5 * 12 / 100  # "P x 12 / 365"


@settings(max_examples=60, deadline=None)
@given(
    amount_cents=st.integers(1, 500_000),
    payments=st.lists(st.tuples(st.integers(-20, 80), st.integers(1, 300_000)), max_size=4),
    as_of_days=st.integers(-5, 90),
    percent=st.sampled_from([0.5, 1.0, 1.5, 2.0]),
    grace=st.integers(0, 10),
)
def test_interest_equals_the_day_by_day_sum(amount_cents, payments, as_of_days, percent, grace):
    due = pd.Timestamp("2028-02-10")  # the leap day falls inside most periods
    as_of = due + pd.Timedelta(days=as_of_days)
    amount = amount_cents / 100
    pays = [(due + pd.Timedelta(days=d), c / 100) for d, c in payments]
    inv = _invoices([("1", "A", "2028-01-01", due, amount)])
    pay = _payments([("1", d, a) for d, a in pays])
    policy = LateChargePolicy.monthly(percent, grace_days=grace)
    out = late_charges(inv, pay, as_of=as_of, policy=policy)
    balance = round(amount - sum(a for d, a in pays if d <= as_of), 2)
    if balance <= 0 or as_of_days <= 0:
        assert out.empty
        return
    total = 0.0
    for day in pd.date_range(due + pd.Timedelta(days=grace + 1), as_of):
        owed = round(amount - sum(a for d, a in pays if d <= day), 2)
        total += max(owed, 0.0) * percent * 12 / 100 / 365
    assert out.loc[0, "interest"] == pytest.approx(round(total, 2), abs=0.0051)
    assert out.loc[0, "overdue_balance"] == pytest.approx(balance, abs=0.001)
