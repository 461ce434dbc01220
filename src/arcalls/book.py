"""The coded book: one day convention and one engine for "events of a group up to day d".

Every point-in-time analysis asks the same question many times at once: what had
happened to this customer (or invoice) by this day? Here the answer is worked out one
way for all of them. Days are whole numbers since :data:`DAY_ORIGIN`, a missing date is
:data:`NO_DAY` (never), and :class:`Events` packs (group, day) into one sortable int64,
sorts once and answers every query by binary search.
"""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._keys import factorize, invoice_positions, positions, shared_codes, sort_stable
from .errors import InputError
from .ledger import known_by, open_rule, paid_sums, resolve_payments

__all__ = [
    "DAY_ORIGIN",
    "DAY_SPAN",
    "EPOCH_DAY",
    "NO_DAY",
    "Balances",
    "Book",
    "Events",
    "book_for",
    "book_of",
    "ceil_days",
    "dates_of",
    "day_numbers",
    "first_settled_day",
    "stamps",
]

#: Day 0. Every date of a ledger is later, so every day number is non-negative.
DAY_ORIGIN = np.datetime64("1800-01-01", "D")
#: Day numbers are below this (about 2,870 years), so ``group * DAY_SPAN + day`` is one
#: sortable int64 key for up to 2**43 groups.
DAY_SPAN = 1 << 20
#: The day number of a missing date: later than any real day, so "on or before d" is
#: never true of it, and far enough from the int64 limit that adding days cannot wrap.
NO_DAY = np.iinfo(np.int64).max // 4
#: The day number of 1970-01-01 (days since the Unix epoch = day number - EPOCH_DAY).
EPOCH_DAY = int((np.datetime64("1970-01-01", "D") - DAY_ORIGIN).astype(np.int64))


def stamps(values) -> np.ndarray:
    """Date-likes as a datetime64[ns] array (NaT where missing)."""
    if isinstance(values, pd.Series | pd.Index) and values.dtype == "datetime64[ns]":
        return values.to_numpy()
    return np.asarray(pd.to_datetime(values), dtype="datetime64[ns]")


def day_numbers(values) -> np.ndarray:
    """Day numbers since :data:`DAY_ORIGIN` (the day a time stamp falls on); a missing
    date becomes :data:`NO_DAY`."""
    raw = (values if isinstance(values, np.ndarray) else stamps(values)).astype("datetime64[D]")
    days = (raw - DAY_ORIGIN).astype(np.int64)
    return np.where(np.isnat(raw), NO_DAY, days)


def ceil_days(values) -> np.ndarray:
    """Day number of the first midnight on or after each stamp; :data:`NO_DAY` when
    missing. A payment stamped 14:00 is known from the next day's start."""
    at = values if isinstance(values, np.ndarray) else stamps(values)
    at = at.astype("datetime64[ns]", copy=False)
    later = (at.astype("datetime64[D]") != at) & ~np.isnat(at)
    return day_numbers(at) + later.astype(np.int64)


def dates_of(days: np.ndarray) -> np.ndarray:
    """The datetime64[ns] midnight of each day number; NaT for :data:`NO_DAY`."""
    days = np.asarray(days, dtype=np.int64)
    missing = days == NO_DAY
    dates = (np.where(missing, 0, days) - EPOCH_DAY).astype("datetime64[D]")
    dates = dates.astype("datetime64[ns]")
    if missing.any():
        dates[missing] = np.datetime64("NaT")
    return dates


