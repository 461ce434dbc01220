"""``arcalls aging``: the aging of open receivables and the headline metrics."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ._common import add_input_arguments, check_outputs_of, load_tables, resolve_as_of
from ._terminal import fit_columns, output_width, plural

NAME = "aging"
HELP = "print the aging of open receivables by customer (or in total), DSO, ADD and CEI"

_BY = {"customer": "customer_id", "total": None, "currency": "currency"}
#: Customers printed by default: a screenful; the CSV written with --out has them all.
DEFAULT_TOP = 25


def register(parser: argparse.ArgumentParser) -> None:
    """Add the command's options to its parser."""
    add_input_arguments(parser)
    parser.add_argument(
        "--by",
        choices=sorted(_BY),
        default="customer",
        help="one row per customer (default), one total row, or one row per currency "
        "(the one way to see a book in several currencies without --currency)",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=DEFAULT_TOP,
        metavar="N",
        help=f"print the N customers with the most overdue dollars (default {DEFAULT_TOP}; "
        "0 prints all; the CSV always has all)",
    )
    parser.add_argument(
        "--period-days",
        type=int,
        default=None,
        metavar="DAYS",
        help="look-back period of DSO, ADD and CEI (default 90)",
    )
    parser.add_argument("--out", type=Path, metavar="FILE.csv", help="also write the table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the aging table and the metrics; write the table with --out."""
    from .._checks import check_one_currency
    from .._export import write_csv
    from ..aging import DEFAULT_PERIOD_DAYS, aging, ar_metrics
    from ..book import book_of

    if args.top < 0:
        raise InputError(f"--top must be 0 (all) or a number of customers, got {args.top}.")
    # One row per currency never adds two currencies up: the only run that may read them.
    args.per_currency = args.by == "currency"
    check_outputs_of(args, [args.out])
    tables = load_tables(args)
    as_of = resolve_as_of(args, tables)
    period_days = args.period_days if args.period_days is not None else DEFAULT_PERIOD_DAYS
    if args.by == "currency" and "currency" not in tables.invoices:
        raise InputError(
            "--by currency needs a 'currency' column in the invoices; map your export's "
            "currency header to 'currency' with --columns, or use --by total."
        )
    books = _books(tables, args)
    currency = None if args.per_currency else check_one_currency(tables.invoices)
    # One coded book of the whole run's tables (a currency's own tables are not it).
    whole = book_of(tables.invoices, tables.payments)
    table = aging(tables.invoices, tables.payments, as_of=as_of, by=_BY[args.by], book=whole)
    shown = table.head(args.top) if args.top else table
    out = sys.stdout
    in_code = f" (amounts in {currency})" if currency is not None else ""
    out.write(f"Aging of open receivables as of {as_of:%Y-%m-%d}{in_code}\n\n")
    # The TOTAL line always adds up the whole table, not only the rows shown.
    totals_of = table if args.by == "customer" else None
    out.write(_format_table(shown, totals_of=totals_of, width=output_width()) + "\n")
    if len(table) > len(shown):
        more = plural(len(table) - len(shown), "more customer")
        out.write(f"({more} not shown: --top 0 or --out)\n")
    for code, book in books:
        metrics = ar_metrics(
            book.invoices,
            book.payments,
            as_of=as_of,
            period_days=period_days,
            book=whole if book is tables else None,
        )
        head = f"{code}: " if args.per_currency else ""
        out.write("\n" + head + _metrics_line(metrics.iloc[0], period_days, code) + "\n")
    if args.out is not None:
        write_csv(table.rename_axis(table.index.name or "scope").reset_index(), args.out)
        out.write(f"\nWrote {args.out}\n")
    return 0


def _books(tables, args) -> list:
    """(currency code, tables) per book: one per currency with --by currency, else one."""
    from .._checks import check_one_currency, currency_counts
    from ..currency import select_currency

    if not args.per_currency:
        return [(check_one_currency(tables.invoices), tables)]
    codes = sorted(currency_counts(tables.invoices).index)
    return [(code, select_currency(*tables, currency=code)) for code in codes]


def _money(value: float) -> str:
    text = f"{abs(value):,.2f}"
    return f"-{text}" if value < -0.004 else text


#: The printed aging columns, most important first: a narrow terminal keeps the first
#: ones that fit, and says which it left out (the CSV written with --out has them all).
PRINTED_COLUMNS = ("customer_name", "total", "overdue")
#: Below this width the customer names are cut to NARROW_NAME characters.
WIDE_TERMINAL, NARROW_NAME = 150, 20


def _format_table(
    table: pd.DataFrame, *, totals_of: pd.DataFrame | None, width: int | None = None
) -> str:
    money = [c for c in table.columns if table[c].dtype == "float64"]
    shown = table.copy()
    if totals_of is not None and len(table):
        sums = totals_of[money + ["open_invoices", "overdue_invoices"]].sum()
        row = pd.DataFrame([sums], index=pd.Index(["TOTAL"], name=table.index.name))
        if "customer_name" in table:
            row.insert(0, "customer_name", "")
        shown = pd.concat([shown.astype(dict.fromkeys(shown.columns, "object")), row])
    if shown.empty:
        return "(no open invoices on this date)"
    for col in money:
        shown[col] = shown[col].astype("float64").map(_money)
    for col in ("open_invoices", "overdue_invoices"):
        shown[col] = shown[col].astype("int64")
    if "customer_name" in shown:
        # On a narrow terminal a shorter name leaves room for one more bucket.
        cut = NARROW_NAME if width is not None and width < WIDE_TERMINAL else 30
        shown["customer_name"] = shown["customer_name"].fillna("").astype(str).str.slice(0, cut)
    if "customer_name" in shown:
        # Names read left-aligned, under their left-aligned header.
        wide = max(int(shown["customer_name"].str.len().max()), len("customer_name"))
        shown["customer_name"] = shown["customer_name"].str.ljust(wide)
    # After total and overdue: the oldest buckets first (where the money is at risk).
    buckets = [c for c in money if c not in ("total", "overdue", "disputed")][::-1]
    keep = [*PRINTED_COLUMNS, *buckets, "disputed", "open #", "overdue #"]
    shown = shown.rename(columns={"open_invoices": "open #", "overdue_invoices": "overdue #"})
    if "customer_name" in shown:
        wide = shown["customer_name"].str.len().max()
        shown = shown.rename(columns={"customer_name": "customer".ljust(wide)})
        keep[0] = "customer".ljust(wide)
    text, left_out = fit_columns(shown, width, keep)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if left_out:
        hidden = ", ".join(left_out)
        text += (
            f"\n(not shown at this width: {hidden}; a wider terminal or --out FILE.csv has them)"
        )
    return text


def _metrics_line(row: pd.Series, period_days: int, currency: str | None = None) -> str:
    """The headline metrics as one readable paragraph."""
    from .._checks import format_amount
    from ..aging import INDUSTRY_ADD_RANGE, INDUSTRY_MEDIAN_CEI, INDUSTRY_MEDIAN_DSO

    def money(value: float) -> str:
        return format_amount(value, currency)

    def days(value: float) -> str:
        return "n/a" if pd.isna(value) else f"{value:.1f}"

    share = row["ar_overdue"] / row["ar_total"] if row["ar_total"] > 0 else 0.0
    cei = "n/a" if pd.isna(row["cei"]) else f"{row['cei']:.1f}"
    lo, hi = INDUSTRY_ADD_RANGE
    return (
        f"Open A/R {money(row['ar_total'])}, overdue {money(row['ar_overdue'])} "
        f"({share:.0%}; every open dollar past due, disputed included), "
        f"disputed {money(row['ar_disputed'])}.\n"
        f"Last {period_days} days: DSO {days(row['dso'])} days "
        f"(count-back {days(row['dso_countback'])}), best possible DSO {days(row['bpdso'])}, "
        f"ADD {days(row['add'])}, CEI {cei}.\n"
        f"Industry medians: DSO {INDUSTRY_MEDIAN_DSO:.0f} days, ADD {lo:.0f}-{hi:.0f} days, "
        f"CEI {INDUSTRY_MEDIAN_CEI:.0f}."
    )
