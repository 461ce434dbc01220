"""What every command shares: how input files are named, loaded, and the as-of date.

Inputs can be given three ways, the same for every command:

- nothing: the bundled sample data;
- positional ``FILES`` (or a folder holding them): each file's kind is read from its
  name (``invoices``, ``payments``, ``calls``, ``customers``, singular or plural, or
  ``aging``/``receivable`` for an invoice export); a single file whose name says
  nothing is the invoices (or the table of the ``--preset``), with ``--columns`` as
  with ``--preset``;
- ``--invoices F --payments F --calls F --customers F``.

``--preset`` and ``--columns`` apply to every file given; ``--columns`` takes a JSON
object or a JSON file mapping your headers to canonical names.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import warnings
from pathlib import Path

import pandas as pd

from .._progress import progress
from ..errors import InputError, RowsSetAsideWarning
from ..io import OUTLIER_GAP_DAYS, default_as_of  # noqa: F401 - OUTLIER_GAP_DAYS: re-exported
from ..schema import Tables
from ._terminal import plural
from ._wording import cli_terms

KINDS = ("invoices", "payments", "calls", "customers")
_KIND_PATTERNS = {
    "invoices": re.compile(r"invoice|aging|receivable|ledger", re.I),
    "payments": re.compile(r"payment|receipt", re.I),
    "calls": re.compile(r"call", re.I),
    "customers": re.compile(r"customer|contact|client", re.I),
}


def add_format_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options that say how to read a file: preset, columns, dates, ids."""
    parser.add_argument("--preset", help="a built-in export format, e.g. ibm_ar")
    parser.add_argument(
        "--columns",
        metavar="JSON",
        help='header mapping, e.g. \'{"Vendor_Name": "customer_id"}\', or a JSON file',
    )
    parser.add_argument("--date-format", help="strftime format of the dates, e.g. %%d-%%b-%%y")
    parser.add_argument(
        "--dayfirst",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="dates are day-first (03/04 = 3 April); default: decided from each column",
    )
    parser.add_argument(
        "--make-ids",
        action="store_true",
        help="the files have no id column: number their rows as ids (row-<n>)",
    )


def add_input_arguments(parser: argparse.ArgumentParser, *, as_of: bool = True) -> None:
    """Add the shared input options to a command's parser."""
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        help="input CSV files or a folder of them (kind read from each name); "
        "none: the bundled sample",
    )
    for kind in KINDS:
        parser.add_argument(f"--{kind}", type=Path, metavar="FILE", help=f"the {kind} file")
    add_format_arguments(parser)
    add_outcome_map_argument(parser)
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="set bad rows aside (counted and reported) instead of stopping",
    )
    parser.add_argument(
        "--currency",
        metavar="CODE",
        help="use only the invoices in this currency (and their payments, calls and "
        "customers); needed when the invoices are in more than one",
    )
    if as_of:
        parser.add_argument(
            "--as-of",
            type=_parse_date,
            help="the date to compute as of (YYYY-MM-DD); default: the date printed in an "
            "aging report's title, else the latest date found in your files",
        )


