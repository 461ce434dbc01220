"""Point-in-time account snapshots: what was known about each customer on each date.

The call-priority model learns from, and ranks, these snapshots. Point in time is the
rule: a payment, call, promise status or write-off dated after the as-of date never
enters a feature; only the training label looks ahead (``horizon_days`` after the date).

Many as-of dates are built in one vectorised pass. Every dated event (payment, call,
settlement) is sorted once by (customer or invoice, day); "what was known on day d" is
then a binary search for the last event on or before d in each group, and running
totals answer "how much up to d" and, by difference, "how much in the last 30 days".
Invoices are crossed only with the as-of dates between their issue and their final
settlement, so a long history with many dates stays small in memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError, SchemaError
from .ledger import resolve_payments
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
)

# Days are counted from this origin so that every day number is positive, and groups are
# packed as group * _DAY_SPAN + day into one sortable int64 key (about 2,870 years).
_DAY_ORIGIN = np.datetime64("1800-01-01", "D")
_DAY_SPAN = 1 << 20
_NO_DAY = np.iinfo(np.int64).max // 4


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

        then ``do_not_call`` and ``placed_with_agency`` (bool), and with ``label=True``
        ``dollars_within_horizon`` (payments in the window on the invoices past due on
        the date; NaN when unknown) and ``paid_within_horizon`` (nullable boolean).

    Raises
    ------
    SchemaError
        When a table lacks a required column.
    InputError
        When ``as_of_dates`` is empty or ``horizon_days`` is not a positive integer.

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
    _check_table(invoices, INVOICES, "invoices")
    if payments is not None:
        _check_table(payments, PAYMENTS, "payments")
    if calls is not None:
        _check_table(calls, CALLS, "calls")
    if customers is not None:
        _check_table(customers, CUSTOMERS, "customers")
    horizon_days = _check_positive_int(horizon_days, "horizon_days")
    dates = _check_dates(as_of_dates)
    payments = resolve_payments(invoices, payments)
    end = _data_end(invoices, payments, calls) if data_end is None else pd.Timestamp(data_end)

    cust_codes, cust_ids = pd.factorize(invoices["customer_id"], sort=True)
    ncust = len(cust_ids)
    inv_day = _days(invoices["invoice_date"])
    due_day = _days(invoices["due_date"])
    amount = invoices["amount"].to_numpy("float64")
    date_day = _days(pd.Series(dates))

    # Payments, grouped by invoice position, as running totals.
    pay_inv = pd.Index(invoices["invoice_id"]).get_indexer(payments["invoice_id"])
    known = pay_inv >= 0
    pay_inv, pay_day = pay_inv[known], _days(payments["payment_date"])[known]
    pay_amt = payments["amount"].to_numpy("float64")[known]
    by_invoice = _Events(pay_inv, pay_day, pay_amt)

    # An invoice is crossed with the as-of dates from its issue until it closes for good:
    # its last payment when the payments settle it exactly, or its write-off.
    total_paid = np.bincount(pay_inv, weights=pay_amt, minlength=len(invoices))
    last_pay = np.full(len(invoices), -1, dtype=np.int64)
    np.maximum.at(last_pay, pay_inv, pay_day)
    final_day = np.where((np.abs(amount - total_paid) < 0.005) & (last_pay >= 0), last_pay, _NO_DAY)
    # For the payment history an invoice counts as settled from the first day its
    # payments reached the amount: a later payment must not change what was known then.
    settle_day = _first_settled_day(by_invoice, pay_inv, amount)
    if "written_off_date" in invoices:
        wo_day = _days(invoices["written_off_date"])
    else:
        wo_day = np.full(len(invoices), _NO_DAY)
    close_day = np.minimum(final_day, wo_day)
    first = np.searchsorted(date_day, inv_day, side="left")
    stop = np.searchsorted(date_day, np.minimum(close_day, _DAY_SPAN - 1), side="left")
    n_dates = np.clip(stop - first, 0, None)
    inv_pos = np.repeat(np.arange(len(invoices)), n_dates)
    offsets = np.arange(len(inv_pos)) - np.repeat(np.cumsum(n_dates) - n_dates, n_dates)
    date_pos = np.repeat(first, n_dates) + offsets
    d = date_day[date_pos]

    paid = by_invoice.sum_upto(inv_pos, d)
    open_amt = round_money(amount[inv_pos] - paid)
    open_amt = np.where(wo_day[inv_pos] <= d, 0.0, open_amt)
    keep = open_amt != 0
    inv_pos, date_pos, d, open_amt = inv_pos[keep], date_pos[keep], d[keep], open_amt[keep]
    dpd = d - due_day[inv_pos]
    overdue = dpd > 0
    if "disputed" in invoices:
        disputed = invoices["disputed"].fillna(False).to_numpy(bool)[inv_pos]
    else:
        disputed = np.zeros(len(inv_pos), dtype=bool)
    over_amt = np.where(overdue, open_amt, 0.0)
    pairs = pd.DataFrame(
        {
            "key": date_pos.astype(np.int64) * ncust + cust_codes[inv_pos],
            "total": open_amt,
            "overdue": over_amt,
            "dpd": np.where(overdue & (open_amt > 0), dpd, 0),
            "dpd_dollars": np.where(overdue, over_amt * dpd, 0.0),
            "open": 1,
            "n_overdue": overdue.astype(np.int64),
            "disputed": np.where(disputed, over_amt, 0.0),
        }
    )
    if label:
        window = by_invoice.sum_upto(inv_pos, d + horizon_days) - by_invoice.sum_upto(inv_pos, d)
        pairs["label"] = np.where(overdue & (open_amt > 0), window, 0.0)
    agg = {c: "sum" for c in pairs.columns if c != "key"}
    agg["dpd"] = "max"
    acc = pairs.groupby("key", sort=True).agg(agg)
    key = acc.index.to_numpy()
    a_date, a_cust = key // ncust, key % ncust
    q_day = date_day[a_date]
    overdue_bal = np.clip(round_money(acc["overdue"].to_numpy()), 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = np.where(acc["overdue"].to_numpy() > 0, acc["dpd_dollars"] / acc["overdue"], 0.0)
    out = pd.DataFrame(
        {
            "as_of": dates[a_date],
            "customer_id": pd.array(cust_ids[a_cust], dtype="string"),
            "overdue_balance": overdue_bal + 0.0,
            "total_balance": round_money(acc["total"].to_numpy()) + 0.0,
            "oldest_days_past_due": acc["dpd"].to_numpy().astype(np.int64),
            "weighted_days_past_due": np.round(weighted, 1),
            "open_invoices": acc["open"].to_numpy().astype(np.int64),
            "overdue_invoices": acc["n_overdue"].to_numpy().astype(np.int64),
            "disputed_overdue_balance": round_money(acc["disputed"].to_numpy()) + 0.0,
        }
    )
    out = out.assign(
        **_history_features(cust_codes, inv_day, due_day, settle_day, a_cust, q_day),
        **_payment_features(cust_codes[pay_inv], pay_day, pay_amt, a_cust, q_day),
    )
    first_invoice = np.full(ncust, _NO_DAY)
    np.minimum.at(first_invoice, cust_codes, inv_day)
    out["tenure_days"] = (q_day - first_invoice[a_cust]).astype(np.int64)
    out = out.assign(**_call_features(calls, cust_ids, a_cust, q_day))
    out = out.assign(
        **_promise_features(calls, payments, invoices, out, dates, grace_days=grace_days)
    )
    out = out.assign(**_customer_flags(customers, out))
    out = out[["as_of", "customer_id", *SNAPSHOT_FEATURES, "do_not_call", "placed_with_agency"]]
    if label:
        known_label = (dates[a_date] + pd.Timedelta(days=horizon_days)) <= end
        dollars = round_money(acc["label"].to_numpy()) + 0.0
        out["dollars_within_horizon"] = np.where(known_label, dollars, np.nan)
        paid_any = pd.array(dollars > 0, dtype="boolean")
        paid_any[~np.asarray(known_label)] = pd.NA
        out["paid_within_horizon"] = paid_any
    return out.reset_index(drop=True)


class _Events:
    """Dated events per group, sorted once, answering "up to day d" by binary search."""

    def __init__(self, group: np.ndarray, day: np.ndarray, value: np.ndarray | None = None):
        order = np.lexsort((day, group))
        self.order = order
        self.key = group[order].astype(np.int64) * _DAY_SPAN + day[order]
        self.day = day[order]
        if value is not None:
            self.cum = np.concatenate([[0.0], np.cumsum(value[order])])

    def _bounds(self, group: np.ndarray, day: np.ndarray):
        base = group.astype(np.int64) * _DAY_SPAN
        lo = np.searchsorted(self.key, base, side="left")
        hi = np.searchsorted(self.key, base + np.minimum(day, _DAY_SPAN - 1), side="right")
        return lo, hi

    def count_upto(self, group, day) -> np.ndarray:
        lo, hi = self._bounds(group, day)
        return hi - lo

    def sum_upto(self, group, day) -> np.ndarray:
        lo, hi = self._bounds(group, day)
        return self.cum[hi] - self.cum[lo]

    def days_since(self, group, day) -> np.ndarray:
        """Days from the group's last event on or before day to day; NaN if none."""
        at = self.last_upto(group, day)
        if len(self.day) == 0:
            return np.full(len(at), np.nan)
        return np.where(at >= 0, day - self.day[np.maximum(at, 0)], np.nan).astype("float64")

    def last_upto(self, group, day) -> np.ndarray:
        """Position (in sorted order) of the group's last event on or before day; -1 if none."""
        lo, hi = self._bounds(group, day)
        return np.where(hi > lo, hi - 1, -1)


