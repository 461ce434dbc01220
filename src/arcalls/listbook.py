"""The layout of the call list on paper and on screen: its columns, headers, sheets.

One module owns how a :class:`arcalls.calllist.CallList` is laid out in a file, so that
the writer (:func:`arcalls.calllist.write_call_list`) and the reader of a filled-in list
(:func:`arcalls.worksheet.read_filled_list`) agree:

- :data:`CALL_COLUMNS`, the list's columns in order;
- :data:`EXCEL_HEADERS` / :func:`excel_header`, the headers a person reads in Excel;
- :data:`EXCEL_LEFT_COLUMNS`, :data:`EXCEL_PRINTED_COLUMNS`, the columns left of and
  right after the entry columns;
- :data:`ENTRY_COLUMNS` (and its parts), the empty columns the caller fills in, with
  their validation (``_entry_columns``);
- the sheets' names and the document properties that make a list readable back.

It imports neither :mod:`arcalls.calllist` nor :mod:`arcalls.worksheet`: both import it,
and the worksheet imports the call list, so the arrows go one way
(``worksheet -> calllist -> listbook``; tests/test_imports.py checks it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

from ._excel import EntryColumn
from ._plan_rules import PLAN_FREQUENCIES
from .schema import OUTCOMES

if TYPE_CHECKING:
    from .calllist import CallList


#: Columns of :attr:`CallList.calls`, in order.
CALL_COLUMNS: tuple[str, ...] = (
    "rank",
    "customer_id",
    "customer_name",
    "contact_name",
    "phone",
    "best_time_to_call",
    "overdue_balance",
    "oldest_days_past_due",
    "overdue_invoices",
    "last_call_date",
    "last_call_outcome",
    "promise_date",
    "promise_amount",
    "promise_status",
    "callback_due_at",
    "plan_status",
    "p_pay",
    "expected_dollars",
    "reasons",
    "handoff_suggested",
    "handoff_gain",
    "action",
    "action_reason",
)

#: The Excel list's columns left of the entry columns: who to call and when. The entry
#: columns (``arcalls.worksheet.ENTRY_COLUMNS``) follow, and the panes are frozen after
#: them; the other columns of :data:`CALL_COLUMNS` come next, in their order.
EXCEL_LEFT_COLUMNS: tuple[str, ...] = (
    "rank",
    "assigned_to",
    "customer_name",
    "phone",
    "best_time_to_call",
)
#: The columns right after the entry columns, the last ones printed: a printed list
#: holds who to call, the boxes to write in and what to chase; the rest is on screen,
#: starting with the entry columns of ``arcalls.worksheet.SCREEN_ENTRY_COLUMNS``.
EXCEL_PRINTED_COLUMNS: tuple[str, ...] = ("overdue_balance", "oldest_days_past_due", "action")

#: The headers a person reads in the Excel workbook, by column name: the one place they
#: are set. CSV files keep the column names. A column missing here is shown as its name
#: with spaces (:func:`excel_header`); reading a list back maps the headers to names.
EXCEL_HEADERS: dict[str, str] = {
    "rank": "#",
    "customer_id": "Customer id",
    "customer_name": "Customer",
    "contact_name": "Contact",
    "phone": "Phone",
    "best_time_to_call": "Best time to call",
    "overdue_balance": "Overdue balance",
    "open_balance": "Open balance",
    "disputed_balance": "Disputed balance",
    "oldest_days_past_due": "Days past due (oldest)",
    "overdue_invoices": "Overdue invoices",
    "last_call_date": "Last call",
    "last_call_outcome": "Last call's outcome",
    "promise_date": "Last promise: date",
    "promise_amount": "Last promise: amount",
    "promise_status": "Last promise: status",
    "p_pay": "Chance of paying this week",
    "expected_dollars": "Expected dollars",
    "reasons": "Why this rank",
    "handoff_suggested": "Agency handoff suggested",
    "handoff_gain": "Gain from handoff now",
    "action": "Action",
    "action_reason": "Why this action",
    "assigned_to": "Assigned to",
    "reason": "Why not to call",
    # The entry columns the caller fills in.
    "called_at": "Called at (date time)",
    "outcome": "Outcome",
    "new_promise_date": "New promise: pay by",
    "new_promise_amount": "New promise: amount",
    "notes": "Notes",
    "callback_at": "Call back at (date time)",
    "payments_contact": "Payments contact",
    "payments_contact_title": "Payments contact's title",
    "plan_amount": "Plan: total",
    "plan_instalments": "Plan: instalments",
    "plan_first_date": "Plan: first instalment",
    "plan_frequency": "Plan: frequency",
    "plan_schedule": "Plan: schedule",
}


def excel_header(column: str) -> str:
    """The header of ``column`` in an Excel workbook (:data:`EXCEL_HEADERS`).

    >>> excel_header("p_pay"), excel_header("some_new_column")
    ('Chance of paying this week', 'Some new column')
    """
    return EXCEL_HEADERS.get(column, column.replace("_", " ").capitalize())


_MONEY_COLUMNS = (
    "overdue_balance",
    "open_balance",
    "disputed_balance",
    "promise_amount",
    "expected_dollars",
)
_DATE_COLUMNS = ("last_call_date", "promise_date")

#: Custom document properties that make an Excel list readable back.
PROPERTY_KIND, KIND_CALL_LIST = "arcalls_workbook", "call list"
PROPERTY_AS_OF = "arcalls_as_of"
#: The listed customer ids, as a JSON list cut into numbered properties of at most
#: :data:`PROPERTY_CHUNK` characters (Excel keeps text properties up to 255).
PROPERTY_ACCOUNTS = "arcalls_accounts"
PROPERTY_CHUNK = 250
#: The sheet holding the list and its entry columns, and the call sheets' sheet.
LIST_SHEET = "Call list"
SHEETS_SHEET = "Call sheets"

#: Entry columns of a payment plan (outcome ``plan``), named as the call log's columns.
PLAN_ENTRY_COLUMNS: tuple[str, ...] = (
    "plan_instalments",
    "plan_first_date",
    "plan_frequency",
    "plan_amount",
    "plan_schedule",
)

#: The empty columns of the Excel list that the caller fills in (the list already has
#: ``promise_date``/``promise_amount`` for the last promise, hence ``new_``).
ENTRY_COLUMNS: tuple[str, ...] = (
    "called_at",
    "outcome",
    "new_promise_date",
    "new_promise_amount",
    *PLAN_ENTRY_COLUMNS,
    "callback_at",
    "payments_contact",
    "payments_contact_title",
    "notes",
)
#: Entry columns filled now and then (a plan's terms, who pays): in the Excel list they
#: sit after the printed columns, so that a printed list keeps a legible size.
SCREEN_ENTRY_COLUMNS: tuple[str, ...] = (
    *PLAN_ENTRY_COLUMNS,
    "payments_contact",
    "payments_contact_title",
)
#: Entry columns a list written before they existed lacks: read as empty when absent.
CALLBACK_ENTRY_COLUMNS: tuple[str, ...] = (
    "callback_at",
    "payments_contact",
    "payments_contact_title",
)


def _entry_columns(as_of: pd.Timestamp) -> tuple[EntryColumn, ...]:
    """The Excel entry columns of a list made on ``as_of``, with their validation."""
    first = as_of.date()
    return (
        EntryColumn(
            "called_at",
            "datetime",
            prompt="Date and time of the call, e.g. 2026-11-02 14:30",
            earliest=first,
        ),
        EntryColumn("outcome", "choice", prompt="Pick the outcome", choices=OUTCOMES),
        EntryColumn(
            "new_promise_date",
            "date",
            prompt="Outcome 'promise': the date they will pay by",
            earliest=first,
        ),
        EntryColumn(
            "new_promise_amount",
            "money",
            prompt="Outcome 'promise': the amount (empty = the whole overdue balance)",
        ),
        *_plan_entry_columns(first),
        EntryColumn(
            "callback_at",
            "later_datetime",
            prompt="They asked to be called back: date and time, e.g. 2026-11-05 14:00",
            earliest=first,
        ),
        EntryColumn(
            "payments_contact",
            "text",
            prompt="Who handles payments there (name), if you learnt it",
        ),
        EntryColumn(
            "payments_contact_title",
            "text",
            prompt="Their title, e.g. Accounts payable",
        ),
        EntryColumn("notes", "text", prompt="What was said"),
    )


def _plan_entry_columns(first) -> tuple[EntryColumn, ...]:
    """The plan's entry columns: equal instalments, or an explicit schedule."""
    return (
        EntryColumn(
            "plan_instalments",
            "text",
            prompt="Outcome 'plan': how many instalments (a whole number, e.g. 3)",
        ),
        EntryColumn(
            "plan_first_date",
            "date",
            prompt="Outcome 'plan': the date of the first instalment",
            earliest=first,
        ),
        EntryColumn(
            "plan_frequency",
            "choice",
            prompt="Outcome 'plan': how often an instalment falls",
            choices=PLAN_FREQUENCIES,
        ),
        EntryColumn(
            "plan_amount",
            "money",
            prompt="Outcome 'plan': the total agreed (split equally, the last absorbs cents)",
        ),
        EntryColumn(
            "plan_schedule",
            "text",
            prompt="Outcome 'plan', instead of count/date/frequency: "
            "2026-12-05=2000.00; 2027-01-05=2000.00",
        ),
    )


def _list_properties(result: CallList) -> dict[str, str]:
    """The document properties stored in an Excel list: as-of date and listed accounts."""
    ids = json.dumps(result.calls["customer_id"].astype(str).tolist(), separators=(",", ":"))
    chunks = [ids[i : i + PROPERTY_CHUNK] for i in range(0, len(ids), PROPERTY_CHUNK)]
    props = {
        PROPERTY_KIND: KIND_CALL_LIST,
        PROPERTY_AS_OF: result.as_of.date().isoformat(),
        f"{PROPERTY_ACCOUNTS}_parts": str(len(chunks)),
    }
    props.update({f"{PROPERTY_ACCOUNTS}_{k}": c for k, c in enumerate(chunks, start=1)})
    return props
