"""Payment plans: schedules, instalments judged on payments, plan status, the offer, the list.

Every expected value is worked by hand in the comments next to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls.errors import ArcallsError, InputError
from arcalls.plans import (
    INSTALMENT_STATUSES,
    PLAN_STATUSES,
    instalment_rates,
    latest_plans,
    plan_instalments,
    plan_schedule,
    plan_status,
    propose_payment_plan,
)
from arcalls.schema import CALLS, INVOICES, PAYMENTS, dtype_of
from arcalls.worksheet import _column_names


def _frame(table, columns):
    frame = pd.DataFrame(columns)
    return frame.astype({c.name: dtype_of(c.kind) for c in table.columns if c.name in frame})


def _invoices():
    # P owes 6,000 on two invoices (the plan covers both); Q owes 900; R owes 5,000.
    return _frame(
        INVOICES,
        {
            "invoice_id": ["P1", "P2", "Q1", "R1"],
            "customer_id": ["P", "P", "Q", "R"],
            "invoice_date": pd.to_datetime(
                ["2026-08-01", "2026-08-15", "2026-09-01", "2026-09-01"]
            ),
            "due_date": pd.to_datetime(["2026-09-01", "2026-09-15", "2026-10-01", "2026-10-01"]),
            "amount": [4000.0, 2000.0, 900.0, 5000.0],
        },
    )


def _payments(rows):
    ids = [f"p{i}" for i in range(len(rows))]
    return _frame(
        PAYMENTS,
        {
            "payment_id": ids,
            "invoice_id": [r[0] for r in rows],
            "payment_date": pd.to_datetime([r[1] for r in rows]),
            "amount": [r[2] for r in rows],
        },
    )


def _plan_call(**fields):
    base = {
        "call_id": "k1",
        "customer_id": "P",
        "called_at": "2026-11-02 10:00",
        "outcome": "plan",
        "collector": "ann",
    }
    base.update(fields)
    return base


def _calls(rows):
    frame = pd.DataFrame(rows)
    frame["called_at"] = pd.to_datetime(frame["called_at"])
    for c in ("plan_first_date", "promise_date"):
        if c in frame:
            frame[c] = pd.to_datetime(frame[c])
    return frame.astype({c.name: dtype_of(c.kind) for c in CALLS.columns if c.name in frame})


# 3 monthly instalments of 2,000 from 2026-11-05: due Nov 5, Dec 5, Jan 5; deadlines +3.
THREE_MONTHLY = _plan_call(
    plan_amount=6000.0,
    plan_instalments=3,
    plan_first_date="2026-11-05",
    plan_frequency="monthly",
)


# --- schedules ---------------------------------------------------------------------------


def test_equal_monthly_schedule_clamps_to_month_end_in_a_leap_year():
    calls = _calls(
        [
            _plan_call(
                call_id="leap",
                called_at="2028-01-20 09:00",
                plan_amount=100.0,
                plan_instalments=4,
                plan_first_date="2028-01-31",
                plan_frequency="monthly",
            ),
            _plan_call(
                call_id="common",
                called_at="2027-01-20 09:00",
                plan_amount=100.0,
                plan_instalments=3,
                plan_first_date="2027-01-31",
                plan_frequency="Monthly",
            ),
        ]
    )
    out = plan_schedule(calls)
    leap = out[out["plan_id"] == "leap"]
    # Jan 31 -> Feb 29 (2028 is a leap year) -> Mar 31 -> Apr 30, each from the first date.
    assert leap["due_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2028-01-31",
        "2028-02-29",
        "2028-03-31",
        "2028-04-30",
    ]
    assert leap["amount"].tolist() == [25.0, 25.0, 25.0, 25.0]
    common = out[out["plan_id"] == "common"]
    assert common["due_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2027-01-31",
        "2027-02-28",
        "2027-03-31",
    ]
    # 100.00 / 3 = 33.33 (cut to the cent); the last absorbs the cent: 33.34.
    assert common["amount"].tolist() == [33.33, 33.33, 33.34]
    assert common["instalment"].tolist() == [1, 2, 3]
    assert list(out.columns) == [
        "call_id",
        "customer_id",
        "plan_id",
        "instalment",
        "due_date",
        "amount",
    ]


def test_weekly_and_fortnightly_steps_and_cents_exact():
    calls = _calls(
        [
            _plan_call(
                call_id="w",
                plan_amount=1000.0,
                plan_instalments=7,
                plan_first_date="2026-11-06",
                plan_frequency="weekly",
            ),
            _plan_call(
                call_id="f",
                plan_amount=50.0,
                plan_instalments=2,
                plan_first_date="2026-11-06",
                plan_frequency="fortnightly",
            ),
        ]
    )
    out = plan_schedule(calls)
    w = out[out["plan_id"] == "w"]
    assert w["due_date"].iloc[[0, 1, 6]].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-11-06",
        "2026-11-13",
        "2026-12-18",
    ]
    # 1000 / 7 = 142.857...: six of 142.85 = 857.10, the last 142.90; sum exact in cents.
    assert w["amount"].tolist() == [142.85] * 6 + [142.90]
    assert round(w["amount"].sum() * 100) == 100_000
    f = out[out["plan_id"] == "f"]
    assert f["due_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-06", "2026-11-20"]


def test_explicit_schedule():
    calls = _calls(
        [
            _plan_call(
                plan_amount=3500.5,
                plan_schedule="2026-12-05=2000.00; 2027-01-05=1,500.50;",
            )
        ]
    )
    out = plan_schedule(calls)
    assert out["due_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-12-05", "2027-01-05"]
    assert out["amount"].tolist() == [2000.0, 1500.5]


@pytest.mark.parametrize(
    ("fields", "column", "match"),
    [
        (
            {"plan_amount": 5000.0, "plan_schedule": "2026-12-05=2000.00; 2027-01-05=2000.00"},
            "plan_amount",
            r"does not equal the schedule's sum, 4000\.00",
        ),
        (
            {
                "plan_amount": 300.0,
                "plan_instalments": 3,
                "plan_first_date": "2026-11-05",
                "plan_frequency": "yearly",
            },
            "plan_frequency",
            "unknown frequency",
        ),
        ({"plan_amount": 300.0}, "plan_instalments", "missing: plan_instalments, plan_first"),
        (
            {
                "plan_amount": -5.0,
                "plan_instalments": 3,
                "plan_first_date": "2026-11-05",
                "plan_frequency": "weekly",
            },
            "plan_amount",
            "must be above 0",
        ),
        (
            {
                "plan_amount": 300.0,
                "plan_instalments": 0,
                "plan_first_date": "2026-11-05",
                "plan_frequency": "weekly",
            },
            "plan_instalments",
            "whole number from 1",
        ),
        (
            {
                "plan_amount": 300.0,
                "plan_instalments": 3,
                "plan_first_date": "2026-10-01",
                "plan_frequency": "weekly",
            },
            "plan_first_date",
            "before the call",
        ),
        ({"plan_schedule": "2027-01-05=100; 2026-12-05=100"}, "plan_schedule", "not a schedule"),
        ({"plan_schedule": "next week 100"}, "plan_schedule", "not a schedule"),
    ],
)
def test_bad_plans_refused_by_the_loader_naming_the_row(tmp_path, fields, column, match):
    good = {
        "call_id": "k0",
        "customer_id": "P",
        "called_at": "2026-11-01 09:00",
        "outcome": "voicemail",
    }
    bad = {**_plan_call(), **fields}
    path = tmp_path / "calls.csv"
    pd.DataFrame([good, bad]).to_csv(path, index=False)
    with pytest.raises(InputError, match=match) as info:
        arcalls.load_calls(path)
    problems = info.value.problems
    # The bad call is the file's row 3 (header row 1, the good call row 2).
    assert problems["row"].tolist() == [3]
    assert problems["column"].tolist() == [column]
    assert "row 3" in str(info.value)


def test_plan_fields_on_another_outcome_refused(tmp_path):
    path = tmp_path / "calls.csv"
    pd.DataFrame([{**_plan_call(outcome="contact"), "plan_schedule": "2026-12-05=100.00"}]).to_csv(
        path, index=False
    )
    with pytest.raises(InputError, match="outcome is not 'plan'"):
        arcalls.load_calls(path)


def test_set_aside_keeps_the_good_plans(tmp_path):
    path = tmp_path / "calls.csv"
    good = {**THREE_MONTHLY, "call_id": "good"}
    bad = {**_plan_call(call_id="bad"), "plan_amount": 10.0, "plan_schedule": "2026-12-05=1"}
    pd.DataFrame([good, bad]).to_csv(path, index=False)
    with pytest.warns(arcalls.RowsSetAsideWarning):
        calls = arcalls.load_calls(path, on_bad_rows="skip")
    assert calls["call_id"].tolist() == ["good"]
    assert plan_schedule(calls)["amount"].tolist() == [2000.0, 2000.0, 2000.0]


def test_plan_schedule_raises_on_a_bad_frame_naming_the_call():
    calls = _calls([_plan_call(call_id="x9", plan_amount=10.0, plan_schedule="2026-12-05=11")])
    with pytest.raises(InputError, match=r"call x9: plan_amount '10.0': does not equal"):
        plan_schedule(calls)


# --- judging -----------------------------------------------------------------------------


def _judge(payments, *, as_of, calls=None):
    calls = _calls([THREE_MONTHLY]) if calls is None else calls
    inst = plan_instalments(calls, _payments(payments), _invoices(), as_of=as_of)
    status = plan_status(calls, _payments(payments), _invoices(), as_of=as_of)
    return inst, status


def test_partial_second_instalment_is_a_missed_instalment():
    # 2,000 on Nov 5 keeps the first (deadline Nov 8). By the second's deadline (Dec 8)
    # 2,500 arrived in all: 500 towards the second, which is partial. The third is pending.
    inst, status = _judge(
        [("P1", "2026-11-05", 2000.0), ("P2", "2026-12-07", 500.0)], as_of="2026-12-20"
    )
    assert inst["status"].tolist() == ["kept", "partial", "pending"]
    assert inst["received"].tolist() == [2000.0, 500.0, 0.0]
    assert inst["shortfall"].tolist() == [0.0, 1500.0, 2000.0]
    assert inst["deadline"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-11-08",
        "2026-12-08",
        "2027-01-08",
    ]
    row = status.iloc[0]
    # Dec 20 is 15 days after Dec 5: one instalment missed, not yet 30 days.
    assert row["status"] == "missed_instalment"
    assert (row["paid_to_date"], row["remaining"]) == (2500.0, 3500.0)
    assert row["next_due_date"] == pd.Timestamp("2026-12-05")
    assert row["next_due_amount"] == 1500.0  # 4,000 due by then less 2,500 paid
    assert (row["kept"], row["partial"], row["pending"], row["missed"]) == (1, 1, 1, 1)


def test_defaulted_two_missed_or_one_over_30_days():
    pays = [("P1", "2026-11-05", 2000.0), ("P2", "2026-12-07", 500.0)]
    # Jan 6: the third is still pending (deadline Jan 8), but the second has been unpaid
    # 32 days after its due date (Dec 5): defaulted.
    _, status = _judge(pays, as_of="2027-01-06")
    assert status["status"].tolist() == ["defaulted"]
    # Jan 10: the third is broken too (2,500 < 4,000 due before it): two missed.
    inst, status = _judge(pays, as_of="2027-01-10")
    assert inst["status"].tolist() == ["kept", "partial", "broken"]
    assert status["status"].tolist() == ["defaulted"]
    assert status["missed"].tolist() == [2]


def test_completed_and_early_payment():
    # 6,000 in one payment on Nov 20: nothing came by the first's deadline (Nov 8), so it
    # is broken; the second and third are kept early; the plan is completed (the
    # payments to date cover it all).
    inst, status = _judge([("P1", "2026-11-20", 6000.0)], as_of="2026-12-01")
    assert inst["status"].tolist() == ["broken", "kept", "kept"]
    assert status["status"].tolist() == ["completed"]
    assert status["remaining"].tolist() == [0.0]
    assert status["next_due_date"].isna().all()
    inst, status = _judge(
        [("P1", "2026-11-05", 2000.0), ("P1", "2026-12-05", 2000.0), ("P2", "2027-01-04", 2000.0)],
        as_of="2027-01-10",
    )
    assert inst["status"].tolist() == ["kept", "kept", "kept"]
    assert status["status"].tolist() == ["completed"]


def test_pending_and_payments_before_the_plan_do_not_count():
    # 1,000 paid on Nov 1, the day before the plan's call: not towards the plan.
    inst, status = _judge([("P1", "2026-11-01", 1000.0)], as_of="2026-11-03")
    assert inst["status"].tolist() == ["pending", "pending", "pending"]
    assert status["status"].tolist() == ["on_track"]
    assert status["paid_to_date"].tolist() == [0.0]
    assert status["next_due_amount"].tolist() == [2000.0]


def test_paid_late_and_caught_up_is_on_track_again():
    # Second instalment broken at its deadline (nothing beyond the first by Dec 8), then
    # 2,000 on Dec 15 covers it: no instalment is missed on Dec 20.
    inst, status = _judge(
        [("P1", "2026-11-05", 2000.0), ("P1", "2026-12-15", 2000.0)], as_of="2026-12-20"
    )
    assert inst["status"].tolist() == ["kept", "broken", "pending"]
    assert inst["covered"].tolist() == [True, True, False]
    assert status["status"].tolist() == ["on_track"]
    assert status["next_due_date"].tolist() == [pd.Timestamp("2027-01-05")]


def test_a_later_promise_supersedes_the_plan():
    calls = _calls(
        [
            THREE_MONTHLY,
            {
                "call_id": "k2",
                "customer_id": "P",
                "called_at": "2026-12-01 10:00",
                "outcome": "promise",
                "promise_date": "2026-12-10",
            },
        ]
    )
    inst, status = _judge([("P1", "2026-11-05", 2000.0)], as_of="2027-02-01", calls=calls)
    # The plan's window closes Nov 30: the second and third were still open then.
    assert inst["status"].tolist() == ["kept", "superseded", "superseded"]
    assert inst["superseded_by"].tolist() == ["k2"] * 3
    assert status["status"].tolist() == ["superseded"]


def test_point_in_time_plans_after_as_of_are_not_seen():
    calls = _calls([THREE_MONTHLY])
    inst = plan_instalments(calls, _payments([]), _invoices(), as_of="2026-11-01")
    assert len(inst) == 0
    assert len(plan_status(calls, _payments([]), _invoices(), as_of="2026-11-01")) == 0


def test_instalment_rates_by_collector():
    inst, _ = _judge(
        [("P1", "2026-11-05", 2000.0), ("P2", "2026-12-07", 500.0)], as_of="2027-01-10"
    )
    rates = instalment_rates(inst, by="collector")
    row = rates.iloc[0]
    # kept 1, partial 1, broken 1: broken rate 2/3, kept rate 1/3.
    assert (row["kept"], row["partial"], row["broken"], row["resolved"]) == (1, 1, 1, 3)
    assert row["broken_rate"] == pytest.approx(2 / 3)
    assert row["kept_rate"] == pytest.approx(1 / 3)
    assert (row["due"], row["received"]) == (6000.0, 2500.0)
    assert set(inst["status"]) <= set(INSTALMENT_STATUSES)
    assert set(PLAN_STATUSES) >= {"on_track", "missed_instalment", "defaulted", "completed"}


# --- the offer ---------------------------------------------------------------------------


def test_offer_sized_from_own_history_and_capped():
    invoices = _invoices()
    # Q paid 300 and 500 in the last year (median 400) on an older invoice Q0, paid in
    # full; as of Nov 30 it owes Q1's 900. P (6,000) and R (5,000) never paid.
    q0 = _frame(
        INVOICES,
        {
            "invoice_id": ["Q0"],
            "customer_id": ["Q"],
            "invoice_date": pd.to_datetime(["2026-01-01"]),
            "due_date": pd.to_datetime(["2026-01-31"]),
            "amount": [800.0],
        },
    )
    invoices = pd.concat([invoices, q0], ignore_index=True)
    pays = _payments([("Q0", "2026-03-01", 300.0), ("Q0", "2026-04-01", 500.0)])
    offers = propose_payment_plan(invoices, pays, as_of="2026-11-30").set_index("customer_id")
    q = offers.loc["Q"]
    # 900 / 400 = 2.25 -> 3 instalments of 300.00, from Dec 7 (as of + 7 days).
    assert (q["typical_payment"], q["instalments"], q["instalment_amount"]) == (400.0, 3, 300.0)
    assert q["offer"] == "3 x $300.00 monthly from 2026-12-07"
    assert q["schedule"] == "2026-12-07=300.00; 2027-01-07=300.00; 2027-02-07=300.00"
    p = offers.loc["P"]
    # No history: the 50.00 minimum would take 120 instalments; the cap is 6 -> 1,000.00.
    assert (p["instalments"], p["instalment_amount"]) == (6, 1000.0)
    r = offers.loc["R"]
    # 5,000 / 6 = 833.33 five times, the last 833.35.
    assert (r["instalment_amount"], r["last_instalment_amount"]) == (833.33, 833.35)
    assert r["offer"] == "6 x $833.33 monthly from 2026-12-07, last $833.35"
    # The offer's schedule is a valid recorded plan of the same total.
    recorded = _calls([_plan_call(called_at="2026-11-30 10:00", plan_schedule=r["schedule"])])
    assert round(plan_schedule(recorded)["amount"].sum() * 100) == 500_000


def test_offer_options_checked():
    with pytest.raises(ArcallsError, match="frequency must be one of"):
        propose_payment_plan(_invoices(), None, as_of="2026-11-30", frequency="daily")
    with pytest.raises(ArcallsError, match="max_instalments"):
        propose_payment_plan(_invoices(), None, as_of="2026-11-30", max_instalments=0)


# --- the call list -----------------------------------------------------------------------


def test_call_list_excludes_on_track_and_puts_missed_first():
    invoices = _invoices()
    # P: plan on track (first kept, as of Nov 20). R: plan of 2 x 500 from Nov 5, nothing
    # paid: first instalment missed (deadline Nov 8). Q: no plan.
    calls = _calls(
        [
            THREE_MONTHLY,
            _plan_call(
                call_id="r1",
                customer_id="R",
                plan_amount=1000.0,
                plan_instalments=2,
                plan_first_date="2026-11-05",
                plan_frequency="monthly",
            ),
        ]
    )
    pays = _payments([("P1", "2026-11-05", 2000.0)])
    result = arcalls.call_list(invoices, pays, calls, None, as_of="2026-11-20")
    excluded = result.excluded.set_index("customer_id")
    assert excluded.loc["P", "reason"] == "payment plan on track: next $2,000.00 due 2026-12-05"
    assert excluded.loc["P", "plan_status"] == "on_track"
    assert result.excluded_by_reason["payment plan on track"] == 1
    listed = result.calls
    # R (5,000 overdue) heads the list, ahead of anything the model or the balance says.
    assert listed["customer_id"].tolist()[0] == "R"
    assert listed["plan_status"].tolist()[0] == "missed_instalment"
    assert (
        listed["action_reason"]
        .iloc[0]
        .startswith("payment plan instalment missed ($500.00 due 2026-11-05): call first; ")
    )
    # The reasons a caller reads say it first too; an account without a plan has none.
    assert (
        listed["reasons"]
        .iloc[0]
        .startswith("payment plan instalment missed ($500.00 due 2026-11-05); ")
    )
    assert not listed["reasons"].iloc[1:].str.contains("payment plan").any()
    assert "Q" in listed["customer_id"].tolist()
    assert listed.loc[listed["customer_id"] == "Q", "plan_status"].isna().all()


def test_call_sheet_shows_the_plan_and_the_offer():
    calls = _calls(
        [
            _plan_call(
                call_id="r1",
                customer_id="R",
                plan_amount=1000.0,
                plan_instalments=2,
                plan_first_date="2026-11-05",
                plan_frequency="monthly",
            )
        ]
    )
    pays = _payments([])
    result = arcalls.call_list(_invoices(), pays, calls, None, as_of="2026-11-20")
    sheets = arcalls.call_sheets(result, _invoices(), pays, calls)
    acc = sheets.accounts.set_index("customer_id")
    assert acc.loc["R", "payment_plan"] == (
        "missed instalment (agreed 2026-11-02): paid $0.00 of $1,000.00; next $500.00 due "
        "2026-11-05; schedule 2026-11-05=500.00; 2026-12-05=500.00"
    )
    # R owes 5,000 and never paid: the 50.00 floor would take 100, capped at 6; first
    # due 7 days after Nov 20.
    assert acc.loc["R", "plan_offer"] == (
        "Plan to offer: 6 x $833.33 monthly from 2026-11-27, last $833.35"
    )
    assert pd.isna(acc.loc["Q", "payment_plan"])
    layout = sheets.layout()
    assert (layout["c1"] == "Plan").sum() == len(acc)
    assert "Plan to offer: 6 x $833.33" in sheets.to_html()


def test_call_list_includes_the_account_once_its_instalment_is_missed():
    calls = _calls([THREE_MONTHLY])
    pays = _payments([("P1", "2026-11-05", 2000.0)])
    # Dec 8 is the second instalment's deadline. A list as of a day knows that day's
    # payments (as for promises), so on Dec 7 the plan is on track and on Dec 8, with
    # nothing more paid, the instalment is missed.
    on = arcalls.call_list(_invoices(), pays, calls, None, as_of="2026-12-07")
    assert "P" in on.excluded["customer_id"].tolist()
    off = arcalls.call_list(_invoices(), pays, calls, None, as_of="2026-12-08")
    assert off.calls["customer_id"].tolist()[0] == "P"
    assert np.isin("P", off.excluded["customer_id"]).sum() == 0


# --- recording: the filled-in Excel list -------------------------------------------------


class _StubModel:
    """p_pay 0.5 for everyone: the list's order does not matter here, and it is fast."""

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        ids = snapshot["customer_id"].astype("string").reset_index(drop=True)
        return pd.DataFrame({"customer_id": ids, "p_pay": 0.5, "reasons": "stub"})


