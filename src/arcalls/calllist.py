"""The weekly call list: whom to call, in what order, and whom not to call and why.

:func:`call_list` puts every customer with an open balance on the as-of date either on
the list (ranked by the dollars a call is expected to bring in) or in the excluded
table with every must-not-call reason that applies (DESIGN.md). :func:`write_call_list`
exports both as CSV (two files) or as one Excel workbook (two sheets), formula-safe,
atomically, and byte for byte the same for the same inputs.

Rules, as implemented:

- The as-of date is a day: payments dated on or before it and calls made any time on
  it are known.
- **Overdue balance** (what a call chases) = open amounts of undisputed invoices past
  due (``days_past_due > 0``) plus every open credit note (negative open amount, due or
  not: the customer will deduct it), floored at zero. Disputed invoices leave the
  chase but are shown in ``disputed_balance``.
- **Must-not-call** reasons, in this order: zero overdue balance; whole balance
  disputed (every positive open dollar is on a disputed invoice; such an account is
  not also reported as zero overdue); pending promise; do not call; placed with an
  agency (``placed_with_agency_date`` on or before as-of); called within the cool-down
  (any attempt fewer than ``cooldown_days`` days before as-of, so with 3 a call on
  Monday blocks Monday to Wednesday); attempt limit (``max_attempts_7d`` attempts in
  the 7 days ending on as-of). With ``consumer=True`` (US Regulation F pattern) also:
  a right-party conversation in the last 7 days.
- **Callbacks.** When an account's latest call up to as-of (any outcome) asked for a
  callback (``callback_at``) on a later day, the account is excluded with the reason
  ``"callback asked for Thu 2026-12-10 14:00"`` until that day. On the callback's day,
  and on every day after it until a later call is logged (the callback is then
  overdue, and the reason says so), it heads the list, earliest callback first, with
  ``"callback asked for 14:00 today"`` in ``reasons`` and the time in
  ``callback_due_at`` (the Excel list's entry column ``callback_at`` is for new ones),
  for :data:`CALLBACK_LAPSE_DAYS` days: a callback still not returned after that has
  lapsed (what the customer asked to be called back about is that old), and the
  account takes its place in the order like any other, with ``"callback asked for Mon
  2025-05-12 11:45 lapsed: not called back within 14 days"`` first in its reasons;
  the cool-down (and in consumer mode the quiet days after a conversation) does not
  hold back a callback the customer asked for; every other must-not-call reason still
  does, and the excluded table then names the callback too. A later call supersedes
  an earlier callback.
- **Payment plans** (:mod:`arcalls.plans`; the customer's latest plan): an account whose
  plan is ``on_track`` is excluded, with the next instalment in the reason ("payment
  plan on track: next USD 2,000.00 due 2027-01-05"), until that instalment's deadline
  (due date + grace) passes unpaid. A plan with a missed instalment or defaulted is a
  reason to call: such accounts head the list (before the model's order), with the
  plan in ``action_reason``. A completed or superseded plan changes nothing.
- Order: callbacks due first (earliest first), then accounts with a missed or
  defaulted plan, then expected dollars (``p_pay`` x overdue balance), then overdue
  balance, then oldest days past due, all descending, then customer id: a total order,
  so the same inputs always give the same list.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

# Aliased: ``call_list`` takes a ``promises`` table.
from . import promises as promise_rules
from ._accounts import (
    _account_balances,
    _check_as_of,
    _flag,
)
from ._calls import NO_EVIDENCE
from ._checks import check_one_currency, format_amount, format_amounts
from ._excel import DATE_FORMAT, DATETIME_FORMAT, MONEY_FORMAT, PERCENT_FORMAT, write_workbook
from ._export import write_csvs
from ._keys import contains, factorize, positions, take_text
from .book import Book, book_for
from .errors import ArcallsError, InputError, NotEnoughHistoryError, OutputError, SchemaError
from .listbook import (
    _DATE_COLUMNS,
    _MONEY_COLUMNS,
    CALL_COLUMNS,
    EXCEL_LEFT_COLUMNS,
    EXCEL_PRINTED_COLUMNS,
    LIST_SHEET,
    SCREEN_ENTRY_COLUMNS,
    SHEETS_SHEET,
    _entry_columns,
    _list_properties,
    excel_header,
)
from .listbook import (
    EXCEL_HEADERS as EXCEL_HEADERS,
)
from .schema import (
    CALLS,
    CUSTOMERS,
    INVOICES,
    PAYMENTS,
    RIGHT_PARTY_OUTCOMES,
    dtype_of,
    round_money,
)

__all__ = [
    "CallList",
    "call_list",
    "write_call_list",
    "EXCLUSION_REASONS",
    "CALLBACK_LAPSE_DAYS",
    "assign_collectors",
    "select_accounts",
    "write_collector_lists",
]

#: Days after any call attempt during which the account is not called again.
DEFAULT_COOLDOWN_DAYS = 3
#: Attempts within :data:`ATTEMPT_WINDOW_DAYS` after which the account rests.
DEFAULT_MAX_ATTEMPTS_7D = 7
#: The window (days, ending on the as-of date) over which attempts are counted.
ATTEMPT_WINDOW_DAYS = 7
#: Consumer mode: no call within this many days after a right-party conversation.
CONSUMER_QUIET_DAYS_AFTER_CONTACT = 7
#: Consumer mode: the attempt limit can be lowered but never raised above this.
CONSUMER_MAX_ATTEMPTS_7D = 7
#: Consumer mode: calls only from this hour to this hour, customer's local time.
CONSUMER_CALL_HOURS = (8, 21)
#: Decimals of ``p_pay`` in exports (money always has 2).
P_PAY_DECIMALS = 4
#: Columns of the call log that :func:`call_list` never reads (the call sheets and the
#: follow-ups do): a run that makes neither can let them go once the log is loaded.
#: ``tests/test_cli_call_list.py`` checks that the list is the same without them.
_UNREAD_CALL_COLUMNS = ("duration_s", "notes", "payments_contact", "payments_contact_title")

REASON_ZERO_OVERDUE = "zero overdue balance"
REASON_DISPUTED = "whole balance disputed"
REASON_PENDING_PROMISE = "pending promise"
#: Days after its day that a callback not returned still heads the list; later it has
#: lapsed (the account is ranked like any other, and its reasons say so).
CALLBACK_LAPSE_DAYS = 14
#: How a lapsed callback's reason goes on after :data:`REASON_CALLBACK` and its time.
_LAPSED_PATTERN = r" [^;]* lapsed: not called back within"
#: An excluded account's callback reason starts so and goes on with the day and time
#: asked for ("callback asked for Thu 2026-12-10 14:00").
REASON_CALLBACK = "callback asked for"
REASON_DO_NOT_CALL = "do not call"
REASON_AGENCY = "placed with agency"
REASON_COOLDOWN = "called within cool-down"
REASON_ATTEMPTS = "attempt limit in 7 days"
REASON_RIGHT_PARTY = "right-party contact in last 7 days"
#: The reason reads "payment plan on track: next USD 2,000.00 due 2027-01-05".
REASON_PLAN_ON_TRACK = "payment plan on track"

#: The one recommended action of each listed account (column ``action``).
ACTION_CALL = "call"
ACTION_CALL_BEFORE_HANDOFF = "call before handoff"
ACTION_FIND_NUMBER = "find a new number"
ACTION_HAND_OFF = "hand off"
ACTIONS: tuple[str, ...] = (
    ACTION_CALL,
    ACTION_CALL_BEFORE_HANDOFF,
    ACTION_FIND_NUMBER,
    ACTION_HAND_OFF,
)

#: Every must-not-call reason, in the order they are listed in the excluded table.
#: Reason given on every row when the history cannot train the model (see ``_scores``).
FALLBACK_REASON = "largest overdue balance (too little history to train the model)"

EXCLUSION_REASONS: tuple[str, ...] = (
    REASON_ZERO_OVERDUE,
    REASON_DISPUTED,
    REASON_PENDING_PROMISE,
    REASON_CALLBACK,
    REASON_DO_NOT_CALL,
    REASON_AGENCY,
    REASON_COOLDOWN,
    REASON_ATTEMPTS,
    REASON_RIGHT_PARTY,
    REASON_PLAN_ON_TRACK,
)

#: Columns of :attr:`CallList.excluded`, in order.
EXCLUDED_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "customer_name",
    "open_balance",
    "overdue_balance",
    "disputed_balance",
    "oldest_days_past_due",
    "last_call_date",
    "last_call_outcome",
    "promise_date",
    "promise_status",
    "plan_status",
    "reason",
)

_PROMISE_COLUMNS = ("customer_id", "called_at", "promise_date", "status")


@dataclass(frozen=True)
class CallList:
    """The weekly call list and the accounts left off it.

    Attributes
    ----------
    calls : DataFrame
        The ranked list, one row per account to call (columns :data:`CALL_COLUMNS`).
    excluded : DataFrame
        Accounts with an open balance that must not be called, with ``reason``
        (every reason that applies, ``"; "``-joined).
    as_of : Timestamp
        The day the list is made for.
    callable_accounts : int
        Accounts that may be called (``len(calls)`` unless ``top`` cut the list).
    handoff_age : int or None
        Days past due from which ``handoff_suggested`` is True.
    ranking_note : str or None
        Set when the list is not ranked by the model: why, and what it is ranked by.
    currency : str or None
        The invoices' one currency code (None: no ``currency`` column); every amount
        the list describes is in it.
    overdue_totals : Series or None
        How the listed accounts' overdue dollars reconcile with the overdue total of
        :func:`arcalls.aging` (see :attr:`overdue_reconciliation`).
    promises : DataFrame or None
        The promise outcomes the list was built from (:func:`arcalls.promise_outcomes`
        as of ``as_of``, or the table passed as ``promises``); None when the calls hold
        no promise or none were given. :func:`arcalls.worksheet.call_sheets` and the
        report read them from here instead of judging the promises again.
    plans : DataFrame or None
        The payment plans' status the list was built from
        (:func:`arcalls.plan_status` as of ``as_of``, every plan made by then); None
        when the calls hold no plan. The call sheets read it from here.
    handoff_accounts : int or None
        Accounts of the whole book (listed, excluded or cut by ``top``) that gain from
        being placed with an agency now, from ``handoff_age`` on: the count of
        :func:`arcalls.accounts_to_hand_off` (the report's), of which the listed ones
        are flagged ``handoff_suggested``. None when no handoff is considered.
    """

    calls: pd.DataFrame
    excluded: pd.DataFrame
    as_of: pd.Timestamp
    callable_accounts: int
    handoff_age: int | None = None
    consumer: bool = field(default=False)
    ranking_note: str | None = None
    currency: str | None = None
    overdue_totals: pd.Series | None = None
    promises: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    plans: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    handoff_accounts: int | None = None

    @property
    def excluded_by_reason(self) -> pd.Series:
        """How many excluded accounts each reason applies to (an account can count twice)."""
        reasons = self.excluded["reason"].astype("string").str.split("; ").explode()
        # A callback's reason carries its day and time: counted under its label.
        reasons = reasons.where(~reasons.str.startswith(REASON_CALLBACK), REASON_CALLBACK)
        # Other reasons with details ("payment plan on track: next ...") too.
        reasons = reasons.str.replace(r":.*$", "", regex=True)
        counts = reasons.value_counts()
        order = [r for r in EXCLUSION_REASONS if r in counts.index]
        return counts.reindex(order).astype("int64").rename("accounts")

    @property
    def summary(self) -> pd.Series:
        """Headline numbers: accounts listed and excluded, dollars at stake."""
        return pd.Series(
            {
                "as_of": self.as_of.date().isoformat(),
                "accounts_listed": len(self.calls),
                "accounts_callable": self.callable_accounts,
                "accounts_excluded": len(self.excluded),
                "overdue_balance_listed": float(round_money(self.calls["overdue_balance"].sum())),
                "expected_dollars_listed": float(round_money(self.calls["expected_dollars"].sum())),
                "overdue_balance_excluded": float(
                    round_money(self.excluded["overdue_balance"].sum())
                ),
                "handoff_age": self.handoff_age,
                "consumer_rules": self.consumer,
            },
            dtype=object,
            name="call list",
        )

    def describe(self) -> str:
        """One line: N accounts to call, M excluded (by reason), expected dollars."""
        by_reason = ", ".join(f"{n} {reason}" for reason, n in self.excluded_by_reason.items())
        shown = (
            f"{len(self.calls)} accounts to call"
            if len(self.calls) == self.callable_accounts
            else f"{len(self.calls)} of {self.callable_accounts} callable accounts listed"
        )

        def money(value) -> str:
            return format_amount(float(value), self.currency)

        overdue = (
            f"{money(round_money(self.calls['overdue_balance'].sum()))} overdue on the "
            "listed accounts (undisputed, net of credits)"
        )
        if self.ranking_note:
            text = f"; {overdue}. {self.ranking_note}"
        else:
            expected = round_money(self.calls["expected_dollars"].sum())
            text = f"; expected dollars of the list {money(expected)} on {overdue}."
        lapsed = int(
            self.calls["reasons"].str.match(REASON_CALLBACK + _LAPSED_PATTERN).fillna(False).sum()
        )
        if lapsed:
            text += (
                f" {lapsed} listed account(s) asked for a callback that lapsed (not returned "
                f"within {CALLBACK_LAPSE_DAYS} days of its day): ranked with the rest, the "
                "reason first says so."
            )
        return (
            f"{shown}, {len(self.excluded)} excluded"
            + (f" ({by_reason})" if by_reason else "")
            + text
            + self._reconciliation_text()
        )

    @property
    def overdue_reconciliation(self) -> pd.Series:
        """The overdue total of :func:`arcalls.aging`, split as the call list sees it.

        ``all_overdue`` (every open dollar past due, disputed and credit notes included,
        as ``aging`` and ``ar_metrics`` count it) = ``listed`` (overdue balance of the
        accounts on the list) + ``beyond_top`` (callable accounts cut by ``top``) +
        ``excluded`` (overdue balance of the accounts not to call) + ``disputed``
        (disputed dollars past due, which leave the chase) + ``credits`` (credit notes
        not yet due, which the list nets against the overdue dollars, and balances
        floored at zero). To the cent.
        """
        if self.overdue_totals is not None:
            return self.overdue_totals
        listed = float(round_money(self.calls["overdue_balance"].sum()))
        excluded = float(round_money(self.excluded["overdue_balance"].sum()))
        return pd.Series(
            {
                "all_overdue": listed + excluded,
                "listed": listed,
                "beyond_top": 0.0,
                "excluded": excluded,
                "disputed": 0.0,
                "credits": 0.0,
            },
            name="overdue",
        )

    def _reconciliation_text(self) -> str:
        parts = self.overdue_reconciliation
        if self.overdue_totals is None:
            return ""
        names = {
            "beyond_top": "on callable accounts beyond the top",
            "excluded": "on the excluded accounts",
            "disputed": "disputed",
            "credits": "netted credits",
        }
        extra = [
            f" {'-' if parts[k] < 0 else '+'} {format_amount(abs(parts[k]), self.currency)} {label}"
            for k, label in names.items()
            if abs(parts[k]) >= 0.005
        ]
        if not extra:
            return ""
        return (
            " All overdue receivables (as arcalls aging counts them): "
            f"{format_amount(parts['all_overdue'], self.currency)} = "
            f"{format_amount(parts['listed'], self.currency)} listed" + "".join(extra) + "."
        )

    def _repr_html_(self) -> str:
        return (
            f"<p><b>Call list as of {self.as_of.date()}</b>: {html.escape(self.describe())}</p>"
            + self.calls.head(20).to_html(index=False)
            + "<p><b>Excluded</b></p>"
            + self.excluded.head(20).to_html(index=False)
        )

    def __repr__(self) -> str:
        return f"CallList(as_of={self.as_of.date()}: {self.describe()})"


def call_list(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    as_of,
    top: int | None = None,
    model=None,
    promises: pd.DataFrame | None = None,
    cooldown_days: int = DEFAULT_COOLDOWN_DAYS,
    max_attempts_7d: int = DEFAULT_MAX_ATTEMPTS_7D,
    handoff_age: int | None = None,
    handoff=None,
    consumer: bool = False,
    book: Book | None = None,
) -> CallList:
    """The weekly call list: ranked accounts to call and the accounts not to call.

    Parameters
    ----------
    invoices, payments, calls, customers : DataFrame
        Canonical tables (``payments=None``: the invoices' own settlement columns;
        ``calls``/``customers`` may be None). Only what is known on ``as_of`` is used.
    as_of : date-like
        The day the list is for.
    top : int, optional
        Keep only the first ``top`` accounts (the excluded table is always complete).
    model : optional
        A fitted call-priority model with ``.rank(snapshot)`` returning ``customer_id``,
        ``p_pay`` and ``reasons`` (``arcalls.CallPriorityModel``). None: one is fitted on
        the history in the tables (``arcalls.fit_call_priority_model``).
    promises : DataFrame, optional
        Promise outcomes as of ``as_of`` (``arcalls.promise_outcomes``); computed from
        the calls when None.
    cooldown_days : int, default 3
        An account called (any attempt) fewer than this many days before ``as_of`` is
        not called (0 disables the rule).
    max_attempts_7d : int, default 7
        An account with this many attempts in the 7 days ending on ``as_of`` rests.
    handoff_age : int, optional
        Consider accounts for an agency handoff from this age (days past due). An
        account is flagged only where its own expected gain of placing it now
        (``handoff_gain``: ``arcalls.account_handoff_gains``, from its balance, the ages
        of its invoices and the fee of its size) is above zero. None, and no
        ``handoff``: no handoff is considered.
    handoff : HandoffAnalysis, optional
        The model behind ``handoff_gain`` (``arcalls.recommend_handoff``); default, when
        ``handoff_age`` is given: ``recommend_handoff`` at point estimates on these
        tables.
    consumer : bool, default False
        Apply the US Regulation F pattern for consumer debts: also no call within 7
        days after a right-party conversation, at most 7 attempts in 7 days whatever
        ``max_attempts_7d`` says (counted per customer, which is at least as strict as
        per debt), and the best time to call is kept within 8am-9pm local time.
    book : Book, optional
        The run's coded book of these same tables (``arcalls.book.book_of``), shared
        with the other analyses of the run; built here when None.

    Returns
    -------
    CallList
        ``.calls`` (the ranked list), ``.excluded`` (with ``reason``), ``.summary``.

    Raises
    ------
    SchemaError
        When a table lacks a required column.
    InputError
        When an option is out of range.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> result = call_list(*s, as_of="2025-06-30", top=10)
    >>> len(result.calls) <= 10
    True
    >>> # After the accounts called first (a callback due, a missed or defaulted plan),
    >>> # the list is in expected dollars.
    >>> first = result.calls["callback_due_at"].notna() | result.calls["plan_status"].isin(
    ...     PLAN_CALL_FIRST)
    >>> bool(result.calls.loc[~first, "expected_dollars"].is_monotonic_decreasing)
    True
    >>> # Every excluded account is counted under at least one of the reasons.
    >>> int(result.excluded_by_reason.sum()) >= len(result.excluded)
    True
    >>> set(result.calls["action"]) <= set(ACTIONS)
    True
    """
    as_of = _check_as_of(as_of)
    _check_table(invoices, INVOICES, "invoices")
    currency = check_one_currency(invoices)
    for frame, table, name in (
        (payments, PAYMENTS, "payments"),
        (calls, CALLS, "calls"),
        (customers, CUSTOMERS, "customers"),
    ):
        if frame is not None:
            _check_table(frame, table, name)
    _check_options(
        top=top,
        cooldown_days=cooldown_days,
        max_attempts_7d=max_attempts_7d,
        handoff_age=handoff_age,
    )
    book = book_for(book, invoices, payments, calls, customers)

    if promises is None and _has_promises(calls):
        # Judged before the training (the snapshot's promise features read the same
        # judgement), so that its temporaries do not add to the training's memory.
        promise_rules._checked_judgement(calls, payments, invoices, as_of=as_of, book=book)
    if _has_plans(calls):
        # Likewise the plans' instalments, which the snapshot's plan features and the
        # plan status below read: judged inside the training, their temporaries were the
        # run's peak memory at 1M invoices.
        from .plans import DEFAULT_GRACE_DAYS, _judged_instalments

        _judged_instalments(
            calls,
            payments,
            invoices,
            as_of=as_of,
            grace_days=DEFAULT_GRACE_DAYS,
            tolerance=0.0,
            book=book,
        )
    # Training first, while nothing else of this list is held: it is the run's peak memory.
    model, snapshot, ranking_note = _model_and_snapshot(
        invoices, payments, calls, customers, as_of=as_of, model=model, book=book
    )
    accounts = _account_balances(invoices, payments, as_of=as_of, book=book)
    accounts = _add_customer_details(accounts, customers, as_of=as_of)
    # The known calls, and their customers coded from the book's one hash pass over the
    # call log (the known rows worked out once for both).
    known, known_customers = _known_calls(None, as_of=as_of), None
    if calls is not None:
        rows = _known_rows(calls, as_of=as_of)
        known = _calls_at(calls, rows)
        if not known.empty:
            known_customers = _CallCustomers(book, slice(None) if rows is None else rows)
    activity = _call_activity(
        known,
        accounts["customer_id"],
        as_of=as_of,
        cooldown_days=cooldown_days,
        consumer=consumer,
        coded=known_customers,
    )
    accounts = accounts.merge(activity.drop(columns="_last_call"), on="customer_id", how="left")
    if promises is None:
        promises = _promise_outcomes(calls, payments, invoices, as_of=as_of, book=book)
    accounts = accounts.merge(_promise_state(promises), on="customer_id", how="left")
    accounts = accounts.merge(
        _callbacks(calls, activity, as_of=as_of), on="customer_id", how="left"
    )
    plans = _plan_table(calls, payments, invoices, as_of=as_of, book=book)
    accounts = accounts.merge(
        _plan_state(plans, currency=currency),
        on="customer_id",
        how="left",
    )
    accounts = accounts.assign(
        attempts_7d=accounts["attempts_7d"].fillna(0).astype("int64"),
        pending_promise=_flag(accounts["pending_promise"]),
        callback_due=_flag(accounts["callback_due"]),
        callback_lapsed=_flag(accounts["callback_lapsed"]),
        callback_later=_flag(accounts["callback_later"]),
    )

    if consumer:
        # Regulation F allows at most 7 attempts per debt in 7 days; counting per
        # customer (all debts together) is at least as strict.
        max_attempts_7d = min(max_attempts_7d, CONSUMER_MAX_ATTEMPTS_7D)
    reason = _exclusion_reasons(accounts, max_attempts_7d=max_attempts_7d, consumer=consumer)
    is_excluded = reason != ""
    excluded = _excluded_table(accounts[is_excluded], reason[is_excluded])

    to_call = accounts[~is_excluded]
    scores = _scores(
        to_call,
        invoices,
        payments,
        calls,
        customers,
        as_of=as_of,
        model=model,
        snapshot=snapshot,
        book=book,
    )
    to_call = to_call.merge(scores, on="customer_id", how="left")
    to_call = to_call.assign(
        best_time_to_call=_best_times(
            to_call, known, customers, consumer=consumer, coded=known_customers
        ),
        expected_dollars=round_money(to_call["p_pay"] * to_call["overdue_balance"]),
    )
    handoff_columns, handoff_accounts = _handoff_columns(
        to_call,
        invoices,
        payments,
        customers,
        as_of=as_of,
        handoff_age=handoff_age,
        handoff=handoff,
        book=book,
    )
    to_call = to_call.merge(handoff_columns, on="customer_id", how="left")
    to_call = to_call.assign(
        handoff_suggested=_flag(to_call["handoff_suggested"]),
        **_actions(to_call),
    )
    # A missed or defaulted plan is the first reason to call, as it is the first key of
    # the order (a callback due goes before it).
    plan_call = to_call["plan_call"].astype("string").replace("", pd.NA)
    plan_reason = plan_call.str.replace(r": call first; $", "", regex=True)
    to_call = to_call.assign(
        reasons=(plan_reason + "; " + to_call["reasons"]).fillna(to_call["reasons"])
    )
    due = to_call["callback_due"].to_numpy(dtype=bool)
    # A lapsed callback is said first too, though it no longer orders the list.
    said = due | to_call["callback_lapsed"].to_numpy(dtype=bool)
    to_call = to_call.assign(
        callback_due_at=to_call["callback_at"].where(due),
        reasons=to_call["reasons"].where(
            ~said, to_call["callback_reason"] + ("; " + to_call["reasons"]).fillna("")
        ),
    )
    to_call = to_call.assign(
        action_reason=(to_call["plan_call"].fillna("") + to_call["action_reason"]).astype("string")
    )
    ranked = _order(to_call)
    callable_accounts = len(ranked)
    if top is not None:
        ranked = ranked.head(top)
    ranked = ranked.assign(rank=np.arange(1, len(ranked) + 1, dtype="int64"))
    overdue_totals = _overdue_totals(accounts, to_call, ranked, excluded)
    return CallList(
        calls=ranked.loc[:, list(CALL_COLUMNS)].reset_index(drop=True),
        excluded=excluded,
        as_of=as_of,
        callable_accounts=callable_accounts,
        handoff_age=handoff_age,
        consumer=consumer,
        ranking_note=ranking_note,
        currency=currency,
        overdue_totals=overdue_totals,
        promises=promises,
        plans=plans,
        handoff_accounts=handoff_accounts,
    )


def write_call_list(result: CallList, path: str | os.PathLike, *, sheets=None) -> list[Path]:
    """Export a call list: CSV (plus ``<name>_excluded.csv``) or an .xlsx workbook.

    Both are formula-safe (text a spreadsheet would run arrives as text) and written
    atomically (a failure leaves the previous files as they were). The same list gives
    the same bytes: money has 2 decimals, ``p_pay`` 4, dates are ``YYYY-MM-DD``, and
    the workbook's stored dates are the as-of date.

    Parameters
    ----------
    result : CallList
        From :func:`call_list`.
    path : path-like
        ``*.csv``: the list there and the excluded accounts in ``*_excluded.csv``
        beside it. ``*.xlsx``: one workbook, sheets ``Call list`` and ``Excluded``,
        with a frozen header, currency and date formats, fitted column widths,
        headers for people (:data:`EXCEL_HEADERS`; the CSV keeps the column names)
        and a print setup (landscape, fitted to the page width, header row on every
        page). The ``Call list`` sheet starts with :data:`EXCEL_LEFT_COLUMNS` and the
        empty, validated, marked columns for the caller
        (``arcalls.worksheet.ENTRY_COLUMNS``: ``called_at``, ``outcome`` from a
        drop-down, ``new_promise_date``, ``new_promise_amount``, ``notes``, ...),
        frozen while scrolling right; the workbook stores the as-of date as a
        document property, so that ``arcalls.worksheet.read_filled_list``
        (``arcalls log-calls``) can read the calls back.
    sheets : CallSheets, optional
        ``.xlsx`` only: add a ``Call sheets`` sheet with one block per listed account
        (``arcalls.worksheet.call_sheets``).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputError
        For another suffix, or when the folder is missing or not writable.

    Examples
    --------
    >>> import arcalls, tempfile
    >>> result = call_list(*arcalls.load_sample(), as_of="2025-06-30", top=5)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [p.name for p in write_call_list(result, f"{folder}/week.csv")]
    ['week.csv', 'week_excluded.csv']
    """
    path = check_output_path(path)
    suffix = path.suffix.lower()
    if sheets is not None and suffix != ".xlsx":
        raise OutputError(
            "Call sheets go into an .xlsx list (or an .html file with "
            f"arcalls.worksheet.write_call_sheets), not into {path.name}."
        )
    if suffix == ".csv":
        excluded_path = path.with_name(f"{path.stem}_excluded{path.suffix}")
        return write_csvs(
            {path: _csv_frame(result.calls), excluded_path: _csv_frame(result.excluded)},
            float_format="%.2f",
            date_format="%Y-%m-%d",
        )
    if suffix == ".xlsx":
        formats = dict.fromkeys(_MONEY_COLUMNS, MONEY_FORMAT)
        formats.update(dict.fromkeys(_DATE_COLUMNS, DATE_FORMAT))
        formats["callback_due_at"] = DATETIME_FORMAT
        formats["p_pay"] = PERCENT_FORMAT
        stamp = dt.datetime.combine(result.as_of.date(), dt.time())
        calls = result.calls.assign(p_pay=result.calls["p_pay"].round(P_PAY_DECIMALS))
        # Who to call and when, then the entry columns, on the left; the rest after.
        left = [c for c in EXCEL_LEFT_COLUMNS if c in calls]
        printed = [*left, *(c for c in EXCEL_PRINTED_COLUMNS if c in calls)]
        calls = calls.loc[:, [*printed, *(c for c in calls.columns if c not in printed)]]
        entries = _entry_columns(result.as_of)
        headers = {c: excel_header(c) for c in [*calls.columns, *result.excluded.columns]}
        headers.update({e.name: excel_header(e.name) for e in entries})
        # The boxes of every call on the left, printed; a plan's terms and who pays,
        # needed now and then, after the printed columns, so that a page stays legible.
        more = [e for e in entries if e.name in SCREEN_ENTRY_COLUMNS]
        entries = [e for e in entries if e.name not in SCREEN_ENTRY_COLUMNS]
        write_workbook(
            {LIST_SHEET: calls, "Excluded": result.excluded},
            path,
            formats=formats,
            timestamp=stamp,
            headers=headers,
            entry_at={LIST_SHEET: len(left)},
            printed_columns={LIST_SHEET: len(printed)},
            # An empty list has no row to fill in: its sheet keeps the plain header.
            entry_columns={LIST_SHEET: entries} if len(calls) else None,
            more_entry_columns={LIST_SHEET: more} if len(calls) else None,
            layouts={SHEETS_SHEET: sheets.layout()} if sheets is not None else None,
            properties=_list_properties(result),
        )
    return [path]


def check_output_path(path: str | os.PathLike) -> Path:
    """``path`` as a Path if a call list can be written there, else an OutputError.

    Checked before any work is done, so that a typo in ``--out`` fails at once.
    """
    path = Path(path)
    if path.suffix.lower() not in {".csv", ".xlsx"}:
        raise OutputError(
            f"Cannot write a call list to {path}: the file must end in .csv or .xlsx, "
            f"got {path.suffix or 'no suffix'!r}. Example: --out call_list.xlsx"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(
            f"Cannot write {path}: the folder {folder} does not exist. "
            "Create it first or choose another --out."
        )
    return path


# -- validation ---------------------------------------------------------------------


def _check_table(frame, table, name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{name} must be a pandas DataFrame, got {type(frame).__name__}. "
            f"Load it with arcalls.load_{name}(path)."
        )
    missing = [c for c in table.required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{name} lacks the required column(s) {missing}; it has {list(frame.columns)}. "
            f"Load it with arcalls.load_{name}(path, columns={{...}}) to map your headers."
        )


def _check_options(*, top, cooldown_days, max_attempts_7d, handoff_age) -> None:
    checks = (
        ("top", top, 1, True),
        ("cooldown_days", cooldown_days, 0, False),
        ("max_attempts_7d", max_attempts_7d, 1, False),
        ("handoff_age", handoff_age, 0, True),
    )
    for name, value, lowest, optional in checks:
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lowest:
            raise InputError(
                f"{name} must be a whole number >= {lowest}"
                + (" or None" if optional else "")
                + f", got {value!r}."
            )


# -- the pieces -----------------------------------------------------------------------


def _overdue_totals(accounts, to_call, ranked, excluded) -> pd.Series:
    """Aging's overdue total split into listed, cut, excluded, disputed and credits."""
    return overdue_split(
        _total(accounts["past_due"]),
        _total(accounts["disputed_past_due"]),
        ranked=ranked,
        to_call=to_call,
        excluded=excluded,
    )


def _total(values) -> float:
    return float(round_money(np.sum(values))) + 0.0


def overdue_split(all_overdue: float, disputed: float, *, ranked, to_call, excluded) -> pd.Series:
    """The book's overdue total (``all_overdue``, as aging counts it, of which ``disputed``
    is disputed) split into the listed accounts (``ranked``), those cut by ``top`` (the
    rest of ``to_call``), the excluded ones and the credits: the list's
    ``overdue_totals``. Shared by :func:`call_list` and :mod:`arcalls.partitioned`,
    which adds up its partitions' totals first."""
    listed = _total(ranked["overdue_balance"])
    beyond_top = _total(to_call["overdue_balance"]) - listed
    excluded_total = _total(excluded["overdue_balance"])
    # What is left is the list's netting: credit notes not yet due taken off the
    # overdue dollars, and accounts whose credits exceed them floored at zero.
    credits = all_overdue - listed - beyond_top - excluded_total - disputed
    parts = {
        "all_overdue": all_overdue,
        "listed": listed,
        "beyond_top": beyond_top,
        "excluded": excluded_total,
        "disputed": disputed,
        "credits": credits,
    }
    return pd.Series({k: float(round_money(v)) + 0.0 for k, v in parts.items()}, name="overdue")


def _add_customer_details(
    accounts: pd.DataFrame, customers: pd.DataFrame | None, *, as_of: pd.Timestamp
) -> pd.DataFrame:
    n = len(accounts)
    details = {
        "contact_name": pd.Series(pd.NA, index=accounts.index, dtype="string"),
        "phone": pd.Series(pd.NA, index=accounts.index, dtype="string"),
        "timezone": pd.Series(pd.NA, index=accounts.index, dtype="string"),
        "do_not_call": np.zeros(n, dtype=bool),
        "with_agency": np.zeros(n, dtype=bool),
    }
    if customers is not None and len(customers):
        cust = customers.drop_duplicates("customer_id", keep="last")
        # Each account's row of the customer file (-1: not in it), found in one pass.
        at = positions(accounts["customer_id"], cust["customer_id"])

        def column(name: str) -> pd.Series:
            values = cust[name].array.take(at, allow_fill=True)
            return pd.Series(values, index=accounts.index, name=name)

        for col in ("contact_name", "phone", "timezone"):
            if col in cust:
                details[col] = column(col).astype("string")
        if "do_not_call" in cust:
            details["do_not_call"] = _flag(column("do_not_call"))
        if "placed_with_agency_date" in cust:
            placed = column("placed_with_agency_date")
            details["with_agency"] = (placed <= as_of).to_numpy(dtype=bool)
        if "customer_name" in cust:
            # The customer file is the owner's address book: its name wins.
            own = column("customer_name").astype("string")
            details["customer_name"] = own.fillna(accounts["customer_name"])
    return accounts.assign(**details)


def _known_calls(calls: pd.DataFrame | None, *, as_of: pd.Timestamp) -> pd.DataFrame:
    """The calls made up to the end of ``as_of``: only the columns the list reads."""
    if calls is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in CALLS.required})
    return _calls_at(calls, _known_rows(calls, as_of=as_of))


