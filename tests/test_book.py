"""The coded book: day numbers and the events engine, checked on cases worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arcalls import (
    InputError,
    account_snapshots,
    aging,
    ar_metrics,
    invoice_balances,
    load_invoices,
    load_sample,
    promise_outcomes,
)
from arcalls.book import (
    DAY_ORIGIN,
    DAY_SPAN,
    EPOCH_DAY,
    NO_DAY,
    Events,
    book_for,
    book_of,
    ceil_days,
    dates_of,
    day_numbers,
    first_settled_day,
)


def test_day_numbers_count_from_1800_and_round_trip():
    dates = pd.Series(pd.to_datetime(["1800-01-01", "1800-01-02", "1970-01-01", "2025-03-31"]))
    days = day_numbers(dates)
    # 1800-01-01 .. 1970-01-01: 170 years with 41 leap days (1800 and 1900 are not leap).
    assert days.tolist() == [0, 1, 170 * 365 + 41, EPOCH_DAY + 20178]
    assert EPOCH_DAY == 62_091
    assert (dates_of(days) == dates.to_numpy()).all()
    assert DAY_ORIGIN + int(days[3]) == np.datetime64("2025-03-31")


def test_missing_dates_are_no_day_and_never_come_before_a_day():
    days = day_numbers(pd.Series(pd.to_datetime(["2025-01-05", None])))
    assert days[1] == NO_DAY
    assert days[0] < DAY_SPAN < NO_DAY
    # Adding days to NO_DAY cannot wrap around into a real day.
    assert NO_DAY + 10 * DAY_SPAN > DAY_SPAN
    back = dates_of(days)
    assert back[0] == np.datetime64("2025-01-05") and np.isnat(back[1])


def test_a_time_of_day_belongs_to_its_day_and_counts_from_the_next_midnight():
    at = pd.Series(pd.to_datetime(["2025-01-05 00:00", "2025-01-05 14:30", None]))
    day = day_numbers(at)
    assert day[0] == day[1]
    assert ceil_days(at).tolist() == [day[0], day[0] + 1, NO_DAY]


# Seven events of three groups, in no order. Group 2 has one undated event (left out)
# and group -1 is no group (left out).
GROUP = np.array([1, 0, 1, 2, 0, 1, 2, -1])
DAY = np.array([10, 5, 3, 7, 5, 10, NO_DAY, 4])  # two events of group 1 on day 10
VALUE = np.array([1.5, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0])
CENTS = np.array([150, 200, 400, 800, 1600, 3200, 6400, 12800])


def test_events_sort_once_and_leave_out_undated_and_ungrouped():
    ev = Events(GROUP, DAY, VALUE)
    # Sorted by (group, day), equal keys in the order given: rows 1, 4 (group 0 day 5),
    # 2 (group 1 day 3), 0, 5 (group 1 day 10), 3 (group 2 day 7).
    assert ev.order.tolist() == [1, 4, 2, 0, 5, 3]
    assert ev.day.tolist() == [5, 5, 3, 10, 10, 7]
    assert ev.cum.tolist() == [0.0, 2.0, 18.0, 22.0, 23.5, 55.5, 63.5]


def test_events_up_to_a_day_by_hand():
    ev = Events(GROUP, DAY, VALUE, totals=[CENTS, 2 * CENTS])
    group = np.array([0, 0, 1, 1, 1, 2, 2, -1, 3])
    day = np.array([4, 5, 2, 9, 10, 7, NO_DAY, 100, 100])
    assert ev.count_upto(group, day).tolist() == [0, 2, 0, 1, 3, 1, 1, 0, 0]
    assert ev.sum_upto(group, day).tolist() == [0.0, 18.0, 0.0, 4.0, 37.5, 8.0, 8.0, 0.0, 0.0]
    cents, double = ev.totals_upto(group, day)
    assert cents.dtype == np.int64
    assert cents.tolist() == [0, 1800, 0, 400, 3750, 800, 800, 0, 0]
    assert (double == 2 * cents).all()
    # Unsorted queries give the same answers, in the order asked.
    flip = np.arange(len(group))[::-1]
    assert (ev.totals_upto(group[flip], day[flip])[0] == cents[flip]).all()
    # The last event on or before the day, and the days since it.
    assert ev.last_upto(group, day).tolist() == [-1, 1, -1, 2, 4, 5, 5, -1, -1]
    since = ev.days_since(group, day)
    assert np.isnan(since[[0, 2, 7, 8]]).all()
    assert since[[1, 3, 4, 5]].tolist() == [0.0, 6.0, 0.0, 0.0]


def test_events_with_nothing_dated_answer_zero():
    ev = Events(np.array([-1, 0]), np.array([3, NO_DAY]), np.array([1.0, 2.0]), totals=[[1, 2]])
    assert len(ev.order) == 0
    assert ev.count_upto(np.array([0, -1]), np.array([5, 5])).tolist() == [0, 0]
    assert ev.totals_upto(np.array([0, -1]), np.array([5, 5]))[0].tolist() == [0, 0]
    assert np.isnan(ev.days_since(np.array([0]), np.array([5]))).all()


def test_first_settled_day_by_hand():
    # Invoice 0 ($100) paid 60 on day 3 and 40 on day 8: settled day 8. Invoice 1 ($50)
    # paid 20: never. Invoice 2 (a -$30 credit) refunded -30 on day 4: settled day 4.
    pay_inv = np.array([0, 1, 0, 2])
    pay_day = np.array([8, 2, 3, 4])
    amount = np.array([100.0, 50.0, -30.0])
    ev = Events(pay_inv, pay_day, np.array([40.0, 20.0, 60.0, -30.0]))
    assert first_settled_day(ev, pay_inv, amount).tolist() == [8, NO_DAY, 4]


def test_a_day_past_the_span_is_not_an_event():
    ev = Events(np.array([0, 0, 1]), np.array([1, DAY_SPAN, 0]), np.array([1.0, 2.0, 4.0]))
    assert ev.order.tolist() == [0, 2]
    assert ev.sum_upto(np.array([0, 1]), np.array([NO_DAY, NO_DAY])).tolist() == [1.0, 4.0]


def _four_dates(invoices) -> list[pd.Timestamp]:
    """Four dates spread over the ledger's life: early, middle, late, past its end."""
    first, last = invoices["invoice_date"].min(), invoices["invoice_date"].max()
    span = last - first
    return [first + span * q for q in (0.1, 0.5, 0.9)] + [last + pd.Timedelta(days=400)]


