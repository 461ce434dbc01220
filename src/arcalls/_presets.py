"""Presets: how real exports map onto the canonical schema.

A preset is the same machinery as ``columns=`` plus, for report-shaped exports, a
``prepare`` step that finds the header under the title lines, drops section and total
lines (layout, not rows), keeps every transaction row (credit memos, payments,
overpayments: credits of their customer, so the loaded open total is the report's own
TOTAL line) and reads the report date; ``derive`` fills canonical columns the export
implies; ``check`` compares figures the export carries twice (a printed total, days
late) with the rows.

Extra (non-canonical) columns a preset keeps are listed in its ``extra_columns``:

- ``ibm_ar``: ``country`` (text, from ``countryCode``: a useful segment) and
  ``paperless`` (bool, from ``PaperlessBill``: Electronic = True).
- ``quickbooks_aging_detail``: ``transaction_type`` (text: Invoice, Credit Memo,
  Payment, Journal Entry...). A row without a ``Num`` gets the id ``row-<n>``.
- ``xero_aged_receivables_detail``: a row whose Invoice Number is empty or a label
  (``Overpayment``, ``Prepayment``) gets the id ``row-<n>`` (``Overpayment row-<n>``) and,
  without a due date, is due on its own date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from . import _parse
from .errors import IntegrityError

_CheckResult = Iterable[tuple[pd.Series, str, pd.Series, pd.Series | str]]


@dataclass(frozen=True)
class Prepared:
    """What a preset's ``prepare`` returns: the data rows, rows set aside by rule, as-of."""

    raw: _parse.RawTable
    set_aside: pd.DataFrame | None = None
    as_of: pd.Timestamp | None = None


@dataclass(frozen=True)
class Preset:
    """A built-in export format.

    Attributes
    ----------
    name, table, description : str
        Registry name, the canonical table it loads, and what export it reads.
    columns : mapping
        Export header -> canonical name (None: ignore the column).
    extra_columns : mapping
        Non-canonical columns kept, name -> kind.
    dayfirst, date_format
        How the export writes dates (a user's own option wins).
    find_header, prepare, derive, check : callables, optional
        Report layout handling; see the module docstring.
    """

    name: str
    table: str
    description: str
    columns: Mapping[str, str | None] = field(default_factory=dict)
    extra_columns: Mapping[str, str] = field(default_factory=dict)
    dayfirst: bool | None = None
    date_format: str | None = None
    find_header: Callable[[list[list[str]]], int | None] | None = None
    prepare: Callable[[_parse.RawTable], Prepared] | None = None
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    check: Callable[[pd.DataFrame, _parse.RawTable], _CheckResult] | None = None


# --------------------------------------------------------------------------- helpers


def _header_with(*names: str) -> Callable[[list[list[str]]], int | None]:
    wanted = {_parse.normalize_header(n) for n in names}

    def find(lines: list[list[str]]) -> int | None:
        for i, cells in enumerate(lines):
            if wanted <= {_parse.normalize_header(c) for c in cells}:
                return i
        return None

    return find


def _report_date(raw: _parse.RawTable, pattern: str) -> pd.Timestamp | None:
    found = _parse.first_cell_matching(raw.preamble, re.compile(pattern, re.I))
    if found is None:
        return None
    value = pd.Series([found.group(1).strip()], dtype=object)
    parsed, problems = _parse.parse_dates(
        value, rule=_parse.DateRule(dayfirst=False), with_time=False, where=raw.name
    )
    return None if pd.isna(parsed.iloc[0]) else pd.Timestamp(parsed.iloc[0])


def _rule_aside(raw: _parse.RawTable, mask: np.ndarray, reason: pd.Series) -> pd.DataFrame:
    """Rows a preset sets aside by rule, shaped like the loader's set-aside table."""
    cells = raw.cells[mask].astype("string")
    cells.columns = [h or "(no header)" for h in raw.headers]
    return pd.concat(
        [
            pd.DataFrame({"row": pd.Series(raw.rows[mask], dtype="Int64")}),
            cells.reset_index(drop=True),
            pd.DataFrame({"problem": pd.Series(reason[mask].to_numpy(), dtype="string")}),
        ],
        axis=1,
    )


