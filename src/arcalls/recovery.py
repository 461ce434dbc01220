"""Recovery rate against days past due, and when to hand an account to an agency.

The curve is a dollar-weighted Kaplan-Meier estimate built from the owner's own
invoices and payments: every dollar invoiced is a subject, a payment is the event for
the dollars it pays, dollars still open on the as-of date are censored (their fate is
unknown, not lost) and written-off dollars are losses that never leave the risk set.

Why not ``lifelines.KaplanMeierFitter(weights=...)``: its point estimate is the same
as ours (a test cross-checks it), but its Greenwood interval counts every unit of weight
as a subject, so with dollar weights a $50,000 invoice counts as 50,000 independent
customers and the band is absurdly narrow (lifelines warns about non-integer weights
for this reason; see lifelines issue #396). The honest unit is the customer, so the band
comes from a bootstrap that resamples customers (Poisson weights, fixed seed):
resampling invoices would treat one customer's invoices as independent and make the band
too narrow. Fitting lifelines once per segment and per bootstrap replicate would also be
far too slow for a million invoices; here every curve is a few ``np.bincount`` and
cumulative products over a day grid.

Industry benchmarks (documented defaults, every one overridable), as commonly published
from commercial collection agency surveys (e.g. the Commercial Collection Agency
Association and US Department of Commerce figures reproduced by most agencies):

- collectability of a receivable by age past due: ~95 % at due, 90 % at 30 days,
  81 % at 60, ~70 % at 90, ~52 % at 6 months, ~25 % at 1 year, ~10 % at 2 years
  (:data:`BENCHMARK_COLLECTABILITY`);
- agency contingency fees rise with age and fall with size: ~20 % for accounts placed
  within 60-120 days, ~30 % up to a year, 40-50 % for older or small balances
  (:data:`DEFAULT_FEE_SCHEDULE`, :data:`DEFAULT_SMALL_BALANCE_FEE`).

The handoff model (:func:`recommend_handoff`): placing an account nets the owner's own
expected recovery from its age on x an agency effectiveness factor x (1 - fee by age and
size); keeping it nets the same recovery minus the calls. The factor is measured on the
owner's own placed accounts (:func:`agency_factor`), else :data:`DEFAULT_AGENCY_FACTOR`.
The survey curve is a benchmark overlay only: it measures the same thing as the owner's
own curve, not an agency's advantage.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._checks import check_columns, check_one_currency
from ._keys import contains, positions, sort_stable
from .book import _is_sorted, book_for
from .errors import ArcallsError, InputError, SchemaError
from .ledger import invoice_balances, known_by, resolve_payments
from .schema import dtype_of, round_money

__all__ = [
    "BENCHMARK_COLLECTABILITY",
    "DEFAULT_AGENCY_FACTOR",
    "DEFAULT_FEE_SCHEDULE",
    "AgencyFactor",
    "HandoffAnalysis",
    "account_handoff_gains",
    "accounts_to_hand_off",
    "agency_factor",
    "handoff_sensitivity",
    "recommend_handoff",
    "benchmark_collectability",
    "handoff_analysis",
    "recovery_cohorts",
    "recovery_curve",
]

#: Horizon H (days) of the recovery rate: share of unpaid dollars collected within H.
DEFAULT_HORIZON_DAYS = 365
#: Confidence level of the recovery-rate band.
DEFAULT_CI = 0.95
#: Bootstrap replicates (customers resampled) behind the band; 200 keeps the 2.5 % and
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
#: surveys, as commonly published): a benchmark overlay on the recovery chart only; it
#: measures the same thing as the owner's own curve, not an agency's advantage. Linear
#: between points, flat beyond the last.
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
#: The agency's recovery on a placed account as a multiple of the owner's own expected
#: recovery from that age on, when the owner's history cannot measure it: 1.0, the agency
#: collects what the owner would have (see :data:`DEFAULT_AGENCY_FACTOR_SOURCE`).
DEFAULT_AGENCY_FACTOR = 1.0
#: Why the default is 1.0, said wherever the default is used.
DEFAULT_AGENCY_FACTOR_SOURCE = (
    "default 1.0: no published figure measures an agency's edge over the owner on the "
    "same accounts; the collectability-by-age surveys (DESIGN.md, Documented defaults) "
    "measure the chance a dollar of that age is collected by anyone, the same thing as "
    "your own recovery curve, so they are a benchmark, not the agency's advantage. Pass "
    "agency_factor= with a figure from your agency's results"
)
#: A handoff age is only decided where at least this many customers still have dollars
#: at risk (unpaid, observed, not written off): below it a handful of customers decides
#: the curve, and the resamples' percentiles say little (30: the usual small-sample rule).
DEFAULT_MIN_CUSTOMERS_AT_RISK = 30
#: Placed customers needed to measure the agency factor from the owner's own history.
DEFAULT_MIN_PLACED_CUSTOMERS = 10
#: Age (days past due) on the placement date from which a placed invoice counts in the
#: factor (see ``_placed_dollars``).
PLACED_MIN_AGE = 60
#: Days after placement a placed invoice must have been followed to count in the factor.
MIN_PLACEMENT_FOLLOW_DAYS = 30
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
    inv_cust: np.ndarray  # customer code of each invoice (the bootstrap's unit)
    n_cust: int
    rows: np.ndarray  # position in the invoice table of each kept invoice
    last_day: int  # last day any dollar is observed (event or censoring)


@dataclass
class _Paid:
    """The payments known by the as-of date with a positive amount, as arrays: the one
    selection that the in-house curve and the placed dollars both read."""

    inv: np.ndarray  # invoice position (row of the invoices; -1: no listed invoice)
    at: np.ndarray  # payment date, datetime64[ns]
    amount: np.ndarray  # dollars, float64


def _known_payments(invoices, payments, *, as_of, book=None) -> _Paid:
    """The tables checked, then the payments known by ``as_of`` (``ledger.known_by``)
    with a positive amount, each with its invoice position. With the run's ``book`` (of
    these invoices and payments) its columns and payment positions are read: no id is
    hashed again and no table is copied."""
    _check_columns(invoices, ("invoice_id", "invoice_date", "due_date", "amount"), "invoices")
    check_one_currency(invoices)
    if payments is not None:
        _check_columns(payments, ("invoice_id", "payment_date", "amount"), "payments")
    if book is None:
        _check_unique_ids(invoices)
        pays = resolve_payments(invoices, payments)
        at = pays["payment_date"].to_numpy("datetime64[ns]")
        amount = pays["amount"].to_numpy("float64", na_value=np.nan)
    else:
        at, amount = book.pay_at, book.pay_amount
    known = known_by(at, as_of) & (amount > 0)
    # Usually every payment is known by the as-of date: then nothing is copied.
    keep = slice(None) if known.all() else np.flatnonzero(known)
    if book is None:
        inv = positions(pays["invoice_id"].iloc[keep], invoices["invoice_id"])
    else:
        inv = book.pay_positions[keep]
    return _Paid(inv=inv, at=at[keep], amount=amount[keep])


def _dollar_events(invoices, paid: _Paid, *, as_of, by, stop=None, book=None) -> _Dollars:
    """The dollar events of ``paid`` (from :func:`_known_payments`); ``stop`` (per
    invoice, NaT = none) censors an invoice earlier than ``as_of``: nothing after its
    stop date is used (e.g. its placement with an agency, for the owner's in-house
    curve). With the run's ``book`` its customer codes are the ones every other analysis
    of the run reads."""
    by_names, by_frame = _segments(invoices, by)
    as_of = pd.Timestamp(as_of)
    # Each invoice's own end of observation: the as-of date, or its earlier stop date.
    cutoff = np.full(len(invoices), as_of.to_datetime64(), dtype="datetime64[ns]")
    if stop is not None:
        stop = np.asarray(stop, dtype="datetime64[ns]")
        cutoff = np.where(~np.isnat(stop) & (stop < cutoff), stop, cutoff)
    # The invoices' state on the as-of date by the rule of arcalls.invoice_balances
    # (ledger.known_by: issued, paid and written off from each one's own date on); the
    # payments are matched below, by position, so no balances are needed here.
    issued = known_by(invoices["invoice_date"], as_of)
    due_all = invoices["due_date"].to_numpy("datetime64[ns]")
    days_past_due = np.where(
        np.isnat(due_all), -1.0, ((cutoff - due_all) // np.timedelta64(1, "D")).astype(float)
    )
    amount = invoices["amount"].to_numpy(dtype="float64", na_value=np.nan)
    # Only invoices due by the as-of date: a not-yet-due invoice has not been observed
    # through day 0, so its prepayments would bias the day-0 share. Credit notes and
    # zero invoices carry no dollars to recover.
    keep = issued & (days_past_due >= 0) & (amount > 0)
    if "is_credit" in invoices:
        keep &= ~invoices["is_credit"].to_numpy(dtype=bool, na_value=False)
    rows = np.flatnonzero(keep)
    if "written_off_date" in invoices:
        written_off = known_by(invoices["written_off_date"], cutoff)[rows]
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

    # Position among the kept invoices (-1: a payment of any other invoice). The extra
    # last slot answers position -1, a payment of no invoice at all.
    kept_at = np.full(len(invoices) + 1, -1, dtype=np.int64)
    kept_at[rows] = np.arange(len(rows))
    pos = kept_at[paid.inv]
    # A payment after its invoice's cutoff (its stop date) is unknown to this curve; the
    # cutoff of position -1 is NaT, so one comparison also drops the other invoices'.
    mine = np.flatnonzero(paid.at <= np.append(cutoff[rows], np.datetime64("NaT"))[pos])
    pos, paid_at = pos[mine], paid.at[mine]
    # By invoice, then date; a stable sort keeps the file's order for same-day payments.
    # Payments usually come in date order: then one stable sort by invoice is the same.
    if _is_sorted(paid_at):
        order = sort_stable(pos)[0]
    else:
        order = np.lexsort((paid_at, pos))
    inv = pos[order]
    paid_at = paid_at[order]
    cents = np.rint(paid.amount[mine[order]] * 100).astype(np.int64)
    # Overpayments: only the invoice's own dollars can leave the risk set, so the running
    # total is capped at the amount and each payment keeps what is left under the cap.
    # Each invoice's first payment (none when there is no payment at all).
    first = np.ones(len(inv), dtype=bool)
    first[1:] = inv[1:] != inv[:-1]
    # Running totals per invoice by difference; exact even if the grand total wrapped
    # around int64, since each invoice's own total fits.
    running = np.cumsum(cents)
    start = np.maximum.accumulate(np.where(first, np.arange(len(inv)), 0))
    cum = running - (running[start] - cents[start])
    capped = np.minimum(cum, amount_c[inv])
    paid_c = np.diff(capped, prepend=0)
    paid_c[first] = capped[first]
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
    if "customer_id" in invoices and book is not None:
        # The book's codes, renumbered in order of first appearance (the bootstrap's
        # draws are by code, so the order is the one without a book).
        cust = _first_seen_codes(book.customer_codes[0][rows])
    elif "customer_id" in invoices:
        cust, _ = pd.factorize(invoices["customer_id"].iloc[rows], use_na_sentinel=False)
    else:
        cust = np.arange(len(rows))  # no customers: each invoice is its own unit
    cust = np.asarray(cust, dtype=np.int64)
    return _Dollars(
        ev_inv=ev_inv,
        ev_day=ev_day,
        ev_cents=ev_cents,
        ex_inv=np.concatenate((ev_inv, rest_idx)),
        ex_day=np.concatenate((ev_day, rest_day[rest_idx])),
        ex_cents=np.concatenate((ev_cents, rest[rest_idx])),
        inv_seg=np.asarray(codes, dtype=np.int64),
        segments=segments,
        inv_cust=cust,
        n_cust=int(cust.max()) + 1 if len(cust) else 0,
        rows=rows,
        last_day=int(observed.max()) if observed.size else 0,
    )


def _first_seen_codes(codes: np.ndarray) -> np.ndarray:
    """Integer codes (-1 included) renumbered 0, 1, ... in order of first appearance:
    what ``pd.factorize(codes, use_na_sentinel=False)`` gives, from each code's first
    row and one sort of the distinct codes instead of a hash of every row."""
    shifted = codes + 1  # -1 (none) is a value like any other
    first = np.full(int(shifted.max(initial=0)) + 1, len(codes), dtype=np.int64)
    np.minimum.at(first, shifted, np.arange(len(codes)))
    seen = np.flatnonzero(first < len(codes))
    rank = np.empty(len(first), dtype=np.int64)
    rank[seen[np.argsort(first[seen])]] = np.arange(len(seen))
    return rank[shifted]


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
    book=None,
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
    book : arcalls.book.Book, optional
        The run's coded book of these same tables (:func:`arcalls.book.book_of`): its
        invoice positions and customer codes are used (the same figures, the ids hashed
        once per run).

    Returns
    -------
    DataFrame
        ``days_past_due``; ``dollars_at_risk`` (unpaid at the start of day d and still
        observed), ``invoices_at_risk``, ``dollars_paid`` (on day d); ``share_unpaid``
        S(d), the KM share of invoiced dollars still unpaid after day d;
        ``recovery_rate`` ``1 - S(d + H) / S(d)``, the share of dollars unpaid at d
        collected within H days (NaN where S(d) is 0 or S(d + H) is beyond the data);
        ``ci_low``, ``ci_high``: percentile bootstrap band of ``recovery_rate``
        resampling customers (the honest unit: a customer's invoices are paid or not
        together, and a dollar-count interval would be absurdly narrow);
        ``unpaid_days``: expected days within the horizon that a dollar unpaid at d
        stays unpaid (how long calls go on). ``attrs`` holds ``as_of``,
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
    if book is not None:
        book = book_for(book, invoices, payments)
    paid = _known_payments(invoices, payments, as_of=as_of, book=book)
    dol = _dollar_events(invoices, paid, as_of=as_of, by=by, book=book)
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


def _customer_weights(rng: np.random.Generator, dol: _Dollars) -> np.ndarray:
    """One Poisson(1) bootstrap weight per customer, given to each of its invoices."""
    return rng.poisson(1.0, size=dol.n_cust).astype(np.float64)[dol.inv_cust]


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
            # Poisson(1) weights resample customers (all of a customer's invoices move
            # together: one customer's invoices are paid, or not, together), the cheap
            # equivalent of drawing customers with replacement.
            w = _customer_weights(rng, dol)
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
    pays = pays[known_by(pays["payment_date"], as_of) & (pays["amount"] > 0)]
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
        later = later[contains(later["invoice_id"], bal["invoice_id"])]
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


# ------------------------------------------------------------- agency factor


@dataclass(frozen=True)
class AgencyFactor:
    """What an agency collects on placed dollars, as a multiple of what the owner's own
    in-house recovery would have collected on the same dollars at the same ages.

    ``value`` 1.0 means the agency does as well as the owner would have; 0.5 half as
    well. ``is_default`` says the value is not measured but
    :data:`DEFAULT_AGENCY_FACTOR`; ``source`` says where it comes from.
    """

    value: float
    ci_low: float
    ci_high: float
    source: str
    is_default: bool
    placed_customers: int = 0
    collected: float = 0.0
    expected: float = 0.0

    @property
    def summary(self) -> str:
        if self.is_default:
            return f"Agency factor {self.value:.2f} (a default): {self.source}"
        return (
            f"Agency factor {self.value:.2f} ({self.ci_low:.2f}-{self.ci_high:.2f}), {self.source}"
        )


def _placement_dates(
    invoices: pd.DataFrame, customers, as_of: pd.Timestamp, book=None
) -> np.ndarray:
    """Per invoice, its customer's placement date if on or before ``as_of``, else NaT
    (through the book's customer codes when there is one: only the placed are hashed)."""
    none = np.full(len(invoices), np.datetime64("NaT"), dtype="datetime64[ns]")
    if customers is None or "placed_with_agency_date" not in customers:
        return none
    _check_columns(customers, ("customer_id",), "customers")
    _check_columns(invoices, ("customer_id",), "invoices")
    placed = customers.loc[
        known_by(customers["placed_with_agency_date"], as_of),
        ["customer_id", "placed_with_agency_date"],
    ].drop_duplicates("customer_id")
    if placed.empty:
        return none
    if book is None:
        at = positions(invoices["customer_id"], placed["customer_id"])
    else:
        # -1 (no customer, or never placed) takes the last slot: NaT.
        at = book.invoice_customers_in(placed["customer_id"])
    dates = np.append(placed["placed_with_agency_date"].to_numpy("datetime64[ns]"), none[:1])
    return dates[at] if len(at) else none


@dataclass
class _Placed:
    """Placed invoices open on their customer's placement date, and what came after."""

    inv: np.ndarray  # position among the in-house curve's invoices (weights, customers)
    age: np.ndarray  # days past due on the placement date
    window: np.ndarray  # days of results known after placement (at most the horizon)
    open_c: np.ndarray  # cents open on the placement date
    collected_c: np.ndarray  # cents collected within the window after placement
    customers: int  # placed customers with followed dollars


def _placed_dollars(invoices, paid: _Paid, dol: _Dollars, placed, *, as_of, horizon) -> _Placed:
    rows = dol.rows
    when = placed[rows]
    has = ~np.isnat(when)
    sel, when = np.flatnonzero(has), when[has]  # positions among the kept invoices
    inv_rows = rows[sel]
    due = invoices["due_date"].to_numpy("datetime64[ns]")[inv_rows]
    age = ((when - due) // np.timedelta64(1, "D")).astype(np.int64)
    known = ((as_of.to_datetime64() - when) // np.timedelta64(1, "D")).astype(np.int64)
    window = np.minimum(known, horizon)
    sel_at = np.full(len(invoices) + 1, -1, dtype=np.int64)
    sel_at[inv_rows] = np.arange(len(inv_rows))
    k = sel_at[paid.inv]
    m = np.flatnonzero(k >= 0)
    k = k[m]
    paid_at = paid.at[m]
    cents = np.rint(paid.amount[m] * 100)
    before = paid_at <= when[k]
    end = when[k] + window[k].astype("timedelta64[D]")
    within = ~before & (paid_at <= end)
    n = len(inv_rows)
    paid_before = np.bincount(k[before], weights=cents[before], minlength=n)
    paid_within = np.bincount(k[within], weights=cents[within], minlength=n)
    amount_c = np.rint(invoices["amount"].to_numpy("float64")[inv_rows] * 100)
    open_c = np.maximum(amount_c - paid_before, 0.0)
    if "written_off_date" in invoices:
        wo = invoices["written_off_date"].to_numpy("datetime64[ns]")[inv_rows]
        open_c = np.where(known_by(wo, when), 0.0, open_c)
    # Only the invoices that were delinquent when placed: the younger invoices of a
    # placed customer are those of a customer known to pay badly, and comparing them
    # with the whole book's young invoices would blame the agency for the customer.
    keep = (open_c > 0) & (window >= MIN_PLACEMENT_FOLLOW_DAYS) & (age >= PLACED_MIN_AGE)
    return _Placed(
        inv=sel[keep],
        age=age[keep],
        window=window[keep],
        open_c=open_c[keep],
        collected_c=np.minimum(paid_within, open_c)[keep],
        customers=len(np.unique(dol.inv_cust[sel[keep]])),
    )


def _factor_terms(placed: _Placed, share: np.ndarray, weight=None) -> tuple[float, float]:
    """Collected and in-house-expected cents on the placed dollars, on one KM curve."""
    last = share.shape[-1] - 1
    now = share[0, np.minimum(placed.age, last)]
    later = share[0, np.minimum(placed.age + placed.window, last)]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(now > 0, 1.0 - later / now, np.nan)
    ok = np.isfinite(rate)
    w = np.ones(len(rate)) if weight is None else weight[placed.inv]
    collected = float(np.sum((w * placed.collected_c)[ok]))
    expected = float(np.sum((w * placed.open_c * rate)[ok]))
    return collected, expected


def _default_factor(reason: str) -> AgencyFactor:
    v = DEFAULT_AGENCY_FACTOR
    return AgencyFactor(v, v, v, f"{reason}; {DEFAULT_AGENCY_FACTOR_SOURCE}", True)


# ------------------------------------------------------------------ handoff model


def _check_money_options(cost_per_call, calls_per_month, reference_balance) -> None:
    for name, value in (("cost_per_call", cost_per_call), ("calls_per_month", calls_per_month)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ArcallsError(f"{name} must be a number >= 0, got {value!r}.")
    if (
        isinstance(reference_balance, bool)
        or not isinstance(reference_balance, int | float)
        or reference_balance <= 0
    ):
        raise ArcallsError(f"reference_balance must be > 0 dollars, got {reference_balance!r}.")


def _factor_value(agency_factor) -> float:
    value = agency_factor.value if isinstance(agency_factor, AgencyFactor) else agency_factor
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ArcallsError(
            f"agency_factor must be a number >= 0 (1.0: the agency collects what you "
            f"would have) or an arcalls.AgencyFactor, got {agency_factor!r}."
        )
    return float(value)


def _crossing(days: np.ndarray, wins: np.ndarray, min_age: int, stable: int) -> np.ndarray:
    """First day (per row of ``wins``) from ``min_age`` on where placing wins and keeps
    winning for ``stable`` days (or to the end of the curve); -1 where none."""
    wins = np.atleast_2d(wins)
    big = np.iinfo(np.int64).max
    next_loss = np.where(~wins, days[None, :], big)
    next_loss = np.minimum.accumulate(next_loss[:, ::-1], axis=1)[:, ::-1]
    qualifies = wins & (days[None, :] >= min_age) & (next_loss >= days[None, :] + stable)
    first = np.argmax(qualifies, axis=1)
    return np.where(qualifies.any(axis=1), days[first], -1)


def _gain(rate, months, factor, fee, *, cost_per_call, calls_per_month, reference_balance):
    """Placing minus keeping, per dollar owed (arrays broadcast over replicates)."""
    call_cost = cost_per_call * calls_per_month * months / reference_balance
    return rate * factor * (1 - fee) - (rate - call_cost)


@dataclass
class HandoffAnalysis:
    """In-house versus agency, per age; ``table`` holds the numbers, see
    :func:`recommend_handoff` (with its band) and :func:`handoff_analysis` (the model
    at point estimates)."""

    table: pd.DataFrame
    handoff_age: int | None
    params: dict = field(default_factory=dict)
    factor: AgencyFactor | None = None
    point_age: int | None = None
    age_range: tuple[int, int] | None = None
    share_without_age: float | None = None
    n_boot: int = 0
    _fee: Callable = field(default=None, repr=False)
    _reps: dict | None = field(default=None, repr=False)

    @property
    def has_band(self) -> bool:
        return self.n_boot > 0

    @property
    def summary(self) -> str:
        factor = f" {self.factor.summary}" if self.factor is not None else ""
        if not self.has_band:
            if self.handoff_age is None:
                return "Keeping accounts in-house wins at every age the history covers." + factor
            row = self.table.loc[self.table["days_past_due"] == self.handoff_age].iloc[0]
            return (
                f"Placing wins from {self.handoff_age} days past due at the point "
                f"estimates (no band): an agency nets {row['agency_net']:.1%} of the "
                f"balance against {row['inhouse_net']:.1%} in-house.{factor}"
            )
        if self.handoff_age is not None:
            row = self.table.loc[self.table["days_past_due"] == self.handoff_age].iloc[0]
            return (
                f"Hand accounts to an agency from {self.handoff_age} days past due: there "
                f"placing nets {row['placing_gain']:.1%} of the balance more than keeping "
                f"it ({row['gain_low']:.1%} to {row['gain_high']:.1%} over "
                f"{self.n_boot} customer resamples).{factor}"
            )
        return f"No clear handoff age: {self.range_text}.{factor}"

    @property
    def last_decided_age(self) -> int | None:
        """Oldest age with enough customers at risk to be decided (None: no band)."""
        if "customers_at_risk" not in self.table:
            return None
        need = self.params.get("min_customers_at_risk", DEFAULT_MIN_CUSTOMERS_AT_RISK)
        ok = self.table["customers_at_risk"].to_numpy() >= need
        return int(self.table["days_past_due"].to_numpy()[ok].max()) if ok.any() else None

    @property
    def range_text(self) -> str:
        """Where the crossing falls over the resamples (for "no clear handoff age")."""
        min_age = self.params.get("min_placement_age", DEFAULT_MIN_PLACEMENT_AGE)
        head = (
            f"the band's lower edge of placing minus keeping stays at or below zero at "
            f"every age from {min_age} days past due to {self.last_decided_age}"
        )
        if self.age_range is None:
            return head + "; in every customer resample keeping wins at every age"
        lo, hi = self.age_range
        text = (
            f"{head}; over the customer resamples placing starts to win between {lo} and "
            f"{hi} days past due"
        )
        if self.share_without_age:
            text += f", and in {self.share_without_age:.0%} of them keeping wins at every age"
        return text

    def _repr_html_(self) -> str:
        return f"<p>{self.summary}</p>" + self.table.head(20).to_html(index=False)


def handoff_analysis(
    curve: pd.DataFrame,
    *,
    agency_factor=None,
    agency_fee=DEFAULT_FEE_SCHEDULE,
    cost_per_call: float = DEFAULT_COST_PER_CALL,
    calls_per_month: float = DEFAULT_CALLS_PER_MONTH,
    reference_balance: float = DEFAULT_REFERENCE_BALANCE,
    small_balance: float = DEFAULT_SMALL_BALANCE,
    small_balance_fee: float = DEFAULT_SMALL_BALANCE_FEE,
    horizon_days: int | None = None,
    min_placement_age: int = DEFAULT_MIN_PLACEMENT_AGE,
    stable_days: int = DEFAULT_STABLE_DAYS,
) -> HandoffAnalysis:
    """The handoff model at point estimates: net per dollar owed, kept against placed.

    Keeping at age ``d``: the owner's own ``recovery_rate(d)`` minus the calls,
    ``cost_per_call * calls_per_month * months / reference_balance``, where ``months``
    is the curve's ``unpaid_days / 30.44`` (calls stop once the account pays), or the
    whole horizon when the curve has no ``unpaid_days``. Placing: the same
    ``recovery_rate(d) * agency_factor * (1 - fee(d, balance))``: the agency works the
    same customers, so its recovery is the owner's own times its effectiveness factor
    (:func:`agency_factor`), never the industry collectability curve (which measures
    the same thing as the owner's own curve). The fee follows ``agency_fee`` by age
    and ``small_balance_fee`` below ``small_balance``.

    ``handoff_age`` here is the point crossing: the first age, from
    ``min_placement_age`` on, from which placing nets more for ``stable_days`` days of
    the curve (or to its end). It has no band: :func:`recommend_handoff` gives the
    recommendation with its uncertainty.

    Parameters
    ----------
    curve : DataFrame
        A single curve from :func:`recovery_curve` (select one segment first).
    agency_factor : float or AgencyFactor, optional
        The agency's recovery as a multiple of the owner's; default
        :data:`DEFAULT_AGENCY_FACTOR` (1.0, see its source).
    agency_fee : float, mapping or callable, default DEFAULT_FEE_SCHEDULE
        Contingency fee: a constant, a ``{first_day: fee}`` schedule, or ``f(days)``.
    cost_per_call, calls_per_month : float
        Cost of chasing in-house ($5 a call, 4 calls a month by default).
    reference_balance : float, default 1000
        Balance at which the per-dollar call cost and the fee are taken.
    small_balance, small_balance_fee : float
        Balances below ``small_balance`` pay ``small_balance_fee`` at any age.
    horizon_days : int, optional
        Months of calls without ``unpaid_days``; default the curve's own horizon.
    min_placement_age : int, default 60
        No handoff before this age (agencies take accounts from about here).
    stable_days : int, default 30
        Placing must win on every day of the curve in ``[d, d + stable_days)``.

    Returns
    -------
    HandoffAnalysis
        ``.table`` (``days_past_due``, ``recovery_rate``, ``call_months``, ``call_cost``,
        ``inhouse_net``, ``agency_factor``, ``agency_recovery``, ``agency_fee``,
        ``agency_net``, ``placing_gain``), ``.handoff_age`` (int, or None), ``.summary``.

    Examples
    --------
    >>> curve = pd.DataFrame({"days_past_due": [0, 30, 60],
    ...                       "recovery_rate": [0.95, 0.60, 0.10]})
    >>> a = handoff_analysis(curve, horizon_days=365, calls_per_month=1)
    >>> a.table["agency_net"].round(3).tolist()
    [0.76, 0.48, 0.08]
    >>> a.table["placing_gain"].round(3).tolist()
    [-0.13, -0.06, 0.04]
    >>> a.handoff_age
    60
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
    _check_money_options(cost_per_call, calls_per_month, reference_balance)
    factor = _factor_value(DEFAULT_AGENCY_FACTOR if agency_factor is None else agency_factor)
    fee_by_age = _schedule(agency_fee, "agency_fee")
    small_fee = _check_share(small_balance_fee, "small_balance_fee")

    def fee(days, balance):
        return np.where(np.asarray(balance) < small_balance, small_fee, fee_by_age(days))

    days = curve["days_past_due"].to_numpy()
    rate = curve["recovery_rate"].to_numpy(dtype=float)
    # Calls stop when the account pays: with the curve's unpaid_days the months of
    # calls are the expected months unpaid; without it, the whole horizon.
    if "unpaid_days" in curve:
        months = curve["unpaid_days"].to_numpy(dtype=float) / DAYS_PER_MONTH
    else:
        months = np.full(len(days), horizon / DAYS_PER_MONTH)
    call_cost = cost_per_call * calls_per_month * months / reference_balance
    fees = fee(days, np.full(len(days), float(reference_balance)))
    agency_rec = rate * factor
    table = pd.DataFrame(
        {
            "days_past_due": days,
            "recovery_rate": rate,
            "call_months": months,
            "call_cost": call_cost,
            "inhouse_net": rate - call_cost,
            "agency_factor": factor,
            "agency_recovery": agency_rec,
            "agency_fee": fees,
            "agency_net": agency_rec * (1 - fees),
            "placing_gain": agency_rec * (1 - fees) - (rate - call_cost),
        }
    )
    min_age = _check_positive_int(min_placement_age, "min_placement_age", allow_zero=True)
    stable = _check_positive_int(stable_days, "stable_days", allow_zero=True)
    first = _crossing(days, table["placing_gain"].to_numpy() > 0, min_age, stable)[0]
    params = {
        "horizon_days": horizon,
        "agency_factor": factor,
        "agency_fee": agency_fee,
        "cost_per_call": cost_per_call,
        "calls_per_month": calls_per_month,
        "reference_balance": reference_balance,
        "small_balance": small_balance,
        "small_balance_fee": small_fee,
        "min_placement_age": min_age,
        "stable_days": stable,
    }
    factor_obj = agency_factor if isinstance(agency_factor, AgencyFactor) else None
    if agency_factor is None:
        factor_obj = _default_factor("no factor given")
    age = int(first) if first >= 0 else None
    return HandoffAnalysis(table, age, params, factor=factor_obj, point_age=age, _fee=fee)


@dataclass
class _Book:
    """The in-house dollars (censored at placement) and the placed dollars of a book."""

    dol: _Dollars
    placed: _Placed
    horizon: int
    max_d: int
    n_days: int
    customers_at_risk: np.ndarray  # per day 0..max_d


def _customers_at_risk(dol: _Dollars, max_d: int) -> np.ndarray:
    """Customers with unpaid, observed dollars (not written off) at risk on each day."""
    seen = dol.ex_day >= 0
    last = np.full(dol.n_cust, -1, dtype=np.int64)
    np.maximum.at(last, dol.inv_cust[dol.ex_inv[seen]], dol.ex_day[seen])
    # A customer is at risk on every day up to its last observed exit.
    gone = np.bincount(np.minimum(last[last >= 0], max_d) + 1, minlength=max_d + 2)
    return int((last >= 0).sum()) - np.cumsum(gone)[: max_d + 1]


def _book(invoices, payments, customers, *, as_of, horizon_days, max_days, book=None) -> _Book:
    as_of = pd.Timestamp(as_of)
    horizon = _check_positive_int(horizon_days, "horizon_days")
    placed_on = _placement_dates(invoices, customers, as_of, book)
    # The owner's own recovery: every dollar up to its customer's placement, none after
    # (what an agency collected is not the owner's recovery).
    # One selection of the known payments for both: the curve and the placed dollars.
    paid = _known_payments(invoices, payments, as_of=as_of, book=book)
    dol = _dollar_events(invoices, paid, as_of=as_of, by=None, stop=placed_on, book=book)
    placed = _placed_dollars(invoices, paid, dol, placed_on, as_of=as_of, horizon=horizon)
    max_d = (
        dol.last_day
        if max_days is None
        else _check_positive_int(max_days, "max_days", allow_zero=True)
    )
    reach = int((placed.age + placed.window).max()) + 1 if len(placed.age) else 0
    return _Book(
        dol,
        placed,
        horizon,
        max_d,
        max(max_d + horizon + 1, reach),
        _customers_at_risk(dol, max_d),
    )


def _curve_arrays(book: _Book, weight=None):
    """KM share unpaid, recovery rate and unpaid days (days 0..max_d) of one replicate."""
    _, _, share = _km(book.dol, 1, book.n_days, inv_weight=weight)
    d, h = book.max_d, book.horizon
    rate = _rates(share, d, h)[0]
    running = np.cumsum(share, axis=1)[0]
    now = share[0, : d + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        unpaid = np.where(now > 0, (running[h : h + d + 1] - running[: d + 1]) / now, np.nan)
    return share, rate, unpaid


def _estimated_factor(book: _Book, share, weight=None) -> float:
    collected, expected = _factor_terms(book.placed, share, weight)
    return collected / expected if expected > 0 else np.nan


def _factor_from_book(book: _Book, share, reps: np.ndarray, level: float, min_placed: int):
    p = book.placed
    if p.customers < min_placed:
        return _default_factor(
            f"the history has {p.customers} customer(s) placed with an agency and followed "
            f"for at least {MIN_PLACEMENT_FOLLOW_DAYS} days after placement, fewer than "
            f"the {min_placed} needed to measure it"
        )
    collected, expected = _factor_terms(p, share)
    if not expected > 0:
        return _default_factor("the placed accounts' in-house expectation is zero")
    value = collected / expected
    alpha = (1 - level) / 2
    finite = reps[np.isfinite(reps)]
    low, high = np.quantile(finite, [alpha, 1 - alpha]) if finite.size else (np.nan, np.nan)
    return AgencyFactor(
        value=float(value),
        ci_low=float(low),
        ci_high=float(high),
        source=(
            f"estimated from {p.customers} customers placed with an agency: "
            f"${collected / 100:,.2f} collected within {book.horizon} days of placement "
            f"(or by the as-of date) against ${expected / 100:,.2f} that your own "
            "in-house recovery would have collected on the same dollars at the same ages"
        ),
        is_default=False,
        placed_customers=p.customers,
        collected=round(collected / 100, 2),
        expected=round(expected / 100, 2),
    )


def agency_factor(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    as_of,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    ci: float = DEFAULT_CI,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    min_placed: int = DEFAULT_MIN_PLACED_CUSTOMERS,
) -> AgencyFactor:
    """The agency's effectiveness, measured on the owner's own placed accounts.

    For every customer placed with an agency (``customers.placed_with_agency_date`` on
    or before ``as_of``), each invoice open and past due on the placement date is
    followed for ``min(horizon_days, as_of - placement)`` days (at least
    :data:`MIN_PLACEMENT_FOLLOW_DAYS`): the dollars collected in that window, against
    what the owner's own in-house recovery curve (every other dollar, and the placed
    customers' dollars up to placement) would have collected on the same open dollars
    at the same ages over the same window. The factor is collected / expected; its band
    resamples customers (the placed and the in-house ones together).

    With fewer than ``min_placed`` placed customers the factor is not measured: it is
    :data:`DEFAULT_AGENCY_FACTOR` and ``is_default`` says so, with the reason and
    :data:`DEFAULT_AGENCY_FACTOR_SOURCE`.

    Parameters
    ----------
    invoices, payments, customers : DataFrame
        Canonical tables (``payments`` and ``customers`` may be None).
    as_of : date-like
        Nothing later is used.
    horizon_days : int, default 365
        Longest window followed after placement.
    ci : float, default 0.95
        Level of the band.
    n_boot : int, default 200
        Customer resamples behind the band (0: no band).
    seed : int
        Seed of the resamples.
    min_placed : int, default 10
        Placed customers needed to measure the factor.

    Returns
    -------
    AgencyFactor

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> f = agency_factor(s.invoices, s.payments, s.customers, as_of=arcalls.SAMPLE_AS_OF,
    ...                   n_boot=20)
    >>> f.is_default, f.placed_customers > 10, 0 < f.value < 1
    (False, True, True)
    >>> agency_factor(s.invoices, s.payments, None, as_of=arcalls.SAMPLE_AS_OF).is_default
    True
    """
    level = _check_ci(ci)
    n_boot = _check_positive_int(n_boot, "n_boot", allow_zero=True)
    min_placed = _check_positive_int(min_placed, "min_placed")
    book = _book(invoices, payments, customers, as_of=as_of, horizon_days=horizon_days, max_days=0)
    share, _, _ = _curve_arrays(book)
    rng = np.random.default_rng(seed)
    reps = np.empty(n_boot)
    if book.placed.customers >= min_placed:
        for b in range(n_boot):
            w = _customer_weights(rng, book.dol)
            share_b, _, _ = _curve_arrays(book, w)
            reps[b] = _estimated_factor(book, share_b, w)
    return _factor_from_book(book, share, reps, level, min_placed)


def recommend_handoff(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    as_of,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    max_days: int | None = None,
    agency_factor=None,
    agency_fee=DEFAULT_FEE_SCHEDULE,
    cost_per_call: float = DEFAULT_COST_PER_CALL,
    calls_per_month: float = DEFAULT_CALLS_PER_MONTH,
    reference_balance: float = DEFAULT_REFERENCE_BALANCE,
    small_balance: float = DEFAULT_SMALL_BALANCE,
    small_balance_fee: float = DEFAULT_SMALL_BALANCE_FEE,
    min_placement_age: int = DEFAULT_MIN_PLACEMENT_AGE,
    stable_days: int = DEFAULT_STABLE_DAYS,
    min_customers_at_risk: int = DEFAULT_MIN_CUSTOMERS_AT_RISK,
    min_placed: int = DEFAULT_MIN_PLACED_CUSTOMERS,
    ci: float = DEFAULT_CI,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    book=None,
) -> HandoffAnalysis:
    """When to hand accounts to an agency, with its uncertainty (customer bootstrap).

    The model is :func:`handoff_analysis` on the owner's own in-house recovery curve
    (a dollar-weighted Kaplan-Meier curve of every dollar up to its customer's
    placement with an agency, none after) and the agency factor of
    :func:`agency_factor` (measured on the owner's placed accounts, else the default).
    Every bootstrap replicate resamples customers (Poisson weights) and recomputes the
    curve, the factor and the net of placing minus keeping at every age; ``gain_low``
    and ``gain_high`` are that net's band. An age is recommended only where the band's
    lower edge is above zero, from ``min_placement_age`` on and for ``stable_days``
    days (or to the last age with ``min_customers_at_risk`` customers still at risk:
    older ages rest on too few customers to decide anything); otherwise
    ``handoff_age`` is None ("no clear handoff age") and ``age_range`` holds where the
    replicates' own crossings fall.

    Parameters
    ----------
    invoices, payments, customers : DataFrame
        Canonical tables (``payments`` and ``customers`` may be None).
    as_of : date-like
        Nothing later is used.
    horizon_days, max_days : int
        As in :func:`recovery_curve`.
    agency_factor : float or AgencyFactor, optional
        Fix the factor (the same in every replicate); default: measured, or the default.
    agency_fee, cost_per_call, calls_per_month, reference_balance, small_balance, \
small_balance_fee, min_placement_age, stable_days
        As in :func:`handoff_analysis`.
    min_customers_at_risk : int, default 30
        Ages are decided only while at least this many customers have dollars at risk
        (the table's ``customers_at_risk``); older ages are too thin to judge.
    min_placed : int, default 10
        Placed customers needed to measure the factor.
    ci : float, default 0.95
        Level of the band.
    n_boot : int, default 200
        Customer resamples (0: point estimates only, and then no recommended age).
    seed : int
        Seed of the resamples.

    Returns
    -------
    HandoffAnalysis
        ``.table`` as :func:`handoff_analysis` plus ``customers_at_risk``,
        ``gain_low``, ``gain_high``;
        ``.handoff_age`` (None: no clear age), ``.point_age``, ``.age_range``,
        ``.share_without_age``, ``.factor``, ``.summary``.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> a = recommend_handoff(s.invoices, s.payments, s.customers,
    ...                       as_of=arcalls.SAMPLE_AS_OF, n_boot=20)
    >>> {"days_past_due", "placing_gain", "gain_low", "gain_high"} <= set(a.table)
    True
    """
    as_of = pd.Timestamp(as_of)
    level = _check_ci(ci)
    n_boot = _check_positive_int(n_boot, "n_boot", allow_zero=True)
    min_placed = _check_positive_int(min_placed, "min_placed")
    if book is not None:
        book = book_for(book, invoices, payments, customers=customers)
    book = _book(
        invoices,
        payments,
        customers,
        as_of=as_of,
        horizon_days=horizon_days,
        max_days=max_days,
        book=book,
    )
    share, rate, unpaid = _curve_arrays(book)
    days = np.arange(book.max_d + 1)
    fixed = agency_factor is not None
    if fixed:
        _factor_value(agency_factor)
    rng = np.random.default_rng(seed)
    rates = np.empty((n_boot, len(days)))
    months = np.empty((n_boot, len(days)))
    factors = np.empty(n_boot)
    measure = not fixed and book.placed.customers >= min_placed
    for b in range(n_boot):
        w = _customer_weights(rng, book.dol)
        share_b, rates[b], unpaid_b = _curve_arrays(book, w)
        months[b] = unpaid_b / DAYS_PER_MONTH
        factors[b] = _estimated_factor(book, share_b, w) if measure else np.nan
    if fixed:
        factor = (
            agency_factor
            if isinstance(agency_factor, AgencyFactor)
            else AgencyFactor(
                float(agency_factor),
                float(agency_factor),
                float(agency_factor),
                "given by the caller",
                False,
            )
        )
    else:
        factor = _factor_from_book(book, share, factors, level, min_placed)
    if not measure:
        factors[:] = factor.value
    curve = pd.DataFrame({"days_past_due": days, "recovery_rate": rate, "unpaid_days": unpaid})
    curve.attrs["horizon_days"] = book.horizon
    analysis = handoff_analysis(
        curve,
        agency_factor=factor,
        agency_fee=agency_fee,
        cost_per_call=cost_per_call,
        calls_per_month=calls_per_month,
        reference_balance=reference_balance,
        small_balance=small_balance,
        small_balance_fee=small_balance_fee,
        min_placement_age=min_placement_age,
        stable_days=stable_days,
    )
    min_cust = _check_positive_int(min_customers_at_risk, "min_customers_at_risk")
    analysis.table.insert(1, "customers_at_risk", book.customers_at_risk.astype("int64"))
    analysis.params.update({"ci": level, "as_of": as_of, "min_customers_at_risk": min_cust})
    analysis._reps = {"rate": rates, "months": months, "factor": factors, "days": days}
    return _with_band(analysis, n_boot=n_boot)


def _nan_quantiles(values: np.ndarray, qs) -> np.ndarray:
    """``np.nanquantile(values, qs, axis=0)`` of a float64 matrix, the same figures
    (numpy's linear method, its interpolation included) without numpy's Python loop over
    columns, which made the 57 bands of the sensitivity grid take seconds on any book."""
    values = np.asarray(values, dtype=np.float64)
    ordered = np.sort(values, axis=0)  # NaN sorts last
    n = np.sum(~np.isnan(values), axis=0)
    cols = np.arange(values.shape[1])
    out = np.full((len(qs), values.shape[1]), np.nan)
    for i, q in enumerate(qs):
        pos = q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        t = pos - lo
        a, b = ordered[lo, cols], ordered[hi, cols]
        diff = b - a
        # numpy's _lerp: from the upper end when t >= 0.5, for symmetry.
        v = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
        out[i] = np.where(n > 0, v, np.nan)
    return out


def _with_band(
    analysis: HandoffAnalysis, *, n_boot: int, fee=None, cost_per_call=None, factor=None
) -> HandoffAnalysis:
    """The analysis's band and recommendation from its replicates (optionally with
    another fee, cost per call or agency factor, as the sensitivity grid uses)."""
    p = analysis.params
    table = analysis.table
    days = table["days_past_due"].to_numpy()
    reps = analysis._reps
    fees = table["agency_fee"].to_numpy() if fee is None else np.full(len(days), fee)
    cost = p["cost_per_call"] if cost_per_call is None else cost_per_call
    f_reps = reps["factor"][:, None] if factor is None else np.full((n_boot, 1), factor)
    f_point = p["agency_factor"] if factor is None else factor
    money = {"calls_per_month": p["calls_per_month"], "reference_balance": p["reference_balance"]}
    point = _gain(
        table["recovery_rate"].to_numpy(),
        table["call_months"].to_numpy(),
        f_point,
        fees,
        cost_per_call=cost,
        **money,
    )
    gains = _gain(reps["rate"], reps["months"], f_reps, fees[None, :], cost_per_call=cost, **money)
    alpha = (1 - p.get("ci", DEFAULT_CI)) / 2
    if n_boot:
        # Days no replicate reaches give an all-NaN column: NaN is right.
        low, high = _nan_quantiles(gains, (alpha, 1 - alpha))
    else:
        low = high = np.full(len(days), np.nan)
    min_age, stable = p["min_placement_age"], p["stable_days"]
    # Only ages with enough customers at risk are decided (a prefix: support only falls).
    n = int(np.sum(table["customers_at_risk"].to_numpy() >= p["min_customers_at_risk"]))
    d = days[:n]
    point_age = int(_crossing(d, point[:n] > 0, min_age, stable)[0]) if n else -1
    clear = int(_crossing(d, low[:n] > 0, min_age, stable)[0]) if n and n_boot else -1
    rep_ages = _crossing(d, gains[:, :n] > 0, min_age, stable) if n and n_boot else np.array([])
    found = rep_ages[rep_ages >= 0]
    age_range = (
        tuple(int(round(x)) for x in np.quantile(found, [alpha, 1 - alpha])) if found.size else None
    )
    out = table.assign(placing_gain=point, gain_low=low, gain_high=high)
    if fee is not None:
        out["agency_fee"] = fees
    return HandoffAnalysis(
        out,
        clear if clear >= 0 else None,
        dict(p),
        factor=analysis.factor,
        point_age=point_age if point_age >= 0 else None,
        age_range=age_range,
        share_without_age=float(np.mean(rep_ages < 0)) if len(rep_ages) else None,
        n_boot=n_boot,
        _fee=analysis._fee,
        _reps=reps,
    )


#: Fees (flat, every age) and costs per call of the default sensitivity grid.
DEFAULT_SENSITIVITY_FEES = (0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50)
DEFAULT_SENSITIVITY_COSTS = (0.0, 1.0, 2.5, 5.0, 7.5, 10.0, 15.0)


def handoff_sensitivity(
    analysis: HandoffAnalysis,
    *,
    fees: Sequence[float] = DEFAULT_SENSITIVITY_FEES,
    costs_per_call: Sequence[float] | None = DEFAULT_SENSITIVITY_COSTS,
    factors: Sequence[float] | None = None,
) -> pd.DataFrame:
    """How the recommendation moves with the fee and the cost of a call (or the factor).

    Every cell re-decides on the same customer resamples as ``analysis``: the fee is
    flat at every age (the grid's value), and either the cost per call or, when
    ``factors`` is given, the agency factor takes the grid's value (the other inputs
    stay as in ``analysis``).

    Parameters
    ----------
    analysis : HandoffAnalysis
        From :func:`recommend_handoff` (with its resamples: ``n_boot > 0``).
    fees : sequence of float
        Contingency fees (shares).
    costs_per_call : sequence of float, optional
        Dollars a call; the second axis unless ``factors`` is given.
    factors : sequence of float, optional
        Agency factors; given, they are the second axis instead of the cost per call.

    Returns
    -------
    DataFrame
        ``fee``, then ``cost_per_call`` or ``agency_factor``, then ``handoff_age``
        (nullable Int64: <NA> = no clear age), ``point_age``, ``age_low``, ``age_high``
        (where the resamples' crossings fall) and ``share_without_age``.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> a = recommend_handoff(s.invoices, s.payments, s.customers,
    ...                       as_of=arcalls.SAMPLE_AS_OF, n_boot=20)
    >>> grid = handoff_sensitivity(a, fees=(0.2, 0.4), costs_per_call=(0.0, 5.0))
    >>> grid[["fee", "cost_per_call"]].values.tolist()
    [[0.2, 0.0], [0.2, 5.0], [0.4, 0.0], [0.4, 5.0]]
    """
    if not isinstance(analysis, HandoffAnalysis) or not analysis.has_band:
        raise ArcallsError(
            "handoff_sensitivity needs an analysis with its resamples: "
            "arcalls.recommend_handoff(invoices, payments, customers, as_of=...) with "
            "n_boot > 0."
        )
    fees = [_check_share(f, "each fee") for f in fees]
    if factors is not None:
        axis, values = "agency_factor", [_factor_value(f) for f in factors]
    elif costs_per_call is not None:
        for c in costs_per_call:
            _check_money_options(c, 0, 1)
        axis, values = "cost_per_call", [float(c) for c in costs_per_call]
    else:
        raise ArcallsError("handoff_sensitivity needs costs_per_call= or factors=.")
    rows = []
    # A few dozen cells, each vectorised over resamples and days.
    for fee in fees:
        for value in values:
            kw = {"factor": value} if axis == "agency_factor" else {"cost_per_call": value}
            cell = _with_band(analysis, n_boot=analysis.n_boot, fee=fee, **kw)
            lo, hi = cell.age_range if cell.age_range is not None else (None, None)
            rows.append(
                {
                    "fee": fee,
                    axis: value,
                    "handoff_age": cell.handoff_age,
                    "point_age": cell.point_age,
                    "age_low": lo,
                    "age_high": hi,
                    "share_without_age": cell.share_without_age,
                }
            )
    out = pd.DataFrame(rows)
    for col in ("handoff_age", "point_age", "age_low", "age_high"):
        out[col] = out[col].astype("Int64")
    out.attrs["axis"] = axis
    return out


# -------------------------------------------------------------- per account


def account_handoff_gains(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    *,
    as_of,
    analysis: HandoffAnalysis,
    book=None,
) -> pd.DataFrame:
    """Per account, what placing it with an agency now gains over keeping it.

    An account is a customer's open, past-due, not written-off, undisputed invoices
    (a disputed debt is settled, not placed) on ``as_of``; customers already placed by
    then are left out. Keeping expects ``sum(balance * recovery_rate(age))`` minus the
    calls (``cost_per_call * calls_per_month`` for as many months as its oldest invoice
    is expected to stay unpaid); placing expects
    ``sum(balance * recovery_rate(age) * agency_factor * (1 - fee))`` with the fee of
    the account's age and whole balance (small balances pay the small-balance fee).
    Ages beyond the curve use its last known rate.

    Parameters
    ----------
    invoices, payments, customers : DataFrame
        Canonical tables (``payments`` and ``customers`` may be None).
    as_of : date-like
        Balances on this date.
    analysis : HandoffAnalysis
        From :func:`recommend_handoff` or :func:`handoff_analysis`.
    book : arcalls.book.Book, optional
        The run's coded book of these same tables (:func:`arcalls.book.book_of`): its
        balances on the date are used (the same figures, worked out once per run).

    Returns
    -------
    DataFrame
        ``customer_id``, ``customer_name`` (when known), ``invoices``, ``balance``,
        ``oldest_days_past_due``, ``agency_fee`` (dollar-weighted), ``expected_inhouse``,
        ``expected_agency``, ``expected_gain`` (dollars, placing minus keeping) and
        ``hand_off`` (gain above zero and the oldest invoice at least the analysis's
        ``min_placement_age``), largest gain first.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["a", "b"], dtype="string"),
    ...     "customer_id": pd.array(["c1", "c2"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2024-04-16", "2024-05-11"]),
    ...     "due_date": pd.to_datetime(["2024-05-16", "2024-06-10"]),
    ...     "amount": [2000.0, 300.0],
    ... })
    >>> curve = pd.DataFrame({"days_past_due": [0, 30, 60],
    ...                       "recovery_rate": [0.95, 0.60, 0.10]})
    >>> a = handoff_analysis(curve, horizon_days=365, calls_per_month=1)
    >>> account_handoff_gains(inv, None, None, as_of="2024-07-20", analysis=a)[
    ...     ["customer_id", "balance", "expected_gain", "hand_off"]]
      customer_id  balance  expected_gain  hand_off
    0          c1   2000.0          19.96      True
    1          c2    300.0         -21.04     False
    """
    if not isinstance(analysis, HandoffAnalysis):
        raise ArcallsError(
            f"analysis must come from arcalls.recommend_handoff(...) or "
            f"arcalls.handoff_analysis(curve), got {type(analysis).__name__}."
        )
    _check_columns(invoices, ("invoice_id", "customer_id", "due_date", "amount"), "invoices")
    as_of = pd.Timestamp(as_of)
    if book is None:
        bal = invoice_balances(invoices, payments, as_of=as_of)
    else:
        bal = book_for(book, invoices, payments).invoice_balances(as_of)
    keep = (bal["open_amount"] > 0) & ~bal["written_off"] & (bal["days_past_due"] > 0)
    if "disputed" in bal:
        keep &= ~bal["disputed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    if customers is not None and "placed_with_agency_date" in customers:
        placed = customers.loc[known_by(customers["placed_with_agency_date"], as_of), "customer_id"]
        keep &= ~contains(bal["customer_id"], placed)
    bal = bal[keep]
    p = analysis.params
    table = analysis.table.dropna(subset=["recovery_rate"])
    ages = bal["days_past_due"].to_numpy()
    if table.empty:
        rate = np.full(len(ages), np.nan)
        months = np.full(len(ages), np.nan)
    else:
        # The last age the history covers stands for every older one.
        pos = np.clip(
            np.searchsorted(table["days_past_due"].to_numpy(), ages, "right") - 1, 0, None
        )
        rate = table["recovery_rate"].to_numpy()[pos]
        months = table["call_months"].to_numpy()[pos]
    amount = bal["open_amount"].to_numpy()
    customer_balance = bal.groupby("customer_id", observed=True)["open_amount"].transform("sum")
    fee = analysis._fee(ages, customer_balance.to_numpy())
    per_invoice = pd.DataFrame(
        {
            "customer_id": bal["customer_id"].to_numpy(),
            "invoices": 1,
            "balance": amount,
            "oldest_days_past_due": ages,
            "fee_dollars": amount * fee,
            "expected_inhouse": amount * rate,
            "expected_agency": amount * rate * p["agency_factor"] * (1 - fee),
            "call_months": months,
        }
    )
    out = per_invoice.groupby("customer_id", observed=True, sort=False).agg(
        invoices=("invoices", "sum"),
        balance=("balance", "sum"),
        oldest_days_past_due=("oldest_days_past_due", "max"),
        fee_dollars=("fee_dollars", "sum"),
        expected_inhouse=("expected_inhouse", "sum"),
        expected_agency=("expected_agency", "sum"),
        call_months=("call_months", "max"),
    )
    # Calls are per account: as long as its oldest invoice is expected to stay unpaid.
    out["expected_inhouse"] -= p["cost_per_call"] * p["calls_per_month"] * out["call_months"]
    out["expected_gain"] = out["expected_agency"] - out["expected_inhouse"]
    out["agency_fee"] = out["fee_dollars"] / out["balance"]
    money = ["balance", "expected_inhouse", "expected_agency", "expected_gain"]
    out[money] = round_money(out[money])
    out["hand_off"] = (out["expected_gain"] > 0) & (
        out["oldest_days_past_due"] >= p["min_placement_age"]
    )
    out = out.reset_index().sort_values(
        ["expected_gain", "customer_id"], ascending=[False, True], kind="stable"
    )
    columns = [
        "customer_id",
        "invoices",
        "balance",
        "oldest_days_past_due",
        "agency_fee",
        "expected_inhouse",
        "expected_agency",
        "expected_gain",
        "hand_off",
    ]
    out = out[columns].astype(
        {"customer_id": dtype_of("id"), "invoices": "int64", "oldest_days_past_due": "int64"}
    )
    if customers is not None and "customer_name" in customers:
        names = customers.drop_duplicates("customer_id").set_index("customer_id")
        out.insert(1, "customer_name", out["customer_id"].map(names["customer_name"]))
    return out.reset_index(drop=True)


def accounts_to_hand_off(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    *,
    as_of,
    analysis: HandoffAnalysis,
    book=None,
) -> pd.DataFrame:
    """The accounts whose own expected gain of placing them now is above zero.

    :func:`account_handoff_gains` restricted to ``hand_off``: largest gain first. The
    flag is each account's own figure (its balance, the ages of its invoices, the fee
    of its size), not its age alone, and does not wait for a book-level handoff age.

    Parameters
    ----------
    invoices, payments, customers : DataFrame
        Canonical tables (``payments`` and ``customers`` may be None).
    as_of : date-like
        Balances on this date.
    analysis : HandoffAnalysis
        From :func:`recommend_handoff` or :func:`handoff_analysis`.
    book : arcalls.book.Book, optional
        As in :func:`account_handoff_gains`.

    Returns
    -------
    DataFrame
        The columns of :func:`account_handoff_gains`.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["a", "b"], dtype="string"),
    ...     "customer_id": pd.array(["c1", "c2"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2024-04-16", "2024-05-11"]),
    ...     "due_date": pd.to_datetime(["2024-05-16", "2024-06-10"]),
    ...     "amount": [2000.0, 300.0],
    ... })
    >>> curve = pd.DataFrame({"days_past_due": [0, 30, 60],
    ...                       "recovery_rate": [0.95, 0.60, 0.10]})
    >>> a = handoff_analysis(curve, horizon_days=365, calls_per_month=1)
    >>> accounts_to_hand_off(inv, None, None, as_of="2024-07-20", analysis=a)[
    ...     ["customer_id", "expected_gain"]]
      customer_id  expected_gain
    0          c1          19.96
    """
    check_one_currency(invoices)
    gains = account_handoff_gains(
        invoices, payments, customers, as_of=as_of, analysis=analysis, book=book
    )
    return gains[gains["hand_off"]].reset_index(drop=True)
