"""Charts of the aging and the receivables metrics, drawn from :mod:`arcalls.aging` results.

Each function takes a table :func:`arcalls.aging`, :func:`arcalls.ar_metrics` or
:func:`arcalls.ar_trend` already computed and draws its numbers as they are.
"""

from __future__ import annotations

import pandas as pd

from ..aging import INDUSTRY_MEDIAN_CEI, INDUSTRY_MEDIAN_DSO, METRIC_COLUMNS
from ..errors import InputError
from ._style import COLORS, PALETTE, finish, get_ax, money_axis

__all__ = ["plot_aging_buckets", "plot_ar_metrics_trend", "plot_cei_trend", "plot_top_overdue"]

#: Bucket colours from young to old: green for current, then warmer as debt ages.
BUCKET_COLORS = (PALETTE[2], PALETTE[5], PALETTE[1], PALETTE[3], PALETTE[4], PALETTE[7])
#: How many customers :func:`plot_top_overdue` shows by default.
DEFAULT_TOP_N = 10


def _check_trend(trend, needs: tuple[str, ...]) -> None:
    if not isinstance(trend, pd.DataFrame) or not isinstance(trend.index, pd.DatetimeIndex):
        raise InputError(
            "Expected the DataFrame arcalls.ar_trend(...) returns (indexed by as_of dates), "
            f"got {type(trend).__name__}."
        )
    missing = [c for c in needs if c not in trend.columns]
    if missing:
        raise InputError(
            f"The trend table lacks the column(s) {missing}; pass arcalls.ar_trend(...) "
            "as it comes."
        )
    if trend.empty:
        raise InputError("The trend table is empty: there is nothing to draw.")


def _bucket_columns(trend: pd.DataFrame) -> list[str]:
    return [c for c in trend.columns if c not in METRIC_COLUMNS]


def _date_labels(index: pd.DatetimeIndex) -> list[str]:
    # Month ends read best as the month itself; other grids need the day.
    fmt = "%b %Y" if bool(index.is_month_end.all()) else "%Y-%m-%d"
    return list(index.strftime(fmt))


def plot_aging_buckets(trend: pd.DataFrame, *, currency: str | None = None, ax=None):
    """Stacked bars of open dollars by aging bucket at each date of a trend.

    Parameters
    ----------
    trend : DataFrame
        :func:`arcalls.ar_trend` output (one row per date, bucket columns after the
        metric columns).
    currency : str, optional
        The book's currency code, shown on the axis (None: dollars, ``$``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        One bar container per bucket, youngest at the bottom; the bar heights are the
        trend's bucket columns.

    Examples
    --------
    >>> import arcalls
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2"], dtype="string"),
    ...     "customer_id": pd.array(["A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-15", "2025-06-15"]),
    ...     "due_date": pd.to_datetime(["2025-06-14", "2025-07-15"]),
    ...     "amount": [300.0, 600.0],
    ... })
    >>> trend = arcalls.ar_trend(inv, start="2025-05-01", end="2025-07-31")
    >>> ax = plot_aging_buckets(trend)
    >>> [float(p.get_height()) for p in ax.containers[0]]  # current
    [300.0, 600.0, 0.0]
    """
    buckets = _bucket_columns(trend) if isinstance(trend, pd.DataFrame) else []
    _check_trend(trend, ("ar_total", "ar_overdue", *buckets))
    ax = get_ax(ax)
    positions = range(len(trend))
    bottom = pd.Series(0.0, index=trend.index)
    for i, col in enumerate(buckets):
        heights = trend[col].fillna(0.0)
        ax.bar(
            positions,
            heights.to_numpy(),
            bottom=bottom.to_numpy(),
            color=BUCKET_COLORS[i % len(BUCKET_COLORS)],
            label=col,
            width=0.8,
        )
        bottom = bottom + heights
    ax.set_xticks(list(positions), _date_labels(trend.index), rotation=45, ha="right")
    money_axis(ax.yaxis, _unit(currency))
    # Room above the tallest bar: a bar ending at the axis' top edge reads as cut off.
    tallest = float(bottom.max()) if len(bottom) else 0.0
    if tallest > 0:
        ax.set_ylim(min(0.0, float(ax.get_ylim()[0])), tallest * 1.08)
    # Outside the plot, so that it never hides the tallest bars; oldest on top, as stacked.
    handles, names = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1],
        names[::-1],
        title="days past due",
        frameon=False,
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    last = trend.iloc[-1]
    share = last["ar_overdue"] / last["ar_total"] if last["ar_total"] > 0 else 0.0
    return finish(
        ax,
        title=f"{share:.0%} of open receivables were past due on {trend.index[-1]:%d %b %Y}",
        xlabel="as of",
        ylabel=f"open receivables ({currency or '$'})",
    )


