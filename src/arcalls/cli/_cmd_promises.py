"""``arcalls promises``: promise outcomes, broken-promise rates and call statistics."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError
from ._common import (
    add_input_arguments,
    books_line,
    check_outputs_of,
    load_tables,
    output_dir,
    resolve_as_of,
)

NAME = "promises"
HELP = (
    "judge every promise to pay (kept, partial, broken, pending, rescheduled, nothing owed), "
    "broken-promise rates, "
    "contact rates and the best time to call; writes CSV tables and PNG charts"
)

#: Where the tables and charts go without --out (ignored by git in a clone).
DEFAULT_OUT = "report/promises"
#: broken_promise_rate(..., by=...) tables written, by file name suffix.
_RATE_TABLES = {
    "month": "month",
    "collector": "collector",
    "customer": "customer_id",
    "age_bucket": "age_bucket",
    "size_band": "size_band",
}

#: Every file the command may write into the --out folder.
OUTPUT_FILES = (
    "promise_outcomes.csv",
    *(f"broken_promise_rate_by_{suffix}.csv" for suffix in _RATE_TABLES),
    "contact_rates_by_month.csv",
    "contact_rates_by_collector.csv",
    "outcome_funnel.csv",
    "contact_by_weekday_hour.csv",
    "best_call_times.csv",
    "best_call_windows.csv",
    "outcome_funnel.png",
    "contact_heatmap.png",
    "broken_promise_rate_by_month.png",
    "broken_promise_rate_by_collector.png",
    # Written only when the call log holds payment plans.
    "plan_instalments.csv",
    "plan_status.csv",
    *(f"instalment_rate_by_{suffix}.csv" for suffix in ("month", "collector", "customer")),
)


def register(parser: argparse.ArgumentParser) -> None:
    from .._calls import DEFAULT_BUSINESS_TZ
    from ..promises import DEFAULT_GRACE_DAYS

    add_input_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"folder for the CSV tables and PNG charts (default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--grace-days",
        type=int,
        default=DEFAULT_GRACE_DAYS,
        metavar="N",
        help=f"days after the promise date a payment still counts (default {DEFAULT_GRACE_DAYS})",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        metavar="DOLLARS",
        help="shortfall still counted as kept (default 0)",
    )
    parser.add_argument(
        "--renegotiated",
        choices=("rescheduled", "strict"),
        default="rescheduled",
        help="a promise renegotiated before its deadline: 'rescheduled' (its own status, "
        "left out of the rate; default) or 'strict' (judged on what had arrived by the "
        "new call)",
    )
    parser.add_argument(
        "--business-tz",
        default=DEFAULT_BUSINESS_TZ,
        metavar="ZONE",
        help=f"time zone of the call log's clock (default {DEFAULT_BUSINESS_TZ})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .._checks import check_one_currency, format_amount
    from .._export import save_figure, write_csv
    from ..book import book_of
    from ..plots import _promises as charts
    from ..promises import (
        best_call_times,
        broken_promise_rate,
        contact_rates,
        outcome_funnel,
        promise_outcomes,
    )

    check_outputs_of(args, [Path(args.out or DEFAULT_OUT) / name for name in OUTPUT_FILES])
    tables = load_tables(args)
    if tables.calls is None:
        raise InputError(
            "arcalls promises needs a call log: pass --calls FILE or a file named calls.csv "
            "beside the invoices."
        )
    as_of = resolve_as_of(args, tables)
    folder = output_dir(args.out, DEFAULT_OUT)
    calls = tables.calls[tables.calls["called_at"].dt.normalize() <= as_of]
    # One coded book for the run, of the calls known on as_of.
    book = book_of(tables.invoices, tables.payments, calls, tables.customers)

    outcomes = promise_outcomes(
        calls,
        tables.payments,
        tables.invoices,
        as_of=as_of,
        grace_days=args.grace_days,
        tolerance=args.tolerance,
        renegotiated=args.renegotiated,
        book=book,
    )
    written = [write_csv(outcomes, folder / "promise_outcomes.csv")]
    rates = {}
    for suffix, column in _RATE_TABLES.items():
        if outcomes[column].notna().any():
            rates[suffix] = broken_promise_rate(outcomes, by=column)
            path = folder / f"broken_promise_rate_by_{suffix}.csv"
            written.append(write_csv(rates[suffix], path))
    total = broken_promise_rate(outcomes).iloc[0]
    count = {
        k: int(total[k])
        for k in ("promises", "kept", "partial", "broken", "pending", "rescheduled", "nothing_owed")
    }
    for column in ("month", "collector"):
        if column in calls or column == "month":
            path = folder / f"contact_rates_by_{column}.csv"
            written.append(write_csv(contact_rates(calls, by=column), path))
    funnel = outcome_funnel(calls, outcomes)
    written.append(write_csv(funnel, folder / "outcome_funnel.csv"))
    times = best_call_times(calls, tables.customers, business_tz=args.business_tz)
    written.append(write_csv(times.grid, folder / "contact_by_weekday_hour.csv"))
    written.append(write_csv(times.by_customer, folder / "best_call_times.csv"))
    written.append(write_csv(times.book, folder / "best_call_windows.csv"))

    charts_to_draw = [
        ("outcome_funnel.png", charts.plot_outcome_funnel, funnel),
        ("contact_heatmap.png", charts.plot_contact_heatmap, times),
    ]
    if "month" in rates:
        charts_to_draw.append(
            (
                "broken_promise_rate_by_month.png",
                charts.plot_broken_promise_rate_by_month,
                rates["month"],
            )
        )
    if "collector" in rates:
        charts_to_draw.append(
            (
                "broken_promise_rate_by_collector.png",
                charts.plot_broken_promise_rate_by_collector,
                rates["collector"],
            )
        )
    import matplotlib.pyplot as plt

    for name, draw, data in charts_to_draw:
        ax = draw(data)
        written.append(save_figure(ax.figure, folder / name))
        plt.close(ax.figure)

    out = sys.stdout
    currency = check_one_currency(tables.invoices)
    plan_files, plan_line = _plan_tables(args, calls, tables, as_of, folder, currency)
    written.extend(plan_files)
    rate = (
        "n/a (nothing resolved yet)"
        if total["resolved"] == 0
        else f"{total['broken_rate']:.1%} "
        f"(95% interval {total['ci_low']:.1%}-{total['ci_high']:.1%})"
    )
    out.write(
        f"Promises to pay as of {as_of:%Y-%m-%d}: {count['promises']} promises, "
        f"{count['kept']} kept, {count['partial']} partly kept, {count['broken']} broken, "
        f"{count['pending']} pending, {count['rescheduled']} rescheduled, "
        f"{count['nothing_owed']} made when nothing was owed.\n"
        f"Broken-promise rate {rate}; {format_amount(total['received'], currency)} received of "
        f"{format_amount(total['promised'], currency)} promised.\n"
        + plan_line
        + books_line(tables, as_of, book=book)
        + f"Wrote {len(written)} files to {folder}:\n"
    )
    for path in written:
        out.write(f"  {path.name}\n")
    return 0


def _plan_tables(args, calls, tables, as_of, folder, currency) -> tuple[list[Path], str]:
    """The plans' instalments, statuses and instalment rates (files and one summary line);
    nothing when the call log holds no plan."""
    from .._checks import format_amount
    from .._export import write_csv
    from ..plans import instalment_rates, plan_instalments, plan_status

    if not (calls["outcome"] == "plan").any():
        return [], ""
    inst = plan_instalments(
        calls,
        tables.payments,
        tables.invoices,
        as_of=as_of,
        grace_days=args.grace_days,
        tolerance=args.tolerance,
    )
    status = plan_status(calls, tables.payments, tables.invoices, as_of=as_of, instalments=inst)
    written = [
        write_csv(inst.drop(columns=["_paid_to_date"]), folder / "plan_instalments.csv"),
        write_csv(status, folder / "plan_status.csv"),
    ]
    for suffix, column in (
        ("month", "month"),
        ("collector", "collector"),
        ("customer", "customer_id"),
    ):
        if inst[column].notna().any():
            path = folder / f"instalment_rate_by_{suffix}.csv"
            written.append(write_csv(instalment_rates(inst, by=column), path))
    total = instalment_rates(inst).iloc[0]
    n = status["status"].value_counts()
    rate = (
        "n/a (nothing resolved yet)"
        if total["resolved"] == 0
        else f"{total['broken_rate']:.1%} "
        f"(95% interval {total['ci_low']:.1%}-{total['ci_high']:.1%})"
    )
    line = (
        f"Payment plans: {len(status)} plans, {n.get('on_track', 0)} on track, "
        f"{n.get('missed_instalment', 0)} with a missed instalment, "
        f"{n.get('defaulted', 0)} defaulted, {n.get('completed', 0)} completed, "
        f"{n.get('superseded', 0)} superseded; {int(total['instalments'])} instalments, "
        f"{int(total['kept'])} kept, {int(total['partial'])} partly kept, "
        f"{int(total['broken'])} broken, {int(total['pending'])} pending. "
        f"Broken-instalment rate {rate}; {format_amount(total['received'], currency)} "
        f"received of {format_amount(total['due'], currency)} due.\n"
    )
    return written, line
