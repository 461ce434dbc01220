"""Charts of the recovery curve and the agency handoff (numbers from arcalls.recovery)."""

from __future__ import annotations

import numpy as np

from ._style import COLORS, finish, get_ax, legend_below, money_axis, percent_axis

__all__ = [
    "plot_handoff",
    "plot_handoff_sensitivity",
    "plot_recovery_curve",
    "plot_share_unpaid",
]


#: The recovery chart's right axis: the history's dollars behind each point.
RIGHT_AXIS_LABEL = "history's dollars still unpaid (all invoices)"


def _single(curve):
    if curve.attrs.get("by"):
        from ..errors import InputError

        raise InputError(
            "This chart draws one curve; select a segment first, e.g. "
            f"curve[curve[{curve.attrs['by'][0]!r}] == value]."
        )
    return curve


def plot_recovery_curve(curve, *, ax=None, benchmark: bool = True):
    """Recovery rate by days past due with its band, and dollars at risk.

    Parameters
    ----------
    curve : DataFrame
        From :func:`arcalls.recovery_curve` (a single curve).
    ax : Axes, optional
        Where to draw; a new figure when omitted.
    benchmark : bool, default True
        Overlay the industry collectability by age
        (:data:`arcalls.BENCHMARK_COLLECTABILITY`).

    Returns
    -------
    Axes
        The recovery-rate axes (dollars at risk are on its twin, ``ax.right_ax``).

    Examples
    --------
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"days_past_due": [0, 30, 60], "recovery_rate": [0.9, 0.6, 0.4],
    ...     "ci_low": [0.85, 0.5, 0.3], "ci_high": [0.95, 0.7, 0.5],
    ...     "dollars_at_risk": [1000.0, 400.0, 200.0]})
    >>> ax = plot_recovery_curve(curve)
    >>> ax.get_lines()[0].get_ydata().tolist()
    [0.9, 0.6, 0.4]
    """
    from ..recovery import benchmark_collectability

    curve = _single(curve)
    ax = get_ax(ax)
    days = curve["days_past_due"].to_numpy()
    rate = curve["recovery_rate"].to_numpy(dtype=float)
    horizon = curve.attrs.get("horizon_days")
    label = f"your recovery within {horizon} days" if horizon else "your recovery rate"
    ax.plot(days, rate, color=COLORS["primary"], lw=2, label=label)
    ax.fill_between(
        days,
        curve["ci_low"].to_numpy(dtype=float),
        curve["ci_high"].to_numpy(dtype=float),
        color=COLORS["band"],
        alpha=0.3,
        lw=0,
        label=f"{curve.attrs.get('ci', 0.95):.0%} band",
    )
    if benchmark:
        ax.plot(
            days,
            benchmark_collectability(days),
            color=COLORS["benchmark"],
            ls="--",
            label="industry collectability (agency surveys)",
        )
    ax.set_ylim(0, 1.02)
    percent_axis(ax.yaxis)
    right = ax.twinx()
    right.fill_between(
        days,
        curve["dollars_at_risk"].to_numpy(dtype=float),
        color=COLORS["secondary"],
        alpha=0.15,
        lw=0,
        step="post",
    )
    # The dollars behind each point: every invoice of the history still unpaid at that
    # age, not the open book (the history holds far more dollars than today's A/R).
    right.set_ylabel(RIGHT_AXIS_LABEL)
    money_axis(right.yaxis)
    at_risk = curve["dollars_at_risk"].to_numpy(dtype=float)
    peak = float(np.nanmax(at_risk)) if np.isfinite(at_risk).any() else 0.0
    # The axis ends just above the dollars drawn, never at a figure the chart does not reach.
    right.set_ylim(0, peak * 1.05 if peak > 0 else 1.0)
    right.spines[["top"]].set_visible(False)
    ax.set_zorder(right.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.right_ax = right
    defined = np.isfinite(rate)
    if defined.any():
        known = days[defined]
        # 180 days is the age owners ask about; shorter histories use their last day.
        until = 180 if 180 in known else int(known[-1])
        first, last = rate[defined][0], rate[days == until][0]
        # The figures as printed decide the verb: never "falls from 100 % to 100 %".
        a, b = round(first * 100), round(last * 100)
        if a == b:
            title = f"Recovery stays at {first:.0%} from {known[0]} to {until} days past due"
        else:
            verb = "falls" if b < a else "rises"
            title = (
                f"Recovery {verb} from {first:.0%} at {known[0]} days past due "
                f"to {last:.0%} at {until}"
            )
    else:
        title = "Too little history for a recovery rate over this horizon"
    # Under the plot: the curve's path depends on the book (flat at 100 % when all paid).
    legend_below(ax)
    return finish(
        ax, title=title, xlabel="days past due", ylabel="share of unpaid dollars recovered"
    )


def plot_share_unpaid(curve, *, ax=None):
    """Share of invoiced dollars still unpaid, by days past due (Kaplan-Meier).

    Examples
    --------
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"days_past_due": [0, 30], "share_unpaid": [0.5, 0.1]})
    >>> plot_share_unpaid(curve).get_lines()[0].get_ydata().tolist()
    [0.5, 0.1]
    """
    curve = _single(curve)
    ax = get_ax(ax)
    days = curve["days_past_due"].to_numpy()
    share = curve["share_unpaid"].to_numpy(dtype=float)
    ax.step(days, share, where="post", color=COLORS["primary"], lw=2)
    ax.set_ylim(0, 1.02)
    percent_axis(ax.yaxis)
    defined = np.isfinite(share)
    if defined.any():
        at = days[defined]
        pick = min(at[-1], 30)
        value = share[days == pick][0]
        title = f"{value:.0%} of invoiced dollars are still unpaid {pick} days past due"
    else:
        title = "No invoice is due yet"
    return finish(ax, title=title, xlabel="days past due", ylabel="share of dollars unpaid")


def plot_handoff(analysis, *, ax=None):
    """Expected net per dollar owed, in-house against an agency, and the crossing.

    Examples
    --------
    >>> import pandas as pd
    >>> from arcalls.recovery import handoff_analysis
    >>> curve = pd.DataFrame({"days_past_due": [0, 30, 60],
    ...                       "recovery_rate": [0.95, 0.60, 0.10]})
    >>> ax = plot_handoff(handoff_analysis(curve, horizon_days=365, calls_per_month=1))
    >>> ax.get_title(loc="left")
    'Hand accounts to an agency from 60 days past due'
    """
    table = analysis.table
    ax = get_ax(ax)
    days = table["days_past_due"].to_numpy()
    ax.plot(
        days,
        table["inhouse_net"],
        color=COLORS["primary"],
        lw=2,
        label="keep in-house (your recovery - call costs)",
    )
    ax.plot(
        days,
        table["agency_net"],
        color=COLORS["secondary"],
        lw=2,
        label="place with an agency (your recovery x agency factor x (1 - fee))",
    )
    age = analysis.handoff_age
    if age is not None:
        y = float(table.loc[table["days_past_due"] == age, "agency_net"].iloc[0])
        ax.axvline(age, color=COLORS["bad"], ls=":", lw=1.5)
        ax.plot([age], [y], "o", color=COLORS["bad"])
        ax.annotate(
            f"hand off at {age} days",
            (age, y),
            xytext=(8, 8),
            textcoords="offset points",
            color=COLORS["bad"],
        )
        title = f"Hand accounts to an agency from {age} days past due"
    elif analysis.has_band and analysis.age_range is not None:
        lo, hi = analysis.age_range
        title = (
            f"No clear handoff age: placing starts to win between {lo} and {hi} days "
            "in the resamples"
        )
    elif analysis.has_band:
        title = "No clear handoff age: keeping wins in every resample"
    else:
        title = "Keeping accounts in-house wins at every age your history covers"
    percent_axis(ax.yaxis)
    legend_below(ax)
    return finish(ax, title=title, xlabel="days past due", ylabel="expected net per dollar owed")


def plot_handoff_sensitivity(grid, *, ax=None):
    r"""How robust the handoff age is: the recommended age per fee and cost per call
    (or agency factor), one annotated cell each.

    Each cell shows the recommended age (band cleared), or "none" where there is no
    clear age, with the point crossing under it in brackets; the colour is the point
    crossing (grey: placing never wins). Only the numbers of
    :func:`arcalls.handoff_sensitivity` are drawn.

    Parameters
    ----------
    grid : DataFrame
        From :func:`arcalls.handoff_sensitivity`.
    ax : Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    Axes
        The texts of the cells are ``ax.texts``, row by row (fee), left to right.

    Examples
    --------
    >>> import pandas as pd
    >>> grid = pd.DataFrame({"fee": [0.2, 0.2], "cost_per_call": [0.0, 5.0],
    ...     "handoff_age": pd.array([None, 300], dtype="Int64"),
    ...     "point_age": pd.array([None, 250], dtype="Int64")})
    >>> grid.attrs["axis"] = "cost_per_call"
    >>> ax = plot_handoff_sensitivity(grid)
    >>> [t.get_text().split() for t in ax.texts]
    [['none', '(never)'], ['300', '(250)']]
    >>> import matplotlib.pyplot as plt
    >>> plt.close(ax.figure)
    """
    axis = grid.attrs.get("axis", "cost_per_call")
    fees = np.sort(grid["fee"].unique())
    values = np.sort(grid[axis].unique())
    rows = np.searchsorted(fees, grid["fee"].to_numpy())
    cols = np.searchsorted(values, grid[axis].to_numpy())
    point = grid["point_age"].astype("float64").to_numpy()
    clear = grid["handoff_age"].astype("float64").to_numpy()
    ages = np.full((len(fees), len(values)), np.nan)
    ages[rows, cols] = point
    labels = (
        np.where(np.isnan(clear), "none", np.char.mod("%d", np.nan_to_num(clear)))
        + "\n("
        + np.where(np.isnan(point), "never", np.char.mod("%d", np.nan_to_num(point)))
        + ")"
    )
    ax = get_ax(ax)
    for i, j, text in zip(rows, cols, labels, strict=True):  # one text per cell
        ax.text(j, i, text, ha="center", va="center", fontsize=8)
    masked = np.ma.masked_invalid(ages)
    cmap = _cmap()
    image = ax.imshow(masked, cmap=cmap, aspect="auto", origin="lower")
    ax.set_xticks(range(len(values)))
    if axis == "cost_per_call":
        ax.set_xticklabels([f"${v:,.2f}" for v in values])
        xlabel = "cost of one call"
    else:
        ax.set_xticklabels([f"{v:.2f}" for v in values])
        xlabel = "agency factor (agency recovery / yours)"
    ax.set_yticks(range(len(fees)))
    ax.set_yticklabels([f"{f:.0%}" for f in fees])
    ax.figure.colorbar(image, ax=ax, label="point crossing (days past due)")
    clear_cells = int(grid["handoff_age"].notna().sum())
    title = (
        f"Recommended handoff age (band cleared) in {clear_cells} of {len(grid)} cells; "
        "point crossing in brackets"
    )
    return finish(ax, title=title, xlabel=xlabel, ylabel="agency fee")


def _cmap():
    import matplotlib

    return matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")
