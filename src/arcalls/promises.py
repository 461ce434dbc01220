"""Promises to pay: which were kept, partly kept or broken, and how often they break.

A call with outcome ``promise`` is judged on the customer's payments from the call day
up to its deadline (``promise_date + grace_days``), from what was known on the as-of
date. Matching is vectorised over every promise at once (cumulative sums per customer
and binary search, on integer codes of the ids, day numbers and cents), so it scales to
millions of calls; only the promise rows of the call log are worked on.

Rules (each one pinned by a test in ``tests/test_promises.py`` or
``tests/test_promise_rules.py``):

- **Window.** Payments dated on the call day up to the deadline count: money paid
  during the call (by card, the same day) counts towards the promise. The balance at
  the call is therefore the balance at the start of the call day (invoices issued and
  overdue by that day, minus payments dated before it), so no payment is both in the
  balance and in the promise.
- **Early payments.** Money that arrives after the call but before the promise date
  counts: paying early keeps a promise.
- **Replacement.** A promise made on a later day while an earlier promise of the same
  customer is still open (its call day on or before the earlier deadline) replaces it.
  The earlier promise's window closes the day before the new call; the new one's
  starts on its own call day. Windows are therefore disjoint and no payment counts for
  two promises.
- **Rescheduled.** A replaced promise that was not kept by then is ``rescheduled``: the
  customer renegotiated before the deadline, which a manager does not count as a
  broken promise; it is left out of the broken-promise rate. With
  ``renegotiated="strict"`` it is judged on what had arrived by the new call instead
  (partial or broken). A promise kept before it was replaced stays kept.
- **Several promises on one day.** Two promises of one customer on one call day are the
  same promise when they have the same promise date (after the defaults below), the
  same logged amount (or none) and the same named invoice (or none): an exact
  duplicate counts once, the last one logged; the others have ``counted`` False,
  receive nothing, show its status and name it in ``replaced_by``. Promises that differ
  are each judged, and the day's payments are shared out between them in order of
  deadline: each takes at most its amount from what arrived by its own deadline, less
  what the earlier ones took; the last takes the rest.
- **No promise date.** The promise date defaults to the call day plus
  :data:`DEFAULT_PROMISE_DAYS`; ``date_source`` says ``"default"``. A promise date
  before the call day is read as the call day.
- **Amount.** A given ``promise_amount`` (> 0) is capped at the customer's whole open
  balance at the call (nobody can keep a promise to pay more than they owe). Without
  one: the named invoice's open balance at the call when the call names a known
  invoice, else the customer's overdue balance at the call. ``amount_source`` says
  which.
- **Nothing owed.** A promise whose amount is zero (nothing left to pay at the call) is
  ``nothing_owed`` and flagged ``already_paid``: there was nothing to keep or break,
  so it is left out of the broken-promise rate.
- **Other invoices.** Payments to any invoice of the customer count, named or not: the
  owner is owed by the customer, and customers often pay a different invoice from the
  one the collector wrote down.
- **Status.** ``kept`` as soon as the money received reaches the amount minus
  ``tolerance`` (even before the deadline), ``pending`` while not yet kept and the
  window ends after the as-of date, ``rescheduled`` (see above), ``partial`` when some
  money arrived, ``broken`` when none did. The broken-promise rate counts only kept,
  partial and broken (:data:`RESOLVED_STATUSES`).
"""

from __future__ import annotations

from functools import cached_property
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._calls import DEFAULT_BUSINESS_TZ as DEFAULT_BUSINESS_TZ
from ._calls import DEFAULT_MIN_OWN_ATTEMPTS as DEFAULT_MIN_OWN_ATTEMPTS
from ._calls import DEFAULT_PRIOR_ATTEMPTS as DEFAULT_PRIOR_ATTEMPTS
from ._calls import DEFAULT_WINDOW_HOURS as DEFAULT_WINDOW_HOURS
from ._calls import (
    CallTimes,
    _check_columns,
    _wilson_interval,
    best_call_times,
    call_local_times,
    contact_rates,
    month_text,
)

# The call-time defaults are reachable as arcalls.promises.DEFAULT_* (explicit re-export).
from ._checks import check_one_currency
from ._keys import equals, factorize, take_text
from .book import DAY_SPAN, EPOCH_DAY, NO_DAY, Book, Events, book_for, dates_of, day_numbers
from .errors import ArcallsError, IntegrityError
from .ledger import known_by
from .schema import RIGHT_PARTY_OUTCOMES

__all__ = [
    "PROMISE_STATUSES",
    "RENEGOTIATED_RULES",
    "RESOLVED_STATUSES",
    "CallTimes",
    "best_call_times",
    "broken_promise_rate",
    "call_local_times",
    "contact_rates",
    "outcome_funnel",
    "promise_outcomes",
]