def add_outcome_map_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--outcome-map FILE``: your call outcomes' spellings -> arcalls' outcomes."""
    parser.add_argument(
        "--outcome-map",
        type=Path,
        metavar="FILE",
        help="your call log's outcome spellings: a CSV with two columns (yours, arcalls' "
        "outcome, e.g. 'Left VM,voicemail') or a JSON object; common ones are mapped already",
    )


def outcome_mapping(path: Path | None) -> dict[str, str] | None:
    """The ``--outcome-map`` file as a dict (the loader checks each value is an outcome)."""
    if path is None:
        return None
    if not path.is_file():
        raise InputError(f"--outcome-map {path}: no such file.")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"--outcome-map {path}: not a JSON object ({exc.msg}).") from exc
        if not isinstance(mapping, dict):
            raise InputError(f"--outcome-map {path}: expected a JSON object yours -> outcome.")
        return {str(k): str(v) for k, v in mapping.items()}
    import csv

    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    for number, row in enumerate(rows, start=1):
        if len(row) != 2:
            raise InputError(
                f"--outcome-map {path}, row {number}: {len(row)} cells {row!r}; each row is "
                "two cells: your spelling, then arcalls' outcome (e.g. Left VM,voicemail)."
            )
    if rows and [c.strip().lower() for c in rows[0]][1] in ("outcome", "canonical", "arcalls"):
        rows = rows[1:]  # a header row
    return {raw.strip(): outcome.strip() for raw, outcome in rows}


def _parse_date(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text).normalize()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from exc


def _columns_mapping(text: str | None) -> dict[str, str] | None:
    if text is None:
        return None
    source = Path(text)
    raw = source.read_text(encoding="utf-8") if source.is_file() else text
    try:
        mapping = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"--columns must be a JSON object or a JSON file, got {text!r}: {exc.msg}. "
            'Example: --columns \'{"Vendor_Name": "customer_id"}\''
        ) from exc
    if not isinstance(mapping, dict):
        raise InputError(f"--columns must map header -> canonical name, got {text!r}.")
    return mapping


def input_paths(args: argparse.Namespace) -> dict[str, Path]:
    """Map each kind to its file from positional files, folders and --kind options."""
    paths: dict[str, Path] = {}
    for given in args.files:
        candidates = sorted(given.glob("*.csv")) if given.is_dir() else [given]
        for path in candidates:
            kinds = [k for k, pat in _KIND_PATTERNS.items() if pat.search(path.stem)]
            if len(kinds) != 1 and not given.is_dir() and len(args.files) == 1:
                # One file whose name says nothing: the invoices (every command needs
                # them), or the table of the --preset given; --columns maps its headers.
                kinds = [_preset_kind(args) or "invoices"]
            if len(kinds) != 1:
                if given.is_dir():
                    continue
                raise InputError(
                    f"Cannot tell what {path} holds from its name. Name it invoices.csv, "
                    "payments.csv, calls.csv or customers.csv, or pass it as "
                    "--invoices/--payments/--calls/--customers FILE."
                )
            paths[kinds[0]] = path
    for kind in KINDS:
        if getattr(args, kind) is not None:
            paths[kind] = getattr(args, kind)
    if args.files and "invoices" not in paths:
        raise InputError(
            "No invoices file among the inputs: every command needs one "
            "(pass --invoices FILE or name it invoices.csv)."
        )
    return paths


def _preset_kind(args: argparse.Namespace) -> str | None:
    from ..io import PRESETS

    preset = PRESETS.get(getattr(args, "preset", None) or "")
    return None if preset is None else preset.table


def load_tables(args: argparse.Namespace) -> Tables:
    """Load the inputs a command was given, or the bundled sample when none."""
    from .. import datasets, io

    paths = input_paths(args)
    if not paths:
        return _one_currency(args, datasets.load_sample())
    options = {
        "preset": args.preset,
        "columns": _columns_mapping(args.columns),
        "date_format": args.date_format,
        "dayfirst": args.dayfirst,
        "on_bad_rows": "skip" if args.lenient else "raise",
    }
    make_ids = {"make_ids": True} if args.make_ids else {}
    outcome_map = outcome_mapping(getattr(args, "outcome_map", None))
    loaders = {
        "invoices": io.load_invoices,
        "payments": io.load_payments,
        "calls": io.load_calls,
        "customers": io.load_customers,
    }
    with warnings.catch_warnings():
        # The command says what was set aside in its own line below, not as a Python
        # warning with a source line.
        warnings.simplefilter("ignore", RowsSetAsideWarning)
        loaded = {}
        # Invoices first: a payment to an invoice id not among them is a row problem of
        # the payments file (never a payment silently left out of every total).
        order = sorted(paths, key=lambda k: k != "invoices")
        for kind in progress(order, desc="loading", unit="file"):
            extra = dict(make_ids) if kind != "customers" else {}
            if kind == "payments" and "invoices" in loaded:
                extra["invoices"] = loaded["invoices"]
            if kind == "calls" and outcome_map:
                extra["outcome_map"] = outcome_map
            loaded[kind] = loaders[kind](paths[kind], **options, **extra)
    for kind, frame in loaded.items():
        report = io.load_report(frame)
        if len(report.set_aside):
            # The same reading options, so that check sees the file as this run did.
            against = _format_options(args, kind)
            if kind == "payments" and "invoices" in paths:
                against += f" --invoices {shlex.quote(str(paths['invoices']))}"
            sys.stderr.write(
                f"arcalls: {len(report.set_aside)} of {plural(report.rows_in, 'row')} of "
                f"{paths[kind]} set aside ({report.rows_loaded} loaded); run "
                f"`arcalls check {paths[kind]} --kind {kind}{against}` to see why.\n"
            )
        for note in report.notes:
            sys.stderr.write(f"arcalls: {cli_terms(note)}\n")
    settled = [c for c in ("paid_date", "amount_paid") if c in loaded.get("invoices", ())]
    if settled and loaded.get("payments") is not None:
        # Never a column read and then left out without a word.
        sys.stderr.write(
            f"arcalls: {paths['invoices']} has {' and '.join(settled)}, but the payments "
            f"file {paths['payments']} is the record of money received: the invoices' own "
            "settlement columns are not used.\n"
        )
    return _one_currency(args, Tables(**{kind: loaded.get(kind) for kind in KINDS}))


def _one_currency(args: argparse.Namespace, tables: Tables) -> Tables:
    """The tables of the --currency chosen (see arcalls.select_currency), else as loaded."""
    from .._checks import check_one_currency
    from ..currency import select_currency

    code = getattr(args, "currency", None)
    if code is None:
        # Refused here, before any work, the same way for every command (but for a
        # result per currency, which adds nothing across currencies).
        if not getattr(args, "per_currency", False):
            check_one_currency(tables.invoices)
        return tables

    chosen = select_currency(*tables, currency=code)
    # The load report (set-aside rows, an aging report's printed as-of date) stays.
    chosen.invoices.attrs.update(tables.invoices.attrs)
    return chosen


def _format_options(args: argparse.Namespace, kind: str) -> str:
    """The reading options of a run, as ``arcalls check`` takes them."""
    words = []
    for flag, value in (
        ("--preset", args.preset),
        ("--columns", args.columns),
        ("--date-format", args.date_format),
    ):
        if value is not None:
            words += [flag, shlex.quote(str(value))]
    if args.dayfirst is not None:
        words.append("--dayfirst" if args.dayfirst else "--no-dayfirst")
    if args.make_ids and kind != "customers":
        words.append("--make-ids")
    if kind == "calls" and getattr(args, "outcome_map", None) is not None:
        words += ["--outcome-map", shlex.quote(str(args.outcome_map))]
    return "".join(" " + w for w in words)


def resolve_as_of(args: argparse.Namespace, tables: Tables) -> pd.Timestamp:
    """The --as-of date, or else :func:`arcalls.default_as_of` of the inputs.

    The default is the date an aging report prints, else the latest date found in the
    inputs (the export date); a latest date standing alone more than
    :data:`OUTLIER_GAP_DAYS` after the next latest one is refused with where it is.
    The computer's clock is not used: the same files give the same as-of date anywhere.
    """
    if getattr(args, "as_of", None) is not None:
        return args.as_of
    return default_as_of(tables)


def books_line(tables: Tables, as_of: pd.Timestamp, *, book=None) -> str:
    """The open and overdue totals every command prints, the same figures as ``aging``.

    One line, so that the commands run on the same files can be seen (and tested) to
    agree to the cent: open A/R, its invoice count, and overdue as aging counts it.
    ``book``: the run's coded book of these tables (``arcalls.book.book_of``), if built.
    """
    from .._checks import check_one_currency, format_amount
    from ..aging import aging

    currency = check_one_currency(tables.invoices)
    total = aging(tables.invoices, tables.payments, as_of=as_of, by=None, book=book).iloc[0]
    return (
        f"Open A/R on {as_of:%Y-%m-%d}: {format_amount(total['total'], currency)} in "
        f"{plural(int(total['open_invoices']), 'open invoice')}; overdue "
        f"{format_amount(total['overdue'], currency)} (every open dollar past due, "
        "disputed included).\n"
    )


def input_files(args: argparse.Namespace) -> list[Path]:
    """Every file a command reads: its inputs and a ``--columns`` JSON file."""
    files = list(input_paths(args).values())
    columns = getattr(args, "columns", None)
    if columns is not None and Path(columns).is_file():
        files.append(Path(columns))
    if getattr(args, "outcome_map", None) is not None:
        files.append(Path(args.outcome_map))
    return files


def check_outputs_of(args: argparse.Namespace, outputs, *, inputs=()) -> None:
    """Refuse, before any work, outputs that are an input or each other (issue 17.2)."""
    from .._export import check_outputs

    check_outputs([*input_files(args), *inputs], outputs)


def output_dir(path: Path | None, default: str = ".") -> Path:
    """The --out folder, created if missing."""
    folder = Path(path) if path is not None else Path(default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