NOW = pd.Timestamp("2026-11-06 17:00")


@pytest.fixture(scope="module")
def sample_workbook(tmp_path_factory):
    sample = arcalls.load_sample()
    listed = arcalls.call_list(*sample, as_of="2026-10-31", top=3, model=_StubModel())
    path = arcalls.write_call_list(listed, tmp_path_factory.mktemp("list") / "week.xlsx")[0]
    return path, listed


def _fill(source, out, rows):
    import openpyxl

    wb = openpyxl.load_workbook(source)
    ws = wb["Call list"]
    header = _column_names(c.value for c in ws[1])
    for r, values in rows.items():
        for name, value in values.items():
            ws.cell(row=r, column=header.index(name) + 1).value = value
    wb.save(out)
    return out


def test_a_plan_typed_in_the_list_round_trips_to_the_log_and_the_schedule(
    tmp_path, sample_workbook
):
    import datetime as dt

    source, listed = sample_workbook
    first, second = listed.calls["customer_id"].head(2).tolist()
    path = _fill(
        source,
        tmp_path / "filled.xlsx",
        {
            2: {
                "called_at": dt.datetime(2026, 11, 2, 10, 15),
                "outcome": "plan",
                "plan_instalments": 3,
                "plan_first_date": dt.datetime(2026, 11, 30),
                "plan_frequency": "monthly",
                "plan_amount": 1000,
            },
            3: {
                "called_at": "2026-11-02 11:00",
                "outcome": "plan",
                "plan_schedule": "2026-11-09=250.00; 2026-12-09=250.50",
                "plan_amount": "500.50",
            },
        },
    )
    calls = arcalls.read_filled_list(path, collector="Dana", now=NOW)
    log = tmp_path / "new_log.csv"
    update = arcalls.append_calls(calls, log, now=NOW)
    assert len(update.added) == 2
    loaded = arcalls.load_calls(log)
    plan = loaded.set_index("customer_id").loc[first]
    assert (plan["outcome"], plan["plan_instalments"], plan["plan_frequency"]) == (
        "plan",
        3,
        "monthly",
    )
    assert (plan["plan_amount"], plan["plan_first_date"]) == (1000.0, pd.Timestamp("2026-11-30"))
    schedule = plan_schedule(loaded).set_index(["customer_id", "instalment"])
    # 1,000 / 3: 333.33 twice, the last 333.34; monthly from Nov 30: Dec 30, Jan 30.
    assert schedule.loc[first, "amount"].tolist() == [333.33, 333.33, 333.34]
    assert schedule.loc[first, "due_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-11-30",
        "2026-12-30",
        "2027-01-30",
    ]
    assert schedule.loc[second, "amount"].tolist() == [250.0, 250.5]
    # Reading the same list again logs nothing twice.
    again = arcalls.append_calls(arcalls.read_filled_list(path, now=NOW), log, now=NOW)
    assert len(again.added) == 0