def _assert_same_balances(invoices, payments):
    book = book_of(invoices, payments)
    for as_of in _four_dates(invoices):
        as_of = as_of.normalize()
        expected = invoice_balances(invoices, payments, as_of=as_of)
        got = book.invoice_balances(as_of)
        pd.testing.assert_frame_equal(got, expected)
        # To the cent, and something is open on the early dates (not a vacuous match).
        open_now = book.open_amounts(as_of)
        issued = book.balances(as_of).issued
        assert (open_now[issued] == expected["open_amount"].to_numpy()).all()
        assert (open_now[~issued] == 0).all()
    assert (book.open_amounts(_four_dates(invoices)[0].normalize()) != 0).any()


def test_book_balances_equal_invoice_balances_on_the_sample():
    s = load_sample()
    _assert_same_balances(s.invoices, s.payments)
    # Without a payments table the invoices' own settlements are the payments.
    _assert_same_balances(s.invoices, None)


def test_book_balances_equal_invoice_balances_on_the_ibm_data(ibm_ar_path):
    invoices = load_invoices(ibm_ar_path, preset="ibm_ar")
    _assert_same_balances(invoices, None)


def test_a_payment_without_a_date_never_counts():
    s = load_sample()
    pays = s.payments.copy()
    pays.loc[pays.index[:5], "payment_date"] = pd.NaT
    as_of = pays["payment_date"].max()
    book = book_of(s.invoices, pays)
    bal = book.invoice_balances(as_of)
    pd.testing.assert_frame_equal(bal, invoice_balances(s.invoices, pays, as_of=as_of))
    hit = bal["invoice_id"].isin(pays["invoice_id"].iloc[:5])
    full = invoice_balances(s.invoices, s.payments, as_of=as_of)
    lost = pays["amount"].iloc[:5].sum()
    gained = bal.loc[hit, "open_amount"].sum() - full.loc[hit, "open_amount"].sum()
    assert lost > 0 and abs(gained - lost) < 0.005


