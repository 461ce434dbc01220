"""The promises of one weekly run are judged once (issue 21 item 2).

The call list (``promise_outcomes`` on the as-of date) and the snapshot's promise
features (``features._promise_features``, as of the snapshot's last date, which in the
weekly run is the as-of date) read one judgement, kept in the run's book. The snapshot
judges on the invoices of its own customers who promised, issued by the last date, and
their payments dated by then; ``promise_outcomes`` on every invoice and known payment.
A customer's promises depend only on that customer's invoices and payments (and the
invoices the promises name), so the two agree on every promise unless the snapshot
leaves out something dated by the last day: then it judges on its own, as before.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls import features, promises
from arcalls.cli import EXIT_OK, main


@pytest.fixture
def judged(monkeypatch):
    """How often ``promises._judge`` ran (``features`` holds it by name too)."""
    counts: Counter[str] = Counter()
    original = promises._judge

    def counting(*args, **kwargs):
        counts["_judge"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(promises, "_judge", counting)
    monkeypatch.setattr(features, "_judge", counting)
    return counts


@pytest.fixture
def both(monkeypatch):
    """Each snapshot judges its promises both ways: the run's judgement (recorded, then
    refused) and its own (recorded and used)."""
    seen: dict[str, list] = {"run": [], "own": []}
    run, own = features._run_judgement, features._own_judgement

    def run_and_refuse(*args, **kwargs):
        seen["run"].append(run(*args, **kwargs))

    def own_recorded(*args, **kwargs):
        seen["own"].append(own(*args, **kwargs))
        return seen["own"][-1]

    monkeypatch.setattr(features, "_run_judgement", run_and_refuse)
    monkeypatch.setattr(features, "_own_judgement", own_recorded)
    return seen


def _assert_alike(run: dict, own: dict) -> None:
    assert run.keys() == own.keys()
    for name in run:
        np.testing.assert_array_equal(run[name], own[name], err_msg=name)


def test_a_training_run_judges_the_promises_once(judged, tmp_path, capsys):
    assert main(["call-list", "--out", str(tmp_path / "week.csv")]) == EXIT_OK
    capsys.readouterr()
    assert judged == {"_judge": 1}


def test_a_run_with_a_saved_model_judges_the_promises_once(judged, tmp_path, capsys):
    model = tmp_path / "model.json"
    assert main(["call-list", "--out", str(tmp_path / "train.csv"), "--model", str(model)]) == 0
    capsys.readouterr()
    judged.clear()  # the first run trained and saved the model
    args = ["call-list", "--out", str(tmp_path / "week.csv"), "--model", str(model)]
    assert main(args) == EXIT_OK
    assert "Loaded the model" in capsys.readouterr().out
    assert judged == {"_judge": 1}


def test_the_snapshot_and_the_call_list_judge_the_sample_alike(both):
    s = arcalls.load_sample()
    as_of = s.calls["called_at"].max().normalize()
    dates = pd.date_range(end=as_of, periods=26, freq="7D")
    arcalls.account_snapshots(*s, as_of_dates=dates)
    (run,), (own,) = both["run"], both["own"]
    assert run is not None and len(own["status"]) > 100
    _assert_alike(run, own)
    # Kept, partial, broken and pending occur: the agreement is not one of empty columns.
    assert set(np.unique(own["status"])) >= {0, 1, 2, 3}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_they_agree_on_busy_histories_or_the_snapshot_judges_on_its_own(seed, both):
    from tests.test_features import _busy_history

    t = _busy_history(seed)
    for end in ("2025-06-29", "2026-03-01", "2026-10-25"):
        dates = pd.date_range(end=end, periods=8, freq="W")
        arcalls.account_snapshots(*t, as_of_dates=dates, label=False)
    assert len(both["run"]) == len(both["own"]) == 3
    # Early and timed payments make the snapshot judge on its own now and then, not always.
    assert any(run is not None for run in both["run"])
    for run, own in zip(both["run"], both["own"], strict=True):
        if run is not None:
            _assert_alike(run, own)


def _tables():
    """Customer A promised on 2026-03-02 with nothing given (the amount is the balance
    of the invoice the call names) and paid a1 two days later; a3 stays open, not due."""
    invoices = pd.DataFrame(
        {
            "invoice_id": ["a1", "b1", "a3"],
            "customer_id": ["A", "B", "A"],
            "invoice_date": pd.to_datetime(["2026-01-01", "2026-01-05", "2026-01-01"]),
            "due_date": pd.to_datetime(["2026-01-31", "2026-02-04", "2026-06-30"]),
            "amount": [500.0, 900.0, 50.0],
        }
    ).astype({"invoice_id": "string", "customer_id": "string"})
    payments = pd.DataFrame(
        {
            "payment_id": ["p1"],
            "invoice_id": ["a1"],
            "payment_date": pd.to_datetime(["2026-03-04"]),
            "amount": [500.0],
        }
    ).astype({"payment_id": "string", "invoice_id": "string"})
    calls = pd.DataFrame(
        {
            "call_id": ["k1"],
            "customer_id": ["A"],
            "called_at": pd.to_datetime(["2026-03-02 10:00"]),
            "outcome": ["promise"],
            "invoice_id": ["a1"],
        }
    ).astype({"call_id": "string", "customer_id": "string", "invoice_id": "string"})
    return invoices, payments, calls


def test_a_promise_naming_another_customer_s_invoice_is_judged_by_the_snapshot(both):
    invoices, payments, calls = _tables()
    calls["invoice_id"] = pd.array(["b1"], dtype="string")
    dates = pd.to_datetime(["2026-03-15"])
    snap = arcalls.account_snapshots(invoices, payments, calls, as_of_dates=dates)
    # The run's judgement takes the amount from b1 ($900, not paid: broken); the
    # snapshot, which leaves b1 out (B made no promise), from A's overdue $500 (kept).
    assert both["run"] == [None]
    judged = promises.promise_outcomes(calls, payments, invoices, as_of=dates[-1])
    assert judged["status"].tolist() == ["partial"]
    a = snap[snap["customer_id"] == "A"].iloc[0]
    assert (a["promises_kept"], a["promises_partial"]) == (1, 0)


def test_a_payment_before_its_invoice_on_the_last_day_is_judged_by_the_snapshot(both):
    invoices, payments, calls = _tables()
    payments["amount"] = [450.0]
    # A second invoice of A, issued after the last date, paid in advance by then: the
    # run's judgement counts the money for the promise (kept), the snapshot does not.
    invoices = pd.concat(
        [
            invoices,
            invoices.iloc[[0]].assign(
                invoice_id="a2", invoice_date=pd.Timestamp("2026-04-01"), amount=100.0
            ),
        ],
        ignore_index=True,
    ).astype({"invoice_id": "string"})
    payments = pd.concat(
        [payments, payments.assign(payment_id="p2", invoice_id="a2", amount=100.0)],
        ignore_index=True,
    ).astype({"payment_id": "string", "invoice_id": "string"})
    arcalls.account_snapshots(invoices, payments, calls, as_of_dates=["2026-03-15"])
    assert both["run"] == [None]
    (own,) = both["own"]
    assert own["status"].tolist() == [promises.PROMISE_STATUSES.index("partial")]
    judged = promises.promise_outcomes(calls, payments, invoices, as_of="2026-03-15")
    assert judged["status"].tolist() == ["kept"]


def test_the_judgement_is_read_at_the_promises_it_judged():
    s = arcalls.load_sample()
    book = arcalls.book.book_of(*s)
    as_of = pd.Timestamp("2026-06-30")
    judgement = promises._judgement(s.calls, s.invoices, book, as_of, 3, 0.0, 7, "rescheduled")
    table = promises.promise_outcomes(s.calls, s.payments, s.invoices, as_of=as_of, book=book)
    # One judgement in the book, read by both.
    assert len(book._memo) == 1
    rows = judgement.rows[::-1]
    at = judgement.at(rows)
    status = np.asarray(promises.PROMISE_STATUSES)[judgement.judged["status"][at]]
    by_call = table.set_index("call_id")["status"]
    assert status.tolist() == by_call.loc[s.calls["call_id"].take(rows)].tolist()
    assert len(judgement.at(rows[:0])) == 0
    not_a_promise = np.flatnonzero(s.calls["outcome"] != "promise")[:1]
    assert judgement.at(not_a_promise) is None


def test_the_early_judgement_takes_promise_outcomes_options_and_defaults():
    # The weekly list judges its promises before training through _checked_judgement:
    # with other defaults it would judge under another memo key, and twice.
    import inspect

    from arcalls.promises import _checked_judgement, promise_outcomes

    public = inspect.signature(promise_outcomes).parameters
    early = inspect.signature(_checked_judgement).parameters
    assert list(public) == list(early)
    assert [p.default for p in public.values()] == [p.default for p in early.values()]


def test_the_report_judges_its_as_of_date_once(judged, tmp_path, capsys):
    # The report's promise charts, its model's snapshot features and its call list read
    # one judgement of the as-of date (the backtest, left out here, judges its own dates).
    args = ["report", "--out", str(tmp_path / "report"), "--backtest-weeks", "0"]
    assert main(args) == EXIT_OK
    capsys.readouterr()
    assert judged == {"_judge": 1}
