"""Point-in-time account snapshots: what was known about each customer on each date.

The call-priority model learns from, and ranks, these snapshots. Point in time is the
rule: a payment, call, promise status or write-off dated after the as-of date never
enters a feature; only the training label looks ahead (``horizon_days`` after the date).

Many as-of dates are built in one vectorised pass. Counts, latest events and days
since are read from one (as-of date, customer) table per kind of event: each event
falls in the cell of the first date that knows it, and a running sum (or maximum)
along the dates answers "up to d" for every row at once, with no sort of the events.
Dollar sums keep their own order of addition: those events are sorted once by
(customer or invoice, day), and running totals answer "how much up to d" and, by
difference, "how much in the last 30 days". Invoices are crossed only with the as-of
dates between their issue and their final settlement, so a long history with many
dates stays small in memory.

Every id column is hashed once, into integer codes (Arrow strings as they are, Python
strings copied into Arrow for the hashing); everything after works on integer arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ._checks import check_one_currency
from ._keys import contains, factorize, positions, sort_stable
from .book import (
    DAY_SPAN,
    NO_DAY,
    Book,
    Events,
    book_for,
    ceil_days,
    day_numbers,
    first_settled_day,
    stamps,
)
from .errors import InputError, SchemaError
from .promises import (
    DEFAULT_PROMISE_DAYS,
    PROMISE_STATUSES,
    _Book,
    _cents,
    _judge,
    _judgement,
    _order,
    _promised_cents,
    _Promises,
)
from .schema import CALLS, CUSTOMERS, INVOICES, PAYMENTS, RIGHT_PARTY_OUTCOMES, round_money

__all__ = ["account_snapshots", "SNAPSHOT_FEATURES"]

#: Days after the as-of date in which a payment counts as "paid within the horizon".
DEFAULT_HORIZON_DAYS = 30
#: Grace days after a promise date before an unpaid promise counts as broken
#: (the default of :func:`arcalls.promise_outcomes`).
DEFAULT_GRACE_DAYS = 3
#: The short and the long look-back windows of the call-attempt and payment counts.
SHORT_WINDOW_DAYS = 7
LONG_WINDOW_DAYS = 30

#: Feature columns of a snapshot (besides ``as_of``, ``customer_id`` and the labels).
SNAPSHOT_FEATURES: tuple[str, ...] = (
    "overdue_balance",
    "total_balance",
    "oldest_days_past_due",
    "weighted_days_past_due",
    "open_invoices",
    "overdue_invoices",
    "disputed_overdue_balance",
    "settled_invoices",
    "share_paid_late",
    "mean_days_late",
    "days_since_last_payment",
    "paid_last_30d",
    "tenure_days",
    "call_attempts",
    "attempts_7d",
    "attempts_30d",
    "contact_rate",
    "days_since_last_call",
    "days_since_last_contact",
    "last_outcome",
    "dispute_calls",
    "promises_made",
    "promises_kept",
    "promises_partial",
    "promises_broken",
    "promises_pending",
    "days_since_broken_promise",
    "plan_instalments_kept",
    "plan_instalments_missed",
)

#: What a call chases, as the weekly call list counts it (the figures a reason quotes):
#: open dollars of undisputed invoices past due plus open credits (not below 0), the
#: oldest of those invoices' days past due, and how many they are. Not model features:
#: the model learns from the whole past-due balance, disputed dollars included.
CHASE_COLUMNS: tuple[str, ...] = ("chased_balance", "chased_days_past_due", "chased_invoices")


def account_snapshots(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    as_of_dates,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    label: bool = True,
    data_end=None,
    grace_days: int = DEFAULT_GRACE_DAYS,
    book: Book | None = None,
) -> pd.DataFrame:
    """One row per customer with an open balance on each as-of date, built point in time.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices. ``disputed`` has no date in any export: it is treated as
        known from the invoice date on (the usual export limitation).
    payments : DataFrame, optional
        Canonical payments; when omitted, the invoices' own settlement columns.
    calls : DataFrame, optional
        Canonical calls. When omitted, the call and promise features say "no call
        known" (counts 0, days-since missing), so the columns are always the same.
    customers : DataFrame, optional
        Canonical customers, for ``do_not_call`` and ``placed_with_agency``.
    as_of_dates : date-like or sequence of date-likes
        The snapshot dates (normalised to midnight; an event dated on the as-of day is
        known on that day).
    horizon_days : int, default 30
        The label window: payments dated in ``(as_of, as_of + horizon_days]``.
    label : bool, default True
        Add the label columns.
    data_end : date-like, optional
        The last day the data covers; a label whose window ends after it is unknown
        (missing, never zero). Default: the latest date in the inputs (invoice,
        payment, settlement, write-off and call dates).
    grace_days : int, default 3
        Passed to :func:`arcalls.promise_outcomes` for the promise features.
    book : arcalls.book.Book, optional
        The run's coded book of these same tables (:func:`arcalls.book.book_of`), whose
        integer codes and day numbers are reused rather than computed again.

    Returns
    -------
    DataFrame
        Sorted by ``as_of`` then ``customer_id``. Rows: every customer with at least
        one invoice open (non-zero open amount) on the date, including customers with
        nothing past due (``overdue_balance`` 0, kept for the call list's exclusions).
        Columns: ``as_of``, ``customer_id``, the :data:`SNAPSHOT_FEATURES`:

        - ``overdue_balance`` (open dollars of invoices past due, not below 0),
          ``total_balance``, ``oldest_days_past_due`` (0 when none is past due),
          ``weighted_days_past_due`` (over overdue invoices, weighted by open dollars),
          ``open_invoices``, ``overdue_invoices``, ``disputed_overdue_balance``;
        - payment behaviour on invoices fully settled by the date: ``settled_invoices``,
          ``share_paid_late``, ``mean_days_late`` (missing without history),
          ``days_since_last_payment``, ``paid_last_30d``, ``tenure_days`` (since the
          first invoice);
        - calls up to the date: ``call_attempts``, ``attempts_7d``, ``attempts_30d``,
          ``contact_rate`` (right-party contacts / attempts), ``days_since_last_call``,
          ``days_since_last_contact``, ``last_outcome``, ``dispute_calls``;
        - promises, by their status on the date: ``promises_made``, ``promises_kept``,
          ``promises_partial``, ``promises_broken``, ``promises_pending``,
          ``days_since_broken_promise`` (since the deadline of the latest broken one);
        - payment plans (:func:`arcalls.plan_instalments`): ``plan_instalments_kept``
          and ``plan_instalments_missed`` (partial or broken), counted once their
          deadline (due date + grace) is on or before the date, when their judgement is
          final; 0 for customers without plans;

        then the :data:`CHASE_COLUMNS` ``chased_balance``, ``chased_days_past_due``
        and ``chased_invoices`` (what the weekly call list chases: undisputed past-due
        dollars plus open credits), ``do_not_call`` and ``placed_with_agency`` (bool),
        and with ``label=True``
        ``dollars_within_horizon`` (payments in the window on the invoices past due on
        the date; NaN when unknown) and ``paid_within_horizon`` (nullable boolean).

    Raises
    ------
    SchemaError
        When a table lacks a required column.
    InputError
        When ``as_of_dates`` is empty or ``horizon_days`` is not a positive integer, or
        ``book`` was built from other tables.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> snap = account_snapshots(*s, as_of_dates=["2025-03-02", "2025-03-09"])
    >>> snap["as_of"].nunique()
    2
    >>> bool((snap["overdue_balance"] >= 0).all())
    True
    """
    return _snapshots(
        invoices,
        payments,
        calls,
        customers,
        as_of_dates=as_of_dates,
        horizon_days=horizon_days,
        label=label,
        data_end=data_end,
        grace_days=grace_days,
        book=book,
    )


def _snapshot_of(invoices, payments, calls, customers, *, as_of, customer_ids, book):
    """``account_snapshots(..., as_of_dates=[as_of], label=False, book=book)``, the rows
    of ``customer_ids`` only: their features alone are built (the weekly list with a
    saved model scores the accounts it may call, a tenth of the book's at 1M invoices).
    A row's features depend only on its own customer and date, so each row is the one
    the whole snapshot holds."""

    def rows(base: pd.DataFrame, cust_ids) -> np.ndarray:
        wanted = contains(cust_ids, customer_ids)
        return wanted[base["customer_code"].to_numpy()]

    return _snapshots(
        invoices,
        payments,
        calls,
        customers,
        as_of_dates=[as_of],
        horizon_days=DEFAULT_HORIZON_DAYS,
        label=False,
        data_end=None,
        grace_days=DEFAULT_GRACE_DAYS,
        book=book,
        select=rows,
    )


def _snapshots(
    invoices,
    payments,
    calls,
    customers,
    *,
    as_of_dates,
    horizon_days,
    label,
    data_end,
    grace_days,
    book,
    select=None,
) -> pd.DataFrame:
    """:func:`account_snapshots`, with the rows cut to ``select``'s before the features.

    ``select``, given, is called with the rows' ``as_of``, customer code
    (``customer_code``, into the book's customer ids, its second argument),
    ``overdue_balance`` and, with ``label``, ``paid_within_horizon``, and returns a
    boolean mask of the rows to keep. The balances and labels decide which rows matter
    (the model trains on a sample of the overdue account-weeks): a row's features
    depend only on its own customer and date, so the rows kept are those
    :func:`account_snapshots` would give, without building the features of the rest.
    """
    _check_table(invoices, INVOICES, "invoices")
    check_one_currency(invoices)
    if payments is not None:
        _check_table(payments, PAYMENTS, "payments")
    if calls is not None:
        _check_table(calls, CALLS, "calls")
    if customers is not None:
        _check_table(customers, CUSTOMERS, "customers")
    horizon_days = _check_positive_int(horizon_days, "horizon_days")
    dates = _check_dates(as_of_dates)
    # The codes and day numbers of the tables come from the run's book (built here when
    # none is given), so that every analysis of one run hashes the ids once.
    run_book = book_for(book, invoices, payments, calls, customers)
    payments = run_book.payments
    end = _data_end(invoices, payments, calls) if data_end is None else pd.Timestamp(data_end)

    # Every id is hashed once, into integer codes; all below works on integer arrays.
    cust_codes, cust_ids = run_book.customer_codes
    ncust = len(cust_ids)
    date_day = day_numbers(dates)
    log = _call_log(calls, cust_ids, run_book)
    # The promises the promise features judge: those made by the last date.
    promised = (
        np.flatnonzero(log.outcome_is(["promise"]) & (log.day <= date_day[-1]) & (log.cust >= 0))
        if log is not None
        else np.zeros(0, dtype=np.int64)
    )
    # Read off the run's judgement's look-up when it asked for these promises.
    pay_inv, named = run_book.call_invoice_positions(promised)
    pay_rows = np.flatnonzero(pay_inv >= 0)
    # ``book`` from here on: the snapshot's own arrays of the invoices and payments.
    book = _Accounts(
        cust=cust_codes,
        issued=run_book.issued,
        issued_at=run_book.issued_at,
        due=run_book.due,
        written_off=run_book.written_off,
        amount=invoices["amount"].to_numpy("float64"),
        pay_inv=pay_inv[pay_rows],
        pay_day=run_book.pay_day[pay_rows],
        pay_at=run_book.pay_at[pay_rows],
        pay_amt=payments["amount"].to_numpy("float64")[pay_rows],
    )
    del pay_inv, pay_rows

    # Payments, grouped by invoice position, as running totals.
    by_invoice = Events(book.pay_inv, book.pay_day, book.pay_amt)
    # For the payment history an invoice counts as settled from the first day its
    # payments reached the amount: a later payment must not change what was known then.
    settle_day = first_settled_day(by_invoice, book.pay_inv, book.amount)
    disputed = (
        invoices["disputed"].fillna(False).to_numpy(bool)
        if "disputed" in invoices
        else np.zeros(len(invoices), dtype=bool)
    )
    key, acc = _balances(
        book, by_invoice, disputed, date_day, ncust, horizon_days=horizon_days if label else None
    )
    a_date, a_cust = key // ncust, key % ncust
    labels = _labels(acc["label"], dates, a_date, horizon_days, end) if label else {}
    if select is not None:
        base = {
            "as_of": dates[a_date],
            "customer_code": a_cust,
            "overdue_balance": np.clip(round_money(acc["overdue"]), 0.0, None) + 0.0,
        }
        if label:
            base["paid_within_horizon"] = labels["paid_within_horizon"]
        rows = np.asarray(select(pd.DataFrame(base, copy=False), cust_ids), dtype=bool)
        a_date, a_cust = a_date[rows], a_cust[rows]
        acc = {name: values[rows] for name, values in acc.items()}
        labels = {name: values[rows] for name, values in labels.items()}
    q_day = date_day[a_date]
    overdue_bal = np.clip(round_money(acc["overdue"]), 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = np.where(acc["overdue"] > 0, acc["dpd_dollars"] / acc["overdue"], 0.0)
    columns = {
        "as_of": dates[a_date],
        "customer_id": cust_ids.take(a_cust),
        "overdue_balance": overdue_bal + 0.0,
        "total_balance": round_money(acc["total"]) + 0.0,
        "oldest_days_past_due": acc["dpd"].astype(np.int64),
        "weighted_days_past_due": np.round(weighted, 1),
        "open_invoices": acc["open"].astype(np.int64),
        "overdue_invoices": acc["n_overdue"].astype(np.int64),
        "disputed_overdue_balance": round_money(acc["disputed"]) + 0.0,
        "chased_balance": np.clip(round_money(acc["chased"]), 0.0, None) + 0.0,
        "chased_days_past_due": acc["chased_dpd"].astype(np.int64),
        "chased_invoices": acc["n_chased"].astype(np.int64),
    }

    # The features by customer and day, in the rows' order (by date, then customer): most
    # are looked up in one (customer, date) table (:class:`_Grid`), whatever the order.
    # Only the events of customers with a row matter.
    qc, qd = a_cust, q_day
    grid = _Grid(qc, a_date, date_day, ncust)
    wanted = np.zeros(ncust + 1, dtype=bool)  # + 1: code -1 (no customer) is not wanted
    wanted[a_cust] = True
    first_invoice = np.full(ncust, NO_DAY)
    np.minimum.at(first_invoice, cust_codes, book.issued)
    wanted_code = np.where(wanted[cust_codes], cust_codes, -1)
    if log is not None:
        log = log._replace(cust=np.where(wanted[log.cust], log.cust, -1))
        keep = wanted[log.cust[promised]]
        promised = promised[keep]
        named = None if named is None else named[keep]
    features = {
        **_history_features(wanted_code, book.due, settle_day, grid),
        **_payment_features(wanted_code[book.pay_inv], book.pay_day, book.pay_amt, qc, qd, grid),
        "tenure_days": (qd - first_invoice[qc]).astype(np.int64),
        **_call_features(log, qc, qd, grid),
        **_promise_features(
            calls,
            log,
            promised,
            named,
            book,
            grid,
            dates,
            grace_days=grace_days,
            run_book=run_book,
        ),
        **_plan_features(
            calls, payments, invoices, cust_ids, grid, dates, grace_days=grace_days, book=run_book
        ),
    }
    columns.update(features)
    columns.update(_customer_flags(customers, cust_ids, a_cust, q_day))
    names = ("as_of", "customer_id", *SNAPSHOT_FEATURES, *CHASE_COLUMNS)
    names += ("do_not_call", "placed_with_agency")
    if label:
        columns.update(labels)
        names += ("dollars_within_horizon", "paid_within_horizon")
    # One frame from one dict: no column is added to a frame of millions of rows.
    # copy=False: the arrays are ours, and consolidating them would copy every column.
    return pd.DataFrame({name: columns[name] for name in names}, copy=False)


# The most (invoice, as-of date) pairs :func:`_balances` holds at once: the pairs are
# built and summed by blocks of consecutive dates, so that the temporaries (a dozen
# arrays per pair) stay bounded however many dates and open invoices there are (the
# weekly fit at 1M invoices: 2.34M pairs over 27 dates, three blocks; daily dates over
# a year, about 30M). Any budget gives the same sums, byte for byte. 1M rather than 2M:
# the weekly run's peak at 1M invoices was 1,845-1,849 MiB in four runs against
# 1,862-1,905 MiB, and the balances 1.26-1.40 s against 1.44-1.78 s (interleaved ABBA,
# ``benchmarks/README.md``, fourth session of 2026-12-07).
_PAIR_BUDGET = 1_000_000


def _balances(book, by_invoice, disputed, date_day, ncust, *, horizon_days) -> tuple:
    """Per (date, customer) with an open invoice: the key ``date position * ncust +
    customer`` (sorted) and the sums over the customer's open invoices on the date.

    An invoice is crossed with the as-of dates from its issue until it closes for good
    (its last payment when the payments settle it exactly, or its write-off), so a
    long history with many dates stays small. With ``horizon_days``, ``label`` is the
    dollars paid in the horizon on the invoices past due on the date.

    The pairs are built by blocks of consecutive dates of about ``_PAIR_BUDGET`` pairs
    each. The keys are date-major, so the blocks' keys follow one another in order, and
    within a key the pairs keep the invoices' order in every block: each sum adds up
    in the same order as over all the pairs at once.
    """
    amount, pay_inv, pay_amt = book.amount, book.pay_inv, book.pay_amt
    n_inv = len(amount)
    total_paid = np.bincount(pay_inv, weights=pay_amt, minlength=n_inv)
    last_pay = np.full(n_inv, -1, dtype=np.int64)
    np.maximum.at(last_pay, pay_inv, book.pay_day)
    settles = (np.abs(amount - total_paid) < 0.005) & (last_pay >= 0)
    close_day = np.minimum(np.where(settles, last_pay, NO_DAY), book.written_off)
    del total_paid, last_pay, settles
    first = np.searchsorted(date_day, book.issued, side="left")
    stop = np.searchsorted(date_day, np.minimum(close_day, DAY_SPAN - 1), side="left")
    del close_day
    # Pairs per date: +1 from an invoice's first date, -1 from its stop.
    crossed = stop > first
    per_date = np.bincount(first[crossed], minlength=len(date_day) + 1)
    per_date -= np.bincount(stop[crossed], minlength=len(date_day) + 1)
    per_date = np.cumsum(per_date[:-1])
    bounds = _date_blocks(per_date, _PAIR_BUDGET)
    keys, blocks = [], []
    for c0, c1 in zip(bounds[:-1], bounds[1:], strict=True):
        key, acc = _balances_between(
            book, by_invoice, disputed, date_day, ncust, first, stop, c0, c1, horizon_days
        )
        keys.append(key)
        blocks.append(acc)
    if len(blocks) == 1:
        return keys[0], blocks[0]
    return np.concatenate(keys), {
        name: np.concatenate([acc[name] for acc in blocks]) for name in blocks[0]
    }


def _date_blocks(per_date: np.ndarray, budget: int) -> np.ndarray:
    """Bounds ``[0, ..., len(per_date)]`` cutting the dates into runs of consecutive
    dates of at most ``budget`` pairs each (a date of more pairs is a block alone)."""
    if len(per_date) == 0:
        return np.array([0, 0])
    # A block ends after the last date whose running total stays within the budget of
    # the block's start; one cut per block, a handful of blocks: a loop over blocks.
    running = np.cumsum(per_date)
    bounds = [0]
    while bounds[-1] < len(per_date):
        start = bounds[-1]
        before = running[start - 1] if start else 0
        end = int(np.searchsorted(running, before + budget, side="right"))
        bounds.append(max(end, start + 1))
    return np.array(bounds)


def _balances_between(
    book, by_invoice, disputed, date_day, ncust, first, stop, c0, c1, horizon_days
) -> tuple:
    """:func:`_balances` over the date positions ``[c0, c1)``."""
    lo = np.maximum(first, c0)
    n_dates = np.clip(np.minimum(stop, c1) - lo, 0, None)
    crossed = np.flatnonzero(n_dates)
    n_dates, lo = n_dates[crossed], lo[crossed]
    inv_pos = np.repeat(crossed, n_dates)
    offsets = np.arange(len(inv_pos)) - np.repeat(np.cumsum(n_dates) - n_dates, n_dates)
    date_pos = np.repeat(lo, n_dates) + offsets
    del offsets, crossed, lo, n_dates
    d = date_day[date_pos]

    paid = by_invoice.sum_upto(inv_pos, d)
    open_amt = round_money(book.amount[inv_pos] - paid)
    open_amt = np.where(book.written_off[inv_pos] <= d, 0.0, open_amt)
    keep = open_amt != 0
    inv_pos, date_pos, d, open_amt = inv_pos[keep], date_pos[keep], d[keep], open_amt[keep]
    paid = paid[keep]
    del keep
    dpd = d - book.due[inv_pos]
    overdue = dpd > 0
    over_amt = np.where(overdue, open_amt, 0.0)
    # Sums per (date, customer): the pairs sorted by that key (stably: each sum adds up
    # in the invoices' own order), then summed per run of equal keys.
    order, pair_key = sort_stable(date_pos.astype(np.int64) * ncust + book.cust[inv_pos])
    del date_pos
    # A run starts at the first pair and wherever the key changes (none when no pair).
    new = np.ones(len(pair_key), dtype=bool)
    new[1:] = pair_key[1:] != pair_key[:-1]
    account = np.empty(len(order), dtype=np.int64)
    account[order] = np.cumsum(new) - 1
    del order
    n_acc = int(new.sum())

    def per_account(values):
        # bincount adds up in row order, which is the stable sorted order within a key.
        return np.bincount(account, weights=values, minlength=n_acc)

    deepest = np.zeros(n_acc, dtype=np.int64)
    np.maximum.at(deepest, account, np.where(overdue & (open_amt > 0), dpd, 0))
    chased = overdue & (open_amt > 0) & ~disputed[inv_pos]
    chased_dpd = np.zeros(n_acc, dtype=np.int64)
    np.maximum.at(chased_dpd, account, np.where(chased, dpd, 0))
    acc = {
        "total": per_account(open_amt),
        "overdue": per_account(over_amt),
        "dpd": deepest,
        "dpd_dollars": per_account(np.where(overdue, over_amt * dpd, 0.0)),
        "open": np.bincount(account, minlength=n_acc),
        "n_overdue": np.bincount(account[overdue], minlength=n_acc),
        "disputed": per_account(np.where(disputed[inv_pos], over_amt, 0.0)),
        # What the call list chases: undisputed dollars past due, plus open credits.
        "chased": per_account(np.where(chased | (open_amt < 0), open_amt, 0.0)),
        "chased_dpd": chased_dpd,
        "n_chased": np.bincount(account[chased], minlength=n_acc),
    }
    if horizon_days is not None:
        ahead = by_invoice.sum_upto(inv_pos, d + horizon_days) - paid
        acc["label"] = per_account(np.where(overdue & (open_amt > 0), ahead, 0.0))
    return pair_key[new], acc


def _history_features(cust_codes, due_day, settle_day, grid) -> dict:
    done = settle_day != NO_DAY
    days_late = np.clip(settle_day[done] - due_day[done], 0, None).astype("float64")
    cells = grid.cells(cust_codes[done], settle_day[done])
    n = grid.count(cells)
    late = grid.count(cells, (days_late > 0).astype("float64"))
    late_days = grid.count(cells, days_late)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, late / n, np.nan)
        mean_late = np.where(n > 0, late_days / n, np.nan)
    return {
        "settled_invoices": n.astype(np.int64),
        "share_paid_late": np.round(share, 4),
        "mean_days_late": np.round(mean_late, 1),
    }


def _payment_features(pay_cust, pay_day, pay_amt, qc, qd, grid) -> dict:
    ev = Events(pay_cust, pay_day, pay_amt)
    since = grid.days_since(grid.cells(pay_cust, pay_day), pay_day)
    recent = ev.sum_upto(qc, qd) - ev.sum_upto(qc, qd - LONG_WINDOW_DAYS)
    return {
        "days_since_last_payment": since,
        "paid_last_30d": round_money(recent) + 0.0,
    }


class _CallLog(NamedTuple):
    """The calls as arrays: each call's customer code (-1: no invoice of ours), day
    number, time stamp (ns) and outcome code into ``outcomes`` (-1: missing)."""

    cust: np.ndarray
    day: np.ndarray
    stamp: np.ndarray
    outcome: np.ndarray
    outcomes: pd.api.extensions.ExtensionArray

    def outcome_is(self, names) -> np.ndarray:
        """Per call, whether its outcome is one of ``names``."""
        hit = np.isin(np.asarray(self.outcomes, dtype=object), list(names))
        return np.append(hit, False)[self.outcome]


def _call_log(calls, cust_ids, book) -> _CallLog | None:
    if calls is None or len(calls) == 0:
        return None
    outcome, outcomes = factorize(calls["outcome"])
    stamp = stamps(calls["called_at"])
    return _CallLog(
        # From the book's one hash pass over the calls' customer ids.
        cust=book.call_customers_in(cust_ids),
        # A call on the as-of day is known that day, whatever its hour.
        day=day_numbers(stamp),
        stamp=stamp.view(np.int64),
        outcome=outcome,
        outcomes=outcomes,
    )


def _call_features(log: _CallLog | None, qc, qd, grid) -> dict:
    n = len(qc)
    if log is None:
        return {
            "call_attempts": np.zeros(n, np.int64),
            "attempts_7d": np.zeros(n, np.int64),
            "attempts_30d": np.zeros(n, np.int64),
            "contact_rate": np.full(n, np.nan),
            "days_since_last_call": np.full(n, np.nan),
            "days_since_last_contact": np.full(n, np.nan),
            "last_outcome": pd.array([pd.NA] * n, dtype="string"),
            "dispute_calls": np.zeros(n, np.int64),
        }
    mine = np.flatnonzero(log.cust >= 0)
    cust, day = log.cust[mine], log.day[mine]
    if not (day < DAY_SPAN).any():
        return _call_features(None, qc, qd, grid)
    # Each feature is a count, or the latest call, by (customer, date) cell of the calls.
    cells = grid.cells(cust, day)
    rpc = np.flatnonzero(log.outcome_is(RIGHT_PARTY_OUTCOMES)[mine])
    attempts = grid.count(cells)
    contacts = grid.count(cells[rpc])
    # The outcome of the latest call (by time, then row order) on or before the date.
    latest = grid.latest(cells, log.stamp[mine])
    has = latest >= 0
    last_code = np.where(has, log.outcome[mine[np.maximum(latest, 0)]], -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(attempts > 0, contacts / attempts, np.nan)
    return {
        "call_attempts": attempts.astype(np.int64),
        "attempts_7d": (attempts - grid.count(grid.cells(cust, day, SHORT_WINDOW_DAYS))).astype(
            np.int64
        ),
        "attempts_30d": (attempts - grid.count(grid.cells(cust, day, LONG_WINDOW_DAYS))).astype(
            np.int64
        ),
        "contact_rate": np.round(rate, 4),
        "days_since_last_call": np.where(has, qd - day[np.maximum(latest, 0)], np.nan),
        "days_since_last_contact": grid.days_since(cells[rpc], day[rpc]),
        "last_outcome": log.outcomes.take(last_code, allow_fill=True),
        "dispute_calls": grid.count(cells[log.outcome_is(["dispute"])[mine]]).astype(np.int64),
    }


def _promise_features(calls, log, rows, named, book, grid, dates, *, grace_days, run_book) -> dict:
    """Promise counts by status on each as-of date, as :func:`arcalls.promise_outcomes`
    judges them on that date.

    ``rows`` are the promises made by the last date (positions in ``calls``) and
    ``named`` the position of the invoice each one names (-1: none).

    A promise whose window (call day to deadline, or to the call that replaced it) ended
    on or before the as-of date had all its evidence known then, so its status that day
    is its status on the last date: one judgement (the rules of ``promise_outcomes``, on
    the same integer arrays) serves them all, the run's own judgement of
    ``promise_outcomes(as_of=last)`` when it judges these promises alike
    (:func:`_run_judgement`). The promises still open on a date are judged again as of
    that date, all (promise, date) pairs in one pass from the last date's amounts and
    the customers' running payment totals.
    """
    n = len(grid.qc)
    result = {
        "promises_made": np.zeros(n, np.int64),
        "promises_kept": np.zeros(n, np.int64),
        "promises_partial": np.zeros(n, np.int64),
        "promises_broken": np.zeros(n, np.int64),
        "promises_pending": np.zeros(n, np.int64),
        "days_since_broken_promise": np.full(n, np.nan),
    }
    if log is None or len(rows) == 0:
        return result
    last = dates[-1].to_datetime64()
    date_day = day_numbers(dates)
    # Judged as promise_outcomes(as_of=last) judges them: on the invoices issued by then
    # of the customers who promised, and those invoices' payments dated by then.
    has_promise = np.zeros(int(book.cust.max(initial=-1)) + 2, dtype=bool)  # + 2: code -1
    has_promise[log.cust[rows]] = True
    inv_ok = has_promise[book.cust] & (book.issued_at <= last)
    pays = np.flatnonzero(inv_ok[book.pay_inv] & (book.pay_at <= last))
    pay_cents = _cents(book.pay_amt[pays])
    code = log.cust[rows]
    made = log.day[rows]
    named = np.full(len(rows), -1, dtype=np.int64) if named is None else named
    judged = _run_judgement(
        calls, rows, named, book, run_book, dates[-1], has_promise, inv_ok, grace_days=grace_days
    )
    if judged is None:
        judged = _own_judgement(
            calls,
            log,
            rows,
            named,
            book,
            inv_ok,
            pays,
            pay_cents,
            int(date_day[-1]),
            grace_days=grace_days,
        )
    closed = judged["window_end"]
    status = judged["status"]
    result["promises_made"] = grid.count(grid.cells(code, made)).astype(np.int64)
    for name in ("kept", "partial", "broken"):
        done = status == PROMISE_STATUSES.index(name)
        cells = grid.cells(code[done], closed[done])
        result[f"promises_{name}"] = grid.count(cells).astype(np.int64)
        if name == "broken":
            result["days_since_broken_promise"] = grid.days_since(cells, closed[done])

    # Promises still open on a date (made on or before it, window ending after it) are
    # judged again with only what was known that day, every (promise, date) pair at once.
    # Such a promise is counted, the last of its day and not yet replaced on that date (a
    # replacement inside its window would have ended the window by then), so its window
    # is its own deadline, which is after the date: it is kept when the money received
    # after its call day and known on the date reaches the amount, else still pending.
    first = np.searchsorted(date_day, made, side="left")
    stop = np.searchsorted(date_day, closed, side="left")
    n_open = np.clip(stop - first, 0, None)
    if n_open.sum() == 0:
        return result
    pos = np.repeat(np.arange(len(made)), n_open)
    date_pos = np.repeat(first, n_open) + (
        np.arange(len(pos)) - np.repeat(np.cumsum(n_open) - n_open, n_open)
    )
    p_code, p_made, p_day = code[pos], made[pos], date_day[date_pos]
    pay_inv = book.pay_inv[pays]
    # Known from the first midnight on or after the payment and its invoice.
    known = np.maximum(ceil_days(book.pay_at[pays]), ceil_days(book.issued_at)[pay_inv])
    received = _cents_known(
        book.cust[pay_inv], book.pay_day[pays], known, pay_cents, p_code, p_made, p_day
    )
    # A promise made when nothing was owed is neither kept nor pending (nothing_owed).
    owed = ~judged["already_paid"][pos]
    kept = owed & (received >= judged["target"][pos])
    for name, hit in (("kept", kept), ("pending", owed & ~kept)):
        extra = grid.count(grid.cells_on(p_code[hit], date_pos[hit]), running=False)
        result[f"promises_{name}"] = result[f"promises_{name}"] + extra.astype(np.int64)
    return result


def _run_judgement(
    calls, rows, named, book, run_book, last, has_promise, inv_ok, *, grace_days
) -> dict | None:
    """The run's judgement of ``promise_outcomes(as_of=last)`` at ``rows`` (kept in the
    book's memo: the call list of the same run reads it too), or None when it could judge
    one of these promises otherwise than the snapshot would.

    The snapshot judges on the invoices of its customers who promised (``has_promise``)
    issued by ``last`` (``inv_ok``), and their payments dated by then; promise_outcomes
    on every invoice of each customer who promised, and every payment known on ``last``.
    A customer's promises depend only on the customer's own invoices and payments and on
    the invoices the promises name, and promise_outcomes leaves out all that is dated
    after the last day. So the two agree unless: a payment is of no listed invoice
    (promise_outcomes refuses the tables); a promise names an invoice the snapshot leaves
    out (another customer's, or one issued later); or the snapshot leaves out an invoice
    or payment of its customers dated by the last day (a time of day on it, or a
    payment of an invoice issued later).
    """
    if isinstance(grace_days, bool) or not isinstance(grace_days, int | np.integer):
        return None
    if grace_days < 0 or (run_book.pay_positions < 0).any():
        return None
    if ((named >= 0) & ~inv_ok[np.maximum(named, 0)]).any():
        return None
    last_day = int(day_numbers(np.array([last.to_datetime64()]))[0])
    theirs = has_promise[book.cust]
    if (theirs & ~inv_ok & (book.issued <= last_day)).any():
        return None
    left_out = ~(inv_ok[book.pay_inv] & (book.pay_at <= last.to_datetime64()))
    if (theirs[book.pay_inv] & left_out & (book.pay_day <= last_day)).any():
        return None
    judgement = _judgement(
        calls,
        run_book.invoices,
        run_book,
        last,
        grace_days=grace_days,
        tolerance=0.0,
        default_promise_days=DEFAULT_PROMISE_DAYS,
        renegotiated="rescheduled",
    )
    at = judgement.at(rows)
    if at is None:
        return None
    return {name: judgement.judged[name][at] for name in _JUDGED}


#: What the promise features read of a judgement.
_JUDGED = ("window_end", "status", "already_paid", "target")


def _own_judgement(
    calls, log, rows, named, book, inv_ok, pays, pay_cents, last_day, *, grace_days
) -> dict:
    """The snapshot's own judgement of the promises at ``rows`` (in that order), where
    the run's (:func:`_run_judgement`) could differ: on the invoices ``inv_ok`` and the
    payments ``pays``."""
    order = _order([log.cust[rows], log.stamp[rows]], [calls["call_id"]], rows)
    sorted_rows = rows[order]
    code = log.cust[sorted_rows]
    if "promise_date" in calls:
        promise_day = day_numbers(stamps(calls["promise_date"])[sorted_rows])
    else:
        promise_day = np.full(len(rows), NO_DAY)
    named = named[order]
    judged = _judge(
        _Promises(
            group=code,
            cust=code,
            call_day=log.day[sorted_rows],
            promise_day=promise_day,
            given_date=promise_day != NO_DAY,
            given_cents=_promised_cents(calls, sorted_rows),
            named=np.where((named >= 0) & inv_ok[named], named, -1),
        ),
        _Book(
            inv_cust=np.where(inv_ok, book.cust, -1),
            issued=book.issued,
            due=book.due,
            written_off=book.written_off,
            amount=_cents(book.amount),
            pay_inv=book.pay_inv[pays],
            pay_day=book.pay_day[pays],
            pay_cents=pay_cents,
            pay_known=np.ones(len(pays), dtype=bool),
        ),
        as_of_day=last_day,
        grace_days=grace_days,
        default_promise_days=DEFAULT_PROMISE_DAYS,
        tolerance_cents=0,
    )
    back = np.empty(len(rows), dtype=np.int64)
    back[order] = np.arange(len(rows))
    return {name: judged[name][back] for name in _JUDGED}


def _plan_features(calls, payments, invoices, cust_ids, grid, dates, *, grace_days, book) -> dict:
    """Plan instalments kept and missed by each date, point in time.

    An instalment's status is final on its deadline: the payments that judge it are
    dated by then, and a later plan or promise only affects instalments due after it.
    So the instalments are judged once, as of the last date, and each counts from its
    deadline on. When every payment is of a listed invoice, the judgement is the book's
    (shared with the call list's plan status on that date).
    """
    n = len(grid.qc)
    result = {
        "plan_instalments_kept": np.zeros(n, np.int64),
        "plan_instalments_missed": np.zeros(n, np.int64),
    }
    if calls is None or not (calls["outcome"] == "plan").any():
        return result
    from .plans import _judged_instalments, plan_instalments

    # Payments to unknown invoices belong to no customer (as in the other features). The
    # book's invoice positions of the payments answer without hashing the ids again; only
    # when one is not found does the hash look-up decide (a missing id matches a missing one).
    listed = book.pay_positions >= 0
    if not listed.all():
        listed = contains(payments["invoice_id"], invoices["invoice_id"])
    if listed.all():
        # The book's own table, read here and never changed (no copy).
        inst = _judged_instalments(
            calls,
            payments,
            invoices,
            as_of=dates[-1],
            grace_days=grace_days,
            tolerance=0.0,
            book=book,
        )
    else:
        known = payments[listed]
        inst = plan_instalments(calls, known, invoices, as_of=dates[-1], grace_days=grace_days)
    code = positions(inst["customer_id"], cust_ids)
    deadline = day_numbers(inst["deadline"])
    status = inst["status"].astype("string")
    for name, states in (("kept", ["kept"]), ("missed", ["partial", "broken"])):
        rows = status.isin(states).to_numpy(dtype=bool, na_value=False)
        cells = grid.cells(code[rows], deadline[rows])
        result[f"plan_instalments_{name}"] = grid.count(cells).astype(np.int64)
    return result


def _cents_known(cust, day, known, cents, p_code, p_made, p_day) -> np.ndarray:
    """Per (promise, date) pair: the customer's payments in cents dated on or after the
    promise's call day and known on the date, as :func:`arcalls.promise_outcomes` on that
    date sees them (payment and its invoice both dated on or before the date)."""
    ok = (cust >= 0) & (day != NO_DAY)
    same = ok & (known == day)
    events = Events(cust[same], day[same], cents[same].astype("float64"))
    total = events.sum_upto(p_code, p_day) - events.sum_upto(p_code, p_made - 1)
    received = np.round(total).astype(np.int64)
    late = ok & (known != day)
    if late.any():
        # Payments known only after their own day (dated before their invoice, or with a
        # time of day): few, matched pair by pair through their customer.
        pays = pd.DataFrame({"c": cust[late], "d": day[late], "k": known[late], "v": cents[late]})
        pairs = pd.DataFrame({"c": p_code, "m": p_made, "t": p_day, "i": np.arange(len(p_code))})
        both = pairs.merge(pays, on="c")
        hit = (both["d"] >= both["m"]) & (both["k"] <= both["t"])
        extra = both.loc[hit].groupby("i")["v"].sum()
        received[extra.index.to_numpy()] += extra.to_numpy(np.int64)
    return received


class _Grid:
    """The snapshot's queries as cells of one (customer, as-of date) table.

    Every query asks about one customer on one as-of date (or a fixed number of days
    before it), and the dates are few. So "how many of a customer's events are dated on
    or before the day" is one ``bincount`` of the events by their cell (customer, first
    date that counts them), a running sum along the dates, and one look-up per query: no
    sort of the events and no binary search per query, which cost several times more on
    millions of rows. Counts and sums of whole numbers only (exact in any order); sums
    of dollars stay with :class:`arcalls.book.Events`, whose order of addition they keep.
    """

    def __init__(self, qc: np.ndarray, q_date: np.ndarray, date_day: np.ndarray, ncust: int):
        self.qc, self.q_date, self.date_day, self.ncust = qc, q_date, date_day, ncust
        # A row per date and one past the last (events counted on no date), a column per
        # customer and one past the last (events of no customer, code -1). Date major:
        # the queries, sorted by date then customer, read the table in its own order.
        self.width = ncust + 1
        self.size = (len(date_day) + 1) * self.width
        self._query = q_date * self.width + qc

    def cells(self, group, day, lag: int = 0) -> np.ndarray:
        """Each event's cell: its customer (``group``, -1: none) and the first date whose
        day minus ``lag`` is on or after the event's day."""
        # The first such date of each day from a table over the days the dates span
        # (one look-up per event, several times faster than a binary search each).
        upto = self.date_day - lag
        span = np.searchsorted(upto, np.arange(upto[0], upto[-1] + 2), side="left")
        first = span[np.clip(day, upto[0], upto[-1] + 1) - upto[0]]
        return self.cells_on(group, first)

    def cells_on(self, group, date_pos) -> np.ndarray:
        """The cells of events dated by date position, counted on that date only."""
        return date_pos * self.width + np.where(group >= 0, group, self.ncust)

    def count(self, cells, weights=None, *, running: bool = True) -> np.ndarray:
        """Per query: how many events (of ``cells``) count on its date, or with
        ``weights`` (whole numbers) their sum as float64; ``running=False``: the events
        of the query's date alone (from :meth:`cells_on`)."""
        table = np.bincount(cells, weights=weights, minlength=self.size)
        if running:
            # Exact in any order: whole numbers.
            table = np.cumsum(table.reshape(-1, self.width), axis=0).reshape(-1)
        return table[self._query]

    def _last_cell(self, filled) -> np.ndarray:
        """Per query: the cell of its customer on the last date up to its own where
        ``filled`` (a bool per cell); -1 if none."""
        rows = np.arange(self.size // self.width)[:, None]
        at = np.where(filled.reshape(-1, self.width), rows, -1)
        np.maximum.accumulate(at, axis=0, out=at)
        row = at.reshape(-1)[self._query]
        return np.where(row >= 0, row * self.width + self.qc, -1)

    def latest(self, cells, stamp) -> np.ndarray:
        """Per query: the position (in ``cells``) of its customer's latest event counted
        on the date, by ``stamp`` and the last of equal stamps; -1 if none. ``stamp``
        orders the events as their days do (later cells hold later stamps)."""
        top = np.full(self.size, np.iinfo(np.int64).min)
        np.maximum.at(top, cells, stamp)
        tie = np.flatnonzero(stamp == top[cells])
        pick = np.full(self.size, -1, dtype=np.int64)
        np.maximum.at(pick, cells[tie], tie)
        cell = self._last_cell(pick >= 0)
        return np.where(cell >= 0, pick[cell], -1)

    def days_since(self, cells, day) -> np.ndarray:
        """Per query: days from its customer's last event counted on the date (of
        ``cells``, dated ``day``) to the date; NaN if none."""
        last = np.full(self.size, -1, dtype=np.int64)
        np.maximum.at(last, cells, day)
        cell = self._last_cell(last >= 0)
        since = self.date_day[self.q_date] - last[cell]
        return np.where(cell >= 0, since, np.nan).astype("float64")


def _customer_flags(customers, cust_ids, a_cust, q_day) -> dict:
    n = len(a_cust)
    if customers is None or len(customers) == 0:
        return {"do_not_call": np.zeros(n, bool), "placed_with_agency": np.zeros(n, bool)}
    # The first row of a customer listed twice; a customer missing from the customers
    # file is not flagged.
    table = customers.drop_duplicates("customer_id")
    at = positions(cust_ids, table["customer_id"])
    listed = at >= 0
    dnc = np.zeros(len(cust_ids), dtype=bool)
    if "do_not_call" in table:
        flag = table["do_not_call"].astype("boolean").fillna(False).to_numpy(bool)
        dnc[listed] = flag[at[listed]]
    placed = np.full(len(cust_ids), NO_DAY)
    if "placed_with_agency_date" in table:
        # Placed on the as-of date at the latest, to the second.
        when = ceil_days(stamps(table["placed_with_agency_date"]))
        placed[listed] = when[at[listed]]
    return {"do_not_call": dnc[a_cust], "placed_with_agency": placed[a_cust] <= q_day}


def _labels(dollars, dates, a_date, horizon_days, end) -> dict:
    known = np.asarray((dates + pd.Timedelta(days=horizon_days)) <= end)[a_date]
    dollars = round_money(dollars) + 0.0
    paid_any = pd.array(dollars > 0, dtype="boolean")
    paid_any[~known] = pd.NA
    return {
        "dollars_within_horizon": np.where(known, dollars, np.nan),
        "paid_within_horizon": paid_any,
    }


class _Accounts(NamedTuple):
    """Invoices and payments as arrays, each id hashed once (payments to no known
    invoice left out)."""

    cust: np.ndarray  # customer code of each invoice
    issued: np.ndarray  # day numbers (NO_DAY: none)
    issued_at: np.ndarray  # datetime64[ns]
    due: np.ndarray
    written_off: np.ndarray
    amount: np.ndarray  # dollars
    pay_inv: np.ndarray  # invoice position of each payment
    pay_day: np.ndarray
    pay_at: np.ndarray
    pay_amt: np.ndarray


def _data_end(invoices, payments, calls) -> pd.Timestamp:
    latest = [invoices["invoice_date"].max()]
    for frame, col in (
        (payments, "payment_date"),
        (invoices, "written_off_date"),
        (invoices, "paid_date"),
    ):
        if frame is not None and col in frame and len(frame):
            latest.append(frame[col].max())
    if calls is not None and len(calls):
        latest.append(calls["called_at"].max().normalize())
    return pd.Timestamp(max(x for x in latest if pd.notna(x)))


def _check_table(frame, table, name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{name} must be a pandas DataFrame in the canonical schema, got "
            f"{type(frame).__name__}. Load it with arcalls.load_{name}(...)."
        )
    missing = [c for c in table.required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{name} lacks the required column(s) {missing}; it has {list(frame.columns)}. "
            f"Load it with arcalls.load_{name}(..., columns={{'your header': "
            f"'{missing[0]}'}}) or rename the columns."
        )


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise InputError(f"{name} must be a positive whole number of days, got {value!r}.")
    return int(value)


def _check_dates(as_of_dates) -> pd.DatetimeIndex:
    if isinstance(as_of_dates, str | pd.Timestamp) or not np.iterable(as_of_dates):
        as_of_dates = [as_of_dates]
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(list(as_of_dates))).normalize()
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"as_of_dates must be dates (e.g. ['2025-03-02', '2025-03-09']), got "
            f"{as_of_dates!r}: {exc}"
        ) from exc
    if len(dates) == 0 or dates.isna().any():
        raise InputError(
            "as_of_dates must hold at least one date and no missing value; "
            "e.g. pd.date_range('2025-01-05', '2025-06-29', freq='W')."
        )
    return dates.unique().sort_values()