def _known_rows(calls: pd.DataFrame, *, as_of: pd.Timestamp) -> np.ndarray | None:
    """Which calls were made up to the end of ``as_of`` (a mask), None when all were:
    the rows of :func:`_known_calls` in ``calls``."""
    known = (calls["called_at"] < as_of + pd.Timedelta(days=1)).to_numpy(dtype=bool)
    return None if known.all() else known


def _calls_at(calls: pd.DataFrame, rows: np.ndarray | None) -> pd.DataFrame:
    """The columns the list reads of the calls at ``rows`` (a mask; None: all)."""
    if rows is None:
        # Every call is known (the usual weekly run): the columns without a copy of 3M rows.
        return pd.DataFrame({c: calls[c] for c in CALLS.required}, copy=False)
    return calls.loc[rows, list(CALLS.required)]


class _CallCustomers(NamedTuple):
    """The customers of the known calls (``rows`` of the book's call log), read off the
    book's codes instead of hashing the calls' ids again."""

    book: Book
    rows: np.ndarray | slice

    def positions_in(self, universe) -> np.ndarray:
        return self.book.call_customers_in(universe, self.rows)

    def codes(self) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
        return self.book.call_customers_of(self.rows)


def _call_activity(
    known: pd.DataFrame,
    accounts: pd.Series,
    *,
    as_of: pd.Timestamp,
    cooldown_days: int,
    consumer: bool,
    coded: _CallCustomers | None = None,
) -> pd.DataFrame:
    """Per account called up to ``as_of`` (``known``: the calls up to then), last call,
    attempts in the window, flags (``coded``: the known calls' customers, coded)."""
    columns = {
        "customer_id": dtype_of("id"),
        "last_call_date": "datetime64[ns]",
        "last_call_outcome": "string",
        "attempts_7d": "int64",
        "in_cooldown": "bool",
        "right_party_recent": "bool",
        # The last call's position in ``known`` (for its callback, see _callbacks).
        "_last_call": "int64",
    }
    if known.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    ids = pd.Index(accounts.unique())
    account = positions(known["customer_id"], ids) if coded is None else coded.positions_in(ids)
    mine = account >= 0
    account = account[mine]
    stamp = known["called_at"].to_numpy("datetime64[ns]")[mine]
    days_ago = (
        (as_of.to_datetime64() - stamp.astype("datetime64[D]"))
        .astype("timedelta64[D]")
        .astype(np.int64)
    )
    right_party = known["outcome"].isin(RIGHT_PARTY_OUTCOMES).to_numpy(bool)[mine]
    n = len(ids)
    attempts = np.bincount(account, weights=days_ago < ATTEMPT_WINDOW_DAYS, minlength=n)
    cooldown = np.bincount(account, weights=days_ago < cooldown_days, minlength=n) > 0
    recent = right_party & (days_ago < CONSUMER_QUIET_DAYS_AFTER_CONTACT)
    right_party_recent = np.bincount(account, weights=recent, minlength=n) > 0
    # The last call: the latest time, and for calls logged in the same second the one
    # further down the file, so the "last call" is the same on every run. Two grouped
    # maxima instead of a sort of every call.
    when = stamp.view(np.int64)
    latest = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(latest, account, when)
    at_latest = np.flatnonzero(when == latest[account])
    last = np.full(n, -1)
    np.maximum.at(last, account[at_latest], at_latest)
    called = np.flatnonzero(last >= 0)
    ends = last[called]
    return pd.DataFrame(
        {
            "customer_id": ids[called].astype(dtype_of("id")),
            "last_call_date": stamp[ends].astype("datetime64[D]").astype("datetime64[ns]"),
            # Only the last calls' outcomes leave Arrow memory (not 3M Python strings).
            "last_call_outcome": take_text(known["outcome"], np.flatnonzero(mine)[ends]),
            "attempts_7d": attempts[called].astype("int64"),
            "in_cooldown": cooldown[called],
            "right_party_recent": (
                right_party_recent[called] if consumer else np.zeros(len(called), dtype=bool)
            ),
            "_last_call": np.flatnonzero(mine)[ends],
        }
    ).astype(columns)


