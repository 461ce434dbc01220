"""Every figure of the README's "How fast does money stop coming back?" section is the
figure computed here (on the bundled sample and on the simulator)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import arcalls
from arcalls.recovery import handoff_sensitivity, recommend_handoff, recovery_curve
from arcalls.simulate import simulate

README = Path(__file__).resolve().parents[1] / "README.md"
#: Seeds and ages of the band's coverage check on the simulator.
COVERAGE_SEEDS = range(10)
COVERAGE_AGES = (30, 60, 90, 180)


@pytest.fixture(scope="module")
def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## How fast does money stop coming back?")
    end = text.index("\n## ", start + 1)
    # Line breaks in the prose are spaces.
    return re.sub(r"\s+", " ", text[start:end])


@pytest.fixture(scope="module")
def sample():
    return arcalls.load_sample()


@pytest.fixture(scope="module")
def analysis(sample):
    return recommend_handoff(
        sample.invoices, sample.payments, sample.customers, as_of=arcalls.SAMPLE_AS_OF
    )


def test_the_sample_recovery_figures(section, sample):
    c = recovery_curve(sample.invoices, sample.payments, as_of=arcalls.SAMPLE_AS_OF)
    r = c.set_index("days_past_due")
    first = r.loc[0]
    assert (
        f"{first['recovery_rate'] * 100:.1f} % of the dollars unpaid at the due date come "
        f"in within a year ({first['ci_low'] * 100:.1f}-{first['ci_high'] * 100:.1f} %)" in section
    )
    later = ", ".join(
        [
            f"{r.loc[30, 'recovery_rate'] * 100:.1f} % at 30 days past due",
            f"{r.loc[90, 'recovery_rate'] * 100:.1f} % at 90",
            f"{r.loc[180, 'recovery_rate'] * 100:.1f} % at 180",
        ]
    )
    assert later in section


def test_the_agency_factor_figures(section, analysis):
    f = analysis.factor
    assert not f.is_default
    assert (
        f"The agency factor, from {f.placed_customers} placed customers, is "
        f"{f.value:.2f} ({f.ci_low:.2f}-{f.ci_high:.2f}): ${f.collected:,.2f} collected "
        f"after placement against ${f.expected:,.2f} that in-house recovery would have "
        "brought." in section
    )


def test_the_recommendation_and_its_range(section, analysis):
    assert analysis.handoff_age is None  # the README says "No clear handoff age"
    lo, hi = analysis.age_range
    assert (
        f"No clear handoff age: placing starts to win between {lo} and {hi} days past due "
        f"over the resamples, and in {analysis.share_without_age * 100:.0f} % of them "
        f"keeping wins at every age (ages decided up to {analysis.last_decided_age} days)."
        in section
    )


def test_the_same_answer_on_14_neighbouring_days(section, sample):
    answers = {
        recommend_handoff(
            sample.invoices,
            sample.payments,
            sample.customers,
            as_of=arcalls.SAMPLE_AS_OF - pd.Timedelta(days=k),
        ).handoff_age
        for k in range(14)
    }
    assert answers == {None}
    assert "The answer is the same on each of the 14 as-of dates ending 31 Oct 2026." in section


def test_the_sensitivity_figures(section, analysis):
    grid = handoff_sensitivity(analysis)
    clear = grid[grid["handoff_age"].notna()]
    fees, costs = grid["fee"], grid["cost_per_call"]
    assert (
        f"In the sensitivity grid (fees {fees.min() * 100:.0f} to {fees.max() * 100:.0f} %, "
        f"${costs.min():.0f} to ${costs.max():.0f} a call)" in section
    )
    assert set(clear["cost_per_call"]) == {costs.max()}
    assert (
        f"a clear age appears in {len(clear)} of {len(grid)} cells, all at "
        f"${costs.max():.0f} a call" in section
    )


def test_the_band_covers_the_simulators_truth(section):
    hits = cases = 0
    for seed in COVERAGE_SEEDS:
        sim = simulate(seed=seed)
        inv, pay, _, _ = sim.tables
        top = max(COVERAGE_AGES)
        est = recovery_curve(inv, pay, as_of=sim.truth.end, horizon_days=365, max_days=top)
        truth = sim.truth.recovery_curve(horizon_days=365, max_days=top)
        for d in COVERAGE_AGES:
            t = truth["recovery_rate"].iloc[d]
            hits += bool(est["ci_low"].iloc[d] <= t <= est["ci_high"].iloc[d])
            cases += 1
    # A 95 % band: at least 90 % of the cases, and the README says how many.
    assert hits >= 0.9 * cases
    assert (
        f"at 30, 60, 90 and 180 days in {hits} of {cases} cases ({len(COVERAGE_SEEDS)} seeds)"
        in section
    )