@pytest.mark.parametrize(
    ("cells", "column", "match"),
    [
        (
            {"outcome": "plan", "plan_schedule": "2026-11-09=250.00", "plan_amount": 300},
            "plan_amount",
            r"does not equal the schedule's sum, 250\.00",
        ),
        (
            {
                "outcome": "plan",
                "plan_instalments": 2,
                "plan_first_date": "2026-10-20",
                "plan_frequency": "monthly",
                "plan_amount": 300,
            },
            "plan_first_date",
            "before the call",
        ),
        (
            {
                "outcome": "plan",
                "plan_instalments": 2,
                "plan_first_date": "2026-11-20",
                "plan_frequency": "daily",
                "plan_amount": 300,
            },
            "plan_frequency",
            "unknown frequency",
        ),
        ({"outcome": "voicemail", "plan_amount": 300}, "outcome", "outcome is not 'plan'"),
        (
            {"outcome": "plan", "plan_instalments": "two", "plan_amount": 300},
            "plan_instalments",
            "not a whole number",
        ),
    ],
)
def test_bad_plans_in_the_list_are_refused_naming_the_row(
    tmp_path, sample_workbook, cells, column, match
):
    source, _ = sample_workbook
    path = _fill(source, tmp_path / "bad.xlsx", {3: {"called_at": "2026-11-02 11:00", **cells}})
    with pytest.raises(InputError, match=match) as info:
        arcalls.read_filled_list(path, now=NOW)
    problems = info.value.problems
    assert problems["row"].tolist() == [3]
    assert problems["column"].tolist() == [column]


