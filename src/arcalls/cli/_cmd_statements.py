"""``arcalls statements``: each customer's open items, aged, as CSV and printable HTML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError
from ._common import add_input_arguments, load_tables, output_dir, resolve_as_of
from ._terminal import plural

NAME = "statements"
HELP = "write customer statements (open invoices and credits by aging bucket) as CSV and HTML"


#: Where the statements go without --out (as every command's folder of outputs: under
#: report/).
DEFAULT_OUT = "report/statements"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the command's options to its parser."""
    add_input_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="DIR",
        help="folder for statements.csv, statement_totals.csv and statements.html "
        f"(created if missing; default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--customer",
        action="append",
        metavar="ID",
        help="only this customer's statement (repeat for several)",
    )
    parser.add_argument(
        "--late-charges",
        nargs="+",
        metavar="POLICY",
        help="show the late charges that may apply (never added to the total due): a "
        "policy such as none, monthly:1.5, fee:25:10, uk:5.25 or eu:4.5, then "
        "CUSTOMER=POLICY for customers on other terms",
    )
    parser.add_argument("--business-name", metavar="NAME", help="printed on every statement")
    parser.set_defaults(func=run)


def _policies(specs: list[str] | None):
    """The business policy and the per-customer ones from ``--late-charges``."""
    if not specs:
        return None, {}
    base, overrides = None, {}
    for spec in specs:
        customer, sep, policy = spec.partition("=")
        if sep:
            overrides[customer] = policy
        elif base is None:
            base = spec
        else:
            raise InputError(
                f"--late-charges takes one policy for the business, got {base!r} and {spec!r}. "
                "Write the others as CUSTOMER=POLICY (e.g. C0007=fee:25)."
            )
    return base or "none", overrides


def run(args: argparse.Namespace) -> int:
    """Write the statements; print one line per file and the total due."""
    from .._checks import format_amount
    from ..late_charges import late_charges
    from ..statements import statements, write_statements

    tables = load_tables(args)
    as_of = resolve_as_of(args, tables)
    invoices = tables.invoices
    if args.customer:
        wanted = list(dict.fromkeys(args.customer))
        known = set(invoices["customer_id"].astype(str))
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise InputError(
                f"--customer {unknown[0]!r} has no invoice in the inputs. "
                "Check the id (as in the invoices' customer_id column)."
            )
        invoices = invoices[invoices["customer_id"].astype(str).isin(wanted)]
    base, overrides = _policies(args.late_charges)
    charges = None
    if base is not None:
        charges = late_charges(
            invoices, tables.payments, as_of=as_of, policy=base, customer_policies=overrides
        )
    result = statements(
        invoices, tables.payments, as_of=as_of, customers=tables.customers, late_charges=charges
    )
    folder = output_dir(args.out)
    paths = write_statements(result, folder, business_name=args.business_name)
    out = sys.stdout
    total = result.totals["total_due"].sum()
    out.write(
        f"Statements as of {as_of:%Y-%m-%d} for {plural(len(result.totals), 'customer')} with "
        f"{plural(len(result.items), 'open item')}: "
        f"total due {format_amount(total, result.currency)}"
    )
    if result.has_late_charges:
        extra = format_amount(result.totals["late_charges"].sum(), result.currency)
        out.write(f"; late charges that may apply {extra} (not in the total)")
    out.write(".\n")
    for path in paths:
        out.write(f"Wrote {path}\n")
    return 0