#: Days after the promise date that a payment still counts as on time (DESIGN.md).
DEFAULT_GRACE_DAYS = 3
#: A promise logged without a date is taken as "within a week" of the call.
DEFAULT_PROMISE_DAYS = 7
#: Confidence level of the Wilson interval around a broken-promise rate.
DEFAULT_CONFIDENCE = 0.95
#: The statuses, in the order tables and charts show them. Only kept, partial and broken
#: enter the broken-promise rate.
PROMISE_STATUSES = ("kept", "partial", "broken", "pending", "rescheduled", "nothing_owed")
#: The statuses the broken-promise rate is computed over.
RESOLVED_STATUSES = ("kept", "partial", "broken")
#: How a promise renegotiated before its deadline is judged (``renegotiated=``).
RENEGOTIATED_RULES = ("rescheduled", "strict")
_STATUS = {name: code for code, name in enumerate(PROMISE_STATUSES)}
#: Aging buckets of the debt at the call: upper edges in days past due (DESIGN.md).
AGE_BUCKET_EDGES = (0, 30, 60, 90, 120)
AGE_BUCKET_LABELS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
#: Promise size bands (dollars, lower edges) for "by size" rates.
SIZE_BAND_EDGES = (0.0, 500.0, 2_000.0, 10_000.0)
SIZE_BAND_LABELS = ("<$500", "$500-2k", "$2k-10k", "$10k+")
#: Where a promise's amount comes from, coded 0, 1, 2 by ``_judge``.
_AMOUNT_SOURCES = ("given", "invoice_balance", "overdue_balance")


def promise_outcomes(
    calls: pd.DataFrame,
    payments: pd.DataFrame | None,
    invoices: pd.DataFrame,
    *,
    as_of,
    grace_days: int = DEFAULT_GRACE_DAYS,
    tolerance: float = 0.0,
    default_promise_days: int = DEFAULT_PROMISE_DAYS,
    renegotiated: str = "rescheduled",
    book: Book | None = None,
) -> pd.DataFrame:
    """One row per promise to pay, judged on the payments known on ``as_of``.

    The rules (window, early payments, replacement, missing dates, default amount,
    already paid, other invoices) are in the module docstring.

    Parameters
    ----------
    calls : DataFrame
        Canonical calls; rows with outcome ``promise`` whose call day is on or before
        ``as_of`` are the promises. Optional columns used: ``invoice_id``,
        ``collector``, ``promise_date``, ``promise_amount``.
    payments : DataFrame or None
        Canonical payments; None to use the invoices' own settlement columns.
    invoices : DataFrame
        Canonical invoices (they tie payments to customers and give the balances).
    as_of : date-like
        Nothing dated after this day is used.
    grace_days : int, default :data:`DEFAULT_GRACE_DAYS`
        Deadline = promise date + ``grace_days``.
    tolerance : float, default 0.0
        Dollars a payment may fall short of the amount and still keep the promise.
    default_promise_days : int, default :data:`DEFAULT_PROMISE_DAYS`
        Promise date of a promise logged without one: call day + this many days.
    renegotiated : {"rescheduled", "strict"}, default "rescheduled"
        A promise replaced by a new one before its deadline, and not kept by then:
        ``"rescheduled"`` gives it that status (left out of the broken-promise rate);
        ``"strict"`` judges it on what had arrived by the new call (partial or broken).
    book : arcalls.book.Book, optional
        The run's coded book of these same tables (:func:`arcalls.book.book_of`): the
        outcomes are judged once per book and options, and every later call gets a copy;
        the promise features of :func:`arcalls.account_snapshots` on the same book,
        whose last date is ``as_of``, read the same judgement.

    Returns
    -------
    DataFrame
        Sorted by ``called_at``, ``call_id``; columns ``call_id``, ``customer_id``,
        ``invoice_id``, ``collector``, ``called_at``, ``promise_date``,
        ``date_source`` (given/default), ``deadline``, ``amount_source``
        (given/invoice_balance/overdue_balance), ``overdue_at_call``,
        ``open_at_call``, ``promised_amount``, ``window_end`` (last day whose payments
        count: the deadline, or the replacing call's day), ``received``,
        ``shortfall``, ``status``, ``replaced_by`` (call id or NA), ``counted``,
        ``already_paid``, ``days_past_due_at_call`` (dollar-weighted age of the
        overdue balance, NA when nothing is overdue), ``age_bucket``, ``size_band``
        and ``month`` (``YYYY-MM`` of the call).

    Raises
    ------
    SchemaError
        A table lacks a column the matching needs.
    IntegrityError
        A payment names an invoice that is not in ``invoices``.
    ArcallsError
        ``grace_days``, ``default_promise_days`` or ``tolerance`` is negative, or
        ``renegotiated`` is not one of :data:`RENEGOTIATED_RULES`.
    InputError
        ``book`` was built from other tables.

    Examples
    --------
    >>> import pandas as pd
    >>> inv = pd.DataFrame({"invoice_id": ["i1"], "customer_id": ["c1"],
    ...     "invoice_date": pd.to_datetime(["2026-01-01"]),
    ...     "due_date": pd.to_datetime(["2026-01-31"]), "amount": [500.0]})
    >>> pay = pd.DataFrame({"payment_id": ["p1"], "invoice_id": ["i1"],
    ...     "payment_date": pd.to_datetime(["2026-02-12"]), "amount": [500.0]})
    >>> calls = pd.DataFrame({"call_id": ["k1"], "customer_id": ["c1"],
    ...     "called_at": pd.to_datetime(["2026-02-05 10:30"]), "outcome": ["promise"],
    ...     "promise_date": pd.to_datetime(["2026-02-10"])})
    >>> out = promise_outcomes(calls, pay, inv, as_of="2026-03-01")
    >>> out[["promised_amount", "deadline", "received", "status"]]
      promised_amount   deadline  received status
    0           500.0 2026-02-13     500.0   kept

    On the bundled sample:

    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> out = promise_outcomes(s.calls, s.payments, s.invoices, as_of="2026-06-30")
    >>> set(out["status"]) <= set(PROMISE_STATUSES)
    True
    >>> bool((out["called_at"] < pd.Timestamp("2026-07-01")).all())
    True
    """
    judgement, shared = _checked_judgement(
        calls,
        payments,
        invoices,
        as_of=as_of,
        grace_days=grace_days,
        tolerance=tolerance,
        default_promise_days=default_promise_days,
        renegotiated=renegotiated,
        book=book,
    )
    outcomes = judgement.outcomes
    # A given book is shared: each caller gets its own copy.
    return outcomes.copy() if shared else outcomes


