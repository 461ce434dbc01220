"""The input rules of a payment plan recorded on a call (below the loaders and the plans).

What makes a plan's fields good or bad (:func:`plan_problems`: a sum that does not
match, an unknown frequency, a missing field, ...) and how its fields and an explicit
schedule are read. :mod:`arcalls.io` (the call loader), :mod:`arcalls.worksheet` (the
filled-in Excel list) and :mod:`arcalls.plans` (which judges the plans) all use these
rules; they live here so that a loader does not import an analysis. The rules
themselves are in :mod:`arcalls.plans`' docstring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._keys import arrow_text
from .errors import InputError

#: The frequencies an equal-instalment plan may have.
PLAN_FREQUENCIES: tuple[str, ...] = ("weekly", "fortnightly", "monthly")
#: The most instalments a plan may have (a typing slip beyond it: 10 years monthly).
MAX_PLAN_INSTALMENTS = 120
#: The plan fields of a call (all optional columns of ``CALLS``).
PLAN_FIELDS: tuple[str, ...] = (
    "plan_amount",
    "plan_instalments",
    "plan_first_date",
    "plan_frequency",
    "plan_schedule",
)
_SCHEDULE_PAIR = (
    r"^(?P<day>\d{4}-\d{2}-\d{2})\s*=\s*\$?"
    r"(?P<units>\d{1,3}(?:,\d{3})+|\d+)(?P<decimals>\.\d{1,2})?$"
)
#: The same pair rule for Arrow's regex (RE2) on ASCII text, where Python's ``\d`` and
#: ``\s`` mean exactly these classes.
_ASCII_SCHEDULE_PAIR = _SCHEDULE_PAIR.replace(r"\d", "[0-9]").replace(
    r"\s", r"[\t\n\v\f\r\x1c-\x1f ]"
)
#: The characters Python's ``str.strip()`` removes (``str.isspace``), for Arrow's trim.
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SCHEDULE_HELP = (
    "not a schedule: write due-date=amount pairs separated by ';', e.g. "
    "2026-12-05=2000.00; 2027-01-05=2000.00, each amount above 0 and the dates increasing"
)
#: Text as the loaders type it (Arrow-backed): no copy for a loaded column.
_TEXT = "string[pyarrow]"


def _column(calls: pd.DataFrame, name: str, dtype: str) -> pd.Series:
    if name in calls:
        return calls[name].reset_index(drop=True)
    return pd.Series(None, index=range(len(calls)), dtype=dtype)


def _fields(calls: pd.DataFrame) -> dict[str, pd.Series]:
    """The plan fields as typed Series with a 0..n-1 index (absent columns empty)."""
    return {
        "outcome": _column(calls, "outcome", _TEXT).astype(_TEXT),
        "called_at": pd.to_datetime(_column(calls, "called_at", "datetime64[ns]")),
        "plan_amount": pd.to_numeric(_column(calls, "plan_amount", "float64")).astype("float64"),
        "plan_instalments": pd.to_numeric(_column(calls, "plan_instalments", "float64")).astype(
            "float64"
        ),
        "plan_first_date": pd.to_datetime(
            _column(calls, "plan_first_date", "datetime64[ns]")
        ).dt.normalize(),
        "plan_frequency": _column(calls, "plan_frequency", _TEXT)
        .astype(_TEXT)
        .str.strip()
        .str.lower(),
        "plan_schedule": _column(calls, "plan_schedule", _TEXT).astype(_TEXT).str.strip(),
    }


def _schedule_parts(pieces: pa.Array) -> dict[str, pa.Array]:
    """The ``day``, ``units`` and ``decimals`` text of each trimmed pair (null where the
    piece is no pair; ``decimals`` empty when not given), as
    ``str.extract(_SCHEDULE_PAIR)`` reads them."""
    found = pc.extract_regex(pieces, _ASCII_SCHEDULE_PAIR)
    names = ("day", "units", "decimals")
    parts = {name: pc.struct_field(found, [k]) for k, name in enumerate(names)}
    other = np.flatnonzero(~np.asarray(pc.string_is_ascii(pieces), dtype=bool))
    if len(other):
        text = pd.Series(pieces.take(pa.array(other)).to_pylist(), dtype="string")
        python = text.str.extract(_SCHEDULE_PAIR)
        for name in names:
            column = parts[name].to_numpy(zero_copy_only=False)
            column[other] = python[name].to_numpy(dtype=object, na_value=None)
            parts[name] = pa.array(column, pa.string())
    return parts


def _distinct_apply(text: pa.Array, convert) -> np.ndarray:
    """``convert`` (an element-wise pandas parser, given ``string`` text) of each text,
    run once per distinct text and taken back to every row; a null text gets what
    ``convert`` makes of a missing one.

    The schedules of a run repeat the same few dates and amounts, so this parses a
    fraction of the pairs with exactly the parser (and its options) they always had.
    """
    coded = pc.dictionary_encode(text)
    distinct = coded.dictionary.to_pylist()
    values = np.asarray(convert(pd.array([*distinct, None], dtype="string")))
    return values[np.asarray(pc.fill_null(coded.indices, len(distinct)), dtype=np.int64)]


def _parse_schedules(text: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Explicit schedules: one row per pair (``pos``, ``day`` as datetime64[D], ``cents``)
    and, per row of ``text``, whether its filled schedule is bad.

    Split, trimmed and matched by Arrow in one pass each (a Python regex per pair was
    most of a 1M-call run's plan checks). A pair with a character outside ASCII, where
    Python's ``\\d`` and ``\\s`` reach further than Arrow's, is matched by Python's
    :data:`_SCHEDULE_PAIR` as before, so every text reads as it always did.
    """
    n = len(text)
    values = arrow_text(text.astype(_TEXT))
    filled = np.asarray(
        pc.fill_null(pc.not_equal(pc.utf8_trim(values, _WHITESPACE), ""), False), dtype=bool
    )
    bad = np.zeros(n, dtype=bool)
    if not filled.any():
        empty = pd.DataFrame(
            {
                "pos": np.zeros(0, np.int64),
                "day": np.zeros(0, "datetime64[D]"),
                "cents": np.zeros(0, np.int64),
            }
        )
        return empty, bad
    rows = np.flatnonzero(filled)
    split = pc.split_pattern(values.take(pa.array(rows)), ";")
    pieces = pc.utf8_trim(pc.list_flatten(split), _WHITESPACE)
    at = rows[np.asarray(pc.list_parent_indices(split), dtype=np.int64)]
    nonempty = np.asarray(pc.not_equal(pieces, ""), dtype=bool)
    pieces, pos = pieces.filter(pa.array(nonempty)), at[nonempty]
    parts = _schedule_parts(pieces)
    days = _distinct_apply(
        parts["day"],
        lambda t: pd.to_datetime(t, format="%Y-%m-%d", errors="coerce").to_numpy("datetime64[D]"),
    )
    units = _distinct_apply(
        pc.replace_substring(parts["units"], ",", ""),
        lambda t: pd.to_numeric(t, errors="coerce").to_numpy("float64", na_value=np.nan),
    )
    decimals = _distinct_apply(
        pc.binary_join_element_wise("0", pc.fill_null(parts["decimals"], "").cast(pa.string()), ""),
        lambda t: pd.to_numeric(t, errors="coerce").to_numpy("float64", na_value=np.nan),
    )
    cents = np.round((units + np.nan_to_num(decimals, nan=0.0)) * 100)
    wrong = np.isnat(days) | np.isnan(cents) | (np.nan_to_num(cents) <= 0)
    same_row = np.r_[False, pos[1:] == pos[:-1]]
    not_after = np.zeros(len(pos), dtype=bool)
    not_after[1:] = same_row[1:] & ~(days[1:] > days[:-1])
    bad[pos[wrong | not_after]] = True
    # A filled schedule without a single pair (";" alone) is bad too.
    bad[filled & (np.bincount(pos, minlength=n) == 0)] = True
    keep = ~bad[pos]
    out = pd.DataFrame(
        {
            "pos": pos[keep],
            "day": days[keep],
            "cents": np.nan_to_num(cents[keep]).astype(np.int64),
        }
    )
    return out, bad