class Events:
    """Dated events per group, sorted once, answering "up to day d" by binary search.

    ``group`` are integer codes (customer or invoice positions), ``day`` day numbers.
    Events without a day (:data:`NO_DAY`) or a group (< 0) are left out. ``value`` is
    summed in float64 (dollars: :meth:`sum_upto`); ``totals`` are int64 columns (cents:
    :meth:`totals_upto`, exact whatever the number of events). Equal (group, day) events
    keep their given order, so sums add up in one order whatever the dates asked.

    Queries are fastest sorted by group, then day (each search then walks the sorted
    events once).
    """

    def __init__(
        self,
        group: np.ndarray,
        day: np.ndarray,
        value: np.ndarray | None = None,
        *,
        totals: list[np.ndarray] | None = None,
    ):
        group = np.asarray(group, dtype=np.int64)
        day = np.asarray(day, dtype=np.int64)
        dated = (day < DAY_SPAN) & (group >= 0)
        rows = None if dated.all() else np.flatnonzero(dated)
        if rows is not None:
            group, day = group[rows], day[rows]
        order, self.key = sort_stable(group * DAY_SPAN + day)
        #: Position in the given events of each sorted event.
        self.order = order if rows is None else rows[order]
        #: Day number of each sorted event.
        self.day = self.key & (DAY_SPAN - 1)
        self._starts = np.zeros(0, dtype=np.int64)
        if value is not None:
            self.cum = self.cumsum(value)
        self.cums = [self._int_cumsum(v) for v in (totals or [])]

    def cumsum(self, value: np.ndarray) -> np.ndarray:
        """Running totals of ``value`` (one per event, in the order given) in sorted
        order, with a leading 0: the sum over sorted positions [lo, hi) is
        ``cum[hi] - cum[lo]``."""
        return np.concatenate([[0.0], np.cumsum(np.asarray(value, dtype="float64")[self.order])])

    def _int_cumsum(self, value: np.ndarray) -> np.ndarray:
        cum = np.zeros(len(self.order) + 1, dtype=np.int64)
        np.cumsum(np.asarray(value, dtype=np.int64)[self.order], out=cum[1:])
        return cum

    def bounds(self, group, day) -> tuple[np.ndarray, np.ndarray]:
        """Sorted positions [lo, hi) of each query's group's events on or before day.
        A query of no group (< 0) gets an empty range."""
        group = np.asarray(group, dtype=np.int64)
        day = np.asarray(day, dtype=np.int64)
        base = np.maximum(group, 0) * DAY_SPAN
        hi = np.searchsorted(self.key, base + np.minimum(day, DAY_SPAN - 1), side="right")
        # Where each group starts, looked up once per group rather than once per query.
        top = int(group.max(initial=-1)) + 1
        if len(self._starts) < top:
            self._starts = np.searchsorted(self.key, np.arange(top, dtype=np.int64) * DAY_SPAN)
        lo = self._starts[np.maximum(group, 0)] if top else np.zeros(len(group), np.int64)
        unknown = group < 0
        if unknown.any():
            lo[unknown] = hi[unknown] = 0
        return lo, hi

    def count_upto(self, group, day) -> np.ndarray:
        """Per query (group, day): how many of the group's events are dated on or before day."""
        lo, hi = self.bounds(group, day)
        return hi - lo

    def sum_upto(self, group, day, cum: np.ndarray | None = None) -> np.ndarray:
        """Per query: the sum of ``value`` (or of ``cum``, from :meth:`cumsum`) over the
        group's events on or before day."""
        lo, hi = self.bounds(group, day)
        cum = self.cum if cum is None else cum
        return cum[hi] - cum[lo]

    def totals_upto(self, group, day) -> list[np.ndarray]:
        """Per query: each ``totals`` column summed (int64) over the group's events on or
        before day; 0 for a query of no group."""
        group = np.asarray(group, dtype=np.int64)
        day = np.asarray(day, dtype=np.int64)
        # Binary searches in query order walk the sorted keys once (cache friendly).
        query = np.maximum(group, 0) * DAY_SPAN + np.minimum(day, DAY_SPAN - 1)
        order = None if _is_sorted(query) else sort_stable(query)[0]
        lo, hi = self.bounds(group, day) if order is None else self.bounds(group[order], day[order])
        totals = [cum[hi] - cum[lo] for cum in self.cums]
        if order is not None:
            back = np.empty_like(order)
            back[order] = np.arange(len(order))
            totals = [t[back] for t in totals]
        return totals

    def days_since(self, group, day) -> np.ndarray:
        """Days from the group's last event on or before day to day; NaN if none."""
        at = self.last_upto(group, day)
        if len(self.day) == 0:
            return np.full(len(at), np.nan)
        return np.where(at >= 0, day - self.day[np.maximum(at, 0)], np.nan).astype("float64")

    def last_upto(self, group, day) -> np.ndarray:
        """Position (in sorted order) of the group's last event on or before day; -1 if none."""
        lo, hi = self.bounds(group, day)
        return np.where(hi > lo, hi - 1, -1)


