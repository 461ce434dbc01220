"""Tests of arcalls.features: point-in-time account snapshots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arcalls
from arcalls.book import NO_DAY as _NO_DAY
from arcalls.book import Events as _Events
from arcalls.book import day_numbers as _days
from arcalls.errors import ArcallsError, InputError, SchemaError
from arcalls.features import SNAPSHOT_FEATURES, account_snapshots
from arcalls.ledger import invoice_balances

LABELS = ["dollars_within_horizon", "paid_within_horizon"]


def _frame(columns: dict, dtypes: dict) -> pd.DataFrame:
    return pd.DataFrame(columns).astype(dtypes)


@pytest.fixture
def tables():
    """Two customers, worked by hand.

    Customer A: a3 $200 due 2024-10-31 paid 2024-10-25 (on time); a2 $500 due
    2024-12-01 paid 2024-12-11 (10 days late); a1 $1,000 due 2025-01-31, $400 paid
    2025-02-10 and $600 paid 2025-03-20. Customer B: b1 $300 disputed, due 2025-03-03,
    never paid. Calls on A: no answer 02-01, contact 02-10, promise 02-14 to pay $600 by
    02-20 (deadline 02-23 with 3 grace days). A call on B on 03-12.
    """
    inv = _frame(
        {
            "invoice_id": ["a1", "a2", "a3", "b1"],
            "customer_id": ["A", "A", "A", "B"],
            "invoice_date": pd.to_datetime(
                ["2025-01-01", "2024-11-01", "2024-10-01", "2025-02-01"]
            ),
            "due_date": pd.to_datetime(["2025-01-31", "2024-12-01", "2024-10-31", "2025-03-03"]),
            "amount": [1000.0, 500.0, 200.0, 300.0],
            "disputed": [False, False, False, True],
        },
        {"invoice_id": "string", "customer_id": "string"},
    )
    pay = _frame(
        {
            "payment_id": ["p1", "p2", "p3", "p4"],
            "invoice_id": ["a1", "a1", "a2", "a3"],
            "payment_date": pd.to_datetime(
                ["2025-02-10", "2025-03-20", "2024-12-11", "2024-10-25"]
            ),
            "amount": [400.0, 600.0, 500.0, 200.0],
        },
        {"payment_id": "string", "invoice_id": "string"},
    )
    calls = _frame(
        {
            "call_id": ["k1", "k2", "k3", "k4"],
            "customer_id": ["A", "A", "A", "B"],
            "called_at": pd.to_datetime(
                ["2025-02-01 09:00", "2025-02-10 10:00", "2025-02-14 16:00", "2025-03-12 11:00"]
            ),
            "outcome": ["no_answer", "contact", "promise", "dispute"],
            "promise_date": pd.to_datetime([None, None, "2025-02-20", None]),
            "promise_amount": [np.nan, np.nan, 600.0, np.nan],
        },
        {"call_id": "string", "customer_id": "string", "outcome": "string"},
    )
    return arcalls.Tables(inv, pay, calls, None)


def _row(snap, as_of, customer):
    rows = snap[(snap["as_of"] == pd.Timestamp(as_of)) & (snap["customer_id"] == customer)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_hand_worked_snapshot_on_feb_15(tables):
    snap = account_snapshots(*tables, as_of_dates=["2025-02-15", "2025-03-10"])
    a = _row(snap, "2025-02-15", "A")
    # a1: 1000 - 400 = 600 open, 15 days past due (Jan 31 -> Feb 15).
    assert a["overdue_balance"] == 600.0
    assert a["total_balance"] == 600.0
    assert a["oldest_days_past_due"] == 15
    assert a["weighted_days_past_due"] == 15.0
    assert (a["open_invoices"], a["overdue_invoices"]) == (1, 1)
    # Settled: a3 on time, a2 10 days late -> half late, 5 days late on average.
    assert a["settled_invoices"] == 2
    assert a["share_paid_late"] == 0.5
    assert a["mean_days_late"] == 5.0
    # Last payment Feb 10 ($400), 5 days before; tenure from 2024-10-01: 137 days.
    assert a["days_since_last_payment"] == 5
    assert a["paid_last_30d"] == 400.0
    assert a["tenure_days"] == 137
    # Calls: three up to Feb 15, two in (Feb 8, Feb 15], contact + promise reached A.
    assert (a["call_attempts"], a["attempts_7d"], a["attempts_30d"]) == (3, 2, 3)
    assert a["contact_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert a["days_since_last_call"] == 1
    assert a["days_since_last_contact"] == 1
    assert a["last_outcome"] == "promise"
    # The promise's deadline (Feb 23) is after Feb 15: pending.
    assert (a["promises_made"], a["promises_pending"], a["promises_broken"]) == (1, 1, 0)
    # Label: (Feb 15, Mar 17] holds no payment on a1 (the $600 came on Mar 20).
    assert a["dollars_within_horizon"] == 0.0
    assert not a["paid_within_horizon"]

    b = _row(snap, "2025-02-15", "B")
    # b1 is not yet due: B is kept with nothing overdue.
    assert (b["overdue_balance"], b["total_balance"], b["oldest_days_past_due"]) == (0, 300, 0)
    assert b["disputed_overdue_balance"] == 0.0
    assert b["settled_invoices"] == 0 and np.isnan(b["share_paid_late"])
    assert np.isnan(b["days_since_last_payment"]) and b["paid_last_30d"] == 0.0
    assert b["call_attempts"] == 0 and pd.isna(b["last_outcome"])


def test_hand_worked_snapshot_on_mar_10(tables):
    snap = account_snapshots(*tables, as_of_dates=["2025-02-15", "2025-03-10"])
    a = _row(snap, "2025-03-10", "A")
    assert a["oldest_days_past_due"] == 38  # Jan 31 -> Mar 10
    # Nothing paid between the promise and its deadline (Feb 23): broken 15 days ago.
    assert (a["promises_broken"], a["promises_pending"]) == (1, 0)
    assert a["days_since_broken_promise"] == 15
    b = _row(snap, "2025-03-10", "B")
    # b1 7 days past due, all of it disputed; the dispute call of Mar 12 is not known yet.
    assert (b["overdue_balance"], b["disputed_overdue_balance"]) == (300.0, 300.0)
    assert b["dispute_calls"] == 0 and b["call_attempts"] == 0
    # What a call chases leaves the disputed invoice out (issue 16.6): A's $600 of a1,
    # 38 days past due; nothing for B.
    assert (a["chased_balance"], a["chased_days_past_due"], a["chased_invoices"]) == (600, 38, 1)
    assert (b["chased_balance"], b["chased_days_past_due"], b["chased_invoices"]) == (0, 0, 0)
    # Data ends Mar 20 (last payment); Mar 10 + 30 days is after it: label unknown.
    assert np.isnan(a["dollars_within_horizon"])
    assert pd.isna(a["paid_within_horizon"])


def test_horizon_and_data_end(tables):
    # 35 days from Feb 15 reach Mar 22: the $600 of Mar 20 counts.
    snap = account_snapshots(
        *tables, as_of_dates="2025-02-15", horizon_days=35, data_end="2025-04-30"
    )
    a = _row(snap, "2025-02-15", "A")
    assert a["dollars_within_horizon"] == 600.0 and a["paid_within_horizon"]
    # B owes nothing overdue on Feb 15: its label is 0, not unknown.
    assert _row(snap, "2025-02-15", "B")["dollars_within_horizon"] == 0.0
    unknown = account_snapshots(*tables, as_of_dates="2025-02-15", horizon_days=35)
    assert unknown["dollars_within_horizon"].isna().all()  # data ends Mar 20 < Mar 22


def test_columns_and_no_label(tables):
    snap = account_snapshots(*tables, as_of_dates="2025-02-15", label=False)
    assert list(snap.columns) == [
        "as_of",
        "customer_id",
        *SNAPSHOT_FEATURES,
        "chased_balance",
        "chased_days_past_due",
        "chased_invoices",
        "do_not_call",
        "placed_with_agency",
    ]
    assert snap["customer_id"].dtype == "string"


def test_without_calls_the_call_features_say_no_call(tables):
    snap = account_snapshots(tables.invoices, tables.payments, as_of_dates="2025-02-15")
    assert (snap["call_attempts"] == 0).all() and snap["days_since_last_call"].isna().all()
    assert (snap["promises_made"] == 0).all()
    with_calls = account_snapshots(*tables, as_of_dates="2025-02-15")
    money = ["overdue_balance", "total_balance", "settled_invoices", "paid_last_30d"]
    pd.testing.assert_frame_equal(snap[money], with_calls[money])


def test_invoice_settlements_stand_in_for_payments():
    # IBM-style: no payments table, each invoice carries its paid date.
    inv = _frame(
        {
            "invoice_id": ["i1", "i2"],
            "customer_id": ["C", "C"],
            "invoice_date": pd.to_datetime(["2013-01-01", "2013-02-01"]),
            "due_date": pd.to_datetime(["2013-01-31", "2013-03-03"]),
            "amount": [100.0, 50.0],
            "paid_date": pd.to_datetime(["2013-02-10", "2013-04-01"]),
        },
        {"invoice_id": "string", "customer_id": "string"},
    )
    # The data end Apr 1 (last settlement); say they run to June so Mar 10 has a label.
    snap = account_snapshots(inv, as_of_dates=["2013-02-05", "2013-03-10"], data_end="2013-06-30")
    first = _row(snap, "2013-02-05", "C")
    # Feb 5: i1 open 5 days late, i2 not due; i1's $100 arrives Feb 10 (in horizon).
    assert (first["overdue_balance"], first["total_balance"]) == (100.0, 150.0)
    assert first["dollars_within_horizon"] == 100.0
    second = _row(snap, "2013-03-10", "C")
    # Mar 10: i1 settled 10 days late; i2 7 days late, paid Apr 1 (22 days later).
    assert (second["settled_invoices"], second["mean_days_late"]) == (1, 10.0)
    assert second["dollars_within_horizon"] == 50.0


def test_totals_match_the_ledger_to_the_cent():
    s = arcalls.load_sample()
    as_of = pd.Timestamp("2026-03-01")
    snap = account_snapshots(*s, as_of_dates=as_of, label=False).set_index("customer_id")
    bal = invoice_balances(s.invoices, s.payments, as_of=as_of)
    bal = bal[bal["is_open"]]
    total = bal.groupby("customer_id")["open_amount"].sum().round(2)
    assert set(total.index) == set(snap.index)
    assert (total - snap.loc[total.index, "total_balance"]).abs().max() < 0.005
    past_due = bal[bal["days_past_due"] > 0].groupby("customer_id")["open_amount"].sum()
    expected = past_due.reindex(snap.index).fillna(0).clip(lower=0)
    assert (expected - snap["overdue_balance"]).abs().max() < 0.005


def test_many_dates_equal_one_date_at_a_time():
    s = arcalls.load_sample()
    dates = pd.date_range("2025-09-07", periods=4, freq="W")
    together = account_snapshots(*s, as_of_dates=dates, data_end="2026-10-31")
    apart = pd.concat(
        [account_snapshots(*s, as_of_dates=d, data_end="2026-10-31") for d in dates],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(together, apart)


def _features_on(snap, as_of):
    rows = snap[snap["as_of"] == pd.Timestamp(as_of)].drop(columns=LABELS)
    return rows.reset_index(drop=True)


def test_no_leakage_when_the_future_is_cut_away():
    """Removing everything dated after the as-of date leaves its features unchanged."""
    s = arcalls.load_sample()
    as_of = pd.Timestamp("2026-03-01")
    full = account_snapshots(*s, as_of_dates=as_of, data_end="2026-10-31")
    inv = s.invoices[s.invoices["invoice_date"] <= as_of].copy()
    inv["written_off_date"] = inv["written_off_date"].where(inv["written_off_date"] <= as_of)
    cut = arcalls.Tables(
        inv,
        s.payments[s.payments["payment_date"] <= as_of],
        s.calls[s.calls["called_at"].dt.normalize() <= as_of],
        s.customers,
    )
    past = account_snapshots(*cut, as_of_dates=as_of, data_end="2026-10-31")
    pd.testing.assert_frame_equal(_features_on(full, as_of), _features_on(past, as_of))


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    pay_shifts=st.lists(st.integers(1, 90), min_size=4, max_size=4),
    extra_pays=st.lists(
        st.tuples(st.sampled_from(["a1", "a2", "b1"]), st.integers(1, 60), st.integers(1, 900)),
        max_size=4,
    ),
    extra_calls=st.lists(
        st.tuples(
            st.sampled_from(["A", "B"]), st.integers(0, 40), st.sampled_from(arcalls.OUTCOMES)
        ),
        max_size=4,
    ),
    write_off=st.integers(1, 60),
)
def test_no_leakage_under_perturbed_future(tables, pay_shifts, extra_pays, extra_calls, write_off):
    """Moving, adding and writing off anything after the as-of date changes no feature."""
    as_of = pd.Timestamp("2025-02-15")
    base = account_snapshots(*tables, as_of_dates=as_of, label=False)
    pay = tables.payments.copy()
    later = pay["payment_date"] > as_of
    shift = pd.to_timedelta(pd.Series(pay_shifts, index=pay.index), unit="D")
    pay.loc[later, "payment_date"] = pay.loc[later, "payment_date"] + shift[later]
    pay = pd.concat(
        [
            pay,
            _frame(
                {
                    "payment_id": [f"x{i}" for i in range(len(extra_pays))],
                    "invoice_id": [p[0] for p in extra_pays],
                    "payment_date": [as_of + pd.Timedelta(days=p[1]) for p in extra_pays],
                    "amount": [float(p[2]) for p in extra_pays],
                },
                {"payment_id": "string", "invoice_id": "string", "payment_date": "datetime64[ns]"},
            ),
        ],
        ignore_index=True,
    )
    calls = pd.concat(
        [
            tables.calls,
            _frame(
                {
                    "call_id": [f"y{i}" for i in range(len(extra_calls))],
                    "customer_id": [c[0] for c in extra_calls],
                    # Day 0 is the day after the as-of date, at 08:00.
                    "called_at": [
                        as_of + pd.Timedelta(days=c[1] + 1, hours=8) for c in extra_calls
                    ],
                    "outcome": [c[2] for c in extra_calls],
                },
                {
                    "call_id": "string",
                    "customer_id": "string",
                    "outcome": "string",
                    "called_at": "datetime64[ns]",
                },
            ),
        ],
        ignore_index=True,
    )
    inv = tables.invoices.assign(
        written_off_date=pd.Series(
            as_of + pd.Timedelta(days=write_off), index=tables.invoices.index
        )
    )
    moved = account_snapshots(inv, pay, calls, as_of_dates=as_of, label=False)
    pd.testing.assert_frame_equal(base, moved)


def test_missing_column_is_named(tables):
    with pytest.raises(
        SchemaError, match=r"invoices lacks the required column\(s\) \['due_date'\]"
    ):
        account_snapshots(tables.invoices.drop(columns="due_date"), as_of_dates="2025-02-15")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"as_of_dates": []}, "at least one date"),
        ({"as_of_dates": ["not a date"]}, "as_of_dates must be dates"),
        ({"as_of_dates": "2025-02-15", "horizon_days": 0}, "horizon_days must be a positive"),
    ],
)
def test_bad_options(tables, options, message):
    with pytest.raises(InputError, match=message):
        account_snapshots(*tables, **options)


def test_inputs_are_not_mutated(tables):
    before = [t.copy() for t in tables[:3]]
    account_snapshots(*tables, as_of_dates=["2025-02-15", "2025-03-10"])
    for b, t in zip(before, tables[:3], strict=True):
        pd.testing.assert_frame_equal(b, t)


def test_promise_counts_match_promise_outcomes_on_each_date():
    """The one-pass promise features equal arcalls.promise_outcomes run on each date."""
    s = arcalls.load_sample()
    dates = pd.to_datetime(["2025-06-01", "2025-11-02", "2026-04-05"])
    snap = account_snapshots(*s, as_of_dates=dates, label=False)
    for when in dates:
        judged = arcalls.promise_outcomes(s.calls, s.payments, s.invoices, as_of=when)
        counts = judged.groupby(["customer_id", "status"]).size().unstack(fill_value=0)
        rows = snap[snap["as_of"] == when].set_index("customer_id")
        for status in ("kept", "partial", "broken", "pending"):
            expected = (
                counts[status].reindex(rows.index).fillna(0).astype("int64")
                if status in counts
                else pd.Series(0, index=rows.index)
            )
            got = rows[f"promises_{status}"]
            assert (got == expected).all(), (when, status)


def test_customers_missing_from_the_customers_file_and_no_payments_at_all():
    s = arcalls.load_sample()
    flagged = s.customers[s.customers["do_not_call"]]["customer_id"]
    # Keep only the do-not-call customers: every other customer has no row at all.
    snap = account_snapshots(
        s.invoices,
        s.payments.iloc[:0],
        s.calls,
        s.customers[s.customers["do_not_call"]],
        as_of_dates="2026-06-30",
        label=False,
    )
    expected = snap["customer_id"].isin(flagged)
    assert snap["do_not_call"].tolist() == expected.tolist()
    assert snap["do_not_call"].any()


# --- the one-pass promise features against the former per-date computation -----------


def _reference_promise_features(calls, payments, invoices, out, dates, *, grace_days) -> dict:
    """The per-date reference: arcalls.features._promise_features before the one-pass
    rewrite, one promise_outcomes call per as-of date with promises open on it.

    A promise whose window (call day to deadline, or to the call that replaced it) ended
    on or before the as-of date had all its evidence known then, so its status that day
    is its status on the last date: one call judges them all. Only the promises still
    open on a date (few: those of the last weeks) are judged again as of that date.
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

    outcomes = arcalls.promise_outcomes
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

    # Promises still open on a date: judged again with only what was known that day.
    call_ids = final["call_id"].to_numpy(dtype=object)
    parts = []
    for when, day in zip(dates, _days(pd.Series(dates)), strict=True):
        open_now = (made <= day) & (closed > day)
        if not open_now.any():
            continue
        who = final.loc[open_now, "customer_id"].unique()
        inv = invoices[invoices["customer_id"].isin(who) & (invoices["invoice_date"] <= when)]
        judged = outcomes(
            promised[
                promised["customer_id"].isin(who) & (promised["called_at"].dt.normalize() <= when)
            ],
            payments[
                payments["invoice_id"].isin(inv["invoice_id"]) & (payments["payment_date"] <= when)
            ],
            inv,
            as_of=when,
            grace_days=grace_days,
        )
        judged = judged[judged["call_id"].isin(call_ids[open_now])]
        parts.append(
            pd.DataFrame(
                {
                    "as_of": when,
                    "customer_id": judged["customer_id"].astype("string").to_numpy(),
                    "status": judged["status"].astype("string").to_numpy(),
                }
            )
        )
    if parts:
        judged = pd.concat(parts, ignore_index=True)
        counts = judged.groupby(["as_of", "customer_id", "status"]).size().unstack(fill_value=0)
        idx = pd.MultiIndex.from_frame(out[["as_of", "customer_id"]])
        for name in ("kept", "partial", "broken", "pending"):
            if name in counts:
                extra = counts[name].reindex(idx).fillna(0).to_numpy().astype(np.int64)
                result[f"promises_{name}"] = result[f"promises_{name}"] + extra
    return result


