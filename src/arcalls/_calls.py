"""Call statistics: contact rates, local call times, and the best time to call.

``called_at`` is a naive timestamp in the business's own clock (the time the phone
system shows the collector); :data:`DEFAULT_BUSINESS_TZ` says which clock that is. A
customer's local time is that instant converted to the customer's IANA ``timezone``; a
customer without one is taken to be in the business's zone. An unknown zone name is an
:class:`~arcalls.errors.InputError` naming the customers and the zone: a wrong zone would
silently shift every hour of that customer, so it must be fixed, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from ._checks import check_columns
from ._keys import factorize
from .errors import InputError, SchemaError
from .schema import OUTCOMES, RIGHT_PARTY_OUTCOMES

#: The clock ``called_at`` is written in, unless the caller says otherwise.
DEFAULT_BUSINESS_TZ = "America/New_York"
#: Width of a "best time" window, in hours of the customer's local day.
DEFAULT_WINDOW_HOURS = 2
#: A customer's own hours are judged only once it has this many attempts.
DEFAULT_MIN_OWN_ATTEMPTS = 10
#: A window is a candidate only with at least this many attempts in it.
MIN_WINDOW_ATTEMPTS = 3
#: One-sided confidence that a window's contact rate beats the rate at the other hours.
DEFAULT_BEST_TIME_CONFIDENCE = 0.95
#: What the best-time text says where the evidence supports no window.
NO_EVIDENCE = "no evidence yet"
#: Pseudo-attempts that pull a thin window's rate towards its segment's (or everyone's)
#: rate, so that 1 contact in 1 attempt does not beat 30 in 60.
DEFAULT_PRIOR_ATTEMPTS = 10

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DERIVED = ("month", "weekday", "hour")
_NO_SEGMENT = "(all)"


@dataclass(frozen=True)
class CallTimes:
    """When calls reach the right person, from :func:`best_call_times`.

    Attributes
    ----------
    grid : DataFrame
        ``weekday`` (0 = Monday), ``weekday_name``, ``hour`` (customer's local time),
        ``attempts``, ``contacts``, ``contact_rate``: every weekday x hour with calls.
    segments : DataFrame
        ``segment``, ``window_start``, ``window_end`` (local hours), ``attempts``,
        ``contacts``, ``contact_rate`` (raw), ``estimate`` (shrunk towards the overall
        rate), ``ci_low`` / ``ci_high`` (Wilson interval of the rate, two-sided at
        ``2 * confidence - 1``), ``other_rate`` (the segment's rate at its other hours),
        ``lift_low`` (one-sided lower confidence bound of rate - other_rate,
        Agresti-Caffo), ``supported`` (``lift_low > 0`` with at least
        :data:`MIN_WINDOW_ATTEMPTS` attempts), ``rank`` (1 = strongest evidence: highest
        ``lift_low``) and ``best`` (rank 1).
    by_customer : DataFrame
        ``customer_id``, ``segment``, ``attempts``, ``contacts``, ``contact_rate``,
        ``attempts_to_first_contact`` (attempts up to and including the first
        right-party contact; NA if never reached), ``best_window_start`` and
        ``best_window_end`` (NA without evidence), ``best_time`` (``"14:00-16:00"``
        or :data:`NO_EVIDENCE`), ``window_attempts``, ``window_contacts``,
        ``best_estimate`` (contact rate in that window), ``ci_low`` / ``ci_high`` (its
        interval), ``lift_low`` and ``source`` (``own``: the customer's own history
        supports the window; ``segment``: its segment's does; ``none``: no evidence
        yet).
    book : DataFrame
        The whole book's windows ranked by evidence, strongest first: the columns of
        ``segments`` without ``segment`` and ``best``. Advice for a customer without
        evidence of its own, never shown as that customer's window.
    """

    grid: pd.DataFrame
    segments: pd.DataFrame
    by_customer: pd.DataFrame
    book: pd.DataFrame

    @property
    def summary(self) -> pd.DataFrame:
        """Each segment's best window and how many customers have their own."""
        best = self.segments[self.segments["best"]].drop(columns="best")
        own = (
            self.by_customer.assign(own=self.by_customer["source"] == "own")
            .groupby("segment", observed=True)
            .agg(customers=("customer_id", "size"), with_own_window=("own", "sum"))
        )
        return best.merge(own, left_on="segment", right_index=True, how="left")

    def _repr_html_(self) -> str:
        return self.summary.to_html(index=False)


def call_local_times(
    calls: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    business_tz: str | None = DEFAULT_BUSINESS_TZ,
) -> pd.DataFrame:
    """The calls with each one's time in the customer's own time zone.

    Parameters
    ----------
    calls : DataFrame
        Canonical calls; ``called_at`` naive in ``business_tz`` (or tz-aware).
    customers : DataFrame, optional
        Canonical customers with ``timezone`` (IANA name, e.g. ``America/Denver``).
        Missing customers or zones: the business's zone.
    business_tz : str or None, default :data:`DEFAULT_BUSINESS_TZ`
        The clock of a naive ``called_at``. None: no conversion at all (the times are
        already the customers' local times). A clock time skipped by a daylight-saving
        change moves forward; a repeated one is read as standard time.

    Returns
    -------
    DataFrame
        A copy of ``calls`` plus ``timezone``, ``local_time`` (naive, customer's
        clock), ``local_hour`` and ``local_weekday`` (0 = Monday).

    Raises
    ------
    InputError
        A time zone name is unknown; the message names the customers and the zone.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"call_id": ["1"], "customer_id": ["c1"],
    ...     "called_at": pd.to_datetime(["2026-03-09 12:00"]), "outcome": ["contact"]})
    >>> customers = pd.DataFrame({"customer_id": ["c1"], "timezone": ["America/Los_Angeles"]})
    >>> call_local_times(calls, customers)[["called_at", "local_time", "local_hour"]]
                called_at          local_time  local_hour
    0 2026-03-09 12:00:00 2026-03-09 09:00:00           9
    """
    _check_columns(calls, ["customer_id", "called_at"], "calls")
    codes, ids = factorize(calls["customer_id"])
    zone_code, zone_names = _zone_codes(codes, ids, customers, business_tz)
    local = pd.Series(
        _local_clock(calls["called_at"], zone_code, zone_names, business_tz), index=calls.index
    )
    zones = pd.Series(
        np.asarray(zone_names, dtype=object)[np.maximum(zone_code, 0)]
        if len(zone_names)
        else np.full(len(calls), None),
        index=calls.index,
    ).where(zone_code >= 0)
    return calls.assign(
        timezone=zones.astype("string"),
        local_time=local,
        local_hour=local.dt.hour.astype("int64"),
        local_weekday=local.dt.weekday.astype("int64"),
    )


def _local_clock(called: pd.Series, zone_code, zone_names, business_tz) -> np.ndarray:
    """Each call's time on its customer's clock (naive ``datetime64[ns]``)."""
    if business_tz is None and called.dt.tz is None:
        return called.to_numpy(dtype="datetime64[ns]")
    if called.dt.tz is None:
        instant = called.dt.tz_localize(
            business_tz,
            ambiguous=np.zeros(len(called), dtype=bool),
            nonexistent="shift_forward",
        )
    else:
        instant = called
    local = np.empty(len(called), dtype="datetime64[ns]")
    # One vectorised conversion per distinct zone: a handful of zones, not rows, each a
    # contiguous slice of the calls sorted by zone. (A call with no zone at all,
    # possible only when business_tz is None, keeps NaT.)
    local[zone_code < 0] = np.datetime64("NaT")
    # A handful of zones: a 16-bit code sorts by radix, several times faster than int64.
    small = np.int16 if len(zone_names) < np.iinfo(np.int16).max else np.int64
    order = np.argsort(zone_code.astype(small), kind="stable")
    bounds = np.searchsorted(zone_code[order], np.arange(len(zone_names) + 1))
    stamps = pd.DatetimeIndex(instant)
    for code, zone in enumerate(zone_names):
        rows = order[bounds[code] : bounds[code + 1]]
        if len(rows):
            here = stamps[rows].tz_convert(zone).tz_localize(None)
            local[rows] = here.to_numpy("datetime64[ns]")
    return local


def _hour_weekday(local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hour and weekday (0 = Monday) of naive ``datetime64[ns]`` stamps, by integer
    arithmetic on the nanoseconds (pandas' field accessors take several times longer).
    A missing time goes through pandas, whose answer (and failure) it keeps."""
    if np.isnat(local).any():
        stamps = pd.DatetimeIndex(local)
        return stamps.hour.to_numpy(np.int64), stamps.weekday.to_numpy(np.int64)
    day, in_day = np.divmod(local.view(np.int64), 86_400 * 10**9)
    return in_day // (3_600 * 10**9), (day + 3) % 7  # day 0, 1970-01-01, was a Thursday


def contact_rates(
    calls: pd.DataFrame,
    *,
    by: str | list[str] | None = None,
) -> pd.DataFrame:
    """Attempts, right-party contacts, promises, disputes and wrong numbers, with rates.

    Parameters
    ----------
    calls : DataFrame
        Canonical calls.
    by : str or list of str, optional
        Columns of ``calls`` to group by (e.g. ``collector``, ``customer_id``). Also
        ``month`` (``YYYY-MM``), ``weekday`` (0 = Monday) and ``hour``, taken from
        ``called_at`` in the business's clock when ``calls`` has no such column.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``attempts``, ``right_party_contacts``, ``promises``,
        ``disputes``, ``wrong_numbers``; rates per attempt ``contact_rate``,
        ``promise_rate``, ``dispute_rate``, ``wrong_number_rate``; and per customer
        ``customers``, ``customers_reached`` (at least one right-party contact),
        ``customers_promised``, ``reach_rate`` (reached / customers),
        ``customer_promise_rate`` and ``attempts_per_customer``.

    Raises
    ------
    InputError
        An outcome outside the vocabulary (``arcalls.OUTCOMES``), named in the message.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"call_id": list("1234"), "customer_id": ["a", "a", "b", "b"],
    ...     "called_at": pd.to_datetime(["2026-01-05 10:00"] * 4),
    ...     "outcome": ["no_answer", "promise", "wrong_number", "voicemail"]})
    >>> contact_rates(calls)[["attempts", "right_party_contacts", "contact_rate",
    ...     "customers", "reach_rate"]]
       attempts  right_party_contacts  contact_rate  customers  reach_rate
    0         4                     1          0.25          2         0.5
    """
    keys = [by] if isinstance(by, str) else list(by or [])
    _check_columns(calls, ["customer_id", "called_at", "outcome"], "calls")
    _check_columns(calls, [k for k in keys if k not in _DERIVED], "calls")
    _check_outcomes(calls)
    frame = _with_derived(calls, keys)
    outcome = frame["outcome"].astype("string")
    flags = pd.DataFrame(
        {
            "attempts": 1,
            "right_party_contacts": outcome.isin(sorted(RIGHT_PARTY_OUTCOMES)).to_numpy(),
            "promises": (outcome == "promise").to_numpy(bool),
            "disputes": (outcome == "dispute").to_numpy(bool),
            "wrong_numbers": (outcome == "wrong_number").to_numpy(bool),
        },
        index=frame.index,
    ).astype("int64")
    grouper = [frame[k] for k in keys] if keys else np.zeros(len(frame), dtype=np.int64)
    counts = flags.groupby(grouper, observed=True, dropna=False).sum()
    customer = frame["customer_id"]
    customers = customer.groupby(grouper, observed=True, dropna=False).nunique()
    rpc = flags["right_party_contacts"].to_numpy(bool)
    promised = flags["promises"].to_numpy(bool)
    reached = customer.where(rpc).groupby(grouper, observed=True, dropna=False).nunique()
    with_promise = customer.where(promised).groupby(grouper, observed=True, dropna=False).nunique()
    table = counts.assign(
        customers=customers, customers_reached=reached, customers_promised=with_promise
    )
    attempts = table["attempts"].astype("float64")
    n_customers = table["customers"].astype("float64")
    table = table.assign(
        contact_rate=table["right_party_contacts"] / attempts,
        promise_rate=table["promises"] / attempts,
        dispute_rate=table["disputes"] / attempts,
        wrong_number_rate=table["wrong_numbers"] / attempts,
        reach_rate=table["customers_reached"] / n_customers,
        customer_promise_rate=table["customers_promised"] / n_customers,
        attempts_per_customer=attempts / n_customers,
    )
    table = table.reset_index(drop=not keys)
    if keys:
        table.columns = [*keys, *table.columns[len(keys) :]]
    order = [
        "attempts",
        "right_party_contacts",
        "promises",
        "disputes",
        "wrong_numbers",
        "contact_rate",
        "promise_rate",
        "dispute_rate",
        "wrong_number_rate",
        "customers",
        "customers_reached",
        "customers_promised",
        "reach_rate",
        "customer_promise_rate",
        "attempts_per_customer",
    ]
    return table[[*keys, *order]]


def best_call_times(
    calls: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    business_tz: str | None = DEFAULT_BUSINESS_TZ,
    segment: str | None = None,
    window_hours: int = DEFAULT_WINDOW_HOURS,
    min_attempts: int = DEFAULT_MIN_OWN_ATTEMPTS,
    prior_attempts: float = DEFAULT_PRIOR_ATTEMPTS,
    confidence: float = DEFAULT_BEST_TIME_CONFIDENCE,
) -> CallTimes:
    """Right-party contact rate by the customer's local hour and weekday, and the best
    window to call each customer.

    A window is advice only where the evidence supports it: its contact rate must be
    above the rate at the other hours of the same calls with one-sided ``confidence``
    (the lower bound of the Agresti-Caffo interval of the difference is above zero),
    with at least :data:`MIN_WINDOW_ATTEMPTS` attempts in it. Among a customer's (or
    segment's) windows the candidate is the one with the highest such bound. A customer
    with at least ``min_attempts`` calls whose own history supports a window gets it
    (``source`` ``own``); else, when ``segment`` names a real grouping (industry, size,
    ``timezone``...), the segment's supported window (``segment``); else no window and
    ``best_time`` says :data:`NO_EVIDENCE` (``none``). The whole book is not a segment
    a customer belongs to: its windows are ranked apart, in ``book``, each with its
    interval. The segment ``estimate`` (rate shrunk towards the overall rate with
    ``prior_attempts`` pseudo attempts) is kept for reading the table.

    Parameters
    ----------
    calls : DataFrame
        Canonical calls.
    customers : DataFrame, optional
        Canonical customers: ``timezone`` and, if given, the ``segment`` column.
    business_tz : str or None, default :data:`DEFAULT_BUSINESS_TZ`
        The clock of ``called_at`` (see :func:`call_local_times`).
    segment : str, optional
        A column of ``customers`` grouping similar customers (industry, size...).
        None: every customer is in one segment, ``"(all)"``.
    window_hours : int, default :data:`DEFAULT_WINDOW_HOURS`
        Width of a window; windows start at multiples of it (0, 2, 4... by default).
    min_attempts : int, default :data:`DEFAULT_MIN_OWN_ATTEMPTS`
        Attempts a customer needs before its own hours are judged.
    prior_attempts : float, default :data:`DEFAULT_PRIOR_ATTEMPTS`
        Strength of the shrinkage of the segment ``estimate``, in attempts.
    confidence : float, default :data:`DEFAULT_BEST_TIME_CONFIDENCE`
        One-sided confidence that a window beats the other hours; intervals shown are
        two-sided at ``2 * confidence - 1`` (90 % by default), whose lower edge is
        that one-sided bound.

    Returns
    -------
    CallTimes
        ``grid``, ``segments``, ``by_customer`` and ``book`` tables (see
        :class:`CallTimes`).

    Raises
    ------
    InputError
        Unknown time zone, unknown outcome, or a bad option.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"call_id": list("1234"), "customer_id": ["a"] * 4,
    ...     "called_at": pd.to_datetime(["2026-01-05 09:10", "2026-01-06 09:40",
    ...                                  "2026-01-07 15:00", "2026-01-08 15:30"]),
    ...     "outcome": ["contact", "promise", "no_answer", "voicemail"]})
    >>> times = best_call_times(calls, business_tz=None, min_attempts=1)
    >>> times.by_customer[["customer_id", "best_time", "source"]]
      customer_id        best_time source
    0           a  no evidence yet   none
    >>> times.book[["window_start", "window_end", "attempts", "contacts", "rank"]]
       window_start  window_end  attempts  contacts  rank
    0             8          10         2         2     1
    1            14          16         2         0     2
    """
    _check_int_option("window_hours", window_hours, low=1, high=24)
    _check_int_option("min_attempts", min_attempts, low=0, high=None)
    if not np.isfinite(prior_attempts) or prior_attempts < 0:
        raise InputError(f"prior_attempts must be a number >= 0, got {prior_attempts!r}.")
    if not (isinstance(confidence, float | int) and 0.5 < confidence < 1):
        raise InputError(f"confidence must be between 0.5 and 1 (e.g. 0.95), got {confidence!r}.")
    return _best_call_times(
        calls,
        customers,
        business_tz=business_tz,
        segment=segment,
        window_hours=window_hours,
        min_attempts=min_attempts,
        prior_attempts=prior_attempts,
        confidence=confidence,
    )


def _best_call_times(
    calls,
    customers=None,
    *,
    coded=None,
    business_tz=DEFAULT_BUSINESS_TZ,
    segment=None,
    window_hours=DEFAULT_WINDOW_HOURS,
    min_attempts=DEFAULT_MIN_OWN_ATTEMPTS,
    prior_attempts=DEFAULT_PRIOR_ATTEMPTS,
    confidence=DEFAULT_BEST_TIME_CONFIDENCE,
) -> CallTimes:
    """:func:`best_call_times` of checked options; ``coded``: the calls' customers
    already coded, ``(codes, ids)`` as ``factorize(calls["customer_id"], sort=True)``
    gives them (the weekly list reads them off its book, which hashed the call log's
    ids once), else hashed here."""
    z = NormalDist().inv_cdf(confidence)
    _check_columns(calls, ["call_id", "customer_id", "called_at", "outcome"], "calls")
    _check_outcomes(calls)
    # Integer codes for customers, zones and segments: the grouping below is bincounts
    # and sorts on numbers, never on millions of strings.
    codes, ids = factorize(calls["customer_id"], sort=True) if coded is None else coded
    zone_code, zone_names = _zone_codes(codes, ids, customers, business_tz)
    local = _local_clock(calls["called_at"], zone_code, zone_names, business_tz)
    hour, weekday = _hour_weekday(local)
    contact = calls["outcome"].isin(sorted(RIGHT_PARTY_OUTCOMES)).to_numpy(bool)
    n_windows = -(-24 // window_hours)
    window = hour // window_hours
    seg_of_customer, seg_names = _segment_codes(ids, customers, segment)
    seg_code = (
        np.where(codes >= 0, seg_of_customer[np.maximum(codes, 0)], seg_names.index(_NO_SEGMENT))
        if len(ids)
        else np.full(len(codes), seg_names.index(_NO_SEGMENT))
    )

    cell = weekday * 24 + hour
    attempts = np.bincount(cell, minlength=7 * 24)
    # Counts of the flagged rows: an integer bincount, no float weights.
    contacts = np.bincount(cell[contact], minlength=7 * 24)
    tried = np.flatnonzero(attempts)
    grid = pd.DataFrame(
        {
            "weekday": tried // 24,
            "weekday_name": np.asarray(WEEKDAY_NAMES)[tried // 24],
            "hour": tried % 24,
            "attempts": attempts[tried],
            "contacts": contacts[tried],
        }
    )
    grid["contact_rate"] = grid["contacts"] / grid["attempts"]

    overall = contact.mean() if len(contact) else np.nan
    segs = _window_table(seg_code, window, contact, len(seg_names), n_windows, window_hours, z=z)
    seg_of_row = segs.pop("group").to_numpy()
    segs.insert(0, "segment", pd.array(np.asarray(seg_names, dtype=object)[seg_of_row]))
    segs = segs.astype({"segment": "string"})
    segs.insert(
        6,
        "estimate",
        (segs["contacts"] + prior_attempts * overall) / (segs["attempts"] + prior_attempts),
    )
    segs["best"] = segs["rank"] == 1
    book = _window_table(
        np.zeros(len(window), dtype=np.int64), window, contact, 1, n_windows, window_hours, z=z
    ).drop(columns="group")
    book = book.sort_values("rank", kind="stable").reset_index(drop=True)

    # The per-call clock is done with: freed before the customers' windows add their own
    # (five arrays of 24 MB each at 3M calls).
    del local, hour, weekday, cell, zone_code
    by_customer = _customer_windows(
        _CodedCalls(codes, ids, calls["called_at"].to_numpy(), contact, window, seg_code),
        segs.assign(seg=seg_of_row, win=segs["window_start"] // window_hours),
        seg_of_customer,
        seg_names,
        window_hours=window_hours,
        min_attempts=min_attempts,
        z=z,
    )
    return CallTimes(grid=grid, segments=segs, by_customer=by_customer, book=book)


# --- helpers -------------------------------------------------------------------------


def _check_columns(frame: pd.DataFrame, required, name: str) -> None:
    check_columns(frame, required, what=f"{name} table")


def _check_int_option(name, value, *, low, high) -> None:
    ok = isinstance(value, int | np.integer) and value >= low and (high is None or value <= high)
    if not ok:
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise InputError(f"{name} must be a whole number {bound}, got {value!r}.")


def _check_outcomes(calls: pd.DataFrame) -> None:
    # isin on the column as it is: casting to "string" would copy an Arrow column into
    # Python strings (half a second for 3M calls).
    outcome = calls["outcome"]
    bad = outcome.notna() & ~outcome.isin(OUTCOMES)
    if bad.any():
        values = sorted(outcome[bad].astype("string").unique().tolist())
        raise InputError(
            f"Unknown call outcome(s) {values[:5]}: expected one of {list(OUTCOMES)}. "
            "Load the call log with arcalls.load_calls(..., outcome_map={...}) to map "
            "your spellings."
        )


def _zone_codes(codes, ids, customers, business_tz) -> tuple[np.ndarray, list[str]]:
    """Each call's time-zone code and the zone names (the business's zone when the
    customer has none; code -1 only when there is no business zone either).

    ``codes``/``ids`` are the calls' customers as ``pd.factorize`` gives them: the zones
    are looked up once per customer, not once per call.
    """
    zones = pd.Series(pd.NA, index=range(len(ids)), dtype="string")
    if customers is not None and "timezone" in customers:
        first = customers.drop_duplicates("customer_id")
        zone_of = first.set_index(first["customer_id"].astype("string"))["timezone"].astype(
            "string"
        )
        zone_of = zone_of.where(zone_of.str.strip() != "")
        _check_zones(zone_of)
        zones = pd.Series(pd.Index(ids).astype("string"), dtype="string").map(zone_of)
        zones = zones.astype("string")
    if business_tz is not None:
        zones = zones.fillna(business_tz)
    zone_of_customer, names = pd.factorize(zones)
    per_call = np.where(codes >= 0, zone_of_customer[np.maximum(codes, 0)], -1)
    if business_tz is not None and (codes < 0).any():
        # A call without a customer id is on the business's clock.
        known = list(names)
        if business_tz not in known:
            known.append(business_tz)
        per_call = np.where(codes >= 0, per_call, known.index(business_tz))
        names = known
    return per_call.astype(np.int64), [str(n) for n in names]


def _check_zones(zone_of: pd.Series) -> None:
    bad = []
    for zone in zone_of.dropna().unique():
        try:
            pd.Timestamp("2000-01-01").tz_localize(zone)
        except Exception:  # noqa: BLE001 - pytz, zoneinfo and dateutil raise differently
            bad.append(zone)
    if bad:
        where = zone_of[zone_of.isin(bad)]
        problems = (
            pd.DataFrame(
                {
                    "file": "customers",
                    "row": pd.array([pd.NA] * len(where), dtype="Int64"),
                    "column": "timezone",
                    "value": where.to_numpy(),
                    "problem": "unknown time zone for customer "
                    + where.index.to_series().to_numpy(),
                }
            )
            .astype("string")
            .astype({"row": "Int64"})
        )
        examples = ", ".join(f"{c!r}: {z!r}" for c, z in list(where.items())[:5])
        raise InputError(
            f"Unknown time zone(s) for {len(where)} customer(s) ({examples}). Use IANA "
            "names such as 'America/Chicago' or 'Europe/London', or leave the cell empty "
            "for the business's own zone.",
            problems=problems,
        )


def _with_derived(calls, keys) -> pd.DataFrame:
    extra = {}
    when = calls["called_at"]
    if "month" in keys and "month" not in calls:
        extra["month"] = month_text(when)
    if "weekday" in keys and "weekday" not in calls:
        extra["weekday"] = when.dt.weekday.astype("int64")
    if "hour" in keys and "hour" not in calls:
        extra["hour"] = when.dt.hour.astype("int64")
    return calls.assign(**extra) if extra else calls


def month_text(when: pd.Series) -> pd.Series:
    """``YYYY-MM`` of each timestamp; formats each distinct month once (strftime on
    millions of rows takes seconds)."""
    number = (when.dt.year * 12 + when.dt.month - 1).to_numpy()
    codes, months = pd.factorize(number)
    labels = np.array([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in months], dtype=object)
    text = labels[codes] if len(labels) else np.array([], dtype=object)
    return pd.Series(text, index=when.index, dtype="string")


def _segment_codes(ids, customers, segment) -> tuple[np.ndarray, list[str]]:
    """Per customer (``ids``), the code of its segment, and the sorted segment names
    (:data:`_NO_SEGMENT` always among them)."""
    if segment is None:
        return np.zeros(len(ids), dtype=np.int64), [_NO_SEGMENT]
    if customers is None or segment not in customers:
        raise SchemaError(
            f"segment={segment!r} must be a column of the customers table; "
            f"it has {[] if customers is None else list(customers.columns)}."
        )
    seg_of = customers.drop_duplicates("customer_id").set_index("customer_id")[segment]
    seg_of.index = seg_of.index.astype("string")
    seg = pd.Series(pd.Index(ids).astype("string"), dtype="string").map(seg_of.astype("string"))
    seg = seg.fillna(_NO_SEGMENT).astype("string")
    codes, names = pd.factorize(
        pd.concat([seg, pd.Series([_NO_SEGMENT], dtype="string")]), sort=True
    )
    return codes[:-1].astype(np.int64), [str(n) for n in names]


@dataclass(frozen=True)
class _CodedCalls:
    """The calls as integer codes: customer (sorted ids; -1 none), time, contact flag,
    window index and segment code."""

    customer: np.ndarray
    ids: pd.Index
    called_at: np.ndarray
    contact: np.ndarray
    window: np.ndarray
    segment: np.ndarray


def _customer_windows(
    calls: _CodedCalls,
    segs: pd.DataFrame,
    seg_of_customer: np.ndarray,
    seg_names: list[str],
    *,
    window_hours: int,
    min_attempts: int,
    z: float,
) -> pd.DataFrame:
    n_windows = -(-24 // window_hours)
    has = calls.customer >= 0
    # Usually every call has its customer: then the calls' own arrays, not copies.
    every = bool(has.all())
    cust = calls.customer if every else calls.customer[has]
    contact = calls.contact if every else calls.contact[has]
    stamp = calls.called_at if every else calls.called_at[has]
    n = len(calls.ids)
    attempts = np.bincount(cust, minlength=n)
    contacts = np.bincount(cust[contact], minlength=n)
    # Attempts up to and including the first right-party contact: every call not later
    # than it (a comparison per call instead of a sort by customer).
    first_at = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_at, cust[contact], stamp[contact].astype(np.int64))
    reached = first_at != np.iinfo(np.int64).max
    # The nanoseconds as they are (a view), not a copy of 3M stamps.
    ns = stamp.view(np.int64) if stamp.dtype == "datetime64[ns]" else stamp.astype(np.int64)
    upto_first = reached[cust] & (ns <= first_at[cust])
    first_contact = pd.array(np.bincount(cust[upto_first], minlength=n), dtype="Int64")
    first_contact[~reached] = pd.NA
    segment = np.asarray(seg_names, dtype=object)[seg_of_customer] if n else np.array([], object)
    per_customer = pd.DataFrame(
        {
            "customer_id": calls.ids,
            "segment": pd.array(segment, dtype="string"),
            "attempts": attempts,
            "contacts": contacts,
        }
    )
    per_customer["contact_rate"] = per_customer["contacts"] / per_customer["attempts"]
    per_customer["attempts_to_first_contact"] = first_contact

    # Each customer's own windows, each against the customer's other hours.
    window = calls.window if every else calls.window[has]
    own = _windows(cust, window, contact, n, n_windows, window_hours, z=z)
    candidate = _first_ranked(own)
    who = own["group"][candidate]
    judged = np.zeros(n, dtype=bool)
    judged[who] = (attempts[who] >= min_attempts) & own["supported"][candidate]
    # Else the segment's supported best window, for a real segment only.
    seg_best = segs[segs["best"] & segs["supported"]]
    seg_row = np.full(len(seg_names), -1, dtype=np.int64)
    seg_row[seg_best["seg"].to_numpy()] = np.arange(len(seg_best))
    if _NO_SEGMENT in seg_names:
        seg_row[seg_names.index(_NO_SEGMENT)] = -1
    lend = ~judged & (seg_row[seg_of_customer] >= 0) if n else np.zeros(0, dtype=bool)

    columns = ["window_start", "window_end", "attempts", "contacts", "contact_rate"]
    columns += ["ci_low", "ci_high", "lift_low"]
    values = {c: np.full(n, np.nan) for c in columns}
    lent = seg_best.iloc[seg_row[seg_of_customer[lend]]] if lend.any() else seg_best.iloc[[]]
    for c in columns:
        values[c][who] = own[c][candidate]
        values[c][~judged] = np.nan
        values[c][lend] = lent[c].to_numpy(float)
    shown = judged | lend
    per_customer["best_window_start"] = _whole_or_na(values["window_start"])
    per_customer["best_window_end"] = _whole_or_na(values["window_end"])
    # One label per distinct window shown (a dozen at most), not string work per customer.
    best_time = np.full(n, NO_EVIDENCE, dtype=object)
    if shown.any():
        key = values["window_start"][shown] * 100 + values["window_end"][shown]
        keys, which = np.unique(key.astype(np.int64), return_inverse=True)
        labels = np.array([f"{k // 100:02d}:00-{k % 100:02d}:00" for k in keys], dtype=object)
        best_time[shown] = labels[which]
    per_customer["best_time"] = best_time
    per_customer["window_attempts"] = _whole_or_na(values["attempts"])
    per_customer["window_contacts"] = _whole_or_na(values["contacts"])
    per_customer["best_estimate"] = values["contact_rate"]
    per_customer["ci_low"] = values["ci_low"]
    per_customer["ci_high"] = values["ci_high"]
    per_customer["lift_low"] = values["lift_low"]
    source = np.where(judged, "own", np.where(shown, "segment", "none"))
    per_customer["source"] = pd.array(source, dtype="string")
    return per_customer


def _window_table(group, window, contact, n_groups, n_windows, window_hours, *, z) -> pd.DataFrame:
    """:func:`_windows` as a table, with each window's ``rank`` within its group."""
    cols = _windows(group, window, contact, n_groups, n_windows, window_hours, z=z)
    return pd.DataFrame({**cols, "rank": _ranks(cols, window_hours)})


