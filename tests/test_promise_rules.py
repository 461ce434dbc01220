"""The four promise rules a careful collections manager asked for (issue 18.10).

Each test is a small hand-made history whose expected result is worked out by hand in
its docstring, then compared with :func:`arcalls.promise_outcomes`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arcalls.errors import ArcallsError
from arcalls.promises import PROMISE_STATUSES, broken_promise_rate, promise_outcomes
from arcalls.schema import CALLS, INVOICES, PAYMENTS, dtype_of

AS_OF = pd.Timestamp("2026-03-31")


def _frame(table, columns):
    frame = pd.DataFrame(columns)
    return frame.astype({c.name: dtype_of(c.kind) for c in table.columns if c.name in frame})


def _invoices(rows):
    iid, cust, issued, due, amount = zip(*rows, strict=True)
    return _frame(
        INVOICES,
        {
            "invoice_id": iid,
            "customer_id": cust,
            "invoice_date": pd.to_datetime(issued),
            "due_date": pd.to_datetime(due),
            "amount": amount,
        },
    )


def _payments(rows):
    pid, inv, day, amount = zip(*rows, strict=True)
    return _frame(
        PAYMENTS,
        {
            "payment_id": pid,
            "invoice_id": inv,
            "payment_date": pd.to_datetime(day),
            "amount": amount,
        },
    )


def _promises(rows):
    cid, cust, at, inv, pdate, amount = zip(*rows, strict=True)
    return _frame(
        CALLS,
        {
            "call_id": cid,
            "customer_id": cust,
            "called_at": pd.to_datetime(at),
            "outcome": ["promise"] * len(cid),
            "invoice_id": pd.array(inv, dtype="string"),
            "collector": ["ann"] * len(cid),
            "promise_date": pd.to_datetime(pdate),
            "promise_amount": pd.array(amount, dtype="float64"),
        },
    )


def _row(outcomes, call_id):
    return outcomes.set_index("call_id").loc[call_id]


def test_statuses_are_the_documented_vocabulary():
    assert PROMISE_STATUSES == (
        "kept",
        "partial",
        "broken",
        "pending",
        "rescheduled",
        "nothing_owed",
    )


def test_a_part_paid_during_the_call_counts_towards_the_promise():
    """Customer P owes X1, 1000.00, due 01-31. On the call of 02-10 she pays 200.00 by
    card and promises 500.00 by 02-20 (deadline 02-23); 300.00 arrives on 02-18.

    By hand: the balance at the call is the balance at the start of the call day, so
    open = overdue = 1000.00 (the card payment is not in it) and the 500.00 promised is
    not capped. Received = 200.00 (02-10, the call day) + 300.00 (02-18) = 500.00 >=
    500.00 -> kept. (The old rule started the window the day after the call: 300.00 of
    500.00 -> partial, the disagreement the manager flagged.)

    Q's promise has no amount: the default is Q's overdue balance at the start of the
    call day, 400.00; Q pays all of it on the call day -> received 400.00, kept (not
    "already paid": the money came during the call).
    """
    invoices = _invoices(
        [
            ("X1", "P", "2026-01-01", "2026-01-31", 1000.00),
            ("Y1", "Q", "2026-01-01", "2026-01-31", 400.00),
        ]
    )
    payments = _payments(
        [
            ("card", "X1", "2026-02-10", 200.00),
            ("rest", "X1", "2026-02-18", 300.00),
            ("all", "Y1", "2026-02-10", 400.00),
        ]
    )
    calls = _promises(
        [
            ("p1", "P", "2026-02-10 11:00", None, "2026-02-20", 500.00),
            ("q1", "Q", "2026-02-10 15:00", None, "2026-02-20", None),
        ]
    )
    out = promise_outcomes(calls, payments, invoices, as_of=AS_OF)
    p1 = _row(out, "p1")
    assert p1["open_at_call"] == 1000.00
    assert p1["overdue_at_call"] == 1000.00
    assert p1["promised_amount"] == 500.00
    assert p1["received"] == 500.00
    assert p1["status"] == "kept"
    q1 = _row(out, "q1")
    assert q1["amount_source"] == "overdue_balance"
    assert q1["promised_amount"] == 400.00
    assert q1["received"] == 400.00
    assert not bool(q1["already_paid"])
    assert q1["status"] == "kept"


def test_a_promise_made_on_a_zero_balance_is_left_out_of_the_rate():
    """Customer Z's only invoice Z1 (250.00, due 01-31) was paid on 02-05; on 02-06 Z
    "promises" to pay. Customer W owes W1 (100.00) and breaks a promise of 02-06.

    By hand: Z's overdue balance at the start of 02-06 is 0.00, so the promise is for
    0.00: status ``nothing_owed`` (still flagged ``already_paid``), not kept. The rate
    counts only W: resolved 1 (W broken), failed 1 -> 100 %. (The old rule called Z's
    promise kept: 1 failed of 2 resolved = 50 %.)
    """
    invoices = _invoices(
        [
            ("Z1", "Z", "2026-01-01", "2026-01-31", 250.00),
            ("W1", "W", "2026-01-01", "2026-01-31", 100.00),
        ]
    )
    payments = _payments([("pz", "Z1", "2026-02-05", 250.00)])
    calls = _promises(
        [
            ("z1", "Z", "2026-02-06 10:00", None, None, None),
            ("w1", "W", "2026-02-06 11:00", None, "2026-02-10", None),
        ]
    )
    out = promise_outcomes(calls, payments, invoices, as_of=AS_OF)
    z1 = _row(out, "z1")
    assert z1["promised_amount"] == 0.00
    assert bool(z1["already_paid"])
    assert z1["status"] == "nothing_owed"
    assert _row(out, "w1")["status"] == "broken"
    total = broken_promise_rate(out).iloc[0]
    assert total[["promises", "kept", "broken", "nothing_owed", "resolved"]].tolist() == [
        2,
        0,
        1,
        1,
        1,
    ]
    assert total["broken_rate"] == 1.0


def test_two_different_promises_on_one_day_are_both_judged():
    """Customer T owes T1 (300.00) and T2 (200.00), both due 01-31. On 03-02 the
    collector logs two promises: t1 at 10:00, T1's 300.00 by 03-06 (deadline 03-09);
    t2 at 15:00, T2's 200.00 by 03-16 (deadline 03-19). At 15:05 t2 is logged again,
    identical (t2b): an exact duplicate. One payment: 300.00 on 03-05.

    By hand: t1 and t2 differ (invoice, amount, date), so both are promises; t2 and t2b
    are the same promise (same customer, day, promise date, amount and invoice) and
    count once: the last, t2b, is counted; t2 is not, receives nothing and shows t2b's
    status. The day's payments are shared out in order of deadline: t1 (deadline 03-09)
    takes up to its 300.00 of what arrived by 03-09 -> 300.00, kept; t2b (deadline
    03-19) gets what is left of what arrived by 03-19: 300.00 - 300.00 = 0.00 ->
    broken. Rate: 1 failed of 2 resolved = 50 %. (The old rule judged only the day's
    last promise, t2b, on the 300.00: kept, rate 0 %.)
    """
    invoices = _invoices(
        [
            ("T1", "T", "2026-01-01", "2026-01-31", 300.00),
            ("T2", "T", "2026-01-01", "2026-01-31", 200.00),
        ]
    )
    payments = _payments([("pt", "T1", "2026-03-05", 300.00)])
    calls = _promises(
        [
            ("t1", "T", "2026-03-02 10:00", "T1", "2026-03-06", 300.00),
            ("t2", "T", "2026-03-02 15:00", "T2", "2026-03-16", 200.00),
            ("t2b", "T", "2026-03-02 15:05", "T2", "2026-03-16", 200.00),
        ]
    )
    out = promise_outcomes(calls, payments, invoices, as_of=AS_OF)
    t1, t2, t2b = (_row(out, c) for c in ("t1", "t2", "t2b"))
    assert bool(t1["counted"]) and bool(t2b["counted"]) and not bool(t2["counted"])
    assert (t1["received"], t1["status"]) == (300.00, "kept")
    assert (t2b["received"], t2b["status"]) == (0.00, "broken")
    assert (t2["received"], t2["status"]) == (0.00, "broken")
    assert t2["replaced_by"] == "t2b"
    assert pd.isna(t1["replaced_by"]) and pd.isna(t2b["replaced_by"])
    total = broken_promise_rate(out).iloc[0]
    assert (total["promises"], total["resolved"], total["broken_rate"]) == (2, 2, 0.5)


def test_same_day_promises_share_the_money_in_order_of_deadline():
    """U owes U1 (500.00, due 01-31). On 03-02: u1 promises 100.00 by 03-20 (deadline
    03-23), u2 promises 150.00 by 03-05 (deadline 03-08). Payments: 200.00 on 03-04,
    100.00 on 03-21.

    By hand, in order of deadline: u2 first: 200.00 arrived by 03-08, it takes its
    150.00 -> kept. u1 (last) gets the rest of what arrived by 03-23: 200.00 + 100.00
    - 150.00 = 150.00 >= 100.00 -> kept. Together 300.00, every dollar counted once.
    """
    invoices = _invoices([("U1", "U", "2026-01-01", "2026-01-31", 500.00)])
    payments = _payments([("a", "U1", "2026-03-04", 200.00), ("b", "U1", "2026-03-21", 100.00)])
    calls = _promises(
        [
            ("u1", "U", "2026-03-02 10:00", None, "2026-03-20", 100.00),
            ("u2", "U", "2026-03-02 11:00", None, "2026-03-05", 150.00),
        ]
    )
    out = promise_outcomes(calls, payments, invoices, as_of=AS_OF)
    assert (_row(out, "u2")["received"], _row(out, "u2")["status"]) == (150.00, "kept")
    assert (_row(out, "u1")["received"], _row(out, "u1")["status"]) == (150.00, "kept")
    assert out["received"].sum() == 300.00


def _renegotiated_history():
    invoices = _invoices(
        [
            ("R1", "R", "2026-01-01", "2026-01-31", 600.00),
            ("S1", "S", "2026-01-01", "2026-01-31", 100.00),
        ]
    )
    payments = _payments(
        [
            ("r_a", "R1", "2026-02-12", 100.00),
            ("r_b", "R1", "2026-02-27", 500.00),
            ("s_a", "S1", "2026-02-11", 100.00),
        ]
    )
    calls = _promises(
        [
            ("r1", "R", "2026-02-10 10:00", None, "2026-02-20", 600.00),
            ("r2", "R", "2026-02-18 10:00", None, "2026-03-01", 600.00),
            ("s1", "S", "2026-02-10 10:00", None, "2026-02-20", 100.00),
            ("s2", "S", "2026-02-15 10:00", None, "2026-02-25", 50.00),
        ]
    )
    return calls, payments, invoices


def test_a_renegotiated_promise_is_rescheduled_not_broken():
    """R owes R1 (600.00, due 01-31). r1 on 02-10: 600.00 by 02-20 (deadline 02-23).
    r2 on 02-18, before that deadline: 600.00 by 03-01 (deadline 03-04). R pays 100.00
    on 02-12 and 500.00 on 02-27.

    By hand: r1's window closes the day before the new call, 02-17: 100.00 of 600.00
    arrived, so it is not kept, and having been renegotiated it is ``rescheduled``
    (replaced by r2), left out of the rate. r2's window is 02-18..03-04; its 600.00 is
    capped at R's open balance at the start of 02-18: 600.00 - 100.00 = 500.00;
    received 500.00 -> kept.

    S owes S1 (100.00) and pays it all on 02-11 after s1 (02-10, 100.00 by 02-20): s1
    is kept by 02-14, before s2 (02-15) replaces it, so it stays kept; s2, made when S
    owed nothing, is ``nothing_owed``.

    Rate: resolved r2 and s1, both kept -> 0 %. Under the strict rule r1 is judged on
    what arrived by 02-17: 100.00 of 600.00 -> partial; rate 1 of 3 resolved.
    """
    calls, payments, invoices = _renegotiated_history()
    out = promise_outcomes(calls, payments, invoices, as_of=AS_OF)
    r1, r2 = _row(out, "r1"), _row(out, "r2")
    assert r1["window_end"] == pd.Timestamp("2026-02-17")
    assert r1["replaced_by"] == "r2"
    assert (r1["received"], r1["status"]) == (100.00, "rescheduled")
    assert bool(r1["counted"])
    assert r2["promised_amount"] == 500.00
    assert (r2["received"], r2["status"]) == (500.00, "kept")
    assert _row(out, "s1")["status"] == "kept"
    assert _row(out, "s1")["replaced_by"] == "s2"
    assert _row(out, "s2")["status"] == "nothing_owed"
    total = broken_promise_rate(out).iloc[0]
    assert total[["promises", "kept", "rescheduled", "nothing_owed", "resolved"]].tolist() == [
        4,
        2,
        1,
        1,
        2,
    ]
    assert total["broken_rate"] == 0.0

    strict = promise_outcomes(calls, payments, invoices, as_of=AS_OF, renegotiated="strict")
    assert _row(strict, "r1")["status"] == "partial"
    assert _row(strict, "r1")["received"] == 100.00
    assert _row(strict, "s1")["status"] == "kept"
    strict_total = broken_promise_rate(strict).iloc[0]
    assert strict_total["rescheduled"] == 0
    assert strict_total["broken_rate"] == pytest.approx(1 / 3)


def test_renegotiated_rule_is_checked():
    calls, payments, invoices = _renegotiated_history()
    with pytest.raises(ArcallsError, match="renegotiated must be 'rescheduled' or 'strict'"):
        promise_outcomes(calls, payments, invoices, as_of=AS_OF, renegotiated="lenient")


def test_cli_renegotiated_flag_changes_the_rate(tmp_path, capsys):
    """The command line's ``--renegotiated strict`` gives the strict rate, and the
    printed rates equal ``broken_promise_rate`` on the same sample."""
    import arcalls
    from arcalls.cli import main

    s = arcalls.load_sample()
    as_of = "2026-06-30"
    calls = s.calls[s.calls["called_at"].dt.normalize() <= pd.Timestamp(as_of)]
    printed = {}
    for rule in ("rescheduled", "strict"):
        assert main(["promises", "--out", str(tmp_path / rule), "--as-of", as_of,
                     "--renegotiated", rule]) == 0  # fmt: skip
        printed[rule] = capsys.readouterr().out
        out = promise_outcomes(calls, s.payments, s.invoices, as_of=as_of, renegotiated=rule)
        total = broken_promise_rate(out).iloc[0]
        assert f"Broken-promise rate {total['broken_rate']:.1%} " in printed[rule]
        assert f"{int(total['rescheduled'])} rescheduled" in printed[rule]
    assert "0 rescheduled" in printed["strict"]


def test_rate_on_the_sample_before_and_after_the_new_rules():
    """On the bundled sample as of 2026-06-30: the strict rule (renegotiation judged as
    partial or broken) fails at least as many promises as the default, and every
    promise is in exactly one status."""
    import arcalls

    s = arcalls.load_sample()
    default = broken_promise_rate(
        promise_outcomes(s.calls, s.payments, s.invoices, as_of="2026-06-30")
    ).iloc[0]
    strict = broken_promise_rate(
        promise_outcomes(s.calls, s.payments, s.invoices, as_of="2026-06-30", renegotiated="strict")
    ).iloc[0]
    for total in (default, strict):
        assert total["promises"] == total[list(PROMISE_STATUSES)].sum()
    failed = strict["partial"] + strict["broken"]
    assert failed >= default["partial"] + default["broken"]
    assert np.isfinite(default["broken_rate"])


def _readme_section(title: str) -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    return " ".join(text[start : text.index("\n## ", start + 1)].split())


def test_readme_quotes_the_sample_rate():
    """The "Do promises hold?" figures for the sample are the ones computed here."""
    import arcalls

    s = arcalls.load_sample()
    out = promise_outcomes(s.calls, s.payments, s.invoices, as_of="2026-10-31")
    total = broken_promise_rate(out).iloc[0]
    section = _readme_section("Do promises hold?")
    rate = (
        (
            f"broken-promise rate {total['broken_rate']:.1%} ({total['ci_low']:.1%}-"
            f"{total['ci_high']:.1%})"
        )
        .replace("%", " %")
        .replace(" %-", "-")
    )
    assert rate in section
    assert f"{int(total['resolved'])} of {int(total['promises'])} promises resolved" in section
    assert (total["rescheduled"], total["nothing_owed"]) == (0, 0)
    strict = broken_promise_rate(
        promise_outcomes(s.calls, s.payments, s.invoices, as_of="2026-10-31", renegotiated="strict")
    ).iloc[0]
    assert strict["broken_rate"] == total["broken_rate"]