def _busy_history(seed: int) -> arcalls.schema.Tables:
    """A simulated history with more promises and their edge cases: contacts turned into
    promises (some with a given amount, some with a date), same-day re-logs, and a few
    payments dated before their invoice or with a time of day."""
    t = arcalls.simulate(n_customers=150, seed=seed).tables
    rng = np.random.default_rng(seed)
    calls = t.calls.copy()
    turn = (calls["outcome"] == "contact").to_numpy() & (rng.random(len(calls)) < 0.5)
    calls.loc[turn, "outcome"] = "promise"
    is_promise = (calls["outcome"] == "promise").to_numpy()
    given = is_promise & (rng.random(len(calls)) < 0.3)
    calls.loc[given, "promise_amount"] = np.round(rng.uniform(10, 3000, given.sum()), 2)
    dated = is_promise & calls["promise_date"].isna().to_numpy() & (rng.random(len(calls)) < 0.3)
    calls.loc[dated, "promise_date"] = calls.loc[
        dated, "called_at"
    ].dt.normalize() + pd.to_timedelta(rng.integers(-2, 20, dated.sum()), unit="D")
    relog = calls[is_promise & (rng.random(len(calls)) < 0.15)].copy()
    relog["call_id"] = relog["call_id"].astype("string") + "-r"
    relog["called_at"] = relog["called_at"] + pd.Timedelta(minutes=5)
    calls = pd.concat([calls, relog], ignore_index=True)
    payments = t.payments.copy()
    issued = payments["invoice_id"].map(t.invoices.set_index("invoice_id")["invoice_date"])
    early = rng.random(len(payments)) < 0.1
    payments.loc[early, "payment_date"] = issued[early] - pd.Timedelta(days=2)
    timed = rng.random(len(payments)) < 0.2
    payments.loc[timed, "payment_date"] = payments.loc[timed, "payment_date"] + pd.Timedelta(
        hours=13
    )
    return arcalls.schema.Tables(t.invoices, payments, calls, t.customers)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("busy", [False, True])