def _first_settled_day(by_invoice: _Events, pay_inv, amount) -> np.ndarray:
    """Per invoice, the first day its running payments reach its amount (to the cent)."""
    day = np.full(len(amount), _NO_DAY)
    if len(pay_inv) == 0:
        return day
    group = pay_inv[by_invoice.order]
    running = by_invoice.cum[1:] - by_invoice.cum[np.searchsorted(group, group, side="left")]
    target = amount[group]
    # Credit notes run negative: "reached" is measured in the amount's own direction.
    reached = np.sign(target) * (target - running) <= 0.005
    np.minimum.at(day, group[reached], by_invoice.day[reached])
    return day


def _history_features(cust_codes, inv_day, due_day, settle_day, a_cust, q_day) -> dict:
    done = settle_day != _NO_DAY
    days_late = np.clip(settle_day[done] - due_day[done], 0, None).astype("float64")
    ev_late = _Events(cust_codes[done], settle_day[done], (days_late > 0).astype("float64"))
    ev_days = _Events(cust_codes[done], settle_day[done], days_late)
    n = ev_late.count_upto(a_cust, q_day)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, ev_late.sum_upto(a_cust, q_day) / n, np.nan)
        mean_late = np.where(n > 0, ev_days.sum_upto(a_cust, q_day) / n, np.nan)
    return {
        "settled_invoices": n.astype(np.int64),
        "share_paid_late": np.round(share, 4),
        "mean_days_late": np.round(mean_late, 1),
    }