def _first_filled(raw: _parse.RawTable) -> pd.Series:
    """Each row's first non-empty cell (section and contact labels sit there)."""
    stripped = raw.cells.apply(lambda c: c.str.strip()).to_numpy(dtype=object)
    if stripped.shape[1] == 0:
        return pd.Series("", index=raw.cells.index, dtype=object)
    # numpy rather than bfill(axis=1): no object-dtype downcasting (a pandas FutureWarning).
    filled = stripped != ""
    first = stripped[np.arange(len(stripped)), filled.argmax(axis=1)]
    return pd.Series(np.where(filled.any(axis=1), first, ""), index=raw.cells.index).astype(str)


def _check_total(raw: _parse.RawTable, data: np.ndarray, total_row: np.ndarray, col: str) -> None:
    """The printed grand total must equal the sum of the rows, to the cent."""
    values = raw.column(col)
    if values is None or not total_row.any():
        return
    amounts, bad = _parse.parse_amount(values)
    if bad[data].notna().any() or bad[total_row].notna().any():
        return  # the unreadable cells are reported row by row instead
    printed = float(amounts[total_row].iloc[-1])
    summed = round(float(amounts[data].sum()), 2)
    if abs(summed - printed) >= 0.005:
        row = int(raw.rows[np.flatnonzero(total_row)[-1]])
        raise IntegrityError(
            f"{raw.name}: the rows' {col} add up to {summed:,.2f} but the TOTAL line (row "
            f"{row}) says {printed:,.2f}: the export is incomplete or was edited. Export "
            "the report again without filters or collapsed sections."
        )


# --------------------------------------------------------------------------- ibm_ar


def _ibm_prepare(raw: _parse.RawTable) -> Prepared:
    paperless = raw.column("PaperlessBill")
    if paperless is not None:
        pos = [_parse.normalize_header(h) for h in raw.headers].index("paperlessbill")
        cells = raw.cells.copy()
        low = paperless.str.strip().str.lower()
        cells[pos] = paperless.mask(low == "electronic", "yes").mask(low == "paper", "no")
        raw = _parse.RawTable(
            raw.name,
            raw.encoding,
            raw.sep,
            raw.headers,
            cells,
            raw.rows,
            raw.preamble,
            raw.notes,
            raw.extra,
        )
    return Prepared(raw)


def _ibm_derive(frame: pd.DataFrame) -> pd.DataFrame:
    # Every invoice in the file is settled in full: the settlement is the whole amount.
    if "paid_date" not in frame:
        return frame
    return frame.assign(amount_paid=frame["amount"].where(frame["paid_date"].notna()))


def _ibm_check(frame: pd.DataFrame, raw: _parse.RawTable) -> _CheckResult:
    if "paid_date" not in frame:
        return
    to_settle = (frame["paid_date"] - frame["invoice_date"]).dt.days
    late = (frame["paid_date"] - frame["due_date"]).dt.days.clip(lower=0)
    for header, expected, meaning in (
        ("DaysToSettle", to_settle, "SettledDate - InvoiceDate"),
        ("DaysLate", late, "max(0, SettledDate - DueDate)"),
    ):
        cells = raw.column(header)
        if cells is None:
            continue
        given = pd.to_numeric(cells.str.strip(), errors="coerce")
        wrong = expected.notna() & (given != expected)
        yield (
            wrong,
            header,
            cells,
            f"does not match {meaning} = " + expected.astype("Int64").astype(str) + " days",
        )


IBM_AR = Preset(
    name="ibm_ar",
    table="invoices",
    description="IBM Watson Analytics accounts-receivable sample (WA_Fn-UseC_-Accounts-"
    "Receivable.csv): one settled invoice a row.",
    columns={
        "invoiceNumber": "invoice_id",
        "customerID": "customer_id",
        "InvoiceDate": "invoice_date",
        "DueDate": "due_date",
        "InvoiceAmount": "amount",
        "Disputed": "disputed",
        "SettledDate": "paid_date",
        "countryCode": "country",
        "PaperlessBill": "paperless",
    },
    extra_columns={"country": "text", "paperless": "bool"},
    dayfirst=False,
    prepare=_ibm_prepare,
    derive=_ibm_derive,
    check=_ibm_check,
)


