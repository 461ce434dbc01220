"""The manifest of the adversarial corpus: per file, how it is loaded and what must happen.

Each :class:`Case` names a committed file under ``files/``, the table it is loaded as,
the preset and loader options, and the outcome:

- ``error``: the exact :class:`~arcalls.ArcallsError` subclass raised with
  ``on_bad_rows="raise"``, and ``match``, a regex its message must match; row-level
  messages name the file, the spreadsheet row, the column and the value;
- ``error=None``: a clean load, with ``rows`` rows and a few expected ``values``;
- ``lenient``: ``(rows loaded, rows set aside)`` with ``on_bad_rows="skip"``, where rows
  in = rows loaded + rows set aside. ``None`` means the file cannot load even leniently
  (a table-level problem: the same error is expected).

Expected numbers are worked out from the file's text, not from the loader's output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from arcalls import (
    AmbiguousDateError,
    ArcallsError,
    InputError,
    IntegrityError,
    ParseError,
    SchemaError,
)

FILES = Path(__file__).resolve().parent / "files"
KINDS = ("invoices", "payments", "calls", "customers")
PRESETS = ("ibm_ar", "quickbooks_aging_detail", "xero_aged_receivables_detail")

T = pd.Timestamp


@dataclass(frozen=True)
class Case:
    file: str
    kind: str
    error: type[ArcallsError] | None
    match: str = ""
    preset: str | None = None
    options: dict = field(default_factory=dict)
    #: A corpus file loaded as invoices and passed as ``invoices=`` (payments only).
    invoices_file: str | None = None
    rows: int | None = None
    values: dict = field(default_factory=dict)
    lenient: tuple[int, int] | None = None
    #: The encoding the load report must name (clean loads).
    encoding: str | None = None


def _row(file: str, row: int, column: str, value: str) -> str:
    """The regex of one row problem line: file, row, column and value, as printed."""
    import re

    return (
        f"{re.escape(file)}, row {row}, column {re.escape(repr(column))}: "
        f"value {re.escape(repr(value))}"
    )


CASES: tuple[Case, ...] = (
    # ------------------------------------------------------------------ invoices: layout
    Case("inv_empty.csv", "invoices", InputError, r"inv_empty\.csv is empty"),
    Case("inv_blank_lines_only.csv", "invoices", InputError, r"is empty: expected a header"),
    Case("inv_header_only.csv", "invoices", None, rows=0, lenient=(0, 0)),
    Case(
        "inv_missing_due_date.csv",
        "invoices",
        SchemaError,
        r"inv_missing_due_date\.csv is missing required invoices column\(s\): 'due_date'\. "
        r"Headers found: 'invoice_id', 'customer_id', 'invoice_date', 'amount'",
    ),
    Case(
        "inv_duplicated_amount_column.csv",
        "invoices",
        SchemaError,
        r"more than one column maps to the same canonical column \('amount' from 'amount', "
        r"'Amount'\)",
    ),
    Case(
        "inv_bom.csv",
        "invoices",
        None,
        rows=1,
        values={"invoice_id": ["INV-1"], "amount": [100.0]},
        encoding="utf-8-sig",
        lenient=(1, 0),
    ),
    Case(
        "inv_cp1252.csv",
        "invoices",
        None,
        rows=1,
        values={"customer_name": ["Café Müller “Söhne”"]},
        encoding="cp1252",
        lenient=(1, 0),
    ),
    # Excel's "Unicode Text": UTF-16 with a BOM, tab separated.
    Case(
        "inv_utf16_unicode_text.csv",
        "invoices",
        None,
        rows=1,
        values={"invoice_id": ["INV-1"], "due_date": [T("2026-02-04")], "amount": [100.0]},
        encoding="utf-16",
        lenient=(1, 0),
    ),
    Case(
        "inv_not_text.csv",
        "invoices",
        InputError,
        r"inv_not_text\.csv is neither UTF-8 nor Windows-1252 \(cp1252\) text \(byte 0x81 "
        r"at offset 23\)",
    ),
    # 31/01/2026 decides day-first; 1.234,56 and -12,50 decide the decimal comma.
    Case(
        "inv_semicolon_decimal_comma.csv",
        "invoices",
        None,
        rows=2,
        values={
            "invoice_date": [T("2026-01-31"), T("2026-02-05")],
            "due_date": [T("2026-03-02"), T("2026-03-07")],
            "amount": [1234.56, -12.5],
            "is_credit": [False, True],
        },
        lenient=(2, 0),
    ),
    Case(
        "inv_tabs_dollar_space.csv",
        "invoices",
        None,
        rows=2,
        values={"amount": [1234.0, 99.9]},
        lenient=(2, 0),
    ),
    Case(
        "inv_quoted_newline_in_name.csv",
        "invoices",
        None,
        rows=2,
        values={"customer_name": ["Acme Ltd\nAccounts dept.", "Plain Co"]},
        lenient=(2, 0),
    ),
    # The quote opened in row 3 ("Bolt Co) swallows row 4: refuse rather than lose it.
    Case(
        "inv_unbalanced_quote.csv",
        "invoices",
        ParseError,
        r"inv_unbalanced_quote\.csv, row 3: a quote \(\"\) opened in this row is never closed",
    ),
    # An inch mark inside an unquoted cell is legal CSV: an odd quote count alone is fine.
    Case(
        "inv_inch_mark_unquoted.csv",
        "invoices",
        None,
        rows=1,
        values={"customer_name": ['3/4" Pipe Supply']},
        lenient=(1, 0),
    ),
    # Row 3 has a sixth cell; row 4 stops after the invoice date; row 5's extra cells
    # are empty (a trailing-separator export), which is not a problem.
    Case(
        "inv_ragged_rows.csv",
        "invoices",
        ParseError,
        r"inv_ragged_rows\.csv, row 3: more cells than the header line has columns(.|\n)*"
        + _row("inv_ragged_rows.csv", 4, "due_date", "")
        + ": empty",
        lenient=(2, 2),
    ),
    Case(
        "inv_trailing_total_row.csv",
        "invoices",
        IntegrityError,
        _row("inv_trailing_total_row.csv", 4, "customer_id", "") + r": empty id \(required\)",
        lenient=(2, 1),
    ),
    # ------------------------------------------------------------------ invoices: amounts
    Case(
        "inv_amount_european_quoted.csv",
        "invoices",
        None,
        rows=2,
        values={"amount": [1234.56, 0.99]},
        lenient=(2, 0),
    ),
    Case(
        "inv_amount_parentheses.csv",
        "invoices",
        None,
        rows=2,
        values={"amount": [-45.0, -1000.1], "is_credit": [True, True]},
        lenient=(2, 0),
    ),
    Case(
        "inv_amount_1e308.csv",
        "invoices",
        ParseError,
        _row("inv_amount_1e308.csv", 2, "amount", "1e308") + ": not an amount",
        lenient=(0, 1),
    ),
    Case(
        "inv_amount_nan_inf.csv",
        "invoices",
        ParseError,
        _row("inv_amount_nan_inf.csv", 2, "amount", "NaN")
        + r": not an amount\n.*"
        + _row("inv_amount_nan_inf.csv", 3, "amount", "inf"),
        lenient=(0, 2),
    ),
    # -0 is zero, not a credit note.
    Case(
        "inv_amount_negative_zero.csv",
        "invoices",
        None,
        rows=2,
        values={"amount": [0.0, 0.0], "is_credit": [False, False]},
        lenient=(2, 0),
    ),
    Case(
        "inv_amount_too_large.csv",
        "invoices",
        ParseError,
        _row("inv_amount_too_large.csv", 2, "amount", "1,000,000,000,000.00")
        + r": amount too large",
        lenient=(0, 1),
    ),
    # ------------------------------------------------------------------ invoices: dates
    Case(
        "inv_date_1900.csv",
        "invoices",
        ParseError,
        _row("inv_date_1900.csv", 2, "invoice_date", "1900-01-05") + r": date outside 1970",
        lenient=(0, 1),
    ),
    Case(
        "inv_date_2200.csv",
        "invoices",
        ParseError,
        _row("inv_date_2200.csv", 2, "due_date", "2200-02-04") + r": date outside 1970\.\.2100",
        lenient=(0, 1),
    ),
    Case(
        "inv_date_feb30.csv",
        "invoices",
        ParseError,
        _row("inv_date_feb30.csv", 2, "invoice_date", "2026-02-30") + ": not a date",
        lenient=(0, 1),
    ),
    # Excel serial numbers (46027 = 2026-01-05) are not guessed: one row, both columns.
    Case(
        "inv_excel_serial_dates.csv",
        "invoices",
        ParseError,
        _row("inv_excel_serial_dates.csv", 2, "invoice_date", "46027")
        + r": not a date\n.*"
        + _row("inv_excel_serial_dates.csv", 2, "due_date", "46057"),
        lenient=(0, 1),
    ),
    Case(
        "inv_mixed_date_orders.csv",
        "invoices",
        ParseError,
        r"column 'invoice_date' mixes day-first dates \(e\.g\. '13/01/2026'\) and "
        r"month-first dates \(e\.g\. '01/14/2026'\)",
    ),
    Case(
        "inv_ambiguous_dates.csv",
        "invoices",
        AmbiguousDateError,
        r"column 'invoice_date' has dates like '03/04/2026' that read both day-first and "
        r"month-first(.|\n)*dayfirst=True",
    ),
    # The same file with the order given: 03/04/2026 = 3 April.
    Case(
        "inv_ambiguous_dates.csv",
        "invoices",
        None,
        options={"dayfirst": True},
        rows=2,
        values={"invoice_date": [T("2026-04-03"), T("2026-04-04")]},
        lenient=(2, 0),
    ),
    Case(
        "inv_iso_and_named_dates.csv",
        "invoices",
        None,
        rows=2,
        values={
            "invoice_date": [T("2026-01-05"), T("2026-01-06")],
            "due_date": [T("2026-02-04"), T("2026-02-05")],
        },
        lenient=(2, 0),
    ),
    # ------------------------------------------------------------------ invoices: ids, rows
    Case(
        "inv_leading_zero_ids.csv",
        "invoices",
        None,
        rows=2,
        values={"invoice_id": ["007", "7"], "customer_id": ["0042", "42"]},
        lenient=(2, 0),
    ),
    Case(
        "inv_duplicate_ids.csv",
        "invoices",
        IntegrityError,
        _row("inv_duplicate_ids.csv", 3, "invoice_id", "INV-1")
        + ": duplicate invoice_id: same as row 2",
        lenient=(1, 1),
    ),
    Case(
        "inv_due_before_invoice.csv",
        "invoices",
        IntegrityError,
        _row("inv_due_before_invoice.csv", 2, "due_date", "2026-02-04")
        + ": due date before the invoice date",
        lenient=(0, 1),
    ),
    Case(
        "inv_empty_required_cells.csv",
        "invoices",
        IntegrityError,
        _row("inv_empty_required_cells.csv", 3, "invoice_id", "")
        + r": empty id \(required\)\n.*"
        + _row("inv_empty_required_cells.csv", 4, "amount", ""),
        lenient=(1, 2),
    ),
    # Formula-looking text is data: loaded as text, neutralised only on export.
    Case(
        "inv_formula_names.csv",
        "invoices",
        None,
        rows=4,
        values={
            "customer_id": ["C1", "+C2", "-C3", "@C4"],
            "customer_name": [
                '=HYPERLINK("http://evil.example","click")',
                "+1+1",
                "-2+3",
                "@SUM(A1:A9)",
            ],
        },
        lenient=(4, 0),
    ),
    Case(
        "inv_cr_only_line_endings.csv",
        "invoices",
        None,
        rows=2,
        values={"invoice_id": ["INV-1", "INV-2"], "amount": [100.0, 50.0]},
        lenient=(2, 0),
    ),
    Case("inv_only_a_quote.csv", "invoices", InputError, r"has no header line"),
    Case("inv_no_header_names.csv", "invoices", InputError, r"has no header line"),
    # A NUL byte: the id keeps it (it is text), the amount 'xx\0' is not an amount.
    Case(
        "inv_nul_byte_in_id.csv",
        "invoices",
        ParseError,
        r"inv_nul_byte_in_id\.csv, row 3, column 'amount': value 'xx\\x00': not an amount",
        lenient=(1, 1),
    ),
    # ------------------------------------------------------------------ payments
    Case("pay_header_only.csv", "payments", None, rows=0, lenient=(0, 0)),
    # 250.00 paid on a 100.00 invoice: the loader cannot know the invoice amount; the
    # ledger then shows a credit balance (see test_corpus.py).
    Case(
        "pay_larger_than_invoice.csv",
        "payments",
        None,
        rows=1,
        values={"amount": [250.0]},
        invoices_file="inv_bom.csv",
        lenient=(1, 0),
    ),
    Case(
        "pay_unknown_invoice.csv",
        "payments",
        IntegrityError,
        _row("pay_unknown_invoice.csv", 3, "invoice_id", "INV-404")
        + ": payment to an invoice id not in the invoices given",
        invoices_file="inv_bom.csv",
        lenient=(1, 1),
    ),
    Case(
        "pay_missing_payment_id.csv",
        "payments",
        SchemaError,
        r"missing required payments column\(s\): 'payment_id'(.|\n)*make_ids=True",
    ),
    Case(
        "pay_missing_payment_id.csv",
        "payments",
        None,
        options={"make_ids": True},
        rows=2,
        values={"payment_id": ["row-2", "row-3"], "amount": [50.0, 50.0]},
        lenient=(2, 0),
    ),
    Case(
        "pay_duplicate_ids.csv",
        "payments",
        IntegrityError,
        _row("pay_duplicate_ids.csv", 3, "payment_id", "P1") + ": duplicate payment_id",
        lenient=(1, 1),
    ),
    # 15.02.2026 decides day-first for the column, so 01.02.2026 is 1 February.
    Case(
        "pay_decimal_comma_semicolon.csv",
        "payments",
        None,
        rows=2,
        values={
            "payment_date": [T("2026-02-01"), T("2026-02-15")],
            "amount": [1000.0, 0.5],
        },
        lenient=(2, 0),
    ),
    Case(
        "pay_garbage_amounts.csv",
        "payments",
        ParseError,
        _row("pay_garbage_amounts.csv", 2, "amount", "fifty")
        + r": not an amount\n.*"
        + _row("pay_garbage_amounts.csv", 3, "amount", "12.3.4")
        + r": not an amount\n.*"
        + _row("pay_garbage_amounts.csv", 4, "amount", "--5"),
        lenient=(0, 3),
    ),
    # ------------------------------------------------------------------ calls
    Case(
        "calls_promise_before_call.csv",
        "calls",
        IntegrityError,
        _row("calls_promise_before_call.csv", 2, "promise_date", "2026-02-01")
        + ": promise date before the call",
        lenient=(0, 1),
    ),
    # A call dated 2099 loads (the loader has no as-of date); analyses as of a date
    # ignore it (see test_invariants.py).
    Case(
        "calls_in_the_future.csv",
        "calls",
        None,
        rows=2,
        values={"called_at": [T("2099-01-01 09:00"), T("2026-02-10 10:00")]},
        lenient=(2, 0),
    ),
    Case(
        "calls_unknown_outcome.csv",
        "calls",
        ParseError,
        _row("calls_unknown_outcome.csv", 2, "outcome", "Sent fax")
        + r": unknown call outcome: map it with outcome_map=\{'Sent fax'",
        lenient=(0, 1),
    ),
    Case(
        "calls_quoted_newlines_in_notes.csv",
        "calls",
        None,
        options={"outcome_map": {"Left VM": "voicemail"}},
        rows=2,
        values={
            "outcome": ["promise", "voicemail"],
            "notes": [
                "Spoke to Ann.\nWill pay on the 20th.\n\nCall Bob if not.",
                "line one\nline two",
            ],
            "promise_amount": [100.0, float("nan")],
        },
        lenient=(2, 0),
    ),
    Case(
        "calls_quoted_newlines_in_notes.csv",
        "calls",
        ParseError,
        _row("calls_quoted_newlines_in_notes.csv", 3, "outcome", "Left VM")
        + ": unknown call outcome",
        lenient=(1, 1),
    ),
    # Offsets and zone abbreviations are not guessed: the business's clock is naive.
    Case(
        "calls_time_zone_offsets.csv",
        "calls",
        ParseError,
        _row("calls_time_zone_offsets.csv", 2, "called_at", "2026-02-10T10:00:00+05:00")
        + r": not a date\n.*"
        + _row("calls_time_zone_offsets.csv", 3, "called_at", "2026-02-10 10:00 PST"),
        lenient=(0, 2),
    ),
    Case(
        "calls_formula_notes.csv",
        "calls",
        None,
        rows=2,
        values={"notes": ["=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]},
        lenient=(2, 0),
    ),
    Case(
        "calls_bad_duration.csv",
        "calls",
        ParseError,
        _row("calls_bad_duration.csv", 2, "duration_s", "1m30s")
        + r": not a whole number\n.*"
        + _row("calls_bad_duration.csv", 3, "duration_s", "12.5"),
        lenient=(0, 2),
    ),
    Case(
        "calls_am_pm_times.csv",
        "calls",
        None,
        rows=2,
        values={"called_at": [T("2026-02-10 09:15"), T("2026-02-13 12:30")]},
        lenient=(2, 0),
    ),
    # ------------------------------------------------------------------ customers
    Case("cust_header_only.csv", "customers", None, rows=0, lenient=(0, 0)),
    Case(
        "cust_unknown_timezone.csv",
        "customers",
        ParseError,
        _row("cust_unknown_timezone.csv", 3, "timezone", "Mars/Olympus_Mons")
        + ": unknown time zone",
        lenient=(2, 1),
    ),
    Case(
        "cust_do_not_call_maybe.csv",
        "customers",
        ParseError,
        _row("cust_do_not_call_maybe.csv", 2, "do_not_call", "maybe") + ": not a yes/no value",
        lenient=(0, 1),
    ),
    Case(
        "cust_formula_names.csv",
        "customers",
        None,
        rows=3,
        values={
            "customer_name": ["=1+1", "@Bolt", "-Crane-"],
            "phone": ["=2+2", "+1 555 0101", "555-0102"],
        },
        lenient=(3, 0),
    ),
    Case(
        "cust_duplicate_ids.csv",
        "customers",
        IntegrityError,
        _row("cust_duplicate_ids.csv", 3, "customer_id", "C1") + ": duplicate customer_id",
        lenient=(1, 1),
    ),
    Case(
        "cust_no_customer_id.csv",
        "customers",
        SchemaError,
        r"missing required customers column\(s\): 'customer_id'\. Headers found: 'Name', "
        r"'Phone'",
    ),
    # ------------------------------------------------------------------ preset ibm_ar
    Case(
        "ibm_ar_ok.csv",
        "invoices",
        None,
        preset="ibm_ar",
        rows=2,
        values={
            "invoice_id": ["0000611365", "0007900770"],
            "customer_id": ["0001-AAAAA", "0002-BBBBB"],
            "due_date": [T("2013-02-01"), T("2013-02-25")],
            "amount_paid": [55.94, 61.74],
            "disputed": [False, True],
            "paperless": [False, True],
        },
        lenient=(2, 0),
    ),
    # Row 3: settled 3/3/2013, due 2/25/2013 = 6 days late, the file says 9.
    Case(
        "ibm_ar_days_late_mismatch.csv",
        "invoices",
        IntegrityError,
        _row("ibm_ar_days_late_mismatch.csv", 3, "DaysLate", "9")
        + r": does not match max\(0, SettledDate - DueDate\) = 6 days",
        preset="ibm_ar",
        lenient=(1, 1),
    ),
    Case(
        "ibm_ar_missing_due_date.csv",
        "invoices",
        SchemaError,
        r"missing required invoices column\(s\): 'due_date'",
        preset="ibm_ar",
    ),
    Case(
        "ibm_ar_bad_amount.csv",
        "invoices",
        ParseError,
        _row("ibm_ar_bad_amount.csv", 2, "InvoiceAmount", "55.94 USD?") + ": not an amount",
        preset="ibm_ar",
        lenient=(0, 1),
    ),
    # ------------------------------------------------------------------ preset QuickBooks
    # The invoice and the credit memo both load (a credit of its customer, due on its
    # own date); the customer named like a formula is data. TOTAL 1,125.00 = 1,200.00
    # - 75.00 = the loaded open balances.
    Case(
        "qb_aging_ok.csv",
        "invoices",
        None,
        preset="quickbooks_aging_detail",
        rows=2,
        values={
            "invoice_id": ["1042", "1038"],
            "customer_id": ['=HYPERLINK("http://x")', "Cool Cars"],
            "open_balance": [1200.0, -75.0],
            "due_date": [T("2026-12-20"), T("2026-10-30")],
        },
        lenient=(2, 0),
    ),
    Case(
        "qb_aging_total_mismatch.csv",
        "invoices",
        IntegrityError,
        r"the rows' Open Balance add up to 1,200\.00 but the TOTAL line \(row 8\) says "
        r"1,300\.00",
        preset="quickbooks_aging_detail",
    ),
    Case(
        "qb_not_a_quickbooks_report.csv",
        "invoices",
        InputError,
        r"no header line of the expected report was found",
        preset="quickbooks_aging_detail",
    ),
    Case(
        "qb_bad_due_date.csv",
        "invoices",
        ParseError,
        _row("qb_bad_due_date.csv", 6, "Due Date", "13/45/2026") + ": not a date",
        preset="quickbooks_aging_detail",
        lenient=(0, 1),
    ),
    # ------------------------------------------------------------------ preset Xero
    Case(
        "xero_aged_ok.csv",
        "invoices",
        None,
        preset="xero_aged_receivables_detail",
        rows=2,
        values={
            "invoice_id": ["INV-0041", "INV-0027"],
            "customer_id": ["Bayside Club", "@Evil Contact"],
            "open_balance": [234.0, 1050.0],
        },
        lenient=(2, 0),
    ),
    Case(
        "xero_aged_total_mismatch.csv",
        "invoices",
        IntegrityError,
        r"the rows' Total add up to 234\.00 but the TOTAL line \(row 8\) says 999\.00",
        preset="xero_aged_receivables_detail",
    ),
    Case(
        "xero_not_a_xero_report.csv",
        "invoices",
        InputError,
        r"no header line of the expected report was found",
        preset="xero_aged_receivables_detail",
    ),
    Case(
        "xero_bad_amount.csv",
        "invoices",
        ParseError,
        _row("xero_bad_amount.csv", 7, "Total", "two hundred") + ": not an amount",
        preset="xero_aged_receivables_detail",
        lenient=(0, 1),
    ),
)
