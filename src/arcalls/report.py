"""One self-contained HTML page (and the PNG charts) that answers the owner's questions.

:func:`build_report` composes the public analyses (aging, recovery, promises, the
call-priority model and the weekly call list), draws them with :mod:`arcalls.plots`,
and writes ``report.html`` with every image embedded, so that the page opens anywhere
without Jupyter or the PNG files beside it. It holds no analysis of its own beyond the
headline sentences and :func:`ranking_drivers`.
"""

from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import check_one_currency, format_amount
from ._progress import Stages
from ._text import MARKUP_CONTROL
from .errors import ArcallsError, InputError
from .schema import Tables

__all__ = ["build_report", "ranking_drivers", "DEFAULT_REPORT_TOP", "DEFAULT_BACKTEST_WEEKS"]

#: Accounts of the call list shown in the report's table.
DEFAULT_REPORT_TOP = 25
#: Test weeks of the backtest chart (the most recent ones whose outcome is known);
#: 0 leaves the backtest out. Twelve weeks keep the report to seconds on a small book.
DEFAULT_BACKTEST_WEEKS = 12
#: Months of history in the aging and DSO trend charts.
TREND_MONTHS = 12
#: Accounts named in the headline "call first" list.
HEADLINE_CALLS = 5
#: Overdue beyond this many days counts as "seriously late" in the headline.
LATE_DAYS = 60
#: File name of the page.
REPORT_FILE = "report.html"

# Columns of the call-list table on the page, with their headers.
_CALL_COLUMNS = {
    "rank": "#",
    "customer_name": "customer",
    "contact_name": "contact",
    "phone": "phone",
    "best_time_to_call": "best time",
    "overdue_balance": "overdue",
    "oldest_days_past_due": "oldest (days)",
    "p_pay": "chance to pay",
    "expected_dollars": "expected $",
    "reasons": "why",
    "action": "action",
    "action_reason": "why this action",
}


@dataclass(frozen=True)
class _Chart:
    file: str
    title: str
    section: str


#: The parts the report computes (its calls to ``attempt``): the length of its progress bar.
REPORT_PARTS = 10