def test_a_book_of_other_tables_is_refused():
    s = load_sample()
    book = book_of(s.invoices, s.payments)
    assert book_for(book, s.invoices, s.payments) is book
    with pytest.raises(InputError, match="same invoices, payments, calls and customers"):
        book_for(book, s.invoices.copy(), s.payments)


def test_promise_outcomes_are_judged_once_per_book():
    s = load_sample()
    book = book_of(s.invoices, s.payments, s.calls, s.customers)
    as_of = "2026-06-30"
    plain = promise_outcomes(s.calls, s.payments, s.invoices, as_of=as_of)
    first = promise_outcomes(s.calls, s.payments, s.invoices, as_of=as_of, book=book)
    pd.testing.assert_frame_equal(first, plain)
    assert len(book._memo) == 1
    # A caller that changes its copy does not change what the next caller gets.
    first["status"] = "broken"
    again = promise_outcomes(s.calls, s.payments, s.invoices, as_of=as_of, book=book)
    pd.testing.assert_frame_equal(again, plain)
    assert len(book._memo) == 1
    # Other options are another judgement.
    strict = promise_outcomes(
        s.calls, s.payments, s.invoices, as_of=as_of, renegotiated="strict", book=book
    )
    pd.testing.assert_frame_equal(
        strict,
        promise_outcomes(s.calls, s.payments, s.invoices, as_of=as_of, renegotiated="strict"),
    )
    assert len(book._memo) == 2
    with pytest.raises(InputError, match="book= must be built"):
        promise_outcomes(s.calls.copy(), s.payments, s.invoices, as_of=as_of, book=book)


def test_plan_instalments_are_judged_once_per_book_and_read_in_place():
    from arcalls import plans
    from arcalls.features import account_snapshots

    s = load_sample()
    book = book_of(s.invoices, s.payments, s.calls, s.customers)
    as_of = s.calls["called_at"].max().normalize()
    plain = plans.plan_instalments(s.calls, s.payments, s.invoices, as_of=as_of)
    assert len(plain) > 0
    first = plans.plan_instalments(s.calls, s.payments, s.invoices, as_of=as_of, book=book)
    pd.testing.assert_frame_equal(first, plain)
    # The public function hands out a copy: a caller's change stays its own.
    first["status"] = "broken"
    shared = plans._judged_instalments(
        s.calls, s.payments, s.invoices, as_of=as_of, grace_days=3, tolerance=0.0, book=book
    )
    # Given a book, the book's own table.
    assert len(book._memo) == 1 and shared is next(iter(book._memo.values()))
    pd.testing.assert_frame_equal(shared, plain)
    # The readers inside arcalls take the book's own table and leave it as it was.
    status = plans.plan_status(s.calls, s.payments, s.invoices, as_of=as_of, book=book)
    pd.testing.assert_frame_equal(
        status, plans.plan_status(s.calls, s.payments, s.invoices, as_of=as_of)
    )
    account_snapshots(*s, as_of_dates=[as_of - pd.Timedelta(days=7), as_of], book=book)
    again = plans._judged_instalments(
        s.calls, s.payments, s.invoices, as_of=as_of, grace_days=3, tolerance=0.0, book=book
    )
    assert again is shared
    pd.testing.assert_frame_equal(shared, plain)