def _promise_outcomes(calls, payments, invoices, *, as_of, book=None) -> pd.DataFrame | None:
    if not _has_promises(calls):
        return None
    return promise_rules.promise_outcomes(calls, payments, invoices, as_of=as_of, book=book)


def _has_promises(calls) -> bool:
    return calls is not None and bool((calls["outcome"] == "promise").any())


def _promise_state(promises: pd.DataFrame | None) -> pd.DataFrame:
    """Per customer: any pending promise, and the promise to show (open, else the last)."""
    columns = {
        "customer_id": dtype_of("id"),
        "pending_promise": "bool",
        "promise_date": "datetime64[ns]",
        "promise_amount": "float64",
        "promise_status": "string",
    }
    if promises is None or promises.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    missing = [c for c in _PROMISE_COLUMNS if c not in promises]
    if missing:
        raise SchemaError(
            f"promises lacks the column(s) {missing}: pass the result of "
            "arcalls.promise_outcomes(calls, payments, invoices, as_of=...)."
        )
    pending = _flag(promises["status"] == "pending")
    # An open promise matters more than any older outcome; among equals, the latest
    # (by call time, then call id, then file order; a missing time or id sorts last).
    # Sorted as integer codes: customer (ids in sorted order), pending, time, call id.
    cust, ids = factorize(promises["customer_id"].astype(dtype_of("id")), sort=True)
    when = promises["called_at"].to_numpy("datetime64[ns]").view(np.int64).copy()
    when[when == np.iinfo(np.int64).min] = np.iinfo(np.int64).max
    keys = [when, pending, cust]
    if "call_id" in promises:
        call, _ = factorize(promises["call_id"].astype("string"), sort=True)
        keys.insert(0, np.where(call < 0, np.iinfo(np.int64).max, call))
    rows = np.flatnonzero(cust >= 0)  # a promise without a customer is nobody's
    order = rows[np.lexsort([k[rows] for k in keys])]
    sorted_cust = cust[order]
    last = order[np.r_[sorted_cust[1:] != sorted_cust[:-1], True]] if len(order) else order
    amount = (
        promises["promised_amount"].to_numpy(dtype="float64", na_value=np.nan)[last]
        if "promised_amount" in promises
        else np.full(len(last), np.nan)
    )
    return pd.DataFrame(
        {
            "customer_id": pd.array(ids, dtype=dtype_of("id"))[cust[last]],
            "pending_promise": np.bincount(cust[rows], weights=pending[rows])[cust[last]] > 0,
            "promise_date": promises["promise_date"].to_numpy("datetime64[ns]")[last],
            "promise_amount": round_money(amount),
            "promise_status": promises["status"].astype("string").to_numpy()[last],
        }
    ).astype(columns)