def plot_top_overdue(
    aging_table: pd.DataFrame,
    *,
    n: int = DEFAULT_TOP_N,
    currency: str | None = None,
    ax=None,
):
    """Horizontal bars of the ``n`` customers with the most overdue dollars.

    Parameters
    ----------
    aging_table : DataFrame
        :func:`arcalls.aging` output by customer (needs ``overdue``; labels use
        ``customer_name`` when present, else the index).
    n : int, default :data:`DEFAULT_TOP_N`
        How many customers to show.
    currency : str, optional
        The book's currency code, shown on the axis (None: dollars, ``$``).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        One bar per customer with overdue dollars, largest at the top; bar widths are
        the table's ``overdue`` values.

    Examples
    --------
    >>> import arcalls
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2", "3"], dtype="string"),
    ...     "customer_id": pd.array(["A", "A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-04-01", "2025-05-01", "2025-05-01"]),
    ...     "due_date": pd.to_datetime(["2025-05-01", "2025-05-31", "2025-05-31"]),
    ...     "amount": [100.0, 250.0, 40.0],
    ... })
    >>> ax = plot_top_overdue(arcalls.aging(inv, as_of="2025-06-30"))
    >>> [float(p.get_width()) for p in ax.patches]
    [40.0, 350.0]
    """
    if not isinstance(aging_table, pd.DataFrame) or "overdue" not in aging_table:
        raise InputError(
            "Expected the DataFrame arcalls.aging(...) returns (with an 'overdue' column), "
            f"got {type(aging_table).__name__}."
        )
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise InputError(f"n must be a positive whole number, got {n!r}.")
    ax = get_ax(ax)
    late = aging_table[aging_table["overdue"] > 0]
    top = late.sort_values("overdue", ascending=False, kind="stable").head(n)
    if "customer_name" in top:
        labels = (
            top["customer_name"]
            .astype("object")
            .where(top["customer_name"].notna(), top.index.astype(str))
        )
    else:
        labels = pd.Series(top.index.astype(str), index=top.index)
    # Reversed so that the largest bar is drawn at the top.
    ax.barh(
        [str(x) for x in labels.iloc[::-1]],
        top["overdue"].iloc[::-1].to_numpy(),
        color=COLORS["bad"],
    )
    money_axis(ax.xaxis, _unit(currency))
    total = aging_table["overdue"].clip(lower=0).sum()
    if len(top) == 0:
        title = "No customer had overdue dollars"
    else:
        share = top["overdue"].sum() / total if total > 0 else 0.0
        who = "1 customer holds" if len(top) == 1 else f"{len(top)} customers hold"
        title = f"{who} {share:.0%} of the overdue dollars"
    return finish(ax, title=title, xlabel=f"overdue ({currency or '$'})", ylabel=None)


def _unit(currency: str | None) -> str:
    """What an amount is prefixed with on an axis: ``$``, or the code and a space."""
    return "$" if currency is None else f"{currency} "