def test_one_pass_promise_features_equal_the_per_date_reference(seed, busy):
    t = _busy_history(seed) if busy else arcalls.simulate(n_customers=150, seed=seed).tables
    dates = pd.date_range("2025-01-05", "2026-10-25", freq="W")
    snap = account_snapshots(*t, as_of_dates=dates, label=False)
    expected = _reference_promise_features(
        t.calls, t.payments, t.invoices, snap, pd.DatetimeIndex(dates), grace_days=3
    )
    assert snap["promises_pending"].sum() > 0
    for name, values in expected.items():
        np.testing.assert_array_equal(snap[name].to_numpy(), values, err_msg=name)


# --- the same answer whatever the strings are stored in ----------------------------


def _as_storage(frame, storage: str):
    if frame is None:
        return None
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    if storage == "object":
        return frame.astype(dict.fromkeys(text, object))
    return frame.astype({c: pd.StringDtype(storage) for c in text})


@pytest.mark.parametrize("storage", ["pyarrow", "python", "object"])
def test_snapshots_do_not_depend_on_string_storage(storage):
    s = arcalls.load_sample()
    dates = pd.date_range("2025-06-01", "2026-03-01", freq="4W")
    expected = account_snapshots(*s, as_of_dates=dates)
    got = account_snapshots(*(_as_storage(t, storage) for t in s), as_of_dates=dates)
    assert got["customer_id"].dtype == "string"
    assert got["last_outcome"].dtype == "string"
    pd.testing.assert_frame_equal(got.astype(object), expected.astype(object))