def _texts_at(mask: np.ndarray, prefix: str, tails) -> pd.Series:
    """A problem text per row, built only where ``mask`` holds (``tails``: one per row
    of the mask, in order); the other rows, which no problem names, are empty."""
    texts = np.full(len(mask), "", dtype=object)
    texts[mask] = prefix + np.asarray(tails, dtype=object)
    return pd.Series(texts)


def plan_problems(calls: pd.DataFrame, *, earliest=None) -> list[tuple]:
    """Every bad plan field of ``calls``, as ``(mask, column, values, problem)`` tuples.

    The loaders and the filled-in Excel list turn these into row problems (naming the
    row their user sees); :func:`plan_schedule` raises them for a frame. ``mask`` is a
    bool array over the rows of ``calls``; ``values`` the cells to show.

    Parameters
    ----------
    calls : DataFrame
        Calls with ``outcome`` and ``called_at`` and any plan fields (typed as the
        canonical schema says).
    earliest : Series of datetimes, optional
        The earliest first date per row; default the call's day.

    Returns
    -------
    list of tuple
        Empty when every plan is good.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = pd.DataFrame({"outcome": ["plan"],
    ...     "called_at": pd.to_datetime(["2026-11-02 10:00"]),
    ...     "plan_schedule": ["2026-11-09=100.00; 2026-12-09=100.00"], "plan_amount": [250.0]})
    >>> [(column, problem[0]) for _, column, _, problem in plan_problems(calls)]
    [('plan_amount', "does not equal the schedule's sum, 200.00")]
    """
    return _field_problems(*_read_plans(calls), earliest=earliest)


