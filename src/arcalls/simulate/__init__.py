"""The sample-data generator: a small B2B business chasing its customers by phone.

:func:`simulate` draws customers, invoices, payments and collection calls whose hidden
causes are known (each customer's payment propensity, promise keeping and best hours to
call; what a right-party contact does to the chance of payment), so every analysis of
arcalls can be checked against the truth. The tables are an export made on ``end``; the
world is simulated :data:`DEFAULT_FOLLOW_UP_DAYS` further so that the truth also knows
what happened to the invoices still open on that date.

The run is one loop over calendar days, each step vectorised over every open invoice
and every customer, so it scales to millions of invoices (see ``benchmarks/``).
Calls are made in the business's own clock, :data:`BUSINESS_TIMEZONE`; a customer in
another zone hears the phone at another local hour.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._export import atomic_path
from .._progress import progress
from ..errors import ArcallsError, InputError, OutputError
from ..schema import CALLS, CUSTOMERS, INVOICES, OUTCOMES, PAYMENTS, Table, Tables, dtype_of

__all__ = ["simulate", "Simulation", "SimulationTruth"]

#: First and last day of the default history (the sample's export date is the end).
DEFAULT_START = "2024-11-01"
DEFAULT_END = "2026-10-31"
#: Customers in the default world.
DEFAULT_N_CUSTOMERS = 400
#: Mean invoices a customer receives a month (each customer's own rate varies around it).
DEFAULT_INVOICES_PER_CUSTOMER_MONTH = 0.4
#: Chance that an eligible overdue customer is called on a business day (before the
#: larger-balance-first weighting, which ranges from 0.6x to 1.4x of it).
DEFAULT_CALL_RATE = 0.06
#: Days simulated after ``end`` so that the truth knows how open invoices ended.
DEFAULT_FOLLOW_UP_DAYS = 730
#: The clock in which calls are made and ``called_at`` is written.
BUSINESS_TIMEZONE = "America/New_York"

#: A right-party contact multiplies the customer's daily payment hazard by this ...
CONTACT_HAZARD_MULTIPLIER = 3.0
#: ... on each of the this many days after the call.
CONTACT_EFFECT_DAYS = 7
#: Daily payment hazard of a delinquent invoice at 1 day past due, for a customer of
#: propensity 1 (scaled down for lower propensities) ...
BASE_DAILY_HAZARD = 0.012
#: ... decaying as exp(-days past due / this): old debt is paid ever more rarely.
HAZARD_DECAY_DAYS = 250.0
#: Hazard factor on disputed invoices and on accounts placed with an agency.
DISPUTED_HAZARD_FACTOR = 0.3
AGENCY_HAZARD_FACTOR = 0.5
#: Share of invoices that the owner writes off if they reach their write-off age, drawn
#: per invoice as WRITE_OFF_MIN_DPD + an exponential of mean WRITE_OFF_MEAN_EXTRA_DAYS.
WRITE_OFF_SHARE = 0.5
WRITE_OFF_MIN_DPD = 365
WRITE_OFF_MEAN_EXTRA_DAYS = 120.0
#: Share of customers whose long-delinquent accounts are placed with an agency, and when.
AGENCY_SHARE = 0.3
AGENCY_MIN_DPD = 150
AGENCY_MEAN_EXTRA_DAYS = 90.0
#: Collectors call an account once an invoice is this many days past due ...
CALL_MIN_DPD = 3
#: ... not within this many days of the last call, nor while a promise is pending.
CALL_COOL_DOWN_DAYS = 2
#: Days after the promise date that a promise stays pending (DESIGN.md's grace days).
PROMISE_GRACE_DAYS = 3
#: Share of on-time payments that pay only part of the invoice (the rest goes late).
PARTIAL_PAYMENT_SHARE = 0.1
#: Share of disputed invoices at issue, and chance that a ``dispute`` call disputes one.
DISPUTED_AT_ISSUE_SHARE = 0.02
DISPUTE_CALL_MARKS_INVOICE = 0.5
#: Chance that a right-party ``contact``, ``refused`` or ``callback`` call to a customer
#: not already on a plan (and owing at least PLAN_MIN_BALANCE overdue) ends in a plan.
PLAN_SHARE = 0.25
PLAN_MIN_BALANCE = 100.0
#: Instalments per plan (uniform), and the share of plans agreed as an explicit schedule.
PLAN_MIN_INSTALMENTS, PLAN_MAX_INSTALMENTS = 2, 6
PLAN_SCHEDULE_SHARE = 0.15
#: A customer stops paying under a plan after this many missed instalments.
PLAN_MISSES_TO_STOP = 2
#: Chance that a ``callback`` call (and a ``contact`` call) names a time to call back.
CALLBACK_AT_SHARE, CONTACT_CALLBACK_AT_SHARE = 0.85, 0.1
#: Chance that a third-party (right-party) call records who handles payments.
THIRD_PARTY_PAYMENTS_CONTACT, RIGHT_PARTY_PAYMENTS_CONTACT = 0.3, 0.1
#: Share of customers whose email is on file.
EMAIL_SHARE = 0.85
#: Frequencies of equal-instalment plans, with their chances.
PLAN_FREQUENCIES = ("monthly", "fortnightly", "weekly")
_FREQ_P = np.array([0.7, 0.15, 0.15])

COLLECTORS = ("Dana Reyes", "Marcus Chen", "Priya Natarajan", "Tom Becker")
_TIMEZONES = (
    ("America/New_York", 0.38),
    ("America/Chicago", 0.24),
    ("America/Denver", 0.08),
    ("America/Phoenix", 0.03),
    ("America/Los_Angeles", 0.17),
    ("America/Anchorage", 0.01),
    ("Pacific/Honolulu", 0.01),
    ("America/Toronto", 0.03),
    ("Europe/London", 0.03),
    ("Europe/Berlin", 0.02),
)
_TERMS = np.array([15, 30, 45, 60])
_TERMS_P = np.array([0.15, 0.55, 0.15, 0.15])
_METHODS = np.array(["ACH", "check", "card", "wire"], dtype=object)
_METHODS_P = np.array([0.45, 0.3, 0.15, 0.1])
_WEEKDAYS = np.array(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], dtype=object)
#: Best local calling windows (start hour; each lasts BEST_WINDOW_HOURS).
_BEST_STARTS = np.array([8, 10, 12, 14, 16])
BEST_WINDOW_HOURS = 3
#: Answer-probability factors: inside the best window, on a best weekday, at night.
HOUR_LIFT, DAY_LIFT, NIGHT_FACTOR = 2.2, 1.4, 0.1

_OUT = {name: i for i, name in enumerate(OUTCOMES)}
#: Right-party outcome mix before the customer's propensity tilts it towards promises.
_RPC_OUTCOMES = np.array(
    [_OUT[o] for o in ("contact", "promise", "dispute", "refused", "claims_paid", "callback")]
)
_RPC_WEIGHTS = np.array([0.22, 0.30, 0.05, 0.08, 0.10, 0.20])

_ADJECTIVES = (
    "Blue Ridge", "Cedar", "Summit", "Harbor", "Northstar", "Granite", "Prairie", "Redwood",
    "Silver Lake", "Evergreen", "Ironwood", "Lakeside", "Maple", "Pioneer", "Riverbend",
    "Sunrise", "Tidewater", "Westfield", "Oak Hill", "Canyon", "Bayview", "Keystone",
    "Liberty", "Meridian", "Orchard", "Pinecrest", "Stonebridge", "Willow", "Copper", "Atlas",
)  # fmt: skip
_NOUNS = (
    "Logistics", "Dental", "Builders", "Foods", "Auto Parts", "Printing", "Landscaping",
    "Electric", "Plumbing", "Veterinary", "Fitness", "Bakery", "Design", "Roofing",
    "Hardware", "Catering", "Flooring", "Optics", "Signs", "Marine", "Cleaning", "Farms",
    "Machining", "Pharmacy", "Florist", "Brewing", "Textiles", "Media", "Storage", "Clinic",
)  # fmt: skip
_SUFFIXES = ("LLC", "Inc", "Co", "Group", "Ltd", "& Sons", "Partners", "Corp")
_FIRST = (
    "Alex", "Maria", "James", "Linda", "Robert", "Patricia", "Kevin", "Susan", "Daniel",
    "Karen", "Luis", "Nancy", "Omar", "Grace", "Ethan", "Mei", "Samuel", "Aisha", "Brian",
    "Olivia", "Carlos", "Hannah", "Victor", "Julia",
)  # fmt: skip
_LAST = (
    "Smith", "Garcia", "Johnson", "Nguyen", "Brown", "Martinez", "Lee", "Walker", "Patel",
    "Hall", "Young", "King", "Lopez", "Wright", "Hill", "Scott", "Adams", "Baker", "Rivera",
    "Campbell", "Kim", "Turner", "Ortiz", "Murphy",
)  # fmt: skip
_AREA_CODES = {
    "America/New_York": (212, 404, 617, 305),
    "America/Chicago": (312, 214, 612, 504),
    "America/Denver": (303, 801, 505),
    "America/Phoenix": (602, 480),
    "America/Los_Angeles": (213, 415, 206, 503),
    "America/Anchorage": (907,),
    "Pacific/Honolulu": (808,),
    "America/Toronto": (416, 647),
}
#: International numbers are written with the US exit code, never a leading ``+``
#: (which a spreadsheet would read as a formula).
_INTL_PREFIX = {"Europe/London": "011 44 20", "Europe/Berlin": "011 49 30"}
_NOTES = {
    "no_answer": "No answer",
    "voicemail": "Left voicemail asking for a call back",
    "wrong_number": "Number not in service or wrong person",
    "third_party": "Spoke with front desk; AP contact unavailable",
    "contact": "Spoke with AP; checking status of payment",
    "promise": "Promised payment",
    "dispute": "Disputes the invoice; asked for documentation",
    "refused": "Refused to commit to a payment",
    "claims_paid": "Says payment already sent",
    "callback": "Asked us to call back later this week",
    "plan": "Agreed a payment plan",
}
_TITLES = np.array(
    ["Accounts Payable Manager", "Controller", "Office Manager", "Owner", "Bookkeeper", "CFO"],
    dtype=object,
)
_EMAIL_BOXES = np.array(["ap", "accounts", "billing", "payables"], dtype=object)


@dataclass(frozen=True)
class SimulationTruth:
    """What really happened, including what the export on ``end`` cannot know.

    Attributes
    ----------
    customers : DataFrame
        One row per customer: ``customer_id``; ``pay_propensity`` (chance an invoice is
        paid around its due date, and a scale on the late-payment hazard);
        ``promise_keep_prob`` (chance a promise is kept in full); ``answer_prob`` (base
        chance of answering a call); ``best_hour_start`` / ``best_hour_end`` (local
        hours, end excluded, in which answering is :data:`HOUR_LIFT` times likelier);
        ``best_weekdays`` (two weekdays, e.g. ``"Tue,Wed"``, :data:`DAY_LIFT` times
        likelier); ``timezone``; ``bad_phone`` (the number on file reaches the wrong
        person); ``agency_dpd`` (days past due at which the owner places the account,
        NaN if never); ``placed_with_agency_date`` (uncensored); ``plan_keep`` (chance
        that each instalment of a payment plan is kept in full; partial or missed
        otherwise); ``payments_contact`` / ``payments_contact_title`` (who handles
        payments, as a call records it when it does).
    invoices : DataFrame
        One row per invoice of the export, followed to ``simulated_until``:
        ``invoice_id``, ``customer_id``, ``invoice_date``, ``due_date``, ``amount``,
        ``paid_amount`` (every payment ever), ``first_payment_date``,
        ``last_payment_date``, ``paid_in_full_date`` (NaT unless fully paid),
        ``written_off_date`` (uncensored), ``lost_amount`` (written-off dollars),
        ``open_at_until`` (still open, neither paid nor written off, at the end of the
        run), ``disputed_date`` (when it became disputed, NaT if never).
    payments : DataFrame
        Every payment to those invoices up to ``simulated_until`` (canonical payments,
        same ids as the export's).
    calls : DataFrame
        Every call up to ``simulated_until`` (canonical calls, same ids), plus
        ``promise_result`` for promises: ``kept``, ``partial`` or ``broken`` as drawn.
    plan_instalments : DataFrame
        One row per instalment of every payment plan agreed (outcome ``plan``):
        ``call_id``, ``customer_id``, ``instalment`` (1-based), ``due_date``, ``amount``
        (they add up to the call's ``plan_amount`` to the cent), ``result`` as drawn
        (``kept``: paid in full; ``partial``: part paid; ``missed``: nothing;
        ``stopped``: not paid because the customer stopped after
        :data:`PLAN_MISSES_TO_STOP` missed instalments), ``payment_date`` (the day the
        customer pays it, within two days of ``due_date``; NaT if unpaid) and
        ``paid_amount`` (dollars really applied to the customer's open invoices, which
        can fall short of the instalment when less is open). Instalments due after
        ``simulated_until`` have ``paid_amount`` 0.
    plans : DataFrame
        One row per plan: ``call_id``, ``customer_id``, ``agreed_date``, ``end_date`` (the
        last day the plan governs the customer's payments: its last due date, or the
        second missed one, plus :data:`PROMISE_GRACE_DAYS`; from ``agreed_date`` to
        then the customer pays only by the plan, so its invoices have no late-payment
        hazard, and are neither written off nor placed with an agency), ``defaulted``
        (stopped after :data:`PLAN_MISSES_TO_STOP` missed instalments).
    contact_hazard_multiplier, contact_effect_days : float, int
        The causal effect of a right-party contact: the customer's daily payment hazard
        is multiplied by the first on each of the next ``contact_effect_days`` days.
    end, simulated_until : Timestamp
        The export date and the last simulated day.
    """

    customers: pd.DataFrame
    invoices: pd.DataFrame
    payments: pd.DataFrame
    calls: pd.DataFrame
    contact_hazard_multiplier: float
    contact_effect_days: int
    end: pd.Timestamp
    simulated_until: pd.Timestamp
    plan_instalments: pd.DataFrame = field(default_factory=pd.DataFrame)
    plans: pd.DataFrame = field(default_factory=pd.DataFrame)

    def recovery_curve(self, *, horizon_days: int = 365, max_days: int | None = None):
        """The true, uncensored, dollar-weighted recovery curve by days past due.

        For each ``d`` in ``0..max_days``, over the export's invoices:

        - ``unpaid_at_d``: dollars not yet received ``d`` days after the due date
          (payments dated on or before ``due_date + d`` are received; written-off
          dollars stay unpaid: they are losses), over invoices with
          ``due_date + d <= simulated_until``;
        - ``share_unpaid``: ``unpaid_at_d`` over those invoices' total amount;
        - ``recovery_rate``: of ``unpaid_at_d``, the share received within
          ``horizon_days`` after ``due_date + d``, over the invoices fully observed
          for it (``due_date + d + horizon_days <= simulated_until``; NaN when none).

        Parameters
        ----------
        horizon_days : int, default 365
        max_days : int, optional
            Last ``d``; default ``simulated_until - end - horizon_days`` (every invoice
            of the export is then fully observed at every ``d``).

        Returns
        -------
        DataFrame
            ``days_past_due``, ``n_invoices``, ``amount``, ``unpaid_at_d``,
            ``share_unpaid``, ``n_invoices_horizon``, ``recovery_rate``.

        Examples
        --------
        >>> truth = simulate(n_customers=60, seed=1).truth
        >>> curve = truth.recovery_curve(horizon_days=365)
        >>> bool(curve["share_unpaid"].is_monotonic_decreasing)
        True
        >>> bool(curve["recovery_rate"].between(0, 1).all())
        True
        """
        horizon = _check_nonneg_int(horizon_days, "horizon_days")
        follow = (self.simulated_until - self.end).days
        top = (
            max(follow - horizon, 0)
            if max_days is None
            else _check_nonneg_int(max_days, "max_days")
        )
        inv = self.invoices
        due0 = inv["due_date"].min() if len(inv) else self.end
        due_idx = (inv["due_date"] - due0).dt.days.to_numpy(dtype=np.int64)
        n_due = int(due_idx.max()) + 1 if len(inv) else 1
        width = top + horizon + 2
        pay = self.payments.merge(
            inv[["invoice_id", "due_date"]], on="invoice_id", how="inner", validate="m:1"
        )
        pay_due = (pay["due_date"] - due0).dt.days.to_numpy(dtype=np.int64)
        # A payment at or before the due date counts at d = 0; beyond the grid it is
        # never "received" within any window we report.
        pay_dpd = np.clip(
            (pay["payment_date"] - pay["due_date"]).dt.days.to_numpy(dtype=np.int64), 0, width - 1
        )
        paid = np.bincount(
            pay_due * width + pay_dpd, weights=pay["amount"].to_numpy(), minlength=n_due * width
        ).reshape(n_due, width)
        amount = np.bincount(due_idx, weights=inv["amount"].to_numpy(), minlength=n_due)
        count = np.bincount(due_idx, minlength=n_due)
        # unpaid[i, d]: unpaid dollars at d of invoices due on day i; cumulated over i so
        # that a cohort "due on or before day k" is one lookup.
        unpaid = np.cumsum(amount[:, None] - np.cumsum(paid, axis=1), axis=0)
        cum_amount, cum_count = np.cumsum(amount), np.cumsum(count)
        last = (self.simulated_until - due0).days
        d = np.arange(top + 1)
        k_now = np.minimum(last - d, n_due - 1)
        k_h = np.minimum(last - d - horizon, n_due - 1)
        ok_now, ok_h = k_now >= 0, k_h >= 0
        k_now, k_h = np.maximum(k_now, 0), np.maximum(k_h, 0)
        unpaid_d = np.where(ok_now, unpaid[k_now, d], np.nan)
        amount_d = np.where(ok_now, cum_amount[k_now], np.nan)
        start_h = np.where(ok_h, unpaid[k_h, d], np.nan)
        end_h = np.where(ok_h, unpaid[k_h, np.minimum(d + horizon, width - 1)], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = unpaid_d / amount_d
            rate = np.where(start_h > 0.005, (start_h - end_h) / start_h, np.nan)
        return pd.DataFrame(
            {
                "days_past_due": d,
                "n_invoices": np.where(ok_now, cum_count[k_now], 0),
                "amount": np.round(amount_d, 2),
                "unpaid_at_d": np.round(unpaid_d, 2),
                "share_unpaid": share,
                "n_invoices_horizon": np.where(ok_h, cum_count[k_h], 0),
                "recovery_rate": rate,
            }
        )


@dataclass(frozen=True)
class Simulation:
    """A generated history: the export (``tables``) and what really happened (``truth``).

    Attributes
    ----------
    tables : Tables
        The four canonical tables as exported on ``end`` (nothing dated after it,
        except ``promise_date``, ``callback_at``, ``plan_first_date`` and
        ``plan_schedule`` of calls made before it).
    truth : SimulationTruth
        The latent causes and the uncensored outcomes.
    params : dict
        The arguments of :func:`simulate` that made it.
    """

    tables: Tables
    truth: SimulationTruth
    params: dict = field(default_factory=dict)

    def write(self, folder) -> dict[str, Path]:
        """Write ``invoices.csv``, ``payments.csv``, ``calls.csv``, ``customers.csv``.

        Deterministic bytes: canonical column order, rows sorted by id, ISO dates,
        ``called_at`` as ``YYYY-MM-DD HH:MM:SS``, amounts with two decimals, ``\\n``
        line ends. Each file is written atomically.

        Parameters
        ----------
        folder : path-like
            An existing folder (created if missing, with its parents).

        Returns
        -------
        dict
            Table name -> path written.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     paths = simulate(n_customers=20, seed=3).write(tmp)
        ...     sorted(p.name for p in paths.values())
        ['calls.csv', 'customers.csv', 'invoices.csv', 'payments.csv']
        """
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"Cannot create {folder}: {exc.strerror or exc}.") from exc
        written = {}
        for table, frame in zip((INVOICES, PAYMENTS, CALLS, CUSTOMERS), self.tables, strict=True):
            path = folder / f"{table.name}.csv"
            with atomic_path(path) as tmp:
                _csv_ready(frame, table).to_csv(
                    tmp, index=False, lineterminator="\n", float_format="%.2f"
                )
            # mkstemp makes private files; a data export is as readable as any other file.
            path.chmod(_PUBLIC_FILE_MODE & ~_umask())
            written[table.name] = path
        return written


_PUBLIC_FILE_MODE = 0o666


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _csv_ready(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        kind = table.kind(col)
        if kind == "date":
            out[col] = out[col].dt.strftime("%Y-%m-%d")
        elif kind == "datetime":
            out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M:%S")
    return out


def _check_nonneg_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InputError(f"{name} must be a non-negative integer, got {value!r}.")
    return int(value)


def _check_positive(value, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.number)
        or not (np.isfinite(value) and value > 0)
    ):
        raise InputError(f"{name} must be a positive number, got {value!r}.")
    return float(value)


def _check_dates(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    try:
        start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"start and end must be dates such as '2024-11-01', got {start!r} and {end!r}."
        ) from exc
    if end_ts < start_ts + pd.Timedelta(days=60):
        raise InputError(
            f"end must be at least 60 days after start, got start={start_ts.date()} and "
            f"end={end_ts.date()}. Choose a longer history."
        )
    return start_ts, end_ts


def simulate(
    *,
    n_customers: int = DEFAULT_N_CUSTOMERS,
    start=DEFAULT_START,
    end=DEFAULT_END,
    seed: int = 0,
    invoices_per_customer_month: float = DEFAULT_INVOICES_PER_CUSTOMER_MONTH,
    calls: bool = True,
    call_rate: float = DEFAULT_CALL_RATE,
    follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS,
    contact_hazard_multiplier: float = CONTACT_HAZARD_MULTIPLIER,
    cool_down_days: int = CALL_COOL_DOWN_DAYS,
) -> Simulation:
    """Generate a receivables history with known ground truth.

    Customers receive invoices (net 15/30/45/60), most pay around the due date, the
    rest go delinquent and pay with a hazard that fades with age (some never: written
    off, or placed with an agency). Collectors call overdue accounts in business hours
    of :data:`BUSINESS_TIMEZONE`; who answers depends on the customer's local hour and
    weekday; right-party contacts raise the chance of payment for a week and sometimes
    give a promise, kept with the customer's promise-keeping probability, or a payment
    plan (2-6 instalments, weekly, fortnightly or monthly, or an explicit schedule), whose
    instalments the customer keeps at its own plan-keeping rate until it has missed
    :data:`PLAN_MISSES_TO_STOP`. Some calls ask to be called back at a time in the
    customer's best hours, and the collector calls then. The draws for plans, callbacks,
    payments contacts and emails come from their own stream,
    ``numpy.random.default_rng([seed, 19])``.

    Parameters
    ----------
    n_customers : int, default 400
    start, end : date-like, default 2024-11-01 and 2026-10-31
        Invoices are issued from ``start`` to ``end``; the tables are an export made on
        ``end`` (the sample's as-of date).
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`: same seed, same history.
    invoices_per_customer_month : float, default 0.4
        Mean invoices per customer per month.
    calls : bool, default True
        Whether collectors call at all (False: no calls, so no contact effect either).
    call_rate : float, default 0.06
        Chance an eligible overdue account is called on a business day.
    follow_up_days : int, default 730
        Days simulated after ``end`` for the truth.
    contact_hazard_multiplier : float, default 3.0
        The causal effect of a right-party contact (1.0: calls change nothing).
    cool_down_days : int, default 2
        An account is not called again within this many days of its last call.

    Returns
    -------
    Simulation
        ``.tables`` (canonical invoices, payments, calls, customers) and ``.truth``.

    Raises
    ------
    InputError
        When a parameter is out of range.

    Examples
    --------
    >>> sim = simulate(n_customers=50, seed=7)
    >>> inv, pay, calls, customers = sim.tables
    >>> len(customers)
    50
    >>> bool((pay["payment_date"] <= pd.Timestamp(DEFAULT_END)).all())
    True
    >>> set(calls["outcome"]) <= set(OUTCOMES)
    True
    """
    n_customers = _check_nonneg_int(n_customers, "n_customers")
    if n_customers == 0:
        raise InputError("n_customers must be at least 1, got 0.")
    seed = _check_nonneg_int(seed, "seed")
    rate = _check_positive(invoices_per_customer_month, "invoices_per_customer_month")
    call_rate = _check_positive(call_rate, "call_rate")
    if call_rate > 1:
        raise InputError(f"call_rate is a daily probability in (0, 1], got {call_rate!r}.")
    follow_up_days = _check_nonneg_int(follow_up_days, "follow_up_days")
    multiplier = _check_positive(contact_hazard_multiplier, "contact_hazard_multiplier")
    start_ts, end_ts = _check_dates(start, end)
    params = {
        "n_customers": n_customers,
        "start": start_ts,
        "end": end_ts,
        "seed": seed,
        "invoices_per_customer_month": rate,
        "calls": bool(calls),
        "call_rate": call_rate,
        "follow_up_days": follow_up_days,
        "contact_hazard_multiplier": multiplier,
        "cool_down_days": _check_nonneg_int(cool_down_days, "cool_down_days"),
    }
    rng = np.random.default_rng(seed)
    world = _World(rng, params)
    world.run()
    return world.result()


class _World:
    """The simulation state: arrays over customers and invoices, advanced day by day."""

    def __init__(self, rng: np.random.Generator, params: dict):
        self.rng, self.p = rng, params
        # Plans, callbacks, payments contacts and emails (issue 19) draw from their own
        # stream, so the older draws keep their place in ``rng``.
        self.rng19 = np.random.default_rng([params["seed"], 19])
        self.start, self.end = params["start"], params["end"]
        self.export_days = (self.end - self.start).days + 1
        self.n_days = self.export_days + params["follow_up_days"]
        self._make_customers()
        self._make_invoices()
        self._make_clock()
        self._make_agreements()

    # -- setup -------------------------------------------------------------------
    def _make_customers(self) -> None:
        rng, n = self.rng, self.p["n_customers"]
        self.n_cust = n
        zones = np.array([z for z, _ in _TIMEZONES], dtype=object)
        zone_p = np.array([w for _, w in _TIMEZONES])
        self.zone_names = zones
        self.zone = rng.choice(len(zones), size=n, p=zone_p / zone_p.sum())
        self.propensity = rng.beta(5.0, 1.8, size=n)
        self.keep_prob = np.clip(0.25 + 0.6 * self.propensity + rng.normal(0, 0.1, n), 0.05, 0.98)
        self.answer_prob = rng.beta(3.0, 7.0, size=n)
        self.best_start = rng.choice(_BEST_STARTS, size=n)
        first_day = rng.integers(0, 4, size=n)  # two consecutive weekdays, Mon..Fri
        self.best_days = np.stack([first_day, first_day + 1], axis=1)
        self.bad_phone = rng.random(n) < 0.04
        self.dnc = rng.random(n) < 0.03
        self.agency_dpd = np.where(
            rng.random(n) < AGENCY_SHARE,
            AGENCY_MIN_DPD + np.round(rng.exponential(AGENCY_MEAN_EXTRA_DAYS, n)),
            np.inf,
        )
        self.collector = rng.integers(0, len(COLLECTORS), size=n)
        self.scale = np.exp(rng.normal(np.log(1200.0), 0.8, size=n))
        self.terms = rng.choice(_TERMS, size=n, p=_TERMS_P)
        self.inv_rate = self.p["invoices_per_customer_month"] * rng.gamma(2.0, 0.5, size=n)
        # Names: unique while the word lists allow it.
        combos = len(_ADJECTIVES) * len(_NOUNS) * len(_SUFFIXES)
        pick = rng.choice(combos, size=n, replace=n > combos)
        adj, rest = np.divmod(pick, len(_NOUNS) * len(_SUFFIXES))
        noun, suf = np.divmod(rest, len(_SUFFIXES))
        self.cust_name = (
            pd.Series(np.array(_ADJECTIVES, dtype=object)[adj])
            + " "
            + np.array(_NOUNS, dtype=object)[noun]
            + " "
            + np.array(_SUFFIXES, dtype=object)[suf]
        ).to_numpy()
        self.contact = (
            pd.Series(np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)])
            + " "
            + np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
        ).to_numpy()
        self.phone = self._phones(rng, n)

    def _phones(self, rng, n) -> np.ndarray:
        number = pd.Series(np.char.zfill(rng.integers(0, 10_000, n).astype(str), 4))
        exchange = pd.Series(rng.integers(200, 1000, n)).astype(str)
        zone = pd.Series(self.zone_names[self.zone])
        area = pd.Series(np.zeros(n, dtype=np.int64))
        for name, codes in _AREA_CODES.items():  # loop over ~10 zones, vectorised inside
            mask = (zone == name).to_numpy()
            area[mask] = rng.choice(codes, size=int(mask.sum()))
        us = area.astype(str) + "-" + exchange + "-" + number
        intl = zone.map(_INTL_PREFIX)
        return intl.where(intl.isna(), intl + " " + exchange + " " + number).fillna(us).to_numpy()

    def _make_invoices(self) -> None:
        rng = self.rng
        months = self.export_days / 30.4375
        counts = rng.poisson(self.inv_rate * months)
        cust = np.repeat(np.arange(self.n_cust), counts)
        day = rng.integers(0, self.export_days, size=len(cust))
        # Invoices go out on business days: a weekend moves to the Friday before.
        weekday = (self.start.dayofweek + day) % 7
        day = np.maximum(day - np.clip(weekday - 4, 0, 2), 0)
        order = np.lexsort((cust, day))
        self.cust_of = cust[order]
        self.inv_day = day[order]
        n = len(self.cust_of)
        self.n_inv = n
        own = rng.random(n) < 0.9
        self.inv_terms = np.where(own, self.terms[self.cust_of], rng.choice(_TERMS, n, p=_TERMS_P))
        self.due_day = self.inv_day + self.inv_terms
        amount = self.scale[self.cust_of] * np.exp(rng.normal(0.0, 0.6, n))
        self.amount = np.round(np.maximum(amount, 25.0), 2)
        self.balance = self.amount.copy()
        self.disputed_day = np.where(rng.random(n) < DISPUTED_AT_ISSUE_SHARE, self.inv_day, -1)
        self.wo_dpd = np.where(
            rng.random(n) < WRITE_OFF_SHARE,
            WRITE_OFF_MIN_DPD + np.round(rng.exponential(WRITE_OFF_MEAN_EXTRA_DAYS, n)),
            np.inf,
        )
        self.wo_day = np.full(n, -1)
        # The on-time payers' payment, drawn at issue: around the due date, some early.
        ontime = (rng.random(n) < self.propensity[self.cust_of]) & (self.disputed_day < 0)
        offset = np.round(rng.normal(-2.0, 7.0, n)).astype(np.int64)
        pay_day = np.clip(self.due_day + offset, self.inv_day + 1, self.due_day + 25)
        partial = rng.random(n) < PARTIAL_PAYMENT_SHARE
        share = np.where(partial, rng.uniform(0.3, 0.8, n), 1.0)
        self.sched_day = np.where(ontime, pay_day, -1)
        self.sched_amt = np.where(ontime, np.round(self.amount * share, 2), 0.0)
        self.issue_ptr = np.searchsorted(self.inv_day, np.arange(self.n_days + 1))

    def _make_agreements(self) -> None:
        """Per customer: plan keeping, who handles payments, the email on file."""
        rng, n = self.rng19, self.n_cust
        self.plan_keep = np.clip(0.15 + 0.75 * self.propensity + rng.normal(0, 0.15, n), 0.05, 0.98)
        self.pc_name = (
            pd.Series(np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), n)])
            + " "
            + np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), n)]
        ).to_numpy()
        self.pc_title = _TITLES[rng.integers(0, len(_TITLES), n)]
        # ap@blueridgelogistics.example: the reserved .example domain, never a real one.
        slug = pd.Series(self.cust_name).str.lower().str.replace(r"[^a-z0-9]+", "", regex=True)
        box = pd.Series(_EMAIL_BOXES[rng.integers(0, len(_EMAIL_BOXES), n)])
        email = box + "@" + slug + ".example"
        self.email = email.where(rng.random(n) < EMAIL_SHARE).to_numpy()

    def _make_clock(self) -> None:
        """Each zone's offset from the business clock, per day (handles DST)."""
        noon = pd.date_range(self.start + pd.Timedelta(hours=12), periods=self.n_days, freq="D")
        biz = noon.tz_localize(BUSINESS_TIMEZONE)
        self.offset = np.stack(
            [
                ((biz.tz_convert(z).tz_localize(None) - noon) / pd.Timedelta(hours=1)).to_numpy()
                for z in self.zone_names
            ]
        )
        self.weekday = (self.start.dayofweek + np.arange(self.n_days)) % 7

    # -- the run -----------------------------------------------------------------
    def run(self) -> None:
        rng, n_cust = self.rng, self.n_cust
        self.last_rpc = np.full(n_cust, -(10**6))
        self.last_call = np.full(n_cust, -(10**6))
        self.promise_until = np.full(n_cust, -1)
        self.placed_day = np.full(n_cust, -1)
        # Plans: the day a customer's plan ends (no late hazard, write-off or agency
        # placement until then), the day calls resume (the first instalment not kept in
        # full, plus grace), and the instalments still to pay, one row per customer.
        self.plan_end = np.full(n_cust, -1)
        self.plan_quiet = np.full(n_cust, -1)
        self.plan_pay_day = np.full((n_cust, PLAN_MAX_INSTALMENTS), -1)
        self.plan_pay_cents = np.zeros((n_cust, PLAN_MAX_INSTALMENTS), dtype=np.int64)
        self.plan_pay_row = np.full((n_cust, PLAN_MAX_INSTALMENTS), -1)
        self.plan_parts: list[dict] = []
        self.inst_paid_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_plans = 0
        # Callbacks asked for: the day (business days only) and the second of the day.
        self.cb_day = np.full(n_cust, -1)
        self.cb_sec = np.zeros(n_cust, dtype=np.int64)
        pay_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.call_parts: list[dict] = []
        multiplier = self.p["contact_hazard_multiplier"]
        hazard_scale = BASE_DAILY_HAZARD * (0.25 + 0.75 * self.propensity)
        act = np.empty(0, dtype=np.int64)
        for t in progress(range(self.n_days), desc="simulating", unit="day"):
            act = np.concatenate([act, np.arange(self.issue_ptr[t], self.issue_ptr[t + 1])])
            if not len(act):
                continue
            cust = self.cust_of[act]
            dpd = t - self.due_day[act]
            bal = self.balance[act]
            # Payments arranged before today (on time, or a promise) arrive first.
            sched = self.sched_day[act] == t
            amt = np.where(sched, np.minimum(self.sched_amt[act], bal), 0.0)
            self.sched_day[act[sched]] = -1
            # Late invoices pay with a fading hazard, raised after a right-party contact.
            factor = np.where(self.disputed_day[act] >= 0, DISPUTED_HAZARD_FACTOR, 1.0)
            factor = factor * np.where(self.placed_day[cust] >= 0, AGENCY_HAZARD_FACTOR, 1.0)
            contacted = (t - self.last_rpc[cust]) <= CONTACT_EFFECT_DAYS
            factor = factor * np.where(contacted, multiplier, 1.0)
            hazard = hazard_scale[cust] * np.exp(-np.maximum(dpd, 0) / HAZARD_DECAY_DAYS) * factor
            # A customer on a plan pays by the plan, not at random.
            on_plan = self.plan_end[cust] >= t
            late = (dpd > 0) & ~sched & ~on_plan & (rng.random(len(act)) < hazard)
            part = rng.random(len(act)) < 0.15
            late_amt = np.where(part, np.round(bal * rng.uniform(0.2, 0.7, len(act)), 2), bal)
            amt = np.where(late, late_amt, amt)
            amt = np.round(amt, 2)
            amt = np.round(amt + self._plan_payments(t, act, cust, np.round(bal - amt, 2)), 2)
            paid = amt > 0
            if paid.any():
                pay_parts.append((act[paid], np.full(int(paid.sum()), t), amt[paid]))
                bal = np.round(bal - amt, 2)
                self.balance[act] = bal
            # Write-offs: the owner gives up on an invoice at its write-off age.
            wo = (dpd >= self.wo_dpd[act]) & (bal > 0) & ~on_plan
            self.wo_day[act[wo]] = t
            keep = (bal > 0) & ~wo
            act, cust, dpd = act[keep], cust[keep], dpd[keep]
            free = self.plan_end[cust] < t
            self._place_with_agency(t, cust[free], dpd[free])
            if self.p["calls"] and self.weekday[t] < 5 and len(act):
                self._calls(t, act, cust, dpd)
        self.pay_parts = pay_parts

    def _plan_payments(self, t, act, cust, bal) -> np.ndarray:
        """Today's plan instalments, applied to the customer's open invoices, oldest due
        first (after the day's other payments); returns dollars per active invoice."""
        out = np.zeros(len(act))
        hit = self.plan_pay_day == t
        if not hit.any():
            return out
        n_cust = self.n_cust
        c_idx, j = np.nonzero(hit)  # instalment pay days of a customer are distinct
        due_c = np.zeros(n_cust, dtype=np.int64)
        due_c[c_idx] = self.plan_pay_cents[c_idx, j]
        self.plan_pay_day[c_idx, j] = -1
        sel = np.flatnonzero((due_c[cust] > 0) & (bal > 0))
        paid_c = np.zeros(n_cust, dtype=np.int64)
        if len(sel):
            sel = sel[np.lexsort((act[sel], self.due_day[act[sel]], cust[sel]))]
            c = cust[sel]
            b = np.round(bal[sel] * 100).astype(np.int64)
            cum = np.cumsum(b)
            first = np.r_[True, c[1:] != c[:-1]]
            base = np.maximum.accumulate(np.where(first, cum - b, 0))
            alloc = np.clip(due_c[c] - (cum - b - base), 0, b)
            out[sel] = alloc / 100
            np.add.at(paid_c, c, alloc)
        self.inst_paid_parts.append(
            (self.plan_pay_row[c_idx, j], np.full(len(c_idx), t), paid_c[c_idx])
        )
        return out

    def _place_with_agency(self, t: int, cust: np.ndarray, dpd: np.ndarray) -> None:
        due = (dpd >= self.agency_dpd[cust]) & (self.placed_day[cust] < 0)
        if due.any():
            self.placed_day[np.unique(cust[due])] = t

    def _calls(self, t: int, act: np.ndarray, cust: np.ndarray, dpd: np.ndarray) -> None:
        rng, n_cust = self.rng, self.n_cust
        overdue = dpd > 0
        chase = (dpd >= CALL_MIN_DPD) & (self.disputed_day[act] < 0)
        chase_bal = np.bincount(cust[chase], weights=self.balance[act[chase]], minlength=n_cust)
        callable_ = (
            (chase_bal > 0)
            & ~self.dnc
            & (self.placed_day < 0)
            & (self.promise_until < t)
            & (self.plan_quiet < t)
        )
        # A callback asked for is kept: the account is called then, and not before.
        forced = np.flatnonzero(callable_ & (self.cb_day == t))
        eligible = callable_ & (self.cb_day < t) & (t - self.last_call > self.p["cool_down_days"])
        who = np.flatnonzero(eligible)
        if len(who):
            # Bigger balances first: the call chance rises with the balance's rank.
            rank = np.argsort(np.argsort(chase_bal[who])) / max(len(who) - 1, 1)
            who = who[rng.random(len(who)) < self.p["call_rate"] * (0.6 + 0.8 * rank)]
        called = np.concatenate([who, forced])
        k = len(called)
        if not k:
            return
        is_cb = np.zeros(k, dtype=bool)
        is_cb[len(who) :] = True
        seconds = rng.integers(9 * 3600, 17 * 3600, size=k)
        seconds = np.where(is_cb, self.cb_sec[called], seconds)
        self.cb_day[forced] = -1
        local_hour = seconds / 3600.0 + self.offset[self.zone[called], t]
        in_window = (local_hour >= self.best_start[called]) & (
            local_hour < self.best_start[called] + BEST_WINDOW_HOURS
        )
        best_day = (self.best_days[called] == self.weekday[t]).any(axis=1)
        night = (local_hour < 8) | (local_hour >= 20)
        p_answer = (
            self.answer_prob[called]
            * np.where(in_window, HOUR_LIFT, 1.0)
            * np.where(best_day, DAY_LIFT, 1.0)
            * np.where(night, NIGHT_FACTOR, 1.0)
        )
        answered = rng.random(k) < np.minimum(p_answer, 0.95)
        u = rng.random(k)
        outcome = np.where(u < 0.45, _OUT["voicemail"], _OUT["no_answer"])
        third = rng.random(k) < 0.2
        weights = np.tile(_RPC_WEIGHTS, (k, 1))
        weights[:, 1] *= 0.5 + self.propensity[called]  # good payers promise more
        cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
        rpc_pick = _RPC_OUTCOMES[np.minimum((rng.random(k)[:, None] > cum).sum(axis=1), 5)]
        outcome = np.where(answered, np.where(third, _OUT["third_party"], rpc_pick), outcome)
        wrong = self.bad_phone[called] & (rng.random(k) < 0.8)
        outcome = np.where(wrong, _OUT["wrong_number"], outcome)
        rpc = np.isin(outcome, _RPC_OUTCOMES)
        self.last_call[called] = t
        self.last_rpc[called[rpc]] = t

        # A customer who would not promise or pay at once may agree to a plan.
        r19 = self.rng19
        od_bal = np.bincount(cust[overdue], weights=self.balance[act[overdue]], minlength=n_cust)
        plannable = np.isin(outcome, [_OUT["contact"], _OUT["refused"], _OUT["callback"]])
        to_plan = (
            plannable
            & (self.plan_end[called] < t)
            & (od_bal[called] >= PLAN_MIN_BALANCE)
            & (r19.random(k) < PLAN_SHARE)
        )
        outcome = np.where(to_plan, _OUT["plan"], outcome)
        plan_ref = self._plans(t, called, to_plan, od_bal)
        cb_day, cb_sec = self._callbacks(t, called, outcome)
        u19 = r19.random(k)
        payments_contact = (
            (outcome == _OUT["third_party"]) & (u19 < THIRD_PARTY_PAYMENTS_CONTACT)
        ) | (rpc & (u19 < RIGHT_PARTY_PAYMENTS_CONTACT))

        # The account's oldest overdue invoice: the one a collector names on the call.
        pos = np.full(n_cust, -1)
        flag = np.zeros(n_cust, dtype=bool)
        flag[called] = True
        od_called = np.flatnonzero(overdue & flag[cust])
        first_cust, first_at = np.unique(cust[od_called], return_index=True)
        pos[first_cust] = act[od_called[first_at]]
        target = pos[called]
        inv_id = np.where(rng.random(k) < 0.65, target, -1)
        # A dispute often marks the invoice disputed: it leaves the chase.
        disputes = (outcome == _OUT["dispute"]) & (target >= 0)
        marks = target[disputes & (rng.random(k) < DISPUTE_CALL_MARKS_INVOICE)]
        marks = marks[self.disputed_day[marks] < 0]
        self.disputed_day[marks] = t
        inv_id = np.where(disputes, target, inv_id)

        promise_day = np.full(k, -1)
        promise_amt = np.full(k, np.nan)
        result = np.full(k, -1)
        is_promise = outcome == _OUT["promise"]
        if is_promise.any():
            promise_day, promise_amt, result = self._promises(
                t, act, cust, overdue, called, is_promise
            )
        self.call_parts.append(
            {
                "cust": called,
                "day": np.full(k, t),
                "seconds": seconds,
                "outcome": outcome,
                "invoice": inv_id,
                "collector": np.where(
                    rng.random(k) < 0.85,
                    self.collector[called],
                    rng.integers(0, len(COLLECTORS), k),
                ),
                "promise_day": promise_day,
                "promise_amt": promise_amt,
                "result": result,
                "duration": _durations(rng, outcome),
                "cb_day": cb_day,
                "cb_sec": cb_sec,
                "plan": plan_ref,
                "payments_contact": payments_contact,
            }
        )

    def _callbacks(self, t, called, outcome):
        """Callback times asked for: 1-5 days on (a business day), in the customer's best
        local hours as far as the business day (9:00-16:45 New York) allows."""
        rng, k = self.rng19, len(called)
        asks = ((outcome == _OUT["callback"]) & (rng.random(k) < CALLBACK_AT_SHARE)) | (
            (outcome == _OUT["contact"]) & (rng.random(k) < CONTACT_CALLBACK_AT_SHARE)
        )
        day = t + rng.integers(1, 6, k)
        weekday = self.weekday[np.minimum(day, self.n_days - 1)]
        day = day + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
        quarter = rng.integers(0, BEST_WINDOW_HOURS * 4, k)
        local = self.best_start[called] + quarter / 4.0
        biz = local - self.offset[self.zone[called], np.minimum(day, self.n_days - 1)]
        biz = np.clip(biz, 9.0, 16.75)
        sec = (np.round(biz * 4) * 900).astype(np.int64)
        self.cb_day[called[asks]] = day[asks]
        self.cb_sec[called[asks]] = sec[asks]
        return np.where(asks, day, -1), np.where(asks, sec, 0)

    def _plans(self, t, called, to_plan, od_bal):
        """Draw the plans agreed today, their instalments and how each will be kept."""
        ref = np.full(len(called), -1)
        sel = np.flatnonzero(to_plan)
        m = len(sel)
        if not m:
            return ref
        rng, top = self.rng19, PLAN_MAX_INSTALMENTS
        c = called[sel]
        # The whole overdue balance, or (a quarter of plans) a part of it.
        frac = np.where(rng.random(m) < 0.25, rng.uniform(0.4, 0.9, m), 1.0)
        cents = np.round(np.round(od_bal[c], 2) * 100 * frac).astype(np.int64)
        n = rng.integers(PLAN_MIN_INSTALMENTS, PLAN_MAX_INSTALMENTS + 1, m)
        first = t + rng.integers(1, 8, m)
        freq = rng.choice(len(PLAN_FREQUENCIES), size=m, p=_FREQ_P)
        explicit = rng.random(m) < PLAN_SCHEDULE_SHARE
        due = _plan_due_days(self.start, first, freq)
        j = np.arange(top)
        valid = j[None, :] < n[:, None]
        # Equal instalments to the cent, the last absorbing the rounding; an explicit
        # schedule starts with a down payment of 20-50 % and splits the rest alike.
        each = np.round(cents / n).astype(np.int64)
        inst = np.where(valid, each[:, None], 0)
        down = np.round(cents * rng.uniform(0.2, 0.5, m)).astype(np.int64)
        rest = np.round((cents - down) / (n - 1)).astype(np.int64)
        inst = np.where(explicit[:, None], np.where(j == 0, down[:, None], rest[:, None]), inst)
        inst = np.where(valid, inst, 0)
        last = n - 1
        inst[np.arange(m), last] = cents - (inst.sum(axis=1) - inst[np.arange(m), last])
        # Each instalment kept, part paid, or missed; after PLAN_MISSES_TO_STOP misses
        # the customer stops paying under the plan.
        keep = self.plan_keep[c][:, None]
        draw = rng.random((m, top))
        res = np.where(draw < keep, 0, np.where(draw < keep + (1 - keep) * 0.3, 1, 2))
        share = np.where(res == 0, 1.0, np.where(res == 1, rng.uniform(0.3, 0.7, (m, top)), 0.0))
        lag = rng.integers(-2, 3, (m, top))
        missed = (res == 2) & valid
        before = np.cumsum(missed, axis=1) - missed
        res = np.where(before >= PLAN_MISSES_TO_STOP, 3, res)
        res = np.where(valid, res, -1)
        pay_day = np.where((res == 0) | (res == 1), np.maximum(due + lag, t + 1), -1)
        pay_cents = np.where(pay_day >= 0, np.round(inst * share), 0).astype(np.int64)
        # The plan ends after its last due date, or at the second miss; calls resume at
        # the first instalment not kept in full.
        stop_at = np.where(
            missed.sum(axis=1) >= PLAN_MISSES_TO_STOP,
            np.argmax(np.cumsum(missed, axis=1) >= PLAN_MISSES_TO_STOP, axis=1),
            last,
        )
        end = due[np.arange(m), stop_at] + PROMISE_GRACE_DAYS
        bad = valid & (res != 0)
        first_bad = np.where(bad.any(axis=1), np.argmax(bad, axis=1), last)
        quiet = np.minimum(due[np.arange(m), first_bad] + PROMISE_GRACE_DAYS, end)
        rows = self.n_plans * top + np.arange(m * top).reshape(m, top)
        self.plan_end[c] = end
        self.plan_quiet[c] = quiet
        self.plan_pay_day[c] = pay_day
        self.plan_pay_cents[c] = pay_cents
        self.plan_pay_row[c] = rows
        self.plan_parts.append(
            {
                "cust": c,
                "cents": cents,
                "n": n,
                "first": first,
                "freq": freq,
                "explicit": explicit,
                "due": due,
                "inst": inst,
                "res": res,
                "pay_day": pay_day,
                "day": np.full(m, t),
                "end": end,
            }
        )
        ref[sel] = self.n_plans + np.arange(m)
        self.n_plans += m
        return ref

    def _promises(self, t, act, cust, overdue, called, is_promise):
        """Promise dates and amounts; schedule the payments of promises to be kept."""
        rng, k = self.rng, len(called)
        days_ahead = rng.integers(3, 15, size=k)
        has_date = rng.random(k) >= 0.03
        mode = rng.random(k)
        # Often the whole overdue balance, sometimes half or another part; a few name
        # no amount (the overdue balance is then what counts, as DESIGN.md defines).
        frac = np.where(mode < 0.7, 1.0, np.where(mode < 0.85, 0.5, rng.uniform(0.2, 0.8, k)))
        has_amount = rng.random(k) >= 0.08
        frac = np.where(has_amount, frac, 1.0)
        draw = rng.random(k)
        keep = self.keep_prob[called]
        # result: 0 kept, 1 partial, 2 broken (as drawn; see SimulationTruth.calls).
        result = np.where(draw < keep, 0, np.where(draw < keep + (1 - keep) * 0.3, 1, 2))
        pay_share = np.where(result == 0, 1.0, np.where(result == 1, rng.uniform(0.3, 0.7, k), 0))
        lag = rng.integers(-3, 3, size=k)
        pay_day = np.where(has_date, t + days_ahead + lag, t + rng.integers(2, 10, size=k))
        pay_day = np.maximum(pay_day, t + 1)

        c_frac = np.full(self.n_cust, np.nan)
        c_frac[called[is_promise]] = frac[is_promise]
        inv_frac = c_frac[cust]
        mine = overdue & ~np.isnan(inv_frac)
        idx, c = act[mine], cust[mine]
        piece = np.round(self.balance[idx] * inv_frac[mine], 2)
        promised = np.bincount(c, weights=piece, minlength=self.n_cust)
        c_share = np.zeros(self.n_cust)
        c_share[called] = pay_share
        c_day = np.zeros(self.n_cust, dtype=np.int64)
        c_day[called] = pay_day
        pay = np.round(piece * c_share[c], 2)
        go = pay > 0
        self.sched_day[idx[go]] = c_day[c[go]]
        self.sched_amt[idx[go]] = pay[go]
        self.promise_until[called[is_promise]] = (
            np.where(has_date, t + days_ahead, t + 7)[is_promise] + PROMISE_GRACE_DAYS
        )
        promise_day = np.where(is_promise & has_date, t + days_ahead, -1)
        promise_amt = np.where(is_promise & has_amount, np.round(promised[called], 2), np.nan)
        return promise_day, promise_amt, np.where(is_promise, result, -1)

    # -- output ------------------------------------------------------------------
    def result(self) -> Simulation:
        day0 = np.datetime64(self.start.date(), "D")
        end_day = self.export_days - 1
        inv_ids = _ids("INV-", self.n_inv, 6)
        cust_ids = _ids("C", self.n_cust, 4)

        def dates(days: np.ndarray) -> np.ndarray:
            out = (day0 + np.where(days < 0, 0, days).astype("timedelta64[D]")).astype(
                "datetime64[ns]"
            )
            return np.where(days < 0, np.datetime64("NaT", "ns"), out)

        # Payments, in date order, ids assigned over the whole run.
        if self.pay_parts:
            p_inv, p_day, p_amt = (np.concatenate(x) for x in zip(*self.pay_parts, strict=True))
        else:
            p_inv, p_day, p_amt = (np.empty(0, dtype=np.int64),) * 2 + (np.empty(0),)
        order = np.lexsort((p_inv, p_day))
        p_inv, p_day, p_amt = p_inv[order], p_day[order], p_amt[order]
        payments = _typed(
            pd.DataFrame(
                {
                    "payment_id": _ids("PAY-", len(p_inv), 7),
                    "invoice_id": inv_ids[p_inv],
                    "payment_date": dates(p_day),
                    "amount": p_amt,
                    "method": self.rng.choice(_METHODS, size=len(p_inv), p=_METHODS_P),
                }
            ),
            PAYMENTS,
        )
        calls_all, call_result = self._calls_frame(cust_ids, inv_ids, dates)

        cust = self.cust_of
        invoices = _typed(
            pd.DataFrame(
                {
                    "invoice_id": inv_ids,
                    "customer_id": cust_ids[cust],
                    "invoice_date": dates(self.inv_day),
                    "due_date": dates(self.due_day),
                    "amount": self.amount,
                    "customer_name": self.cust_name[cust],
                    "currency": "USD",
                    "disputed": (self.disputed_day >= 0) & (self.disputed_day <= end_day),
                    "written_off_date": dates(np.where(self.wo_day <= end_day, self.wo_day, -1)),
                    "terms": np.char.add("Net ", self.inv_terms.astype(str)).astype(object),
                }
            ),
            INVOICES,
        )
        customers = _typed(
            pd.DataFrame(
                {
                    "customer_id": cust_ids,
                    "customer_name": self.cust_name,
                    "phone": self.phone,
                    "contact_name": self.contact,
                    "email": self.email,
                    "timezone": self.zone_names[self.zone],
                    "do_not_call": self.dnc,
                    "placed_with_agency_date": dates(
                        np.where(self.placed_day <= end_day, self.placed_day, -1)
                    ),
                }
            ),
            CUSTOMERS,
        )
        end_excl = pd.Timestamp(self.end) + pd.Timedelta(days=1)
        tables = Tables(
            invoices=invoices,
            payments=payments[payments["payment_date"] <= self.end].reset_index(drop=True),
            calls=calls_all[calls_all["called_at"] < end_excl].reset_index(drop=True),
            customers=customers,
        )
        truth = self._truth(invoices, payments, calls_all, call_result, cust_ids, dates)
        return Simulation(tables=tables, truth=truth, params=dict(self.p))

    def _calls_frame(self, cust_ids, inv_ids, dates):
        parts = self.call_parts
        if parts:
            cols = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        else:
            ints = np.empty(0, dtype=np.int64)
            cols = dict.fromkeys(
                ("cust", "day", "seconds", "outcome", "invoice", "collector", "promise_day"),
                ints,
            ) | {
                "promise_amt": np.empty(0),
                "result": ints,
                "duration": ints,
                "cb_day": ints,
                "cb_sec": ints,
                "plan": ints,
                "payments_contact": np.empty(0, dtype=bool),
            }
        order = np.lexsort((cols["cust"], cols["seconds"], cols["day"]))
        cols = {key: val[order] for key, val in cols.items()}
        n = len(order)
        called_at = dates(cols["day"]) + cols["seconds"].astype("timedelta64[s]")
        outcome = np.array(OUTCOMES, dtype=object)[cols["outcome"]]
        notes = pd.Series(outcome).map(_NOTES)
        promise_date = pd.Series(dates(cols["promise_day"]))
        dated = promise_date.notna().to_numpy()
        notes[dated] = notes[dated] + " by " + promise_date[dated].dt.strftime("%Y-%m-%d")
        inv = cols["invoice"]
        cust = cols["cust"]
        plan = self._plan_columns(cols["plan"], dates)
        who = cols["payments_contact"]
        frame = _typed(
            pd.DataFrame(
                {
                    "call_id": _ids("CALL-", n, 7),
                    "customer_id": cust_ids[cols["cust"]],
                    "called_at": called_at,
                    "outcome": outcome,
                    "invoice_id": pd.array(
                        np.where(inv >= 0, np.asarray(inv_ids, dtype=object)[inv], None),
                        dtype="string",
                    ),
                    "collector": np.array(COLLECTORS, dtype=object)[cols["collector"]],
                    "promise_date": promise_date,
                    "promise_amount": cols["promise_amt"],
                    "duration_s": cols["duration"],
                    "notes": notes,
                    "callback_at": dates(cols["cb_day"]) + cols["cb_sec"].astype("timedelta64[s]"),
                    "payments_contact": np.where(who, self.pc_name[cust], None),
                    "payments_contact_title": np.where(who, self.pc_title[cust], None),
                    **plan,
                }
            ),
            CALLS,
        )
        self.plan_call_ids = np.empty(self.n_plans, dtype=object)
        self.plan_call_ids[cols["plan"][cols["plan"] >= 0]] = frame["call_id"].to_numpy(
            dtype=object
        )[cols["plan"] >= 0]
        result = np.array(["kept", "partial", "broken", ""], dtype=object)[cols["result"]]
        return frame, pd.array(np.where(result == "", None, result), dtype="string")

    def _plans_flat(self) -> dict:
        """Every plan's arrays, concatenated in plan-number order."""
        top = PLAN_MAX_INSTALMENTS
        if self.plan_parts:
            return {k: np.concatenate([p[k] for p in self.plan_parts]) for k in self.plan_parts[0]}
        ints, grid = np.empty(0, dtype=np.int64), np.empty((0, top), dtype=np.int64)
        return dict.fromkeys(("cust", "cents", "n", "first", "freq", "day", "end"), ints) | {
            "explicit": np.empty(0, dtype=bool),
            "due": grid,
            "inst": grid,
            "res": grid,
            "pay_day": grid,
        }

    def _plan_columns(self, ref, dates) -> dict:
        """The plan_* columns of the calls (``ref``: plan number per call, -1 if none)."""
        pl = self._plans_flat()
        has = ref >= 0
        r = np.where(has, ref, 0)
        if not len(pl["cents"]):  # no plan at all: every column empty
            r, has = np.zeros(len(ref), dtype=np.int64), np.zeros(len(ref), dtype=bool)
            pl = {k: np.zeros((1,) + v.shape[1:], dtype=v.dtype) for k, v in pl.items()}
        explicit = pl["explicit"][r]
        equal = has & ~explicit
        # "2026-12-05=2000.00; 2027-01-05=2000.00": one column at a time (<= 6 of them),
        # over the explicit schedules only.
        rows = np.flatnonzero(has & explicit)
        e = r[rows]
        due = pd.DataFrame(dates(pl["due"][e].ravel()).reshape(len(e), PLAN_MAX_INSTALMENTS))
        text = pd.Series("", index=range(len(e)), dtype=object)
        for j in range(PLAN_MAX_INSTALMENTS):
            piece = (
                due[j].dt.strftime("%Y-%m-%d") + "=" + np.char.mod("%.2f", pl["inst"][e, j] / 100)
            )
            piece = np.where(j < pl["n"][e], piece, "")
            sep = np.where((j > 0) & (j < pl["n"][e]), "; ", "")
            text = text + sep + piece
        schedule = np.full(len(r), None, dtype=object)
        schedule[rows] = text.to_numpy()
        return {
            "plan_amount": np.where(has, pl["cents"][r] / 100, np.nan),
            "plan_instalments": pd.Series(np.where(equal, pl["n"][r], 0), dtype="Int64").where(
                equal
            ),
            "plan_first_date": dates(np.where(equal, pl["first"][r], -1)),
            "plan_frequency": np.where(
                equal, np.array(PLAN_FREQUENCIES, dtype=object)[pl["freq"][r]], None
            ),
            "plan_schedule": schedule,
        }

    def _instalments_truth(self, call_ids, cust_ids, dates) -> pd.DataFrame:
        """sim.truth.plan_instalments: one row per instalment of every plan."""
        pl, top = self._plans_flat(), PLAN_MAX_INSTALMENTS
        m = len(pl["cents"])
        paid = np.zeros(m * top, dtype=np.int64)
        pay_day = np.full(m * top, -1)
        if self.inst_paid_parts:
            rows, days, cents = (np.concatenate(x) for x in zip(*self.inst_paid_parts, strict=True))
            np.add.at(paid, rows, cents)
            pay_day[rows[cents > 0]] = days[cents > 0]
        valid = (np.arange(top)[None, :] < pl["n"][:, None]).ravel()
        res = pl["res"].ravel()
        names = np.array(["kept", "partial", "missed", "stopped"], dtype=object)
        frame = pd.DataFrame(
            {
                "call_id": np.repeat(np.asarray(call_ids, dtype=object), top),
                "customer_id": np.repeat(np.asarray(cust_ids, dtype=object)[pl["cust"]], top),
                "instalment": np.tile(np.arange(1, top + 1), m),
                "due_date": dates(pl["due"].ravel()),
                "amount": pl["inst"].ravel() / 100,
                "result": names[np.maximum(res, 0)],
                "payment_date": dates(pay_day),
                "paid_amount": paid / 100,
            }
        )[valid].reset_index(drop=True)
        return frame.astype(
            {
                "call_id": "string",
                "customer_id": "string",
                "result": "string",
                "instalment": "int64",
            }
        )

    def _plans_truth(self, call_ids, cust_ids, dates) -> pd.DataFrame:
        """sim.truth.plans: one row per plan, with the days it governs the payments."""
        pl = self._plans_flat()
        return pd.DataFrame(
            {
                "call_id": pd.array(np.asarray(call_ids, dtype=object), dtype="string"),
                "customer_id": pd.array(
                    np.asarray(cust_ids, dtype=object)[pl["cust"]], dtype="string"
                ),
                "agreed_date": dates(pl["day"]),
                "end_date": dates(pl["end"]),
                "defaulted": (pl["res"] == 3).any(axis=1)
                | ((pl["res"] == 2).sum(axis=1) >= PLAN_MISSES_TO_STOP),
            }
        )

    def _truth(self, invoices, payments, calls_all, call_result, cust_ids, dates):
        n = self.n_inv
        idx = pd.Index(invoices["invoice_id"]).get_indexer(payments["invoice_id"])
        paid = np.round(np.bincount(idx, weights=payments["amount"].to_numpy(), minlength=n), 2)
        pay_day = ((payments["payment_date"] - self.start).dt.days).to_numpy()
        first = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(first, idx, pay_day)
        last = np.full(n, -1)
        np.maximum.at(last, idx, pay_day)
        first = np.where(first == np.iinfo(np.int64).max, -1, first)
        full = np.round(self.amount - paid, 2) <= 0
        written_off = self.wo_day >= 0
        inv_truth = pd.DataFrame(
            {
                "invoice_id": invoices["invoice_id"],
                "customer_id": invoices["customer_id"],
                "invoice_date": invoices["invoice_date"],
                "due_date": invoices["due_date"],
                "amount": invoices["amount"],
                "paid_amount": paid,
                "first_payment_date": dates(first),
                "last_payment_date": dates(last),
                "paid_in_full_date": dates(np.where(full, last, -1)),
                "written_off_date": dates(self.wo_day),
                "lost_amount": np.where(written_off, np.round(self.amount - paid, 2), 0.0),
                "open_at_until": ~full & ~written_off,
                "disputed_date": dates(self.disputed_day),
            }
        )
        weekdays = (
            pd.Series(_WEEKDAYS[self.best_days[:, 0]]) + "," + _WEEKDAYS[self.best_days[:, 1]]
        )
        cust_truth = pd.DataFrame(
            {
                "customer_id": cust_ids,
                "pay_propensity": self.propensity,
                "promise_keep_prob": self.keep_prob,
                "answer_prob": self.answer_prob,
                "best_hour_start": self.best_start,
                "best_hour_end": self.best_start + BEST_WINDOW_HOURS,
                "best_weekdays": pd.array(weekdays, dtype="string"),
                "timezone": pd.array(self.zone_names[self.zone], dtype="string"),
                "bad_phone": self.bad_phone,
                "agency_dpd": np.where(np.isinf(self.agency_dpd), np.nan, self.agency_dpd),
                "placed_with_agency_date": dates(self.placed_day),
                "plan_keep": self.plan_keep,
                "payments_contact": pd.array(self.pc_name, dtype="string"),
                "payments_contact_title": pd.array(self.pc_title, dtype="string"),
            }
        )
        return SimulationTruth(
            customers=cust_truth,
            invoices=inv_truth,
            payments=payments,
            calls=calls_all.assign(promise_result=call_result),
            contact_hazard_multiplier=self.p["contact_hazard_multiplier"],
            contact_effect_days=CONTACT_EFFECT_DAYS,
            end=self.end,
            simulated_until=self.start + pd.Timedelta(days=self.n_days - 1),
            plan_instalments=self._instalments_truth(self.plan_call_ids, cust_ids, dates),
            plans=self._plans_truth(self.plan_call_ids, cust_ids, dates),
        )


def _plan_due_days(start: pd.Timestamp, first: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """Due days (days since ``start``) of instalments 1..PLAN_MAX_INSTALMENTS.

    Weekly and fortnightly plans step 7 and 14 days from the first date; a monthly plan
    falls on the first date's day of the month, or the month's last day when shorter
    (31 Jan, 28 Feb, 31 Mar), as ``pandas.DateOffset(months=j)`` does.
    """
    j = np.arange(PLAN_MAX_INSTALMENTS)
    step = np.where(freq == PLAN_FREQUENCIES.index("weekly"), 7, 14)
    stepped = first[:, None] + step[:, None] * j[None, :]
    day0 = np.datetime64(start.date(), "D")
    first_date = day0 + first.astype("timedelta64[D]")
    month = first_date.astype("datetime64[M]")
    dom = (first_date - month.astype("datetime64[D]")).astype(np.int64)
    target = month[:, None] + j[None, :].astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    day = target.astype("datetime64[D]") + np.minimum(dom[:, None], length - 1).astype(
        "timedelta64[D]"
    )
    monthly = (day - day0).astype(np.int64)
    return np.where((freq == PLAN_FREQUENCIES.index("monthly"))[:, None], monthly, stepped)


def _durations(rng: np.random.Generator, outcome: np.ndarray) -> np.ndarray:
    """Call length in seconds: short when nobody answers, minutes when someone does."""
    k = len(outcome)
    short = rng.integers(15, 45, k)
    message = rng.integers(30, 95, k)
    talk = np.round(np.exp(rng.normal(np.log(200.0), 0.5, k))).astype(np.int64)
    return np.select(
        [
            outcome == _OUT["no_answer"],
            outcome == _OUT["voicemail"],
            np.isin(outcome, [_OUT["wrong_number"], _OUT["third_party"]]),
        ],
        [short, message, message + 20],
        default=talk + 30,
    )


def _ids(prefix: str, n: int, min_width: int):
    """``prefix`` + 1..n, zero-padded to at least ``min_width`` digits, as strings."""
    if n == 0:  # np.char cannot size an empty array of strings
        return pd.array([], dtype="string")
    width = max(min_width, len(str(n)))
    digits = np.char.zfill(np.arange(1, n + 1).astype(str), width)
    return pd.array(np.char.add(prefix, digits).astype(object), dtype="string")


def _typed(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Canonical column order and dtypes."""
    cols = [c for c in table.names if c in frame]
    return frame[cols].astype({c: dtype_of(table.kind(c)) for c in cols})


def main(argv: list[str] | None = None) -> int:
    """``python -m arcalls.simulate --out DIR [--invoices N]``: write a history."""
    parser = argparse.ArgumentParser(
        prog="python -m arcalls.simulate",
        description="Write a simulated receivables history (four canonical CSVs).",
    )
    parser.add_argument("--out", required=True, type=Path, help="folder to write into")
    parser.add_argument(
        "--invoices",
        type=int,
        help="about this many invoices (sets the number of customers); "
        f"default: {DEFAULT_N_CUSTOMERS} customers",
    )
    parser.add_argument("--customers", type=int, help="number of customers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", default=DEFAULT_START)
    parser.add_argument("--end", default=DEFAULT_END)
    parser.add_argument(
        "--call-rate", type=float, default=DEFAULT_CALL_RATE, help="daily call chance"
    )
    parser.add_argument(
        "--cool-down-days",
        type=int,
        default=CALL_COOL_DOWN_DAYS,
        help="days before an account is called again",
    )
    parser.add_argument(
        "--follow-up-days",
        type=int,
        default=DEFAULT_FOLLOW_UP_DAYS,
        help="days simulated after the end for the truth (0 is fastest)",
    )
    args = parser.parse_args(argv)
    try:
        n_customers = args.customers or customers_for_invoices(
            args.invoices, start=args.start, end=args.end
        )
        sim = simulate(
            n_customers=n_customers,
            seed=args.seed,
            start=args.start,
            end=args.end,
            call_rate=args.call_rate,
            cool_down_days=args.cool_down_days,
            follow_up_days=args.follow_up_days,
        )
        written = sim.write(args.out)
    except ArcallsError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    # Say what was written: a run that prints nothing looks like one that did nothing.
    sys.stdout.write(f"Wrote a simulated history to {args.out}:\n")
    for path, frame in zip(written.values(), sim.tables, strict=True):
        rows = len(frame)
        sys.stdout.write(f"  {path.name}: {rows:,} {'row' if rows == 1 else 'rows'}\n")
    return 0


def customers_for_invoices(
    n_invoices: int | None,
    *,
    start=DEFAULT_START,
    end=DEFAULT_END,
    invoices_per_customer_month: float = DEFAULT_INVOICES_PER_CUSTOMER_MONTH,
) -> int:
    """How many customers give about ``n_invoices`` invoices (None: the default)."""
    if n_invoices is None:
        return DEFAULT_N_CUSTOMERS
    n_invoices = _check_nonneg_int(n_invoices, "invoices")
    start_ts, end_ts = _check_dates(start, end)
    months = ((end_ts - start_ts).days + 1) / 30.4375
    return max(1, round(n_invoices / (invoices_per_customer_month * months)))
