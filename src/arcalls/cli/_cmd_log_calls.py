"""``arcalls log-calls``: read the calls typed into an Excel call list into the call log.

Every filled row is checked first (outcome, dates, promise, account); when any row is
bad, each problem is listed with its row number and nothing is written. Calls already
in the log are skipped, so running the command twice on the same list adds nothing.
The log is locked for the whole run (``.<name>.lock`` beside it): two collectors
logging into one log at once keep every call of both; a run waits up to 30 seconds for
another one, then says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from ._common import _columns_mapping

NAME = "log-calls"
HELP = (
    "append the calls typed into an Excel call list (called_at, outcome, promise...) "
    "to your call log CSV, keeping a dated backup of the previous log"
)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("filled", type=Path, metavar="FILLED.xlsx", help="the filled-in list")
    parser.add_argument(
        "--calls",
        type=Path,
        required=True,
        metavar="FILE",
        help="the call log CSV to append to (created when it does not exist)",
    )
    parser.add_argument(
        "--collector", metavar="NAME", help="who made the calls (the log's collector column)"
    )
    parser.add_argument(
        "--columns",
        metavar="JSON",
        help="the log's header mapping, as given to the other commands (JSON or a JSON file)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import worksheet
    from .._export import check_outputs

    now = worksheet._now()
    calls = worksheet.read_filled_list(args.filled, collector=args.collector, now=now)
    # Checked once the list has been read (which writes nothing) and found to be one.
    columns_file = Path(args.columns) if args.columns and Path(args.columns).is_file() else None
    check_outputs([args.filled, columns_file], [args.calls], option="--calls")
    update = worksheet.append_calls(
        calls, args.calls, columns=_columns_mapping(args.columns), now=now
    )
    out = sys.stdout
    if calls.empty:
        out.write(f"No call entered in {args.filled}: nothing to add.\n")
        return 0
    out.write(update.describe() + "\n")
    if len(update.added):
        out.write("\n" + format_calls(update.added) + "\n")
    return 0


def format_calls(calls: pd.DataFrame) -> str:
    """The added calls as a compact terminal table."""
    amount = calls["promise_amount"]
    table = pd.DataFrame(
        {
            "row": calls["row"].astype(str),
            "call_id": calls["call_id"].astype(str),
            "customer": calls["customer_id"].astype(str),
            "called at": calls["called_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "outcome": calls["outcome"].astype(str),
            "promise date": calls["promise_date"].dt.strftime("%Y-%m-%d").fillna(""),
            "promise $": ("$" + amount.round(2).astype(str)).where(amount.notna(), ""),
        }
    )
    return table.to_string(index=False)