def _callbacks(
    calls: pd.DataFrame | None, activity: pd.DataFrame, *, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Per account whose latest call up to ``as_of`` asked for a callback: when, whether
    it is due (its day is ``as_of`` or has passed) or later, and the reason in words.

    ``activity`` is :func:`_call_activity`'s: each account's last call (the latest time,
    and for calls logged in the same second the one further down the file) as a
    position among the calls known on ``as_of``, so only those calls' callbacks are
    read. A callback at midnight is a day without a time ("callback asked for Thu
    2026-12-10").
    """
    columns = {
        "customer_id": dtype_of("id"),
        "callback_at": "datetime64[ns]",
        "callback_due": "bool",
        "callback_lapsed": "bool",
        "callback_later": "bool",
        "callback_reason": "string",
    }
    if calls is None or "callback_at" not in calls or activity.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    known = np.flatnonzero((calls["called_at"] < as_of + pd.Timedelta(days=1)).to_numpy(bool))
    rows = known[activity["_last_call"].to_numpy(dtype=np.int64)]
    asked = calls["callback_at"].to_numpy("datetime64[ns]")[rows]
    has = ~np.isnat(asked)
    at = pd.Series(asked[has])
    day = at.dt.normalize()
    time = at.dt.strftime(" %H:%M").where(at != day, "")
    when = at.dt.strftime("%a %Y-%m-%d") + time
    lapsed = day < as_of - pd.Timedelta(days=CALLBACK_LAPSE_DAYS)
    reason = np.select(
        [day == as_of, lapsed, day < as_of],
        [
            REASON_CALLBACK + time + " today",
            REASON_CALLBACK
            + " "
            + when
            + f" lapsed: not called back within {CALLBACK_LAPSE_DAYS} days",
            REASON_CALLBACK + " " + when + ": overdue, not called back yet",
        ],
        default=REASON_CALLBACK + " " + when,
    )
    return pd.DataFrame(
        {
            "customer_id": activity["customer_id"].to_numpy()[has],
            "callback_at": at.to_numpy(),
            "callback_due": ((day <= as_of) & ~lapsed).to_numpy(dtype=bool),
            "callback_lapsed": lapsed.to_numpy(dtype=bool),
            "callback_later": (day > as_of).to_numpy(dtype=bool),
            "callback_reason": reason,
        }
    ).astype(columns)


def _exclusion_reasons(
    accounts: pd.DataFrame, *, max_attempts_7d: int, consumer: bool
) -> pd.Series:
    """Every must-not-call reason per account, "; "-joined ("" = may be called)."""
    disputed = accounts["whole_balance_disputed"].to_numpy(dtype=bool)
    due = accounts["callback_due"].to_numpy(dtype=bool)
    flags = {
        REASON_ZERO_OVERDUE: (accounts["overdue_balance"].to_numpy() <= 0) & ~disputed,
        REASON_DISPUTED: disputed,
        REASON_PENDING_PROMISE: accounts["pending_promise"].to_numpy(dtype=bool),
        REASON_CALLBACK: accounts["callback_later"].to_numpy(dtype=bool),
        REASON_DO_NOT_CALL: accounts["do_not_call"].to_numpy(dtype=bool),
        REASON_AGENCY: accounts["with_agency"].to_numpy(dtype=bool),
        # A callback the customer asked for is not held back by the cool-down (nor, in
        # consumer mode, by the quiet days after a conversation: Regulation F does not
        # count calls made with the consumer's prior consent, 12 CFR 1006.14(b)(3)).
        REASON_COOLDOWN: _flag(accounts["in_cooldown"]) & ~due,
        REASON_ATTEMPTS: accounts["attempts_7d"].to_numpy() >= max_attempts_7d,
        REASON_RIGHT_PARTY: (
            _flag(accounts["right_party_recent"]) & ~due
            if consumer
            else np.zeros(len(accounts), dtype=bool)
        ),
        REASON_PLAN_ON_TRACK: (accounts["plan_status"] == "on_track").to_numpy(
            dtype=bool, na_value=False
        ),
    }
    details = {REASON_PLAN_ON_TRACK: accounts["plan_next"].fillna("").to_numpy(dtype=object)}
    # A callback due today is a reason not to call only beside another one (then the
    # excluded table says it was asked for).
    others = np.logical_or.reduce([f for k, f in flags.items() if k != REASON_CALLBACK])
    flags[REASON_CALLBACK] = flags[REASON_CALLBACK] | (due & others)
    joined = np.full(len(accounts), "", dtype=object)
    for label in EXCLUSION_REASONS:
        if label == REASON_CALLBACK:
            # The callback's reason names its day and time.
            text = accounts["callback_reason"].fillna("").to_numpy(dtype=object)
        else:
            text = label + details[label] if label in details else label
        joined = np.where(flags[label], joined + "; " + text, joined)
    return pd.Series(joined, index=accounts.index, dtype="string").str.removeprefix("; ")


def _excluded_table(accounts: pd.DataFrame, reason: pd.Series) -> pd.DataFrame:
    table = accounts.assign(reason=reason)
    table = table.sort_values(
        ["overdue_balance", "open_balance", "customer_id"],
        ascending=[False, False, True],
        kind="mergesort",
    )
    return table.loc[:, list(EXCLUDED_COLUMNS)].reset_index(drop=True)


def _model_and_snapshot(
    invoices, payments, calls, customers, *, as_of, model, book=None
) -> tuple[object | None, pd.DataFrame | None, str | None]:
    """The ranking model, this week's snapshot when training built it, and a note.

    With no model given, one is trained on the history (the same pass over it also
    gives this week's snapshot). When the history cannot train one (say every overdue
    account in it paid within the horizon), the model is None and the note says the list
    falls back to largest overdue balance first.
    """
    if model is not None or invoices.empty:
        return model, None, None
    from . import ranking

    try:
        model, snapshot = ranking._fit_with_snapshot(
            invoices, payments, calls, customers, as_of=as_of, book=book
        )
    except NotEnoughHistoryError as exc:
        return None, None, f"Ranked by largest overdue balance: {exc}"
    return model, snapshot, None


def _scores(
    to_call, invoices, payments, calls, customers, *, as_of, model, snapshot, book=None
) -> pd.DataFrame:
    """``p_pay`` and ``reasons`` for the accounts to call, from the ranking model
    (``snapshot``: this week's, None to build it); with no model, ``p_pay`` unknown."""
    columns = {"customer_id": dtype_of("id"), "p_pay": "float64", "reasons": "string"}
    if to_call.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    if model is None:
        fallback = pd.DataFrame(
            {"customer_id": to_call["customer_id"], "p_pay": np.nan, "reasons": FALLBACK_REASON}
        )
        return fallback.astype(columns)
    if snapshot is None:
        from . import features

        # The features of the accounts to call only, the rows the model scores.
        snapshot = features._snapshot_of(
            invoices,
            payments,
            calls,
            customers,
            as_of=as_of,
            customer_ids=to_call["customer_id"],
            book=book,
        )
    else:
        snapshot = snapshot[contains(snapshot["customer_id"], to_call["customer_id"])]
    ranked = model.rank(snapshot)
    missing = [c for c in ("customer_id", "p_pay") if c not in ranked]
    if missing:
        raise ArcallsError(
            f"The model's rank() returned no {missing} column(s); got {list(ranked.columns)}. "
            "Use a model from arcalls.fit_call_priority_model or arcalls.load_model."
        )
    reasons = ranked["reasons"] if "reasons" in ranked else pd.NA
    return pd.DataFrame(
        {
            "customer_id": ranked["customer_id"].astype(dtype_of("id")),
            "p_pay": ranked["p_pay"].astype("float64"),
            "reasons": reasons,
        }
    ).astype(columns)


def _best_times(to_call, known, customers, *, consumer: bool, coded=None) -> pd.Series:
    """The best local window to call each account, as text (``"10:00-12:00"``).

    From :func:`arcalls.best_call_times` on the calls known on ``as_of``: a window only
    where the account's own history (or its segment's) supports one, else "no evidence
    yet" (the book's best window is not passed off as the account's). In consumer mode
    the window is cut to 8am-9pm local time (the whole of it when none is left).
    """
    if to_call.empty or known.empty:
        start = np.full(len(to_call), np.nan)
        end = np.full(len(to_call), np.nan)
    else:
        if coded is None:
            from .promises import best_call_times

            times = best_call_times(known, customers)
        else:
            from ._calls import _best_call_times

            times = _best_call_times(known, customers, coded=coded.codes())
        per = times.by_customer.set_index("customer_id")
        key = to_call["customer_id"]
        start = key.map(per["best_window_start"]).astype("float64").to_numpy()
        end = key.map(per["best_window_end"]).astype("float64").to_numpy()
    if consumer:
        low, high = CONSUMER_CALL_HOURS
        start = np.where(np.isnan(start), low, np.maximum(start, low))
        end = np.where(np.isnan(end), high, np.minimum(end, high))
        outside = start >= end
        start, end = np.where(outside, low, start), np.where(outside, high, end)

    def hours(values: np.ndarray) -> pd.Series:
        whole = pd.Series(np.nan_to_num(values).astype(np.int64), index=to_call.index)
        return whole.astype(str).str.zfill(2)

    text = (hours(start) + ":00-" + hours(end) + ":00").astype("string")
    return text.where(~np.isnan(start), NO_EVIDENCE).astype("string")


def _order(to_call: pd.DataFrame) -> pd.DataFrame:
    """The accounts to call in the list's order (see :func:`order_accounts`)."""
    # The callback times of the callbacks due only: a lapsed one no longer orders.
    return order_accounts(
        to_call, waits=~to_call["callback_due"].to_numpy(dtype=bool), callback="callback_due_at"
    )


def order_accounts(frame: pd.DataFrame, *, waits: np.ndarray, callback: str) -> pd.DataFrame:
    """Callbacks due (earliest first), then a missed or defaulted plan, then expected
    dollars, overdue balance, age (all descending), then customer id.

    ``waits``: the rows with no callback due; ``callback``: the column of the callback
    times. Shared by :func:`call_list` and :mod:`arcalls.partitioned`, which orders the
    partitions' lists as one.
    """
    plan_first = frame["plan_status"].isin(PLAN_CALL_FIRST).to_numpy(dtype=bool, na_value=False)
    keyed = frame.assign(_waits=waits, _plan_first=plan_first)
    keyed = keyed.sort_values(
        [
            "_waits",
            callback,
            "_plan_first",
            "expected_dollars",
            "overdue_balance",
            "oldest_days_past_due",
            "customer_id",
        ],
        ascending=[True, True, False, False, False, False, True],
        na_position="last",
        kind="mergesort",
    )
    return keyed.drop(columns=["_waits", "_plan_first"])


#: Plan statuses that put an account at the head of the list.
PLAN_CALL_FIRST = ("missed_instalment", "defaulted")


def _has_plans(calls) -> bool:
    return calls is not None and bool((calls["outcome"] == "plan").any())


def _plan_table(calls, payments, invoices, *, as_of, book=None) -> pd.DataFrame | None:
    """Every plan's status on ``as_of`` (:func:`arcalls.plan_status`); None without a plan."""
    if not _has_plans(calls):
        return None
    from .plans import plan_status

    return plan_status(calls, payments, invoices, as_of=as_of, book=book)


def _plan_state(plans: pd.DataFrame | None, *, currency) -> pd.DataFrame:
    """Per customer with a plan: its latest plan's status, the exclusion detail (next
    instalment) and the call-first reason."""
    columns = {
        "customer_id": dtype_of("id"),
        "plan_status": "string",
        "plan_next": "string",
        "plan_call": "string",
    }
    if plans is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    from .plans import latest_plans

    # The latest plan's own row: a column it leaves empty is not filled from an older plan.
    latest = latest_plans(plans)
    latest = latest.reset_index(drop=True)
    due = pd.to_datetime(latest["next_due_date"]).dt.strftime("%Y-%m-%d").fillna("")
    next_amount = format_amounts(latest["next_due_amount"], currency)
    status = latest["status"].astype("string")
    call = np.select(
        [(status == "missed_instalment").to_numpy(bool), (status == "defaulted").to_numpy(bool)],
        [
            "payment plan instalment missed ("
            + next_amount.to_numpy(dtype=object)
            + " due "
            + due.to_numpy(dtype=object)
            + "): call first; ",
            "payment plan defaulted ("
            + format_amounts(latest["remaining"], currency).to_numpy(dtype=object)
            + " left of it): call first; ",
        ],
        default="",
    )
    return pd.DataFrame(
        {
            "customer_id": latest["customer_id"].astype(dtype_of("id")),
            "plan_status": status,
            "plan_next": (": next " + next_amount + " due " + due).astype("string"),
            "plan_call": pd.Series(call, dtype="string"),
        }
    ).astype(columns)


def _csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The table as it goes into a CSV: fixed decimals for p_pay, money to the cent."""
    out = table.copy()
    if "p_pay" in out:
        p = out["p_pay"].to_numpy(dtype="float64")
        text = np.char.mod(f"%.{P_PAY_DECIMALS}f", np.nan_to_num(p))
        out["p_pay"] = pd.Series(np.where(np.isnan(p), "", text), index=out.index)
    for col in _MONEY_COLUMNS:
        if col in out:
            out[col] = round_money(out[col]) + 0.0
    if "callback_due_at" in out:
        # The CSV's dates are days; a callback keeps its time of day.
        out["callback_due_at"] = (
            out["callback_due_at"].dt.strftime("%Y-%m-%d %H:%M").astype("string")
        )
    return out


# ------------------------------------------------------------ handoff and action


def _handoff_columns(to_call, invoices, payments, customers, *, as_of, handoff_age, handoff, book):
    """Per listed account: its own expected gain of placing it now, and the flag."""
    ids = to_call["customer_id"]
    empty = pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "handoff_gain": np.full(len(ids), np.nan),
            "handoff_suggested": np.zeros(len(ids), dtype=bool),
        }
    ).astype({"customer_id": to_call["customer_id"].dtype})
    if handoff is None and handoff_age is None:
        return empty, None
    from .recovery import HandoffAnalysis, account_handoff_gains, recommend_handoff

    if handoff is None:
        # Point estimates are enough for each account's own figure.
        handoff = recommend_handoff(invoices, payments, customers, as_of=as_of, n_boot=0, book=book)
    elif not isinstance(handoff, HandoffAnalysis):
        raise InputError(
            f"handoff must come from arcalls.recommend_handoff(...), got {type(handoff).__name__}."
        )
    gains = account_handoff_gains(
        invoices, payments, customers, as_of=as_of, analysis=handoff, book=book
    )
    at = positions(ids, gains["customer_id"])
    found = at >= 0
    gain = np.where(found, gains["expected_gain"].to_numpy()[at], np.nan)
    flag = np.where(found, gains["hand_off"].to_numpy(dtype=bool)[at], False)
    fee = np.where(found, gains["agency_fee"].to_numpy()[at], np.nan)
    gaining = gains["hand_off"].to_numpy(dtype=bool)
    if handoff_age is not None:
        flag &= to_call["oldest_days_past_due"].to_numpy() >= handoff_age
        gaining &= gains["oldest_days_past_due"].to_numpy() >= handoff_age
    columns = empty.assign(handoff_gain=round_money(gain), handoff_suggested=flag, _fee=fee)
    return columns, int(gaining.sum())


def _money_text(values) -> np.ndarray:
    """$1,234.56 for each value, without a Python call per value."""
    plain = pd.Series(np.char.mod("%.2f", np.nan_to_num(np.asarray(values, dtype="float64"))))
    return ("$" + plain.str.replace(r"(\d)(?=(\d{3})+\.)", r"\1,", regex=True)).to_numpy()


def _actions(to_call: pd.DataFrame) -> dict[str, pd.Series]:
    """One recommended action per listed account, with the reason in words.

    A handoff flag (the account's own gain of placing it now above zero) hands it off,
    unless a call this week is expected to bring more than placing gains: then "call
    before handoff". A last outcome of ``wrong_number`` means the number must be found
    first (or, when the account is flagged, that placing it is the way to reach it).
    """
    flagged = to_call["handoff_suggested"].to_numpy(dtype=bool)
    wrong = (to_call["last_call_outcome"].astype("string") == "wrong_number").to_numpy(
        dtype=bool, na_value=False
    )
    expected = to_call["expected_dollars"].to_numpy(dtype="float64")
    gain = to_call["handoff_gain"].to_numpy(dtype="float64")
    fee = (
        to_call["_fee"].to_numpy(dtype="float64")
        if "_fee" in to_call
        else np.full(len(gain), np.nan)
    )
    call_first = flagged & ~wrong & (np.nan_to_num(expected) > gain)
    e, g = _money_text(expected), _money_text(gain)
    fee_text = np.char.mod("%.0f", np.nan_to_num(fee) * 100).astype(object)
    last = pd.to_datetime(to_call["last_call_date"]).dt.strftime("%Y-%m-%d").fillna("")
    known = ~np.isnan(expected)
    call_reason = np.where(
        known,
        "a call this week is expected to bring " + e,
        "ranked by overdue balance (no model figure)",
    ).astype(object)
    call_reason = call_reason + np.where(
        ~np.isnan(gain) & (gain <= 0),
        "; keeping it beats placing it now by " + _money_text(-gain),
        "",
    )
    reasons = np.select(
        [flagged & wrong, call_first, flagged, wrong],
        [
            "the last call reached a wrong number, and placing it now gains "
            + g
            + " over keeping it (agency fee "
            + fee_text
            + " %)",
            "a call this week is expected to bring "
            + e
            + ", more than the "
            + g
            + " placing it gains; place it if this call does not pay",
            "placing it now gains "
            + g
            + " over keeping it (agency fee "
            + fee_text
            + " %), more than the "
            + e
            + " a call is expected to bring",
            "the last call (" + last.to_numpy(dtype=object) + ") reached a wrong number: "
            "find a working number before calling",
        ],
        default=call_reason,
    )
    action = np.select(
        [flagged & wrong, call_first, flagged, wrong],
        [ACTION_HAND_OFF, ACTION_CALL_BEFORE_HANDOFF, ACTION_HAND_OFF, ACTION_FIND_NUMBER],
        default=ACTION_CALL,
    )
    return {
        "action": pd.Series(action, index=to_call.index, dtype="string"),
        "action_reason": pd.Series(reasons, index=to_call.index, dtype="string"),
    }


# ------------------------------------------------------------ several collectors

#: Characters a collector's name may keep in a file name (the others become ``_``).
_FILE_SAFE = r"[^0-9A-Za-z_-]+"


def parse_collectors(text: str) -> dict[str, int | None]:
    """Collectors and their capacities from ``"Dana,Priya"`` or ``"Dana:40,Priya:20"``.

    A capacity is the most accounts that collector takes this week (None: no limit).

    >>> parse_collectors("Dana:40, Priya")
    {'Dana': 40, 'Priya': None}
    """
    out: dict[str, int | None] = {}
    for part in str(text).split(","):
        name, _, capacity = part.strip().partition(":")
        name = name.strip()
        if not name:
            raise InputError(
                f"--collectors {text!r}: an empty name. Write the names separated by commas, "
                "e.g. --collectors 'Dana,Priya' or with capacities 'Dana:40,Priya:20'."
            )
        if name in out:
            raise InputError(f"--collectors {text!r}: {name!r} is named twice.")
        if capacity.strip():
            try:
                value = int(capacity)
            except ValueError:
                value = -1
            if value < 0:
                raise InputError(
                    f"--collectors {text!r}: the capacity of {name!r} must be a whole number "
                    f"of accounts >= 0, got {capacity.strip()!r} (e.g. 'Dana:40')."
                )
            out[name] = value
        else:
            out[name] = None
    return out


def last_reached_by(calls: pd.DataFrame | None, customer_ids, *, as_of: pd.Timestamp) -> pd.Series:
    """The collector of each account's latest right-party call up to the end of ``as_of``.

    Right party: an outcome in :data:`arcalls.schema.RIGHT_PARTY_OUTCOMES`. Calls
    without a collector do not count; accounts never reached get <NA>. Indexed like
    ``customer_ids``.
    """
    ids = pd.Series(customer_ids).astype(dtype_of("id")).reset_index(drop=True)
    none = pd.Series(pd.NA, index=ids.index, dtype="string", name="last_reached_by")
    if calls is None or "collector" not in calls or calls.empty:
        return none
    known = calls[calls["called_at"] < pd.Timestamp(as_of) + pd.Timedelta(days=1)]
    who = known["collector"].astype("string").str.strip()
    reached = known["outcome"].isin(RIGHT_PARTY_OUTCOMES).to_numpy() & (who.fillna("") != "")
    known = known.loc[reached, ["customer_id", "called_at"]].assign(collector=who[reached])
    # The latest call per account; a tie in time goes to the later row of the log.
    known = known.assign(_row=np.arange(len(known)))
    last = known.sort_values(["called_at", "_row"], kind="mergesort").drop_duplicates(
        "customer_id", keep="last"
    )
    by_id = pd.Series(last["collector"].to_numpy(), index=last["customer_id"].astype("string"))
    return pd.Series(
        by_id.reindex(ids.to_numpy()).to_numpy(), index=ids.index, dtype="string"
    ).rename("last_reached_by")


def select_accounts(
    result: CallList,
    calls: pd.DataFrame | None = None,
    *,
    min_balance: float | None = None,
    collector: str | None = None,
) -> CallList:
    """The list cut to the accounts wanted: a smallest overdue balance, a collector's own.

    Parameters
    ----------
    result : CallList
        From :func:`call_list`.
    calls : DataFrame, optional
        The canonical calls (needed with ``collector``).
    min_balance : float, optional
        Keep accounts whose overdue balance is at least this (compared to the cent).
    collector : str, optional
        Keep the accounts whose latest right-party call was made by this collector
        (:func:`last_reached_by`).

    Returns
    -------
    CallList
        The same list with fewer rows (ranks unchanged); the accounts left out count
        as callable but not listed, so the overdue reconciliation still adds up.

    Examples
    --------
    >>> import arcalls
    >>> week = arcalls.call_list(*arcalls.load_sample(), as_of="2026-10-31")
    >>> big = select_accounts(week, min_balance=5000)
    >>> bool((big.calls["overdue_balance"] >= 5000).all()), len(big.calls) < len(week.calls)
    (True, True)
    """
    if not isinstance(result, CallList):
        raise InputError(
            f"Expected a CallList from arcalls.call_list, got {type(result).__name__}."
        )
    keep = np.ones(len(result.calls), dtype=bool)
    if min_balance is not None:
        try:
            floor = float(min_balance)
        except (TypeError, ValueError):
            floor = float("nan")
        if not np.isfinite(floor) or floor < 0:
            raise InputError(
                f"--min-balance must be an amount >= 0, got {min_balance!r} (e.g. 500 or 1250.50)."
            )
        cents = np.rint(result.calls["overdue_balance"].to_numpy(dtype="float64") * 100)
        keep &= cents >= np.rint(floor * 100)
    if collector is not None:
        name = str(collector).strip()
        if calls is None or "collector" not in calls:
            raise InputError(
                f"--collector {name!r} needs a call log with a 'collector' column, to know who "
                "last reached each account."
            )
        who = last_reached_by(calls, result.calls["customer_id"], as_of=result.as_of)
        keep &= (who == name).fillna(False).to_numpy(dtype=bool)
    return _with_rows(result, keep)


def _with_rows(result: CallList, keep: np.ndarray) -> CallList:
    """``result`` keeping the rows of ``keep``; the others move to ``beyond_top``."""
    import dataclasses

    calls = result.calls[keep].reset_index(drop=True)
    totals = result.overdue_totals
    if totals is not None:
        dropped = float(round_money(result.calls.loc[~keep, "overdue_balance"].sum()))
        totals = totals.copy()
        totals["listed"] = float(round_money(totals["listed"] - dropped))
        totals["beyond_top"] = float(round_money(totals["beyond_top"] + dropped))
    return dataclasses.replace(result, calls=calls, overdue_totals=totals)


def assign_collectors(
    result: CallList,
    calls: pd.DataFrame | None = None,
    *,
    collectors,
) -> CallList:
    """Split the week's list among several collectors (column ``assigned_to``).

    Rules, as implemented:

    - **Kept.** An account stays with the collector who last reached it (the latest
      right-party call, :func:`last_reached_by`) when that collector is named, up to
      the collector's capacity, in list order (the highest expected dollars first).
    - **Dealt.** The other accounts are dealt in list order like cards, in a
      serpentine (A, B, B, A, A, B, ...), starting with the collector holding the
      fewest expected dollars so far (ties: the order named), so that both the count
      and the expected dollars come out even. A collector whose capacity is reached
      leaves the deal; the deal restarts among the others, again starting with the
      one holding the fewest expected dollars.
    - **Beyond capacity.** When every capacity is used up, the remaining accounts get
      no collector (``assigned_to`` empty).

    Parameters
    ----------
    result : CallList
        From :func:`call_list` (or :func:`select_accounts`).
    calls : DataFrame, optional
        The canonical calls, with a ``collector`` column (without: every account is dealt).
    collectors : str, sequence of str or mapping of str to int or None
        ``"Dana,Priya"``, ``"Dana:40,Priya:20"`` (:func:`parse_collectors`), a list of
        names, or names -> capacity (None: no limit).

    Returns
    -------
    CallList
        The same list with ``assigned_to`` after ``rank``.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> week = assign_collectors(arcalls.call_list(*s, as_of="2026-10-31"), s.calls,
    ...                          collectors="Dana Reyes,Priya Natarajan")
    >>> week.calls["assigned_to"].value_counts().sort_index().to_dict()
    {'Dana Reyes': 56, 'Priya Natarajan': 58}
    """
    import dataclasses

    if not isinstance(result, CallList):
        raise InputError(
            f"Expected a CallList from arcalls.call_list, got {type(result).__name__}."
        )
    if isinstance(collectors, str):
        capacity = parse_collectors(collectors)
    elif isinstance(collectors, dict):
        capacity = parse_collectors(
            ",".join(f"{k}:{v}" if v is not None else str(k) for k, v in collectors.items())
        )
    else:
        capacity = parse_collectors(",".join(str(c) for c in collectors))
    names = list(capacity)
    listed = result.calls.reset_index(drop=True)
    n = len(listed)
    value = listed["expected_dollars"].fillna(0.0).to_numpy(dtype="float64")
    assigned = np.full(n, -1, dtype=np.int64)
    room = np.array([np.iinfo(np.int64).max if c is None else c for c in capacity.values()])
    # Kept: the collector who last reached the account, while it has room.
    who = last_reached_by(calls, listed["customer_id"], as_of=result.as_of)
    keeper = who.map({name: k for k, name in enumerate(names)}).astype("Int64")
    keeper = keeper.fillna(-1).to_numpy(dtype=np.int64)
    has = keeper >= 0
    order_in_keeper = pd.Series(keeper).groupby(keeper).cumcount().to_numpy()
    kept = has & (order_in_keeper < room[np.maximum(keeper, 0)])
    assigned[kept] = keeper[kept]
    held = np.bincount(assigned[kept], minlength=len(names)).astype(np.int64)
    dollars = np.bincount(assigned[kept], weights=value[kept], minlength=len(names)).astype(
        "float64"
    )
    # Dealt: in phases, each until a collector fills up (at most one phase per collector).
    rest = np.flatnonzero(~kept)
    while len(rest):
        active = np.flatnonzero(held < room)
        if not len(active):
            break
        active = active[np.lexsort((active, dollars[active]))]
        k = len(active)
        i = np.arange(len(rest))
        turn = np.where((i // k) % 2 == 0, i % k, k - 1 - i % k)
        deal = active[turn]
        # The first account that fills a collector ends the phase.
        got = pd.Series(deal).groupby(deal).cumcount().to_numpy() + 1 + held[deal]
        full = np.flatnonzero(got >= room[deal])
        end = full[0] + 1 if len(full) else len(rest)
        take = rest[:end]
        assigned[take] = deal[:end]
        held += np.bincount(deal[:end], minlength=len(names))
        dollars += np.bincount(deal[:end], weights=value[take], minlength=len(names))
        rest = rest[end:]
    shown = np.array(names, dtype=object)[np.maximum(assigned, 0)]
    column = pd.Series(np.where(assigned >= 0, shown, None), dtype="string")
    frame = listed.drop(columns=["assigned_to"], errors="ignore")
    frame.insert(
        int(frame.columns.get_loc("rank")) + 1 if "rank" in frame else 0, "assigned_to", column
    )
    return dataclasses.replace(result, calls=frame)


def collector_file(path: str | os.PathLike, collector: str) -> Path:
    """Where one collector's list goes beside ``path``: ``week.csv`` -> ``week_Dana.csv``."""
    import re

    path = Path(path)
    safe = re.sub(_FILE_SAFE, "_", str(collector).strip()).strip("_") or "collector"
    return path.with_name(f"{path.stem}_{safe}{path.suffix}")


def write_collector_lists(result: CallList, path: str | os.PathLike, *, sheets=None) -> list[Path]:
    """The combined list at ``path`` and one list per collector beside it.

    ``result`` comes from :func:`assign_collectors`. The combined list is written by
    :func:`write_call_list` (with ``assigned_to``); each collector's list, with only
    their accounts, goes to :func:`collector_file`: for ``.csv`` one file each, for
    ``.xlsx`` one workbook each (with their call sheets, when ``sheets`` is given)
    that the collector fills in and ``arcalls log-calls`` reads back, so that several
    people can type their calls at the same time.

    Returns
    -------
    list of Path
        The combined files, then the collectors' files (a collector with no account gets
        none), in the order of their first account on the list.
    """
    import dataclasses

    if "assigned_to" not in result.calls:
        raise InputError("No assigned_to column: split the list first with assign_collectors.")
    path = check_output_path(path)
    names = result.calls["assigned_to"].dropna().unique().tolist()
    files = {name: collector_file(path, name) for name in names}
    clash = pd.Series(list(files.values())).astype(str)
    if clash.duplicated().any() or path in files.values():
        raise OutputError(
            "Two collectors' lists would share a file name "
            f"({sorted(set(clash[clash.duplicated()]))}): give the collectors names that "
            "differ in letters or digits."
        )
    written = write_call_list(result, path, sheets=sheets)
    empty = result.excluded.iloc[0:0]
    for name, target in files.items():
        mine = (result.calls["assigned_to"] == name).fillna(False).to_numpy(dtype=bool)
        theirs = dataclasses.replace(
            _with_rows(result, mine), excluded=empty, callable_accounts=int(mine.sum())
        )
        if path.suffix.lower() == ".csv":
            written += write_csvs(
                {target: _csv_frame(theirs.calls)}, float_format="%.2f", date_format="%Y-%m-%d"
            )
        else:
            own = None if sheets is None else _sheets_for(sheets, theirs.calls["customer_id"])
            written += write_call_list(theirs, target, sheets=own)
    return written


def _sheets_for(sheets, customer_ids):
    """The call sheets of some accounts only."""
    import dataclasses

    ids = set(pd.Series(customer_ids).astype(str))
    parts = {
        name: frame[frame["customer_id"].astype(str).isin(ids)].reset_index(drop=True)
        for name in ("accounts", "invoices", "payments", "calls", "promises")
        for frame in [getattr(sheets, name)]
    }
    return dataclasses.replace(sheets, **parts)