# --- features ----------------------------------------------------------------------------


def test_snapshot_sees_plan_history_point_in_time():
    calls = _calls([THREE_MONTHLY])
    pays = _payments([("P1", "2026-11-05", 2000.0), ("P2", "2026-12-07", 500.0)])
    dates = ["2026-11-07", "2026-11-08", "2026-12-08", "2027-01-10"]
    snap = arcalls.account_snapshots(_invoices(), pays, calls, as_of_dates=dates, label=False)
    p = snap[snap["customer_id"] == "P"].set_index("as_of")
    # The first instalment (deadline Nov 8) counts as kept from Nov 8, not before; the
    # second (partial, deadline Dec 8) as missed from Dec 8; the third (Jan 8) from Jan 8.
    assert p["plan_instalments_kept"].tolist() == [0, 1, 1, 1]
    assert p["plan_instalments_missed"].tolist() == [0, 0, 1, 2]
    # Customers without plans: zero.
    q = snap[snap["customer_id"] == "Q"]
    assert (q[["plan_instalments_kept", "plan_instalments_missed"]] == 0).all().all()
    # The same dates asked one at a time give the same counts (nothing from later leaks).
    for date in dates:
        one = arcalls.account_snapshots(_invoices(), pays, calls, as_of_dates=[date], label=False)
        row = one[one["customer_id"] == "P"].iloc[0]
        assert row["plan_instalments_kept"] == p.loc[pd.Timestamp(date), "plan_instalments_kept"]
        assert (
            row["plan_instalments_missed"] == p.loc[pd.Timestamp(date), "plan_instalments_missed"]
        )