def test_last_outcome_is_the_days_latest_call_whatever_the_row_order(tables):
    inv, pay, calls, _ = tables
    # Two more calls on A's promise day: one earlier, one at the very same minute.
    more = calls.iloc[[2, 2]].assign(
        call_id=["k5", "k6"],
        called_at=pd.to_datetime(["2025-02-14 08:00", "2025-02-14 16:00"]),
        outcome=["voicemail", "refused"],
    )
    # 16:00 twice: the later row of the log wins, as a stable sort by time would have it.
    for log, latest in (
        (pd.concat([calls, more]), "refused"),
        (pd.concat([more, calls]), "promise"),
    ):
        snap = account_snapshots(inv, pay, log.reset_index(drop=True), as_of_dates="2025-02-15")
        assert _row(snap, "2025-02-15", "A")["last_outcome"] == latest


def test_calls_all_after_the_date_say_no_call(tables):
    inv, pay, calls, _ = tables
    snap = account_snapshots(inv, pay, calls, as_of_dates="2025-01-31", label=False)
    assert (snap["call_attempts"] == 0).all()
    assert snap["last_outcome"].isna().all() and snap["days_since_last_call"].isna().all()


def test_chase_columns_are_the_call_list_s_overdue_figures():
    """The chase columns count as the call list does: credits in, disputed out."""
    sample = arcalls.load_sample()
    as_of = pd.Timestamp(arcalls.SAMPLE_AS_OF)
    inv = sample.invoices.copy()
    # A credit note not yet due, and a disputed invoice, on one customer each.
    credit = inv.iloc[[0]].assign(
        invoice_id="CN-1", amount=-125.5, due_date=as_of + pd.Timedelta(days=10)
    )
    inv = pd.concat([inv, credit], ignore_index=True).astype(sample.invoices.dtypes)
    listed = arcalls.call_list(inv, *sample[1:], as_of=as_of)
    accounts = pd.concat([listed.calls, listed.excluded])
    snap = account_snapshots(inv, *sample[1:], as_of_dates=as_of, label=False)
    both = snap.merge(accounts, on="customer_id", suffixes=("", "_list"))
    assert len(both) == len(snap)
    np.testing.assert_array_equal(both["chased_balance"], both["overdue_balance_list"])
    called = both[both["customer_id"].isin(listed.calls["customer_id"])]
    np.testing.assert_array_equal(
        called["chased_days_past_due"], called["oldest_days_past_due_list"]
    )
    assert (snap["chased_balance"] < snap["overdue_balance"]).any()


