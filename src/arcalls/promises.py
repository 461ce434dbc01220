"""Promises to pay: which were kept, partly kept or broken, and how often they break.

A call with outcome ``promise`` is judged on the customer's payments after the call day
and up to its deadline (``promise_date + grace_days``), from what was known on the
as-of date. Matching is vectorised over every promise at once (cumulative sums per
customer and binary search), so it scales to millions of calls.

Rules (each one pinned by a test in ``tests/test_promises.py``):

- **Window.** Payments dated after the call day and on or before the deadline count.
  Payments dated on or before the call day are already in the balance at the call
  (``ledger.invoice_balances`` semantics: payments dated <= the call date), so they
  never count towards the promise as well.
- **Early payments.** Money that arrives after the call but before the promise date
  counts: paying early keeps a promise.
- **Replacement.** A promise made while an earlier promise of the same customer is
  still open (its call day on or before the earlier deadline) replaces it. The earlier
  promise closes on the later call's day and is judged on what arrived until then; the
  later one starts the day after. Windows are therefore disjoint and no payment counts
  for two promises. Why: renegotiating a promise without the money is itself a broken
  promise for the owner, and the new promise is a new commitment to be judged on its
  own.
- **Same-day re-logging.** A promise replaced on the day it was made (a collector who
  logs a correction, or two lines for one conversation) is not a promise of its own:
  ``counted`` is False, it receives nothing and shows the status of the day's last
  promise. Rates count only ``counted`` promises.
- **No promise date.** The promise date defaults to the call day plus
  :data:`DEFAULT_PROMISE_DAYS`; ``date_source`` says ``"default"``. A promise date
  before the call day is read as the call day.
- **Amount.** A given ``promise_amount`` (> 0) is capped at the customer's whole open
  balance at the call (nobody can keep a promise to pay more than they owe). Without
  one: the named invoice's open balance at the call when the call names a known
  invoice, else the customer's overdue balance at the call. ``amount_source`` says
  which.
- **Already paid.** A promise whose amount is zero (nothing left to pay at the call) is
  ``kept`` and flagged ``already_paid``.
- **Other invoices.** Payments to any invoice of the customer count, named or not: the
  owner is owed by the customer, and customers often pay a different invoice from the
  one the collector wrote down.
- **Status.** ``kept`` as soon as the money received reaches the amount minus
  ``tolerance`` (even before the deadline), ``pending`` while not yet kept and the
  window ends after the as-of date, ``partial`` when some money arrived, ``broken``
  when none did.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

# The call-time defaults are reachable as arcalls.promises.DEFAULT_* (explicit re-export).
from ._calls import DEFAULT_BUSINESS_TZ as DEFAULT_BUSINESS_TZ
from ._calls import DEFAULT_MIN_OWN_ATTEMPTS as DEFAULT_MIN_OWN_ATTEMPTS
from ._calls import DEFAULT_PRIOR_ATTEMPTS as DEFAULT_PRIOR_ATTEMPTS
from ._calls import DEFAULT_WINDOW_HOURS as DEFAULT_WINDOW_HOURS
from ._calls import (
    CallTimes,
    _check_columns,
    best_call_times,
    call_local_times,
    contact_rates,
    month_text,
)
from .errors import ArcallsError, IntegrityError
from .ledger import resolve_payments
from .schema import RIGHT_PARTY_OUTCOMES

__all__ = [
    "PROMISE_STATUSES",
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
#: The four statuses, in the order tables and charts show them.
PROMISE_STATUSES = ("kept", "partial", "broken", "pending")
#: Aging buckets of the debt at the call: upper edges in days past due (DESIGN.md).
AGE_BUCKET_EDGES = (0, 30, 60, 90, 120)
AGE_BUCKET_LABELS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
#: Promise size bands (dollars, lower edges) for "by size" rates.
SIZE_BAND_EDGES = (0.0, 500.0, 2_000.0, 10_000.0)
SIZE_BAND_LABELS = ("<$500", "$500-2k", "$2k-10k", "$10k+")

# Keys are (group code, day number) packed into one int64 so that one sorted array and
# one binary search answer "total of this group up to this day" for every query at once.
_DAY_OFFSET = 1_000_000  # days since 1970 shifted positive (covers years ~-770..4700)
_KEY_STRIDE = 4_000_000


def promise_outcomes(
    calls: pd.DataFrame,
    payments: pd.DataFrame | None,
    invoices: pd.DataFrame,
    *,
    as_of,
    grace_days: int = DEFAULT_GRACE_DAYS,
    tolerance: float = 0.0,
    default_promise_days: int = DEFAULT_PROMISE_DAYS,
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
        ``grace_days``, ``default_promise_days`` or ``tolerance`` is negative.

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
    >>> set(out["status"]) <= {"kept", "partial", "broken", "pending"}
    True
    >>> bool((out["called_at"] < pd.Timestamp("2026-07-01")).all())
    True
    """
    as_of = pd.Timestamp(as_of).normalize()
    _check_whole_days(grace_days=grace_days, default_promise_days=default_promise_days)
    _check_non_negative(tolerance=tolerance)
    _check_columns(calls, ["call_id", "customer_id", "called_at", "outcome"], "calls")
    _check_columns(
        invoices, ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"], "invoices"
    )
    payments = resolve_payments(invoices, payments)
    _check_columns(payments, ["invoice_id", "payment_date", "amount"], "payments")

    promises = _promise_rows(calls, as_of=as_of)
    call_day = promises["called_at"].dt.normalize()

    given_date = (
        promises["promise_date"].notna()
        if "promise_date" in promises
        else pd.Series(False, index=promises.index)
    )
    promise_date = call_day + pd.Timedelta(days=default_promise_days)
    if "promise_date" in promises:
        promise_date = promises["promise_date"].dt.normalize().where(given_date, promise_date)
    promise_date = promise_date.where(promise_date >= call_day, call_day)
    deadline = promise_date + pd.Timedelta(days=grace_days)

    # Replacement: the next promise of the same customer, if made before this deadline.
    by_customer = promises.groupby("customer_id", sort=False, observed=True)
    next_day = by_customer["called_at"].shift(-1).dt.normalize()
    next_call = by_customer["call_id"].shift(-1)
    replaced = next_day.notna() & (next_day <= deadline)
    window_end = deadline.where(~replaced, next_day)
    counted = ~(replaced & (next_day == call_day))

    # Everything below is in integer cents, so sums over millions of rows stay exact.
    codes = _Codes(promises, invoices, payments)
    cust = codes.customer(promises["customer_id"])
    day = _days(call_day)
    inv_events = _invoice_events(invoices, payments, codes, as_of=as_of)
    overdue_cents, overdue_due_sum = _lookup(
        inv_events["overdue"], cust, day, values=("cents", "due_weighted")
    )
    (open_cents,) = _lookup(inv_events["open"], cust, day, values=("cents",))
    named_code = (
        codes.invoice(promises["invoice_id"])
        if "invoice_id" in promises
        else np.full(len(promises), -1, dtype=np.int64)
    )
    (named_open,) = _lookup(inv_events["invoice"], named_code, day, values=("cents",))

    pay_events = _payment_events(payments, codes, as_of=as_of)
    end_day = np.minimum(_days(window_end), _days(pd.Series([as_of])).item())
    (paid_to_end,) = _lookup(pay_events, cust, end_day, values=("cents",))
    (paid_to_call,) = _lookup(pay_events, cust, day, values=("cents",))
    received = np.where(counted, paid_to_end - paid_to_call, 0)

    given_cents = _cents(promises["promise_amount"]) if "promise_amount" in promises else None
    has_amount = (
        (given_cents > 0) if given_cents is not None else np.zeros(len(promises), dtype=bool)
    )
    named_known = named_code >= 0
    target = np.where(
        has_amount,
        np.minimum(np.where(has_amount, given_cents, 0), np.maximum(open_cents, 0)),
        np.where(named_known, np.maximum(named_open, 0), np.maximum(overdue_cents, 0)),
    )
    amount_source = np.where(
        has_amount, "given", np.where(named_known, "invoice_balance", "overdue_balance")
    )

    tolerance_cents = int(round(tolerance * 100))
    already_paid = target <= 0
    kept = already_paid | (received >= target - tolerance_cents)
    pending = ~kept & (window_end > as_of).to_numpy()
    status = np.select(
        [kept, pending, received > 0], ["kept", "pending", "partial"], default="broken"
    )
    status = pd.Series(status, index=promises.index, dtype="string")
    # A same-day re-logged promise shows what became of the day's last promise.
    status = status.groupby([promises["customer_id"], call_day], observed=True).transform("last")

    with np.errstate(invalid="ignore", divide="ignore"):
        mean_due = np.where(overdue_cents > 0, overdue_due_sum / overdue_cents, np.nan)
    age = np.where(overdue_cents > 0, np.maximum(day - _DAY_OFFSET - mean_due, 1.0), np.nan)
    age = pd.Series(np.floor(age), index=promises.index).astype("Int64")

    promised = target / 100.0
    out = pd.DataFrame(
        {
            "call_id": promises["call_id"].astype("string"),
            "customer_id": promises["customer_id"].astype("string"),
            "invoice_id": _optional(promises, "invoice_id", "string"),
            "collector": _optional(promises, "collector", "string"),
            "called_at": promises["called_at"],
            "promise_date": promise_date,
            "deadline": deadline,
            "promised_amount": promised,
            "received": received / 100.0,
            "status": status,
            "date_source": pd.Series(
                np.where(given_date, "given", "default"), index=promises.index, dtype="string"
            ),
            "amount_source": pd.Series(amount_source, index=promises.index, dtype="string"),
            "overdue_at_call": overdue_cents / 100.0,
            "open_at_call": open_cents / 100.0,
            "window_end": window_end,
            "shortfall": np.maximum(target - received, 0) / 100.0,
            "replaced_by": next_call.where(replaced).astype("string"),
            "counted": counted.to_numpy(),
            "already_paid": already_paid,
            "days_past_due_at_call": age,
            "age_bucket": _age_bucket(age),
            "size_band": _size_band(promised),
            "month": month_text(promises["called_at"]),
        },
        index=promises.index,
    )
    return out.sort_values(["called_at", "call_id"], kind="stable").reset_index(drop=True)