# --- the promises command ----------------------------------------------------------------


def test_promises_command_writes_the_plan_tables(tmp_path, capsys):
    from arcalls.cli import main

    calls = _calls(
        [
            THREE_MONTHLY,
            {
                "call_id": "k0",
                "customer_id": "Q",
                "called_at": "2026-11-01 09:00",
                "outcome": "voicemail",
                "collector": "bob",
            },
        ]
    )
    _invoices().to_csv(tmp_path / "invoices.csv", index=False)
    _payments([("P1", "2026-11-05", 2000.0), ("P2", "2026-12-07", 500.0)]).to_csv(
        tmp_path / "payments.csv", index=False
    )
    calls.to_csv(tmp_path / "calls.csv", index=False)
    out_dir = tmp_path / "out"
    assert main(["promises", str(tmp_path), "--out", str(out_dir), "--as-of", "2027-01-10"]) == 0
    status = pd.read_csv(out_dir / "plan_status.csv")
    assert status["status"].tolist() == ["defaulted"]
    rates = pd.read_csv(out_dir / "instalment_rate_by_collector.csv")
    assert rates[["collector", "kept", "partial", "broken"]].values.tolist() == [["ann", 1, 1, 1]]
    assert len(pd.read_csv(out_dir / "plan_instalments.csv")) == 3
    out = capsys.readouterr().out
    assert (
        "Payment plans: 1 plans, 0 on track, 0 with a missed instalment, 1 defaulted, "
        "0 completed, 0 superseded; 3 instalments, 1 kept, 1 partly kept, 1 broken, 0 pending. "
        "Broken-instalment rate 66.7%"
    ) in out
    assert "$2,500.00 received of $6,000.00 due." in out