def _checked_judgement(
    calls,
    payments,
    invoices,
    *,
    as_of,
    grace_days: int = DEFAULT_GRACE_DAYS,
    tolerance: float = 0.0,
    default_promise_days: int = DEFAULT_PROMISE_DAYS,
    renegotiated: str = "rescheduled",
    book: Book | None = None,
) -> tuple[_Judgement, bool]:
    """:func:`promise_outcomes`' checks and judgement (same parameters and defaults),
    without building its table; and whether the book was given (then shared).

    The weekly list judges its promises through this before the model is trained, while
    little else is held, so that the snapshot's promise features read the judgement
    rather than add its temporaries to the training's peak memory.
    """
    as_of = pd.Timestamp(as_of).normalize()
    _check_whole_days(grace_days=grace_days, default_promise_days=default_promise_days)
    _check_non_negative(tolerance=tolerance)
    if renegotiated not in RENEGOTIATED_RULES:
        raise ArcallsError(
            f"renegotiated must be 'rescheduled' or 'strict', got {renegotiated!r}: "
            "'rescheduled' leaves a promise renegotiated before its deadline out of the "
            "broken-promise rate, 'strict' judges it on what had arrived by the new call."
        )
    _check_columns(calls, ["call_id", "customer_id", "called_at", "outcome"], "calls")
    _check_columns(
        invoices, ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"], "invoices"
    )
    check_one_currency(invoices)
    shared = book is not None
    book = book_for(book, invoices, payments, calls)
    _check_columns(book.payments, ["invoice_id", "payment_date", "amount"], "payments")
    options = (grace_days, tolerance, default_promise_days, renegotiated)
    return _judgement(calls, invoices, book, as_of, *options), shared


def _judgement(
    calls, invoices, book: Book, as_of, grace_days, tolerance, default_promise_days, renegotiated
) -> _Judgement:
    """The promises of checked tables judged on ``as_of``, once per book and options:
    the call list's outcomes and the snapshot's promise features
    (``features._promise_features``) of one run read the same judgement."""
    key = ("promise_outcomes", as_of, grace_days, tolerance, default_promise_days, renegotiated)
    return book.memo(
        key,
        lambda: _Judgement(
            calls,
            invoices,
            book,
            as_of,
            grace_days=grace_days,
            tolerance=tolerance,
            default_promise_days=default_promise_days,
            renegotiated=renegotiated,
        ),
    )