# --------------------------------------------------------------------------- QuickBooks


def _qb_prepare(raw: _parse.RawTable) -> Prepared:
    kind = raw.column("Transaction Type")
    kind = kind.str.strip() if kind is not None else pd.Series("", index=raw.cells.index)
    label = _first_filled(raw).str.lower()
    # The time-stamp line at the end ("Wednesday, Nov 25, 2026 09:14:03 AM ...") splits
    # into cells when unquoted; it is layout, like section and total lines.
    stamp = label.str.fullmatch(r"(?:mon|tues|wednes|thurs|fri|satur|sun)day").to_numpy()
    transaction = (kind != "").to_numpy() & ~stamp
    total_row = (~transaction) & (label == "total").to_numpy()
    _check_total(raw, transaction, total_row, "Open Balance")
    # Credit memos, payments (unapplied or partly applied) and journal entries are part
    # of the receivable the TOTAL line adds up: every transaction row loads, as a debit
    # or a credit of its customer.
    kept = raw.take(transaction)
    kept = _fill_missing_ids(kept, "Num")
    credit = kind[transaction].str.lower() != "invoice"
    kept = _due_on_own_date(kept, "Due Date", "Date", credit)
    # The applied part of a payment or credit memo is already in the open balance of the
    # invoices it paid: the credit's receivable is what is still unapplied, its Open
    # Balance (else it would become a negative "payment" on its own date).
    opened = kept.column("Open Balance")
    if opened is not None and kept.column("Amount") is not None:
        credit_cells = credit.to_numpy() & (opened.str.strip() != "").to_numpy()
        kept = _replace_column(kept, "Amount", kept.column("Amount").mask(credit_cells, opened))
    customer = kept.column("Customer")
    if customer is not None:
        kept = kept.with_column("customer_name", customer)
    return Prepared(kept, None, _report_date(raw, r"^As of (.+)$"))


def _fill_missing_ids(raw: _parse.RawTable, header: str) -> _parse.RawTable:
    """A transaction without a number (a payment, mostly) gets ``row-<spreadsheet row>``."""
    ids = raw.column(header)
    if ids is None:
        return raw
    empty = (ids.str.strip() == "").to_numpy()
    if not empty.any():
        return raw
    made = pd.Series("row-" + pd.Series(raw.rows).astype(str).to_numpy(), index=ids.index)
    return _replace_column(raw, header, ids.mask(empty, made))


def _due_on_own_date(
    raw: _parse.RawTable, due_header: str, date_header: str, applies: pd.Series
) -> _parse.RawTable:
    """A credit (credit memo, payment) with no due date is due, and aged, from its date."""
    due, date = raw.column(due_header), raw.column(date_header)
    if due is None or date is None:
        return raw
    empty = (due.str.strip() == "").to_numpy() & np.asarray(applies, dtype=bool)
    if not empty.any():
        return raw
    return _replace_column(raw, due_header, due.mask(empty, date))


def _replace_column(raw: _parse.RawTable, header: str, values: pd.Series) -> _parse.RawTable:
    pos = [_parse.normalize_header(h) for h in raw.headers].index(_parse.normalize_header(header))
    cells = raw.cells.copy()
    cells[pos] = values.to_numpy(dtype=object)
    return _parse.RawTable(
        raw.name,
        raw.encoding,
        raw.sep,
        raw.headers,
        cells,
        raw.rows,
        raw.preamble,
        raw.notes,
        raw.extra,
    )


