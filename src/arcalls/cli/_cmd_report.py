"""``arcalls report``: the key charts as PNG and one self-contained HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._common import (
    add_input_arguments,
    books_line,
    check_outputs_of,
    input_files,
    load_tables,
    output_dir,
    resolve_as_of,
)

NAME = "report"
HELP = (
    "write report.html (headline figures, every chart embedded, the top of the call list) "
    "and the charts as PNG"
)

#: Where the report goes without --out (ignored by git in a clone).
DEFAULT_OUT = "report"


def register(parser: argparse.ArgumentParser) -> None:
    from ..report import DEFAULT_BACKTEST_WEEKS, DEFAULT_REPORT_TOP

    add_input_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"folder for report.html and the PNG charts (default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=DEFAULT_REPORT_TOP,
        metavar="N",
        help=f"accounts of the call list shown (default {DEFAULT_REPORT_TOP})",
    )
    parser.add_argument(
        "--backtest-weeks",
        type=int,
        default=DEFAULT_BACKTEST_WEEKS,
        metavar="N",
        help=f"weeks replayed in the backtest chart (default {DEFAULT_BACKTEST_WEEKS}; 0: none)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report import REPORT_FILE, build_report

    # report.html and the charts (every chart is a .png): no input may be among them.
    folder = Path(args.out or DEFAULT_OUT)
    check_outputs_of(
        args,
        [folder / REPORT_FILE]
        + [folder / f.name for f in input_files(args) if f.suffix.lower() == ".png"],
    )
    tables = load_tables(args)
    as_of = resolve_as_of(args, tables)
    folder = output_dir(args.out, DEFAULT_OUT)
    page = build_report(
        tables, as_of=as_of, out_dir=folder, top=args.top, backtest_weeks=args.backtest_weeks
    )
    pngs = sorted(p.name for p in folder.glob("*.png"))
    sys.stdout.write(
        f"Report as of {as_of:%Y-%m-%d}: {page}\n"
        + books_line(tables, as_of)
        + f"Charts ({len(pngs)}): {', '.join(pngs)}\n"
        "Open the HTML file in any browser; the images are embedded in it.\n"
    )
    return 0