def broken_promise_rate(
    outcomes: pd.DataFrame,
    *,
    by: str | list[str] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Counts per status and the broken-promise rate with a Wilson interval.

    Broken-promise rate = (broken + partial) / (kept + partial + broken); pending
    promises are counted but not in the rate. Only ``counted`` promises enter (see the
    same-day rule in the module docstring).

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
        The ``by`` columns, then ``promises``, ``kept``, ``partial``, ``broken``,
        ``pending``, ``resolved`` (kept + partial + broken), ``broken_rate``,
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
    resolved = status.isin(["kept", "partial", "broken"]).to_numpy()
    parts = pd.DataFrame(
        {s: status.eq(s).fillna(False).to_numpy(bool).astype(np.int64) for s in PROMISE_STATUSES}
        | {
            "promised": np.where(resolved, frame["promised_amount"], 0.0),
            "received": np.where(resolved, frame["received"], 0.0),
            "pending_promised": np.where(
                status.eq("pending").fillna(False).to_numpy(bool), frame["promised_amount"], 0.0
            ),
        },
        index=frame.index,
    )
    if keys:
        parts = pd.concat([frame[keys], parts], axis=1)
        table = parts.groupby(keys, observed=True, sort=True, dropna=False).sum().reset_index()
    else:
        table = parts.sum().to_frame().T
    counts = list(PROMISE_STATUSES)
    table[counts] = table[counts].astype("int64")
    table.insert(len(keys), "promises", table[counts].sum(axis=1))
    table["resolved"] = table["kept"] + table["partial"] + table["broken"]
    failed = table["partial"] + table["broken"]
    rate, low, high = _wilson(failed.to_numpy(), table["resolved"].to_numpy(), confidence)
    table = table.assign(broken_rate=rate, ci_low=low, ci_high=high)
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


def _optional(frame: pd.DataFrame, column: str, dtype: str) -> pd.Series:
    if column in frame:
        return frame[column].astype(dtype)
    return pd.Series(pd.NA, index=frame.index, dtype=dtype)


def _promise_rows(calls: pd.DataFrame, *, as_of: pd.Timestamp) -> pd.DataFrame:
    is_promise = (calls["outcome"].astype("string") == "promise").fillna(False).to_numpy(bool)
    known = (calls["called_at"].dt.normalize() <= as_of).to_numpy()
    promises = calls[is_promise & known]
    return promises.sort_values(["customer_id", "called_at", "call_id"], kind="stable")


def _days(dates: pd.Series) -> np.ndarray:
    """Whole days since 1970, shifted positive (NaT must be handled by the caller)."""
    values = pd.Series(dates).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return values.astype(np.int64) + _DAY_OFFSET


def _cents(amounts: pd.Series) -> np.ndarray:
    values = pd.to_numeric(amounts, errors="coerce").astype("float64").to_numpy()
    return np.round(np.nan_to_num(values, nan=0.0) * 100).astype(np.int64)


class _Codes:
    """Integer codes of customers and invoices shared by every table in one run."""

    def __init__(self, promises, invoices, payments):
        self._customers = pd.Index(
            pd.concat([invoices["customer_id"], promises["customer_id"]]).astype("string").unique()
        )
        self._invoices = pd.Index(invoices["invoice_id"].astype("string"))
        if self._invoices.has_duplicates:
            dup = self._invoices[self._invoices.duplicated()].unique()[:5].tolist()
            raise IntegrityError(
                f"invoice_id must be unique in the invoices, got duplicates {dup}. "
                "Remove the repeated rows (or load with arcalls.load_invoices)."
            )
        self.invoice_customer = self.customer(invoices["customer_id"])
        pay_invoice = self.invoice(payments["invoice_id"])
        if (pay_invoice < 0).any():
            unknown = payments.loc[pay_invoice < 0, "invoice_id"].unique()[:5].tolist()
            raise IntegrityError(
                f"{int((pay_invoice < 0).sum())} payment(s) name invoices that are not in "
                f"the invoices table, e.g. {unknown}: payments are tied to customers through "
                "their invoice. Load the full invoice file or drop those payments."
            )

    def customer(self, ids: pd.Series) -> np.ndarray:
        return self._customers.get_indexer(ids.astype("string")).astype(np.int64)

    def invoice(self, ids: pd.Series) -> np.ndarray:
        return self._invoices.get_indexer(ids.astype("string")).astype(np.int64)


def _events(group, day, cents, **extra) -> pd.DataFrame:
    return pd.DataFrame({"group": group, "day": day, "cents": cents, **extra})


def _invoice_events(invoices, payments, codes: _Codes, *, as_of) -> dict[str, pd.DataFrame]:
    """Balance changes per customer (overdue and open) and per invoice, as events.

    An invoice adds its amount from the day it counts (issued; for ``overdue``, also
    past due), each payment subtracts from its date (or that first day, if earlier),
    and a write-off cancels what is left from its date: exactly what
    ``ledger.invoice_balances`` would show on each day, but for all days at once.
    """
    as_of_day = _days(pd.Series([as_of])).item()
    issued = _days(invoices["invoice_date"])
    past_due = _days(invoices["due_date"]) + 1
    amount = _cents(invoices["amount"])
    if "written_off_date" in invoices:
        wo = invoices["written_off_date"]
        written_off = np.where(wo.notna().to_numpy(), _days(wo.fillna(pd.Timestamp(0))), -1)
    else:
        written_off = np.full(len(invoices), -1, dtype=np.int64)
    pay_invoice = codes.invoice(payments["invoice_id"])
    pay_day = _days(payments["payment_date"])
    pay_cents = _cents(payments["amount"])
    n_inv = len(invoices)
    due_rel = past_due - 1 - _DAY_OFFSET

    def balance_events(start, group_of_invoice, weighted):
        eff = np.maximum(pay_day, start[pay_invoice])
        wo_day = np.where(written_off >= 0, np.maximum(written_off, start), -1)
        wo_of_pay = wo_day[pay_invoice]
        alive = (wo_of_pay < 0) | (eff <= wo_of_pay)
        paid_before_wo = np.bincount(pay_invoice[alive], pay_cents[alive], minlength=n_inv)
        has_wo = wo_day >= 0
        frames = [
            _events(group_of_invoice, start, amount),
            _events(group_of_invoice[pay_invoice[alive]], eff[alive], -pay_cents[alive]),
            _events(
                group_of_invoice[has_wo],
                wo_day[has_wo],
                -(amount[has_wo] - np.round(paid_before_wo[has_wo]).astype(np.int64)),
            ),
        ]
        if weighted:
            weights = [due_rel, due_rel[pay_invoice[alive]], due_rel[has_wo]]
            for frame, w in zip(frames, weights, strict=True):
                frame["due_weighted"] = frame["cents"].to_numpy() * w
        events = pd.concat(frames, ignore_index=True)
        return events[events["day"].to_numpy() <= as_of_day]

    inv_codes = np.arange(n_inv, dtype=np.int64)
    return {
        "overdue": balance_events(np.maximum(past_due, issued), codes.invoice_customer, True),
        "open": balance_events(issued, codes.invoice_customer, False),
        "invoice": balance_events(issued, inv_codes, False),
    }


def _payment_events(payments, codes: _Codes, *, as_of) -> pd.DataFrame:
    known = (payments["payment_date"] <= as_of).to_numpy()
    pays = payments[known]
    return _events(
        codes.invoice_customer[codes.invoice(pays["invoice_id"])],
        _days(pays["payment_date"]),
        _cents(pays["amount"]),
    )


def _lookup(events: pd.DataFrame, group, day, *, values) -> list[np.ndarray]:
    """For each query (group, day): the sum of ``values`` over events of that group
    dated on or before ``day``. Groups < 0 (unknown) get 0."""
    key = events["group"].to_numpy(np.int64) * _KEY_STRIDE + events["day"].to_numpy(np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]
    group = np.asarray(group, dtype=np.int64)
    query = group * _KEY_STRIDE + np.asarray(day, dtype=np.int64)
    upto = np.searchsorted(key, query, side="right")
    start = np.searchsorted(key, group * _KEY_STRIDE, side="left")
    known = group >= 0
    out = []
    for name in values:
        csum = np.concatenate([[0], np.cumsum(events[name].to_numpy(np.int64)[order])])
        out.append(np.where(known, csum[upto] - csum[start], 0))
    return out


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
    """Wilson score interval: well-behaved at 0 %, 100 % and small counts."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    n = trials.astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    empty = n == 0
    return (
        np.where(empty, np.nan, p),
        np.where(empty, np.nan, np.clip(centre - half, 0, 1)),
        np.where(empty, np.nan, np.clip(centre + half, 0, 1)),
    )