def test_account_snapshots_from_a_book_are_the_same():
    s = load_sample()
    dates = pd.date_range("2025-09-07", periods=4, freq="W")
    book = book_of(*s)
    plain = account_snapshots(*s, as_of_dates=dates)
    assert len(plain) > 0
    pd.testing.assert_frame_equal(account_snapshots(*s, as_of_dates=dates, book=book), plain)
    # The codes were kept for the next analysis.
    assert "customer_codes" in vars(book) and "pay_positions" in vars(book)


def test_a_payment_without_a_date_is_not_in_the_balance_at_a_promise():
    s = load_sample()
    as_of = "2026-06-30"
    out = promise_outcomes(s.calls, s.payments, s.invoices, as_of=as_of)
    # A promise whose customer paid before the call, none of whose invoices is dated on
    # the call day (the promise sees the balance at the start of its call day).
    day = out[["customer_id", "called_at"]].assign(day=out["called_at"].dt.normalize())
    paid = s.payments.merge(s.invoices[["invoice_id", "customer_id"]], on="invoice_id")
    both = day.reset_index().merge(paid, on="customer_id")
    had = both.loc[both["payment_date"] < both["day"], "index"]
    same_day = day.reset_index().merge(s.invoices, on="customer_id")
    new = same_day.loc[same_day["invoice_date"] == same_day["day"], "index"]
    pick = sorted(set(had) - set(new))[0]
    who, call_day = day.loc[pick, "customer_id"], day.loc[pick, "day"]
    theirs = s.invoices.loc[s.invoices["customer_id"] == who, "invoice_id"]
    pays = s.payments.copy()
    undated = pays["invoice_id"].isin(theirs) & (pays["payment_date"] < call_day)
    pays.loc[undated, "payment_date"] = pd.NaT
    got = promise_outcomes(s.calls, pays, s.invoices, as_of=as_of).loc[pick]
    assert got["call_id"] == out.loc[pick, "call_id"]
    bal = invoice_balances(s.invoices, pays, as_of=call_day - pd.Timedelta(days=1))
    expected = bal.loc[bal["customer_id"] == who, "open_amount"].sum()
    before = out.loc[pick, "open_at_call"]
    # The undated payments no longer reduce the balance at the call.
    assert abs(got["open_at_call"] - expected) < 0.005
    assert got["open_at_call"] - before > 0.005


def test_aging_and_ar_metrics_from_a_book_are_the_same():
    s = load_sample()
    book = book_of(s.invoices, s.payments)
    for as_of in ("2025-12-31", "2026-06-30"):
        for by in ("customer_id", None):
            pd.testing.assert_frame_equal(
                aging(s.invoices, s.payments, as_of=as_of, by=by, book=book),
                aging(s.invoices, s.payments, as_of=as_of, by=by),
            )
        pd.testing.assert_frame_equal(
            ar_metrics(s.invoices, s.payments, as_of=as_of, book=book),
            ar_metrics(s.invoices, s.payments, as_of=as_of),
        )
    # Each date's balances were worked out once: 2 as-of dates and 2 period starts.
    assert sum(key[0] == "balances" for key in book._memo) == 4