# --- the README ----------------------------------------------------------------------------


def test_readme_payment_plans_quotes_the_computed_figures():
    import re
    from pathlib import Path

    from arcalls import plans

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index("### Payment plans")
    section = " ".join(text[start : text.index("\n### ", start + 1)].split())
    s = arcalls.load_sample()
    offers = propose_payment_plan(s.invoices, s.payments, as_of="2026-10-31", customers=s.customers)
    row = offers.set_index("customer_id").loc["C0010"]
    for figure in (
        f"On the sample as of 2026-10-31, {len(offers)} accounts with an overdue balance",
        f"C0010 owes USD {row['overdue_balance']:,.2f} overdue",
        f"paid a median USD {row['typical_payment']:,.2f} in the last year",
        f"offered `{row['offer']}`",
        f"in the last {plans.DEFAULT_HISTORY_DAYS} days",
        f"never below USD {plans.DEFAULT_MIN_INSTALMENT:g}",
        f"capped at {plans.DEFAULT_MAX_INSTALMENTS} monthly instalments",
        f"due {plans.DEFAULT_FIRST_DAYS} days after the as-of date",
        f"due date + {plans.DEFAULT_GRACE_DAYS} grace days",
        f"more than {plans.DEFAULT_DEFAULT_DAYS} days after its due date",
        f"{plans.DEFAULT_DEFAULT_DAYS} days or fewer",
    ):
        assert figure in section, figure
    assert plans.DEFAULT_MISSED_TO_DEFAULT == 2 and "(two instalments missed" in section
    # The hand-worked reason in the text is the one the call list writes.
    assert re.search(r"payment plan on track: next USD [\d,]+\.\d\d due \d{4}-\d\d-\d\d", section)


