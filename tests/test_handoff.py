"""Tests of the agency handoff (arcalls.recovery): the model by hand, the agency factor
measured on placed accounts, the customer bootstrap, the recommendation with its band,
per-account gains and the sensitivity grid."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls.errors import ArcallsError, InputError
from arcalls.recovery import (
    DEFAULT_AGENCY_FACTOR,
    DEFAULT_MIN_PLACEMENT_AGE,
    AgencyFactor,
    HandoffAnalysis,
    account_handoff_gains,
    accounts_to_hand_off,
    agency_factor,
    benchmark_collectability,
    handoff_analysis,
    handoff_sensitivity,
    recommend_handoff,
    recovery_curve,
)

AS_OF = pd.Timestamp("2025-06-30")
DUE = pd.Timestamp("2024-01-01")


def _falling_curve(horizon=365):
    days = np.arange(0, 731)
    curve = pd.DataFrame({"days_past_due": days, "recovery_rate": 0.97 * np.exp(-days / 180)})
    curve.attrs["horizon_days"] = horizon
    return curve


# ------------------------------------------------------------- the model by hand


def test_handoff_numbers_by_hand():
    curve = pd.DataFrame({"days_past_due": [0, 100, 200], "recovery_rate": [0.95, 0.5, 0.2]})
    a = handoff_analysis(
        curve,
        horizon_days=365,
        agency_factor=0.8,
        agency_fee=0.25,
        cost_per_call=10,
        calls_per_month=2,
        reference_balance=2000,
    )
    t = a.table.set_index("days_past_due")
    # calls: 10 * 2 * 365 / 30.4375 = 239.84 per account -> 0.11992 per dollar of 2000.
    cost = 10 * 2 * 365 / (365.25 / 12) / 2000
    assert t.loc[100, "inhouse_net"] == pytest.approx(0.5 - cost, abs=1e-12)
    # The agency: the owner's own 0.5 x factor 0.8 x (1 - 0.25) = 0.30.
    assert t.loc[100, "agency_recovery"] == pytest.approx(0.4, abs=1e-12)
    assert t.loc[100, "agency_net"] == pytest.approx(0.30, abs=1e-12)
    assert t.loc[100, "placing_gain"] == pytest.approx(0.30 - (0.5 - cost), abs=1e-12)
    # Day 200: 0.2 x 0.8 x 0.75 = 0.12 against 0.2 - 0.11992 = 0.08: placing wins.
    assert t.loc[200, "placing_gain"] == pytest.approx(0.12 - (0.2 - cost), abs=1e-12)
    assert a.handoff_age == 200


def test_the_survey_curve_is_never_the_agencys_recovery():
    # The owner's recovery at due equals the survey's 0.95 and then falls far below it:
    # the agency still gets the owner's own figure times the factor, not the survey's.
    curve = pd.DataFrame({"days_past_due": [0, 90, 180], "recovery_rate": [0.95, 0.30, 0.10]})
    t = handoff_analysis(curve, horizon_days=365).table
    assert t["agency_recovery"].tolist() == pytest.approx([0.95, 0.30, 0.10])
    assert DEFAULT_AGENCY_FACTOR == 1.0
    assert not np.allclose(t["agency_recovery"], benchmark_collectability(t["days_past_due"]))


def test_handoff_age_moves_the_right_way():
    curve = _falling_curve()

    # The economics alone: no minimum placement age, no stability window.
    def age(**kw):
        return handoff_analysis(
            curve, calls_per_month=1, min_placement_age=0, stable_days=0, **kw
        ).handoff_age

    base = age()
    assert base is not None
    assert age(agency_fee=0.10) < base < age(agency_fee=0.40)
    assert age(cost_per_call=15.0) < base
    # With free calls and an agency no better than the owner, placing never pays.
    assert age(cost_per_call=0.0) is None
    # A better agency is worth placing earlier.
    assert age(agency_factor=1.1) < base < age(agency_factor=0.9)


def test_handoff_waits_for_the_placement_age_and_a_stable_crossing():
    days = np.arange(0, 200)
    # Placing wins where the owner recovers 5 % (calls cost 2.4 % of the balance, the
    # fee of 20 % takes 1 %), loses where the owner recovers 99 %.
    gain_days = (days == 20) | (days >= 100)
    curve = pd.DataFrame({"days_past_due": days, "recovery_rate": np.where(gain_days, 0.05, 0.99)})
    fixed = {"horizon_days": 365, "agency_fee": 0.2, "reference_balance": 10_000}
    assert handoff_analysis(curve, min_placement_age=0, stable_days=0, **fixed).handoff_age == 20
    # The blip is shorter than the 30-day stability window: the crossing is day 100.
    assert handoff_analysis(curve, min_placement_age=0, **fixed).handoff_age == 100
    assert handoff_analysis(curve, min_placement_age=150, **fixed).handoff_age == 150
    late = curve.assign(recovery_rate=np.where(days >= 190, 0.05, 0.99))
    assert handoff_analysis(late, **fixed).handoff_age == 190


def test_fee_schedule_and_small_balances():
    curve = _falling_curve()
    a = handoff_analysis(curve, agency_fee={0: 0.25, 90: 0.35, 365: 0.5}, agency_factor=0.5)
    t = a.table.set_index("days_past_due")
    assert t.loc[89, "agency_fee"] == 0.25
    assert t.loc[90, "agency_fee"] == 0.35
    assert t.loc[400, "agency_fee"] == 0.5
    assert t.loc[400, "agency_net"] == pytest.approx(t.loc[400, "recovery_rate"] * 0.25)
    small = handoff_analysis(curve, reference_balance=200)
    assert (small.table["agency_fee"] == 0.45).all()


def test_handoff_rejects_bad_input():
    seg = _falling_curve().assign(customer_id="c")
    seg.attrs["by"] = ["customer_id"]
    with pytest.raises(InputError, match="needs a single curve"):
        handoff_analysis(seg)
    with pytest.raises(ArcallsError, match="starting at day 0"):
        handoff_analysis(_falling_curve(), agency_fee={30: 0.2})
    with pytest.raises(ArcallsError, match="cost_per_call must be a number >= 0"):
        handoff_analysis(_falling_curve(), cost_per_call=-1)
    with pytest.raises(ArcallsError, match="agency_factor must be a number >= 0"):
        handoff_analysis(_falling_curve(), agency_factor=-0.5)
    with pytest.raises(ArcallsError, match="does not say its horizon"):
        handoff_analysis(pd.DataFrame({"days_past_due": [0], "recovery_rate": [0.5]}))


# ------------------------------------------------- the factor on placed accounts


def _book_with_placements(paid_after_placement=2, n_placed=10):
    """Ten in-house customers and ``n_placed`` placed ones, $100 each, due 2024-01-01.

    In-house c0..c4 pay on day 100, c5..c9 are written off: the in-house curve is 1
    until day 100, then 0.5 for ever (losses stay at risk). The placed customers
    p0..p9 are placed on day 70 (2024-03-11); up to then they are in-house dollars,
    censored at placement. Expected in-house on each placed $100 at 70 days over the
    365 days after: 1 - S(435) / S(70) = 0.5, $50. The first ``paid_after_placement``
    pay $100 on day 150, after placement.
    """
    ids = [f"c{k}" for k in range(10)] + [f"p{k}" for k in range(n_placed)]
    n = len(ids)
    inv = pd.DataFrame(
        {
            "invoice_id": pd.array([f"i{k}" for k in range(n)], dtype="string"),
            "customer_id": pd.array(ids, dtype="string"),
            "invoice_date": DUE - pd.Timedelta(days=30),
            "due_date": DUE,
            "amount": 100.0,
            "written_off_date": pd.to_datetime([None] * 5 + ["2024-12-31"] * 5 + [None] * n_placed),
        }
    )
    payers = [f"i{k}" for k in range(5)] + [f"i{10 + k}" for k in range(paid_after_placement)]
    days = [100] * 5 + [150] * paid_after_placement
    pay = pd.DataFrame(
        {
            "payment_id": pd.array([f"q{k}" for k in range(len(payers))], dtype="string"),
            "invoice_id": pd.array(payers, dtype="string"),
            "payment_date": DUE + pd.to_timedelta(days, unit="D"),
            "amount": 100.0,
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": pd.array(ids, dtype="string"),
            "placed_with_agency_date": pd.to_datetime(
                [None] * 10 + [DUE + pd.Timedelta(days=70)] * n_placed
            ),
        }
    )
    return inv, pay, customers


def test_agency_factor_by_hand():
    inv, pay, customers = _book_with_placements()
    f = agency_factor(inv, pay, customers, as_of=AS_OF, n_boot=50)
    # $200 collected after placement against 10 x $50 expected in-house: 0.4.
    assert f.value == pytest.approx(0.4, abs=1e-12)
    assert (f.collected, f.expected) == (200.0, 500.0)
    assert f.placed_customers == 10 and not f.is_default
    assert f.ci_low <= 0.4 <= f.ci_high
    assert "estimated from 10 customers placed with an agency" in f.summary
    # Paid after placement is not the owner's recovery: the in-house curve stays 0.5.
    a = recommend_handoff(inv, pay, customers, as_of=AS_OF, n_boot=0, max_days=100)
    assert a.table["recovery_rate"].iloc[70] == pytest.approx(0.5, abs=1e-12)


def test_agency_factor_default_when_the_history_has_too_few_placements():
    inv, pay, customers = _book_with_placements()
    f = agency_factor(inv, pay, customers, as_of=AS_OF, min_placed=11)
    assert f.is_default and f.value == DEFAULT_AGENCY_FACTOR
    assert "fewer than the 11 needed" in f.source
    assert "default 1.0" in f.summary and "(a default)" in f.summary
    assert agency_factor(inv, pay, None, as_of=AS_OF).is_default
    # A placement whose results are not yet 30 days old does not count.
    recent = customers.assign(
        placed_with_agency_date=customers["placed_with_agency_date"].where(
            customers["placed_with_agency_date"].isna(), AS_OF - pd.Timedelta(days=10)
        )
    )
    assert agency_factor(inv, pay, recent, as_of=AS_OF).placed_customers == 0


def test_agency_factor_recovers_the_simulators_neutral_agency(monkeypatch):
    """Without calls, and with an agency that changes nothing (hazard factor 1), the
    true factor is 1: the measured band holds it on each of three seeds."""
    sim_module = importlib.import_module("arcalls.simulate")
    monkeypatch.setattr(sim_module, "AGENCY_HAZARD_FACTOR", 1.0)
    for seed in (0, 1, 3):
        sim = sim_module.simulate(n_customers=800, seed=seed, calls=False)
        inv, pay, _, customers = sim.tables
        f = agency_factor(inv, pay, customers, as_of=sim.truth.end, n_boot=100)
        assert f.placed_customers >= 50
        assert f.ci_low <= 1.0 <= f.ci_high, (seed, f)


# ------------------------------------------------------- the customer bootstrap


def _clustered(n_customers=30, per_customer=10, seed=4):
    """Each customer's invoices share one fate: all paid on one day, or all open."""
    rng = np.random.default_rng(seed)
    pays = rng.random(n_customers) < 0.6
    day = rng.integers(0, 60, n_customers)
    cust = np.repeat(np.arange(n_customers), per_customer)
    n = len(cust)
    paid = np.where(pays[cust], DUE + pd.to_timedelta(day[cust], unit="D"), pd.NaT)
    return pd.DataFrame(
        {
            "invoice_id": pd.array([f"i{k}" for k in range(n)], dtype="string"),
            "customer_id": pd.array([f"c{k}" for k in cust], dtype="string"),
            "invoice_date": DUE - pd.Timedelta(days=30),
            "due_date": DUE,
            "amount": 100.0,
            "paid_date": pd.to_datetime(paid),
        }
    )