class _Judgement:
    """Every promise made by ``as_of`` judged by :func:`_judge`, from the book's codes and
    day numbers; :attr:`outcomes` is :func:`promise_outcomes`'s table of it.

    ``rows`` are the promises' positions in ``calls`` (ascending) and ``judged`` the
    arrays of :func:`_judge` in its own order (by customer, call time, call id):
    ``judged[name][self.at(rows)]`` reads them at any of the promises.
    """

    def __init__(
        self,
        calls,
        invoices,
        book: Book,
        as_of,
        *,
        grace_days,
        tolerance,
        default_promise_days,
        renegotiated,
    ):
        payments = book.payments
        as_of_day = day_numbers(np.array([as_of.to_datetime64()])).item()

        # Only the promise rows are worked on; everything else is integer codes, day numbers
        # and cents, so sums over millions of rows stay exact and no string is hashed twice.
        rows = _promise_rows(calls, as_of=as_of)
        stamp = calls["called_at"].to_numpy(dtype="datetime64[ns]")[rows]
        pay_inv, named = book.call_invoice_positions(rows)
        if (pay_inv < 0).any():
            unknown = payments.loc[pay_inv < 0, "invoice_id"].unique()[:5].tolist()
            raise IntegrityError(
                f"{int((pay_inv < 0).sum())} payment(s) name invoices that are not in "
                f"the invoices table, e.g. {unknown}: payments are tied to customers through "
                "their invoice. Load the full invoice file or drop those payments."
            )
        # One code per customer who promised; the other customers' invoices play no part.
        cust, customers = factorize(calls["customer_id"].array.take(rows))
        inv_cust = book.invoice_customers_in(customers)
        # A promise without a customer is a group of its own.
        no_customer = cust < 0
        group = cust.copy()
        group[no_customer] = len(customers) + np.arange(int(no_customer.sum()))

        order = _order([stamp.view(np.int64)], [calls["call_id"], calls["customer_id"]], rows)
        by_group = order[np.argsort(group[order], kind="stable")]
        promise_day, given_date = _optional_days(calls, "promise_date", rows)
        coded = _Book(
            inv_cust=inv_cust,
            issued=book.issued,
            due=book.due,
            written_off=book.written_off,
            amount=_cents(invoices["amount"]),
            pay_inv=pay_inv,
            pay_day=book.pay_day,
            pay_cents=_cents(payments["amount"]),
            pay_known=known_by(book.pay_at, as_of),
        )
        given_cents = _promised_cents(calls, rows)
        self.judged = _judge(
            _Promises(
                group=group[by_group],
                cust=cust[by_group],
                call_day=day_numbers(stamp[by_group]),
                promise_day=promise_day[by_group],
                given_date=given_date[by_group],
                given_cents=given_cents[by_group],
                named=np.full(len(rows), -1, dtype=np.int64) if named is None else named[by_group],
            ),
            coded,
            as_of_day=as_of_day,
            grace_days=grace_days,
            default_promise_days=default_promise_days,
            tolerance_cents=int(round(tolerance * 100)),
            due_weights=coded.due - EPOCH_DAY,
            renegotiated=renegotiated,
        )
        self.calls, self.rows, self.order, self.by_group = calls, rows, order, by_group
        self._stamp = stamp

    def at(self, call_rows: np.ndarray) -> np.ndarray | None:
        """Where in :attr:`judged` each of ``call_rows`` (positions in ``calls``) is;
        None when one of them is not a promise judged here."""
        k = np.minimum(np.searchsorted(self.rows, call_rows), max(len(self.rows) - 1, 0))
        if len(call_rows) and not (len(self.rows) and (self.rows[k] == call_rows).all()):
            return None
        where = np.empty(len(self.rows), dtype=np.int64)
        where[self.by_group] = np.arange(len(self.rows))
        return where[k]

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """:func:`promise_outcomes`'s table: a row per promise, by call time then call id."""
        calls, rows, order, by_group = self.calls, self.rows, self.order, self.by_group

        # From the customers' order to the output's: by call time, then call id.
        at = np.empty(len(rows), dtype=np.int64)
        at[order] = np.arange(len(rows))
        back = np.empty(len(rows), dtype=np.int64)
        back[at[by_group]] = np.arange(len(rows))
        j = {name: values[back] for name, values in self.judged.items()}
        out_rows = rows[order]
        replaced_by = np.where(j["replaced_at"] >= 0, rows[by_group][j["replaced_at"]], -1)

        overdue = j["overdue_cents"]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_due = np.where(overdue > 0, j["overdue_due_sum"] / overdue, np.nan)
        call_day = day_numbers(self._stamp[order])
        age = np.where(overdue > 0, np.maximum(call_day - EPOCH_DAY - mean_due, 1.0), np.nan)
        age = pd.Series(np.floor(age)).astype("Int64")
        target = j["target"]
        promised = target / 100.0
        return pd.DataFrame(
            {
                "call_id": take_text(calls["call_id"], out_rows),
                "customer_id": take_text(calls["customer_id"], out_rows),
                "invoice_id": _optional_text(calls, "invoice_id", out_rows),
                "collector": _optional_text(calls, "collector", out_rows),
                "called_at": calls["called_at"].array.take(out_rows),
                "promise_date": dates_of(j["promise_day"]),
                "deadline": dates_of(j["deadline"]),
                "promised_amount": promised,
                "received": j["received"] / 100.0,
                "status": _labels(PROMISE_STATUSES, j["status"]),
                "date_source": _labels(("default", "given"), j["given_date"].astype(np.int64)),
                "amount_source": _labels(_AMOUNT_SOURCES, j["amount_source"]),
                "overdue_at_call": overdue / 100.0,
                "open_at_call": j["open_cents"] / 100.0,
                "window_end": dates_of(j["window_end"]),
                "shortfall": np.maximum(target - j["received"], 0) / 100.0,
                "replaced_by": take_text(calls["call_id"], replaced_by),
                "counted": j["counted"],
                "already_paid": j["already_paid"],
                "days_past_due_at_call": age,
                "age_bucket": _age_bucket(age),
                "size_band": _size_band(promised),
                "month": month_text(pd.Series(calls["called_at"].array.take(out_rows))),
            }
        )


