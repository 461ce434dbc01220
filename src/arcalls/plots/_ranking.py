"""Charts of the call-priority backtest: dollars captured per week, and the gain curve."""

from __future__ import annotations

from ._style import COLORS, PALETTE, finish, get_ax, legend_below, money_axis, percent_axis

__all__ = ["plot_backtest", "plot_gain"]

# One colour and label per strategy, the same in both charts.
_STYLE = {
    "model": (COLORS["primary"], "Model (expected dollars)"),
    "analyst": (PALETTE[5], "Analyst's baseline (plain logistic regression)"),
    "largest_overdue": (COLORS["secondary"], "Largest overdue first"),
    "oldest": (COLORS["good"], "Oldest first"),
    "last_week": (PALETTE[4], "Last week's list"),
    "perfect": (COLORS["benchmark"], "Perfect foresight"),
}


def plot_backtest(result, *, ax=None):
    """Dollars paid within the horizon by each week's top-k accounts, per strategy.

    Parameters
    ----------
    result : BacktestResult
        From :func:`arcalls.backtest`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import arcalls
    >>> from arcalls.plots._ranking import plot_backtest
    >>> s = arcalls.load_sample()
    >>> r = arcalls.backtest(*s, start="2025-05-04", end="2025-05-18", train_weeks=4)
    >>> ax = plot_backtest(r)
    >>> len(ax.lines)
    6
    """
    ax = get_ax(ax)
    weekly = result.weekly
    for strategy, (color, label) in _STYLE.items():
        rows = weekly[weekly["strategy"] == strategy]
        if rows.empty:
            continue
        ax.plot(
            rows["as_of"].to_numpy(),
            rows["captured"].to_numpy(),
            color=color,
            label=label,
            linestyle="--" if strategy == "perfect" else "-",
            linewidth=2.2 if strategy == "model" else 1.4,
            marker="o" if strategy == "model" else None,
            markersize=3,
        )
    money_axis(ax.yaxis)
    legend_below(ax)
    summary = result.summary.set_index("strategy")
    best_rule = summary.drop(index=["model", "analyst", "perfect"], errors="ignore")["captured"]
    model = summary["captured"].get("model", float("nan"))
    if len(best_rule) and best_rule.max() > 0:
        lift = model / best_rule.max() - 1
        title = (
            f"The model's top {result.k} calls a week collect {lift:+.0%} vs the best rule "
            f"({summary['share'].get('model', float('nan')):.0%} of perfect foresight)"
        )
        analyst = summary["captured"].get("analyst", 0.0)
        if analyst > 0:
            title += f",\n{model / analyst - 1:+.0%} vs the analyst's baseline"
    else:
        title = f"Dollars collected by each week's top {result.k} calls"
    return finish(
        ax,
        title=title,
        xlabel="Week of the call list (as-of date)",
        ylabel=f"Dollars paid within {result.horizon_days} days",
    )


def plot_gain(result, *, ax=None):
    """Share of the perfect list's dollars captured against calls made per week.

    Parameters
    ----------
    result : BacktestResult
        From :func:`arcalls.backtest`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import arcalls
    >>> from arcalls.plots._ranking import plot_gain
    >>> s = arcalls.load_sample()
    >>> r = arcalls.backtest(*s, start="2025-05-04", end="2025-05-18", train_weeks=4)
    >>> ax = plot_gain(r)
    >>> ax.get_xlabel()
    'Calls per week (top-k accounts)'
    """
    ax = get_ax(ax)
    gain = result.gain
    for strategy, (color, label) in _STYLE.items():
        rows = gain[gain["strategy"] == strategy]
        if rows.empty or strategy == "perfect":
            continue
        ax.plot(
            rows["calls_per_week"].to_numpy(),
            rows["share"].to_numpy(),
            color=color,
            label=label,
            linewidth=2.2 if strategy == "model" else 1.4,
        )
    ax.axvline(result.k, color=COLORS["benchmark"], linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.02)
    percent_axis(ax.yaxis)
    ax.legend(frameon=False, fontsize=9)
    at_k = gain[(gain["strategy"] == "model") & (gain["calls_per_week"] == result.k)]["share"]
    title = (
        f"At {result.k} calls a week the model gets {at_k.iloc[0]:.0%} of what perfect "
        "foresight would"
        if len(at_k)
        else "Dollars captured as calls per week grow"
    )
    return finish(
        ax,
        title=title,
        xlabel="Calls per week (top-k accounts)",
        ylabel="Share of perfect-foresight dollars",
    )