def test_recovery_and_handoff_from_a_book_are_the_same_and_hash_nothing(monkeypatch):
    from arcalls import recovery

    s = load_sample()
    book = book_of(s.invoices, s.payments, s.calls, s.customers)
    as_of = "2025-06-30"
    plain_curve = recovery.recovery_curve(s.invoices, s.payments, as_of=as_of, n_boot=20)
    plain = recovery.recommend_handoff(s.invoices, s.payments, s.customers, as_of=as_of, n_boot=20)
    plain_gains = recovery.account_handoff_gains(
        s.invoices, s.payments, s.customers, as_of=as_of, analysis=plain
    )
    book.pay_positions  # noqa: B018 (the run's other analyses have asked already)

    def no_hash(*args, **kwargs):
        raise AssertionError("an id hash pass of its own, beside the run's book")

    def small_only(values, universe):
        # The placed customers are looked up among the customer ids, not per invoice.
        if max(len(values), len(universe)) >= len(s.payments):
            no_hash()
        return original(values, universe)

    original = recovery.positions
    monkeypatch.setattr(recovery, "positions", small_only)
    monkeypatch.setattr(recovery, "invoice_balances", no_hash)
    monkeypatch.setattr(recovery, "_check_unique_ids", no_hash)
    curve = recovery.recovery_curve(s.invoices, s.payments, as_of=as_of, n_boot=20, book=book)
    pd.testing.assert_frame_equal(curve, plain_curve)
    mine = recovery.recommend_handoff(
        s.invoices, s.payments, s.customers, as_of=as_of, n_boot=20, book=book
    )
    # The bootstrap draws customers by code: the same codes give the same band.
    pd.testing.assert_frame_equal(mine.table, plain.table)
    assert mine.params == plain.params
    gains = recovery.account_handoff_gains(
        s.invoices, s.payments, s.customers, as_of=as_of, analysis=mine, book=book
    )
    pd.testing.assert_frame_equal(gains, plain_gains)
    other = book_of(s.invoices.copy(), s.payments)
    with pytest.raises(InputError, match="book= must be built from the same"):
        recovery.recommend_handoff(s.invoices, s.payments, as_of=as_of, n_boot=0, book=other)


@pytest.mark.parametrize(
    "inv_ids, pay_ids",
    [
        (
            pd.array(["a", None, "b", "c"], dtype="string"),
            pd.array(["c", "z", None, "a"], dtype="string"),
        ),
        ([5, 6, 7, 8], [8, 1, None, 5]),
    ],
)
def test_payment_positions_read_off_the_shared_codes(inv_ids, pay_ids):
    from arcalls._keys import invoice_positions

    inv = pd.DataFrame({"invoice_id": inv_ids, "amount": [1.0, 2.0, 3.0, 4.0]})
    pay = pd.DataFrame(
        {"invoice_id": pay_ids, "amount": 1.0, "payment_date": pd.Timestamp("2024-01-01")}
    )
    book = book_of(inv, pay)
    assert book.pay_positions.tolist() == [3, -1, -1, 0]
    assert (
        book.pay_positions.tolist()
        == invoice_positions(inv["invoice_id"], pay["invoice_id"])[0].tolist()
    )
    first = inv["invoice_id"].tolist()[0]
    repeated = inv.copy()
    repeated.loc[1, "invoice_id"] = first
    with pytest.raises(InputError, match=rf"invoice_id must be unique.*\[{first!r}\]"):
        book_of(repeated, pay).pay_positions  # noqa: B018


@pytest.mark.parametrize(
    "ids, dtype",
    [
        (["b", None, "a", "zz", "b", "a", None, "c"], "string[pyarrow]"),
        (["b", None, "a", "zz", "b", "a", None, "c"], "string[python]"),
        ([7, 3, None, 3, 9, 7, 1, None], "Int64"),
    ],
)
@pytest.mark.parametrize(
    "rows",
    [
        None,
        np.array([True, False, True, True, False, True, True, False]),
        np.array([False, True, False, False, False, False, True, False]),  # only missing
        np.zeros(8, dtype=bool),
    ],
)
def test_call_customer_codes_are_the_hash_passes_they_replace(ids, dtype, rows):
    from arcalls._keys import factorize, positions

    inv = pd.DataFrame({"invoice_id": ["i1"], "customer_id": ["a"], "amount": [1.0]})
    calls = pd.DataFrame({"customer_id": pd.array(ids, dtype=dtype)})
    book = book_of(inv, None, calls)
    subset = calls["customer_id"] if rows is None else calls["customer_id"][rows]
    take = slice(None) if rows is None else rows
    universe = pd.array(ids[2:4] + ids[7:], dtype=dtype)  # some ids absent, one missing
    universe = universe[~pd.isna(universe)]
    assert book.call_customers_in(universe, rows).tolist() == positions(subset, universe).tolist()
    codes, uniques = book.call_customers_of(take)
    want_codes, want_uniques = factorize(subset, sort=True)
    assert codes.tolist() == want_codes.tolist()
    assert list(uniques) == list(want_uniques)
    assert uniques.dtype == want_uniques.dtype