def _whole_or_na(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Whole numbers held as floats (NaN: none) as Int64, without pandas' checks that
    each float is whole (they are: counts and hours)."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def _windows(group, window, contact, n_groups, n_windows, window_hours, *, z) -> dict:
    """Per (group, window) with calls: attempts, contacts, rate, its Wilson interval, the
    group's rate at its other hours, the one-sided lower bound of the difference
    (Agresti-Caffo: one success and one failure added to each side) and whether it is
    supported. Columns as arrays, in order of group (then window): the per-customer
    windows keep only each customer's first-ranked rows, without a table of them all."""
    ok = group >= 0
    if ok.all():  # usually: no copy
        cell, hit = group * n_windows + window, contact
    else:
        cell, hit = group[ok] * n_windows + window[ok], contact[ok]
    size = n_groups * n_windows
    attempts = np.bincount(cell, minlength=size)
    contacts = np.bincount(cell[hit], minlength=size)
    tried = np.flatnonzero(attempts)
    g = tried // n_windows
    a, c = attempts[tried], contacts[tried]
    total_a = np.bincount(g, weights=a, minlength=n_groups)[g]
    total_c = np.bincount(g, weights=c, minlength=n_groups)[g]
    other_a, other_c = total_a - a, total_c - c
    p1, p2 = (c + 1) / (a + 2), (other_c + 1) / (other_a + 2)
    se = np.sqrt(p1 * (1 - p1) / (a + 2) + p2 * (1 - p2) / (other_a + 2))
    lift_low = p1 - p2 - z * se
    rate = c / a
    low, high = _wilson_interval(c, a, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        other_rate = np.where(other_a > 0, other_c / np.maximum(other_a, 1), np.nan)
    start = (tried % n_windows) * window_hours
    return {
        "group": g,
        "window_start": start,
        "window_end": np.minimum(start + window_hours, 24),
        "attempts": a,
        "contacts": c,
        "contact_rate": rate,
        "ci_low": low,
        "ci_high": high,
        "other_rate": other_rate,
        "lift_low": lift_low,
        "supported": (lift_low > 0) & (a >= MIN_WINDOW_ATTEMPTS),
    }


def _ranks(cols: dict, window_hours: int) -> np.ndarray:
    """Each window's rank within its group (1 = strongest evidence): highest
    ``lift_low``, then higher rate, more attempts, earlier window."""
    g, a = cols["group"], cols["attempts"]
    win = cols["window_start"] // window_hours
    # More attempts, then the earlier window, as one integer key (one sort pass fewer).
    fewer_then_later = (int(a.max(initial=0)) - a) * (int(win.max(initial=0)) + 1) + win
    order = np.lexsort((fewer_then_later, -cols["contact_rate"], -cols["lift_low"], g))
    rank = np.empty(len(g), dtype=np.int64)
    if len(order):
        first = np.r_[True, g[order][1:] != g[order][:-1]]
        run_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
        rank[order] = np.arange(len(order)) - run_start + 1
    return rank


def _first_ranked(cols: dict) -> np.ndarray:
    """Whether each window is rank 1 of :func:`_ranks` in its group, without the sort:
    among the group's windows still tied, the highest of each key in turn (lift_low,
    rate, attempts, then the earliest start), one pass per key over the groups'
    contiguous rows."""
    g = cols["group"]
    best = np.ones(len(g), dtype=bool)
    if not len(g):
        return best
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(g)])
    keys = (cols["lift_low"], cols["contact_rate"], cols["attempts"], -cols["window_start"])
    for key in keys:
        held = np.where(best, key.astype("float64"), -np.inf)
        best &= held == np.repeat(np.maximum.reduceat(held, starts), sizes)
    return best


def _wilson_interval(successes: np.ndarray, trials: np.ndarray, z: float):
    """Wilson score interval at normal quantile ``z`` (trials > 0)."""
    n = trials.astype("float64")
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # Exactly 0 and 1 at the ends (no rounding residue).
    low = np.where(successes == 0, 0.0, np.clip(centre - half, 0, 1))
    high = np.where(successes == n, 1.0, np.clip(centre + half, 0, 1))
    return low, high