def plot_ar_metrics_trend(trend: pd.DataFrame, *, ax=None):
    """DSO and best possible DSO over time; the gap between them is ADD.

    Parameters
    ----------
    trend : DataFrame
        :func:`arcalls.ar_trend` output.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        Lines labelled ``DSO`` and ``best possible DSO`` (their y data are the trend's
        ``dso`` and ``bpdso``), the shaded ADD band between them and the industry
        median DSO (:data:`arcalls.INDUSTRY_MEDIAN_DSO`) as a dashed line.

    Examples
    --------
    >>> import arcalls
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2"], dtype="string"),
    ...     "customer_id": pd.array(["A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-15", "2025-06-15"]),
    ...     "due_date": pd.to_datetime(["2025-06-14", "2025-07-15"]),
    ...     "amount": [300.0, 600.0],
    ... })
    >>> trend = arcalls.ar_trend(inv, start="2025-05-01", end="2025-06-30")
    >>> ax = plot_ar_metrics_trend(trend)
    >>> [float(y) for y in ax.lines[0].get_ydata()]  # DSO
    [90.0, 90.0]
    """
    _check_trend(trend, ("dso", "bpdso", "add"))
    ax = get_ax(ax)
    x = trend.index
    ax.plot(x, trend["dso"].to_numpy(), color=COLORS["primary"], marker="o", label="DSO")
    ax.plot(
        x, trend["bpdso"].to_numpy(), color=COLORS["good"], marker="o", label="best possible DSO"
    )
    ax.fill_between(
        x,
        trend["bpdso"].to_numpy(),
        trend["dso"].to_numpy(),
        color=COLORS["bad"],
        alpha=0.2,
        label="ADD (days late)",
    )
    ax.axhline(
        INDUSTRY_MEDIAN_DSO,
        color=COLORS["benchmark"],
        linestyle="--",
        linewidth=1,
        label=f"industry median DSO ({INDUSTRY_MEDIAN_DSO:.0f})",
    )
    ax.legend(frameon=False, fontsize=8)
    last = trend.dropna(subset=["dso", "add"])
    if len(last):
        row = last.iloc[-1]
        title = (
            f"DSO {row['dso']:.0f} days on {last.index[-1]:%d %b %Y}, "
            f"{row['add']:.0f} of them from late payment (ADD)"
        )
    else:
        title = "DSO is undefined: no credit sales in the periods shown"
    return finish(ax, title=title, xlabel="as of", ylabel="days")


def plot_cei_trend(trend: pd.DataFrame, *, ax=None):
    """The collection effectiveness index over time, against the industry median.

    Parameters
    ----------
    trend : DataFrame
        :func:`arcalls.ar_trend` output.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
        A line labelled ``CEI`` (its y data are the trend's ``cei``) and the industry
        median (:data:`arcalls.INDUSTRY_MEDIAN_CEI`) as a dashed line.

    Examples
    --------
    >>> import arcalls
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2"], dtype="string"),
    ...     "customer_id": pd.array(["A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-15", "2025-06-15"]),
    ...     "due_date": pd.to_datetime(["2025-06-14", "2025-07-15"]),
    ...     "amount": [300.0, 600.0],
    ...     "paid_date": pd.to_datetime(["2025-06-20", None]),
    ... })
    >>> trend = arcalls.ar_trend(inv, start="2025-06-01", end="2025-07-31")
    >>> ax = plot_cei_trend(trend)
    >>> # 90 days to June 30: nothing open at the start, 900 sold, the 600 left is
    >>> # current: (0 + 900 - 600) / (0 + 900 - 600) = 100. To July 31: the 600 is now
    >>> # past due, so 300 of 900 collectable came in: 33.3.
    >>> [round(float(y), 1) for y in ax.lines[0].get_ydata()]
    [100.0, 33.3]
    """
    _check_trend(trend, ("cei",))
    ax = get_ax(ax)
    ax.plot(trend.index, trend["cei"].to_numpy(), color=COLORS["primary"], marker="o", label="CEI")
    ax.axhline(
        INDUSTRY_MEDIAN_CEI,
        color=COLORS["benchmark"],
        linestyle="--",
        linewidth=1,
        label=f"industry median ({INDUSTRY_MEDIAN_CEI:.0f})",
    )
    ax.set_ylim(top=max(100.0, float(trend["cei"].max(skipna=True) or 0.0)) + 2)
    ax.legend(frameon=False, fontsize=8)
    known = trend["cei"].dropna()
    if len(known):
        verdict = "above" if known.iloc[-1] >= INDUSTRY_MEDIAN_CEI else "below"
        title = (
            f"Collection effectiveness {known.iloc[-1]:.0f} on {known.index[-1]:%d %b %Y}, "
            f"{verdict} the industry median of {INDUSTRY_MEDIAN_CEI:.0f}"
        )
    else:
        title = "CEI is undefined: nothing was collectable in the periods shown"
    return finish(ax, title=title, xlabel="as of", ylabel="CEI (% of collectable collected)")
