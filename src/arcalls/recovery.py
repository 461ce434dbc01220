"""Recovery rate against days past due, and when to hand an account to an agency.

The curve is a dollar-weighted Kaplan-Meier estimate built from the owner's own
invoices and payments: every dollar invoiced is a subject, a payment is the event for
the dollars it pays, dollars still open on the as-of date are censored (their fate is
unknown, not lost) and written-off dollars are losses that never leave the risk set.

Why not ``lifelines.KaplanMeierFitter(weights=...)``: its point estimate is the same
as ours (a test cross-checks it), but its Greenwood interval counts every unit of weight
as a subject, so with dollar weights a $50,000 invoice counts as 50,000 independent
customers and the band is absurdly narrow (lifelines warns about non-integer weights
for this reason; see lifelines issue #396). The honest unit is the invoice, so the band
comes from a bootstrap that resamples invoices (Poisson weights, fixed seed). Fitting
lifelines once per segment and per bootstrap replicate would also be far too slow for a
million invoices; here every curve is a few ``np.bincount`` and cumulative products over
a day grid.

Industry benchmarks (documented defaults, every one overridable), as commonly published
from commercial collection agency surveys (e.g. the Commercial Collection Agency
Association and US Department of Commerce figures reproduced by most agencies):

- collectability of a receivable by age past due: ~95 % at due, 90 % at 30 days,
  81 % at 60, ~70 % at 90, ~52 % at 6 months, ~25 % at 1 year, ~10 % at 2 years
  (:data:`BENCHMARK_COLLECTABILITY`);
- agency contingency fees rise with age and fall with size: ~20 % for accounts placed
  within 60-120 days, ~30 % up to a year, 40-50 % for older or small balances
  (:data:`DEFAULT_FEE_SCHEDULE`, :data:`DEFAULT_SMALL_BALANCE_FEE`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._checks import check_columns, check_one_currency
from ._keys import positions
from .errors import ArcallsError, InputError, SchemaError
from .ledger import invoice_balances, resolve_payments
from .schema import dtype_of, round_money

__all__ = [
    "BENCHMARK_COLLECTABILITY",
    "DEFAULT_FEE_SCHEDULE",
    "HandoffAnalysis",
    "accounts_to_hand_off",
    "benchmark_collectability",
    "handoff_analysis",
    "recovery_cohorts",
    "recovery_curve",
]

#: Horizon H (days) of the recovery rate: share of unpaid dollars collected within H.
DEFAULT_HORIZON_DAYS = 365
#: Confidence level of the recovery-rate band.
DEFAULT_CI = 0.95
#: Bootstrap replicates (invoices resampled) behind the band; 200 keeps the 2.5 % and
#: 97.5 % percentiles stable to about a percentage point.
DEFAULT_N_BOOT = 200
#: Seed of the bootstrap, so that the same data always give the same band.
DEFAULT_SEED = 20240601
#: Windows (days) of the cohort table.
DEFAULT_COHORT_WINDOWS = (30, 90, 180, 365)
#: Aging-bucket upper edges (days past due) and labels, as in DESIGN.md.
DEFAULT_BUCKET_EDGES = (0, 30, 60, 90, 120)
_BUCKET_LABELS = ("Current", "1-30", "31-60", "61-90", "91-120", "120+")

#: Collectability of a receivable by days past due (commercial collection agency
#: surveys, as commonly published): the benchmark overlay and the default agency
#: recovery. Linear between points, flat beyond the last.
BENCHMARK_COLLECTABILITY: tuple[tuple[int, float], ...] = (
    (0, 0.95),
    (30, 0.90),
    (60, 0.81),
    (90, 0.70),
    (180, 0.52),
    (365, 0.25),
    (730, 0.10),
)
#: Agency contingency fee by age at placement: (first day past due, fee). ~20 % placed
#: young (within 60-120 days), ~30 % up to one year, 45 % (middle of 40-50 %) older.
DEFAULT_FEE_SCHEDULE: tuple[tuple[int, float], ...] = ((0, 0.20), (121, 0.30), (366, 0.45))
#: Balances below this (dollars) are "small" and pay :data:`DEFAULT_SMALL_BALANCE_FEE`
#: whatever their age (agencies charge more when the fee barely covers the work).
DEFAULT_SMALL_BALANCE = 500.0
#: Fee for small balances (middle of the published 40-50 %).
DEFAULT_SMALL_BALANCE_FEE = 0.45
#: Agency recovery as a multiple of the (owner-anchored) benchmark collectability at the
#: age of placing: 1.0 means the agency's collections fall with age as the industry's do.
DEFAULT_AGENCY_SKILL = 1.0
#: Cost of one collection call (dollars): about ten minutes of staff time with overhead.
DEFAULT_COST_PER_CALL = 5.0
#: Calls per month on an account kept in-house (one a week).
DEFAULT_CALLS_PER_MONTH = 4.0
#: Balance (dollars) at which the per-dollar call cost of the handoff curve is taken.
DEFAULT_REFERENCE_BALANCE = 1000.0
#: Agencies take accounts from about this age (DESIGN.md: the ~20 % fee is for accounts
#: "placed within 60-120 days"); a handoff is never recommended earlier.
DEFAULT_MIN_PLACEMENT_AGE = 60
#: Placing must keep winning for this many days of the curve for the crossing to count,
#: so that one noisy day of the owner's curve does not move the recommendation.
DEFAULT_STABLE_DAYS = 30
#: Days in an average month, to turn the horizon into months of calls.
DAYS_PER_MONTH = 365.25 / 12
#: Bootstrap cells (replicates x segments x days) held in memory at once.
_BOOT_CELLS = 20_000_000

_CURVE_COLUMNS = (
    "days_past_due",
    "dollars_at_risk",
    "invoices_at_risk",
    "dollars_paid",
    "share_unpaid",
    "recovery_rate",
    "ci_low",
    "ci_high",
    "unpaid_days",
)


# --------------------------------------------------------------------------- checks


def _check_columns(frame: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    check_columns(frame, needed, what=what)


def _check_positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ArcallsError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def _check_share(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ArcallsError(f"{name} must be a number between 0 and 1, got {value!r}.")
    return float(value)


def _check_ci(ci) -> float:
    if isinstance(ci, bool) or not isinstance(ci, int | float) or not 0 < ci < 1:
        raise ArcallsError(
            f"ci must be a confidence level strictly between 0 and 1 (e.g. 0.95), got {ci!r}."
        )
    return float(ci)


def _check_unique_ids(invoices: pd.DataFrame) -> None:
    dup = invoices["invoice_id"].duplicated(keep=False)
    if dup.any():
        ids = invoices.loc[dup, "invoice_id"].drop_duplicates().head(5).tolist()
        raise InputError(
            f"invoice_id must be unique; {int(dup.sum())} rows share ids such as {ids}. "
            "Remove the duplicates (arcalls check shows them)."
        )


def _segments(invoices: pd.DataFrame, by) -> tuple[list[str], pd.DataFrame | None]:
    """Segment columns named by ``by`` (names or an aligned Series), as a frame."""
    if by is None:
        return [], None
    if isinstance(by, pd.Series):
        if not by.index.equals(invoices.index):
            raise InputError(
                "by= as a Series must have the invoices' index (e.g. "
                "pd.cut(invoices['amount'], [0, 1000, 10000, np.inf]))."
            )
        name = by.name if by.name is not None else "segment"
        return [str(name)], pd.DataFrame({str(name): by.to_numpy()}, index=invoices.index)
    names = [by] if isinstance(by, str) else list(by)
    missing = [c for c in names if c not in invoices.columns]
    if missing:
        raise SchemaError(
            f"by= names column(s) {missing} that the invoices do not have; they have "
            f"{list(invoices.columns)}. Merge customer attributes in first, e.g. "
            "invoices.merge(customers[['customer_id', 'country']], on='customer_id')."
        )
    return names, invoices[names]


# ------------------------------------------------------------------ dollar events


@dataclass
class _Dollars:
    """Each invoice's dollars (in cents) as event and exit rows on a day axis."""

    ev_inv: np.ndarray  # invoice position of each payment event
    ev_day: np.ndarray  # day past due of the event (0 for payments before due)
    ev_cents: np.ndarray  # cents paid
    ex_inv: np.ndarray  # invoice position of each exit (events, censorings)
    ex_day: np.ndarray  # exit day; -1 means "never" (written-off dollars)
    ex_cents: np.ndarray
    inv_seg: np.ndarray  # segment code of each invoice
    segments: pd.DataFrame  # one row per segment code
    last_day: int  # last day any dollar is observed (event or censoring)


