"""Charts the notebooks and the report need beyond each analysis' own charts.

Recovery by segment, broken promises by age of the debt, the model's calibration and
drivers, and the top of the weekly call list. Like every arcalls chart, each draws
numbers an analysis already computed and returns the Axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._calls import _check_columns
from ..errors import InputError
from ._style import COLORS, PALETTE, finish, format_money, get_ax, money_axis, percent_axis

__all__ = [
    "plot_broken_promise_rate_by_age",
    "plot_calibration",
    "plot_call_list",
    "plot_ranking_drivers",
    "plot_recovery_by_segment",
]

#: The day past due whose recovery rates the segment chart's title compares.
SEGMENT_TITLE_DAY = 90
#: How many accounts :func:`plot_call_list` shows by default.
DEFAULT_CALL_LIST_N = 10
#: Plain names for the model's reason groups (``CallPriorityModel.contributions``).
DRIVER_LABELS = {
    "balance": "size of the overdue balance",
    "age": "age of the debt",
    "invoices": "number of open invoices",
    "history": "past payment habits",
    "recent_payment": "a recent payment",
    "promises": "promise record",
    "contact": "reachability",
    "calls": "recent call attempts",
    "last_outcome": "last call's outcome",
    "disputes": "disputes",
    "tenure": "time as a customer",
}
#: The labels that take a plural verb ("disputes lift", not "disputes lifts").
PLURAL_DRIVERS = frozenset({"disputes", "past payment habits", "recent call attempts"})


def plot_recovery_by_segment(curve: pd.DataFrame, *, ax=None):
    """One recovery-rate line per segment of ``recovery_curve(..., by=column)``.

    Parameters
    ----------
    curve : DataFrame
        :func:`arcalls.recovery_curve` with ``by`` set to one column.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        One line per segment (label = the segment), y data its ``recovery_rate``; the
        title compares the segments at :data:`SEGMENT_TITLE_DAY` days past due.

    Examples
    --------
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"terms": ["Net 15"] * 2 + ["Net 60"] * 2,
    ...     "days_past_due": [0, 90, 0, 90], "recovery_rate": [0.9, 0.6, 0.8, 0.3]})
    >>> curve.attrs["by"] = ["terms"]
    >>> ax = plot_recovery_by_segment(curve)
    >>> [line.get_label() for line in ax.get_lines()]
    ['Net 15', 'Net 60']
    >>> ax.get_title(loc="left")
    'At 90 days past due, Net 15 recovers 60% and Net 60 only 30%'
    """
    by = curve.attrs.get("by") if isinstance(curve, pd.DataFrame) else None
    if not by or len(by) != 1:
        raise InputError(
            "Expected arcalls.recovery_curve(..., by='a column') (one segment column), "
            f"got a curve with by={by!r}. For a single curve use plot_recovery_curve."
        )
    column = by[0]
    _check_columns(curve, [column, "days_past_due", "recovery_rate"], "segment curves")
    ax = get_ax(ax)
    segments = curve[column].astype("string").fillna("(none)")
    for i, name in enumerate(sorted(segments.unique())):
        rows = curve[segments == name]
        ax.plot(
            rows["days_past_due"].to_numpy(),
            rows["recovery_rate"].to_numpy(dtype=float),
            color=PALETTE[i % len(PALETTE)],
            lw=2,
            label=name,
        )
    ax.set_ylim(0, 1.02)
    percent_axis(ax.yaxis)
    ax.legend(title=column, frameon=False, fontsize=9)
    at = curve[curve["days_past_due"] == SEGMENT_TITLE_DAY].dropna(subset=["recovery_rate"])
    if len(at) >= 2:
        at = at.sort_values("recovery_rate", ascending=False, kind="stable")
        best, worst = at.iloc[0], at.iloc[-1]
        title = (
            f"At {SEGMENT_TITLE_DAY} days past due, {best[column]} recovers "
            f"{best['recovery_rate']:.0%} and {worst[column]} only {worst['recovery_rate']:.0%}"
        )
    else:
        title = f"Recovery rate by {column}"
    horizon = curve.attrs.get("horizon_days")
    ylabel = f"recovered within {horizon} days" if horizon else "share recovered"
    return finish(ax, title=title, xlabel="days past due", ylabel=ylabel)


def _bucket_order(labels: pd.Series) -> np.ndarray:
    # "current" first, then by the first number in the label: 1-30 < 31-60 < ... < 120+.
    first = pd.to_numeric(labels.astype("string").str.extract(r"(\d+)")[0], errors="coerce")
    return first.fillna(-1).to_numpy(dtype=float)


def plot_broken_promise_rate_by_age(rates: pd.DataFrame, *, ax=None):
    """Broken-promise rate by the age of the debt at the call, with Wilson intervals.

    Parameters
    ----------
    rates : DataFrame
        ``broken_promise_rate(outcomes, by="age_bucket")``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        One bar per age bucket with resolved promises, youngest debt first; bar
        heights are ``broken_rate``.

    Examples
    --------
    >>> import pandas as pd
    >>> rates = pd.DataFrame({"age_bucket": ["120+", "1-30", "31-60"],
    ...     "broken_rate": [0.4, 0.2, 0.25], "ci_low": [0.3, 0.1, 0.15],
    ...     "ci_high": [0.5, 0.3, 0.35], "resolved": [50, 60, 40]})
    >>> ax = plot_broken_promise_rate_by_age(rates)
    >>> [float(p.get_height()) for p in ax.patches]
    [0.2, 0.25, 0.4]
    >>> ax.get_title(loc="left")
    'Promises on debt 120+ days past due break most: 40% (1-30 days: 20%)'
    """
    _check_columns(
        rates, ["age_bucket", "broken_rate", "ci_low", "ci_high", "resolved"], "rates by age"
    )
    ax = get_ax(ax)
    shown = rates[rates["resolved"] > 0]
    shown = shown.iloc[np.argsort(_bucket_order(shown["age_bucket"]), kind="stable")]
    x = np.arange(len(shown))
    rate = shown["broken_rate"].to_numpy(float)
    err = np.vstack([rate - shown["ci_low"].to_numpy(float), shown["ci_high"] - rate])
    # An interval handed in that misses its rate by a rounding residue (2.8e-17) would be
    # a bar of negative length, which matplotlib refuses.
    err = np.clip(err, 0.0, None)
    ax.bar(x, rate, color=COLORS["bad"], alpha=0.8)
    ax.errorbar(x, rate, yerr=err, fmt="none", ecolor=COLORS["benchmark"], capsize=4)
    for xi, r, n in zip(x, rate, shown["resolved"], strict=True):
        ax.annotate(f"{r:.0%} of {n}", (xi, r), xytext=(4, 4), textcoords="offset points")
    ax.set_xticks(x, shown["age_bucket"].astype(str).tolist())
    percent_axis(ax.yaxis)
    ax.set_ylim(0, 1)
    if len(shown) >= 2:
        worst = shown.loc[shown["broken_rate"].idxmax()]
        best = shown.loc[shown["broken_rate"].idxmin()]
        title = (
            f"Promises on debt {worst['age_bucket']} days past due break most: "
            f"{worst['broken_rate']:.0%} ({best['age_bucket']} days: {best['broken_rate']:.0%})"
        )
    elif len(shown) == 1:
        title = f"{rate[0]:.0%} of promises broken"
    else:
        title = "No resolved promises yet"
    return finish(
        ax,
        title=title,
        xlabel="days past due at the call",
        ylabel="promises broken or partly kept (%)",
    )


def plot_calibration(reliability: pd.DataFrame, *, ax=None):
    """Predicted chance of payment against what happened, per bin (a reliability plot).

    Parameters
    ----------
    reliability : DataFrame
        :func:`arcalls.reliability_table`, e.g. ``backtest(...).reliability``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        ``ax.lines[0]`` is the model (x ``mean_predicted``, y ``observed_rate``),
        ``ax.lines[1]`` the diagonal of perfect calibration. The title gives the
        account-weighted mean absolute gap.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"accounts": [100, 300], "mean_predicted": [0.2, 0.6],
    ...     "observed_rate": [0.25, 0.58]})
    >>> ax = plot_calibration(table)
    >>> ax.lines[0].get_ydata().tolist()
    [0.25, 0.58]
    >>> ax.get_title(loc="left")  # (100 * 0.05 + 300 * 0.02) / 400 = 0.0275
    'Predicted chances of payment are off by 3 points on average'
    """
    _check_columns(
        reliability, ["accounts", "mean_predicted", "observed_rate"], "reliability table"
    )
    ax = get_ax(ax)
    predicted = reliability["mean_predicted"].to_numpy(float)
    observed = reliability["observed_rate"].to_numpy(float)
    accounts = reliability["accounts"].to_numpy(float)
    ax.plot(predicted, observed, color=COLORS["primary"], marker="o", lw=2, label="the model")
    ax.plot([0, 1], [0, 1], color=COLORS["benchmark"], ls="--", lw=1, label="perfect")
    if len(accounts):
        # Marker area grows with the accounts behind each point: small bins matter less.
        sizes = 20 + 300 * accounts / accounts.max()
        ax.scatter(predicted, observed, s=sizes, color=COLORS["primary"], alpha=0.3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    percent_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    ax.legend(loc="upper left", frameon=False)
    if accounts.sum() > 0:
        gap = float(np.sum(accounts * np.abs(observed - predicted)) / accounts.sum())
        points = round(gap * 100)
        unit = "point" if points == 1 else "points"
        title = f"Predicted chances of payment are off by {points} {unit} on average"
    else:
        title = "No scored accounts to check the predictions against"
    return finish(
        ax,
        title=title,
        xlabel="predicted chance of paying within the horizon",
        ylabel="share that did pay",
    )


def plot_ranking_drivers(drivers: pd.DataFrame, *, ax=None):
    """How much each reason group lifts the listed accounts' scores, on average.

    Parameters
    ----------
    drivers : DataFrame
        :func:`arcalls.report.ranking_drivers`: ``group`` and ``mean_contribution``
        (change in the log of the expected dollars against an average account).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        One horizontal bar per group, largest lift on top; bar widths are
        ``mean_contribution``.

    Examples
    --------
    >>> import pandas as pd
    >>> drivers = pd.DataFrame({"group": ["age", "balance", "promises"],
    ...     "mean_contribution": [-0.2, 1.1, 0.4]})
    >>> ax = plot_ranking_drivers(drivers)
    >>> [float(p.get_width()) for p in ax.patches]
    [-0.2, 0.4, 1.1]
    >>> ax.get_title(loc="left")
    'Size of the overdue balance lifts these accounts most'
    """
    _check_columns(drivers, ["group", "mean_contribution"], "ranking drivers")
    ax = get_ax(ax)
    shown = drivers.sort_values("mean_contribution", kind="stable")
    values = shown["mean_contribution"].to_numpy(float)
    names = [DRIVER_LABELS.get(g, g) for g in shown["group"].astype(str)]
    colors = [COLORS["primary"] if v >= 0 else COLORS["secondary"] for v in values]
    ax.barh(names, values, color=colors)
    ax.axvline(0, color=COLORS["benchmark"], lw=1)
    if len(shown) and values[-1] > 0:
        top = names[-1]
        verb = "lift" if top in PLURAL_DRIVERS else "lifts"
        title = f"{top[0].upper()}{top[1:]} {verb} these accounts most"
    else:
        title = "No reason lifts these accounts above an average account"
    return finish(
        ax,
        title=title,
        xlabel="average lift of the score (change in log expected dollars; 0 = an average account)",
    )


def plot_call_list(calls, *, n: int = DEFAULT_CALL_LIST_N, ax=None):
    """The first ``n`` accounts of a call list: expected dollars against overdue dollars.

    Parameters
    ----------
    calls : CallList or DataFrame
        :func:`arcalls.call_list`, or its ``calls`` table (``rank``,
        ``customer_name`` or ``customer_id``, ``overdue_balance``,
        ``expected_dollars``).
    n : int, default :data:`DEFAULT_CALL_LIST_N`
        How many accounts to show.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        Two bar containers in list order: ``ax.containers[0]`` the overdue
        balances, ``ax.containers[1]`` the expected dollars; the first account is
        drawn on top.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"rank": [1, 2], "customer_id": ["C1", "C2"],
    ...     "overdue_balance": [1000.0, 400.0], "expected_dollars": [600.0, 300.0]})
    >>> ax = plot_call_list(calls)
    >>> [float(p.get_width()) for p in ax.containers[1]]
    [600.0, 300.0]
    >>> ax.get_title(loc="left")
    'Call C1 first: \\\\$600 expected; the top 2 calls can bring in \\\\$900'
    """
    table = getattr(calls, "calls", calls)
    _check_columns(table, ["overdue_balance", "expected_dollars"], "call list")
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise InputError(f"n must be a positive whole number, got {n!r}.")
    ax = get_ax(ax)
    top = table.head(n)
    code = getattr(calls, "currency", None)
    unit = "$" if code is None else f"{code} "
    ids = top["customer_id"].astype("string") if "customer_id" in top else None
    if "customer_name" in top:
        names = top["customer_name"].astype("string").fillna(ids if ids is not None else "")
    else:
        names = ids if ids is not None else pd.Series(top.index.astype(str), index=top.index)
    prefix = top["rank"].astype(str) + ". " if "rank" in top else ""
    labels = (prefix + names.astype(str)).tolist() if len(top) else []
    # Reversed so that the first call is drawn at the top.
    y = np.arange(len(top))[::-1]
    ax.barh(
        y,
        top["overdue_balance"].to_numpy(float),
        color=COLORS["band"],
        alpha=0.5,
        label="overdue balance",
    )
    ax.barh(
        y,
        top["expected_dollars"].to_numpy(float),
        color=COLORS["primary"],
        height=0.5,
        label="expected dollars from a call",
    )
    ax.set_yticks(y, labels)
    money_axis(ax.xaxis, unit)
    ax.legend(loc="lower right", frameon=False)
    if len(top):
        first = names.iloc[0]
        title = (
            f"Call {first} first: {format_money(top['expected_dollars'].iloc[0], unit)} "
            f"expected; the top {len(top)} calls can bring in "
            f"{format_money(top['expected_dollars'].sum(), unit)}"
        )
    else:
        title = "Nobody to call this week"
    finish(ax, title=_no_mathtext(title), xlabel=code or "dollars", ylabel=None)
    return ax


def _no_mathtext(text: str) -> str:
    # Two "$" in one text make matplotlib typeset what lies between them as math.
    return text.replace("$", r"\$")
