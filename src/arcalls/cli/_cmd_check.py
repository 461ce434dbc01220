"""``arcalls check FILE --kind K``: list every problem in an input file, or say it is clean."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd

from .. import io
from ..errors import InputError, RowsSetAsideWarning
from . import EXIT_OK, EXIT_PROBLEMS
from ._common import (
    KINDS,
    _columns_mapping,
    add_format_arguments,
    add_outcome_map_argument,
    outcome_mapping,
)
from ._terminal import output_width, plural
from ._wording import cli_terms

NAME = "check"
HELP = "check an input file and list every problem (exit 1 if any, 0 if clean)"

#: How many problems are printed; the rest are counted.
MAX_PRINTED = 200


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the CSV file to check")
    parser.add_argument("--kind", required=True, choices=KINDS, help="what the file holds")
    parser.add_argument(
        "--invoices",
        type=Path,
        metavar="FILE",
        help="with --kind payments: the invoices file every payment must belong to",
    )
    add_format_arguments(parser)
    add_outcome_map_argument(parser)
    parser.set_defaults(func=run)


def _invoices_to_check_against(args: argparse.Namespace, options: dict) -> pd.DataFrame:
    if args.kind != "payments":
        raise InputError(
            f"--invoices is for --kind payments (the payments are checked against it), "
            f"not --kind {args.kind}."
        )
    preset = options["preset"]
    if preset is not None and io.PRESETS.get(preset) and io.PRESETS[preset].table != "invoices":
        preset = None
    with warnings.catch_warnings():
        # Its bad rows are that file's own problems (check it on its own); the payments
        # are checked against the rows that load.
        warnings.simplefilter("ignore", RowsSetAsideWarning)
        return io.load_invoices(
            args.invoices,
            preset=preset,
            date_format=options["date_format"],
            dayfirst=options["dayfirst"],
            on_bad_rows="skip",
        )


def run(args: argparse.Namespace) -> int:
    options = {
        "preset": args.preset,
        "columns": _columns_mapping(args.columns),
        "date_format": args.date_format,
        "dayfirst": args.dayfirst,
    }
    if args.make_ids:
        options["make_ids"] = True
    if args.outcome_map is not None:
        if args.kind != "calls":
            raise InputError(f"--outcome-map is for --kind calls, not --kind {args.kind}.")
        options["outcome_map"] = outcome_mapping(args.outcome_map)
    if args.invoices is not None:
        options["invoices"] = _invoices_to_check_against(args, options)
    loaded = io._load(io._check_kind(args.kind), args.file, **options)
    out = sys.stdout
    for note in loaded.report.notes:
        out.write(f"note: {note}\n")
    problems = loaded.problems
    if not len(problems):
        out.write(f"clean: {loaded.report.rows_loaded} rows ({args.file})\n")
        return EXIT_OK
    rows = problems["row"].nunique()
    shown = problems.head(MAX_PRINTED).astype("string").fillna("")
    shown["problem"] = shown["problem"].map(cli_terms)
    with pd.option_context("display.max_colwidth", None, "display.width", None):
        text = shown.to_string(index=False)
    width = output_width()
    if width is not None and max(map(len, text.split("\n"))) > width:
        # Too wide for the terminal: one problem a paragraph, as the errors list them.
        text = "\n".join(
            f"- {r.file}, row {r.row}, column {r.column!r}: value {r.value!r}: {r.problem}"
            for r in shown.itertuples(index=False)
        )
    out.write(text + "\n")
    if len(problems) > MAX_PRINTED:
        out.write(f"... and {len(problems) - MAX_PRINTED} more problems\n")
    out.write(
        f"{plural(len(problems), 'problem')} in {rows} of {plural(loaded.report.rows_in, 'row')}"
        f" of {args.file}\n"
    )
    return EXIT_PROBLEMS