def test_the_band_resamples_customers_not_invoices():
    inv = _clustered()
    by_customer = recovery_curve(inv, as_of="2024-06-30", horizon_days=90, n_boot=200)
    # The same invoices, each its own customer: what an invoice bootstrap would give.
    alone = inv.assign(customer_id=inv["invoice_id"])
    by_invoice = recovery_curve(alone, as_of="2024-06-30", horizon_days=90, n_boot=200)
    width_c = (by_customer["ci_high"] - by_customer["ci_low"]).iloc[0]
    width_i = (by_invoice["ci_high"] - by_invoice["ci_low"]).iloc[0]
    # Ten invoices that move together carry the information of one: about sqrt(10)
    # times wider.
    assert width_c > 2 * width_i
    np.testing.assert_allclose(by_customer["recovery_rate"], by_invoice["recovery_rate"])


# ----------------------------------------------------- the recommendation


@pytest.fixture(scope="module")
def sample():
    return arcalls.load_sample()


@pytest.fixture(scope="module")
def on_sample(sample):
    return recommend_handoff(
        sample.invoices, sample.payments, sample.customers, as_of=arcalls.SAMPLE_AS_OF
    )


def test_recommendation_on_the_sample_carries_its_band(on_sample):
    a = on_sample
    t = a.table
    assert a.has_band and a.n_boot == 200
    ok = t["gain_low"].notna()
    assert (t.loc[ok, "gain_low"] <= t.loc[ok, "placing_gain"] + 1e-9).all()
    assert (t.loc[ok, "gain_high"] >= t.loc[ok, "placing_gain"] - 1e-9).all()
    decided = t["customers_at_risk"] >= a.params["min_customers_at_risk"]
    span = t[decided & (t["days_past_due"] >= a.params["min_placement_age"])]
    if a.handoff_age is None:
        # No clear age: the lower edge never clears zero where ages are decided.
        assert (span["gain_low"] <= 0).all()
        assert a.summary.startswith("No clear handoff age: ")
        lo, hi = a.age_range
        assert f"between {lo} and {hi} days past due" in a.summary
    else:
        row = t.set_index("days_past_due").loc[a.handoff_age]
        assert row["gain_low"] > 0
        assert f"from {a.handoff_age} days past due" in a.summary
    # The factor is measured on the sample's placed customers.
    assert not a.factor.is_default and a.factor.placed_customers >= 10


