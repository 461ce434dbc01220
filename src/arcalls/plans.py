"""Payment plans: the schedule agreed on a call, how each instalment went, what to offer.

A plan is recorded on a call with outcome ``plan`` (``arcalls.schema.CALLS``), in one of
two forms:

- **Equal instalments**: ``plan_amount``, ``plan_instalments``, ``plan_first_date`` and
  ``plan_frequency`` (``weekly``, ``fortnightly`` or ``monthly``). Each instalment is
  the amount divided by the count, cut to the cent; the **last** instalment absorbs the
  rounding, so the schedule adds up to the amount to the cent. Weekly and fortnightly
  instalments fall every 7 and 14 days from the first date; monthly ones on the first
  date's day of each following month, clamped to the month's end (a plan from Jan 31 is
  due Feb 28, or Feb 29 in a leap year, then Mar 31).
- **Explicit schedule**: ``plan_schedule`` as ``date=amount`` pairs separated by ``;``
  (``"2026-12-05=2000.00; 2027-01-05=2000.00"``), dates increasing, amounts above 0.
  ``plan_amount`` and ``plan_instalments``, when given, must equal the schedule's sum
  and count, ``plan_first_date`` its first date; ``plan_frequency`` is refused with it.

Bad plans are refused by :func:`arcalls.load_calls` and by the filled-in Excel list
naming the row (see :func:`plan_problems`): a sum that does not match, an unknown
frequency, a missing field, an amount or count that is not positive, a first date before
the call, or plan fields on a call whose outcome is not ``plan``.

Judging (:func:`plan_instalments`) uses the payment-matching rules of promises
(:mod:`arcalls.promises`): payments to **any** invoice of the customer count, from the
plan's call day on, known on the as-of date; an instalment's deadline is its due date
plus ``grace_days`` (:data:`DEFAULT_GRACE_DAYS`). Payments apply to the instalments in
due-date order, cumulatively: with ``C_k`` the plan's total due up to instalment ``k``
and ``P_k`` what the customer paid from the call day to instalment ``k``'s deadline,
instalment ``k`` is

- ``kept`` when ``P_k >= C_k`` (less ``tolerance``; paying early keeps it),
- ``pending`` when not kept and its deadline is after the as-of date,
- ``partial`` when some money went towards it (``P_k > C_(k-1)``), ``broken`` when none,
- ``superseded`` when not kept and the plan was replaced before its deadline.

**Replacement.** A later plan or promise of the same customer supersedes the plan: the
plan's window closes the day before the new call, as a replaced promise's does, and the
instalments still open then are ``superseded`` (left out of the rates).

:func:`plan_status` judges each plan as a whole, on the payments to date:

- ``completed``: the whole plan is paid;
- ``defaulted`` (:data:`DEFAULT_MISSED_TO_DEFAULT`, :data:`DEFAULT_DEFAULT_DAYS`): two
  or more instalments missed, or one missed and still unpaid more than 30 days after
  its due date. An instalment is *missed* when its deadline has passed, it was not kept
  and the payments to date still do not cover it (an instalment paid late, once caught
  up, is no longer missed);
- ``missed_instalment``: one instalment missed, for 30 days or fewer;
- ``on_track``: every instalment whose deadline has passed is covered;
- ``superseded``: replaced by a later plan or promise.

:func:`propose_payment_plan` sizes the offer for an account from its own history (rule
in its docstring): at most :data:`DEFAULT_MAX_INSTALMENTS` monthly instalments, none
below :data:`DEFAULT_MIN_INSTALMENT`, the first within :data:`DEFAULT_FIRST_DAYS` days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._calls import month_text
from ._checks import check_columns, check_one_currency
from ._keys import as_text, contains, equals, factorize, invoice_positions, positions
from ._plan_rules import (
    MAX_PLAN_INSTALMENTS,
    PLAN_FREQUENCIES,
    _field_problems,
    _raise_problems,
    _read_plans,
)

# The input rules live below the loaders; ``arcalls.plans.PLAN_FIELDS`` and
# ``arcalls.plans.plan_problems`` still read.
from ._plan_rules import PLAN_FIELDS as PLAN_FIELDS
from ._plan_rules import plan_problems as plan_problems
from .book import NO_DAY, Book, Events, book_for, dates_of, day_numbers
from .errors import ArcallsError, IntegrityError
from .ledger import resolve_payments
from .promises import (
    DEFAULT_CONFIDENCE,
    DEFAULT_GRACE_DAYS,
    _check_non_negative,
    _check_whole_days,
    _status_rates,
)
from .schema import dtype_of, round_money

__all__ = [
    "PLAN_FREQUENCIES",
    "INSTALMENT_STATUSES",
    "PLAN_STATUSES",
    "plan_schedule",
    "plan_instalments",
    "plan_status",
    "instalment_rates",
    "propose_payment_plan",
]

#: The columns of the calls :func:`plan_schedule` reads.
_SCHEDULE_COLUMNS: tuple[str, ...] = (
    "call_id",
    "customer_id",
    "called_at",
    "outcome",
    *PLAN_FIELDS,
)
#: Days between instalments of a weekly and a fortnightly plan.
_STEP_DAYS = {"weekly": 7, "fortnightly": 14}
#: An instalment's statuses; only kept, partial and broken enter the rates.
INSTALMENT_STATUSES: tuple[str, ...] = ("kept", "partial", "broken", "pending", "superseded")
RESOLVED_INSTALMENT_STATUSES: tuple[str, ...] = ("kept", "partial", "broken")
#: A plan's statuses (module docstring).
PLAN_STATUSES: tuple[str, ...] = (
    "on_track",
    "missed_instalment",
    "defaulted",
    "completed",
    "superseded",
)
#: A plan with this many instalments missed at once is defaulted.
DEFAULT_MISSED_TO_DEFAULT = 2
#: A plan with one instalment still unpaid more than this many days after its due date
#: is defaulted.
DEFAULT_DEFAULT_DAYS = 30
#: Offer: at most this many instalments (six months, monthly).
DEFAULT_MAX_INSTALMENTS = 6
#: Offer: no instalment below this (dollars), unless the balance itself is smaller.
DEFAULT_MIN_INSTALMENT = 50.0
#: Offer: the first instalment falls this many days after the as-of date.
DEFAULT_FIRST_DAYS = 7
#: Offer: the account's payments of the last this many days show what it can pay.
DEFAULT_HISTORY_DAYS = 365


# --- reading the plan fields -----------------------------------------------------------


def _equal_instalments(
    pos: np.ndarray, first: np.ndarray, count: np.ndarray, cents: np.ndarray, frequency
) -> pd.DataFrame:
    """Equal instalments (last absorbs the rounding) of the plans at ``pos``."""
    count = count.astype(np.int64)
    total = int(count.sum())
    start = np.cumsum(count) - count
    which = np.repeat(np.arange(len(pos)), count)
    k = np.arange(total, dtype=np.int64) - start[which]
    base = cents // np.maximum(count, 1)
    last = k == count[which] - 1
    amount = np.where(last, cents[which] - base[which] * (count[which] - 1), base[which])
    first_day = first.astype("datetime64[D]")[which]
    freq = np.asarray(frequency, dtype=object)[which]
    step = np.select(
        [freq == "weekly", freq == "fortnightly"],
        [_STEP_DAYS["weekly"], _STEP_DAYS["fortnightly"]],
        0,
    )
    day = first_day + (step * k).astype("timedelta64[D]")
    monthly = freq == "monthly"
    if monthly.any():
        month = first_day[monthly].astype("datetime64[M]")
        day_of_month = (first_day[monthly] - month.astype("datetime64[D]")).astype(np.int64)
        target = month + k[monthly].astype("timedelta64[M]")
        length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
            np.int64
        )
        day[monthly] = target.astype("datetime64[D]") + np.minimum(day_of_month, length - 1).astype(
            "timedelta64[D]"
        )
    return pd.DataFrame({"pos": pos[which], "k": k, "day": day, "cents": amount.astype(np.int64)})


def plan_schedule(calls: pd.DataFrame) -> pd.DataFrame:
    """One row per instalment of every call with outcome ``plan``.

    Rules (equal instalments, explicit schedule, monthly clamping) are in the module
    docstring.

    Parameters
    ----------
    calls : DataFrame
        Canonical calls; the rows with outcome ``plan`` are the plans.

    Returns
    -------
    DataFrame
        ``call_id``, ``customer_id``, ``plan_id`` (the call id), ``instalment``
        (1-based), ``due_date``, ``amount``; in the calls' order, then by instalment.

    Raises
    ------
    InputError
        A plan is bad (see :func:`plan_problems`); every bad field is named.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"call_id": ["k1"], "customer_id": ["c1"],
    ...     "called_at": pd.to_datetime(["2026-01-20 10:00"]), "outcome": ["plan"],
    ...     "plan_amount": [100.0], "plan_instalments": [3],
    ...     "plan_first_date": pd.to_datetime(["2026-01-31"]), "plan_frequency": ["monthly"]})
    >>> plan_schedule(calls)[["instalment", "due_date", "amount"]]
       instalment   due_date  amount
    0           1 2026-01-31   33.33
    1           2 2026-02-28   33.33
    2           3 2026-03-31   33.34
    """
    check_columns(calls, ["call_id", "customer_id", "called_at", "outcome"], what="calls table")
    # The schedules are parsed once, for the rules and for the instalments.
    f, parsed, bad = _read_plans(calls)
    _raise_problems(calls, _field_problems(f, parsed, bad))
    is_plan = (f["outcome"] == "plan").fillna(False).to_numpy(dtype=bool)
    has_schedule = (f["plan_schedule"].fillna("") != "").to_numpy(dtype=bool)
    # Schedules on calls of no outcome pass the rules but are no plan.
    parsed = parsed[is_plan[parsed["pos"].to_numpy()]]
    parsed = parsed.assign(
        k=parsed.groupby("pos").cumcount().to_numpy(dtype=np.int64) if len(parsed) else 0
    )
    equal = np.flatnonzero(is_plan & ~has_schedule)
    expanded = _equal_instalments(
        equal,
        f["plan_first_date"].to_numpy(dtype="datetime64[D]")[equal],
        f["plan_instalments"].to_numpy(dtype="float64")[equal],
        np.round(f["plan_amount"].to_numpy(dtype="float64")[equal] * 100).astype(np.int64),
        f["plan_frequency"].to_numpy(dtype=object, na_value="")[equal],
    )

    def both(column: str, dtype) -> np.ndarray:
        """A column of the explicit, then the equal instalments."""
        return np.concatenate(
            [parsed[column].to_numpy(dtype=dtype), expanded[column].to_numpy(dtype=dtype)]
        )

    # In the calls' order, then by instalment (each plan and instalment once).
    k, pos = both("k", np.int64), both("pos", np.int64)
    order = np.lexsort([k, pos])
    k, pos = k[order], pos[order]
    call_id = calls["call_id"].array.take(pos)
    return pd.DataFrame(
        {
            "call_id": pd.array(call_id, dtype=dtype_of("id")),
            "customer_id": pd.array(calls["customer_id"].array.take(pos), dtype=dtype_of("id")),
            "plan_id": pd.array(call_id, dtype=dtype_of("id")),
            "instalment": k + 1,
            "due_date": both("day", "datetime64[D]")[order].astype("datetime64[ns]"),
            "amount": both("cents", np.int64)[order] / 100.0,
        }
    )


# --- judging ---------------------------------------------------------------------------


def plan_instalments(
    calls: pd.DataFrame,
    payments: pd.DataFrame | None,
    invoices: pd.DataFrame,
    *,
    as_of,
    grace_days: int = DEFAULT_GRACE_DAYS,
    tolerance: float = 0.0,
    book: Book | None = None,
) -> pd.DataFrame:
    """Each instalment of each plan made by ``as_of``, judged on the payments known then.

    Payments apply to a plan's instalments in due-date order, cumulatively (rules in the
    module docstring: ``kept`` / ``partial`` / ``broken`` / ``pending`` /
    ``superseded``).

    Parameters
    ----------
    calls : DataFrame
        Canonical calls; rows with outcome ``plan`` made on or before ``as_of`` are the
        plans; rows with outcome ``plan`` or ``promise`` supersede earlier plans.
    payments : DataFrame or None
        Canonical payments; None to use the invoices' own settlement columns.
    invoices : DataFrame
        Canonical invoices (they tie payments to customers).
    as_of : date-like
        Nothing dated after this day is used.
    grace_days : int, default :data:`DEFAULT_GRACE_DAYS`
        An instalment's deadline = its due date + ``grace_days``.
    tolerance : float, default 0.0
        Dollars the payments may fall short and still keep an instalment.
    book : Book, optional
        The run's coded book of these same tables (``arcalls.book.book_of``): the
        instalments are then judged once per book and options (each caller gets its own
        copy), so the call list and the features share one judgement.

    Returns
    -------
    DataFrame
        ``plan_id``, ``call_id``, ``customer_id``, ``collector``, ``called_at``,
        ``month`` (of the call), ``instalment``, ``instalments`` (in the plan),
        ``due_date``, ``deadline``, ``amount``, ``cumulative_due``, ``paid_by_deadline``
        (paid since the plan's call day up to the deadline, or to the as-of date or the
        end of the plan's window when earlier), ``received`` (what of that went to
        this instalment), ``shortfall``, ``status``, ``covered`` (the payments to date
        cover it), ``superseded_by`` (call id or NA); sorted by call time, call id,
        instalment.

    Raises
    ------
    InputError
        A plan is bad (see :func:`plan_problems`).
    IntegrityError
        A payment names an invoice that is not in ``invoices``.

    Examples
    --------
    >>> import pandas as pd
    >>> inv = pd.DataFrame({"invoice_id": ["i1"], "customer_id": ["c1"],
    ...     "invoice_date": pd.to_datetime(["2026-01-01"]),
    ...     "due_date": pd.to_datetime(["2026-01-31"]), "amount": [300.0]})
    >>> pay = pd.DataFrame({"payment_id": ["p1", "p2"], "invoice_id": ["i1", "i1"],
    ...     "payment_date": pd.to_datetime(["2026-03-01", "2026-04-02"]),
    ...     "amount": [100.0, 50.0]})
    >>> calls = pd.DataFrame({"call_id": ["k1"], "customer_id": ["c1"],
    ...     "called_at": pd.to_datetime(["2026-02-20 10:00"]), "outcome": ["plan"],
    ...     "plan_amount": [300.0], "plan_instalments": [3],
    ...     "plan_first_date": pd.to_datetime(["2026-03-01"]), "plan_frequency": ["monthly"]})
    >>> out = plan_instalments(calls, pay, inv, as_of="2026-04-20")
    >>> out[["instalment", "due_date", "received", "status"]]
       instalment   due_date  received   status
    0           1 2026-03-01     100.0     kept
    1           2 2026-04-01      50.0  partial
    2           3 2026-05-01       0.0  pending
    """
    judged = _judged_instalments(
        calls,
        payments,
        invoices,
        as_of=as_of,
        grace_days=grace_days,
        tolerance=tolerance,
        book=book,
    )
    # A book's judgement is shared: each caller gets its own copy.
    return judged.copy() if book is not None else judged


def _judged_instalments(
    calls, payments, invoices, *, as_of, grace_days, tolerance, book
) -> pd.DataFrame:
    """:func:`plan_instalments`; given a book, the book's own table.

    The book's own table serves the readers inside arcalls without a copy (at 1M
    invoices a copy is 126 MB, made while the training holds its snapshot): they read
    it and never change it.
    """
    as_of = pd.Timestamp(as_of).normalize()
    _check_whole_days(grace_days=grace_days)
    _check_non_negative(tolerance=tolerance)
    if book is None:
        return _instalments(
            calls, payments, invoices, as_of=as_of, grace_days=grace_days, tolerance=tolerance
        )
    book = book_for(book, invoices, payments, calls)

    def judge() -> pd.DataFrame:
        # The book has matched the payments to their invoices for the whole run.
        return _instalments(
            calls,
            book.payments,
            invoices,
            as_of=as_of,
            grace_days=grace_days,
            tolerance=tolerance,
            pay_inv=book.pay_positions,
        )

    return book.memo(("plan_instalments", as_of, grace_days, tolerance), judge)


def _instalments(
    calls, payments, invoices, *, as_of, grace_days, tolerance, pay_inv=None
) -> pd.DataFrame:
    """:func:`plan_instalments` of checked options; ``pay_inv``: each payment's invoice
    position when already known (the book's), else matched here."""
    check_columns(calls, ["call_id", "customer_id", "called_at", "outcome"], what="calls table")
    check_columns(
        invoices,
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
        what="invoices table",
    )
    check_one_currency(invoices)
    payments = resolve_payments(invoices, payments)
    check_columns(payments, ["invoice_id", "payment_date", "amount"], what="payments table")
    as_of_day = int(day_numbers(np.array([as_of.to_datetime64()]))[0])

    stamp = pd.to_datetime(calls["called_at"]).to_numpy(dtype="datetime64[ns]")
    known = ~np.isnat(stamp) & (stamp.astype("datetime64[D]") <= as_of.to_datetime64())
    outcome = pd.Series(as_text(calls["outcome"]))
    plan_rows = np.flatnonzero(known & equals(outcome, "plan"))
    # Only the columns a schedule reads: the plans are a copy.
    plans = calls[[c for c in calls.columns if c in _SCHEDULE_COLUMNS]].iloc[plan_rows]
    schedule = plan_schedule(plans)
    pos_in_plans = positions(schedule["plan_id"], plans["call_id"])
    rows = plan_rows[pos_in_plans]

    # Replacement: the customer's next plan or promise after the plan (by time, call id).
    agreement = np.flatnonzero(
        known & outcome.isin(["plan", "promise"]).to_numpy(dtype=bool, na_value=False)
    )
    # Ordered by customer, time, then the log's order; integer keys only.
    who, _ = factorize(calls["customer_id"].array.take(agreement))
    by = np.lexsort([agreement, stamp[agreement].view(np.int64), who])
    ordered, ordered_who = agreement[by], who[by]
    has_next = np.r_[ordered_who[1:] == ordered_who[:-1], False] & (ordered_who >= 0)
    next_of = np.full(len(calls), -1, dtype=np.int64)
    next_of[ordered] = np.where(has_next, np.r_[ordered[1:], -1], -1)
    after_row = next_of[rows]
    superseded = after_row >= 0
    after_row = np.where(superseded, after_row, 0)
    call_day = day_numbers(stamp[rows])
    window_end = np.where(superseded, day_numbers(stamp[after_row]) - 1, NO_DAY)

    # Payments of the plans' customers (any invoice), known on the as-of date.
    cust, customers = factorize(schedule["customer_id"])
    inv_cust = positions(invoices["customer_id"], customers)
    if pay_inv is None:
        (pay_inv,) = invoice_positions(invoices["invoice_id"], payments["invoice_id"])
    if (pay_inv < 0).any():
        unknown = payments.loc[pay_inv < 0, "invoice_id"].unique()[:5].tolist()
        raise IntegrityError(
            f"{int((pay_inv < 0).sum())} payment(s) name invoices that are not in the "
            f"invoices table, e.g. {unknown}: payments are tied to customers through their "
            "invoice. Load the full invoice file or drop those payments."
        )
    pay_cust = inv_cust[pay_inv]
    pay_day = day_numbers(payments["payment_date"].to_numpy(dtype="datetime64[ns]"))
    pay_ok = (
        (pay_cust >= 0)
        & (pay_day <= as_of_day)
        & ~np.isnat(payments["payment_date"].to_numpy(dtype="datetime64[ns]"))
    )
    pay_cents = np.round(
        pd.to_numeric(payments["amount"]).to_numpy(dtype="float64", na_value=0.0) * 100
    ).astype(np.int64)
    paid = Events(pay_cust[pay_ok], pay_day[pay_ok], totals=[pay_cents[pay_ok]])

    due_day = day_numbers(schedule["due_date"].to_numpy(dtype="datetime64[ns]"))
    deadline = due_day + grace_days
    cents = np.round(schedule["amount"].to_numpy() * 100).astype(np.int64)
    plan_code = pd.factorize(schedule["plan_id"])[0]
    cum_due = pd.Series(cents).groupby(plan_code).cumsum().to_numpy(dtype=np.int64)
    cum_before = cum_due - cents
    (before,) = paid.totals_upto(cust, call_day - 1)
    (to_deadline,) = paid.totals_upto(cust, np.minimum(np.minimum(deadline, window_end), as_of_day))
    (to_date,) = paid.totals_upto(cust, np.minimum(window_end, as_of_day))
    by_deadline = to_deadline - before
    so_far = to_date - before
    tol = int(round(tolerance * 100))
    received = np.clip(by_deadline - cum_before, 0, cents)
    kept = by_deadline >= cum_due - tol
    replaced = ~kept & (deadline > window_end)
    pending = ~kept & ~replaced & (deadline > as_of_day)
    # Positions in INSTALMENT_STATUSES: its texts are then taken, not made per row.
    code = {name: k for k, name in enumerate(INSTALMENT_STATUSES)}
    status = np.select(
        [kept, replaced, pending, received > 0],
        [code["kept"], code["superseded"], code["pending"], code["partial"]],
        default=code["broken"],
    )
    superseded_by = np.full(len(rows), None, dtype=object)
    superseded_by[superseded] = pd.array(
        calls["call_id"].array.take(after_row[superseded]), dtype="string"
    ).to_numpy(dtype=object, na_value=None)
    count = pd.Series(plan_code).map(pd.Series(plan_code).value_counts()).to_numpy(np.int64)
    if "collector" in calls:
        # A handful of collectors: each name made a Python string once, then taken.
        who_called, names = factorize(calls["collector"].array.take(rows))
        collector = pd.array(names, dtype="string").take(who_called, allow_fill=True)
    else:
        collector = pd.array([pd.NA] * len(rows), dtype="string")
    called_at = pd.Series(stamp[rows])
    columns = {
        "plan_id": schedule["plan_id"].array,
        "call_id": schedule["call_id"].array,
        "customer_id": schedule["customer_id"].array,
        "collector": collector,
        "called_at": called_at.to_numpy(),
        "month": month_text(called_at).array,
        "instalment": schedule["instalment"].to_numpy(),
        "instalments": count,
        "due_date": schedule["due_date"].to_numpy(),
        "deadline": dates_of(deadline),
        "amount": cents / 100.0,
        "cumulative_due": cum_due / 100.0,
        "paid_by_deadline": by_deadline / 100.0,
        "received": received / 100.0,
        "shortfall": (cents - received) / 100.0,
        "status": pd.array(INSTALMENT_STATUSES, dtype="string").take(status),
        "covered": so_far >= cum_due - tol,
        "superseded_by": pd.array(superseded_by, dtype="string"),
        "_paid_to_date": so_far / 100.0,
    }
    # By call time, then the log's order, then instalment: each column put in that order
    # as it goes into the table (copy=False: as it is, not consolidated into a copy), so
    # that no second copy of the whole table is made beside it.
    order = np.lexsort([columns["instalment"], rows, stamp[rows].view(np.int64)])
    ordered = {name: _taken(columns.pop(name), order) for name in list(columns)}
    return pd.DataFrame(ordered, copy=False)


def _taken(values, order: np.ndarray):
    """``values`` (a numpy or pandas array) at the positions ``order``."""
    return values[order] if isinstance(values, np.ndarray) else values.take(order)


def latest_plans(status: pd.DataFrame) -> pd.DataFrame:
    """Each customer's latest plan of :func:`plan_status`: its whole row, the last by call
    time, then plan id (what the call list and the call sheets act on)."""
    ordered = status.sort_values(["customer_id", "called_at", "plan_id"], kind="mergesort")
    return ordered.groupby("customer_id", observed=True, sort=False).tail(1)


def plan_status(
    calls: pd.DataFrame,
    payments: pd.DataFrame | None,
    invoices: pd.DataFrame,
    *,
    as_of,
    grace_days: int = DEFAULT_GRACE_DAYS,
    tolerance: float = 0.0,
    missed_to_default: int = DEFAULT_MISSED_TO_DEFAULT,
    default_days: int = DEFAULT_DEFAULT_DAYS,
    instalments: pd.DataFrame | None = None,
    book: Book | None = None,
) -> pd.DataFrame:
    """Each plan made by ``as_of`` as a whole: on track, missed, defaulted, completed.

    The rules (missed instalment, default rule, replacement) are in the module
    docstring.

    Parameters
    ----------
    calls, payments, invoices, as_of, grace_days, tolerance
        As for :func:`plan_instalments`.
    missed_to_default : int, default :data:`DEFAULT_MISSED_TO_DEFAULT`
        A plan with this many instalments missed at once is defaulted.
    default_days : int, default :data:`DEFAULT_DEFAULT_DAYS`
        A plan with an instalment missed more than this many days after its due date is
        defaulted.
    instalments : DataFrame, optional
        :func:`plan_instalments` of the same inputs, when already computed.
    book : Book, optional
        The run's coded book of these same tables, passed to :func:`plan_instalments`.

    Returns
    -------
    DataFrame
        One row per plan, sorted by call time and call id: ``plan_id``, ``customer_id``,
        ``collector``, ``called_at``, ``plan_amount``, ``instalments``,
        ``first_due_date``, ``last_due_date``, one count per instalment status
        (``kept``, ``partial``, ``broken``, ``pending``, ``superseded``), ``missed``,
        ``paid_to_date`` (paid since the plan's call day, at most the plan amount),
        ``remaining``, ``next_due_date`` and ``next_due_amount`` (the first instalment
        not yet covered, and what of it is still to pay; NaT/NaN when completed),
        ``next_deadline``, ``status`` (:data:`PLAN_STATUSES`), ``superseded_by``.

    Raises
    ------
    ArcallsError
        ``missed_to_default`` is below 1 or ``default_days`` negative.

    Examples
    --------
    >>> import pandas as pd
    >>> inv = pd.DataFrame({"invoice_id": ["i1"], "customer_id": ["c1"],
    ...     "invoice_date": pd.to_datetime(["2026-01-01"]),
    ...     "due_date": pd.to_datetime(["2026-01-31"]), "amount": [300.0]})
    >>> pay = pd.DataFrame({"payment_id": ["p1"], "invoice_id": ["i1"],
    ...     "payment_date": pd.to_datetime(["2026-03-01"]), "amount": [100.0]})
    >>> calls = pd.DataFrame({"call_id": ["k1"], "customer_id": ["c1"],
    ...     "called_at": pd.to_datetime(["2026-02-20 10:00"]), "outcome": ["plan"],
    ...     "plan_amount": [300.0], "plan_instalments": [3],
    ...     "plan_first_date": pd.to_datetime(["2026-03-01"]), "plan_frequency": ["monthly"]})
    >>> plan_status(calls, pay, inv, as_of="2026-03-20")[
    ...     ["status", "paid_to_date", "next_due_date", "next_due_amount"]]
         status  paid_to_date next_due_date  next_due_amount
    0  on_track         100.0    2026-04-01            100.0
    """
    if not isinstance(missed_to_default, int | np.integer) or missed_to_default < 1:
        raise ArcallsError(
            f"missed_to_default must be a whole number >= 1, got {missed_to_default!r}."
        )
    _check_whole_days(default_days=default_days)
    as_of = pd.Timestamp(as_of).normalize()
    if instalments is None:
        # Read here, never changed: the book's own table needs no copy.
        instalments = _judged_instalments(
            calls,
            payments,
            invoices,
            as_of=as_of,
            grace_days=grace_days,
            tolerance=tolerance,
            book=book,
        )
    inst = instalments
    tol = round(tolerance * 100)
    cents = np.round(inst["amount"].to_numpy() * 100).astype(np.int64)
    cum_due = np.round(inst["cumulative_due"].to_numpy() * 100).astype(np.int64)
    if "_paid_to_date" in inst:
        so_far = np.round(inst["_paid_to_date"].to_numpy() * 100).astype(np.int64)
    else:
        so_far = np.where(inst["covered"].to_numpy(bool), cum_due, cum_due - cents)
    status = inst["status"].astype("string")
    missed = status.isin(["partial", "broken"]).to_numpy(bool) & ~inst["covered"].to_numpy(bool)
    overdue_days = (as_of - pd.to_datetime(inst["due_date"])).dt.days.to_numpy()
    long_missed = missed & (overdue_days > default_days)
    open_inst = cum_due - tol > so_far
    # Per plan, on integer codes: rows of a plan in their given order (instalment order).
    code, _ = factorize(inst["plan_id"])
    n_plans = int(code.max(initial=-1)) + 1
    order = np.argsort(code, kind="stable")
    sorted_code = code[order]
    run_start = np.r_[True, sorted_code[1:] != sorted_code[:-1]] if len(code) else np.zeros(0, bool)
    run_end = np.r_[run_start[1:], True] if len(code) else run_start
    first_at, last_at = order[run_start], order[run_end]

    def total(values) -> np.ndarray:
        return np.bincount(code, weights=values, minlength=n_plans).round().astype(np.int64)

    plan_cents = total(cents)
    n_missed = total(missed)
    long = total(long_missed) > 0
    counts = {s: total((status == s).to_numpy(bool)) for s in INSTALMENT_STATUSES}
    so_far_plan = so_far[first_at]
    # The first instalment not yet covered, per plan.
    open_rows = order[open_inst[order]]
    open_codes, at = np.unique(code[open_rows], return_index=True)
    next_at = np.full(n_plans, -1, dtype=np.int64)
    next_at[open_codes] = open_rows[at]
    has_next = next_at >= 0
    take = np.where(has_next, next_at, 0)

    paid = np.minimum(so_far_plan, plan_cents)
    remaining = plan_cents - paid
    superseded_by = inst["superseded_by"].array.take(first_at)
    completed = remaining <= tol
    defaulted = (n_missed >= missed_to_default) | long
    state = np.select(
        [
            pd.notna(np.asarray(superseded_by, dtype=object)) & ~completed,
            completed,
            defaulted,
            n_missed > 0,
        ],
        ["superseded", "completed", "defaulted", "missed_instalment"],
        default="on_track",
    )
    show_next = has_next & ~completed
    due = inst["due_date"].to_numpy(dtype="datetime64[ns]")
    deadline = inst["deadline"].to_numpy(dtype="datetime64[ns]")
    nat = np.datetime64("NaT", "ns")
    out = pd.DataFrame(
        {
            "plan_id": pd.array(inst["plan_id"].array.take(first_at), dtype=dtype_of("id")),
            "customer_id": pd.array(inst["customer_id"].array.take(first_at), dtype=dtype_of("id")),
            "collector": pd.array(inst["collector"].array.take(first_at), dtype="string"),
            "called_at": inst["called_at"].to_numpy(dtype="datetime64[ns]")[first_at],
            "plan_amount": plan_cents / 100.0,
            "instalments": inst["instalments"].to_numpy(dtype=np.int64)[first_at],
            "first_due_date": due[first_at],
            "last_due_date": due[last_at],
            **{s: counts[s] for s in INSTALMENT_STATUSES},
            "missed": n_missed,
            "paid_to_date": paid / 100.0,
            "remaining": remaining / 100.0,
            "next_due_date": np.where(show_next, due[take] if len(due) else nat, nat),
            "next_due_amount": np.where(
                show_next, (cum_due[take] - so_far_plan) / 100.0 if len(due) else 0.0, np.nan
            ),
            "next_deadline": np.where(show_next, deadline[take] if len(due) else nat, nat),
            "status": pd.array(state, dtype="string"),
            "superseded_by": pd.array(superseded_by, dtype="string"),
        }
    )
    # By call time, then the order the plans came in.
    by = np.lexsort([np.arange(n_plans), out["called_at"].to_numpy().view(np.int64)])
    return out.take(by).reset_index(drop=True)


def instalment_rates(
    instalments: pd.DataFrame,
    *,
    by: str | list[str] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Counts per instalment status and the broken-instalment rate with a Wilson interval.

    The plan counterpart of :func:`arcalls.broken_promise_rate`: broken-instalment rate
    = (broken + partial) / (kept + partial + broken); pending and superseded instalments
    are counted but not in the rate; ``kept_rate`` = 1 - that rate.

    Parameters
    ----------
    instalments : DataFrame
        :func:`plan_instalments`.
    by : str or list of str, optional
        ``customer_id``, ``collector``, ``month`` (of the plan's call) or any column.
    confidence : float, default 0.95
        Level of the Wilson score interval.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``instalments``, one count per status, ``resolved``,
        ``broken_rate``, ``kept_rate``, ``ci_low``, ``ci_high`` (of the broken rate),
        ``due`` and ``received`` (dollars over resolved instalments).

    Examples
    --------
    >>> import pandas as pd
    >>> inst = pd.DataFrame({"collector": ["ann", "ann", "bob"],
    ...     "status": ["kept", "partial", "pending"], "amount": [100.0, 100.0, 50.0],
    ...     "received": [100.0, 40.0, 0.0]})
    >>> instalment_rates(inst, by="collector")[["collector", "resolved", "kept_rate", "received"]]
      collector  resolved  kept_rate  received
    0       ann         2        0.5     140.0
    1       bob         0        NaN       0.0
    """
    if not 0 < confidence < 1:
        raise ArcallsError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}.")
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    check_columns(instalments, ["status", "amount", "received", *keys], what="instalments")
    status = instalments["status"].astype("string")
    resolved = status.isin(list(RESOLVED_INSTALMENT_STATUSES)).to_numpy(bool)
    table = _status_rates(
        instalments,
        keys,
        INSTALMENT_STATUSES,
        total="instalments",
        sums={
            "due": np.where(resolved, instalments["amount"], 0.0),
            "received": np.where(resolved, instalments["received"], 0.0),
        },
        confidence=confidence,
    )
    counts = list(INSTALMENT_STATUSES)
    table = table.assign(kept_rate=1.0 - table["broken_rate"])
    for col in ("due", "received"):
        table[col] = round_money(table[col].astype("float64"))
    return table[
        [
            *keys,
            "instalments",
            *counts,
            "resolved",
            "broken_rate",
            "kept_rate",
            "ci_low",
            "ci_high",
            "due",
            "received",
        ]
    ]


# --- the offer -------------------------------------------------------------------------


def propose_payment_plan(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None,
    *,
    as_of,
    customers: pd.DataFrame | None = None,
    max_instalments: int = DEFAULT_MAX_INSTALMENTS,
    min_instalment: float = DEFAULT_MIN_INSTALMENT,
    first_days: int = DEFAULT_FIRST_DAYS,
    frequency: str = "monthly",
    history_days: int = DEFAULT_HISTORY_DAYS,
) -> pd.DataFrame:
    """The payment plan to offer each account with an overdue balance on ``as_of``.

    Sizing, from the account's own history (payments dated on or before ``as_of``):

    - the **typical payment** is the median of the account's payments in the
      ``history_days`` days up to ``as_of`` (what it has shown it can pay); without
      any, :data:`DEFAULT_MIN_INSTALMENT` stands in;
    - the **count** is the fewest instalments no larger than the typical payment (and
      not below ``min_instalment``): ``ceil(balance / max(typical, min_instalment))``,
      capped at ``max_instalments`` (the duration cap) and at least 1;
    - the instalments are **equal**, the balance divided by the count cut to the cent,
      the last absorbing the rounding (as a recorded plan, module docstring);
    - the first instalment is due ``first_days`` days after ``as_of``.

    The overdue balance is the call list's (undisputed open amounts past due, less open
    credit notes, floored at zero). The offer text reads ``"3 x USD 2,000.00 monthly
    from 2026-12-07"`` (``"... , last USD 1,999.99"`` when the last differs).

    Parameters
    ----------
    invoices, payments
        Canonical tables (payments None: the invoices' own settlements).
    as_of : date-like
        Balances and history as known on this day.
    customers : DataFrame, optional
        Canonical customers: accounts marked ``do_not_call`` get no offer.
    max_instalments : int, default :data:`DEFAULT_MAX_INSTALMENTS`
        The most instalments offered.
    min_instalment : float, default :data:`DEFAULT_MIN_INSTALMENT`
        The smallest instalment offered (a smaller balance is one instalment).
    first_days : int, default :data:`DEFAULT_FIRST_DAYS`
        Days from ``as_of`` to the first instalment.
    frequency : {"weekly", "fortnightly", "monthly"}, default "monthly"
        How often instalments fall.
    history_days : int, default :data:`DEFAULT_HISTORY_DAYS`
        Days of payments the typical payment is taken from.

    Returns
    -------
    DataFrame
        One row per account with an overdue balance, by customer id: ``customer_id``,
        ``overdue_balance``, ``typical_payment`` (NaN without history),
        ``payments_seen``, ``instalments``, ``instalment_amount``,
        ``last_instalment_amount``, ``frequency``, ``first_date``, ``last_date``,
        ``schedule`` (``date=amount; ...``, as ``plan_schedule`` takes it) and
        ``offer`` (text).

    Raises
    ------
    ArcallsError
        An option is out of range or ``frequency`` unknown.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> offers = propose_payment_plan(s.invoices, s.payments, as_of="2026-10-31")
    >>> bool((offers["instalments"] <= DEFAULT_MAX_INSTALMENTS).all())
    True
    >>> row = offers.iloc[0]
    >>> bool(abs(row["instalment_amount"] * (row["instalments"] - 1)
    ...          + row["last_instalment_amount"] - row["overdue_balance"]) < 0.005)
    True
    """
    from ._accounts import _account_balances, _check_as_of

    as_of = _check_as_of(as_of)
    if frequency not in PLAN_FREQUENCIES:
        raise ArcallsError(
            f"frequency must be one of {', '.join(PLAN_FREQUENCIES)}, got {frequency!r}."
        )
    if (
        not isinstance(max_instalments, int | np.integer)
        or not 1 <= max_instalments <= MAX_PLAN_INSTALMENTS
    ):
        raise ArcallsError(
            f"max_instalments must be a whole number from 1 to {MAX_PLAN_INSTALMENTS}, "
            f"got {max_instalments!r}."
        )
    _check_non_negative(min_instalment=min_instalment)
    _check_whole_days(first_days=first_days, history_days=history_days)
    check_columns(
        invoices,
        ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
        what="invoices table",
    )
    currency = check_one_currency(invoices)
    payments = resolve_payments(invoices, payments)
    accounts = _account_balances(invoices, payments, as_of=as_of)
    accounts = accounts[accounts["overdue_balance"] > 0]
    if customers is not None and "do_not_call" in customers:
        blocked = customers.loc[customers["do_not_call"].astype(bool), "customer_id"]
        accounts = accounts[~contains(accounts["customer_id"], blocked)]
    accounts = accounts.sort_values("customer_id", kind="mergesort").reset_index(drop=True)

    # The account's own payments of the last history_days days.
    (pay_inv,) = invoice_positions(invoices["invoice_id"], payments["invoice_id"])
    day = pd.to_datetime(payments["payment_date"])
    recent = (
        (pay_inv >= 0)
        & (day <= as_of).to_numpy(bool)
        & (day > as_of - pd.Timedelta(days=history_days)).to_numpy(bool)
        & (pd.to_numeric(payments["amount"]) > 0).to_numpy(bool)
    )
    payer = invoices["customer_id"].astype("string").to_numpy(dtype=object)[pay_inv[recent]]
    amounts = pd.to_numeric(payments["amount"]).to_numpy(dtype="float64")[recent]
    history = pd.Series(amounts).groupby(payer).agg(["median", "size"])
    typical = history["median"].reindex(accounts["customer_id"].to_numpy(dtype=object))
    seen = history["size"].reindex(accounts["customer_id"].to_numpy(dtype=object)).fillna(0)

    balance_cents = np.round(accounts["overdue_balance"].to_numpy() * 100).astype(np.int64)
    step_cents = np.round(
        np.maximum(typical.fillna(min_instalment).to_numpy(), min_instalment) * 100
    )
    count = np.ceil(balance_cents / np.maximum(step_cents, 1)).astype(np.int64)
    count = np.clip(count, 1, max_instalments)
    # Not below a cent each.
    count = np.minimum(count, np.maximum(balance_cents, 1))
    first = np.full(len(accounts), (as_of + pd.Timedelta(days=first_days)).to_datetime64())
    expanded = _equal_instalments(
        np.arange(len(accounts)), first, count, balance_cents, np.full(len(accounts), frequency)
    )
    schedule = _schedule_text(expanded, len(accounts))
    per = balance_cents // count
    last = balance_cents - per * (count - 1)
    last_date = expanded.groupby("pos")["day"].last()
    prefix = "$" if currency is None else f"{currency} "
    offer = (
        pd.Series(count).astype(str)
        + " x "
        + prefix
        + _amount_text(per / 100.0)
        + " "
        + frequency
        + " from "
        + pd.Series(first.astype("datetime64[D]")).dt.strftime("%Y-%m-%d")
        + pd.Series(np.where(last != per, ", last " + prefix + _amount_text(last / 100.0), ""))
    )
    return pd.DataFrame(
        {
            "customer_id": accounts["customer_id"].astype(dtype_of("id")).array,
            "overdue_balance": balance_cents / 100.0,
            "typical_payment": round_money(typical.to_numpy(dtype="float64")),
            "payments_seen": seen.to_numpy(dtype=np.int64),
            "instalments": count,
            "instalment_amount": per / 100.0,
            "last_instalment_amount": last / 100.0,
            "frequency": pd.array([frequency] * len(accounts), dtype="string"),
            "first_date": first.astype("datetime64[D]").astype("datetime64[ns]"),
            "last_date": last_date.reindex(np.arange(len(accounts)))
            .to_numpy()
            .astype("datetime64[ns]"),
            "schedule": schedule,
            "offer": pd.array(offer.to_numpy(dtype=object), dtype="string"),
        }
    )


def _digits(values: np.ndarray, width: int = 0):
    """Whole numbers as Arrow text, zero-padded to ``width``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(text, width=width, padding="0") if width else text


def _join(*parts):
    """Arrow text arrays (or scalars) concatenated element-wise."""
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*parts, "")


def _schedule_text(rows: pd.DataFrame, n: int) -> pd.api.extensions.ExtensionArray:
    """``date=amount; ...`` per plan from instalment rows sorted by plan (``pos``),
    joined by Arrow in one pass."""
    import pyarrow as pa
    import pyarrow.compute as pc

    days = rows["day"].to_numpy(dtype="datetime64[D]").astype("datetime64[s]")
    cents = rows["cents"].to_numpy(dtype=np.int64)
    pairs = _join(
        pc.strftime(pa.array(days), format="%Y-%m-%d"),
        "=",
        _digits(cents // 100),
        ".",
        _digits(cents % 100, 2),
    )
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows["pos"].to_numpy(dtype=np.int64), minlength=n), out=offsets[1:])
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), pairs), "; ")
    return pd.array(joined.to_numpy(zero_copy_only=False), dtype="string")


def _amount_text(values) -> pd.Series:
    """1,234.56 for each (non-negative) value, without a Python call per value: the
    thousands are cut off arithmetically, a handful of passes at most."""
    import pyarrow.compute as pc

    cents = np.round(np.abs(np.asarray(values, dtype="float64")) * 100).astype(np.int64)
    whole = cents // 100
    count = np.ones(len(whole), dtype=np.int64)
    groups, rest = [whole % 1000], whole // 1000
    while (rest > 0).any():
        count += (rest > 0).astype(np.int64)
        groups.append(rest % 1000)
        rest = rest // 1000
    text = None
    for j in reversed(range(len(groups))):
        lead = _digits(groups[j])
        inner = _join(",", _digits(groups[j], 3))
        piece = pc.if_else(count == j + 1, lead, pc.if_else(count > j, inner, ""))
        text = piece if text is None else _join(text, piece)
    text = _join(text, ".", _digits(cents % 100, 2))
    return pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