def _payment_features(pay_cust, pay_day, pay_amt, a_cust, q_day) -> dict:
    ev = _Events(pay_cust, pay_day, pay_amt)
    since = ev.days_since(a_cust, q_day)
    recent = ev.sum_upto(a_cust, q_day) - ev.sum_upto(a_cust, q_day - LONG_WINDOW_DAYS)
    return {
        "days_since_last_payment": since,
        "paid_last_30d": round_money(recent) + 0.0,
    }


def _call_features(calls, cust_ids, a_cust, q_day) -> dict:
    n = len(a_cust)
    if calls is None or len(calls) == 0:
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
    code = pd.Index(cust_ids).get_indexer(calls["customer_id"])
    mine = code >= 0
    code = code[mine]
    # A call on the as-of day is known that day, whatever its hour.
    day = _days(calls["called_at"].dt.normalize())[mine]
    outcome = calls["outcome"].astype("string").to_numpy(dtype=object, na_value=None)[mine]
    rpc = pd.Series(outcome).isin(RIGHT_PARTY_OUTCOMES).to_numpy()
    ev = _Events(code, day, rpc.astype("float64"))
    attempts = ev.count_upto(a_cust, q_day)
    last = ev.last_upto(a_cust, q_day)
    has = last >= 0
    # Same-day calls sort by time so that "last outcome" is the day's latest call.
    stamp = calls["called_at"].to_numpy()[mine]
    order = np.lexsort((stamp, day, code))
    last_outcome = (
        np.where(has, outcome[order][np.maximum(last, 0)], None) if len(order) else [None] * n
    )
    contacts = ev.sum_upto(a_cust, q_day)
    ev_rpc = _Events(code[rpc], day[rpc])
    disputes = _Events(code[outcome == "dispute"], day[outcome == "dispute"])
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(attempts > 0, contacts / attempts, np.nan)
    return {
        "call_attempts": attempts.astype(np.int64),
        "attempts_7d": (attempts - ev.count_upto(a_cust, q_day - SHORT_WINDOW_DAYS)).astype(
            np.int64
        ),
        "attempts_30d": (attempts - ev.count_upto(a_cust, q_day - LONG_WINDOW_DAYS)).astype(
            np.int64
        ),
        "contact_rate": np.round(rate, 4),
        "days_since_last_call": ev.days_since(a_cust, q_day),
        "days_since_last_contact": ev_rpc.days_since(a_cust, q_day),
        "last_outcome": pd.array(last_outcome, dtype="string"),
        "dispute_calls": disputes.count_upto(a_cust, q_day).astype(np.int64),
    }