def test_recommendation_does_not_flip_between_neighbouring_days(sample):
    answers = set()
    for k in range(14):
        as_of = arcalls.SAMPLE_AS_OF - pd.Timedelta(days=k)
        a = recommend_handoff(sample.invoices, sample.payments, sample.customers, as_of=as_of)
        answers.add(a.handoff_age)
    # The same age every day, or "no clear age" (None) on the days it is not clear.
    assert len(answers - {None}) <= 1


def test_a_clear_age_holds_on_14_neighbouring_days(sample):
    """Issue 18.2 where there is an age to hold: at $15 a call placing wins beyond doubt
    late in life, and each of 14 consecutive as-of dates gives that same age (the
    default costs give "no clear age" on every one of them, which proves less)."""
    ages = [
        recommend_handoff(
            sample.invoices,
            sample.payments,
            sample.customers,
            as_of=arcalls.SAMPLE_AS_OF - pd.Timedelta(days=k),
            cost_per_call=15.0,
        ).handoff_age
        for k in range(14)
    ]
    assert None not in ages and len(set(ages)) == 1, ages
    # An age inside the span, not the first age agencies take.
    assert ages[0] > DEFAULT_MIN_PLACEMENT_AGE


def test_a_fixed_factor_is_used_in_every_resample(sample):
    a = recommend_handoff(
        sample.invoices,
        sample.payments,
        sample.customers,
        as_of=arcalls.SAMPLE_AS_OF,
        agency_factor=3.0,
        n_boot=30,
    )
    assert a.factor.source == "given by the caller"
    assert (a._reps["factor"] == 3.0).all()
    # An agency three times as good as the owner wins beyond doubt from 60 days.
    assert a.handoff_age == 60