def ranking_drivers(model, snapshot: pd.DataFrame) -> pd.DataFrame:
    """Average contribution of each reason group to the scores of some accounts.

    Parameters
    ----------
    model : CallPriorityModel
        A fitted model (:func:`arcalls.fit_call_priority_model`).
    snapshot : DataFrame
        Rows of :func:`arcalls.account_snapshots` for the accounts to explain (e.g.
        this week's call list).

    Returns
    -------
    DataFrame
        ``group`` and ``mean_contribution``: the mean of
        ``model.contributions(snapshot)`` per group (0 = like an average training
        account; +1 multiplies the expected dollars by about e), largest first.

    Raises
    ------
    InputError
        When ``snapshot`` is empty.

    Examples
    --------
    >>> import arcalls
    >>> from arcalls.report import ranking_drivers
    >>> s = arcalls.load_sample()
    >>> model = arcalls.fit_call_priority_model(*s, as_of="2025-06-01", weeks=4)
    >>> snap = arcalls.account_snapshots(*s, as_of_dates="2025-06-01", label=False)
    >>> drivers = ranking_drivers(model, snap)
    >>> list(drivers.columns), bool(drivers["mean_contribution"].is_monotonic_decreasing)
    (['group', 'mean_contribution'], True)
    """
    if not isinstance(snapshot, pd.DataFrame) or snapshot.empty:
        raise InputError(
            "ranking_drivers needs the snapshot rows of the accounts to explain; got an "
            "empty table. Build it with arcalls.account_snapshots(..., label=False)."
        )
    means = model.contributions(snapshot).mean()
    return (
        pd.DataFrame({"group": means.index.astype(str), "mean_contribution": means.to_numpy()})
        .sort_values("mean_contribution", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def _check_tables(tables) -> None:
    if not isinstance(tables, Tables) or tables.invoices is None:
        raise InputError(
            "build_report expects arcalls.Tables (e.g. arcalls.load_sample()) with "
            f"invoices; got {type(tables).__name__}."
        )


def _money(value: float, currency: str | None = None) -> str:
    return format_amount(value, currency, decimals=0)


def build_report(
    tables: Tables,
    *,
    as_of,
    out_dir: str | os.PathLike,
    top: int = DEFAULT_REPORT_TOP,
    backtest_weeks: int = DEFAULT_BACKTEST_WEEKS,
) -> Path:
    """Write the key charts as PNG and one self-contained ``report.html``.

    The page has a headline block (open and overdue dollars, DSO, CEI and ADD against
    the industry medians, the recommended agency handoff age, the broken-promise rate
    and the five accounts to call first), the charts with their finding as the title,
    and the top of this week's call list. Promise charts need ``tables.calls``; the
    backtest chart is left out (with a note) when the history is too short.

    Parameters
    ----------
    tables : Tables
        Canonical tables (:func:`arcalls.load_sample` or the loaders).
    as_of : date-like
        The day the report is for; only what was known then is used.
    out_dir : path-like
        Folder for ``report.html`` and the PNGs; created if missing.
    top : int, default :data:`DEFAULT_REPORT_TOP`
        Accounts of the call list shown.
    backtest_weeks : int, default :data:`DEFAULT_BACKTEST_WEEKS`
        Test weeks of the backtest chart; 0 leaves it out.

    Returns
    -------
    Path
        The path of ``report.html``.

    Raises
    ------
    InputError
        For tables that are not :class:`arcalls.Tables` or a bad ``top``.
    OutputError
        When the folder cannot be written.

    Examples
    --------
    >>> import tempfile, arcalls
    >>> from arcalls.report import build_report
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = build_report(arcalls.load_sample(), as_of="2026-10-31", out_dir=folder,
    ...                         backtest_weeks=0)
    ...     page.name, "data:image/png;base64," in page.read_text(encoding="utf-8")
    ('report.html', True)
    """
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    from . import calllist, features, promises, ranking, recovery
    from . import plots as charts
    from ._export import atomic_path, save_figure
    from .aging import aging, ar_metrics, ar_trend
    from .book import book_of
    from .plots import _ranking as ranking_charts
    from .plots import _report as report_charts

    _check_tables(tables)
    currency = check_one_currency(tables.invoices)
    if isinstance(top, bool) or not isinstance(top, int) or top <= 0:
        raise InputError(f"top must be a positive whole number, got {top!r}.")
    if (
        isinstance(backtest_weeks, bool)
        or not isinstance(backtest_weeks, int)
        or backtest_weeks < 0
    ):
        raise InputError(f"backtest_weeks must be a whole number >= 0, got {backtest_weeks!r}.")
    as_of = pd.Timestamp(as_of).normalize()
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    inv, pay, calls, customers = tables
    if calls is not None:
        # A call log exported later than the as-of date must not leak into the report.
        calls = calls[calls["called_at"].dt.normalize() <= as_of]
    # One coded book for the report's analyses, of the calls known on as_of.
    book = book_of(inv, pay, calls, customers)

    charts_done: list[_Chart] = []
    notes: list[str] = []
    # Parts that could not be computed, each with why: the page is produced anyway and
    # says so at the top (a short history, no open invoice on the training dates ...).
    missing: list[str] = []

    def draw(file: str, section: str, plot, data, **options) -> None:
        ax = plot(data, **options)
        save_figure(ax.figure, folder / file)
        # Titles escape "$" for matplotlib; the page shows the plain text.
        title = ax.get_title(loc="left").replace("\\$", "$")
        charts_done.append(_Chart(file, title, section))
        plt.close(ax.figure)

    # A bar over the parts on a terminal (silent elsewhere): the backtest is the long one.
    stages = Stages(REPORT_PARTS, desc="report")

    def attempt(part: str, compute):
        """``compute()``, or None with ``part`` and the reason noted as not computed."""
        stages.next(part[0].lower() + part[1:])
        try:
            return compute()
        except ArcallsError as exc:
            missing.append(f"{part}: {exc}")
            return None

    # How bad is it?
    section = "How much is overdue"
    metrics = attempt(
        "The aging and DSO figures", lambda: ar_metrics(inv, pay, as_of=as_of, book=book)
    )
    metrics = None if metrics is None else metrics.iloc[0]
    by_customer = attempt("The aging by customer", lambda: aging(inv, pay, as_of=as_of, book=book))
    start = as_of - pd.DateOffset(months=TREND_MONTHS)
    trend = attempt("The aging trend", lambda: ar_trend(inv, pay, start=start, end=as_of))
    if trend is not None:
        draw("aging_buckets.png", section, charts.plot_aging_buckets, trend, currency=currency)
    if by_customer is not None:
        draw("top_overdue.png", section, charts.plot_top_overdue, by_customer, currency=currency)
    if trend is not None:
        draw("dso_trend.png", section, charts.plot_ar_metrics_trend, trend)
        draw("cei_trend.png", section, charts.plot_cei_trend, trend)

    # How fast does money stop coming back, and when to hand off?
    section = "Recovery and handoff"
    curve = attempt(
        "The recovery curve", lambda: recovery.recovery_curve(inv, pay, as_of=as_of, book=book)
    )
    analysis = to_hand_off = None
    if curve is not None:
        draw("recovery_curve.png", section, charts.plot_recovery_curve, curve)
        analysis = attempt(
            "The agency handoff",
            lambda: recovery.recommend_handoff(inv, pay, customers, as_of=as_of, book=book),
        )
    if analysis is not None:
        to_hand_off = attempt(
            "The accounts to hand off",
            lambda: recovery.accounts_to_hand_off(
                inv, pay, customers, as_of=as_of, analysis=analysis, book=book
            ),
        )
        draw("handoff.png", section, charts.plot_handoff, analysis)

    # Do promises hold?
    total_rate = outcomes = None
    if calls is not None and len(calls):
        outcomes = attempt(
            "The promise outcomes",
            lambda: promises.promise_outcomes(calls, pay, inv, as_of=as_of, book=book),
        )
    else:
        notes.append("No call log was given: the promise charts are left out.")
    if outcomes is not None:
        total_rate = promises.broken_promise_rate(outcomes).iloc[0]
        section = "Promises to pay"
        by_month = promises.broken_promise_rate(outcomes, by="month")
        draw("broken_by_month.png", section, charts.plot_broken_promise_rate_by_month, by_month)
        if outcomes["collector"].notna().any():
            by_collector = promises.broken_promise_rate(outcomes, by="collector")
            draw(
                "broken_by_collector.png",
                section,
                charts.plot_broken_promise_rate_by_collector,
                by_collector,
            )
        by_age = promises.broken_promise_rate(outcomes, by="age_bucket")
        draw("broken_by_age.png", section, report_charts.plot_broken_promise_rate_by_age, by_age)
        funnel = promises.outcome_funnel(calls, outcomes)
        draw("outcome_funnel.png", section, charts.plot_outcome_funnel, funnel)
        times = attempt("The best time to call", lambda: promises.best_call_times(calls, customers))
        if times is not None:
            draw("best_time_to_call.png", section, charts.plot_contact_heatmap, times)

    # Whom to call first? The model is trained as arcalls call-list trains it, and when
    # the history cannot train one the list falls back the same way (largest overdue).
    section = "Whom to call first"
    model, now, ranking_note = calllist._model_and_snapshot(
        inv, pay, calls, customers, as_of=as_of, model=None, book=book
    )
    if model is None:
        why = ranking_note or "there are no invoices to learn from."
        missing.append(f"The call-priority model: {why}")
    week = calllist.call_list(
        inv,
        pay,
        calls,
        customers,
        as_of=as_of,
        # None: the list tries the same training, and falls back with the same note.
        model=model,
        promises=outcomes,
        handoff=analysis,
        book=book,
    )
    draw("call_list.png", section, report_charts.plot_call_list, week)
    listed = week.calls.head(top)
    if len(listed) and model is not None and now is not None:
        # This week's snapshot came with the training pass: the one the list ranked.
        snapshot = now[now["customer_id"].isin(listed["customer_id"])]
        if len(snapshot):
            drivers = ranking_drivers(model, snapshot)
            draw("ranking_drivers.png", section, report_charts.plot_ranking_drivers, drivers)
    if backtest_weeks and model is None:
        missing.append("The backtest: the history cannot train the call-priority model.")
    elif backtest_weeks:
        horizon = features.DEFAULT_HORIZON_DAYS
        # Only weeks whose 30-day outcome is already known on the as-of date can be scored.
        end = as_of - pd.Timedelta(days=horizon)
        bt_start = end - pd.Timedelta(weeks=backtest_weeks - 1)
        result = attempt(
            "The backtest",
            lambda: ranking.backtest(inv, pay, calls, customers, start=bt_start, end=end),
        )
        if result is not None:
            draw("backtest.png", section, ranking_charts.plot_backtest, result)
            draw("calibration.png", section, report_charts.plot_calibration, result.reliability)

    headlines = _headlines(metrics, analysis, to_hand_off, total_rate, week, as_of, currency)
    page = _render(
        as_of=as_of,
        headlines=headlines,
        charts_done=charts_done,
        folder=folder,
        listed=listed,
        week=week,
        notes=notes,
        missing=missing,
        currency=currency,
    )
    stages.close()
    target = folder / REPORT_FILE
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target


def _headlines(metrics, analysis, to_hand_off, total_rate, week, as_of, currency) -> list[str]:
    """The headline sentences, as plain text (escaped when rendered)."""
    from .aging import INDUSTRY_ADD_RANGE, INDUSTRY_MEDIAN_CEI, INDUSTRY_MEDIAN_DSO

    def money(value: float) -> str:
        return _money(value, currency)

    lines = []
    if metrics is not None:
        total, overdue = float(metrics["ar_total"]), float(metrics["ar_overdue"])
        share = overdue / total if total > 0 else 0.0
        late_cols = [c for c in ("61-90", "91-120", "120+") if c in metrics.index]
        late = float(metrics[late_cols].sum()) if late_cols else np.nan
        lines.append(
            f"Open receivables on {as_of:%d %b %Y}: {money(total)}, of which {money(overdue)} "
            f"({share:.0%}) is past due (disputed included)"
            + (
                f" and {money(late)} ({late / total:.0%}) more than {LATE_DAYS} days past due."
                if total > 0 and np.isfinite(late)
                else "."
            )
        )

        def fmt(value, unit=""):
            return "n/a" if pd.isna(value) else f"{value:.0f}{unit}"

        lines.append(
            f"DSO {fmt(metrics['dso'], ' days')} (industry median {INDUSTRY_MEDIAN_DSO:.0f}); "
            f"CEI {fmt(metrics['cei'])} (median {INDUSTRY_MEDIAN_CEI:.0f}); "
            f"ADD {fmt(metrics['add'], ' days')} (typical {INDUSTRY_ADD_RANGE[0]:.0f}-"
            f"{INDUSTRY_ADD_RANGE[1]:.0f})."
        )
    if analysis is not None:
        placed = to_hand_off if to_hand_off is not None else pd.DataFrame({"expected_gain": []})
        gain = float(placed["expected_gain"].sum()) if len(placed) else 0.0
        placed_now = (
            f"{len(placed)} {'account gains' if len(placed) == 1 else 'accounts gain'} from "
            "being placed now, each by its own figure "
            f"({money(gain)} in all)"
        )
        if analysis.handoff_age is not None:
            lines.append(
                f"Hand accounts to a collection agency from {analysis.handoff_age} days past "
                f"due: {placed_now}."
            )
        else:
            lines.append(f"No clear handoff age: {analysis.range_text}; {placed_now}.")
    if total_rate is not None and total_rate["resolved"] > 0:
        lines.append(
            f"Broken-promise rate {total_rate['broken_rate']:.0%} (95% interval "
            f"{total_rate['ci_low']:.0%}-{total_rate['ci_high']:.0%}) over "
            f"{int(total_rate['resolved'])} resolved promises."
        )
    # Only accounts whose action is a call: a top account to hand off or whose number
    # must be found first is not one to call first.
    from .calllist import ACTION_CALL, ACTION_CALL_BEFORE_HANDOFF

    call_actions = [ACTION_CALL, ACTION_CALL_BEFORE_HANDOFF]
    is_call = week.calls["action"].isin(call_actions).to_numpy(dtype=bool, na_value=False)
    first = week.calls[is_call].head(HEADLINE_CALLS)
    if len(first):
        names = _customer_labels(first)
        people = ", ".join(
            f"{n} ({money(d)})" if pd.notna(d) else f"{n} ({money(o)} overdue)"
            for n, d, o in zip(
                names, first["expected_dollars"], first["overdue_balance"], strict=True
            )
        )
        label = "expected dollars" if first["expected_dollars"].notna().all() else "ranked"
        lines.append(f"Call first ({label}): {people}.")
    else:
        lines.append("Nobody can be called this week.")
    return lines


def _customer_labels(calls: pd.DataFrame) -> pd.Series:
    """Each account's name, or its customer id where the files give no name."""
    ids = calls["customer_id"].astype("string")
    if "customer_name" not in calls:
        return ids
    return calls["customer_name"].astype("string").fillna(ids)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:2em;border-bottom:1px solid #ddd}
.headline{background:#f4f8fb;border-left:4px solid #0072B2;padding:.6em 1.2em}
.headline li{margin:.3em 0}
figure{margin:1.5em 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#555}
table{border-collapse:collapse;font-size:.85em;width:100%}
th,td{border-bottom:1px solid #e3e3e3;padding:.35em .5em;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap} th{background:#f4f4f4}
.note{color:#8a4b00}
"""


def _call_table(listed: pd.DataFrame, currency: str | None) -> str:
    columns = [c for c in _CALL_COLUMNS if c in listed.columns]
    shown = listed[columns].copy()
    if "customer_name" in shown:
        shown["customer_name"] = _customer_labels(listed)
    for c in ("overdue_balance", "expected_dollars"):
        if c in shown:
            shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else format_amount(v, currency))
    if "p_pay" in shown:
        shown["p_pay"] = shown["p_pay"].map(lambda p: "" if pd.isna(p) else f"{p:.0%}")
    # A missing text cell is blank, never pandas' "<NA>".
    text = [c for c in shown.columns if c not in ("rank", "oldest_days_past_due")]
    shown[text] = shown[text].astype("string").fillna("").replace(MARKUP_CONTROL, "", regex=True)
    # to_html escapes every cell: names and reasons come from the user's files.
    return shown.rename(columns=_CALL_COLUMNS).to_html(
        index=False, escape=True, border=0, na_rep="", classes="calls"
    )


def _render(
    *, as_of, headlines, charts_done, folder, listed, week, notes, missing, currency
) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Receivables report, {as_of:%d %b %Y}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Receivables report as of {as_of:%d %B %Y}</h1>",
        '<div class="headline"><ul>',
        *(f"<li>{html.escape(line)}</li>" for line in headlines),
        "</ul></div>",
    ]
    if missing:
        parts.append('<div class="missing"><p class="note">Not computed, and why:</p><ul>')
        parts += [f'<li class="note">{html.escape(m)}</li>' for m in missing]
        parts.append("</ul></div>")
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    section = None
    for chart in charts_done:
        if chart.section != section:
            section = chart.section
            parts.append(f"<h2>{html.escape(section)}</h2>")
        data = base64.b64encode((folder / chart.file).read_bytes()).decode("ascii")
        title = html.escape(chart.title)
        parts.append(
            f'<figure id="{html.escape(Path(chart.file).stem)}">'
            f'<img src="data:image/png;base64,{data}" alt="{title}">'
            f"<figcaption>{title} ({html.escape(chart.file)})</figcaption></figure>"
        )
    parts.append("<h2>This week's call list</h2>")
    parts.append(f"<p>{html.escape(week.describe())}</p>")
    if len(listed):
        if "customer_name" not in listed or listed["customer_name"].isna().all():
            parts.append(
                '<p class="note">The files have no customer names: customers are shown by '
                "their id.</p>"
            )
        parts.append(_call_table(listed, currency))
    reasons = week.excluded_by_reason
    if len(reasons):
        parts.append("<h3>Not to call, and why</h3>")
        parts.append(_plain_table(reasons.rename("accounts").reset_index()))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _plain_table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0)