def test_a_book_with_nothing_open_on_any_date_gives_an_empty_snapshot():
    """Two invoices issued after every as-of date: no account, not an IndexError."""
    inv = pd.DataFrame(
        {
            "invoice_id": pd.array(["i1", "i2"], dtype="string"),
            "customer_id": pd.array(["c1", "c2"], dtype="string"),
            "invoice_date": pd.to_datetime(["2026-01-01", "2026-01-05"]),
            "due_date": pd.to_datetime(["2026-01-31", "2026-02-04"]),
            "amount": [100.0, 200.0],
        }
    )
    for label in (True, False):
        snap = account_snapshots(inv, as_of_dates=["2025-06-01", "2025-07-01"], label=label)
        assert snap.empty
        assert {"as_of", "customer_id", "overdue_balance"} <= set(snap.columns)
    later = account_snapshots(inv, as_of_dates=["2025-06-01", "2026-03-01"], label=False)
    assert later["overdue_balance"].tolist() == [100.0, 200.0]


def test_snapshots_refuse_a_book_in_two_currencies():
    inv = pd.DataFrame(
        {
            "invoice_id": pd.array(["i1", "i2"], dtype="string"),
            "customer_id": pd.array(["c1", "c2"], dtype="string"),
            "invoice_date": pd.to_datetime(["2026-01-01", "2026-01-05"]),
            "due_date": pd.to_datetime(["2026-01-31", "2026-02-04"]),
            "amount": [100.0, 200.0],
            "currency": pd.array(["USD", "EUR"], dtype="string"),
        }
    )
    with pytest.raises(ArcallsError, match="currenc"):
        account_snapshots(inv, as_of_dates=["2026-03-01"])