def broken_promise_rate(
    outcomes: pd.DataFrame,
    *,
    by: str | list[str] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Counts per status and the broken-promise rate with a Wilson interval.

    Broken-promise rate = (broken + partial) / (kept + partial + broken); pending,
    rescheduled and nothing-owed promises are counted but not in the rate. Only
    ``counted`` promises enter (see the duplicate rule in the module docstring).

    Parameters
    ----------
    outcomes : DataFrame
        The output of :func:`promise_outcomes`.
    by : str or list of str, optional
        Columns to group by: ``customer_id``, ``collector``, ``month``,
        ``age_bucket``, ``size_band`` or any other column of ``outcomes``. None: one
        row for everything.
    confidence : float, default :data:`DEFAULT_CONFIDENCE`
        Level of the Wilson score interval.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``promises``, one count per status of
        :data:`PROMISE_STATUSES` (``kept``, ``partial``, ``broken``, ``pending``,
        ``rescheduled``, ``nothing_owed``), ``resolved`` (kept + partial + broken), ``broken_rate``,
        ``ci_low``, ``ci_high`` (NaN when nothing is resolved), ``promised`` and
        ``received`` (dollars over resolved promises) and ``pending_promised``.

    Raises
    ------
    SchemaError
        ``outcomes`` lacks ``status`` or a ``by`` column.
    ArcallsError
        ``confidence`` is not strictly between 0 and 1.

    Examples
    --------
    >>> import pandas as pd
    >>> outcomes = pd.DataFrame({"collector": ["ann", "ann", "bob", "bob"],
    ...     "status": ["kept", "broken", "partial", "pending"],
    ...     "promised_amount": [100.0, 50.0, 80.0, 20.0],
    ...     "received": [100.0, 0.0, 30.0, 0.0]})
    >>> broken_promise_rate(outcomes, by="collector")[
    ...     ["collector", "resolved", "broken_rate", "promised", "received"]]
      collector  resolved  broken_rate  promised  received
    0       ann         2          0.5     150.0     100.0
    1       bob         1          1.0      80.0      30.0
    """
    if not 0 < confidence < 1:
        raise ArcallsError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}.")
    keys = _as_list(by)
    _check_columns(outcomes, ["status", "promised_amount", "received", *keys], "outcomes")
    frame = outcomes
    if "counted" in frame:
        frame = frame[frame["counted"].astype(bool)]
    status = frame["status"].astype("string")
    resolved = status.isin(list(RESOLVED_STATUSES)).to_numpy()
    table = _status_rates(
        frame,
        keys,
        PROMISE_STATUSES,
        total="promises",
        sums={
            "promised": np.where(resolved, frame["promised_amount"], 0.0),
            "received": np.where(resolved, frame["received"], 0.0),
            "pending_promised": np.where(
                status.eq("pending").fillna(False).to_numpy(bool), frame["promised_amount"], 0.0
            ),
        },
        confidence=confidence,
    )
    counts = list(PROMISE_STATUSES)
    for col in ("promised", "received", "pending_promised"):
        table[col] = np.round(table[col].astype("float64"), 2)
    return table[
        [
            *keys,
            "promises",
            *counts,
            "resolved",
            "broken_rate",
            "ci_low",
            "ci_high",
            "promised",
            "received",
            "pending_promised",
        ]
    ]


def _status_rates(
    frame: pd.DataFrame,
    keys: list[str],
    statuses,
    *,
    total: str,
    sums: dict[str, np.ndarray],
    confidence: float,
) -> pd.DataFrame:
    """Per group of ``keys`` (one row without keys): how many rows have each of
    ``statuses`` (int64), their ``total``, the ``sums``, ``resolved`` (kept + partial +
    broken) and the Wilson ``broken_rate`` with ``ci_low``/``ci_high``. Shared by the
    promises' and the plan instalments' rates."""
    status = frame["status"].astype("string")
    parts = pd.DataFrame(
        {s: status.eq(s).fillna(False).to_numpy(bool).astype(np.int64) for s in statuses} | sums,
        index=frame.index,
    )
    if keys:
        parts = pd.concat([frame[keys], parts], axis=1)
        table = parts.groupby(keys, observed=True, sort=True, dropna=False).sum().reset_index()
    else:
        table = parts.sum().to_frame().T
    counts = list(statuses)
    table[counts] = table[counts].astype("int64")
    table.insert(len(keys), total, table[counts].sum(axis=1))
    table["resolved"] = table["kept"] + table["partial"] + table["broken"]
    failed = table["partial"] + table["broken"]
    rate, low, high = _wilson(failed.to_numpy(), table["resolved"].to_numpy(), confidence)
    return table.assign(broken_rate=rate, ci_low=low, ci_high=high)


def outcome_funnel(calls: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The funnel from attempts to kept promises: attempts, contacts, promises, kept.

    Parameters
    ----------
    calls : DataFrame
        Canonical calls (every attempt).
    outcomes : DataFrame
        :func:`promise_outcomes` of those calls.

    Returns
    -------
    DataFrame
        One row per stage (``attempts``, ``right_party_contacts``, ``promises``,
        ``kept``) with ``count``, ``share_of_attempts`` and ``share_of_previous``.
        Promises and kept count only ``counted`` promises.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"outcome": ["no_answer", "contact", "promise", "promise"]})
    >>> outcomes = pd.DataFrame({"status": ["kept", "broken"], "counted": [True, True]})
    >>> outcome_funnel(calls, outcomes)
                      stage  count  share_of_attempts  share_of_previous
    0              attempts      4               1.00               1.00
    1  right_party_contacts      3               0.75               0.75
    2              promises      2               0.50               0.67
    3                  kept      1               0.25               0.50
    """
    _check_columns(calls, ["outcome"], "calls")
    _check_columns(outcomes, ["status"], "outcomes")
    counted = outcomes[outcomes["counted"].astype(bool)] if "counted" in outcomes else outcomes
    counts = np.array(
        [
            len(calls),
            int(calls["outcome"].isin(sorted(RIGHT_PARTY_OUTCOMES)).sum()),
            len(counted),
            int((counted["status"] == "kept").sum()),
        ],
        dtype=np.int64,
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        of_attempts = counts / counts[0] if counts[0] else np.full(4, np.nan)
        previous = np.concatenate([[counts[0]], counts[:-1]])
        of_previous = np.where(previous > 0, counts / np.maximum(previous, 1), np.nan)
    return pd.DataFrame(
        {
            "stage": ["attempts", "right_party_contacts", "promises", "kept"],
            "count": counts,
            "share_of_attempts": np.round(of_attempts, 2),
            "share_of_previous": np.round(of_previous, 2),
        }
    )


# --- helpers -------------------------------------------------------------------------


def _check_non_negative(**values) -> None:
    for name, value in values.items():
        if value is None or not np.isfinite(value) or value < 0:
            raise ArcallsError(f"{name} must be a number >= 0, got {value!r}.")


def _check_whole_days(**values) -> None:
    for name, value in values.items():
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 0:
            raise ArcallsError(f"{name} must be a whole number of days >= 0, got {value!r}.")


def _as_list(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _promise_rows(calls: pd.DataFrame, *, as_of: pd.Timestamp) -> np.ndarray:
    """Row positions of the calls that are promises made on or before ``as_of``."""
    rows = np.flatnonzero(equals(calls["outcome"], "promise"))
    stamp = calls["called_at"].to_numpy(dtype="datetime64[ns]")[rows]
    known = ~np.isnat(stamp) & (stamp.astype("datetime64[D]") <= as_of.to_datetime64())
    return rows[known]


def _order(keys: list[np.ndarray], ties: list[pd.Series], rows: np.ndarray) -> np.ndarray:
    """Positions 0..n-1 ordered by the integer ``keys`` (first is primary), then by the
    text columns ``ties`` at ``rows`` (missing last), then by position: the order
    ``sort_values(kind="stable")`` gives, with the text compared only where the
    integer keys tie (strings are slow to sort, ties are few)."""
    order = np.lexsort(keys[::-1]) if keys and len(rows) else np.arange(len(rows))
    if len(order) < 2 or not ties:
        return order
    same = np.ones(len(order) - 1, dtype=bool)
    for key in keys:
        k = key[order]
        same &= k[1:] == k[:-1]
    if not same.any():
        return order
    tied = np.zeros(len(order), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    at = np.flatnonzero(tied)
    # Each run of equal keys is reordered within itself.
    run = np.cumsum(np.concatenate([[True], ~same]))[at]
    ranks = []
    for column in ties:
        codes, uniques = pd.factorize(pd.Series(column.array.take(rows[order[at]])), sort=True)
        ranks.append(np.where(codes < 0, len(uniques), codes))
    within = np.lexsort([np.arange(len(at)), *ranks[::-1], run])
    order[at] = order[at][within]
    return order


def _optional_days(frame: pd.DataFrame, column: str, rows=None) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers of an optional date column (NO_DAY where missing) and where it is given."""
    n = len(frame) if rows is None else len(rows)
    if column not in frame:
        return np.full(n, NO_DAY, dtype=np.int64), np.zeros(n, dtype=bool)
    values = frame[column].to_numpy(dtype="datetime64[ns]")
    if rows is not None:
        values = values[rows]
    given = ~np.isnat(values)
    return day_numbers(values), given


def _promised_cents(calls: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """The promised amount of the calls at positions ``rows``, in cents (0: none given)."""
    if "promise_amount" not in calls:
        return np.zeros(len(rows), dtype=np.int64)
    return _cents(calls["promise_amount"].array.take(rows))


def _cents(amounts) -> np.ndarray:
    values = pd.to_numeric(pd.Series(amounts), errors="coerce").astype("float64").to_numpy()
    return np.round(np.nan_to_num(values, nan=0.0) * 100).astype(np.int64)


def _labels(labels, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A string array of ``labels[code]`` for each code."""
    text = np.asarray(labels, dtype=object)[codes] if len(codes) else np.array([], dtype=object)
    return pd.array(text, dtype="string")


def _optional_text(frame: pd.DataFrame, column: str, rows: np.ndarray):
    if column in frame:
        return take_text(frame[column], rows)
    return pd.array([pd.NA] * len(rows), dtype="string")


class _Book(NamedTuple):
    """Invoices and payments as integer arrays: day numbers, cents, codes."""

    inv_cust: np.ndarray  # customer code of each invoice; -1: left out
    issued: np.ndarray
    due: np.ndarray
    written_off: np.ndarray  # NO_DAY: never
    amount: np.ndarray
    pay_inv: np.ndarray  # position of each payment's invoice
    pay_day: np.ndarray  # NO_DAY: no date (never counts)
    pay_cents: np.ndarray
    pay_known: np.ndarray  # known on the as-of date, so it can count as received


class _Promises(NamedTuple):
    """The promises, sorted by group (customer), call time and call id."""

    group: np.ndarray  # customer code; a promise without a customer is its own group
    cust: np.ndarray  # customer code in the book; -1: none
    call_day: np.ndarray
    promise_day: np.ndarray
    given_date: np.ndarray
    given_cents: np.ndarray
    named: np.ndarray  # position of the named invoice; -1: none or unknown


def _judge(
    p: _Promises,
    book: _Book,
    *,
    as_of_day: int,
    grace_days: int,
    default_promise_days: int,
    tolerance_cents: int,
    due_weights: np.ndarray | None = None,
    renegotiated: str = "rescheduled",
) -> dict[str, np.ndarray]:
    """Every promise rule of the module docstring, on integer arrays in ``p``'s order.

    Day numbers may count from any origin, the same in ``p``, ``book`` and
    ``as_of_day``. With ``due_weights`` (a number per invoice), ``overdue_due_sum``
    is the overdue cents times the weight of their invoice, summed.
    """
    n = len(p.group)
    promise_day = np.where(p.given_date, p.promise_day, p.call_day + default_promise_days)
    promise_day = np.maximum(promise_day, p.call_day)
    deadline = promise_day + grace_days

    # Exact duplicates: same customer, call day, promise date, logged amount and named
    # invoice. Only the last of each set is counted.
    position = np.arange(n)
    same_as = np.lexsort([position, p.named, p.given_cents, promise_day, p.call_day, p.group])
    ident = np.zeros(n, dtype=bool)
    if n > 1:
        keys = (p.group, p.call_day, promise_day, p.given_cents, p.named)
        ident[:-1] = np.logical_and.reduce([k[same_as][1:] == k[same_as][:-1] for k in keys])
    counted = np.ones(n, dtype=bool)
    counted[same_as[ident]] = False
    # Each duplicate points at the counted one: the last of its run in ``same_as``.
    run_last = np.flatnonzero(~ident)
    twin = np.empty(n, dtype=np.int64)
    twin[same_as] = same_as[run_last[np.searchsorted(run_last, np.arange(n))]]

    # Replacement: the customer's first promise on a later day, if made by this deadline.
    day_key = p.group.astype(np.int64) * DAY_SPAN + p.call_day
    later = np.searchsorted(day_key, day_key, side="right")
    has_later = later < n
    later_at = np.minimum(later, max(n - 1, 0))
    next_same = has_later & (p.group[later_at] == p.group)
    next_day = p.call_day[later_at] if n else np.zeros(0, dtype=np.int64)
    replaced = next_same & (next_day <= deadline) & counted
    window_end = np.where(replaced, next_day - 1, deadline)
    window_end = np.where(counted, window_end, p.call_day)
    replaced_at = np.where(replaced, later_at, np.where(counted, -1, twin))

    # Balances at the call, from running totals over only the customers (and named
    # invoices) that made promises.
    n_inv = len(book.inv_cust)
    cust_known = p.cust >= 0
    wanted_cust = np.zeros(int(book.inv_cust.max(initial=-1)) + 1, dtype=bool)
    wanted_cust[p.cust[cust_known & (p.cust < len(wanted_cust))]] = True
    has_cust = book.inv_cust >= 0
    of_wanted = np.zeros(n_inv, dtype=bool)
    of_wanted[has_cust] = wanted_cust[book.inv_cust[has_cust]]
    inv, pays = np.flatnonzero(of_wanted), np.flatnonzero(of_wanted[book.pay_inv])
    overdue_start = np.maximum(book.due + 1, book.issued)
    over = _balance_totals(
        book,
        overdue_start,
        book.inv_cust,
        inv,
        pays,
        as_of_day=as_of_day,
        weights=due_weights,
        pay_lag=1,
    )
    overdue_cents, *due_sum = over.totals_upto(p.cust, p.call_day)
    (open_cents,) = _balance_totals(
        book, book.issued, book.inv_cust, inv, pays, as_of_day=as_of_day, pay_lag=1
    ).totals_upto(p.cust, p.call_day)
    named_known = p.named >= 0
    named = np.zeros(n_inv, dtype=bool)
    named[p.named[named_known]] = True
    (named_open,) = _balance_totals(
        book,
        book.issued,
        np.arange(n_inv, dtype=np.int64),
        np.flatnonzero(named),
        np.flatnonzero(named[book.pay_inv]),
        as_of_day=as_of_day,
        pay_lag=1,
    ).totals_upto(p.named, p.call_day)

    has_amount = p.given_cents > 0
    target = np.where(
        has_amount,
        np.minimum(np.where(has_amount, p.given_cents, 0), np.maximum(open_cents, 0)),
        np.where(named_known, np.maximum(named_open, 0), np.maximum(overdue_cents, 0)),
    )
    amount_source = np.where(has_amount, 0, np.where(named_known, 1, 2))
    already_paid = target <= 0

    # Money received: the customer's payments from the call day to the window's end.
    pay_cust = book.inv_cust[book.pay_inv]
    paying = book.pay_known & (pay_cust >= 0)
    paying[paying] = of_wanted[book.pay_inv[paying]]
    paid = Events(pay_cust[paying], book.pay_day[paying], totals=[book.pay_cents[paying]])
    (paid_to_end,) = paid.totals_upto(p.cust, np.minimum(window_end, as_of_day))
    (paid_before,) = paid.totals_upto(p.cust, p.call_day - 1)
    shared = _share_out(p, counted, window_end, target, paid_to_end - paid_before)
    received = np.where(counted, shared, 0)

    kept = ~already_paid & (received >= target - tolerance_cents)
    pending = ~kept & (window_end > as_of_day)
    rescheduled = replaced & ~kept & (renegotiated == "rescheduled")
    status = np.select(
        [already_paid, kept, pending, rescheduled, received > 0],
        [
            _STATUS["nothing_owed"],
            _STATUS["kept"],
            _STATUS["pending"],
            _STATUS["rescheduled"],
            _STATUS["partial"],
        ],
        default=_STATUS["broken"],
    )
    # A duplicate shows what became of the promise it repeats.
    status = np.where(counted, status, status[twin]) if n else status
    judged = {
        "promise_day": promise_day,
        "deadline": deadline,
        "window_end": window_end,
        "replaced": replaced_at >= 0,
        "replaced_at": replaced_at,
        "counted": counted,
        "given_date": p.given_date,
        "amount_source": amount_source,
        "overdue_cents": overdue_cents,
        "open_cents": open_cents,
        "target": target,
        "received": received,
        "already_paid": already_paid,
        "status": status,
    }
    if due_sum:
        judged["overdue_due_sum"] = due_sum[0]
    return judged


def _share_out(
    p: _Promises, counted: np.ndarray, window_end: np.ndarray, target: np.ndarray, window_paid
) -> np.ndarray:
    """Cents received by each promise: what the customer paid in its window, shared out
    between the distinct promises made on one day in order of deadline.

    Within one day's promises, sorted by window end (then call order), promise k may
    take at most its target from what arrived by its own window's end, less what the
    earlier ones took; the last takes the rest. The cumulative allocation obeys
    ``A_k = min(A_{k-1} + T_k, P_k)`` (``P`` non-decreasing), so ``A_k = C_k +
    min(0, min_{j<=k} (P_j - C_j))`` with ``C`` the cumulative targets: one grouped
    cumulative minimum, no loop.
    """
    n = len(window_paid)
    if n == 0:
        return window_paid
    rows = np.flatnonzero(counted)
    order = rows[np.lexsort([rows, window_end[rows], p.call_day[rows], p.group[rows]])]
    day = p.group[order].astype(np.int64) * DAY_SPAN + p.call_day[order]
    first = np.r_[True, day[1:] != day[:-1]]
    run = np.cumsum(first) - 1
    paid = window_paid[order]
    cum_target = np.cumsum(target[order])
    cum_target = cum_target - (cum_target - target[order])[first][run]
    lowest = pd.Series(paid - cum_target).groupby(run).cummin().to_numpy()
    taken = cum_target + np.minimum(lowest, 0)
    before = np.where(first, 0, np.r_[0, taken[:-1]])
    last = np.r_[day[1:] != day[:-1], True]
    out = np.zeros(n, dtype=np.int64)
    out[order] = np.where(last, paid - before, taken - before)
    return out


def _is_sorted(values: np.ndarray) -> bool:
    return bool(np.all(values[1:] >= values[:-1]))


def _balance_totals(
    book: _Book, start, group_of_invoice, inv, pays, *, as_of_day, weights=None, pay_lag=0
) -> Events:
    """Running balances of the invoices ``inv`` (positions), summed per group; ``pays``
    are the positions of those invoices' payments.

    With ``pay_lag=1`` a payment subtracts only from the day after its date: the
    balance on a day is then the balance at the start of that day (before the money
    paid that day), as a promise made that day sees it.

    An invoice adds its amount from ``start`` (issued; for overdue, also past due),
    each payment subtracts from its date (or that first day, if earlier), and a
    write-off cancels what is left from its date: exactly what
    ``ledger.invoice_balances`` would show on each day, but for all days at once.
    """
    pay_inv = book.pay_inv[pays]
    eff = np.maximum(book.pay_day[pays], start[pay_inv])
    pay_cents = book.pay_cents[pays]
    # Write-offs are few: a payment after its invoice's write-off no longer counts, and
    # the write-off cancels what the counted payments left open.
    wo_inv = inv[book.written_off[inv] != NO_DAY]
    wo_day = np.maximum(book.written_off[wo_inv], start[wo_inv])
    if len(wo_inv):
        wo_of_invoice = np.full(len(start), -1, dtype=np.int64)
        wo_of_invoice[wo_inv] = wo_day
        wo_of_pay = wo_of_invoice[pay_inv]
        alive = (wo_of_pay < 0) | (eff <= wo_of_pay)
        pay_inv, eff, pay_cents = pay_inv[alive], eff[alive], pay_cents[alive]
        before_wo = wo_of_pay[alive] >= 0
        paid = np.bincount(pay_inv[before_wo], pay_cents[before_wo], minlength=len(start))
        wo_cents = book.amount[wo_inv] - np.round(paid[wo_inv]).astype(np.int64)
    else:
        wo_cents = np.zeros(0, dtype=np.int64)
    if pay_lag:
        # Alive or not is decided on the payment's own date; only the day it starts to
        # count moves.
        pay_day = book.pay_day[pays][alive] if len(wo_inv) else book.pay_day[pays]
        eff = np.maximum(eff, pay_day + pay_lag)
    parts = [
        (inv, start[inv], book.amount[inv]),
        (pay_inv, eff, -pay_cents),
        (wo_inv, wo_day, -wo_cents),
    ]
    # Only what happened by the as-of date (each part's mask made once).
    parts = [(w[by], d[by], c[by]) for w, d, c in parts for by in [d <= as_of_day]]
    whose, day, cents = (np.concatenate(column) for column in zip(*parts, strict=True))
    values = [cents] if weights is None else [cents, cents * weights[whose]]
    return Events(group_of_invoice[whose], day, totals=values)


def _age_bucket(days: pd.Series) -> pd.Series:
    edges = [-np.inf, *AGE_BUCKET_EDGES, np.inf]
    filled = days.astype("float64").fillna(0.0)
    bucket = pd.cut(filled, bins=edges, labels=list(AGE_BUCKET_LABELS), right=True)
    return bucket.astype("string")


def _size_band(amount: np.ndarray) -> pd.Series:
    edges = [*SIZE_BAND_EDGES, np.inf]
    band = pd.cut(np.asarray(amount), bins=edges, labels=list(SIZE_BAND_LABELS), right=False)
    # An array, not a Series: the caller's frame has its own index.
    return pd.array(np.asarray(band.astype(object)), dtype="string")


def _wilson(successes: np.ndarray, trials: np.ndarray, confidence: float):
    """Rate and Wilson score interval (well-behaved at 0 %, 100 % and small counts), NaN
    where there are no trials; exactly 0 and 1 at the ends, so the interval holds the rate."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    n = trials.astype("float64")
    empty = n == 0
    some = np.where(empty, 1.0, n)
    low, high = _wilson_interval(np.where(empty, 0, successes), some, z)
    return (
        np.where(empty, np.nan, successes / some),
        np.where(empty, np.nan, low),
        np.where(empty, np.nan, high),
    )