def _read_plans(calls: pd.DataFrame) -> tuple[dict[str, pd.Series], pd.DataFrame, np.ndarray]:
    """The plan fields of ``calls`` (:func:`_fields`) and their explicit schedules parsed
    (:func:`_parse_schedules`): what the rules judge and :func:`plan_schedule` then
    expands, read once for both."""
    f = _fields(calls)
    return (f, *_parse_schedules(f["plan_schedule"]))


def _field_problems(
    f: dict[str, pd.Series], parsed: pd.DataFrame, bad: np.ndarray, *, earliest=None
) -> list[tuple]:
    """:func:`plan_problems` of the fields and parsed schedules of :func:`_read_plans`."""
    n = len(f["outcome"])
    out: list[tuple] = []

    def add(mask, column, values, problem):
        """Keep a problem that names a row; ``values`` may be a function making the
        cells to show, called only then (dates as text are costly at 1M calls)."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            out.append((mask, column, values() if callable(values) else values, problem))

    def first_dates() -> pd.Series:
        return f["plan_first_date"].dt.strftime("%Y-%m-%d")

    is_plan = (f["outcome"] == "plan").fillna(False).to_numpy(dtype=bool)
    given = {c: f[c].notna().to_numpy(dtype=bool) for c in PLAN_FIELDS}
    given["plan_frequency"] &= (f["plan_frequency"] != "").fillna(False).to_numpy(dtype=bool)
    given["plan_schedule"] &= (f["plan_schedule"] != "").fillna(False).to_numpy(dtype=bool)
    any_field = np.logical_or.reduce([given[c] for c in PLAN_FIELDS]) if n else np.zeros(0, bool)
    add(
        any_field & ~is_plan & f["outcome"].notna().to_numpy(dtype=bool),
        "outcome",
        f["outcome"].fillna(""),
        "plan fields are filled but the outcome is not 'plan': set the outcome to 'plan', "
        "or empty the plan fields",
    )
    call_day = f["called_at"].dt.normalize()
    low = (
        call_day if earliest is None else pd.Series(pd.to_datetime(earliest)).reset_index(drop=True)
    )
    amount = f["plan_amount"]
    count = f["plan_instalments"]
    add(
        is_plan & given["plan_amount"] & ~(amount > 0).fillna(False).to_numpy(dtype=bool),
        "plan_amount",
        amount,
        "the plan amount must be above 0",
    )
    whole = (count == np.round(count)).fillna(False).to_numpy(dtype=bool)
    good_count = (
        whole
        & (count >= 1).fillna(False).to_numpy(dtype=bool)
        & (count <= MAX_PLAN_INSTALMENTS).fillna(False).to_numpy(dtype=bool)
    )
    add(
        is_plan & given["plan_instalments"] & ~good_count,
        "plan_instalments",
        count,
        f"the number of instalments must be a whole number from 1 to {MAX_PLAN_INSTALMENTS}",
    )
    add(
        is_plan
        & given["plan_first_date"]
        & (f["plan_first_date"] < low).fillna(False).to_numpy(bool),
        "plan_first_date",
        first_dates,
        "the first instalment is dated before the call: a plan starts on or after the call day",
    )

    scheduled = is_plan & given["plan_schedule"]
    add(scheduled & bad, "plan_schedule", f["plan_schedule"], _SCHEDULE_HELP)
    sums = np.bincount(parsed["pos"], weights=parsed["cents"], minlength=n).round().astype(np.int64)
    counts = np.bincount(parsed["pos"], minlength=n)
    first_of = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if len(parsed):
        starts = np.r_[True, parsed["pos"].to_numpy()[1:] != parsed["pos"].to_numpy()[:-1]]
        first_of[parsed["pos"].to_numpy()[starts]] = parsed["day"].to_numpy()[starts]
    ok_schedule = scheduled & ~bad
    amount_cents = np.round(amount.to_numpy(dtype="float64", na_value=np.nan) * 100)
    wrong_sum = ok_schedule & given["plan_amount"] & (np.nan_to_num(amount_cents) != sums)
    add(
        wrong_sum,
        "plan_amount",
        amount,
        _texts_at(
            wrong_sum,
            "does not equal the schedule's sum, ",
            np.char.mod("%.2f", sums[wrong_sum] / 100.0),
        ),
    )
    wrong_count = (
        ok_schedule
        & given["plan_instalments"]
        & good_count
        & (np.nan_to_num(count.to_numpy(dtype="float64", na_value=np.nan)) != counts)
    )
    add(
        wrong_count,
        "plan_instalments",
        count,
        _texts_at(
            wrong_count,
            "does not equal the number of dates in the schedule, ",
            counts[wrong_count].astype(str),
        ),
    )
    add(
        ok_schedule & (counts > MAX_PLAN_INSTALMENTS),
        "plan_schedule",
        f["plan_schedule"],
        f"more than {MAX_PLAN_INSTALMENTS} instalments: a typing slip?",
    )
    first_day = f["plan_first_date"].to_numpy(dtype="datetime64[D]")
    add(
        ok_schedule & given["plan_first_date"] & (first_day != first_of),
        "plan_first_date",
        first_dates,
        "does not equal the schedule's first date",
    )
    add(
        ok_schedule
        & (pd.Series(first_of).astype("datetime64[ns]") < low).fillna(False).to_numpy(bool),
        "plan_schedule",
        f["plan_schedule"],
        "the first instalment is dated before the call: a plan starts on or after the call day",
    )
    add(
        scheduled & given["plan_frequency"],
        "plan_frequency",
        f["plan_frequency"],
        "give either plan_frequency (equal instalments) or an explicit plan_schedule, not both",
    )

    equal = is_plan & ~given["plan_schedule"]
    needed = ("plan_amount", "plan_instalments", "plan_first_date", "plan_frequency")
    # The texts only for the rows that lack a field (most plans lack none).
    lacking = np.flatnonzero(equal & ~np.logical_and.reduce([given[c] for c in needed]))
    missing = pd.Series("", index=range(len(lacking)), dtype=object)
    for column in needed:
        missing = missing + np.where(~given[column][lacking], ", " + column, "")
    missing = missing.str.removeprefix(", ")
    first_missing = np.full(n, -1)
    for k, column in reversed(list(enumerate(needed))):
        first_missing = np.where(equal & ~given[column], k, first_missing)
    for k, column in enumerate(needed):
        # One problem per row, under the first missing field, naming all of them.
        add(
            first_missing == k,
            column,
            "",
            _texts_at(
                first_missing == k,
                "a plan needs plan_amount, plan_instalments, plan_first_date and "
                "plan_frequency (or an explicit plan_schedule); missing: ",
                missing.to_numpy()[(first_missing == k)[lacking]],
            ),
        )
    add(
        equal
        & given["plan_frequency"]
        & ~f["plan_frequency"].isin(PLAN_FREQUENCIES).fillna(False).to_numpy(bool),
        "plan_frequency",
        f["plan_frequency"],
        "unknown frequency; expected one of " + ", ".join(PLAN_FREQUENCIES),
    )
    add(
        equal
        & given["plan_amount"]
        & given["plan_instalments"]
        & good_count
        & (np.nan_to_num(amount_cents) > 0)
        & (np.nan_to_num(amount_cents) < count.to_numpy(dtype="float64", na_value=0.0)),
        "plan_amount",
        amount,
        "less than a cent per instalment",
    )
    return out


def _raise_problems(calls: pd.DataFrame, found: list[tuple]) -> None:
    if not found:
        return
    ids = (
        calls["call_id"].astype("string").fillna("<no id>").reset_index(drop=True)
        if "call_id" in calls
        else pd.Series([f"position {i}" for i in range(len(calls))], dtype="string")
    )
    lines = []
    for mask, column, values, problem in found:
        shown = values if isinstance(values, pd.Series) else pd.Series(values, index=ids.index)
        texts = problem if isinstance(problem, pd.Series) else pd.Series(problem, index=ids.index)
        rows = np.flatnonzero(mask)
        lines.extend(
            f"call {ids.iloc[r]}: {column} {str(shown.iloc[r])!r}: {texts.iloc[r]}"
            for r in rows[:10]
        )
    raise InputError(
        f"{len(lines)} bad payment plan field(s) in the calls; fix them in the call log "
        "(arcalls.load_calls refuses or sets aside such rows):\n" + "\n".join(lines[:20])
    )