# --- the balance pairs built by blocks of dates --------------------------------------


@pytest.mark.parametrize("budget", [1, 37, 5_000])
def test_blocks_of_dates_give_the_same_snapshot_as_one_block(monkeypatch, budget):
    """However few (invoice, date) pairs are held at once, every figure is the same,
    byte for byte (the sums add up in the same order)."""
    import arcalls.features as features

    s = arcalls.load_sample()
    dates = pd.date_range("2025-05-04", periods=26, freq="W")
    monkeypatch.setattr(features, "_PAIR_BUDGET", 10**12)
    whole = account_snapshots(*s, as_of_dates=dates, data_end="2026-10-31")
    monkeypatch.setattr(features, "_PAIR_BUDGET", budget)
    blocks = account_snapshots(*s, as_of_dates=dates, data_end="2026-10-31")
    assert len(whole) > 1_000
    pd.testing.assert_frame_equal(blocks, whole, check_exact=True)


@pytest.mark.parametrize(
    ("per_date", "budget", "expected"),
    [
        ([], 10, [0, 0]),
        ([3, 3, 3], 10, [0, 3]),
        ([3, 3, 3], 6, [0, 2, 3]),
        ([3, 12, 0, 4], 6, [0, 1, 2, 4]),  # a date over budget is a block alone
        ([0, 0, 5], 1, [0, 2, 3]),
    ],
)
def test_date_blocks_cover_every_date_within_the_budget(per_date, budget, expected):
    from arcalls.features import _date_blocks

    bounds = _date_blocks(np.array(per_date, dtype=np.int64), budget)
    assert bounds.tolist() == expected


def test_the_snapshot_of_some_customers_is_the_whole_snapshots_rows():
    # The weekly list with a saved model builds the features of the accounts it may call
    # only: each row must be the whole snapshot's, to the last bit.
    import arcalls.features as features
    from arcalls.book import book_of

    s = arcalls.load_sample()
    book = book_of(*s)
    whole = account_snapshots(*s, as_of_dates=["2026-10-31"], label=False, book=book)
    some = whole["customer_id"].iloc[::3]
    assert 10 < len(some) < len(whole)
    # An id with no open balance, and one of no customer: no row, no error.
    wanted = pd.concat([some, pd.Series(["no-such-customer"], dtype=some.dtype)])
    part = features._snapshot_of(*s, as_of="2026-10-31", customer_ids=wanted, book=book)
    expected = whole[whole["customer_id"].isin(some)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.reset_index(drop=True), expected, check_exact=True)
