"""``arcalls recovery``: the recovery curve, the cohort table and the agency handoff."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._common import (
    add_input_arguments,
    books_line,
    check_outputs_of,
    load_tables,
    output_dir,
    resolve_as_of,
)
from ._terminal import plural

NAME = "recovery"
#: Where the tables and charts go without --out: every command writing a folder of
#: outputs writes it under report/ (report/, report/promises, report/recovery, ...).
DEFAULT_OUT = "report/recovery"
#: The files written into the --out folder.
OUTPUT_FILES = (
    "recovery_curve.csv",
    "recovery_cohorts.csv",
    "handoff.csv",
    "handoff_sensitivity.csv",
    "accounts_to_hand_off.csv",
    "recovery_curve.png",
    "share_unpaid.png",
    "handoff.png",
    "handoff_sensitivity.png",
)
HELP = (
    "write the recovery curve (CSV), the cohort table, the agency handoff, its sensitivity "
    "and their charts (PNG)"
)


def register(parser: argparse.ArgumentParser) -> None:
    from ..recovery import DEFAULT_HORIZON_DAYS

    add_input_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"folder for the tables and charts (default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--horizon-days",
        type=int,
        default=DEFAULT_HORIZON_DAYS,
        metavar="DAYS",
        help=f"recovery counted within this many days (default {DEFAULT_HORIZON_DAYS})",
    )
    parser.add_argument(
        "--max-days", type=int, metavar="DAYS", help="last day past due of the curve"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    from .._checks import check_one_currency, format_amount
    from .._export import save_figure, write_csv
    from ..book import book_of
    from ..plots._recovery import (
        plot_handoff,
        plot_handoff_sensitivity,
        plot_recovery_curve,
        plot_share_unpaid,
    )
    from ..recovery import (
        accounts_to_hand_off,
        handoff_sensitivity,
        recommend_handoff,
        recovery_cohorts,
        recovery_curve,
    )

    check_outputs_of(args, [Path(args.out or DEFAULT_OUT) / name for name in OUTPUT_FILES])
    tables = load_tables(args)
    as_of = resolve_as_of(args, tables)
    folder = output_dir(args.out, DEFAULT_OUT)
    # One coded book for the run: the curve, the handoff and the accounts share its codes.
    book = book_of(tables.invoices, tables.payments, customers=tables.customers)
    curve = recovery_curve(
        tables.invoices,
        tables.payments,
        as_of=as_of,
        horizon_days=args.horizon_days,
        max_days=args.max_days,
        book=book,
    )
    analysis = recommend_handoff(
        tables.invoices,
        tables.payments,
        tables.customers,
        as_of=as_of,
        horizon_days=args.horizon_days,
        max_days=args.max_days,
        book=book,
    )
    sensitivity = handoff_sensitivity(analysis)
    cohorts = recovery_cohorts(tables.invoices, tables.payments, as_of=as_of)
    accounts = accounts_to_hand_off(
        tables.invoices,
        tables.payments,
        tables.customers,
        as_of=as_of,
        analysis=analysis,
        book=book,
    )
    written = [
        write_csv(curve, folder / "recovery_curve.csv"),
        write_csv(cohorts, folder / "recovery_cohorts.csv"),
        write_csv(analysis.table, folder / "handoff.csv"),
        write_csv(sensitivity, folder / "handoff_sensitivity.csv"),
        write_csv(accounts, folder / "accounts_to_hand_off.csv"),
    ]
    for name, draw, result in (
        ("recovery_curve.png", plot_recovery_curve, curve),
        ("share_unpaid.png", plot_share_unpaid, curve),
        ("handoff.png", plot_handoff, analysis),
        ("handoff_sensitivity.png", plot_handoff_sensitivity, sensitivity),
    ):
        ax = draw(result)
        written.append(save_figure(ax.figure, folder / name))
        plt.close(ax.figure)
    out = sys.stdout
    currency = check_one_currency(tables.invoices)
    out.write(f"Recovery as of {as_of:%Y-%m-%d} (within {args.horizon_days} days)\n")
    out.write(books_line(tables, as_of))
    for day in (0, 30, 60, 90, 180):
        row = curve[curve["days_past_due"] == day]
        if len(row) and row["recovery_rate"].notna().iloc[0]:
            r = row.iloc[0]
            out.write(
                f"  {day:>3} days past due: {r['recovery_rate']:.1%} "
                f"({r['ci_low']:.1%}-{r['ci_high']:.1%})\n"
            )
    out.write(analysis.summary + "\n")
    if len(accounts):
        out.write(
            f"{plural(len(accounts), 'account gains', 'accounts gain')} from being placed now "
            "(each its own figure, "
            f"in accounts_to_hand_off.csv): "
            f"{format_amount(accounts['expected_gain'].sum(), currency)} in all\n"
        )
    out.write("Wrote " + ", ".join(str(p) for p in written) + "\n")
    return 0
