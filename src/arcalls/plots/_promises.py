"""Charts of promises to pay and call outcomes.

Each function draws a table that :mod:`arcalls.promises` already computed: broken-promise
rates (:func:`~arcalls.broken_promise_rate`), the outcome funnel
(:func:`~arcalls.outcome_funnel`) and contact rates by hour
(:func:`~arcalls.best_call_times`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._calls import WEEKDAY_NAMES, CallTimes, _check_columns
from ._style import COLORS, finish, get_ax, legend_below, percent_axis

__all__ = [
    "plot_broken_promise_rate_by_collector",
    "plot_broken_promise_rate_by_month",
    "plot_contact_heatmap",
    "plot_outcome_funnel",
]

_RATE_COLUMNS = ("broken_rate", "ci_low", "ci_high", "resolved")


def plot_broken_promise_rate_by_month(rates: pd.DataFrame, *, ax=None):
    """Broken-promise rate per month, with its Wilson interval as a band.

    Parameters
    ----------
    rates : DataFrame
        ``broken_promise_rate(outcomes, by="month")``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> rates = pd.DataFrame({"month": ["2026-01", "2026-02"], "broken_rate": [0.3, 0.2],
    ...     "ci_low": [0.2, 0.1], "ci_high": [0.4, 0.3], "resolved": [40, 35]})
    >>> plot_broken_promise_rate_by_month(rates).get_title(loc="left")
    'Broken-promise rate 25% over 2 months; 20% in 2026-02'
    """
    _check_columns(rates, ["month", *_RATE_COLUMNS], "broken-promise rates by month")
    ax = get_ax(ax)
    shown = rates[rates["resolved"] > 0].sort_values("month")
    x = pd.PeriodIndex(shown["month"].astype(str), freq="M").to_timestamp()
    ax.fill_between(
        x, shown["ci_low"], shown["ci_high"], color=COLORS["band"], alpha=0.3, label="95% interval"
    )
    ax.plot(x, shown["broken_rate"], marker="o", color=COLORS["bad"], label="broken + partial")
    percent_axis(ax.yaxis)
    # Room for a month at 100 % (a point on the top edge reads as cut off).
    ax.set_ylim(0, 1.04)
    # Under the plot: a month can be at any rate, the first one at 100 % among them.
    legend_below(ax)
    if len(shown):
        overall = _pooled_rate(shown)
        last = shown.iloc[-1]
        title = (
            f"Broken-promise rate {overall:.0%} over {len(shown)} months; "
            f"{last['broken_rate']:.0%} in {last['month']}"
        )
    else:
        title = "No resolved promises yet"
    return finish(ax, title=title, xlabel="month of the promise", ylabel="promises broken (%)")


def plot_broken_promise_rate_by_collector(rates: pd.DataFrame, *, ax=None):
    """Broken-promise rate per collector, as bars with their Wilson intervals.

    Parameters
    ----------
    rates : DataFrame
        ``broken_promise_rate(outcomes, by="collector")``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> rates = pd.DataFrame({"collector": ["ann", "bob"], "broken_rate": [0.1, 0.4],
    ...     "ci_low": [0.05, 0.3], "ci_high": [0.2, 0.5], "resolved": [50, 60]})
    >>> plot_broken_promise_rate_by_collector(rates).get_title(loc="left")
    "bob's promises break most often: 40% (ann 10%)"
    """
    _check_columns(rates, ["collector", *_RATE_COLUMNS], "broken-promise rates by collector")
    ax = get_ax(ax)
    shown = rates[rates["resolved"] > 0].sort_values("broken_rate")
    names = shown["collector"].astype("string").fillna("(none)").tolist()
    y = np.arange(len(shown))
    rate = shown["broken_rate"].to_numpy(float)
    err = np.vstack([rate - shown["ci_low"].to_numpy(float), shown["ci_high"] - rate])
    # An interval handed in that misses its rate by a rounding residue (2.8e-17) would be
    # a bar of negative length, which matplotlib refuses.
    err = np.clip(err, 0.0, None)
    ax.barh(y, rate, color=COLORS["bad"], alpha=0.8)
    ax.errorbar(rate, y, xerr=err, fmt="none", ecolor=COLORS["benchmark"], capsize=4)
    for yi, r, n in zip(y, rate, shown["resolved"], strict=True):
        ax.annotate(f"{r:.0%} of {n}", (r, yi), xytext=(6, 6), textcoords="offset points")
    ax.set_yticks(y, names)
    percent_axis(ax.xaxis)
    ax.set_xlim(0, 1)
    if len(shown) >= 2:
        worst, best = shown.iloc[-1], shown.iloc[0]
        title = (
            f"{worst['collector']}'s promises break most often: {worst['broken_rate']:.0%} "
            f"({best['collector']} {best['broken_rate']:.0%})"
        )
    elif len(shown) == 1:
        title = f"{names[0]}: {rate[0]:.0%} of promises broken"
    else:
        title = "No resolved promises yet"
    return finish(ax, title=title, xlabel="promises broken or partly kept (%)", ylabel="collector")


def plot_outcome_funnel(funnel: pd.DataFrame, *, ax=None):
    """From attempts to kept promises: one bar per stage, with its count and share.

    Parameters
    ----------
    funnel : DataFrame
        :func:`~arcalls.outcome_funnel`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> funnel = pd.DataFrame({"stage": ["attempts", "right_party_contacts", "promises", "kept"],
    ...     "count": [200, 80, 30, 20], "share_of_attempts": [1.0, 0.4, 0.15, 0.1],
    ...     "share_of_previous": [1.0, 0.4, 0.38, 0.67]})
    >>> plot_outcome_funnel(funnel).get_title(loc="left")
    '10% of call attempts end in a kept promise (1 in 10)'
    """
    _check_columns(funnel, ["stage", "count", "share_of_attempts", "share_of_previous"], "funnel")
    ax = get_ax(ax)
    labels = {
        "attempts": "call attempts",
        "right_party_contacts": "right party reached",
        "promises": "promise to pay",
        "kept": "promise kept",
    }
    y = np.arange(len(funnel))[::-1]
    counts = funnel["count"].to_numpy(float)
    colors = [COLORS["primary"], COLORS["secondary"], COLORS["accent"], COLORS["good"]]
    ax.barh(y, counts, color=colors[: len(funnel)])
    for yi, n, prev in zip(y, counts, funnel["share_of_previous"], strict=True):
        ax.annotate(
            f"{int(n):,} ({prev:.0%} of the step before)",
            (n, yi),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
        )
    ax.set_yticks(y, [labels.get(s, s) for s in funnel["stage"]])
    ax.set_xlim(0, max(counts.max(), 1) * 1.45)
    kept = funnel.loc[funnel["stage"] == "kept", "share_of_attempts"]
    share = float(kept.iloc[0]) if len(kept) and pd.notna(kept.iloc[0]) else 0.0
    one_in = f" (1 in {round(1 / share)})" if share > 0 else ""
    return finish(
        ax,
        title=f"{share:.0%} of call attempts end in a kept promise{one_in}",
        xlabel="calls (count)",
    )


#: Heat-map cells with fewer calls are left blank: 1 answer in 1 call is not a 100 % hour.
HEATMAP_MIN_ATTEMPTS = 5


def plot_contact_heatmap(
    times: CallTimes | pd.DataFrame, *, ax=None, min_attempts: int = HEATMAP_MIN_ATTEMPTS
):
    """Right-party contact rate by weekday and hour of the customer's local day.

    Parameters
    ----------
    times : CallTimes or DataFrame
        :func:`~arcalls.best_call_times`, or its ``grid`` table.
    ax : matplotlib Axes, optional
    min_attempts : int, default :data:`HEATMAP_MIN_ATTEMPTS`
        Cells with fewer calls are blank.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> grid = pd.DataFrame({"weekday": [0, 1], "hour": [9, 10], "attempts": [20, 30],
    ...     "contacts": [5, 15], "contact_rate": [0.25, 0.5]})
    >>> plot_contact_heatmap(grid, min_attempts=1).get_title(loc="left")
    'Customers answer best on Tue 10:00-11:00 their time (50% of 30 calls)'
    """
    grid = times.grid if isinstance(times, CallTimes) else times
    _check_columns(grid, ["weekday", "hour", "attempts", "contact_rate"], "contact grid")
    ax = get_ax(ax)
    grid = grid[grid["attempts"] >= min_attempts]
    matrix = np.full((7, 24), np.nan)
    matrix[grid["weekday"].to_numpy(int), grid["hour"].to_numpy(int)] = grid["contact_rate"]
    image = ax.imshow(
        np.ma.masked_invalid(matrix), aspect="auto", cmap="viridis", vmin=0, origin="upper"
    )
    colorbar = ax.figure.colorbar(image, ax=ax)
    colorbar.set_label("right-party contact rate")
    percent_axis(colorbar.ax.yaxis)
    ax.set_yticks(range(7), WEEKDAY_NAMES)
    ax.set_xticks(range(0, 24, 2))
    if len(grid):
        best = grid.loc[grid["contact_rate"].idxmax()]
        hour = int(best["hour"])
        title = (
            f"Customers answer best on {WEEKDAY_NAMES[int(best['weekday'])]} "
            f"{hour:02d}:00-{hour + 1:02d}:00 their time "
            f"({best['contact_rate']:.0%} of {int(best['attempts'])} calls)"
        )
    else:
        title = f"No weekday and hour with {min_attempts} calls or more yet"
    finish(ax, title=title, xlabel="hour of the customer's local day", ylabel="weekday")
    ax.grid(False)
    return ax


def _pooled_rate(rates: pd.DataFrame) -> float:
    failed = (rates["broken_rate"] * rates["resolved"]).sum()
    return float(failed / rates["resolved"].sum())
