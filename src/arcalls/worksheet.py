"""The call list as the collector's worksheet: call sheets out, the filled list back in.

:func:`call_sheets` gathers, for each listed account, every fact a caller needs before
dialling (open invoices, terms, last payments, last calls, the last promise, an opening
line and the third-party reminder), as of the list's as-of date. The Excel call list
(:func:`arcalls.write_call_list`) carries empty, validated columns for the caller
(:data:`ENTRY_COLUMNS`); :func:`read_filled_list` reads them back, refusing bad rows,
and :func:`append_calls` adds them to the call log safely.

Rules, as implemented:

- **Point in time.** Balances come from :func:`arcalls.invoice_balances` on the as-of
  date; payments dated on or before it and calls made on or before that day are shown.
- **Opening line.** ``"Hello, this is {caller} from {business}. I'm calling about
  invoice(s) A, B totalling $X, overdue since {oldest due date}. Can we count on
  payment by {as_of + ask_days}?"``. The invoices are the chased ones (undisputed,
  past due, positive open amount, oldest due first; at most
  :data:`MAX_INVOICES_IN_LINE` named, the rest counted) and the total is the list's
  overdue balance (open credit notes already deducted, said so when there are any).
  The caller is ``caller=`` when given, else the collector of the account's last call
  (the voice the customer knows), else :data:`DEFAULT_CALLER`.
- **Promise shown.** The open promise if any, else the latest, as in the list itself.
- **Who pays.** The payments contact of the latest call up to the as-of date that
  recorded one, with that call's day. The voicemail and third-party scripts ask for
  that person (else the contact) and never mention the debt.
- **Filled rows.** A row is a call when any entry cell is filled. ``called_at`` and
  ``outcome`` are required; the outcome must be one of the vocabulary; a ``promise``
  needs ``new_promise_date`` (amount optional, > 0); promise fields on another outcome
  are refused; a ``plan`` needs its fields (``plan_amount``, ``plan_instalments``,
  ``plan_first_date``, ``plan_frequency``, or a ``plan_schedule``; the rules of
  :mod:`arcalls.plans`) and plan fields on another outcome are refused; the call must
  be on or after the list's as-of day and not after the time of reading; the account
  must be on the list. Any outcome may carry a ``callback_at`` (a date and time not
  before the call's own; a date alone means that day) and the ``payments_contact`` and
  ``payments_contact_title`` learnt on the call. All problems are reported at once.
- **Call ids** are ``LOG-<as_of YYYYMMDD>-<customer_id>-<called_at YYYYMMDDHHMM>-r<row>``:
  the same list read twice gives the same ids, and :func:`append_calls` skips calls
  whose id, or whose customer, time and outcome, are already in the log.
- **Corrections.** An entry's identity is its list, account and Excel row. A row edited
  after it was logged (time, outcome, promise or notes corrected) replaces its earlier
  entry in the log; the earlier entry stays in the dated backup. Rows for second calls
  go below the list, so that the rows already logged keep their numbers.
- **Refused as ambiguous**: a bare number in a date column (an Excel serial typed into a
  cell not formatted as a date), a ``called_at`` without a time of day, and promise
  amounts typed as text in European style (``1.500``, ``15,00``).
- **The list's accounts** are stored in the workbook (document properties), so a row
  the caller inserts for a second call is accepted when its ``customer_id`` was on the
  list, and deleting or sorting rows does no harm.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import format_amounts
from ._excel import read_properties
from ._export import atomic_path, locking, neutralize_formulas, restore_text
from ._parse import MAX_ABS_AMOUNT
from ._plan_rules import plan_problems
from ._text import markup_cells, markup_text
from .calllist import CallList
from .errors import InputError, OutputError, SchemaError, empty_problems, format_problems
from .ledger import invoice_balances, resolve_payments
from .listbook import (
    CALL_COLUMNS,
    CALLBACK_ENTRY_COLUMNS,
    ENTRY_COLUMNS,
    EXCEL_HEADERS,
    KIND_CALL_LIST,
    LIST_SHEET,
    PLAN_ENTRY_COLUMNS,
    PROPERTY_ACCOUNTS,
    PROPERTY_AS_OF,
    PROPERTY_KIND,
    excel_header,
)

# Defined by the list's layout; read here as before by callers of this module.
from .listbook import SCREEN_ENTRY_COLUMNS as SCREEN_ENTRY_COLUMNS
from .listbook import SHEETS_SHEET as SHEETS_SHEET
from .schema import CALLS, OUTCOMES, dtype_of, round_money

__all__ = [
    "CallSheets",
    "CallLogUpdate",
    "ENTRY_COLUMNS",
    "call_sheets",
    "write_call_sheets",
    "read_filled_list",
    "append_calls",
]

#: Who "we" are in the opening line when no ``business_name`` is given.
DEFAULT_BUSINESS_NAME = "our company"
#: Who is calling when no ``caller`` is given and the account was never called.
DEFAULT_CALLER = "your account manager"
#: The opening line asks for payment by the as-of date plus this many days.
DEFAULT_ASK_DAYS = 7
#: Payments and calls shown per account (the latest ones).
DEFAULT_LAST_PAYMENTS = 3
DEFAULT_LAST_CALLS = 3
#: At most this many invoice numbers are read out in the opening line.
MAX_INVOICES_IN_LINE = 5
#: Third-party reminder; ``{contact}`` is the account's contact name.
THIRD_PARTY_LINE = (
    "If you reach anyone but {contact}, leave only your name and number: never mention the debt."
)
#: Stands in for a missing contact name in the reminder.
UNKNOWN_CONTACT = "the account's contact"
#: Stands in for the business's number in the scripts when no ``business_phone`` is given.
PHONE_PLACEHOLDER = "[your phone number]"
#: Who the scripts ask for when neither a payments contact nor a contact is known.
UNKNOWN_PAYER = "the person who handles your payments"

# -- call sheets ----------------------------------------------------------------------


@dataclass(frozen=True)
class CallSheets:
    """Everything a caller needs per listed account, as of the list's date.

    Attributes
    ----------
    accounts : DataFrame
        One row per listed account, in list order: ``rank``, ``customer_id``,
        ``customer_name``, ``contact_name``, ``phone``, ``best_time_to_call``,
        ``terms``, ``open_balance``, ``overdue_balance``, ``credits``,
        ``overdue_since``, ``ask_by``, ``caller``, ``action``, ``action_reason``,
        ``opening_line``, ``third_party_line``, ``payments_contact``,
        ``payments_contact_title``, ``payments_contact_noted`` (the day of the call that
        recorded them), ``payments_line`` ("Payments handled by: Jane Roe (Accounts
        payable), noted 2026-11-02"; empty when none is known), ``voicemail_script``,
        ``third_party_script``, ``payment_plan`` (the account's latest plan: status, paid
        so far, next instalment, schedule; NA without one) and ``plan_offer`` ("Plan to
        offer: 3 x USD 2,000.00 monthly from 2026-12-07", from
        :func:`arcalls.propose_payment_plan`).
    invoices : DataFrame
        Open invoices of those accounts: ``customer_id``, ``invoice_id``,
        ``invoice_date``, ``due_date``, ``days_past_due``, ``amount``,
        ``paid_to_date``, ``open_amount``, ``note`` (disputed / credit / not yet due).
    payments : DataFrame
        The last payments: ``customer_id``, ``payment_date``, ``invoice_id``,
        ``amount``, ``method``.
    calls : DataFrame
        The last calls: ``customer_id``, ``called_at``, ``outcome``, ``collector``,
        ``notes``.
    promises : DataFrame
        The promise shown: ``customer_id``, ``called_at``, ``promise_date``,
        ``promised_amount``, ``received``, ``status``.
    as_of : Timestamp
    business_name : str
    """

    accounts: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame
    calls: pd.DataFrame
    promises: pd.DataFrame
    as_of: pd.Timestamp
    business_name: str

    def layout(self) -> pd.DataFrame:
        """The sheets as rows of an Excel layout (see ``arcalls._excel.write_workbook``)."""
        return _layout(self)

    def to_html(self) -> str:
        """The sheets as one printable HTML page per account."""
        return _html(self)

    def _repr_html_(self) -> str:
        return (
            f"<p>Call sheets as of {self.as_of:%Y-%m-%d}: {len(self.accounts)} accounts, "
            f"{len(self.invoices)} open invoices.</p>"
            + self.accounts[["rank", "customer_name", "overdue_balance", "opening_line"]]
            .head(10)
            .to_html(index=False)
        )


def call_sheets(
    result: CallList,
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    business_name: str = DEFAULT_BUSINESS_NAME,
    caller: str | None = None,
    ask_days: int = DEFAULT_ASK_DAYS,
    last_payments: int = DEFAULT_LAST_PAYMENTS,
    last_calls: int = DEFAULT_LAST_CALLS,
    promises: pd.DataFrame | None = None,
    business_phone: str | None = None,
) -> CallSheets:
    """The call sheet of every account on a call list, as of the list's date.

    Besides the opening line, each sheet carries two scripts that never mention the
    debt, for when the call does not reach the right person: a voicemail (the caller's
    name, the business's name and the number to call back, nothing else: a message may
    be heard by anyone; choose a ``business_name`` that does not say "collections") and
    a third-party script (the caller's name and number only). Both ask for the payments
    contact a call recorded (the latest known on the list's date), else the contact.

    Parameters
    ----------
    result : CallList
        From :func:`arcalls.call_list` (its ``as_of`` is the sheets' date).
    invoices, payments, calls, customers : DataFrame
        The canonical tables the list was made from (``payments=None``: the invoices'
        own settlement columns; ``calls``/``customers`` may be None).
    business_name : str, default :data:`DEFAULT_BUSINESS_NAME`
        Who the caller calls for, in the opening line.
    caller : str, optional
        The caller's name in the opening line; default: the account's last collector,
        else :data:`DEFAULT_CALLER`.
    ask_days : int, default :data:`DEFAULT_ASK_DAYS`
        The opening line asks for payment by ``as_of + ask_days``.
    last_payments, last_calls : int, default 3
        How many of the latest payments and calls to show per account.
    promises : DataFrame, optional
        :func:`arcalls.promise_outcomes` as of the list's date; when None, the ones the
        list was built from (``result.promises``), else computed. The plans' status
        comes from ``result.plans`` the same way: a run judges each once.
    business_phone : str, optional
        The number the customer should call back, in the voicemail and third-party
        scripts; default :data:`PHONE_PLACEHOLDER`.

    Returns
    -------
    CallSheets

    Raises
    ------
    InputError
        An option out of range, or ``result`` not a call list.

    Examples
    --------
    >>> import arcalls
    >>> from arcalls.worksheet import call_sheets
    >>> s = arcalls.load_sample()
    >>> listed = arcalls.call_list(*s, as_of="2026-10-31", top=3)
    >>> sheets = call_sheets(listed, *s, business_name="Acme Supplies")
    >>> len(sheets.accounts)
    3
    >>> sheets.accounts["opening_line"].str.startswith("Hello, this is ").all()
    np.True_
    """
    _check_call_list(result)
    _check_count("ask_days", ask_days, lowest=0)
    _check_count("last_payments", last_payments, lowest=0)
    _check_count("last_calls", last_calls, lowest=0)
    if not isinstance(business_name, str) or not business_name.strip():
        raise InputError(f"business_name must be a non-empty text, got {business_name!r}.")
    if business_phone is not None and (
        not isinstance(business_phone, str) or not business_phone.strip()
    ):
        raise InputError(
            f"business_phone must be a non-empty text such as '555-0100', got {business_phone!r}."
        )
    as_of = result.as_of
    listed = result.calls.reset_index(drop=True)
    ids = listed["customer_id"].astype(dtype_of("id"))
    order = pd.Series(np.arange(len(listed)), index=ids.to_numpy())

    bal = invoice_balances(invoices, payments, as_of=as_of)
    bal = bal[bal["is_open"] & bal["customer_id"].isin(ids)]
    bal = _sort_by_list(bal, order, ["due_date", "invoice_id"])
    open_invoices = _invoice_table(bal)
    accounts = _accounts(listed, bal, calls, as_of=as_of, caller=caller)
    accounts = _with_lines(
        accounts, bal, as_of=as_of, business_name=business_name.strip(), ask_days=ask_days
    )
    accounts = _with_scripts(
        accounts.merge(_payments_contacts(calls, as_of=as_of), on="customer_id", how="left"),
        business_name=business_name.strip(),
        business_phone=(business_phone or PHONE_PLACEHOLDER).strip(),
    )
    accounts = accounts.assign(
        **_plan_lines(
            accounts,
            invoices,
            payments,
            calls,
            as_of=as_of,
            currency=result.currency,
            judged=result.plans,
        )
    )
    if promises is None and calls is not None:
        promises = result.promises
    return CallSheets(
        accounts=accounts,
        invoices=open_invoices,
        payments=_last_payments(invoices, payments, order, as_of=as_of, n=last_payments),
        calls=_last_calls(calls, order, as_of=as_of, n=last_calls),
        promises=_promise_shown(promises, calls, payments, invoices, order, as_of=as_of),
        as_of=as_of,
        business_name=business_name.strip(),
    )


def _check_call_list(result) -> None:
    if not isinstance(result, CallList):
        raise InputError(
            f"result must be a CallList from arcalls.call_list(...), got {type(result).__name__}."
        )


def _check_count(name: str, value, *, lowest: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lowest:
        raise InputError(f"{name} must be a whole number >= {lowest}, got {value!r}.")


def _sort_by_list(frame: pd.DataFrame, order: pd.Series, then: list[str], ascending=True):
    """Rows in list order (by the account's rank), then by ``then``."""
    keyed = frame.assign(_rank=frame["customer_id"].map(order).to_numpy())
    asc = [True] + ([ascending] * len(then) if isinstance(ascending, bool) else list(ascending))
    keyed = keyed.sort_values(["_rank", *then], ascending=asc, kind="mergesort")
    return keyed.drop(columns="_rank").reset_index(drop=True)


def _invoice_table(bal: pd.DataFrame) -> pd.DataFrame:
    disputed = (
        bal["disputed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "disputed" in bal
        else np.zeros(len(bal), dtype=bool)
    )
    note = np.select(
        [disputed, bal["open_amount"].to_numpy() < 0, bal["days_past_due"].to_numpy() <= 0],
        ["disputed", "credit", "not yet due"],
        default="",
    )
    return pd.DataFrame(
        {
            "customer_id": bal["customer_id"].astype(dtype_of("id")),
            "invoice_id": bal["invoice_id"].astype(dtype_of("id")),
            "invoice_date": bal["invoice_date"],
            "due_date": bal["due_date"],
            "days_past_due": bal["days_past_due"].astype("int64"),
            "amount": bal["amount"].astype("float64"),
            "paid_to_date": bal["paid_to_date"].astype("float64"),
            "open_amount": bal["open_amount"].astype("float64"),
            "note": pd.Series(note, index=bal.index, dtype="string"),
        }
    )


def _chased(bal: pd.DataFrame) -> pd.Series:
    """Invoices a call chases (same rule as the list's overdue balance)."""
    disputed = (
        bal["disputed"].astype("boolean").fillna(False)
        if "disputed" in bal
        else pd.Series(False, index=bal.index)
    )
    return (bal["open_amount"] > 0) & ~disputed & (bal["days_past_due"] > 0)


def _accounts(listed, bal, calls, *, as_of, caller) -> pd.DataFrame:
    ids = listed["customer_id"].astype(dtype_of("id"))
    by = bal.groupby("customer_id", observed=True, sort=False)
    open_balance = round_money(by["open_amount"].sum())
    credits = round_money(
        bal["open_amount"]
        .where(bal["open_amount"] < 0, 0.0)
        .groupby(bal["customer_id"], observed=True)
        .sum()
    )
    chased = bal[_chased(bal)]
    overdue_since = chased.groupby("customer_id", observed=True)["due_date"].min()
    if "terms" in bal:
        terms = _join_per_group(
            bal.dropna(subset=["terms"]).drop_duplicates(["customer_id", "terms"]),
            "terms",
            sep=", ",
        )
    else:
        days = (bal["due_date"] - bal["invoice_date"]).dt.days
        typical = days.groupby(bal["customer_id"], observed=True).median()
        terms = "Net " + typical.round().astype("int64").astype(str) + " (from due dates)"
    if caller is not None:
        who = pd.Series(caller, index=listed.index, dtype="string")
    else:
        last = _known_calls(calls, as_of=as_of)
        if "collector" in last:
            last = last.dropna(subset=["collector"]).sort_values("called_at", kind="mergesort")
            collector = last.groupby("customer_id", observed=True)["collector"].last()
            who = ids.map(collector).astype("string").fillna(DEFAULT_CALLER)
        else:
            who = pd.Series(DEFAULT_CALLER, index=listed.index, dtype="string")
    return pd.DataFrame(
        {
            "rank": listed["rank"].astype("int64"),
            "customer_id": ids,
            "customer_name": listed["customer_name"].astype("string").fillna(ids),
            "contact_name": listed["contact_name"].astype("string"),
            "phone": listed["phone"].astype("string"),
            "best_time_to_call": listed["best_time_to_call"].astype("string"),
            "terms": ids.map(terms).astype("string"),
            "open_balance": ids.map(open_balance).astype("float64").fillna(0.0) + 0.0,
            "overdue_balance": listed["overdue_balance"].astype("float64"),
            "credits": ids.map(credits).astype("float64").fillna(0.0) + 0.0,
            "overdue_since": ids.map(overdue_since).astype("datetime64[ns]"),
            "caller": who.astype("string"),
            # The list's one recommended action, shown on the sheet as on the list.
            "action": _listed_text(listed, "action"),
            "action_reason": _listed_text(listed, "action_reason"),
        }
    )


def _listed_text(listed: pd.DataFrame, column: str) -> pd.Series:
    if column in listed:
        return listed[column].astype("string")
    return pd.Series(pd.NA, index=listed.index, dtype="string")


def _join_per_group(frame: pd.DataFrame, column: str, *, sep: str) -> pd.Series:
    """Per customer, the column's values in frame order joined by ``sep``."""
    if frame.empty:
        return pd.Series(dtype="string")
    customer = frame["customer_id"].to_numpy()
    # Rows sharing a customer are not always adjacent: group on a stable sort.
    position = np.argsort(customer, kind="mergesort")
    customer = customer[position]
    values = frame[column].astype(str).to_numpy(dtype=object)[position]
    last_in_group = np.append(customer[1:] != customer[:-1], True)
    pieces = values + np.where(last_in_group, "", sep).astype(object)
    return pd.Series(pieces).groupby(customer, sort=False).sum().astype("string")


def _with_lines(accounts, bal, *, as_of, business_name, ask_days) -> pd.DataFrame:
    """Add ``ask_by``, the opening line and the third-party reminder."""
    ask_by = as_of + pd.Timedelta(days=ask_days)
    chased = bal[_chased(bal)]
    position = chased.groupby("customer_id", observed=True).cumcount()
    count = chased.groupby("customer_id", observed=True).size()
    named = _join_per_group(chased[position < MAX_INVOICES_IN_LINE], "invoice_id", sep=", ")
    ids = accounts["customer_id"]
    n = ids.map(count).fillna(0).astype("int64")
    more = n - MAX_INVOICES_IN_LINE
    invoice_text = (
        np.where(n == 1, "invoice ", "invoices ")
        + ids.map(named).fillna("").astype(str)
        + np.where(more > 0, " and " + more.astype(str) + " more", "")
    )
    credit_text = np.where(
        accounts["credits"] < 0,
        " after your credits of " + _money_text(-accounts["credits"]),
        "",
    )
    since = accounts["overdue_since"]
    line = (
        "Hello, this is "
        + accounts["caller"].astype(str)
        + " from "
        + business_name
        + ". I'm calling about "
        + invoice_text
        + " totalling "
        + _money_text(accounts["overdue_balance"])
        + credit_text
        + np.where(since.notna(), ", overdue since " + _date_text(since), "")
        + ". Can we count on payment by "
        + _date_text(pd.Series(ask_by, index=accounts.index))
        + "?"
    )
    contact = accounts["contact_name"].fillna(UNKNOWN_CONTACT).astype(str)
    prefix, suffix = THIRD_PARTY_LINE.split("{contact}")
    return accounts.assign(
        ask_by=ask_by,
        opening_line=pd.Series(line, index=accounts.index, dtype="string"),
        third_party_line=(prefix + contact + suffix).astype("string"),
    )


def _payments_contacts(calls, *, as_of) -> pd.DataFrame:
    """Per customer, the payments contact of the latest call up to ``as_of`` naming one.

    Columns ``customer_id``, ``payments_contact``, ``payments_contact_title``,
    ``payments_contact_noted`` (the call's day) and ``payments_line``.
    """
    columns = {
        "customer_id": dtype_of("id"),
        "payments_contact": "string",
        "payments_contact_title": "string",
        "payments_contact_noted": "datetime64[ns]",
        "payments_line": "string",
    }
    known = _known_calls(calls, as_of=as_of)
    named = [c for c in ("payments_contact", "payments_contact_title") if c in known]
    if not named:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    known = known.assign(
        **{c: pd.NA for c in ("payments_contact", "payments_contact_title") if c not in known}
    )
    name = known["payments_contact"].astype("string").str.strip().replace("", pd.NA)
    title = known["payments_contact_title"].astype("string").str.strip().replace("", pd.NA)
    noted = known.assign(_name=name, _title=title)[name.notna() | title.notna()]
    # The latest call naming one; calls logged in the same second keep the file's order.
    noted = noted.sort_values(["customer_id", "called_at"], kind="mergesort")
    last = noted.groupby("customer_id", observed=True, sort=True).tail(1)
    who = last["_name"].fillna("") + np.where(
        last["_title"].notna(),
        np.where(last["_name"].notna(), " (", "")
        + last["_title"].fillna("")
        + np.where(last["_name"].notna(), ")", ""),
        "",
    )
    day = last["called_at"].dt.normalize()
    line = "Payments handled by: " + who + ", noted " + day.dt.strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "customer_id": last["customer_id"].to_numpy(),
            "payments_contact": last["_name"].to_numpy(),
            "payments_contact_title": last["_title"].to_numpy(),
            "payments_contact_noted": day.to_numpy(),
            "payments_line": line.to_numpy(),
        }
    ).astype(columns)


def _with_scripts(accounts, *, business_name, business_phone) -> pd.DataFrame:
    """Add the voicemail and third-party scripts: names and a number, never the debt."""
    ask_for = (
        accounts["payments_contact"]
        .fillna(accounts["contact_name"])
        .astype("string")
        .fillna(UNKNOWN_PAYER)
        .astype(str)
    )
    caller = accounts["caller"].astype(str)
    voicemail = (
        "Hello, this message is for "
        + ask_for
        + ". This is "
        + caller
        + " from "
        + business_name
        + ". Please call me back at "
        + business_phone
        + ". Thank you."
    )
    third = (
        "May I speak to "
        + ask_for
        + ", please? This is "
        + caller
        + ". [If they are not available:] Could you ask them to call "
        + caller
        + " back at "
        + business_phone
        + "? Thank you."
    )
    return accounts.assign(
        payments_line=accounts["payments_line"].astype("string"),
        voicemail_script=voicemail.astype("string"),
        third_party_script=third.astype("string"),
    )


def _plan_lines(
    accounts, invoices, payments, calls, *, as_of, currency, judged=None
) -> dict[str, pd.Series]:
    """The sheet's plan lines: the account's latest plan, and the plan to offer.

    ``judged``: the plans' status the list was built from (``CallList.plans``), used
    instead of judging the plans again.
    """
    from .plans import latest_plans, plan_schedule, plan_status, propose_payment_plan

    ids = accounts["customer_id"]

    def money(values: pd.Series) -> pd.Series:
        return format_amounts(values.astype("float64"), currency)

    offers = propose_payment_plan(invoices, payments, as_of=as_of)
    offer = ("Plan to offer: " + offers["offer"]).set_axis(offers["customer_id"].to_numpy())
    plan = pd.Series(pd.NA, index=accounts.index, dtype="string")
    known = _known_calls(calls, as_of=as_of)
    if len(known) and (known["outcome"] == "plan").any():
        plans = (
            judged if judged is not None else plan_status(known, payments, invoices, as_of=as_of)
        )
        latest = latest_plans(plans[plans["customer_id"].isin(ids)])
        rows = plan_schedule(known[(known["outcome"] == "plan").to_numpy(dtype=bool)])
        rows = rows[rows["plan_id"].isin(latest["plan_id"])]
        pairs = rows.assign(
            pair=rows["due_date"].dt.strftime("%Y-%m-%d")
            + "="
            + pd.Series(np.char.mod("%.2f", rows["amount"].to_numpy()), index=rows.index)
        )
        schedule = _join_per_group(pairs.assign(customer_id=pairs["plan_id"]), "pair", sep="; ")
        due = latest["next_due_date"].dt.strftime("%Y-%m-%d")
        text = (
            latest["status"].astype(str).str.replace("_", " ")
            + " (agreed "
            + latest["called_at"].dt.strftime("%Y-%m-%d")
            + "): paid "
            + money(latest["paid_to_date"])
            + " of "
            + money(latest["plan_amount"])
            + np.where(
                due.notna(),
                "; next " + money(latest["next_due_amount"].fillna(0.0)) + " due " + due.fillna(""),
                "",
            )
            + "; schedule "
            + latest["plan_id"].map(schedule).astype(str)
        )
        plan = ids.map(pd.Series(text.to_numpy(), index=latest["customer_id"].to_numpy()))
    return {
        "payment_plan": plan.astype("string"),
        "plan_offer": ids.map(offer).astype("string"),
    }


def _money_text(values: pd.Series) -> pd.Series:
    """$1,234.56 for each value, without a Python call per value."""
    # '%.2f' rounds the exact binary value, as Python's format does: rounding to cents
    # first with numpy would round 0.005 (a hair above half a cent) down to 0.00.
    plain = pd.Series(np.char.mod("%.2f", values.to_numpy(dtype="float64")), index=values.index)
    return "$" + plain.str.replace(r"(\d)(?=(\d{3})+\.)", r"\1,", regex=True)


def _date_text(dates: pd.Series) -> pd.Series:
    """'November 7, 2026' (month name, day without a leading zero, year)."""
    d = pd.to_datetime(dates)
    return d.dt.strftime("%B ") + d.dt.day.astype("Int64").astype(str) + d.dt.strftime(", %Y")


def _known_calls(calls, *, as_of) -> pd.DataFrame:
    if calls is None:
        return pd.DataFrame({c: pd.Series(dtype=dtype_of(CALLS.kind(c))) for c in CALLS.required})
    return calls[calls["called_at"] < as_of + pd.Timedelta(days=1)]


def _last_payments(invoices, payments, order, *, as_of, n) -> pd.DataFrame:
    pays = resolve_payments(invoices, payments)
    pays = pays[pays["payment_date"] <= as_of]
    owner = invoices.drop_duplicates("invoice_id").set_index("invoice_id")["customer_id"]
    frame = pd.DataFrame(
        {
            "customer_id": pays["invoice_id"].map(owner).astype(dtype_of("id")),
            "payment_date": pays["payment_date"],
            "invoice_id": pays["invoice_id"].astype(dtype_of("id")),
            "amount": pays["amount"].astype("float64"),
            "method": (
                pays["method"].astype("string")
                if "method" in pays
                else pd.Series(pd.NA, index=pays.index, dtype="string")
            ),
            "_id": pays["payment_id"].astype("string") if "payment_id" in pays else "",
        }
    )
    frame = frame[frame["customer_id"].isin(order.index)]
    frame = frame.sort_values(["payment_date", "_id"], ascending=False, kind="mergesort")
    frame = frame.groupby("customer_id", observed=True, sort=False).head(n)
    return _sort_by_list(frame, order, ["payment_date", "_id"], ascending=False).drop(columns="_id")


def _last_calls(calls, order, *, as_of, n) -> pd.DataFrame:
    known = _known_calls(calls, as_of=as_of)
    known = known[known["customer_id"].isin(order.index)]

    def col(name, dtype="string"):
        return known[name] if name in known else pd.Series(pd.NA, index=known.index, dtype=dtype)

    frame = pd.DataFrame(
        {
            "customer_id": known["customer_id"].astype(dtype_of("id")),
            "called_at": known["called_at"],
            "outcome": known["outcome"].astype("string"),
            "collector": col("collector").astype("string"),
            "notes": col("notes").astype("string"),
            "_pos": np.arange(len(known)),
        }
    )
    # Latest first; calls logged in the same second keep the file's order.
    frame = frame.sort_values(["called_at", "_pos"], ascending=False, kind="mergesort")
    frame = frame.groupby("customer_id", observed=True, sort=False).head(n)
    return _sort_by_list(frame, order, ["called_at", "_pos"], ascending=False).drop(columns="_pos")


def _promise_shown(promises, calls, payments, invoices, order, *, as_of) -> pd.DataFrame:
    columns = {
        "customer_id": dtype_of("id"),
        "called_at": "datetime64[ns]",
        "promise_date": "datetime64[ns]",
        "promised_amount": "float64",
        "received": "float64",
        "status": "string",
    }
    if promises is None and calls is not None and (calls["outcome"] == "promise").any():
        from .promises import promise_outcomes

        promises = promise_outcomes(calls, payments, invoices, as_of=as_of)
    if promises is None or promises.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    frame = promises[promises["customer_id"].isin(order.index)]
    frame = frame.assign(
        _pending=(frame["status"] == "pending").to_numpy(dtype=bool),
        _call=frame["call_id"].astype("string") if "call_id" in frame else "",
    )
    # As the list does: an open promise first, else the latest.
    frame = frame.sort_values(["_pending", "called_at", "_call"], kind="mergesort")
    last = frame.groupby("customer_id", observed=True, sort=False).tail(1)
    out = pd.DataFrame(
        {c: (last[c] if c in last else pd.Series(np.nan, index=last.index)) for c in columns}
    ).astype(columns)
    return _sort_by_list(out, order, [])


# -- layouts: Excel rows and HTML pages -----------------------------------------------

_LAYOUT_WIDTH = 7
_SECTIONS = (
    "title",
    "action",
    "contact",
    "payer",
    "money",
    "plan",
    "say",
    "voicemail",
    "third",
    "third_script",
    "inv",
    "pay",
    "call",
    "promise",
    "end",
)


def _layout(sheets: CallSheets) -> pd.DataFrame:
    """One block of rows per account, stacked in list order."""
    acc = sheets.accounts
    rank_of = pd.Series(acc["rank"].to_numpy(), index=acc["customer_id"].to_numpy())
    parts = []

    def block(section, customer_ids, cells, style="", seq=None):
        frame = pd.DataFrame(
            {f"c{i + 1}": (cells[i] if i < len(cells) else None) for i in range(_LAYOUT_WIDTH)},
            index=range(len(customer_ids)),
        )
        for key in frame:
            value = frame[key]
            frame[key] = value.astype(object) if isinstance(value, pd.Series) else value
        frame = frame.assign(
            style=style,
            _rank=rank_of.reindex(np.asarray(customer_ids)).to_numpy(),
            _section=_SECTIONS.index(section),
            _seq=np.arange(len(customer_ids)) if seq is None else seq,
        )
        parts.append(frame)

    def values(s):
        return pd.Series(s).reset_index(drop=True).astype(object)

    ids = acc["customer_id"]
    block(
        "title",
        ids,
        # The id in the last column leaves the name the width of the page.
        [values("#" + acc["rank"].astype(str)), values(acc["customer_name"])]
        + [None] * (_LAYOUT_WIDTH - 3)
        + [values(ids)],
        "title",
    )
    block("action", ids, ["Action", values(acc["action"]), "Why", values(acc["action_reason"])])
    block(
        "contact",
        ids,
        [
            "Contact",
            values(acc["contact_name"]),
            "Phone",
            values(acc["phone"]),
            "Best time",
            values(acc["best_time_to_call"]),
        ],
    )
    block(
        "money",
        ids,
        [
            "Overdue",
            values(acc["overdue_balance"]),
            "Open",
            values(acc["open_balance"]),
            "Terms",
            values(acc["terms"]),
        ],
    )
    payer = acc["payments_line"].notna().to_numpy()
    block("payer", ids[payer], ["Who pays", values(acc["payments_line"][payer])])
    if "payment_plan" in acc:
        block(
            "plan",
            ids,
            ["Plan", values(acc["payment_plan"].fillna("none")), values(acc["plan_offer"])],
        )
    block("say", ids, ["Say", values(acc["opening_line"])])
    block("voicemail", ids, ["Voicemail", values(acc["voicemail_script"])])
    block("third", ids, ["Third party", values(acc["third_party_line"])])
    block("third_script", ids, ["", values(acc["third_party_script"])])
    for section, table, title, headers, cols in (
        (
            "inv",
            sheets.invoices,
            "Open invoices",
            ("invoice", "invoice date", "due date", "days past due", "open amount", "note"),
            ("invoice_id", "invoice_date", "due_date", "days_past_due", "open_amount", "note"),
        ),
        (
            "pay",
            sheets.payments,
            "Last payments",
            ("date", "invoice", "amount", "method"),
            ("payment_date", "invoice_id", "amount", "method"),
        ),
        (
            "call",
            sheets.calls,
            "Last calls",
            ("called at", "outcome", "collector", "notes"),
            ("called_at", "outcome", "collector", "notes"),
        ),
        (
            "promise",
            sheets.promises,
            "Promise",
            ("made on", "promise date", "amount", "received", "status"),
            ("called_at", "promise_date", "promised_amount", "received", "status"),
        ),
    ):
        block(section, ids, [title, *headers], "section", seq=np.zeros(len(ids), dtype=int))
        seq = table.groupby("customer_id", observed=True, sort=False).cumcount() + 1
        block(section, table["customer_id"], [None, *(values(table[c]) for c in cols)], seq=seq)
        empty = ids[~ids.isin(table["customer_id"])]
        block(section, empty, [None, "none on file"], seq=np.ones(len(empty), dtype=int))
    block("end", ids, [])
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.sort_values(["_rank", "_section", "_seq"], kind="mergesort")
    return rows.drop(columns=["_rank", "_section", "_seq"]).reset_index(drop=True)


_HTML_STYLE = """
body { font-family: system-ui, sans-serif; font-size: 11pt; margin: 1.5cm; }
section.sheet { break-after: page; page-break-after: always; }
section.sheet:last-child { break-after: auto; page-break-after: auto; }
h1 { font-size: 15pt; margin: 0 0 .2em; } h2 { font-size: 11pt; margin: 1em 0 .3em; }
p.meta { color: #555; margin: 0 0 .6em; }
p.say { border-left: 4px solid #0072B2; padding: .4em .8em; background: #eef5fb; }
p.third { border-left: 4px solid #D55E00; padding: .4em .8em; background: #fbf0ea; }
p.voicemail { border-left: 4px solid #555; padding: .4em .8em; background: #f3f3f3; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: 2px 6px; text-align: left; }
td.num, th.num { text-align: right; }
"""


def _html(sheets: CallSheets) -> str:
    acc = sheets.accounts
    if acc.empty:
        body = "<p>No account to call on this date.</p>"
    else:
        tables = {
            "inv": _html_table(
                sheets.invoices,
                {
                    "invoice_id": "invoice",
                    "invoice_date": "invoice date",
                    "due_date": "due date",
                    "days_past_due": "days past due",
                    "open_amount": "open amount",
                    "note": "note",
                },
            ),
            "pay": _html_table(
                sheets.payments,
                {
                    "payment_date": "date",
                    "invoice_id": "invoice",
                    "amount": "amount",
                    "method": "method",
                },
            ),
            "call": _html_table(
                sheets.calls,
                {
                    "called_at": "called at",
                    "outcome": "outcome",
                    "collector": "collector",
                    "notes": "notes",
                },
            ),
            "promise": _html_table(
                sheets.promises,
                {
                    "called_at": "made on",
                    "promise_date": "promise date",
                    "promised_amount": "amount",
                    "received": "received",
                    "status": "status",
                },
            ),
        }
        ids = acc["customer_id"]
        titles = {
            "inv": "Open invoices",
            "pay": "Last payments",
            "call": "Last calls",
            "promise": "Promise",
        }
        page = (
            '<section class="sheet"><h1>#'
            + acc["rank"].astype(str)
            + " "
            + markup_cells(acc["customer_name"])
            + " <small>("
            + markup_cells(ids)
            + ")</small></h1>"
            + '<p class="action"><b>Action:</b> '
            + markup_cells(acc["action"])
            + " &middot; "
            + markup_cells(acc["action_reason"])
            + "</p>"
            + '<p class="meta">Contact: '
            + markup_cells(acc["contact_name"])
            + " &middot; Phone: "
            + markup_cells(acc["phone"])
            + " &middot; Best time: "
            + markup_cells(acc["best_time_to_call"])
            + ("<br>" + markup_cells(acc["payments_line"])).where(acc["payments_line"].notna(), "")
            + "<br>Overdue: "
            + _money_text(acc["overdue_balance"])
            + " &middot; Open: "
            + _money_text(acc["open_balance"])
            + " &middot; Terms: "
            + markup_cells(acc["terms"])
            + _html_plan(acc)
            + '</p><p class="say"><b>Say:</b> '
            + markup_cells(acc["opening_line"])
            + '</p><p class="voicemail"><b>Voicemail:</b> '
            + markup_cells(acc["voicemail_script"])
            + '</p><p class="third"><b>Third party:</b> '
            + markup_cells(acc["third_party_line"])
            + "<br>"
            + markup_cells(acc["third_party_script"])
            + "</p>"
        )
        for key, title in titles.items():
            page = (
                page
                + f"<h2>{title}</h2>"
                + ids.map(tables[key]).fillna("<p>none on file</p>").astype(str)
            )
        body = "".join((page + "</section>").tolist())
    title = f"Call sheets as of {sheets.as_of:%Y-%m-%d}: {_html_escape(sheets.business_name)}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_HTML_STYLE}</style></head><body>\n"
        f"{body}\n</body></html>\n"
    )


def _html_plan(acc: pd.DataFrame) -> pd.Series:
    """The plan lines of each page (empty where the account has neither)."""
    if "payment_plan" not in acc:
        return pd.Series("", index=acc.index)
    plan = acc["payment_plan"]
    offer = acc["plan_offer"]
    return (
        pd.Series(np.where(plan.notna(), "<br>Payment plan: ", ""), index=acc.index)
        + markup_cells(plan).where(plan.notna(), "")
        + pd.Series(np.where(offer.notna(), "<br>", ""), index=acc.index)
        + markup_cells(offer).where(offer.notna(), "")
    )


def _html_escape(text: str) -> str:
    import html

    return html.escape(markup_text(text), quote=True)


def _html_table(table: pd.DataFrame, columns: dict[str, str]) -> pd.Series:
    """Per customer, an HTML table of its rows (money, dates and text formatted)."""
    if table.empty:
        return pd.Series(dtype="string")
    cells = []
    numeric = []
    for col in columns:
        s = table[col]
        if pd.api.types.is_float_dtype(s):
            text = _money_text(s).where(s.notna(), "")
            numeric.append(True)
        elif pd.api.types.is_integer_dtype(s):
            text = s.astype(str)
            numeric.append(True)
        elif pd.api.types.is_datetime64_any_dtype(s):
            has_time = (s.dt.normalize() != s).any()
            text = s.dt.strftime("%Y-%m-%d %H:%M" if has_time else "%Y-%m-%d").fillna("")
            numeric.append(False)
        else:
            text = markup_cells(s)
            numeric.append(False)
        cls = ' class="num"' if numeric[-1] else ""
        cells.append(f"<td{cls}>" + text.astype(str) + "</td>")
    row = "<tr>" + pd.concat(cells, axis=1).sum(axis=1) + "</tr>"
    head = "".join(
        ('<th class="num">' if num else "<th>") + label + "</th>"
        for label, num in zip(columns.values(), numeric, strict=True)
    )
    body = _join_per_group(
        pd.DataFrame({"customer_id": table["customer_id"], "r": row}), "r", sep=""
    )
    return "<table><tr>" + head + "</tr>" + body + "</table>"


def write_call_sheets(sheets: CallSheets, path: str | os.PathLike) -> Path:
    """Write the call sheets as one printable HTML page per account, atomically.

    Parameters
    ----------
    sheets : CallSheets
        From :func:`call_sheets`.
    path : path-like
        An ``.html`` file.

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        Another suffix, or a folder that is missing or not writable.

    Examples
    --------
    >>> import arcalls, tempfile
    >>> s = arcalls.load_sample()
    >>> sheets = call_sheets(arcalls.call_list(*s, as_of="2026-10-31", top=2), *s)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_call_sheets(sheets, f"{folder}/sheets.html")
    ...     out.read_text(encoding="utf-8").count('<section class="sheet">')
    2
    """
    path = Path(path)
    if path.suffix.lower() not in {".html", ".htm"}:
        raise OutputError(
            f"Cannot write call sheets to {path}: the file must end in .html, "
            f"got {path.suffix or 'no suffix'!r}. Example: --out call_sheets.html"
        )
    with atomic_path(path) as tmp:
        tmp.write_text(sheets.to_html(), encoding="utf-8")
    return path


# -- reading a filled list back ---------------------------------------------------------

#: Text dates the entry columns accept when a cell holds text rather than a date.
_TEXT_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
#: A bare number in a date column: an Excel serial day, or a slip; refused, not guessed.
_SERIAL_PROBLEM = (
    "a number, not a date (an Excel serial day typed into a cell not formatted as a "
    "date is ambiguous); type the date, e.g. {e}, or format the cell as a date"
)


def read_filled_list(
    path: str | os.PathLike, *, collector: str | None = None, now=None
) -> pd.DataFrame:
    """The calls a caller entered in an Excel call list, validated, as canonical calls.

    Every row with any entry cell filled is a call (rules in the module docstring).
    All problems are collected and raised together, naming each row as Excel shows it.

    Parameters
    ----------
    path : path-like
        An .xlsx list written by :func:`arcalls.write_call_list` and filled in.
    collector : str, optional
        Written in the calls' ``collector`` column.
    now : datetime-like, optional
        The time of reading (default: the computer's clock); a call after it is refused.

    Returns
    -------
    DataFrame
        Canonical calls (columns of ``arcalls.schema.CALLS``) plus ``row`` (the Excel
        row), sorted by ``customer_id`` and ``called_at``; call ids are
        ``LOG-<as_of YYYYMMDD>-<customer_id>-<called_at YYYYMMDDHHMM>``.

    Raises
    ------
    InputError
        The file is not an arcalls call list, or rows are bad (all listed in the
        message and in ``.problems``).

    Examples
    --------
    >>> import arcalls, tempfile, openpyxl
    >>> s = arcalls.load_sample()
    >>> listed = arcalls.call_list(*s, as_of="2026-10-31", top=2)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = arcalls.write_call_list(listed, f"{folder}/week.xlsx")[0]
    ...     wb = openpyxl.load_workbook(out)
    ...     ws = wb["Call list"]
    ...     header = [c.value for c in ws[1]]  # headers for people
    ...     _ = ws.cell(2, header.index("Called at (date time)") + 1, "2026-11-02 10:15")
    ...     _ = ws.cell(2, header.index("Outcome") + 1, "voicemail")
    ...     wb.save(out)
    ...     calls = read_filled_list(out, now="2026-11-03")
    >>> calls[["call_id", "outcome"]].to_numpy().tolist()  # doctest: +ELLIPSIS
    [['LOG-20261031-C...-202611021015-r2', 'voicemail']]
    """
    path = Path(path)
    now = _now() if now is None else pd.Timestamp(now)
    as_of, listed = _list_identity(path)
    raw = _entry_rows(path)
    entries = raw[raw.loc[:, list(ENTRY_COLUMNS)].notna().any(axis=1)]
    problems, calls = _validate_entries(
        entries, on_list=set(listed), as_of=as_of, now=now, file=path.name
    )
    if len(problems):
        raise InputError(
            f"{path}: {len(problems)} problem(s) in the filled rows; no call was read or logged. "
            "Fix them in the workbook and run again:\n" + format_problems(problems),
            problems=problems,
        )
    calls = calls.sort_values(["customer_id", "called_at", "row"], kind="mergesort")
    minute = calls["called_at"].dt.strftime("%Y%m%d%H%M")
    # The id names the list, the account, the minute of the call and the row (the
    # entry's identity): the same list read twice gives the same ids, and a row edited
    # since is recognised as a correction of its earlier entry (see append_calls).
    calls = calls.assign(
        call_id=(
            f"LOG-{as_of:%Y%m%d}-"
            + calls["customer_id"]
            + "-"
            + minute
            + "-r"
            + calls["row"].astype(str)
        ).astype("string"),
        collector=pd.Series(collector, index=calls.index, dtype="string"),
    )
    # Optional columns no entry cell fills stay empty, typed as the schema says.
    absent = {
        c: pd.Series(None, index=calls.index, dtype=dtype_of(CALLS.kind(c)))
        for c in CALLS.names
        if c not in calls
    }
    calls = calls.assign(**absent)
    return calls.loc[:, [*CALLS.names, "row"]].reset_index(drop=True)


def _now() -> pd.Timestamp:
    """The time of reading (a function so that tests can fix it)."""
    return pd.Timestamp.now().floor("s")


def _list_identity(path: Path) -> tuple[pd.Timestamp, list[str]]:
    """The list's as-of date and its accounts, from the workbook's properties."""
    if not path.exists():
        raise InputError(f"{path} does not exist: check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a file: pass the filled .xlsx list.")
    if path.suffix.lower() != ".xlsx":
        raise InputError(
            f"{path} is not an .xlsx file. Pass the Excel call list written by "
            "'arcalls call-list --out week.xlsx', after filling it in."
        )
    try:
        props = read_properties(path)
    except Exception as exc:  # openpyxl, zipfile and lxml each raise their own on damage
        raise _unreadable(path, exc) from exc
    if props.get(PROPERTY_KIND) != KIND_CALL_LIST or PROPERTY_AS_OF not in props:
        raise InputError(
            f"{path} is not a call list written by arcalls (its document properties lack "
            f"{PROPERTY_AS_OF!r}). Fill in the .xlsx list from 'arcalls call-list', and "
            "save it as .xlsx (not .csv or .xls)."
        )
    try:
        parts = int(props[f"{PROPERTY_ACCOUNTS}_parts"])
        text = "".join(props[f"{PROPERTY_ACCOUNTS}_{k}"] for k in range(1, parts + 1))
        accounts = json.loads(text) if text else []
    except (KeyError, ValueError) as exc:
        raise InputError(
            f"{path}: the list's accounts stored in its document properties are damaged "
            f"({exc}). Make a new list with 'arcalls call-list'."
        ) from exc
    return pd.Timestamp(props[PROPERTY_AS_OF]), accounts


def _unreadable(path: Path, exc: Exception) -> InputError:
    reason = str(exc).strip() or type(exc).__name__
    return InputError(
        f"{path} is not a readable arcalls call list: {reason} (the file is damaged or "
        "truncated, or not an Excel workbook). Export it again with arcalls call-list "
        "and type the calls into the new list."
    )


def _entry_rows(path: Path) -> pd.DataFrame:
    """The list sheet's cells as Python values, with the Excel row number."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged zip or XML part
        raise _unreadable(path, exc) from exc
    try:
        if LIST_SHEET not in wb.sheetnames:
            raise InputError(f"{path} has no sheet {LIST_SHEET!r}; it has {wb.sheetnames}.")
        rows = list(wb[LIST_SHEET].iter_rows(values_only=True))
    except InputError:
        raise
    except Exception as exc:  # a truncated or damaged sheet
        raise _unreadable(path, exc) from exc
    finally:
        wb.close()
    header = _column_names(rows[0] if rows else ())
    wanted = ["customer_id", *ENTRY_COLUMNS]
    if len(rows) <= 1:
        # An empty list is written without entry columns: nothing to read.
        return pd.DataFrame({c: pd.Series(dtype=object) for c in wanted}).assign(
            row=pd.Series(dtype="int64")
        )
    # A list written before plans, callbacks or payments contacts were recorded lacks
    # those columns: nothing to read there.
    optional = {*CALLBACK_ENTRY_COLUMNS, *PLAN_ENTRY_COLUMNS}
    missing = [c for c in wanted if c not in header and c not in optional]
    if missing:
        shown = ", ".join(f"{excel_header(c)!r} ({c})" for c in missing)
        raise SchemaError(
            f"{path}: the sheet {LIST_SHEET!r} lacks the column(s) {shown}. Do not rename "
            "or delete the list's columns; make a new list with 'arcalls call-list'."
        )
    frame = pd.DataFrame(rows[1:], columns=header, dtype=object)
    present = [c for c in wanted if c in header]
    frame = frame.loc[:, present].assign(**{c: None for c in wanted if c not in header})
    # Cells holding only spaces count as empty.
    for col in frame:
        blank = (frame[col].astype("string").str.strip() == "").fillna(False).to_numpy(dtype=bool)
        frame[col] = frame[col].where(~blank, None)
    return frame.assign(row=np.arange(2, len(frame) + 2))


def _column_names(header) -> list[str]:
    """The column names of an Excel list's header row: its headers for people
    (:data:`arcalls.listbook.EXCEL_HEADERS`) mapped back to names; lists written before
    the headers were for people carry the names themselves, which are kept."""
    known = {*EXCEL_HEADERS, *CALL_COLUMNS, *ENTRY_COLUMNS}
    names = {excel_header(c): c for c in known}
    cells = [str(h).strip() if h is not None else "" for h in header]
    return [h if h in known else names.get(h, h) for h in cells]


def _validate_entries(entries, *, on_list, as_of, now, file) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(problems, canonical calls) for the filled rows."""
    problems = []

    def problem(mask, column, values, text):
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            problems.append(
                pd.DataFrame(
                    {
                        "file": file,
                        "row": entries["row"].to_numpy()[mask],
                        "column": column,
                        "value": (
                            pd.Series(values).astype(str).to_numpy()[mask]
                            if isinstance(values, pd.Series)
                            else values
                        ),
                        "problem": text,
                    }
                )
            )

    customer = entries["customer_id"].astype("string").str.strip()
    problem(customer.isna(), "customer_id", customer.fillna(""), "no customer_id on this row")
    problem(
        customer.notna() & ~customer.isin(on_list),
        "customer_id",
        customer,
        "this account is not on the list: log calls only for the listed accounts",
    )

    called_at, bad, serial = _dates(entries["called_at"])
    problem(
        entries["called_at"].isna(), "called_at", "", "called_at is empty: enter when you called"
    )
    problem(
        bad, "called_at", entries["called_at"], "not a date and time; use e.g. 2026-11-02 14:30"
    )
    problem(serial, "called_at", entries["called_at"], _SERIAL_PROBLEM.format(e="2026-11-02 14:30"))
    problem(
        (called_at == called_at.dt.normalize()).to_numpy(dtype=bool),
        "called_at",
        entries["called_at"],
        "no time of day: a date alone (or a day number such as 46328 in a date cell) reads "
        "as midnight; enter the time of the call, e.g. 2026-11-02 14:30",
    )
    problem(
        called_at < as_of,
        "called_at",
        called_at.dt.strftime("%Y-%m-%d %H:%M"),
        f"before the list's as-of date {as_of:%Y-%m-%d}",
    )
    problem(
        called_at > now,
        "called_at",
        called_at.dt.strftime("%Y-%m-%d %H:%M"),
        f"in the future (it is now {now:%Y-%m-%d %H:%M})",
    )

    # The spellings the call log loader maps ("PTP", "left message", "Promise to pay")
    # are taken here too: a typed outcome, not only the drop-down's.
    from .io import _check_outcome_map

    typed = entries["outcome"].astype("string").str.strip()
    typed = typed.mask(typed == "")
    key = typed.str.lower().str.replace(r"[\s_-]+", " ", regex=True).str.strip()
    outcome = key.map(_check_outcome_map(None)).astype("string").fillna(typed)
    problem(outcome.isna(), "outcome", "", "outcome is empty: pick one from the drop-down")
    problem(
        outcome.notna() & ~outcome.isin(OUTCOMES),
        "outcome",
        entries["outcome"],
        "unknown outcome; expected one of " + ", ".join(OUTCOMES),
    )
    is_promise = (outcome == "promise").fillna(False).to_numpy(dtype=bool)

    promise_date, bad_date, serial_date = _dates(entries["new_promise_date"])
    promise_date = promise_date.dt.normalize()
    problem(
        bad_date, "new_promise_date", entries["new_promise_date"], "not a date; use e.g. 2026-11-09"
    )
    problem(
        serial_date,
        "new_promise_date",
        entries["new_promise_date"],
        _SERIAL_PROBLEM.format(e="2026-11-09"),
    )
    problem(
        is_promise & entries["new_promise_date"].isna().to_numpy(),
        "new_promise_date",
        "",
        "a promise needs the date they will pay by",
    )
    problem(
        (promise_date < called_at.dt.normalize()).to_numpy(dtype=bool),
        "new_promise_date",
        promise_date.dt.strftime("%Y-%m-%d"),
        "the promise date is before the call",
    )
    amount, bad_amount, ambiguous, too_large = _amounts(entries["new_promise_amount"])
    problem(
        bad_amount,
        "new_promise_amount",
        entries["new_promise_amount"],
        "not an amount greater than 0; e.g. 1250.00",
    )
    problem(
        ambiguous,
        "new_promise_amount",
        entries["new_promise_amount"],
        "ambiguous amount typed as text (1.500 and 15,00 each read two ways); type the "
        "number with a decimal point and no thousands dot, e.g. 1500.00 or 15.00",
    )
    problem(
        too_large,
        "new_promise_amount",
        entries["new_promise_amount"],
        f"amount too large (not below {MAX_ABS_AMOUNT:,.0f}): a typing slip?",
    )
    given = (entries["new_promise_date"].notna() | entries["new_promise_amount"].notna()).to_numpy()
    problem(
        given & ~is_promise & outcome.notna().to_numpy(dtype=bool),
        "outcome",
        outcome.fillna(""),
        "a promise date or amount is filled but the outcome is not 'promise'",
    )
    plan = _plan_entries(entries, outcome, called_at, problem)

    callback_at = _check_callbacks(entries, called_at, problem)
    contact = entries["payments_contact"].astype("string").str.strip()
    title = entries["payments_contact_title"].astype("string").str.strip()

    calls = pd.DataFrame(
        {
            "call_id": pd.Series(pd.NA, index=entries.index, dtype="string"),
            "customer_id": customer,
            "called_at": called_at,
            "outcome": outcome.astype("string"),
            "invoice_id": pd.Series(pd.NA, index=entries.index, dtype="string"),
            "collector": pd.Series(pd.NA, index=entries.index, dtype="string"),
            "promise_date": promise_date,
            "promise_amount": round_money(amount),
            "duration_s": pd.Series(pd.NA, index=entries.index, dtype="Int64"),
            **plan,
            "notes": entries["notes"].astype("string").str.strip(),
            "callback_at": callback_at,
            "payments_contact": contact,
            "payments_contact_title": title,
            "row": entries["row"].astype("int64"),
        }
    )
    found = pd.concat(problems, ignore_index=True) if problems else empty_problems()
    if len(found):
        found = found.sort_values(["row"], kind="mergesort").reset_index(drop=True)
        found = found.astype(
            {
                "file": "string",
                "row": "Int64",
                "column": "string",
                "value": "string",
                "problem": "string",
            }
        )
    return found, calls


def _check_callbacks(entries, called_at: pd.Series, problem) -> pd.Series:
    """The ``callback_at`` cells as timestamps, reporting the bad ones through ``problem``.

    A callback is a date and time on or after the call's own time; a date alone means
    "that day" and must not be before the call's day.
    """
    cells = entries["callback_at"]
    callback_at, bad, serial = _dates(cells)
    problem(bad, "callback_at", cells, "not a date and time; use e.g. 2026-11-05 14:00")
    problem(serial, "callback_at", cells, _SERIAL_PROBLEM.format(e="2026-11-05 14:00"))
    day_only = (callback_at == callback_at.dt.normalize()).to_numpy(dtype=bool)
    before = np.where(
        day_only,
        (callback_at < called_at.dt.normalize()).to_numpy(dtype=bool),
        (callback_at < called_at).to_numpy(dtype=bool),
    )
    problem(
        before,
        "callback_at",
        callback_at.dt.strftime("%Y-%m-%d %H:%M"),
        "the callback is before the call's own time (called_at): enter when they asked "
        "to be called back, e.g. 2026-11-05 14:00",
    )
    return callback_at


def _plan_entries(entries, outcome, called_at, problem) -> dict[str, pd.Series]:
    """The plan cells typed as the call log's columns; their problems through
    ``problem`` (cells that do not parse, then the plan rules of arcalls.plans)."""
    count_text = entries["plan_instalments"].astype("string").str.strip()
    count = _numbers(entries["plan_instalments"]).fillna(
        pd.to_numeric(count_text.where(_is_str(entries["plan_instalments"])), errors="coerce")
    )
    bad_count = entries["plan_instalments"].notna().to_numpy() & ~(
        (count == np.round(count)) & (count >= 1)
    ).to_numpy(dtype=bool, na_value=False)
    problem(
        bad_count,
        "plan_instalments",
        entries["plan_instalments"],
        "not a whole number of instalments above 0; e.g. 3",
    )
    first, bad_first, serial_first = _dates(entries["plan_first_date"])
    first = first.dt.normalize()
    problem(bad_first, "plan_first_date", entries["plan_first_date"], "not a date; e.g. 2026-12-05")
    problem(
        serial_first,
        "plan_first_date",
        entries["plan_first_date"],
        _SERIAL_PROBLEM.format(e="2026-12-05"),
    )
    amount, bad_amount, ambiguous, too_large = _amounts(entries["plan_amount"])
    problem(
        bad_amount | ambiguous | too_large,
        "plan_amount",
        entries["plan_amount"],
        "not an amount greater than 0 typed as 1500.00 (no thousands dot, below "
        f"{MAX_ABS_AMOUNT:,.0f})",
    )
    plan = {
        "plan_amount": round_money(amount),
        "plan_instalments": count.where(~bad_count).round().astype("Int64"),
        "plan_first_date": first,
        "plan_frequency": entries["plan_frequency"].astype("string").str.strip().str.lower(),
        "plan_schedule": entries["plan_schedule"].astype("string").str.strip(),
    }
    unparsed = bad_count | bad_first | serial_first | bad_amount | ambiguous | too_large
    typed = pd.DataFrame({"outcome": outcome, "called_at": called_at, **plan})
    for mask, column, _values, text in plan_problems(typed.reset_index(drop=True)):
        shown = entries[column] if column in entries else outcome.fillna("")
        text = text.to_numpy() if isinstance(text, pd.Series) else text
        # A row whose plan cells do not parse is reported once, for those cells.
        keep = mask & ~unparsed
        problem(keep, column, shown, text if isinstance(text, str) else text[keep])
    return plan


def _is_str(values: pd.Series) -> np.ndarray:
    """Which cells hold text (as opposed to a number or a date Excel stored)."""
    try:
        return values.str.len().notna().to_numpy(dtype=bool)
    except AttributeError:  # no text cell at all
        return np.zeros(len(values), dtype=bool)


def _numbers(values: pd.Series) -> pd.Series:
    """The cells Excel stored as numbers (not text, not dates), as floats; NaN elsewhere."""
    number = values.where(~_is_str(values))
    return pd.to_numeric(number, errors="coerce").astype("float64")


def _dates(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Cells as timestamps (Excel dates, or ISO text), the bad filled cells, and which of
    those are bare numbers (an Excel serial typed into a cell not formatted as a date)."""
    # A date cell reads back as a datetime, whose text is ISO too: one path for both.
    text = values.astype("string").str.strip().str.replace("T", " ", regex=False)
    serial = _numbers(values).notna().to_numpy()
    iso = text.str.match(_TEXT_DATE).fillna(False).to_numpy(dtype=bool) & ~serial
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if iso.any():
        parsed[iso] = pd.to_datetime(text[iso], errors="coerce", format="mixed")
    bad = values.notna().to_numpy() & parsed.isna().to_numpy()
    return parsed, bad & ~serial, bad & serial


#: Text amounts read without doubt: 1500, 1500.5, 1,500.00, $1,250 (US style).
_TEXT_AMOUNT = re.compile(r"^\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")
#: Text amounts written European style (1.500, 15,00, 1.234,56): refused, not guessed.
_EUROPEAN_AMOUNT = re.compile(r"^\$?\d{1,3}(?:\.\d{3})+(?:,\d+)?$|^\$?\d+,\d{1,2}$|^\$?\d+,\d{4,}$")


def _amounts(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Cells as positive amounts, and the filled cells that are bad, ambiguous (text in
    European style) or too large (not below the loader's limit, so the log would not load).

    A number cell is taken as it is; a text cell must be US style (``1,500.00``,
    ``$1250``): ``1.500`` and ``15,00`` could each mean two amounts and are refused.
    """
    text = values.astype("string").str.replace(r"\s", "", regex=True)
    is_text = _is_str(values)
    plain = text.str.match(_TEXT_AMOUNT).fillna(False).to_numpy(dtype=bool) & is_text
    european = text.str.match(_EUROPEAN_AMOUNT).fillna(False).to_numpy(dtype=bool) & is_text
    from_text = pd.to_numeric(
        text.where(plain).str.replace(r"[$,]", "", regex=True), errors="coerce"
    ).astype("float64")
    number = _numbers(values).fillna(from_text)
    filled = values.notna().to_numpy()
    too_large = filled & (number.abs() >= MAX_ABS_AMOUNT).to_numpy(dtype=bool)
    good = (number > 0).to_numpy(dtype=bool) & ~too_large
    ambiguous = filled & european & ~plain
    bad = filled & ~good & ~ambiguous & ~too_large
    return number.where(good), bad, ambiguous, too_large


# -- appending to the call log --------------------------------------------------------


@dataclass(frozen=True)
class CallLogUpdate:
    """What :func:`append_calls` did.

    Attributes
    ----------
    path : Path
        The call log.
    added : DataFrame
        The calls appended (canonical columns plus ``row``), empty when none.
    skipped : DataFrame
        The calls already in the log (same call id, or same customer, time and
        outcome), not appended again.
    backup : Path or None
        The copy of the previous log, None when nothing was written or the log is new.
    replaced : DataFrame
        The earlier log entries that corrections replaced (as loaded from the log);
        each is still in ``backup``. Their corrections are among ``added``.
    """

    path: Path
    added: pd.DataFrame
    skipped: pd.DataFrame
    backup: Path | None
    replaced: pd.DataFrame = field(default_factory=pd.DataFrame)

    def describe(self) -> str:
        """One line: how many calls were added, corrected, skipped; where the backup is."""
        n = len(self.added)
        text = f"Added {n} {'call' if n == 1 else 'calls'} to {self.path}"
        if len(self.replaced):
            text += (
                f" ({len(self.replaced)} correcting an entry of the same row logged "
                "before, which it replaces)"
            )
        if len(self.skipped):
            skipped = len(self.skipped)
            text += f"; {skipped} already in the log {'was' if skipped == 1 else 'were'} skipped"
        if self.backup is not None:
            text += f"; previous log kept as {self.backup}"
        return text + "."


@locking("log")
def append_calls(
    calls: pd.DataFrame,
    log: str | os.PathLike,
    *,
    columns=None,
    now=None,
) -> CallLogUpdate:
    """Append new calls to a call-log CSV without ever losing or changing a row.

    The existing file's bytes are kept as they are and the new rows are added after
    them, in the file's own column order (read from its header). Calls already in the
    log (same ``call_id``, or same ``customer_id``, ``called_at`` and ``outcome``) are
    skipped. A correction (an entry of the same list, account and row as a logged
    entry, with another time, outcome, promise or notes) replaces that entry: its
    record is removed, every other byte kept, and the correction appended. Before the
    log is replaced, it is copied beside itself as
    ``<name>.YYYYMMDD-HHMMSS.bak.csv``; the new log is written to a temporary file,
    loaded back with :func:`arcalls.load_calls` as a check, then moved into place. When
    nothing is new, nothing is written. A log started before callbacks existed gains
    the columns ``callback_at``, ``payments_contact`` and ``payments_contact_title`` at
    the end of its header line when new calls carry them (every record before kept byte
    for byte: a record shorter than the header reads as empty there).

    The whole read-check-write-backup runs holding an exclusive lock on the log
    (``.<name>.lock`` beside it, see :func:`arcalls._export.file_lock`): a second run on
    the same log waits for the first (up to 30 seconds, then an ``OutputError`` says
    another run holds it), so two collectors logging at once keep every call of both.

    Parameters
    ----------
    calls : DataFrame
        Canonical calls, e.g. from :func:`read_filled_list`.
    log : path-like
        The call log CSV; created (with the canonical header) when it does not exist.
    columns : mapping, optional
        The log's header -> canonical name, as given to ``load_calls(columns=...)``.
    now : datetime-like, optional
        Names the backup (default: the computer's clock).

    Returns
    -------
    CallLogUpdate

    Raises
    ------
    SchemaError
        The log lacks a column the new calls need.
    InputError, OutputError
        The log cannot be read, or the new log cannot be written or read back.

    Examples
    --------
    >>> import tempfile
    >>> new = pd.DataFrame({"call_id": ["LOG-1"], "customer_id": ["C1"],
    ...     "called_at": pd.to_datetime(["2026-11-02 10:15"]), "outcome": ["voicemail"]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     first = append_calls(new, f"{folder}/calls.csv")
    ...     again = append_calls(new, f"{folder}/calls.csv")
    >>> len(first.added), len(again.added), len(again.skipped)
    (1, 0, 1)
    """
    from .io import load_calls

    log = Path(log)
    now = _now() if now is None else pd.Timestamp(now)
    missing = [c for c in CALLS.required if c not in calls]
    if missing:
        raise SchemaError(f"calls lacks the required column(s) {missing}.")
    if log.is_dir():
        raise InputError(f"{log} is a folder, not a file: pass the call log CSV.")
    exists = log.is_file()
    if exists:
        original = log.read_bytes()
        header = _header(original, log)
        existing = load_calls(log, columns=columns)
    else:
        original = b""
        header = CALLS.names
        existing = pd.DataFrame({c: pd.Series(dtype="object") for c in CALLS.required})
    names = dict(columns or {})
    to_header = {canonical: head for head, canonical in names.items() if canonical}
    to_header.update({h: h for h in header if h in CALLS.names and h not in to_header})
    for c in CALLS.required:
        if to_header.get(c) not in header:
            raise SchemaError(
                f"{log} has no column for {c!r} (its header is {header}); "
                "pass the mapping of its headers (--columns) used to load it."
            )

    fresh, skipped, replaced = _new_calls(calls, existing)
    # A log started before callbacks existed gains their columns (header line only).
    grown = [
        c
        for c in CALLBACK_ENTRY_COLUMNS
        if exists
        and c in fresh
        and c not in to_header
        and c not in header
        and fresh[c].notna().any()
    ]
    header = [*header, *grown]
    to_header.update({c: c for c in grown})
    for c in CALLS.names:
        if c in fresh and c not in to_header and fresh[c].notna().any():
            raise SchemaError(
                f"{log} has no {c!r} column but the new calls have {c} values; "
                f"add a {c} column to the log (its header is {header})."
            )
    if fresh.empty:
        return CallLogUpdate(path=log, added=fresh, skipped=skipped, backup=None)

    kept = _grow_header(original, grown)
    if len(replaced):
        kept = _drop_entries(kept, set(replaced["call_id"]), column=to_header["call_id"])
    text = _csv_rows(fresh, header=header, to_header=to_header, original=kept)
    backup = _backup_path(log, now) if exists else None
    with atomic_path(log) as tmp:
        tmp.write_bytes(text)
        try:
            load_calls(tmp, columns=columns)
        except InputError as exc:
            problems = getattr(exc, "problems", None)
            detail = (
                format_problems(problems.assign(file=log.name))
                if problems is not None and len(problems)
                else str(exc).replace(str(tmp), str(log)).replace(tmp.name, log.name)
            )
            raise InputError(
                f"Appending to {log} would make a log that does not load; nothing was "
                f"written. Is the log in ISO dates (2026-11-02 14:30)?\n{detail}"
            ) from exc
        if backup is not None:
            with atomic_path(backup) as btmp:
                btmp.write_bytes(original)
    return CallLogUpdate(path=log, added=fresh, skipped=skipped, backup=backup, replaced=replaced)


def _grow_header(original: bytes, columns: list[str]) -> bytes:
    """The log's bytes with ``columns`` added at the end of its header line.

    Every record stays byte for byte: a record with fewer fields than the header reads
    its missing last fields as empty (see :func:`arcalls.load_calls`).
    """
    if not columns:
        return original
    end = original.find(b"\n")
    end = len(original) if end < 0 else end
    if end > 0 and original[end - 1 : end] == b"\r":
        end -= 1
    extra = ("," + ",".join(columns)).encode("utf-8")
    return original[:end] + extra + original[end:]


def _header(original: bytes, log: Path) -> list[str]:
    first = original.decode("utf-8-sig", errors="replace").splitlines()[:1]
    if not first:
        raise InputError(f"{log} is empty: it needs at least a header line.")
    return next(csv.reader(first))


#: A call id written by read_filled_list: LOG-<as_of>-<customer>-<minute>-r<row>.
_LIST_ENTRY_ID = r"^(LOG-\d{8})-.*-\d{12}-r(\d+)$"
#: What a correction may change; a row whose entry differs in any of them replaces it.
_ENTRY_FIELDS = (
    "called_at",
    "outcome",
    "promise_date",
    "promise_amount",
    "plan_amount",
    "plan_instalments",
    "plan_first_date",
    "plan_frequency",
    "plan_schedule",
    "notes",
    "callback_at",
    "payments_contact",
    "payments_contact_title",
)


def _entry_identity(frame: pd.DataFrame) -> pd.Series:
    """The list, account and row an entry came from (NA for calls not read from a list)."""
    parts = frame["call_id"].astype("string").str.extract(_LIST_ENTRY_ID)
    return parts[0] + "\x1f" + frame["customer_id"].astype("string") + "\x1f" + parts[1]


def _entry_content(frame: pd.DataFrame) -> pd.Series:
    """The fields a correction may change, as one text per entry."""
    text = pd.Series("", index=frame.index, dtype="string")
    for c in _ENTRY_FIELDS:
        s = frame[c] if c in frame else pd.Series(pd.NA, index=frame.index)
        if c in {"called_at", "promise_date", "plan_first_date", "callback_at"}:
            s = pd.to_datetime(s).dt.strftime("%Y-%m-%d %H:%M:%S")
        elif c in {"promise_amount", "plan_amount"}:
            s = pd.to_numeric(s).round(2).map("{:.2f}".format, na_action="ignore")
        text = text + "\x1f" + s.astype("string").fillna("")
    return text


def _new_calls(
    calls: pd.DataFrame, existing: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(calls to append, calls already in the log, earlier entries corrections replace).

    An entry read from a list whose row (same list, same account, same row) is in the
    log with other content (time, outcome, promise or notes) is a correction: it
    replaces the earlier entry. Otherwise a call is new unless its id, or its customer,
    time and outcome, are in the log already.
    """

    def key(frame):
        return (
            frame["customer_id"].astype(str)
            + "\x1f"
            + pd.to_datetime(frame["called_at"]).dt.strftime("%Y-%m-%d %H:%M:%S")
            + "\x1f"
            + frame["outcome"].astype(str)
        )

    none = existing.iloc[:0]
    if not len(existing):
        keys = key(calls)
        old = keys.duplicated()
        return calls[~old].reset_index(drop=True), calls[old].reset_index(drop=True), none
    identity, logged_identity = _entry_identity(calls), _entry_identity(existing)
    content = _entry_content(calls)
    logged = pd.DataFrame(
        {"identity": logged_identity, "content": _entry_content(existing)}
    ).dropna(subset=["identity"])
    same_row = identity.isin(logged["identity"]).fillna(False).to_numpy(dtype=bool)
    unchanged = (
        (identity + "\x1e" + content)
        .isin(logged["identity"] + "\x1e" + logged["content"])
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    correction = same_row & ~unchanged
    seen_ids = set(existing["call_id"].astype(str))
    seen_keys = set(key(existing))
    keys = key(calls)
    already = calls["call_id"].astype(str).isin(seen_ids) | keys.isin(seen_keys)
    old = (unchanged | (already.to_numpy() & ~correction)) | keys.duplicated().to_numpy()
    fresh = calls[~old]
    replaced_identity = set(identity[correction & ~old])
    replaced = existing[logged_identity.isin(replaced_identity).fillna(False).to_numpy(bool)]
    if len(replaced) and "collector" in fresh:
        # A correction keeps who made the call unless the new read names someone.
        before = pd.Series(replaced["collector"].to_numpy(), index=logged_identity[replaced.index])
        before = before[~before.index.duplicated()]
        fresh = fresh.assign(
            collector=fresh["collector"].fillna(identity[fresh.index].map(before)).astype("string")
        )
    return (
        fresh.reset_index(drop=True),
        calls[old].reset_index(drop=True),
        replaced.reset_index(drop=True),
    )


def _drop_entries(original: bytes, call_ids: set, *, column: str) -> bytes:
    """The log's bytes without the records whose call id is in ``call_ids``.

    Every other byte stays as it was; records are found with the csv module, so a
    note spanning lines is one record.
    """
    text = original.decode("utf-8", errors="surrogateescape")
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    header = next(reader)
    at = [h.lstrip("\ufeff") for h in header].index(column)
    spans, ids = [], []
    start = reader.line_num
    for record in reader:
        spans.append((start, reader.line_num))
        ids.append(record[at] if len(record) > at else "")
        start = reader.line_num
    drop = restore_text(pd.Series(ids, dtype="object")).isin(call_ids).to_numpy(dtype=bool)
    keep = np.ones(len(lines), dtype=bool)
    for (first, last), gone in zip(spans, drop, strict=True):
        if gone:
            keep[first:last] = False
    kept = "".join(line for line, k in zip(lines, keep, strict=True) if k)
    return kept.encode("utf-8", errors="surrogateescape")


def _csv_rows(fresh, *, header, to_header, original: bytes) -> bytes:
    """The log's bytes with the new rows appended in its column order."""
    text = pd.DataFrame(index=fresh.index)
    from_header = {h: c for c, h in to_header.items()}
    for head in header:
        canonical = from_header.get(head)
        if canonical is None or canonical not in fresh:
            text[head] = ""
            continue
        s = fresh[canonical]
        if canonical in {"called_at", "callback_at"}:
            s = s.dt.strftime("%Y-%m-%d %H:%M:%S")
        elif pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(s):
            s = pd.Series(np.char.mod("%.2f", s.fillna(0).to_numpy()), index=s.index).where(
                s.notna()
            )
        text[head] = s.astype("string").fillna("")
    newline = "\r\n" if b"\r\n" in original[:4096] else "\n"
    buffer = io.StringIO()
    neutralize_formulas(text).to_csv(
        buffer, index=False, header=not original, lineterminator=newline
    )
    rows = buffer.getvalue().encode("utf-8")
    if original and not original.endswith((b"\n", b"\r")):
        original += newline.encode()
    return original + rows


def _backup_path(log: Path, now: pd.Timestamp) -> Path:
    stem = f"{log.stem}.{now:%Y%m%d-%H%M%S}"
    candidate = log.with_name(f"{stem}.bak{log.suffix}")
    # Two runs in the same second must not overwrite the first backup.
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = log.with_name(f"{stem}-{counter}.bak{log.suffix}")
    return candidate