def _dollar_events(invoices, payments, *, as_of, by) -> _Dollars:
    _check_columns(invoices, ("invoice_id", "invoice_date", "due_date", "amount"), "invoices")
    check_one_currency(invoices)
    if payments is not None:
        _check_columns(payments, ("invoice_id", "payment_date", "amount"), "payments")
    _check_unique_ids(invoices)
    by_names, by_frame = _segments(invoices, by)
    as_of = pd.Timestamp(as_of)
    # The invoices' state on the as-of date, as arcalls.invoice_balances defines it;
    # the payments are matched below, by position, so no balances are needed here.
    issued = (invoices["invoice_date"] <= as_of).to_numpy(dtype=bool, na_value=False)
    days_past_due = (as_of - invoices["due_date"]).dt.days.to_numpy(dtype="float64", na_value=-1)
    amount = invoices["amount"].to_numpy(dtype="float64", na_value=np.nan)
    # Only invoices due by the as-of date: a not-yet-due invoice has not been observed
    # through day 0, so its prepayments would bias the day-0 share. Credit notes and
    # zero invoices carry no dollars to recover.
    keep = issued & (days_past_due >= 0) & (amount > 0)
    if "is_credit" in invoices:
        keep &= ~invoices["is_credit"].to_numpy(dtype=bool, na_value=False)
    rows = np.flatnonzero(keep)
    if "written_off_date" in invoices:
        written_off = (invoices["written_off_date"] <= as_of).to_numpy(bool, na_value=False)[rows]
    else:
        written_off = np.zeros(len(rows), dtype=bool)

    if by_frame is not None:
        kept = by_frame.iloc[rows].reset_index(drop=True)
        codes, uniques = pd.MultiIndex.from_frame(kept).factorize(sort=True)
        segments = uniques.to_frame(index=False, name=by_names)
    else:
        codes, segments = np.zeros(len(rows), dtype=np.int64), pd.DataFrame(index=[0])
    amount_c = np.rint(amount[rows] * 100).astype(np.int64)
    due = invoices["due_date"].to_numpy("datetime64[ns]")[rows]

    pays = resolve_payments(invoices, payments)
    pays = pays[(pays["payment_date"] <= as_of) & (pays["amount"] > 0)]
    # Position among the kept invoices (-1: a payment of any other invoice). The extra
    # last slot answers position -1, a payment of no invoice at all.
    kept_at = np.full(len(invoices) + 1, -1, dtype=np.int64)
    kept_at[rows] = np.arange(len(rows))
    pos = kept_at[positions(pays["invoice_id"], invoices["invoice_id"])]
    mine = np.flatnonzero(pos >= 0)
    paid_at = pays["payment_date"].to_numpy("datetime64[ns]")[mine]
    # By invoice, then date; a stable sort keeps the file's order for same-day payments.
    order = np.lexsort((paid_at, pos[mine]))
    inv = pos[mine][order]
    paid_at = paid_at[order]
    cents = np.rint(pays["amount"].to_numpy("float64")[mine][order] * 100).astype(np.int64)
    # Overpayments: only the invoice's own dollars can leave the risk set, so the running
    # total is capped at the amount and each payment keeps what is left under the cap.
    first = np.concatenate(([True], inv[1:] != inv[:-1]))
    # Running totals per invoice by difference; exact even if the grand total wrapped
    # around int64, since each invoice's own total fits.
    running = np.cumsum(cents)
    start = np.maximum.accumulate(np.where(first, np.arange(len(inv)), 0))
    cum = running - (running[start] - cents[start])
    capped = np.minimum(cum, amount_c[inv])
    prev = np.concatenate(([0], capped[:-1]))
    paid_c = capped - np.where(first, 0, prev)
    day = np.maximum((paid_at - due[inv]) // np.timedelta64(1, "D"), 0)
    ev = paid_c > 0
    ev_inv, ev_day, ev_cents = inv[ev], day[ev].astype(np.int64), paid_c[ev]

    paid_total = np.bincount(ev_inv, weights=ev_cents, minlength=len(rows)).astype(np.int64)
    rest = amount_c - paid_total
    has_rest = rest > 0
    censor_day = days_past_due[rows].astype(np.int64)
    # Written-off dollars are losses: known never to come back, so they stay at risk on
    # every later day (exit day -1 = never) rather than being censored.
    rest_day = np.where(written_off, -1, censor_day)
    rest_idx = np.flatnonzero(has_rest)
    observed = np.concatenate((ev_day, censor_day[has_rest & ~written_off]))
    return _Dollars(
        ev_inv=ev_inv,
        ev_day=ev_day,
        ev_cents=ev_cents,
        ex_inv=np.concatenate((ev_inv, rest_idx)),
        ex_day=np.concatenate((ev_day, rest_day[rest_idx])),
        ex_cents=np.concatenate((ev_cents, rest[rest_idx])),
        inv_seg=np.asarray(codes, dtype=np.int64),
        segments=segments,
        last_day=int(observed.max()) if observed.size else 0,
    )


def _km(dol: _Dollars, n_seg: int, n_days: int, inv_weight=None):
    """Dollars at risk, paid, and KM share unpaid on a (segment, day) grid."""
    ev_w = dol.ev_cents if inv_weight is None else dol.ev_cents * inv_weight[dol.ev_inv]
    ex_w = dol.ex_cents if inv_weight is None else dol.ex_cents * inv_weight[dol.ex_inv]
    ev_seg = dol.inv_seg[dol.ev_inv]
    ex_seg = dol.inv_seg[dol.ex_inv]
    inside = dol.ev_day < n_days
    paid = np.bincount(
        ev_seg[inside] * n_days + dol.ev_day[inside],
        weights=ev_w[inside],
        minlength=n_seg * n_days,
    ).reshape(n_seg, n_days)
    total = np.bincount(ex_seg, weights=ex_w, minlength=n_seg)
    # Dollars leave the risk set the day after their exit (an event on day t and a
    # censoring on day t both count as observed, and at risk, on day t).
    leaves = (dol.ex_day >= 0) & (dol.ex_day < n_days - 1)
    left = np.bincount(
        ex_seg[leaves] * n_days + dol.ex_day[leaves] + 1,
        weights=ex_w[leaves],
        minlength=n_seg * n_days,
    ).reshape(n_seg, n_days)
    at_risk = total[:, None] - np.cumsum(left, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, paid / at_risk, 0.0)
    share = np.cumprod(1.0 - hazard, axis=1)
    # Past the last dollar observed, the share is unknown unless nothing was left unpaid.
    share = np.where((at_risk <= 0) & (share > 0), np.nan, share)
    return at_risk, paid, share


def _rates(share: np.ndarray, max_days: int, horizon: int) -> np.ndarray:
    now = share[:, : max_days + 1]
    later = share[:, horizon : horizon + max_days + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(now > 0, 1.0 - later / now, np.nan)


def _invoice_counts(dol: _Dollars, n_seg: int, n_days: int) -> np.ndarray:
    """Invoices with at least one dollar at risk, per (segment, day)."""
    # An invoice stays at risk until its last exit; "never" beats every day.
    last = np.full(len(dol.inv_seg), -2, dtype=np.int64)
    exit_day = np.where(dol.ex_day < 0, np.iinfo(np.int64).max, dol.ex_day)
    np.maximum.at(last, dol.ex_inv, exit_day)
    has = last > -2
    first_gone = np.minimum(last[has], n_days - 1) + 1
    out = np.zeros((n_seg, n_days + 1))
    np.add.at(out, (dol.inv_seg[has], first_gone), 1)
    count = np.bincount(dol.inv_seg[has], minlength=n_seg)
    return count[:, None] - np.cumsum(out[:, :n_days], axis=1)


def recovery_curve(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    max_days: int | None = None,
    by=None,
    ci: float = DEFAULT_CI,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Dollar-weighted Kaplan-Meier recovery curve, one row per day past due.

    Rules: every invoiced dollar of an invoice due on or before ``as_of`` is a subject
    (not-yet-due invoices, credit notes and zero invoices are left out). A payment
    dated ``due_date + d`` (``d >= 0``) is the event for its dollars on day ``d``;
    payments before the due date count on day 0; overpayments are capped at the
    invoice amount. Dollars still open on ``as_of`` are censored on day
    ``as_of - due_date`` (observed, and at risk, through that day). Written-off dollars
    are losses: they stay in the risk set on every later day and are never paid.
    Payments and write-offs dated after ``as_of`` are unknown and ignored.

    Parameters
    ----------
    invoices, payments : DataFrame
        Canonical tables; without ``payments`` the invoices' own ``paid_date`` and
        ``amount_paid`` are the payments.
    as_of : date-like
        What was known on this date is used, nothing later.
    horizon_days : int, default 365
        ``recovery_rate`` counts dollars collected within this many days.
    max_days : int, optional
        Last day of the curve; default the last day on which any dollar was observed.
    by : str, list of str or Series, optional
        Invoice column(s), or a Series aligned with ``invoices``, giving one curve per
        segment (customer, size band, country ...); the columns lead the result.
    ci : float, default 0.95
        Confidence level of ``ci_low``/``ci_high``.
    n_boot : int, default 200
        Bootstrap replicates; 0 skips the band (NaN).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        ``days_past_due``; ``dollars_at_risk`` (unpaid at the start of day d and still
        observed), ``invoices_at_risk``, ``dollars_paid`` (on day d); ``share_unpaid``
        S(d), the KM share of invoiced dollars still unpaid after day d;
        ``recovery_rate`` ``1 - S(d + H) / S(d)``, the share of dollars unpaid at d
        collected within H days (NaN where S(d) is 0 or S(d + H) is beyond the data);
        ``ci_low``, ``ci_high``: percentile bootstrap band of ``recovery_rate``
        resampling invoices (the honest unit: a dollar-count interval would be absurdly
        narrow); ``unpaid_days``: expected days within the horizon that a dollar
        unpaid at d stays unpaid (how long calls go on). ``attrs`` holds ``as_of``,
        ``horizon_days``, ``ci`` and ``by``.

    Raises
    ------
    SchemaError
        When a needed column is missing.
    InputError
        On duplicate invoice ids or a misaligned ``by`` Series.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["a", "b"], dtype="string"),
    ...     "customer_id": pd.array(["c", "c"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    ...     "due_date": pd.to_datetime(["2024-01-31", "2024-01-31"]),
    ...     "amount": [100.0, 300.0],
    ...     "paid_date": pd.to_datetime(["2024-02-10", None]),
    ... })
    >>> curve = recovery_curve(inv, as_of="2024-03-01", horizon_days=30, n_boot=0)
    >>> curve.loc[[0, 10], ["days_past_due", "dollars_at_risk", "share_unpaid"]]
        days_past_due  dollars_at_risk  share_unpaid
    0               0            400.0          1.00
    10             10            400.0          0.75
    >>> float(curve.loc[0, "recovery_rate"])
    0.25
    """
    as_of = pd.Timestamp(as_of)
    horizon = _check_positive_int(horizon_days, "horizon_days")
    level = _check_ci(ci)
    n_boot = _check_positive_int(n_boot, "n_boot", allow_zero=True)
    dol = _dollar_events(invoices, payments, as_of=as_of, by=by)
    max_d = (
        dol.last_day
        if max_days is None
        else _check_positive_int(max_days, "max_days", allow_zero=True)
    )
    n_seg = len(dol.segments)
    n_days = max_d + horizon + 1
    at_risk, paid, share = _km(dol, n_seg, n_days)
    rate = _rates(share, max_d, horizon)
    # Days unpaid within the horizon, per dollar unpaid at d: the time calls go on.
    running = np.cumsum(share, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        unpaid_days = np.where(
            share[:, : max_d + 1] > 0,
            (running[:, horizon : horizon + max_d + 1] - running[:, : max_d + 1])
            / share[:, : max_d + 1],
            np.nan,
        )
    low, high = _bootstrap_band(dol, n_seg, n_days, max_d, horizon, level, n_boot, seed)
    days = np.arange(max_d + 1)
    span = slice(0, max_d + 1)
    out = pd.DataFrame(
        {
            "days_past_due": np.tile(days, n_seg),
            "dollars_at_risk": round_money(at_risk[:, span].ravel() / 100),
            "invoices_at_risk": _invoice_counts(dol, n_seg, max_d + 1).ravel().astype(np.int64),
            "dollars_paid": round_money(paid[:, span].ravel() / 100),
            "share_unpaid": share[:, span].ravel(),
            "recovery_rate": rate.ravel(),
            "ci_low": low.ravel(),
            "ci_high": high.ravel(),
            "unpaid_days": unpaid_days.ravel(),
        }
    )
    by_names = list(dol.segments.columns) if by is not None else []
    if by_names:
        lead = dol.segments.loc[np.repeat(np.arange(n_seg), max_d + 1)].reset_index(drop=True)
        out = pd.concat([lead, out], axis=1)
    out.attrs.update({"as_of": as_of, "horizon_days": horizon, "ci": level, "by": by_names or None})
    return out


def _bootstrap_band(dol, n_seg, n_days, max_d, horizon, level, n_boot, seed):
    shape = (n_seg, max_d + 1)
    if n_boot == 0 or len(dol.inv_seg) == 0:
        return np.full(shape, np.nan), np.full(shape, np.nan)
    rng = np.random.default_rng(seed)
    # Replicates are kept in float32 and, for many segments, in several passes, so the
    # memory stays bounded whatever the number of segments.
    per_pass = max(1, _BOOT_CELLS // max(1, n_seg * (max_d + 1)))
    reps = []
    for start in range(0, n_boot, per_pass):
        stop = min(n_boot, start + per_pass)
        block = np.empty((stop - start, *shape), dtype=np.float32)
        for b in range(stop - start):
            # Poisson(1) weights resample invoices (all of an invoice's dollars move
            # together), the cheap equivalent of drawing invoices with replacement.
            w = rng.poisson(1.0, size=len(dol.inv_seg)).astype(np.float64)
            _, _, share = _km(dol, n_seg, n_days, inv_weight=w)
            block[b] = _rates(share, max_d, horizon)
        reps.append(block)
    stack = np.concatenate(reps)
    alpha = (1 - level) / 2
    with warnings.catch_warnings():
        # Days where no replicate has dollars left give an all-NaN slice: NaN is right.
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanquantile(stack, [alpha, 1 - alpha], axis=0)
    return low.astype(np.float64), high.astype(np.float64)


# ----------------------------------------------------------------- cohort table


def recovery_cohorts(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
    cohort_dates=None,
    windows: Sequence[int] = DEFAULT_COHORT_WINDOWS,
    bucket_edges: Sequence[int] = DEFAULT_BUCKET_EDGES,
) -> pd.DataFrame:
    """Plain cohort table: dollars open per aging bucket, and how much came back.

    For each cohort date (a past as-of date), the open balance of every invoice on that
    date (from payments known then) is put in its aging bucket; ``collected_<w>`` is
    what those invoices received in the ``w`` days after the cohort date (payments
    dated after the cohort date and no later than ``as_of``, capped at the open
    balance). A window that ends after ``as_of`` is not complete and is left NaN.

    Parameters
    ----------
    invoices, payments : DataFrame
        Canonical tables.
    as_of : date-like
        The present: nothing later is used.
    cohort_dates : list of date-like, optional
        Default: every quarter end before ``as_of``.
    windows : sequence of int, default (30, 90, 180, 365)
        Collection windows in days.
    bucket_edges : sequence of int, default (0, 30, 60, 90, 120)
        Upper edges of the buckets Current, 1-30, 31-60, 61-90, 91-120, 120+.

    Returns
    -------
    DataFrame
        ``cohort_date``, ``bucket`` (ordered categorical), ``invoices``, ``dollars``,
        then ``collected_<w>`` and ``share_<w>`` per window.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["a", "b"], dtype="string"),
    ...     "customer_id": pd.array(["c", "c"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    ...     "due_date": pd.to_datetime(["2024-01-31", "2024-01-31"]),
    ...     "amount": [100.0, 300.0],
    ...     "paid_date": pd.to_datetime(["2024-03-20", None]),
    ... })
    >>> t = recovery_cohorts(inv, as_of="2024-06-30", cohort_dates=["2024-03-15"],
    ...                      windows=(30, 180))
    >>> t.loc[t["dollars"] > 0, ["bucket", "dollars", "collected_30", "collected_180"]]
      bucket  dollars  collected_30  collected_180
    2  31-60    400.0         100.0            NaN
    """
    as_of = pd.Timestamp(as_of)
    windows = [_check_positive_int(w, "each window") for w in windows]
    edges = list(bucket_edges)
    if len(edges) != len(_BUCKET_LABELS) - 1 or sorted(edges) != edges:
        raise ArcallsError(
            f"bucket_edges must be {len(_BUCKET_LABELS) - 1} increasing upper edges "
            f"(default {DEFAULT_BUCKET_EDGES}), got {tuple(edges)}."
        )
    _check_columns(invoices, ("invoice_id", "invoice_date", "due_date", "amount"), "invoices")
    check_one_currency(invoices)
    if cohort_dates is None:
        start = invoices["invoice_date"].min()
        # No invoices, no cohort: the check below then says so instead of date_range failing.
        cohort_dates = (
            pd.date_range(start, as_of, freq="QE") if pd.notna(start) else pd.DatetimeIndex([])
        )
        cohort_dates = cohort_dates[cohort_dates < as_of]
    dates = pd.DatetimeIndex(pd.to_datetime(list(cohort_dates))).normalize()
    late = dates[dates > as_of]
    if len(late):
        raise ArcallsError(
            f"cohort dates must be on or before as_of ({as_of.date()}), got {late[0].date()}."
        )
    pays = resolve_payments(invoices, payments)
    pays = pays[(pays["payment_date"] <= as_of) & (pays["amount"] > 0)]
    labels = pd.CategoricalDtype(list(_BUCKET_LABELS), ordered=True)
    tables = []
    # One pass per cohort date: a handful of dates, each fully vectorised.
    for date in dates:
        bal = invoice_balances(invoices, pays, as_of=date)
        bal = bal[bal["open_amount"] > 0]
        bucket = pd.cut(
            bal["days_past_due"], [-np.inf, *edges, np.inf], labels=list(_BUCKET_LABELS)
        ).astype(labels)
        later = pays[pays["payment_date"] > date]
        later = later[later["invoice_id"].isin(bal["invoice_id"])]
        after_days = (later["payment_date"] - date).dt.days
        frame = pd.DataFrame(
            {"bucket": bucket.array, "dollars": bal["open_amount"].to_numpy()}
        ).assign(invoices=1)
        for w in windows:
            got = later[after_days <= w].groupby("invoice_id")["amount"].sum()
            received = bal["invoice_id"].map(got).astype("float64").fillna(0.0)
            frame[f"collected_{w}"] = np.minimum(received.to_numpy(), frame["dollars"])
        agg = frame.groupby("bucket", observed=False).sum().reset_index()
        for w in windows:
            col = f"collected_{w}"
            complete = date + pd.Timedelta(days=w) <= as_of
            agg[col] = round_money(agg[col]) if complete else np.nan
            with np.errstate(divide="ignore", invalid="ignore"):
                agg[f"share_{w}"] = np.where(agg["dollars"] > 0, agg[col] / agg["dollars"], np.nan)
        agg.insert(0, "cohort_date", date)
        tables.append(agg)
    if not tables:
        raise ArcallsError(
            f"No cohort date before as_of {as_of.date()}: pass cohort_dates=[...] with "
            "dates inside your history."
        )
    out = pd.concat(tables, ignore_index=True)
    out["dollars"] = round_money(out["dollars"])
    out["invoices"] = out["invoices"].astype("int64")
    order = ["cohort_date", "bucket", "invoices", "dollars"]
    order += [f"collected_{w}" for w in windows] + [f"share_{w}" for w in windows]
    return out[order]


# --------------------------------------------------------------------- handoff


def benchmark_collectability(days) -> np.ndarray:
    """Industry collectability at each age (days past due), from the survey points.

    Linear between the points of :data:`BENCHMARK_COLLECTABILITY`, flat beyond them.

    Examples
    --------
    >>> benchmark_collectability([0, 45, 1000]).round(3).tolist()
    [0.95, 0.855, 0.1]
    """
    x, y = zip(*BENCHMARK_COLLECTABILITY, strict=True)
    return np.interp(np.asarray(days, dtype=float), x, y)


def _schedule(value, name: str) -> Callable[[np.ndarray], np.ndarray]:
    """A share by age from a constant, a {first_day: share} schedule, or a callable."""
    if callable(value):
        return lambda d: np.asarray(value(np.asarray(d)), dtype=float)
    if isinstance(value, int | float) and not isinstance(value, bool):
        share = _check_share(value, name)
        return lambda d: np.full(np.shape(d), share)
    pairs = sorted(value.items() if isinstance(value, Mapping) else value)
    if not pairs or pairs[0][0] > 0:
        raise ArcallsError(
            f"{name} as a schedule must map the first day past due of each band to a "
            f"share, starting at day 0, e.g. {{0: 0.2, 121: 0.3, 366: 0.45}}; got {value!r}."
        )
    starts = np.array([p[0] for p in pairs], dtype=float)
    shares = np.array([_check_share(p[1], name) for p in pairs])
    return lambda d: shares[np.searchsorted(starts, np.asarray(d, dtype=float), "right") - 1]


def _anchored_benchmark(curve: pd.DataFrame) -> Callable[[np.ndarray], np.ndarray]:
    """The industry collectability profile, scaled to the owner's own book.

    An agency works the same customers: it cannot make a business whose invoices are
    30 % uncollectable at the due date collect like the industry average. So the
    benchmark's shape by age is kept and its level is set by the owner's own recovery
    rate on the first day the curve has one (times :data:`DEFAULT_AGENCY_SKILL`).
    """
    known = curve.dropna(subset=["recovery_rate"])
    if known.empty:
        anchor = 1.0
    else:
        first = known.iloc[0]
        anchor = float(first["recovery_rate"]) / float(
            benchmark_collectability(first["days_past_due"])
        )
    scale = DEFAULT_AGENCY_SKILL * anchor
    return lambda d: np.minimum(scale * benchmark_collectability(d), 1.0)


@dataclass
class HandoffAnalysis:
    """In-house versus agency, per age; ``table`` holds the numbers, see
    :func:`handoff_analysis`."""

    table: pd.DataFrame
    handoff_age: int | None
    params: dict = field(default_factory=dict)
    _fee: Callable = field(default=None, repr=False)
    _agency: Callable = field(default=None, repr=False)

    @property
    def summary(self) -> str:
        if self.handoff_age is None:
            return "Keeping accounts in-house wins at every age the history covers."
        row = self.table.loc[self.table["days_past_due"] == self.handoff_age].iloc[0]
        return (
            f"Hand accounts to an agency from {self.handoff_age} days past due: there an "
            f"agency nets {row['agency_net']:.1%} of the balance against "
            f"{row['inhouse_net']:.1%} in-house."
        )

    def _repr_html_(self) -> str:
        return f"<p>{self.summary}</p>" + self.table.head(20).to_html(index=False)


def handoff_analysis(
    curve: pd.DataFrame,
    *,
    agency_fee=DEFAULT_FEE_SCHEDULE,
    agency_recovery=None,
    cost_per_call: float = DEFAULT_COST_PER_CALL,
    calls_per_month: float = DEFAULT_CALLS_PER_MONTH,
    reference_balance: float = DEFAULT_REFERENCE_BALANCE,
    small_balance: float = DEFAULT_SMALL_BALANCE,
    small_balance_fee: float = DEFAULT_SMALL_BALANCE_FEE,
    horizon_days: int | None = None,
    min_placement_age: int = DEFAULT_MIN_PLACEMENT_AGE,
    stable_days: int = DEFAULT_STABLE_DAYS,
) -> HandoffAnalysis:
    """Expected net dollars per dollar owed, in-house against an agency, per age.

    In-house at age ``d``: the owner's own ``recovery_rate(d)`` (share collected within
    the horizon) minus the calls, ``cost_per_call * calls_per_month * months / balance``
    where ``months`` is the curve's ``unpaid_days / 30.44`` (calls stop once the
    account pays), or the whole horizon when the curve has no ``unpaid_days``.
    Agency: ``agency_recovery(d) * (1 - fee(d))``, where by default the agency collects
    the industry collectability of an account that age (:func:`benchmark_collectability`)
    scaled to the owner's own book (times ``recovery_rate / benchmark`` on the curve's
    first day, and :data:`DEFAULT_AGENCY_SKILL`: an agency works the same customers,
    it cannot turn a weak book into an average one), and the fee
    follows :data:`DEFAULT_FEE_SCHEDULE` (small balances pay ``small_balance_fee``).
    The recommended handoff age is the first age, from ``min_placement_age`` on, at
    which placing nets more and keeps netting more for ``stable_days`` days of the
    curve (or to its end).

    Parameters
    ----------
    curve : DataFrame
        A single curve from :func:`recovery_curve` (select one segment first).
    agency_fee : float, mapping or callable, default DEFAULT_FEE_SCHEDULE
        Contingency fee: a constant, a ``{first_day: fee}`` schedule, or ``f(days)``.
    agency_recovery : float, mapping or callable, optional
        Share of placed dollars the agency collects, by age (same forms); default the
        benchmark collectability scaled to the owner's recovery on the curve's first day.
    cost_per_call, calls_per_month : float
        Cost of chasing in-house ($5 a call, 4 calls a month by default).
    reference_balance : float, default 1000
        Balance at which the per-dollar call cost is taken.
    small_balance, small_balance_fee : float
        Balances below ``small_balance`` pay ``small_balance_fee`` at any age.
    horizon_days : int, optional
        Months of calls; default the curve's own horizon (``curve.attrs``).
    min_placement_age : int, default 60
        No handoff is recommended before this age (agencies take accounts from here).
    stable_days : int, default 30
        Placing must win on every day of the curve in ``[d, d + stable_days)``.

    Returns
    -------
    HandoffAnalysis
        ``.table`` (``days_past_due``, ``recovery_rate``, ``call_months``, ``call_cost``,
        ``inhouse_net``, ``agency_recovery``, ``agency_fee``, ``agency_net``,
        ``placing_gain``), ``.handoff_age`` (int, or None when in-house always wins),
        ``.summary``.

    Examples
    --------
    >>> curve = pd.DataFrame({"days_past_due": [0, 30, 60],
    ...                       "recovery_rate": [0.95, 0.60, 0.30]})
    >>> a = handoff_analysis(curve, horizon_days=365, calls_per_month=1)
    >>> a.handoff_age
    60
    >>> handoff_analysis(curve, horizon_days=365, calls_per_month=1,
    ...                  min_placement_age=0, stable_days=0).handoff_age
    30
    >>> a.table["agency_net"].round(3).tolist()
    [0.76, 0.72, 0.648]
    """
    _check_columns(curve, ("days_past_due", "recovery_rate"), "curve")
    by = curve.attrs.get("by")
    if by:
        raise InputError(
            f"handoff_analysis needs a single curve, got one per {by}. Select a segment "
            f"first, e.g. curve[curve[{by[0]!r}] == value], or rebuild it without by=."
        )
    horizon = horizon_days if horizon_days is not None else curve.attrs.get("horizon_days")
    if horizon is None:
        raise ArcallsError(
            "The curve does not say its horizon (curve.attrs['horizon_days']); pass "
            "horizon_days= with the horizon used for its recovery_rate."
        )
    horizon = _check_positive_int(horizon, "horizon_days")
    for name, value in (("cost_per_call", cost_per_call), ("calls_per_month", calls_per_month)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ArcallsError(f"{name} must be a number >= 0, got {value!r}.")
    if not isinstance(reference_balance, int | float) or reference_balance <= 0:
        raise ArcallsError(f"reference_balance must be > 0 dollars, got {reference_balance!r}.")
    fee_by_age = _schedule(agency_fee, "agency_fee")
    small_fee = _check_share(small_balance_fee, "small_balance_fee")

    def fee(days, balance):
        return np.where(np.asarray(balance) < small_balance, small_fee, fee_by_age(days))

    if agency_recovery is None:
        agency = _anchored_benchmark(curve)
    else:
        agency = _schedule(agency_recovery, "agency_recovery")
    days = curve["days_past_due"].to_numpy()
    rate = curve["recovery_rate"].to_numpy(dtype=float)
    # Calls stop when the account pays: with the curve's unpaid_days the months of
    # calls are the expected months unpaid; without it, the whole horizon.
    if "unpaid_days" in curve:
        months = curve["unpaid_days"].to_numpy(dtype=float) / DAYS_PER_MONTH
    else:
        months = np.full(len(days), horizon / DAYS_PER_MONTH)
    account_cost = cost_per_call * calls_per_month * months
    inhouse = rate - account_cost / reference_balance
    agency_rec = agency(days)
    fees = fee(days, np.full(len(days), float(reference_balance)))
    agency_net = agency_rec * (1 - fees)
    table = pd.DataFrame(
        {
            "days_past_due": days,
            "recovery_rate": rate,
            "call_months": months,
            "call_cost": account_cost / reference_balance,
            "inhouse_net": inhouse,
            "agency_recovery": agency_rec,
            "agency_fee": fees,
            "agency_net": agency_net,
            "placing_gain": agency_net - inhouse,
        }
    )
    min_age = _check_positive_int(min_placement_age, "min_placement_age", allow_zero=True)
    stable = _check_positive_int(stable_days, "stable_days", allow_zero=True)
    wins = table["placing_gain"].to_numpy() > 0
    # Last day of each run of wins, read from the end: a day qualifies when placing wins
    # from it through `stable` days later (or through the end of the curve).
    next_loss = np.where(~wins, days, np.iinfo(np.int64).max)
    next_loss = np.minimum.accumulate(next_loss[::-1])[::-1]
    qualifies = wins & (days >= min_age) & (next_loss >= days + stable)
    handoff = int(days[np.argmax(qualifies)]) if qualifies.any() else None
    params = {
        "horizon_days": horizon,
        "cost_per_call": cost_per_call,
        "calls_per_month": calls_per_month,
        "reference_balance": reference_balance,
        "min_placement_age": min_age,
        "stable_days": stable,
    }
    return HandoffAnalysis(table, handoff, params, _fee=fee, _agency=agency)


def accounts_to_hand_off(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    *,
    as_of,
    analysis: HandoffAnalysis,
) -> pd.DataFrame:
    """Customers with open invoices past the handoff age, and what placing them gains.

    Counted: open, not written-off, not disputed invoices (a disputed debt is settled,
    not placed) at least ``analysis.handoff_age`` days past due on ``as_of``; customers
    already placed with an agency by then are left out. Per customer, in-house expects
    ``sum(balance * recovery_rate(age)) - calls`` (calls per account, as in the
    analysis) and the agency ``sum(balance * agency_recovery(age) * (1 - fee))`` with
    the fee of the customer's balance; ages beyond the curve use its last known rate.

    Parameters
    ----------
    invoices, payments, customers : DataFrame
        Canonical tables (``payments`` and ``customers`` may be None).
    as_of : date-like
        Balances on this date.
    analysis : HandoffAnalysis
        From :func:`handoff_analysis`.

    Returns
    -------
    DataFrame
        ``customer_id``, ``customer_name`` (when known), ``invoices``, ``balance``,
        ``oldest_days_past_due``, ``expected_inhouse``, ``expected_agency``,
        ``expected_gain`` (dollars; placing minus keeping), largest gain first. Empty
        when in-house wins at every age.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["a", "b"], dtype="string"),
    ...     "customer_id": pd.array(["c1", "c2"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2024-04-16", "2024-05-11"]),
    ...     "due_date": pd.to_datetime(["2024-05-16", "2024-06-10"]),
    ...     "amount": [2000.0, 900.0],
    ... })
    >>> curve = pd.DataFrame({"days_past_due": [0, 30, 60],
    ...                       "recovery_rate": [0.95, 0.60, 0.30]})
    >>> a = handoff_analysis(curve, horizon_days=365, calls_per_month=1)
    >>> accounts_to_hand_off(inv, None, None, as_of="2024-07-20", analysis=a)[
    ...     ["customer_id", "balance", "expected_gain"]]
      customer_id  balance  expected_gain
    0          c1   2000.0         726.63
    """
    if not isinstance(analysis, HandoffAnalysis):
        raise ArcallsError(
            f"analysis must come from arcalls.handoff_analysis(curve), got "
            f"{type(analysis).__name__}."
        )
    columns = [
        "customer_id",
        "invoices",
        "balance",
        "oldest_days_past_due",
        "expected_inhouse",
        "expected_agency",
        "expected_gain",
    ]
    _check_columns(invoices, ("invoice_id", "customer_id", "due_date", "amount"), "invoices")
    check_one_currency(invoices)
    as_of = pd.Timestamp(as_of)
    bal = invoice_balances(invoices, payments, as_of=as_of)
    keep = (bal["open_amount"] > 0) & ~bal["written_off"]
    if "disputed" in bal:
        keep &= ~bal["disputed"].astype(bool)
    if analysis.handoff_age is None:
        keep &= False
    else:
        keep &= bal["days_past_due"] >= analysis.handoff_age
    if customers is not None and "placed_with_agency_date" in customers:
        placed = customers.loc[customers["placed_with_agency_date"] <= as_of, "customer_id"]
        keep &= ~bal["customer_id"].isin(placed)
    bal = bal[keep]
    if bal.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}).astype(
            {"customer_id": dtype_of("id"), "invoices": "int64", "oldest_days_past_due": "int64"}
        )
    table = analysis.table.dropna(subset=["recovery_rate"])
    ages = bal["days_past_due"].to_numpy()
    # The last age the history covers stands for every older one.
    pos = np.clip(np.searchsorted(table["days_past_due"].to_numpy(), ages, "right") - 1, 0, None)
    rate = table["recovery_rate"].to_numpy()[pos]
    customer_balance = bal.groupby("customer_id", observed=True)["open_amount"].transform("sum")
    fee = analysis._fee(ages, customer_balance.to_numpy())
    per_invoice = pd.DataFrame(
        {
            "customer_id": bal["customer_id"].to_numpy(),
            "invoices": 1,
            "balance": bal["open_amount"].to_numpy(),
            "oldest_days_past_due": ages,
            "expected_inhouse": bal["open_amount"].to_numpy() * rate,
            "expected_agency": bal["open_amount"].to_numpy() * analysis._agency(ages) * (1 - fee),
        }
    )
    out = per_invoice.groupby("customer_id", observed=True, sort=False).agg(
        invoices=("invoices", "sum"),
        balance=("balance", "sum"),
        oldest_days_past_due=("oldest_days_past_due", "max"),
        expected_inhouse=("expected_inhouse", "sum"),
        expected_agency=("expected_agency", "sum"),
    )
    # Calls are per account: as long as its oldest invoice is expected to stay unpaid.
    months = table["call_months"].to_numpy()[pos]
    per_invoice["call_months"] = months
    oldest = per_invoice.groupby("customer_id", observed=True, sort=False)["call_months"].max()
    p = analysis.params
    out["expected_inhouse"] -= p["cost_per_call"] * p["calls_per_month"] * oldest
    out["expected_gain"] = out["expected_agency"] - out["expected_inhouse"]
    money = ["balance", "expected_inhouse", "expected_agency", "expected_gain"]
    out[money] = round_money(out[money])
    out = out.reset_index().sort_values("expected_gain", ascending=False, kind="stable")
    if customers is not None and "customer_name" in customers:
        names = customers.drop_duplicates("customer_id").set_index("customer_id")
        out.insert(1, "customer_name", out["customer_id"].map(names["customer_name"]))
    return out.reset_index(drop=True)
