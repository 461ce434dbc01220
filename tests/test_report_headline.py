"""The report's "Call first" headline names only accounts whose action is a call."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from arcalls import report
from arcalls.calllist import (
    ACTION_CALL,
    ACTION_CALL_BEFORE_HANDOFF,
    ACTION_FIND_NUMBER,
    ACTION_HAND_OFF,
)


def _week(actions):
    n = len(actions)
    calls = pd.DataFrame(
        {
            "customer_id": pd.Series([f"C{i}" for i in range(n)], dtype="string"),
            "customer_name": pd.Series([f"Account {i}" for i in range(n)], dtype="string"),
            "expected_dollars": [1000.0 - 10 * i for i in range(n)],
            "overdue_balance": [5000.0] * n,
            "action": pd.Series(actions, dtype="string"),
        }
    )
    return SimpleNamespace(calls=calls)


def _call_first(week) -> str:
    lines = report._headlines(None, None, None, None, week, pd.Timestamp("2025-06-30"), "USD")
    (line,) = [x for x in lines if x.startswith("Call first") or x.startswith("Nobody")]
    return line


def test_accounts_to_hand_off_or_find_are_not_named():
    actions = [
        ACTION_HAND_OFF,
        ACTION_CALL,
        ACTION_FIND_NUMBER,
        ACTION_CALL_BEFORE_HANDOFF,
        ACTION_CALL,
        ACTION_HAND_OFF,
        ACTION_CALL,
        ACTION_CALL,
        ACTION_CALL,
    ]
    line = _call_first(_week(actions))
    named = [f"Account {i}" for i in (1, 3, 4, 6, 7)]
    assert line.startswith("Call first (expected dollars): ")
    for name in named:
        assert name + " (" in line
    for i in (0, 2, 5, 8):
        assert f"Account {i} (" not in line
    # In list order.
    assert [line.index(n) for n in named] == sorted(line.index(n) for n in named)


def test_no_account_to_call():
    line = _call_first(_week([ACTION_HAND_OFF, ACTION_FIND_NUMBER]))
    assert line == "Nobody can be called this week."


def test_the_call_list_and_the_report_count_the_same_accounts_to_hand_off(tmp_path, capsys):
    # The CLI's handoff line names the listed accounts that gain from being placed now
    # and, beside them, the whole book's count: the report's headline figure.
    import re

    import arcalls
    from arcalls.cli import main

    s = arcalls.load_sample()
    as_of = arcalls.SAMPLE_AS_OF
    analysis = arcalls.recommend_handoff(s.invoices, s.payments, s.customers, as_of=as_of)
    book_wide = len(
        arcalls.accounts_to_hand_off(
            s.invoices, s.payments, s.customers, as_of=as_of, analysis=analysis
        )
    )
    assert main(["call-list", "--out", str(tmp_path / "week.csv")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Agency"))
    listed, whole = re.search(
        r"(\d+) listed accounts? gains?.*?of (\d+) accounts? in", line
    ).groups()
    week = pd.read_csv(tmp_path / "week.csv")
    assert int(listed) == int(week["handoff_suggested"].sum()) > 0
    assert int(whole) == book_wide > int(listed)
    assert main(["report", "--out", str(tmp_path / "report")]) == 0
    capsys.readouterr()
    html = (tmp_path / "report" / "report.html").read_text()
    assert f"{book_wide} accounts gain from being placed now" in html