def test_without_resamples_there_is_no_recommended_age(sample):
    a = recommend_handoff(
        sample.invoices, sample.payments, sample.customers, as_of=arcalls.SAMPLE_AS_OF, n_boot=0
    )
    assert a.handoff_age is None and not a.has_band
    assert a.table["gain_low"].isna().all()


# ---------------------------------------------------------------- per account


def _accounts_book():
    due = pd.to_datetime(["2024-04-01", "2024-06-20", "2024-03-01", "2024-03-01", "2024-03-01"])
    inv = pd.DataFrame(
        {
            "invoice_id": pd.array(["a1", "a2", "b1", "d1", "e1"], dtype="string"),
            "customer_id": pd.array(["c1", "c1", "c2", "c3", "c4"], dtype="string"),
            "invoice_date": due - pd.Timedelta(days=30),
            "due_date": due,
            "amount": [1000.0, 500.0, 800.0, 900.0, 300.0],
            "disputed": [False, False, True, False, False],
        }
    )
    pay = pd.DataFrame(
        {
            "payment_id": pd.array(["p"], dtype="string"),
            "invoice_id": pd.array(["e1"], dtype="string"),
            "payment_date": pd.to_datetime(["2024-05-01"]),
            "amount": [100.0],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": pd.array(["c1", "c2", "c3", "c4"], dtype="string"),
            "customer_name": pd.array(["One", "Two", "Three", "Four"], dtype="string"),
            "placed_with_agency_date": pd.to_datetime([None, None, "2024-06-01", None]),
        }
    )
    return inv, pay, customers