def _promise_features(calls, payments, invoices, out, dates, *, grace_days) -> dict:
    """Promise counts by status on each as-of date, judged by arcalls.promise_outcomes.

    A promise whose window (call day to deadline, or to the call that replaced it) ended
    on or before the as-of date had all its evidence known then, so its status that day
    is its status on the last date: one call judges them all. The promises still open
    on a date are judged again as of that date, all (promise, date) pairs in one pass
    from the last date's amounts and the customers' running payment totals.
    """
    n = len(out)
    result = {
        "promises_made": np.zeros(n, np.int64),
        "promises_kept": np.zeros(n, np.int64),
        "promises_partial": np.zeros(n, np.int64),
        "promises_broken": np.zeros(n, np.int64),
        "promises_pending": np.zeros(n, np.int64),
        "days_since_broken_promise": np.full(n, np.nan),
    }
    from . import promises

    outcomes = getattr(promises, "promise_outcomes", None)
    last = dates[-1]
    if calls is None or outcomes is None:
        return result
    promised = calls[(calls["outcome"] == "promise") & (calls["called_at"].dt.normalize() <= last)]
    if promised.empty:
        return result
    # A promise is judged on its own customer's invoices and payments only.
    invoices = invoices[
        invoices["customer_id"].isin(promised["customer_id"]) & (invoices["invoice_date"] <= last)
    ]
    payments = payments[
        payments["invoice_id"].isin(invoices["invoice_id"]) & (payments["payment_date"] <= last)
    ]
    final = outcomes(promised, payments, invoices, as_of=last, grace_days=grace_days)
    customers = pd.Index(out["customer_id"].unique())
    code = customers.get_indexer(final["customer_id"])
    mine = code >= 0
    final, code = final[mine], code[mine]
    made = _days(final["called_at"].dt.normalize())
    closed = _days(final["window_end"])
    status = final["status"].astype("string").to_numpy(dtype=object, na_value="")
    q_code = customers.get_indexer(out["customer_id"])
    q_day = _days(out["as_of"])
    result["promises_made"] = _Events(code, made).count_upto(q_code, q_day).astype(np.int64)
    for name in ("kept", "partial", "broken"):
        done = (status == name) & (closed != _NO_DAY)
        events = _Events(code[done], closed[done])
        result[f"promises_{name}"] = events.count_upto(q_code, q_day).astype(np.int64)
        if name == "broken":
            result["days_since_broken_promise"] = events.days_since(q_code, q_day)

    # Promises still open on a date (made on or before it, window ending after it) are
    # judged again with only what was known that day, every (promise, date) pair at once.
    # Such a promise is counted, the last of its day and not yet replaced on that date (a
    # replacement inside its window would have ended the window by then), so its window
    # is its own deadline, which is after the date: it is kept when the money received
    # after its call day and known on the date reaches the amount, else still pending.
    date_day = _days(pd.Series(dates))
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
    received = _cents_known(payments, invoices, customers, p_code, p_made, p_day)
    target = np.round(final["promised_amount"].to_numpy("float64") * 100).astype(np.int64)[pos]
    kept = final["already_paid"].to_numpy(bool)[pos] | (received >= target)
    q_date = np.searchsorted(date_day, q_day)
    for name, hit in (("kept", kept), ("pending", ~kept)):
        events = _Events(p_code[hit], date_pos[hit])
        extra = events.count_upto(q_code, q_date) - events.count_upto(q_code, q_date - 1)
        result[f"promises_{name}"] = result[f"promises_{name}"] + extra.astype(np.int64)
    return result


