"""``arcalls call-list``: this week's call list as CSV or Excel, with the accounts not to call.

Trains the call-priority model on the history in the files and ranks in one go, unless
``--model FILE`` names a model saved earlier (then it is loaded; when FILE does not
exist yet, the model trained now is saved there for next week). ``--format html``
writes the call sheets instead (one printable page per account); ``--call-sheets``
adds them to an Excel list as a third sheet.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import pandas as pd

from .._checks import format_amount
from .._progress import Stages
from ..errors import ArcallsError, InputError, OutputError
from ._common import add_input_arguments, books_line, check_outputs_of, load_tables, resolve_as_of
from ._terminal import output_width, plural

NAME = "call-list"
HELP = (
    "write this week's call list (CSV or Excel): accounts ranked by expected dollars, "
    "and the accounts not to call with the reason"
)

#: Where the list goes when --out is not given (in the current folder).
DEFAULT_OUT = Path("call_list.csv")
#: The output formats, each with its file suffix.
FORMATS = {"csv": ".csv", "xlsx": ".xlsx", "html": ".html"}
#: Rows of the list printed on the terminal.
PRINTED_ROWS = 10


def register(parser: argparse.ArgumentParser) -> None:
    from ..calllist import DEFAULT_COOLDOWN_DAYS, DEFAULT_MAX_ATTEMPTS_7D

    add_input_arguments(parser)
    parser.add_argument(
        "--top", type=int, metavar="N", help="keep only the first N accounts (default: all)"
    )
    from ..worksheet import DEFAULT_ASK_DAYS, DEFAULT_BUSINESS_NAME

    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="FILE.csv (plus FILE_excluded.csv beside it), FILE.xlsx (the list with "
        "columns to fill in while calling, and the excluded accounts) or FILE.html "
        f"(call sheets); default {DEFAULT_OUT.stem}.<format>",
    )
    parser.add_argument(
        "--format",
        choices=tuple(FORMATS),
        help="csv, xlsx, or html (one printable call sheet per account); "
        "default: from the --out suffix, else csv",
    )
    parser.add_argument(
        "--call-sheets",
        action="store_true",
        help="xlsx: add a 'Call sheets' sheet (open invoices, last payments and calls, "
        "promise, opening line) for every listed account",
    )
    parser.add_argument(
        "--business-name",
        default=DEFAULT_BUSINESS_NAME,
        metavar="NAME",
        help="who you call for, in the call sheets' opening line "
        f"(default {DEFAULT_BUSINESS_NAME!r})",
    )
    parser.add_argument(
        "--caller",
        metavar="NAME",
        help="your name in the opening line (default: the account's last collector)",
    )
    parser.add_argument(
        "--phone",
        metavar="NUMBER",
        help="your number for the customer to call back, in the call sheets' voicemail "
        "and third-party scripts (default: a placeholder to fill in)",
    )
    parser.add_argument(
        "--ask-days",
        type=int,
        default=DEFAULT_ASK_DAYS,
        metavar="DAYS",
        help=f"the opening line asks for payment by as-of + DAYS (default {DEFAULT_ASK_DAYS})",
    )
    parser.add_argument(
        "--model",
        type=Path,
        metavar="FILE",
        help="a saved model: loaded if FILE exists, else the model trained now is saved "
        "there (default: train on the files' history, save nothing)",
    )
    parser.add_argument(
        "--handoff-age",
        type=_handoff_age_option,
        default="auto",
        metavar="DAYS",
        help="days past due from which to suggest an agency handoff; 'none' for no "
        "suggestion (default: the recommended age from the files' own recovery curve)",
    )
    parser.add_argument(
        "--cooldown-days",
        type=int,
        default=DEFAULT_COOLDOWN_DAYS,
        metavar="DAYS",
        help=f"do not call an account called fewer than DAYS days ago "
        f"(default {DEFAULT_COOLDOWN_DAYS})",
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=DEFAULT_MAX_ATTEMPTS_7D,
        metavar="N",
        help=f"rest an account after N attempts in 7 days (default {DEFAULT_MAX_ATTEMPTS_7D})",
    )
    parser.add_argument(
        "--consumer",
        action="store_true",
        help="consumer debts: US Regulation F pattern (7 quiet days after a right-party "
        "conversation, calls only 8am-9pm local time)",
    )
    parser.add_argument(
        "--collectors",
        metavar="NAMES",
        help="split the list among several callers, e.g. 'Dana,Priya' or with capacities "
        "'Dana:40,Priya:20': each account stays with whoever last reached it, the rest "
        "dealt evenly; writes FILE_<name>.csv/.xlsx for each beside the combined list "
        "(column assigned_to)",
    )
    parser.add_argument(
        "--min-balance",
        type=float,
        metavar="AMOUNT",
        help="list only accounts with at least AMOUNT overdue",
    )
    parser.add_argument(
        "--collector",
        metavar="NAME",
        help="list only the accounts NAME last reached (latest right-party call)",
    )
    parser.set_defaults(func=run)


def _out_and_format(out: Path | None, fmt: str | None) -> tuple[Path, str]:
    """The output file and format from --out and --format (each implies the other)."""
    if out is None:
        fmt = fmt or "csv"
        return DEFAULT_OUT.with_suffix(FORMATS[fmt]), fmt
    suffix = out.suffix.lower()
    if fmt is None:
        by_suffix = {v: k for k, v in FORMATS.items()} | {".htm": "html"}
        return out, by_suffix.get(suffix, "csv")
    if suffix not in {FORMATS[fmt], ".htm" if fmt == "html" else FORMATS[fmt]}:
        raise InputError(
            f"--format {fmt} writes a {FORMATS[fmt]} file, but --out is {out}. "
            f"Use --out {out.with_suffix(FORMATS[fmt])} or leave one of the two out."
        )
    return out, fmt


def _check_html_path(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(
            f"Cannot write {path}: the folder {folder} does not exist. "
            "Create it first or choose another --out."
        )


def _handoff_age_option(text: str):
    if text.lower() in {"none", "off"}:
        return None
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected a number of days, 'none' or 'auto', got {text!r}"
        ) from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected days >= 0, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    from ..book import book_of
    from ..calllist import call_list, check_output_path, write_call_list

    if args.top is not None and args.top <= 0:
        raise InputError(f"--top must be a positive number of accounts, got {args.top}.")
    args.out, fmt = _out_and_format(args.out, args.format)
    if fmt == "html":
        _check_html_path(args.out)
    else:
        check_output_path(args.out)
    if args.call_sheets and fmt == "csv":
        raise InputError(
            "--call-sheets needs an Excel list or HTML: use --out call_list.xlsx or --format html."
        )
    outputs = [args.out]
    if fmt == "csv":
        outputs.append(args.out.with_name(f"{args.out.stem}_excluded{args.out.suffix}"))
    collectors = None
    if args.collectors is not None:
        from ..calllist import collector_file, parse_collectors

        if fmt == "html":
            raise InputError(
                "--collectors writes one list per collector as CSV or Excel: use "
                "--out call_list.xlsx (with --call-sheets for their call sheets)."
            )
        collectors = parse_collectors(args.collectors)
        outputs += [collector_file(args.out, name) for name in collectors]
    # A saved model is read when it exists, else the model trained now is written there.
    model_in = args.model is not None and args.model.exists()
    check_outputs_of(
        args,
        [*outputs, None if model_in else args.model],
        inputs=[args.model] if model_in else [],
    )
    tables = load_tables(args)
    if not (args.call_sheets or fmt == "html"):
        tables = _without_unread_call_columns(tables)
    as_of = resolve_as_of(args, tables)
    # One coded book for the run: every analysis below reads its codes and memos.
    book = book_of(*tables)
    out = sys.stdout
    # A bar over the stages on a terminal (silent elsewhere); each stage is one call.
    stages = Stages(4, desc="call list")
    stages.next("model")
    model = _model(args, tables, as_of, out)
    handoff_age, handoff = (
        _recommended_handoff(tables, as_of, book)
        if args.handoff_age == "auto"
        else (args.handoff_age, None)
    )
    stages.next("ranking")
    result = call_list(
        *tables,
        as_of=as_of,
        top=args.top,
        model=model,
        cooldown_days=args.cooldown_days,
        max_attempts_7d=args.max_attempts,
        handoff_age=handoff_age,
        # The analysis that chose the age: the list does not build the handoff book again.
        handoff=handoff,
        consumer=args.consumer,
        book=book,
    )
    if args.min_balance is not None or args.collector is not None:
        from ..calllist import select_accounts

        result = select_accounts(
            result, tables.calls, min_balance=args.min_balance, collector=args.collector
        )
    if collectors is not None:
        from ..calllist import assign_collectors

        result = assign_collectors(result, tables.calls, collectors=collectors)
    sheets = None
    if args.call_sheets or fmt == "html":
        from ..worksheet import call_sheets

        stages.next("call sheets")
        sheets = call_sheets(
            result,
            *tables,
            business_name=args.business_name,
            caller=args.caller,
            ask_days=args.ask_days,
            business_phone=args.phone,
        )
    stages.next("writing")
    out.write(f"Call list as of {as_of:%Y-%m-%d}\n")
    out.write(books_line(tables, as_of, book=book))
    if fmt == "html":
        from ..worksheet import write_call_sheets

        paths = [write_call_sheets(sheets, args.out)]
        out.write(
            f"Wrote {paths[0]} (call sheets: one page for each of "
            f"{plural(len(result.calls), 'account')})\n\n"
        )
    elif collectors is not None:
        from ..calllist import write_collector_lists

        paths = write_collector_lists(result, args.out, sheets=sheets)
        combined = 2 if fmt == "csv" else 1
        out.write(
            f"Wrote {paths[0]} ({plural(len(result.calls), 'account')} to call, "
            "column assigned_to)\n"
        )
        if fmt == "csv":
            out.write(f"Wrote {paths[1]} ({plural(len(result.excluded), 'account')} not to call)\n")
        counts = result.calls["assigned_to"].value_counts()
        for name in collectors:
            path = collector_file(args.out, name)
            if path not in paths[combined:]:
                continue
            mine = result.calls["assigned_to"] == name
            dollars = float(result.calls.loc[mine.fillna(False), "expected_dollars"].sum())
            out.write(
                f"Wrote {path} ({name}: {plural(int(counts.get(name, 0)), 'account')}, "
                f"{format_amount(dollars, result.currency)} expected)\n"
            )
        missing = [n for n in collectors if n not in counts.index]
        if missing:
            out.write(f"No account for {', '.join(missing)} (no file written).\n")
        unassigned = int(result.calls["assigned_to"].isna().sum())
        if unassigned:
            out.write(
                f"{plural(unassigned, 'account')} beyond the collectors' capacities: on the "
                "combined list with assigned_to empty.\n"
            )
        first = next((n for n in collectors if n in counts.index), None)
        if fmt == "xlsx" and first is not None:
            out.write(
                "Each collector fills in their own file, then, e.g.: arcalls log-calls "
                f"{collector_file(args.out, first)} --calls YOUR_CALLS.csv "
                f"--collector {shlex.quote(first)}\n"
            )
        out.write("\n")
    else:
        paths = write_call_list(result, args.out, sheets=sheets)
        if len(paths) == 2:
            out.write(f"Wrote {paths[0]} ({plural(len(result.calls), 'account')} to call)\n")
            out.write(
                f"Wrote {paths[1]} ({plural(len(result.excluded), 'account')} not to call)\n\n"
            )
        elif fmt == "xlsx":
            out.write(
                f"Wrote {paths[0]} (sheets 'Call list': {plural(len(result.calls), 'account')}, "
                f"'Excluded': {len(result.excluded):,}"
                + (", 'Call sheets'" if sheets is not None else "")
                + ")\n"
                "Fill in the yellow columns (Called at, Outcome, and for a promise its date "
                "and amount; a plan's, a callback's, who pays) while calling, then: "
                f"arcalls log-calls {paths[0]} "
                "--calls YOUR_CALLS.csv\n\n"
            )
    stages.close()
    out.write(
        format_top_rows(
            result.calls, rows=PRINTED_ROWS, currency=result.currency, width=output_width()
        )
        + "\n"
    )
    if len(result.calls) > PRINTED_ROWS:
        out.write(f"({len(result.calls) - PRINTED_ROWS:,} more in {paths[0]})\n")
    out.write("\n" + result.describe() + "\n")
    if handoff_age is not None:
        # Each account is flagged by its own expected gain of placing it now, never by
        # its age alone: the age is only where placing starts to be considered.
        suggested = int(result.calls["handoff_suggested"].sum())
        # The whole book's count is the report's: the listed ones are a part of it.
        book_wide = (
            f" (of {plural(result.handoff_accounts, 'account')} in the book that do, the "
            "accounts not on the list included: arcalls report)"
            if result.handoff_accounts is not None
            else ""
        )
        out.write(
            f"Agency handoff: {plural(suggested, 'listed account gains', 'listed accounts gain')}"
            f" from being placed now{book_wide}, each "
            f"by its own figure (column handoff_gain; accounts from {handoff_age} days past "
            "due considered; the book's handoff age: arcalls recovery).\n"
        )
    return 0


def _without_unread_call_columns(tables):
    """The tables without the call log's columns that only the call sheets read (a run
    that makes none): at 3M calls those columns are 180 MB held for the whole run.

    Every row and every other column is kept as loaded (no copy), with its load report.
    """
    from ..calllist import _UNREAD_CALL_COLUMNS

    calls = tables.calls
    if calls is None or not any(c in calls for c in _UNREAD_CALL_COLUMNS):
        return tables
    kept = pd.DataFrame(
        {c: calls[c] for c in calls.columns if c not in _UNREAD_CALL_COLUMNS}, copy=False
    )
    kept.attrs = dict(calls.attrs)
    return tables._replace(calls=kept)


def _model(args, tables, as_of, out):
    """The fitted model: loaded from --model, else trained now (and saved to --model)."""
    from .. import ranking

    if args.model is not None and args.model.exists():
        model = ranking.load_model(args.model)
        out.write(f"Loaded the model from {args.model}\n")
        return model
    if args.model is None:
        # call_list trains the model itself, and falls back to largest-overdue-first
        # (saying so) when the history cannot train one.
        return None
    model = ranking.fit_call_priority_model(*tables, as_of=as_of)
    if args.model is not None:
        ranking.save_model(model, args.model)
        out.write(f"Trained the model on the history up to {as_of:%Y-%m-%d}; saved {args.model}\n")
    return model


def _recommended_handoff(tables, as_of, book=None):
    """The age from which accounts are considered for a handoff, and the analysis it
    comes from (None, None when there is none); each account is flagged by its own
    expected gain of placing it now (``arcalls.account_handoff_gains``)."""
    from ..recovery import recommend_handoff

    try:
        analysis = recommend_handoff(
            tables.invoices, tables.payments, tables.customers, as_of=as_of, n_boot=0, book=book
        )
    except ArcallsError as exc:
        sys.stderr.write(
            f"arcalls call-list: no agency handoff suggestion ({exc}); "
            "pass --handoff-age DAYS to set one.\n"
        )
        return None, None
    return analysis.params["min_placement_age"], analysis


def _money(value: float) -> str:
    return "" if pd.isna(value) else f"{value:,.2f}"


#: The call list's printed columns, most important first: a narrow terminal keeps the
#: first ones that fit (the file written has every column).
PRINTED_COLUMNS = ("#", "customer", "phone", "overdue", "action", "expected", "days", "best time")


def format_top_rows(
    calls: pd.DataFrame,
    *,
    rows: int = PRINTED_ROWS,
    currency: str | None = None,
    width: int | None = None,
) -> str:
    """The first rows of a call list as a terminal table (amounts in ``currency``).

    The columns that fit ``width`` are kept (see :data:`PRINTED_COLUMNS`); the reason
    of each row is printed whole under it, wrapped at word boundaries.
    """
    from ._terminal import fit_columns, wrap_line

    unit = "$" if currency is None else currency
    if calls.empty:
        return "(no account to call on this date)"
    head = calls.head(rows)
    table = pd.DataFrame(
        {
            "#": head["rank"].astype(str),
            "customer": (
                head["customer_name"].fillna(head["customer_id"]).astype(str).str.slice(0, 24)
            ),
            "phone": head["phone"].fillna("").astype(str),
            "best time": head["best_time_to_call"].fillna("").astype(str),
            "overdue": head["overdue_balance"].map(_money),
            "days": head["oldest_days_past_due"].astype(str),
            "p_pay": head["p_pay"].map(lambda p: "" if pd.isna(p) else f"{p:.0%}"),
            "expected": head["expected_dollars"].map(_money),
            "action": head["action"].fillna("").astype(str) if "action" in head else "",
        }
    ).rename(columns={"overdue": f"overdue {unit}", "expected": f"expected {unit}"})
    keep = [
        {"overdue": f"overdue {unit}", "expected": f"expected {unit}"}.get(c, c)
        for c in PRINTED_COLUMNS
    ]
    for col in ("customer", "action", "best time"):
        # Text reads left-aligned, under its left-aligned header.
        wide = max(table[col].str.len().max(), len(col))
        table[col] = table[col].str.ljust(wide)
        table = table.rename(columns={col: col.ljust(wide)})
        keep = [c.ljust(wide) if c == col else c for c in keep]
    text, left_out = fit_columns(table, width, keep, index=False)
    left_out = [c.strip() for c in left_out]
    header, *lines = [line.rstrip() for line in text.split("\n")]
    reasons = head["reasons"].fillna("").astype(str).tolist()
    out = [header]
    for line, reason in zip(lines, reasons, strict=True):
        out.append(line)
        if reason:
            out.append(wrap_line(f"     why: {reason}", width))
    if left_out:
        out.append(f"(not shown at this width: {', '.join(left_out)}; the file has them)")
    return "\n".join(out)
