"""Charts of promises and call outcomes: the numbers behind them, drawn headless."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from arcalls.errors import SchemaError
from arcalls.plots._promises import (
    plot_broken_promise_rate_by_collector,
    plot_broken_promise_rate_by_month,
    plot_contact_heatmap,
    plot_outcome_funnel,
)
from arcalls.promises import best_call_times, broken_promise_rate, outcome_funnel


@pytest.fixture
def outcomes():
    # 2 collectors x 2 months; ann: 1 failure in 4 resolved, bob: 3 in 4.
    return pd.DataFrame(
        {
            "collector": ["ann"] * 5 + ["bob"] * 4,
            "month": ["2026-01", "2026-01", "2026-02", "2026-02", "2026-02"]
            + ["2026-01", "2026-01", "2026-02", "2026-02"],
            "status": ["kept", "kept", "kept", "broken", "pending"]
            + ["broken", "partial", "kept", "broken"],
            "promised_amount": [100.0] * 9,
            "received": [100.0, 100.0, 100.0, 0.0, 0.0, 0.0, 40.0, 100.0, 0.0],
        }
    )


def test_rate_by_month_draws_rates_and_band(outcomes):
    rates = broken_promise_rate(outcomes, by="month")
    ax = plot_broken_promise_rate_by_month(rates)
    line = ax.get_lines()[0]
    # January: 2 failed (bob) of 4; February: 2 failed (ann broken, bob broken) of 4.
    assert line.get_ydata().tolist() == [0.5, 0.5]
    assert ax.get_title(loc="left") == "Broken-promise rate 50% over 2 months; 50% in 2026-02"
    assert ax.get_ylabel() == "promises broken (%)"
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(rates["ci_low"].min())


def test_rate_by_collector_puts_the_worst_last(outcomes):
    rates = broken_promise_rate(outcomes, by="collector")
    ax = plot_broken_promise_rate_by_collector(rates)
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == [0.25, 0.75]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ann", "bob"]
    assert ax.get_title(loc="left") == "bob's promises break most often: 75% (ann 25%)"


def test_funnel_bars_are_the_funnel_counts():
    calls = pd.DataFrame(
        {"outcome": ["no_answer"] * 6 + ["contact", "promise", "promise", "dispute"]}
    )
    promises = pd.DataFrame({"status": ["kept", "broken"], "counted": [True, True]})
    funnel = outcome_funnel(calls, promises)
    ax = plot_outcome_funnel(funnel)
    # 10 attempts, 4 right-party, 2 promises, 1 kept: 10 % of attempts, 1 in 10.
    assert [bar.get_width() for bar in ax.patches] == [10, 4, 2, 1]
    assert ax.get_title(loc="left") == "10% of call attempts end in a kept promise (1 in 10)"


def test_heatmap_cells_are_the_grid_rates():
    calls = pd.DataFrame(
        {
            "call_id": [str(i) for i in range(6)],
            "customer_id": ["a"] * 6,
            # 2026-01-05 is a Monday.
            "called_at": pd.to_datetime(["2026-01-05 09:10"] * 2 + ["2026-01-06 14:00"] * 4),
            "outcome": ["contact", "no_answer", "contact", "contact", "contact", "voicemail"],
        }
    )
    times = best_call_times(calls, business_tz=None)
    ax = plot_contact_heatmap(times, min_attempts=2)
    # Only cells with >= 2 calls are drawn.
    cells = ax.images[0].get_array()
    assert cells[0, 9] == 0.5  # Monday 09:00: 1 of 2
    assert cells[1, 14] == 0.75  # Tuesday 14:00: 3 of 4
    assert np.ma.is_masked(cells[2, 9])
    assert np.ma.is_masked(plot_contact_heatmap(times, min_attempts=3).images[0].get_array()[0, 9])
    assert (
        ax.get_title(loc="left")
        == "Customers answer best on Tue 14:00-15:00 their time (75% of 4 calls)"
    )


def test_charts_refuse_the_wrong_table(outcomes):
    with pytest.raises(SchemaError, match=r"lacks column\(s\) \['month'\]"):
        plot_broken_promise_rate_by_month(broken_promise_rate(outcomes, by="collector"))


def test_empty_rates_still_draw():
    empty = broken_promise_rate(
        pd.DataFrame(
            {
                "month": ["2026-01"],
                "status": ["pending"],
                "promised_amount": [1.0],
                "received": [0.0],
            }
        ),
        by="month",
    )
    assert (
        plot_broken_promise_rate_by_month(empty).get_title(loc="left") == "No resolved promises yet"
    )


def test_a_rate_of_0_or_n_of_n_has_an_interval_ending_exactly_at_it_and_draws():
    """0 of 5 broken: Wilson's lower bound is 0 exactly (not 2.8e-17), 5 of 5: upper 1."""
    from arcalls.promises import _wilson

    rate, low, high = _wilson(np.array([0, 5, 2, 0]), np.array([5, 5, 5, 0]), 0.95)
    assert low[0] == 0.0 and rate[0] == 0.0
    assert high[1] == 1.0 and rate[1] == 1.0
    assert low[2] < rate[2] < high[2]
    assert np.isnan([rate[3], low[3], high[3]]).all()
    rates = pd.DataFrame(
        {
            "collector": ["ann", "bob"],
            "broken_rate": rate[:2],
            "ci_low": low[:2],
            "ci_high": high[:2],
            "resolved": [5, 5],
        }
    )
    ax = plot_broken_promise_rate_by_collector(rates)
    assert len(ax.patches) == 2


def test_the_collector_chart_draws_an_interval_a_rounding_residue_off_its_rate():
    rates = pd.DataFrame(
        {
            "collector": ["ann", "bob"],
            "broken_rate": [0.0, 0.5],
            "ci_low": [2.8e-17, 0.3],
            "ci_high": [0.4, 0.7],
            "resolved": [5, 10],
        }
    )
    ax = plot_broken_promise_rate_by_collector(rates)
    assert [round(float(p.get_width()), 6) for p in ax.patches] == [0.0, 0.5]
