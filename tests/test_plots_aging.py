"""Tests of the aging charts: the numbers drawn are the computed table's, headless."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls.aging import INDUSTRY_MEDIAN_CEI, INDUSTRY_MEDIAN_DSO, aging, ar_trend
from arcalls.errors import InputError
from arcalls.plots._aging import (
    plot_aging_buckets,
    plot_ar_metrics_trend,
    plot_cei_trend,
    plot_top_overdue,
)

LABELS = ["current", "1-30", "31-60", "61-90", "91-120", "120+"]


@pytest.fixture(scope="module")
def sample():
    return arcalls.load_sample()


@pytest.fixture(scope="module")
def trend(sample):
    return ar_trend(sample.invoices, sample.payments, start="2025-01-01", end="2025-12-31")


@pytest.fixture(scope="module")
def table(sample):
    return aging(sample.invoices, sample.payments, as_of="2025-12-31")


def _png(ax) -> bytes:
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_backend_is_headless():
    assert matplotlib.get_backend().lower() == "agg"


def test_bucket_bars_are_the_trend_numbers(trend):
    ax = plot_aging_buckets(trend)
    assert len(ax.containers) == len(LABELS)
    bottom = np.zeros(len(trend))
    for container, label in zip(ax.containers, LABELS, strict=True):
        assert container.get_label() == label
        heights = [p.get_height() for p in container]
        np.testing.assert_allclose(heights, trend[label].to_numpy())
        np.testing.assert_allclose([p.get_y() for p in container], bottom)
        bottom = bottom + trend[label].to_numpy()
    # The stacks reach the open total of each month.
    np.testing.assert_allclose(bottom, trend["ar_total"].to_numpy(), atol=0.01)
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Jan 2025", "Feb 2025"]
    last = trend.iloc[-1]
    assert f"{last['ar_overdue'] / last['ar_total']:.0%} of open receivables" in ax.get_title(
        loc="left"
    )
    assert ax.get_ylabel() == "open receivables ($)"
    assert _png(ax).startswith(b"\x89PNG")


def test_bucket_bars_follow_custom_buckets(sample):
    trend = ar_trend(
        sample.invoices, sample.payments, start="2025-06-01", end="2025-08-31", buckets=(0, 60)
    )
    ax = plot_aging_buckets(trend)
    assert [c.get_label() for c in ax.containers] == ["current", "1-60", "60+"]


def test_top_overdue_bars_are_the_table_numbers(table):
    ax = plot_top_overdue(table, n=5)
    top = table.sort_values("overdue", ascending=False).head(5)
    widths = [p.get_width() for p in ax.patches]
    # Drawn bottom-up, so the largest is the last bar (at the top of the chart).
    np.testing.assert_allclose(widths[::-1], top["overdue"].to_numpy())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[::-1] == top["customer_name"].tolist()
    share = top["overdue"].sum() / table["overdue"].clip(lower=0).sum()
    assert f"5 customers hold {share:.0%} of the overdue dollars" == ax.get_title(loc="left")
    assert _png(ax).startswith(b"\x89PNG")


def test_top_overdue_labels_fall_back_to_the_id_and_skip_no_overdue():
    table = pd.DataFrame(
        {
            "customer_name": pd.array(["Acme", None, "Zed"], dtype="string"),
            "overdue": [50.0, 80.0, 0.0],
        },
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )
    ax = plot_top_overdue(table)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Acme", "B"]
    assert [p.get_width() for p in ax.patches] == [50.0, 80.0]


def test_metric_lines_are_the_trend_numbers(trend):
    ax = plot_ar_metrics_trend(trend)
    lines = {line.get_label(): line for line in ax.lines}
    np.testing.assert_allclose(lines["DSO"].get_ydata(), trend["dso"].to_numpy())
    np.testing.assert_allclose(lines["best possible DSO"].get_ydata(), trend["bpdso"].to_numpy())
    benchmark = next(k for k in lines if k.startswith("industry median DSO"))
    assert list(lines[benchmark].get_ydata()) == [INDUSTRY_MEDIAN_DSO] * 2
    last = trend.iloc[-1]
    assert f"DSO {last['dso']:.0f} days" in ax.get_title(loc="left")
    assert f"{last['add']:.0f} of them from late payment" in ax.get_title(loc="left")
    assert _png(ax).startswith(b"\x89PNG")


def test_cei_line_is_the_trend_numbers(trend):
    ax = plot_cei_trend(trend)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), trend["cei"].to_numpy())
    assert list(ax.lines[1].get_ydata()) == [INDUSTRY_MEDIAN_CEI] * 2
    assert ax.get_ylabel().startswith("CEI")
    assert _png(ax).startswith(b"\x89PNG")


def test_charts_draw_on_a_given_axes(trend, table):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2)
    assert plot_aging_buckets(trend, ax=axes[0, 0]) is axes[0, 0]
    assert plot_top_overdue(table, ax=axes[0, 1]) is axes[0, 1]
    assert plot_ar_metrics_trend(trend, ax=axes[1, 0]) is axes[1, 0]
    assert plot_cei_trend(trend, ax=axes[1, 1]) is axes[1, 1]


def test_wrong_inputs_are_refused(table, trend):
    with pytest.raises(InputError, match=r"arcalls.ar_trend\(...\) returns"):
        plot_aging_buckets(table)
    with pytest.raises(InputError, match=r"lacks the column\(s\) \['cei'\]"):
        plot_cei_trend(trend.drop(columns="cei"))
    with pytest.raises(InputError, match="trend table is empty"):
        plot_ar_metrics_trend(trend.iloc[:0])
    with pytest.raises(InputError, match="with an 'overdue' column"):
        plot_top_overdue(trend.drop(columns="ar_overdue").rename(columns={"dso": "x"}).iloc[:, :2])
    with pytest.raises(InputError, match="n must be a positive whole number"):
        plot_top_overdue(table, n=0)


def test_charts_of_a_book_in_another_currency_name_its_code():
    import arcalls
    from arcalls.plots import plot_aging_buckets, plot_top_overdue

    s = arcalls.load_sample()
    as_of = arcalls.SAMPLE_AS_OF
    trend = arcalls.ar_trend(s.invoices, s.payments, start="2026-07-31", end=as_of)
    ax = plot_aging_buckets(trend, currency="EUR")
    assert ax.get_ylabel() == "open receivables (EUR)"
    assert ax.yaxis.get_major_formatter()(1500.0, 0) == "EUR 1.5k"
    ax = plot_top_overdue(arcalls.aging(s.invoices, s.payments, as_of=as_of), currency="EUR")
    assert ax.get_xlabel() == "overdue (EUR)"
    assert plot_top_overdue(arcalls.aging(s.invoices, s.payments, as_of=as_of)).get_xlabel() == (
        "overdue ($)"
    )
