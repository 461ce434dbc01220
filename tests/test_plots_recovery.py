"""The recovery charts draw headless, from the numbers the analysis computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arcalls.errors import InputError
from arcalls.plots._recovery import plot_handoff, plot_recovery_curve, plot_share_unpaid
from arcalls.recovery import benchmark_collectability, handoff_analysis, recovery_curve


@pytest.fixture
def curve():
    """40 invoices of $100..$490 due 2024-01-01, invoice k paid k days past due (k < 30)."""
    n = 40
    due = pd.Timestamp("2024-01-01")
    paid = np.arange(n) < 30
    inv = pd.DataFrame(
        {
            "invoice_id": pd.array([f"i{k}" for k in range(n)], dtype="string"),
            "customer_id": pd.array(["c"] * n, dtype="string"),
            "invoice_date": due - pd.Timedelta(days=30),
            "due_date": due,
            "amount": 100.0 + 10 * np.arange(n),
            "paid_date": np.where(paid, due + pd.to_timedelta(np.arange(n), unit="D"), pd.NaT),
        }
    )
    inv["paid_date"] = pd.to_datetime(inv["paid_date"])
    return recovery_curve(inv, as_of="2024-03-01", horizon_days=10, n_boot=30)


def test_recovery_chart_draws_the_curve_band_and_benchmark(curve):
    ax = plot_recovery_curve(curve)
    rate, bench = ax.get_lines()[0], ax.get_lines()[1]
    np.testing.assert_array_equal(rate.get_ydata(), curve["recovery_rate"].to_numpy())
    np.testing.assert_allclose(bench.get_ydata(), benchmark_collectability(curve["days_past_due"]))
    assert ax.right_ax.get_ylabel() == "history's dollars still unpaid (all invoices)"
    assert ax.get_xlabel() == "days past due"
    assert ax.get_title(loc="left").startswith("Recovery falls from")
    ax.figure.canvas.draw()


def test_recovery_chart_without_benchmark(curve):
    ax = plot_recovery_curve(curve, benchmark=False)
    assert len(ax.get_lines()) == 1


def test_share_unpaid_chart(curve):
    ax = plot_share_unpaid(curve)
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), curve["share_unpaid"])
    # Day 30 is the last day; all 30 paid invoices are gone by then: 10 open of 40.
    unpaid = curve["share_unpaid"].iloc[30]
    assert f"{unpaid:.0%} of invoiced dollars are still unpaid 30 days" in ax.get_title(loc="left")
    ax.figure.canvas.draw()


def test_handoff_chart_marks_the_crossing():
    curve = pd.DataFrame(
        {"days_past_due": np.arange(200), "recovery_rate": 0.95 * np.exp(-np.arange(200) / 90)}
    )
    analysis = handoff_analysis(curve, horizon_days=365, calls_per_month=1)
    ax = plot_handoff(analysis)
    age = analysis.handoff_age
    assert age is not None
    assert ax.get_title(loc="left") == f"Hand accounts to an agency from {age} days past due"
    assert any(t.get_text() == f"hand off at {age} days" for t in ax.texts)
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), analysis.table["agency_net"])
    ax.figure.canvas.draw()


def test_handoff_chart_when_inhouse_always_wins():
    curve = pd.DataFrame({"days_past_due": [0, 30], "recovery_rate": [1.0, 1.0]})
    ax = plot_handoff(handoff_analysis(curve, horizon_days=365, cost_per_call=0.0))
    assert "in-house wins" in ax.get_title(loc="left")


def test_segmented_curve_is_refused(curve):
    seg = curve.copy()
    seg.attrs["by"] = ["customer_id"]
    with pytest.raises(InputError, match="select a segment first"):
        plot_recovery_curve(seg)


def test_draws_on_a_given_axes(curve):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert plot_share_unpaid(curve, ax=ax) is ax


def test_handoff_chart_says_no_clear_age_with_the_range():
    import arcalls
    from arcalls.recovery import recommend_handoff

    s = arcalls.load_sample()
    a = recommend_handoff(s.invoices, s.payments, s.customers, as_of=arcalls.SAMPLE_AS_OF)
    ax = plot_handoff(a)
    if a.handoff_age is None:
        lo, hi = a.age_range
        assert ax.get_title(loc="left") == (
            f"No clear handoff age: placing starts to win between {lo} and {hi} days "
            "in the resamples"
        )
    ax.figure.canvas.draw()


def test_sensitivity_chart_draws_the_grid_numbers():
    import arcalls
    from arcalls.plots import plot_handoff_sensitivity
    from arcalls.recovery import handoff_sensitivity, recommend_handoff

    s = arcalls.load_sample()
    a = recommend_handoff(s.invoices, s.payments, s.customers, as_of=arcalls.SAMPLE_AS_OF)
    grid = handoff_sensitivity(a, fees=(0.2, 0.3), costs_per_call=(2.5, 10.0))
    ax = plot_handoff_sensitivity(grid)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 4
    for (_, row), text in zip(grid.iterrows(), texts, strict=True):
        clear = "none" if pd.isna(row["handoff_age"]) else str(int(row["handoff_age"]))
        point = "never" if pd.isna(row["point_age"]) else str(int(row["point_age"]))
        assert text == f"{clear}\n({point})"
    image = ax.get_images()[0].get_array()
    assert np.ma.getmaskarray(image).sum() == int(grid["point_age"].isna().sum())
    cleared = int(grid["handoff_age"].notna().sum())
    assert ax.get_title(loc="left").startswith(
        f"Recommended handoff age (band cleared) in {cleared} of 4"
    )
    ax.figure.canvas.draw()