def test_account_gains_by_hand():
    inv, pay, customers = _accounts_book()
    curve = pd.DataFrame({"days_past_due": [0, 60, 120], "recovery_rate": [0.95, 0.4, 0.2]})
    # One $5 call a month over the whole year (no unpaid_days): $60.88 an account.
    a = handoff_analysis(curve, horizon_days=365, agency_factor=0.9, calls_per_month=1)
    out = account_handoff_gains(inv, pay, customers, as_of="2024-06-30", analysis=a)
    # c2 is disputed, c3 already placed.
    assert out["customer_id"].tolist() == ["c4", "c1"]
    calls = 5 * 365 / (365.25 / 12)
    c1 = out.set_index("customer_id").loc["c1"]
    # c1: $1000 at 90 days (rate 0.4) and $500 at 10 days (rate 0.95), fee 20 %.
    inhouse = 1000 * 0.4 + 500 * 0.95 - calls
    agency = (1000 * 0.4 + 500 * 0.95) * 0.9 * 0.8
    assert c1["expected_inhouse"] == pytest.approx(round(inhouse, 2), abs=0.005)
    assert c1["expected_agency"] == pytest.approx(round(agency, 2), abs=0.005)
    assert c1["expected_gain"] == pytest.approx(round(agency - inhouse, 2), abs=0.011)
    assert not c1["hand_off"]  # 630 against 814.12: keep it
    c4 = out.set_index("customer_id").loc["c4"]
    # c4: $200 at 121 days (rate 0.2), small balance: 45 % fee.
    assert c4["agency_fee"] == 0.45
    assert c4["expected_gain"] == pytest.approx(round(40 * 0.9 * 0.55 - (40 - calls), 2))
    assert c4["hand_off"]
    listed = accounts_to_hand_off(inv, pay, customers, as_of="2024-06-30", analysis=a)
    assert listed["customer_id"].tolist() == ["c4"]
    assert listed["customer_name"].tolist() == ["Four"]
    with pytest.raises(ArcallsError, match="analysis must come from"):
        accounts_to_hand_off(inv, pay, None, as_of="2024-06-30", analysis=curve)


