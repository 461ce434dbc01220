"""Tests of the backtest charts: they draw the backtest's own numbers, headless."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arcalls.plots._ranking import plot_backtest, plot_gain
from arcalls.ranking import BacktestResult

WEEKS = pd.to_datetime(["2026-01-04", "2026-01-11"])


@pytest.fixture
def result():
    """A hand-made result: the model captures 300 + 500 = 800 of a perfect 1,000."""
    strategies = ["model", "largest_overdue", "oldest", "last_week", "perfect"]
    captured = {
        "model": [300.0, 500.0],
        "largest_overdue": [200.0, 300.0],
        "oldest": [100.0, 100.0],
        "last_week": [250.0, 350.0],
        "perfect": [400.0, 600.0],
    }
    weekly = pd.DataFrame(
        {
            "as_of": np.tile(WEEKS, len(strategies)),
            "strategy": np.repeat(strategies, 2),
            "captured": np.concatenate([captured[s] for s in strategies]),
        }
    )
    weekly["perfect"] = np.tile([400.0, 600.0], len(strategies))
    totals = weekly.groupby("strategy", sort=False)["captured"].sum()
    summary = pd.DataFrame(
        {
            "strategy": strategies,
            "captured": totals.to_numpy(),
            "perfect": 1000.0,
            "share": totals.to_numpy() / 1000.0,
        }
    )
    gain = pd.DataFrame(
        {
            "strategy": np.repeat(strategies, 2),
            "calls_per_week": np.tile([1, 2], len(strategies)),
            "share": [0.5, 0.8, 0.4, 0.5, 0.1, 0.2, 0.45, 0.6, 1.0, 1.0],
        }
    )
    return BacktestResult(
        weekly=weekly,
        summary=summary,
        gain=gain,
        reliability=pd.DataFrame(),
        scores=pd.DataFrame(),
        k=2,
        horizon_days=30,
    )


def test_plot_backtest_draws_the_captured_dollars(result):
    ax = plot_backtest(result)
    lines = {line.get_label(): line for line in ax.lines}
    assert list(lines) == [
        "Model (expected dollars)",
        "Largest overdue first",
        "Oldest first",
        "Last week's list",
        "Perfect foresight",
    ]
    assert lines["Model (expected dollars)"].get_ydata().tolist() == [300.0, 500.0]
    assert lines["Perfect foresight"].get_ydata().tolist() == [400.0, 600.0]
    # 800 against the best rule's 600 (last week) is +33 %; 800 / 1,000 = 80 %.
    assert ax.get_title(loc="left") == (
        "The model's top 2 calls a week collect +33% vs the best rule (80% of perfect foresight)"
    )
    assert ax.get_ylabel() == "Dollars paid within 30 days"


def test_plot_gain_draws_the_shares(result):
    ax = plot_gain(result)
    model = next(line for line in ax.lines if line.get_label() == "Model (expected dollars)")
    assert model.get_xdata().tolist() == [1, 2]
    assert model.get_ydata().tolist() == [0.5, 0.8]
    assert (
        ax.get_title(loc="left")
        == "At 2 calls a week the model gets 80% of what perfect foresight would"
    )


def test_plots_draw_on_a_given_axes(result):
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    assert plot_backtest(result, ax=left) is left
    assert plot_gain(result, ax=right) is right