def test_a_book_without_calls_has_no_call_codes():
    s = load_sample()
    with pytest.raises(InputError, match="without a call log"):
        book_of(s.invoices, s.payments).call_customer_codes  # noqa: B018


@pytest.mark.parametrize(
    "ids, dtype",
    [(["b", None, "a", "zz", "b"], "string[pyarrow]"), ([7, None, 3, 9, 7], "Int64")],
)
def test_invoice_customers_are_the_look_up_they_replace(ids, dtype):
    from arcalls._keys import positions

    inv = pd.DataFrame(
        {
            "invoice_id": ["i1", "i2", "i3", "i4", "i5"],
            "customer_id": pd.array(ids, dtype=dtype),
            "amount": 1.0,
        }
    )
    universe = pd.array([ids[3], ids[0], ids[2]], dtype=dtype)  # ids 'zz', 'b', 'a'
    found = book_of(inv).invoice_customers_in(universe)
    assert found.tolist() == positions(inv["customer_id"], universe).tolist()
    assert found.tolist() == [1, -1, 2, 0, 1]


def test_call_invoice_positions_are_looked_up_once_for_a_subset(monkeypatch):
    from arcalls import _keys
    from arcalls import book as book_module

    inv = pd.DataFrame(
        {
            "invoice_id": pd.array(["i1", "i2", "i3", "i4"], dtype="string[pyarrow]"),
            "customer_id": "c",
            "amount": 1.0,
        }
    )
    calls = pd.DataFrame(
        {"invoice_id": pd.array(["i3", None, "zz", "i1", "i4", "i2"], dtype="string[pyarrow]")}
    )
    pay = pd.DataFrame({"invoice_id": pd.array(["i2", "i9"], dtype="string[pyarrow]")})
    book = book_of(inv, pay, calls)
    passes = []

    def counting(look_up):
        def counted(*columns):
            passes.append(len(columns))
            return look_up(*columns)

        return counted

    # The book's two hash passes over the invoice ids: with the payments, and alone.
    monkeypatch.setattr(book_module, "invoice_positions", counting(_keys.invoice_positions))
    monkeypatch.setattr(book_module, "positions", counting(_keys.positions))
    # By hand: i3 is row 2, a missing id and an unknown one are -1, i1 row 0, i4 row 3.
    pay_inv, named = book.call_invoice_positions(np.array([0, 1, 2, 3, 4]))
    assert pay_inv.tolist() == [1, -1] and named.tolist() == [2, -1, -1, 0, 3]
    assert passes == [3]  # the invoices' one hash, probed by the payments and the calls
    # A subset of the rows asked is read off the kept answer: no pass.
    assert book.call_invoice_positions(np.array([1, 4]))[1].tolist() == [-1, 3]
    assert book.call_invoice_positions(np.array([], dtype=np.int64))[1].tolist() == []
    assert passes == [3]
    # Rows beyond them are looked up (one pass), and become the kept answer.
    assert book.call_invoice_positions(np.array([3, 5]))[1].tolist() == [0, 1]
    assert book.call_invoice_positions(np.arange(6))[1].tolist() == [2, -1, -1, 0, 3, 1]
    assert book.call_invoice_positions(np.array([5]))[1].tolist() == [1]
    assert passes == [3, 2, 2]  # the calls' ids and the invoices' (payments known)


def test_calls_that_name_no_invoices_have_no_call_invoice_positions():
    inv = pd.DataFrame({"invoice_id": ["i1", "i2"], "customer_id": "c", "amount": 1.0})
    pay = pd.DataFrame({"invoice_id": ["i2"]})
    for calls in (None, pd.DataFrame({"customer_id": ["c", "c"]})):
        pay_inv, named = book_of(inv, pay, calls).call_invoice_positions(np.array([0, 1]))
        assert pay_inv.tolist() == [1] and named is None
