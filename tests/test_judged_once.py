"""One run judges the promises once and the payment plans once (issue 21 item 2).

``arcalls.promises.promise_outcomes`` and ``arcalls.plans.plan_status`` are replaced,
in every arcalls module that holds them (the facade re-exports both; some modules
import them by name), by wrappers that count their calls. The call list keeps what it
judged (``CallList.promises``, ``CallList.plans``); the call sheets and the report read
them from there.
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest

import arcalls
from arcalls import plans, promises
from arcalls.cli import EXIT_OK, main

JUDGES = {"promise_outcomes": promises.promise_outcomes, "plan_status": plans.plan_status}


@pytest.fixture
def counted(monkeypatch):
    """How often each judge ran, wherever it was looked up from."""
    counts: Counter[str] = Counter()

    def counting(name, original):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return original(*args, **kwargs)

        return wrapper

    for name, original in JUDGES.items():
        wrapper = counting(name, original)
        for module_name, module in list(sys.modules.items()):
            if module_name.split(".")[0] == "arcalls" and module is not None:
                if getattr(module, name, None) is original:
                    monkeypatch.setattr(module, name, wrapper)
    return counts


def test_the_sample_has_promises_and_plans_to_judge():
    # Otherwise "once" below would be a count of a short cut, not of a judgement.
    invoices, payments, calls, customers = arcalls.load_sample()
    assert (calls["outcome"] == "promise").sum() > 10
    assert (calls["outcome"] == "plan").sum() > 0


def test_the_wrappers_count(counted):
    invoices, payments, calls, customers = arcalls.load_sample()
    as_of = calls["called_at"].max().normalize()
    arcalls.promise_outcomes(calls, payments, invoices, as_of=as_of)
    promises.promise_outcomes(calls, payments, invoices, as_of=as_of)
    arcalls.plan_status(calls, payments, invoices, as_of=as_of)
    assert counted == {"promise_outcomes": 2, "plan_status": 1}


def test_call_list_with_worksheet_judges_once(counted, tmp_path, capsys):
    out = tmp_path / "week.xlsx"
    assert main(["call-list", "--out", str(out), "--call-sheets"]) == EXIT_OK
    capsys.readouterr()
    assert out.exists()
    assert counted == {"promise_outcomes": 1, "plan_status": 1}


def test_call_sheets_alone_judge_once(counted, tmp_path, capsys):
    assert main(["call-list", "--out", str(tmp_path / "sheets.html")]) == EXIT_OK
    capsys.readouterr()
    assert counted == {"promise_outcomes": 1, "plan_status": 1}


def test_report_judges_once(counted, tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path), "--backtest-weeks", "0"]) == EXIT_OK
    capsys.readouterr()
    assert (tmp_path / "report.html").exists()
    assert counted == {"promise_outcomes": 1, "plan_status": 1}