def _cents_known(payments, invoices, customers, p_code, p_made, p_day) -> np.ndarray:
    """Per (promise, date) pair: the customer's payments in cents dated after the promise's
    call day and known on the date, as :func:`arcalls.promise_outcomes` on that date sees
    them (payment and its invoice both dated on or before the date)."""
    pay_inv = pd.Index(invoices["invoice_id"]).get_indexer(payments["invoice_id"])
    cust = customers.get_indexer(invoices["customer_id"])[pay_inv]
    stamp = payments["payment_date"]
    day = _days(stamp)
    # Known from the first midnight on or after the payment and its invoice.
    known = np.maximum(_ceil_days(stamp), _ceil_days(invoices["invoice_date"])[pay_inv])
    amount = pd.to_numeric(payments["amount"], errors="coerce").to_numpy("float64")
    cents = np.round(np.nan_to_num(amount, nan=0.0) * 100).astype(np.int64)
    ok = (cust >= 0) & (day != _NO_DAY)
    same = ok & (known == day)
    events = _Events(cust[same], day[same], cents[same].astype("float64"))
    total = events.sum_upto(p_code, p_day) - events.sum_upto(p_code, p_made)
    received = np.round(total).astype(np.int64)
    late = ok & (known != day)
    if late.any():
        # Payments known only after their own day (dated before their invoice, or with a
        # time of day): few, matched pair by pair through their customer.
        pays = pd.DataFrame({"c": cust[late], "d": day[late], "k": known[late], "v": cents[late]})
        pairs = pd.DataFrame({"c": p_code, "m": p_made, "t": p_day, "i": np.arange(len(p_code))})
        both = pairs.merge(pays, on="c")
        hit = (both["d"] > both["m"]) & (both["k"] <= both["t"])
        extra = both.loc[hit].groupby("i")["v"].sum()
        received[extra.index.to_numpy()] += extra.to_numpy(np.int64)
    return received


def _ceil_days(values: pd.Series) -> np.ndarray:
    """Day number of the first midnight on or after each stamp; _NO_DAY when missing."""
    stamps = pd.to_datetime(values)
    return _days(stamps) + (stamps != stamps.dt.normalize()).to_numpy(np.int64)


def _customer_flags(customers, out) -> dict:
    n = len(out)
    if customers is None or len(customers) == 0:
        return {"do_not_call": np.zeros(n, bool), "placed_with_agency": np.zeros(n, bool)}
    table = customers.drop_duplicates("customer_id").set_index("customer_id")
    ids = out["customer_id"]
    dnc = (
        # A customer missing from the customers file is not flagged do-not-call.
        ids.map(table["do_not_call"].astype("boolean")).fillna(False).to_numpy(bool)
        if "do_not_call" in table
        else np.zeros(n, bool)
    )
    if "placed_with_agency_date" in table:
        placed = ids.map(table["placed_with_agency_date"])
        agency = (placed.notna() & (placed <= out["as_of"])).to_numpy(bool)
    else:
        agency = np.zeros(n, bool)
    return {"do_not_call": dnc, "placed_with_agency": agency}


def _days(values: pd.Series) -> np.ndarray:
    """Day numbers since _DAY_ORIGIN; a missing date becomes _NO_DAY (never)."""
    raw = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
    days = (raw - _DAY_ORIGIN).astype(np.int64)
    return np.where(np.isnat(raw), _NO_DAY, days)


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
