"""One recommended action per listed account (issue 18, items 3 and 11): the rules by
hand, and the same action in the CSV, the Excel list, the call sheets and the report."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

import arcalls
from arcalls.calllist import (
    ACTION_CALL,
    ACTION_CALL_BEFORE_HANDOFF,
    ACTION_FIND_NUMBER,
    ACTION_HAND_OFF,
    ACTIONS,
    _actions,
)
from arcalls.worksheet import _column_names


def test_the_action_rules_by_hand():
    frame = pd.DataFrame(
        {
            "handoff_suggested": [False, False, True, True, True, False],
            "last_call_outcome": pd.array(
                ["promise", "wrong_number", "wrong_number", None, "contact", None],
                dtype="string",
            ),
            "last_call_date": pd.to_datetime(
                ["2026-10-01", "2026-10-02", "2026-10-03", None, "2026-10-05", None]
            ),
            "expected_dollars": [900.0, 50.0, 10.0, 300.0, 20.0, np.nan],
            "handoff_gain": [-120.5, -3.0, 40.0, 200.0, 1234.5, np.nan],
            "_fee": [0.2, 0.2, 0.45, 0.3, 0.2, np.nan],
        }
    )
    out = _actions(frame)
    assert out["action"].tolist() == [
        ACTION_CALL,
        ACTION_FIND_NUMBER,
        ACTION_HAND_OFF,  # flagged, and no working number to call first
        ACTION_CALL_BEFORE_HANDOFF,  # a call brings $300, more than placing gains ($200)
        ACTION_HAND_OFF,
        ACTION_CALL,
    ]
    why = out["action_reason"].tolist()
    assert why[0] == (
        "a call this week is expected to bring $900.00; keeping it beats placing it now by $120.50"
    )
    assert why[1] == (
        "the last call (2026-10-02) reached a wrong number: find a working number before calling"
    )
    assert why[2] == (
        "the last call reached a wrong number, and placing it now gains $40.00 over keeping "
        "it (agency fee 45 %)"
    )
    assert why[3] == (
        "a call this week is expected to bring $300.00, more than the $200.00 placing it "
        "gains; place it if this call does not pay"
    )
    assert why[4] == (
        "placing it now gains $1,234.50 over keeping it (agency fee 20 %), more than the "
        "$20.00 a call is expected to bring"
    )
    assert why[5] == "ranked by overdue balance (no model figure)"


@pytest.fixture(scope="module")
def week():
    s = arcalls.load_sample()
    return arcalls.call_list(*s, as_of=arcalls.SAMPLE_AS_OF, handoff_age=60)


def test_every_listed_account_has_one_action_and_no_conflict(week):
    calls = week.calls
    assert calls["action"].notna().all() and calls["action_reason"].notna().all()
    assert set(calls["action"]) <= set(ACTIONS)
    flagged = calls["handoff_suggested"]
    # A flagged account is never a plain "call"; an unflagged one is never handed off.
    assert not (flagged & (calls["action"] == ACTION_CALL)).any()
    assert not (
        ~flagged & calls["action"].isin([ACTION_HAND_OFF, ACTION_CALL_BEFORE_HANDOFF])
    ).any()
    # The flag is the account's own gain, shown beside it.
    assert (calls.loc[flagged, "handoff_gain"] > 0).all()
    assert (calls.loc[flagged, "oldest_days_past_due"] >= 60).all()
    wrong = calls["last_call_outcome"] == "wrong_number"
    assert wrong.any()
    assert calls.loc[wrong, "action"].isin([ACTION_FIND_NUMBER, ACTION_HAND_OFF]).all()
    # Where a handoff is the action, the reason quotes the account's own gain.
    handed = calls[calls["action"] == ACTION_HAND_OFF]
    for gain, reason in zip(handed["handoff_gain"], handed["action_reason"], strict=True):
        assert f"gains ${gain:,.2f} over keeping it" in reason


def test_the_flag_is_the_accounts_own_gain_not_its_age(week):
    s = arcalls.load_sample()
    calls = week.calls
    old = calls["oldest_days_past_due"] >= 60
    # Many accounts are past 60 days; only those whose own gain is positive are flagged.
    assert calls.loc[old & ~calls["handoff_suggested"], "handoff_gain"].le(0).all()
    assert old.sum() > calls["handoff_suggested"].sum()
    gains = arcalls.account_handoff_gains(
        s.invoices,
        s.payments,
        s.customers,
        as_of=arcalls.SAMPLE_AS_OF,
        analysis=arcalls.recommend_handoff(
            s.invoices, s.payments, s.customers, as_of=arcalls.SAMPLE_AS_OF, n_boot=0
        ),
    ).set_index("customer_id")
    mine = calls.set_index("customer_id")["handoff_gain"]
    np.testing.assert_allclose(mine, gains.loc[mine.index, "expected_gain"])


def test_every_output_shows_the_same_action(week, tmp_path):
    s = arcalls.load_sample()
    csv = tmp_path / "week.csv"
    arcalls.write_call_list(week, csv)
    from_csv = pd.read_csv(csv, dtype=str)
    assert from_csv["action"].tolist() == week.calls["action"].tolist()
    sheets = arcalls.worksheet.call_sheets(week, *s)
    assert sheets.accounts["action"].tolist() == week.calls["action"].tolist()
    assert sheets.accounts["action_reason"].tolist() == week.calls["action_reason"].tolist()
    html_page = sheets.to_html()
    assert html_page.count("<b>Action:</b> ") == len(week.calls)
    xlsx = tmp_path / "week.xlsx"
    arcalls.write_call_list(week, xlsx, sheets=sheets)
    book = openpyxl.load_workbook(xlsx, read_only=True)
    rows = list(book[arcalls.worksheet.LIST_SHEET].iter_rows(values_only=True))
    col = _column_names(rows[0]).index("action")
    assert [r[col] for r in rows[1:]] == week.calls["action"].tolist()
    layout = list(book[arcalls.worksheet.SHEETS_SHEET].iter_rows(values_only=True))
    shown = [r[1] for r in layout if r and r[0] == "Action"]
    assert shown == week.calls["action"].tolist()


def test_the_report_shows_the_action(tmp_path):
    from arcalls.report import build_report

    path = build_report(arcalls.load_sample(), as_of=arcalls.SAMPLE_AS_OF, out_dir=tmp_path)
    page = path.read_text(encoding="utf-8")
    assert "<th>action</th>" in page and "<th>why this action</th>" in page
    # Row by row, the report's action is the call list's (find-a-number rows included).
    import html
    import re

    table = re.search(r'<table[^>]*class="dataframe calls">(.*?)</table>', page, re.S).group(1)
    header = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", table.split("</tr>")[0])]
    rows = [re.findall(r"<td>(.*?)</td>", r, re.S) for r in table.split("</tr>")[1:-1]]
    shown = [html.unescape(r[header.index("action")]) for r in rows]
    why = [html.unescape(r[header.index("why this action")]) for r in rows]
    # The list as `arcalls call-list` makes it (handoff considered from 60 days).
    week = arcalls.call_list(
        *arcalls.load_sample(), as_of=arcalls.SAMPLE_AS_OF, handoff_age=60
    ).calls
    assert shown == week["action"].head(len(rows)).tolist()
    assert why == week["action_reason"].head(len(rows)).tolist()
    assert ACTION_FIND_NUMBER in shown