def test_young_accounts_are_never_flagged():
    inv, pay, customers = _accounts_book()
    curve = pd.DataFrame({"days_past_due": [0, 60, 120], "recovery_rate": [0.01, 0.01, 0.01]})
    a = handoff_analysis(curve, horizon_days=365, min_placement_age=200)
    out = account_handoff_gains(inv, pay, customers, as_of="2024-06-30", analysis=a)
    assert (out["expected_gain"] > 0).all() and not out["hand_off"].any()


# ---------------------------------------------------------------- sensitivity


def test_sensitivity_grid_recomputes_each_cell(on_sample):
    grid = handoff_sensitivity(on_sample, fees=(0.2, 0.5), costs_per_call=(0.0, 5.0, 15.0))
    assert grid.attrs["axis"] == "cost_per_call"
    assert len(grid) == 6
    assert str(grid["handoff_age"].dtype) == "Int64"
    # A cell equals a fresh decision with that flat fee and that cost per call.
    cell = grid[(grid["fee"] == 0.5) & (grid["cost_per_call"] == 15.0)].iloc[0]
    fresh = recommend_handoff(
        *[getattr(arcalls.load_sample(), n) for n in ("invoices", "payments", "customers")],
        as_of=arcalls.SAMPLE_AS_OF,
        agency_fee=0.5,
        small_balance_fee=0.5,
        cost_per_call=15.0,
    )
    expect = fresh.handoff_age
    assert (pd.isna(cell["handoff_age"]) and expect is None) or cell["handoff_age"] == expect
    assert (pd.isna(cell["point_age"]) and fresh.point_age is None) or (
        cell["point_age"] == fresh.point_age
    )
    # Free calls and an agency no better than the owner: placing never wins.
    free = grid[grid["cost_per_call"] == 0.0]
    assert free["handoff_age"].isna().all() and free["point_age"].isna().all()
    # Dearer calls never make the point age later.
    for fee in (0.2, 0.5):
        ages = grid.loc[grid["fee"] == fee, "point_age"].astype("float64").fillna(np.inf)
        assert ages.is_monotonic_decreasing


def test_sensitivity_by_agency_factor(on_sample):
    grid = handoff_sensitivity(on_sample, fees=(0.3,), factors=(0.5, 1.0, 2.0))
    assert grid.attrs["axis"] == "agency_factor"
    ages = grid["point_age"].astype("float64").fillna(np.inf).tolist()
    assert ages[2] <= ages[1] <= ages[0]
    with pytest.raises(ArcallsError, match="with its resamples"):
        handoff_sensitivity(handoff_analysis(_falling_curve()))


def test_results_are_handoff_analyses(on_sample):
    assert isinstance(on_sample, HandoffAnalysis)
    assert isinstance(on_sample.factor, AgencyFactor)
    assert "<p>" in on_sample._repr_html_()


def test_nan_quantiles_equal_numpys():
    """The sensitivity grid's fast band is numpy's nanquantile, figure for figure."""
    import warnings

    from arcalls.recovery import _nan_quantiles

    rng = np.random.default_rng(7)
    for trial in range(40):
        shape = (int(rng.integers(1, 60)), int(rng.integers(1, 50)))
        x = rng.normal(size=shape)
        x[rng.random(shape) < rng.random()] = np.nan
        x[:, 0] = np.nan  # a day no replicate reaches
        if trial % 5 == 0:
            x[: shape[0] // 2] = 1.5  # ties
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanquantile(x, [0.025, 0.975], axis=0)
        assert np.array_equal(_nan_quantiles(x, (0.025, 0.975)), expected, equal_nan=True)
