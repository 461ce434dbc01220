"""One CLI run builds one coded book, and the book hashes the invoice ids once (issue 21).

``arcalls.book.Book`` is built by every analysis given no ``book=``; the CLI builds one
per run and passes it down. Its constructor and its hash passes over the invoice ids are
counted here: one, the shared invoice codes, from which the payments' invoice positions
are read off (``invoice_positions``, a second pass, is not made).
The payment plans' instalments are judged once too (``plans._instalments``, which
``plan_instalments`` runs itself without a book, and through the book's memo, once, with
one: on the book's payment positions), whether the
model is loaded from a file or trained on the history in the same run.
"""

from __future__ import annotations

from collections import Counter

import pytest

from arcalls import book as book_module
from arcalls import plans
from arcalls.cli import EXIT_OK, main


@pytest.fixture
def counted(monkeypatch):
    counts: Counter[str] = Counter()
    init = book_module.Book.__init__

    def counting_init(self, *args, **kwargs):
        counts["Book"] += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(book_module.Book, "__init__", counting_init)
    for name in ("shared_codes", "invoice_positions"):
        original = getattr(book_module, name)

        def wrapper(*args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(book_module, name, wrapper)
    judge = plans._instalments

    def counting_judge(*args, **kwargs):
        counts["plan_instalments"] += 1
        return judge(*args, **kwargs)

    monkeypatch.setattr(plans, "_instalments", counting_judge)
    return counts


@pytest.fixture
def saved_model(tmp_path, capsys):
    path = tmp_path / "model.json"
    assert main(["call-list", "--out", str(tmp_path / "train.csv"), "--model", str(path)]) == 0
    capsys.readouterr()
    assert path.exists()
    return path


def test_the_counts_see_a_book(counted):
    import arcalls

    s = arcalls.load_sample()
    arcalls.promise_outcomes(s.calls, s.payments, s.invoices, as_of="2025-06-30")
    arcalls.promise_outcomes(s.calls, s.payments, s.invoices, as_of="2025-05-31")
    # Each analysis given no book builds its own.
    assert counted["Book"] == 2
    arcalls.plan_status(s.calls, s.payments, s.invoices, as_of="2025-06-30")
    assert counted["plan_instalments"] == 1


def test_call_list_builds_one_book(saved_model, counted, tmp_path, capsys):
    out = tmp_path / "week.csv"
    assert main(["call-list", "--out", str(out), "--model", str(saved_model)]) == EXIT_OK
    assert "Loaded the model" in capsys.readouterr().out
    assert out.exists()
    assert counted == {"Book": 1, "shared_codes": 1, "plan_instalments": 1}


def test_a_training_run_builds_one_book(counted, tmp_path, capsys):
    # No model file: the run trains on 26 weekly snapshots, over the run's own book.
    out = tmp_path / "week.csv"
    assert main(["call-list", "--out", str(out)]) == EXIT_OK
    capsys.readouterr()
    assert out.exists()
    assert counted == {"Book": 1, "shared_codes": 1, "plan_instalments": 1}


def test_call_sheets_run_builds_one_book(saved_model, counted, tmp_path, capsys):
    out = tmp_path / "week.xlsx"
    args = ["call-list", "--out", str(out), "--call-sheets", "--model", str(saved_model)]
    assert main(args) == EXIT_OK
    capsys.readouterr()
    assert counted == {"Book": 1, "shared_codes": 1, "plan_instalments": 1}


def test_promises_and_aging_build_one_book(counted, tmp_path, capsys):
    assert main(["promises", "--out", str(tmp_path / "p")]) == EXIT_OK
    assert counted["Book"] == 1
    counted.clear()
    assert main(["aging"]) == EXIT_OK
    capsys.readouterr()
    assert counted["Book"] == 1


def test_the_judgements_come_before_the_training(counted, monkeypatch, tmp_path, capsys):
    # The training holds its snapshot's temporaries: the promises and the plans are
    # judged before it starts (for the run's peak memory), then read inside it.
    from arcalls import calllist, promises

    judged = promises._Judgement.__init__

    def counting_judgement(self, *args, **kwargs):
        counted["promise_outcomes"] += 1
        judged(self, *args, **kwargs)

    monkeypatch.setattr(promises._Judgement, "__init__", counting_judgement)
    at_training = {}
    train = calllist._model_and_snapshot

    def training(*args, **kwargs):
        at_training.update(counted)
        return train(*args, **kwargs)

    monkeypatch.setattr(calllist, "_model_and_snapshot", training)
    assert main(["call-list", "--out", str(tmp_path / "week.csv")]) == EXIT_OK
    capsys.readouterr()
    assert at_training["plan_instalments"] == at_training["promise_outcomes"] == 1
    # Nothing was judged again inside the training, nor after it.
    assert counted["plan_instalments"] == counted["promise_outcomes"] == 1


@pytest.mark.parametrize("trained", [False, True], ids=["saved model", "trained"])
def test_the_call_logs_customer_ids_are_hashed_once(trained, saved_model, monkeypatch, tmp_path):
    # The cool-down, the best call times and the snapshots' call features all read the
    # calls' customers: from the book's one hash pass, not one pass each.
    import arcalls
    from arcalls import _keys

    ids = arcalls.load_sample().calls["customer_id"].astype("string")
    text = _keys.arrow_text
    passes = []

    def counting_text(values):
        out = text(values)
        if out is not None and len(out) == len(ids) and out.to_pylist() == ids.tolist():
            passes.append(len(out))
        return out

    monkeypatch.setattr(_keys, "arrow_text", counting_text)
    args = ["call-list", "--out", str(tmp_path / "week.csv")]
    assert main(args if trained else [*args, "--model", str(saved_model)]) == EXIT_OK
    assert len(passes) == 1


@pytest.mark.parametrize("trained", [False, True], ids=["saved model", "trained"])
def test_the_promises_named_invoices_are_looked_up_once(
    trained, saved_model, monkeypatch, tmp_path
):
    # The promise judgement and the snapshots' promise features both need the invoice
    # each promise names: the features read the judgement's look-up (their promises are
    # among the judged ones) rather than hash the invoice ids again.
    import arcalls
    from arcalls import _keys

    n_invoices = len(arcalls.load_sample().invoices)
    look_up = _keys.lookup_ids
    passes = []

    def counting(universe, *columns):
        if len(universe) == n_invoices:
            passes.append(len(columns))
        return look_up(universe, *columns)

    monkeypatch.setattr(_keys, "lookup_ids", counting)
    args = ["call-list", "--out", str(tmp_path / "week.csv")]
    assert main(args if trained else [*args, "--model", str(saved_model)]) == EXIT_OK
    assert passes == [1]