QUICKBOOKS_AGING_DETAIL = Preset(
    name="quickbooks_aging_detail",
    table="invoices",
    description="QuickBooks Online 'A/R Aging Detail' report saved as CSV: every "
    "transaction row loads (invoices; credit memos and payments as credits of their "
    "customer, due on their own date); the loaded open total is the TOTAL line.",
    columns={
        "Date": "invoice_date",
        "Num": "invoice_id",
        "Customer": "customer_id",
        "Due Date": "due_date",
        "Amount": "amount",
        "Open Balance": "open_balance",
        "Past Due": None,
        "Transaction Type": "transaction_type",
    },
    extra_columns={"transaction_type": "text"},
    dayfirst=False,
    find_header=_header_with("Transaction Type", "Num", "Due Date", "Open Balance"),
    prepare=_qb_prepare,
)


# --------------------------------------------------------------------------- Xero


#: What Xero prints in the Invoice Number column of a row that is no invoice: many rows
#: may say it, so it cannot be their id.
_XERO_UNNUMBERED = ("overpayment", "prepayment", "credit note", "payment")


def _xero_prepare(raw: _parse.RawTable) -> Prepared:
    number = raw.column("Invoice Number").str.strip()
    date, total = raw.column("Invoice Date"), raw.column("Total")
    # A transaction is a row with a number, or (overpayments, prepayments, unapplied
    # receipts) a date and an amount: a contact line has neither, a total line no date.
    label = _first_filled(raw)
    totals = label.str.lower().str.startswith("total")
    dated = (date.str.strip() != "") & (total.str.strip() != "") if date is not None else False
    data = ((number != "") | (dated & ~totals)).to_numpy()
    total_row = (~data) & (label.str.lower() == "total").to_numpy()
    _check_total(raw, data, total_row, "Total")
    contact = raw.column("Contact")
    if contact is None:
        # Without a Contact column, each contact's name is a line of its own above its
        # invoices; "Total <contact>" lines close the group.
        is_name = (~data) & ~label.str.lower().str.startswith("total").to_numpy()
        # string dtype: an all-empty object column would warn about downcasting on ffill.
        contact = label.astype("string").where(is_name).ffill().fillna("").where(data, "")
    kept = raw.with_column("customer_id", contact).with_column("customer_name", contact)
    if raw.column("Invoice Total") is None and raw.column("Total") is not None:
        # The detail report prints only what is still owed: the open balance stands in
        # for the original amount (documented; amount_paid is then unknown).
        kept = kept.with_column("amount", raw.column("Total"))
    kept = kept.take(data)
    # Overpayments, prepayments and unapplied receipts are credits of their contact: an
    # id of their own (the label and the row), due, and aged, from their own date.
    number = kept.column("Invoice Number").str.strip()
    generic = number.str.lower().isin(_XERO_UNNUMBERED)
    made = "row-" + pd.Series(kept.rows, index=number.index).astype(str)
    ids = number.mask(generic, number + " " + made).mask(number == "", made)
    kept = _replace_column(kept, "Invoice Number", ids)
    kept = _due_on_own_date(kept, "Due Date", "Invoice Date", (generic | (number == "")))
    return Prepared(kept, None, _report_date(raw, r"^As at (.+)$"))


XERO_AGED_RECEIVABLES_DETAIL = Preset(
    name="xero_aged_receivables_detail",
    table="invoices",
    description="Xero 'Aged Receivables Detail' report exported as CSV: contact name lines "
    "above each contact's invoices; Total = the open balance. Credit notes, overpayments, "
    "prepayments and unapplied receipts load as credits of their contact.",
    columns={
        "Invoice Date": "invoice_date",
        "Invoice Number": "invoice_id",
        "Due Date": "due_date",
        "Total": "open_balance",
        "Invoice Total": "amount",
        "Contact": None,
        "Reference": None,
    },
    find_header=_header_with("Invoice Number", "Due Date", "Total"),
    prepare=_xero_prepare,
)


#: The registry of built-in presets, name -> :class:`Preset`.
PRESETS: Mapping[str, Preset] = MappingProxyType(
    {p.name: p for p in (IBM_AR, QUICKBOOKS_AGING_DETAIL, XERO_AGED_RECEIVABLES_DETAIL)}
)