def test_a_list_written_before_plans_still_reads(tmp_path, sample_workbook):
    import openpyxl

    source, listed = sample_workbook
    wb = openpyxl.load_workbook(source)
    ws = wb["Call list"]
    header = _column_names(c.value for c in ws[1])
    first = header.index("plan_instalments") + 1
    ws.delete_cols(first, 5)
    assert "plan_schedule" not in _column_names(c.value for c in ws[1])
    ws.cell(row=2, column=header.index("called_at") + 1).value = "2026-11-02 10:15"
    ws.cell(row=2, column=header.index("outcome") + 1).value = "voicemail"
    path = tmp_path / "old.xlsx"
    wb.save(path)
    calls = arcalls.read_filled_list(path, now=NOW)
    assert calls["outcome"].tolist() == ["voicemail"]
    assert calls["plan_amount"].isna().all()


def test_latest_plans_keeps_the_latest_plans_own_row():
    """P's 6,000 plan (k1) is superseded on Nov 10 by a 300 plan (k2), paid in full on
    Nov 12: the latest is k2, completed, with no next instalment (k1's next 2,000 due
    Dec 5 is not carried over into it)."""
    calls = _calls(
        [
            THREE_MONTHLY,
            _plan_call(
                call_id="k2",
                called_at="2026-11-10 10:00",
                plan_amount=300.0,
                plan_instalments=1,
                plan_first_date="2026-11-12",
                plan_frequency="monthly",
            ),
        ]
    )
    pays = _payments([("P1", "2026-11-05", 2000.0), ("P1", "2026-11-12", 300.0)])
    status = plan_status(calls, pays, _invoices(), as_of="2026-11-20")
    assert status.set_index("plan_id").loc["k1", "next_due_amount"] == 2000.0
    latest = latest_plans(status)
    assert latest["plan_id"].tolist() == ["k2"]
    assert latest["status"].tolist() == ["completed"]
    assert latest["next_due_amount"].isna().all() and latest["next_due_date"].isna().all()
