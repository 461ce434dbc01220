"""``arcalls follow-ups``: after ``log-calls``, a written confirmation of each call.

For every customer reached in the window (default: the as-of date's week), a
confirmation of what was agreed, the open invoices and total due on the as-of date, the
late charges that may apply and how to pay: an email draft per customer with an email
address, a printable HTML letter per customer, and a mail-merge CSV.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError
from ._cmd_statements import _policies
from ._common import (
    _parse_date,
    add_input_arguments,
    check_outputs_of,
    input_files,
    load_tables,
    output_dir,
    resolve_as_of,
)
from ._terminal import plural

NAME = "follow-ups"
HELP = (
    "write the confirmation of each call that reached a customer (email drafts, "
    "printable letters, a mail-merge CSV): what was agreed, what is owed, how to pay"
)

#: Where the confirmations go without --out (as every command's folder of outputs:
#: under report/).
DEFAULT_OUT = "report/follow-ups"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the command's options to its parser."""
    from ..followups import DEFAULT_BUSINESS_NAME

    add_input_arguments(parser)
    parser.add_argument(
        "--since",
        type=_parse_date,
        metavar="DATE",
        help="confirm the calls from this day to the as-of date (default: the Monday of "
        "the as-of date's week)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="DIR",
        help="folder for follow_ups.csv, follow_ups.html and follow_ups_eml/ "
        f"(created if missing; default {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--late-charges",
        nargs="+",
        metavar="POLICY",
        help="state the late charges that may apply (never added to the total due), as "
        "for statements: a policy such as monthly:1.5, then CUSTOMER=POLICY",
    )
    parser.add_argument(
        "--how-to-pay",
        metavar="TEXT_OR_FILE",
        help="how to pay (bank details, a payment link), or a text file holding it",
    )
    parser.add_argument(
        "--business-name",
        default=DEFAULT_BUSINESS_NAME,
        metavar="NAME",
        help=f"who the letters are from (default {DEFAULT_BUSINESS_NAME!r})",
    )
    parser.add_argument("--phone", metavar="NUMBER", help="your number, in the closing line")
    parser.add_argument(
        "--from",
        dest="sender",
        metavar="ADDRESS",
        help="the From address of the email drafts (default: left to your mail program)",
    )
    parser.set_defaults(func=run)


def _how_to_pay(text: str | None) -> tuple[str | None, Path | None]:
    """The --how-to-pay text, read from the file it names when it names one."""
    if text is None:
        return None, None
    path = Path(text)
    if path.is_file():
        content = path.read_text(encoding="utf-8").strip()
        if not content:
            raise InputError(f"--how-to-pay {path} is empty: write how to pay in it.")
        return content, path
    if path.suffix.lower() in {".txt", ".text", ".md"}:
        # A typo in a file name must not be printed in every letter as the text.
        raise InputError(
            f"--how-to-pay {text} looks like a file name, but there is no such file. "
            'Check the path, or give the text itself: --how-to-pay "ACH to account 12345678".'
        )
    return text, None


def run(args: argparse.Namespace) -> int:
    """Write the confirmations; print what was written and who gets a letter only."""
    from ..followups import EML_FOLDER, FOLLOW_UP_FILES, follow_ups, write_follow_ups

    how_to_pay, pay_file = _how_to_pay(args.how_to_pay)
    extra = [pay_file] if pay_file is not None else []
    check_outputs_of(args, [args.out / name for name in FOLLOW_UP_FILES], inputs=extra)
    tables = load_tables(args)
    if tables.calls is None:
        raise InputError(
            "arcalls follow-ups needs a call log (it confirms the calls logged): pass "
            "--calls FILE or a file named calls.csv among the inputs."
        )
    as_of = resolve_as_of(args, tables)
    base, overrides = _policies(args.late_charges)
    result = follow_ups(
        *tables,
        as_of=as_of,
        since=args.since,
        late_charges=base,
        customer_policies=overrides or None,
        how_to_pay=how_to_pay,
        business_name=args.business_name,
        business_phone=args.phone,
        sender=args.sender,
    )
    folder = output_dir(args.out)
    paths = write_follow_ups(result, folder, inputs=[*input_files(args), *extra])
    out = sys.stdout
    out.write(result.describe() + "\n")
    out.write(f"Wrote {paths[0]} (mail merge: one row per confirmation)\n")
    out.write(f"Wrote {paths[1]} (printable letters, one customer a page)\n")
    drafts = len(paths) - 2
    if drafts:
        out.write(f"Wrote {plural(drafts, 'email draft')} in {folder / EML_FOLDER}\n")
    return 0