def first_settled_day(by_invoice: Events, pay_inv: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Per invoice, the first day its running payments reach its amount (to the cent);
    :data:`NO_DAY` if they never do.

    ``by_invoice`` are the payments grouped by invoice position (``pay_inv``) with their
    dollars as ``value``; ``amount`` the invoices' amounts.
    """
    day = np.full(len(amount), NO_DAY)
    if len(by_invoice.order) == 0:
        return day
    group = pay_inv[by_invoice.order]
    running = by_invoice.cum[1:] - by_invoice.cum[np.searchsorted(group, group, side="left")]
    target = amount[group]
    # Credit notes run negative: "reached" is measured in the amount's own direction.
    reached = np.sign(target) * (target - running) <= 0.005
    np.minimum.at(day, group[reached], by_invoice.day[reached])
    return day


def _is_sorted(values: np.ndarray) -> bool:
    return bool(np.all(values[1:] >= values[:-1]))


class Balances(NamedTuple):
    """Every invoice row's state on one date (arrays in the invoices' order)."""

    issued: np.ndarray  # bool: issued on or before the date
    paid_to_date: np.ndarray  # dollars of the payments known on the date
    open_amount: np.ndarray  # to the cent; 0 once written off
    written_off: np.ndarray  # bool


class Book:
    """The four canonical tables, coded once for every analysis of one run.

    Build it with :func:`book_of`. The ids are hashed, the dates turned into day numbers
    and the payments matched to their invoices the first time an analysis asks, and then
    kept; results that depend only on the tables and their options (promise outcomes,
    balances on a date) are kept too. A book is read only: build a new one when a table
    changes.
    """

    def __init__(self, invoices, payments=None, calls=None, customers=None):
        self.invoices = invoices
        #: The payments as given (None: the invoices' own settlements are the payments).
        self.given_payments = payments
        self.payments = resolve_payments(invoices, payments)
        self.calls = calls
        self.customers = customers
        self._memo: dict = {}
        #: The rows and answer of the widest :meth:`call_invoice_positions` so far.
        self._call_invoices: tuple[np.ndarray, np.ndarray] | None = None

    def is_of(self, invoices, payments=None, calls=None, customers=None) -> bool:
        """Whether these tables are the ones the book was built from (the same objects;
        calls and customers of None are not asked about)."""
        return (
            invoices is self.invoices
            and (payments is self.given_payments or payments is self.payments)
            and (calls is None or calls is self.calls)
            and (customers is None or customers is self.customers)
        )

    def memo(self, key, compute):
        """``compute()``, worked out once per ``key`` for this book."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # The coded columns, each computed on first use.
    @cached_property
    def invoice_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Shared integer codes of the invoice ids of the invoices and of the payments
        (-1: missing, or a payment of no listed invoice). A repeated invoice id shares
        one code, as :func:`arcalls.invoice_balances` sums it."""
        inv, pay = shared_codes(self.invoices["invoice_id"], self.payments["invoice_id"])
        return inv, pay

    @cached_property
    def customer_codes(self) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
        """Each invoice's customer code (-1: none) and the customer ids, sorted."""
        return factorize(self.invoices["customer_id"], sort=True)

    def invoice_customers_in(self, universe) -> np.ndarray:
        """Position in ``universe`` (unique ids) of each invoice's customer (-1: absent
        or none), as :func:`arcalls._keys.positions` of the invoices' customer ids gives
        it, from :attr:`customer_codes`: the distinct ids are looked up, not every
        invoice's."""
        return _coded_positions(self.invoices["customer_id"], lambda: self.customer_codes, universe)

    @cached_property
    def call_customer_codes(self) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
        """Each call's customer code (-1: none) and the calls' customer ids, sorted: the
        one hash pass over the call log's ids, which every analysis of the calls reads
        (:meth:`call_customers_in`, :meth:`call_customers_of`)."""
        if self.calls is None:
            raise InputError("This book was built without a call log.")
        codes, ids = factorize(self.calls["customer_id"], sort=True)
        # Kept for the whole run (3M calls: 12 MB, not 24 MB as int64).
        return codes.astype(np.int32 if len(ids) < 2**31 - 1 else np.int64), ids

    def call_customers_in(self, universe, rows=None) -> np.ndarray:
        """Position in ``universe`` (unique ids) of each call's customer (-1: absent or
        none), as :func:`arcalls._keys.positions` of the calls' ids gives it; ``rows``:
        of those calls only (positions or a mask). The distinct ids are looked up, not
        every call's."""
        return _coded_positions(
            self.calls["customer_id"], lambda: self.call_customer_codes, universe, rows
        )

    def call_customers_of(self, rows) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
        """``factorize(calls["customer_id"][rows], sort=True)`` read off the book's codes:
        the codes of those calls' customers among the ids that occur in them, sorted."""
        codes, ids = self.call_customer_codes
        codes = codes[rows]
        present = np.zeros(len(ids) + 1, dtype=bool)
        present[codes] = True  # a missing id (-1) marks the last slot, dropped below
        present = present[:-1]
        rank = np.cumsum(present) - 1
        return np.where(codes >= 0, rank[codes], -1), ids[present]

    @cached_property
    def pay_positions(self) -> np.ndarray:
        """Each payment's invoice position (-1: not a listed invoice). Raises
        IntegrityError when an invoice id repeats."""
        return self.invoice_positions()[0]

    def invoice_positions(self, *ids) -> list[np.ndarray]:
        """:attr:`pay_positions`, then the invoice position of each of ``ids`` (-1: not
        a listed invoice); one hash pass over the invoice ids on first use."""
        if "pay_positions" not in vars(self) and not ids:
            # The shared codes hash both id columns (and every balance needs them): the
            # positions follow from them without a second pass.
            self.__dict__["pay_positions"] = self._positions_from_codes()
        if "pay_positions" in vars(self):
            return [self.pay_positions, *(positions(i, self.invoices["invoice_id"]) for i in ids)]
        found = invoice_positions(self.invoices["invoice_id"], self.payments["invoice_id"], *ids)
        self.__dict__["pay_positions"] = found[0]
        return found

    def call_invoice_positions(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """:attr:`pay_positions`, and the invoice position of the invoice each call at
        ``rows`` (ascending positions in :attr:`calls`) names (-1: none, or not a listed
        invoice), as :meth:`invoice_positions` of those calls' ids gives them; None when
        the calls name no invoices (no call log, or no ``invoice_id`` column in it).

        The answer for the widest set of rows asked so far is kept, and a set within it
        is read off it: the promise judgement asks for the promises made by the as-of
        date, and the training's features then for those made by its last date, which
        are among them (at 1M invoices each look-up hashed the 1M invoice ids again).
        """
        if self.calls is None or "invoice_id" not in self.calls:
            return self.pay_positions, None
        rows = np.asarray(rows, dtype=np.int64)
        kept = self._call_invoices
        if kept is not None and "pay_positions" in vars(self):
            known, found = kept
            at = np.minimum(np.searchsorted(known, rows), max(len(known) - 1, 0))
            if len(known) and (known[at] == rows).all():
                return self.pay_positions, found[at]
            if not len(rows):
                return self.pay_positions, np.zeros(0, dtype=np.int64)
        pay_inv, found = self.invoice_positions(self.calls["invoice_id"].array.take(rows))
        if kept is None or len(rows) > len(kept[0]):
            self._call_invoices = (rows, found)
        return pay_inv, found

    def _positions_from_codes(self) -> np.ndarray:
        """The payments' invoice positions read off :attr:`invoice_codes` (no hashing);
        IntegrityError, as :func:`arcalls._keys.invoice_positions`, when an id repeats."""
        inv_code, pay_code = self.invoice_codes
        listed = np.flatnonzero(inv_code >= 0)
        n_codes = int(inv_code.max(initial=-1)) + 1
        if n_codes != len(listed):
            # An id repeats: raises, naming the repeats.
            return invoice_positions(self.invoices["invoice_id"], self.payments["invoice_id"])[0]
        row_of_code = np.empty(n_codes, dtype=np.int64)
        row_of_code[inv_code[listed]] = listed
        return np.where(pay_code >= 0, row_of_code[np.maximum(pay_code, 0)], -1)

    @cached_property
    def issued_at(self) -> np.ndarray:
        return stamps(self.invoices["invoice_date"])

    @cached_property
    def written_off_at(self) -> np.ndarray:
        if "written_off_date" not in self.invoices:
            return np.full(len(self.invoices), np.datetime64("NaT"), dtype="datetime64[ns]")
        return stamps(self.invoices["written_off_date"])

    @cached_property
    def pay_at(self) -> np.ndarray:
        return stamps(self.payments["payment_date"])

    @cached_property
    def pay_amount(self) -> np.ndarray:
        return self.payments["amount"].to_numpy(dtype="float64", na_value=np.nan)

    @cached_property
    def issued(self) -> np.ndarray:
        """Day number of each invoice's date."""
        return day_numbers(self.issued_at)

    @cached_property
    def due(self) -> np.ndarray:
        return day_numbers(self.invoices["due_date"])

    @cached_property
    def written_off(self) -> np.ndarray:
        """Day number of each write-off (NO_DAY: none)."""
        return day_numbers(self.written_off_at)

    @cached_property
    def pay_day(self) -> np.ndarray:
        """Day number of each payment (NO_DAY: no date, so never counted)."""
        return day_numbers(self.pay_at)

    def balances(self, as_of) -> Balances:
        """Each invoice's state on ``as_of``: the rule of :func:`arcalls.invoice_balances`
        (``ledger.known_by``, ``ledger.paid_sums``, ``ledger.open_rule``), for every row."""
        as_of = pd.Timestamp(as_of)

        def compute() -> Balances:
            inv_code, pay_code = self.invoice_codes
            paid = paid_sums(inv_code, pay_code, self.pay_amount, known_by(self.pay_at, as_of))
            written_off = known_by(self.written_off_at, as_of)
            amount = self.invoices["amount"].to_numpy()
            return Balances(
                issued=known_by(self.issued_at, as_of),
                paid_to_date=paid,
                open_amount=open_rule(amount, paid, written_off),
                written_off=written_off,
            )

        return self.memo(("balances", as_of), compute)

    def open_amounts(self, as_of) -> np.ndarray:
        """Each invoice row's open amount on ``as_of`` (0 if not yet issued)."""
        b = self.balances(as_of)
        return np.where(b.issued, b.open_amount, 0.0)

    def invoice_balances(self, as_of) -> pd.DataFrame:
        """What :func:`arcalls.invoice_balances` returns for the book's tables on ``as_of``."""
        as_of = pd.Timestamp(as_of)
        b = self.balances(as_of)
        inv = self.invoices if b.issued.all() else self.invoices[b.issued]
        rows = slice(None) if b.issued.all() else b.issued
        out = inv.assign(
            paid_to_date=b.paid_to_date[rows],
            open_amount=b.open_amount[rows],
            written_off=b.written_off[rows],
            days_past_due=(as_of - inv["due_date"]).dt.days.astype("int64"),
            is_open=b.open_amount[rows] != 0,
        )
        out.index = pd.RangeIndex(len(out))
        return out


def _coded_positions(column, coded, universe, rows=None) -> np.ndarray:
    """``positions(column[rows], universe)`` read off the column's codes (``coded()``:
    the book's ``(codes, ids)`` of it, -1 for a missing id): the distinct ids are looked
    up and each row takes its id's answer. Ids that are not text are coded as their text
    (see :func:`arcalls._keys.factorize`), so they are looked up as they are."""
    if not isinstance(column.dtype, pd.StringDtype):
        return positions(column if rows is None else column[rows], universe)
    codes, ids = coded()
    # A missing id (-1) takes the last slot: -1.
    found = np.append(positions(ids, universe), -1)
    return found[codes if rows is None else codes[rows]]


def book_of(invoices, payments=None, calls=None, customers=None) -> Book:
    """The coded book of one run's tables (see :class:`Book`).

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> book = book_of(s.invoices, s.payments, s.calls, s.customers)
    >>> bal = arcalls.invoice_balances(s.invoices, s.payments, as_of="2025-06-30")
    >>> mine = book.invoice_balances("2025-06-30")
    >>> bool((mine["open_amount"].to_numpy() == bal["open_amount"].to_numpy()).all())
    True
    """
    return Book(invoices, payments, calls, customers)


def book_for(book: Book | None, invoices, payments=None, calls=None, customers=None) -> Book:
    """``book`` when it was built from these tables, a new book of them when None.

    Raises InputError when ``book`` was built from other tables: its codes and memos
    would answer for the wrong data.
    """
    if book is None:
        return Book(invoices, payments, calls, customers)
    if not isinstance(book, Book) or not book.is_of(invoices, payments, calls, customers):
        raise InputError(
            "book= must be built from the same invoices, payments, calls and customers tables as "
            "the ones passed (the same DataFrame objects); build it with "
            "arcalls.book.book_of(invoices, payments, calls, customers), or leave book= out."
        )
    return book
