"""Best time to call (issue 18.9): a window only where the evidence supports it.

A customer gets a window of its own only when its contact rate there is above its rate
at its other hours with one-sided 95 % confidence (Agresti-Caffo interval of the
difference); else its segment's, when a real segment was given and its evidence
supports a window; else "no evidence yet". The whole book's windows are ranked
separately, each with its interval.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from arcalls.promises import best_call_times
from arcalls.schema import CALLS, CUSTOMERS, dtype_of

NO_EVIDENCE = "no evidence yet"


def _frame(table, columns):
    frame = pd.DataFrame(columns)
    return frame.astype({c.name: dtype_of(c.kind) for c in table.columns if c.name in frame})


def _calls(rows):
    cid, cust, at, outcome = zip(*rows, strict=True)
    return _frame(
        CALLS,
        {"call_id": cid, "customer_id": cust, "called_at": pd.to_datetime(at), "outcome": outcome},
    )


def _history():
    """busy: 6 misses at 09:00, 6 contacts at 14:00. flat: 3 of 6 at 09:00, 3 of 6 at
    14:00. new: a contact at 09:00 and a miss at 16:00."""
    rows = []
    for day in range(1, 7):
        rows.append((f"b9{day}", "busy", f"2026-01-{day:02d} 09:00", "no_answer"))
        rows.append((f"b14{day}", "busy", f"2026-01-{day:02d} 14:00", "contact"))
        early, late = ("contact", "voicemail") if day <= 3 else ("no_answer", "promise")
        rows.append((f"f9{day}", "flat", f"2026-01-{day:02d} 09:30", early))
        rows.append((f"f14{day}", "flat", f"2026-01-{day:02d} 14:30", late))
    rows += [
        ("n1", "new", "2026-01-02 09:00", "contact"),
        ("n2", "new", "2026-01-03 16:00", "no_answer"),
    ]
    return _calls(rows)


def test_a_window_only_where_the_customers_own_history_supports_it():
    """By hand (2-hour windows, z = 1.645 for one-sided 95 %):

    busy, 14:00-16:00: 6 of 6 reached; at its other hours 0 of 6. Agresti-Caffo:
    p1 = 7/8 = 0.875, p2 = 1/8 = 0.125, se = sqrt(2 x 0.875 x 0.125 / 8) = 0.16536,
    lower edge = 0.75 - 1.645 x 0.16536 = 0.478 > 0 -> its own window, 14:00-16:00.
    Its interval is the 90 % Wilson interval of 6/6: centre (1 + 1.645^2/12) /
    (1 + 1.645^2/6) = 0.8446, half-width 1.645 x sqrt(1.645^2/144) / 1.451 = 0.1554 ->
    0.689 to 1.0.

    flat: 3 of 6 at 08:00-10:00 and 3 of 6 at 14:00-16:00: no window beats its other
    hours -> no evidence yet. new: 2 attempts, fewer than min_attempts=10 -> no evidence
    yet (no segment was given: the whole book is not a segment a customer belongs to).
    """
    times = best_call_times(_history(), business_tz=None)
    by = times.by_customer.set_index("customer_id")
    busy = by.loc["busy"]
    assert busy["source"] == "own"
    assert (busy["best_window_start"], busy["best_window_end"]) == (14, 16)
    assert busy["best_time"] == "14:00-16:00"
    assert (busy["window_attempts"], busy["window_contacts"]) == (6, 6)
    assert busy["lift_low"] == pytest.approx(0.75 - 1.644854 * np.sqrt(2 * 0.875 * 0.125 / 8))
    assert busy["ci_low"] == pytest.approx(0.6892, abs=1e-3)
    assert busy["ci_high"] == 1.0
    for name in ("flat", "new"):
        assert by.loc[name, "source"] == "none"
        assert by.loc[name, "best_time"] == NO_EVIDENCE
        assert pd.isna(by.loc[name, "best_window_start"])
    assert times.summary["with_own_window"].tolist() == [1]


def test_a_real_segment_with_evidence_lends_its_window():
    """By hand: segment "dental" = busy + new. Its 14:00-16:00 window: 6 of 6; its other
    hours: busy's 6 misses + new's 2 calls = 1 of 8. p1 = 7/8, p2 = 2/10, se =
    sqrt(0.875 x 0.125 / 8 + 0.2 x 0.8 / 10) = 0.17225, lower edge = 0.675 - 1.645 x
    0.17225 = 0.392 > 0: new (too few calls of its own) gets 14:00-16:00 from its
    segment. "retail" is flat alone: no supported window, so flat has no evidence.
    """
    customers = _frame(
        CUSTOMERS,
        {"customer_id": ["busy", "new", "flat"], "industry": ["dental", "dental", "retail"]},
    )
    times = best_call_times(_history(), customers, business_tz=None, segment="industry")
    by = times.by_customer.set_index("customer_id")
    assert (by.loc["new", "source"], by.loc["new", "best_time"]) == ("segment", "14:00-16:00")
    assert by.loc["busy", "source"] == "own"
    assert (by.loc["flat", "source"], by.loc["flat", "best_time"]) == ("none", NO_EVIDENCE)
    seg = times.segments.set_index(["segment", "window_start"])
    assert seg.loc[("dental", 14), "lift_low"] == pytest.approx(
        0.675 - 1.644854 * np.sqrt(0.875 * 0.125 / 8 + 0.2 * 0.8 / 10)
    )
    assert bool(seg.loc[("dental", 14), "supported"])
    assert not seg.loc["retail", "supported"].any()


def test_the_books_windows_are_ranked_by_evidence_with_intervals():
    """By hand, every call of the book: 08:00-10:00 4 of 13, 14:00-16:00 9 of 12,
    16:00-18:00 0 of 1. Lower edges against the book's other hours:
    14h: p1 = 10/14, p2 = 5/16, se = 0.16735 -> 0.4018 - 0.2753 = 0.127 (supported);
    08h: p1 = 5/15, p2 = 10/15, se = 0.17213 -> -0.617;
    16h: p1 = 1/3, p2 = 14/27, se = 0.2887 -> -0.660. Rank 14h, 08h, 16h.
    """
    book = best_call_times(_history(), business_tz=None).book
    assert book["window_start"].tolist() == [14, 8, 16]
    assert book["rank"].tolist() == [1, 2, 3]
    assert book["attempts"].tolist() == [12, 13, 1]
    assert book["contacts"].tolist() == [9, 4, 0]
    assert book["lift_low"].tolist() == pytest.approx([0.127, -0.617, -0.660], abs=1e-3)
    assert book["supported"].tolist() == [True, False, False]
    assert (book["ci_low"] <= book["contact_rate"]).all()
    assert (book["contact_rate"] <= book["ci_high"]).all()


def test_confidence_is_checked():
    from arcalls.errors import InputError

    with pytest.raises(InputError, match="confidence must be between 0.5 and 1"):
        best_call_times(_history(), business_tz=None, confidence=1.2)


# --- against the generator's known truth ----------------------------------------------

#: The world of tests/test_promises.py: enough calls per customer to judge each one.
SIM_CUSTOMERS, SIM_SEED, SIM_CALL_RATE = 1000, 3, 0.3


@pytest.fixture(scope="module")
def simulated():
    from arcalls.simulate import simulate

    return simulate(
        n_customers=SIM_CUSTOMERS, seed=SIM_SEED, call_rate=SIM_CALL_RATE, follow_up_days=0
    )


def best_time_accuracy(simulated) -> dict:
    """How often the window given contains the generator's true best hours.

    A window "contains" them when its middle lies inside the true best hours (at least
    half of a 2-hour window inside the generator's 3-hour one). Chance: the same windows
    scored against a customer's true hours drawn from the book's own mix of true hours
    (the average over every customer's truth, not one shuffle).
    """
    _, _, calls, customers = simulated.tables
    times = best_call_times(calls, customers)
    truth = simulated.truth.customers[["customer_id", "best_hour_start", "best_hour_end"]]
    found = times.by_customer.merge(truth, on="customer_id")
    given = found[found["source"] == "own"]
    middle = (given["best_window_start"] + given["best_window_end"]).to_numpy(float) / 2
    hit = (middle >= given["best_hour_start"]) & (middle <= given["best_hour_end"])
    starts = truth["best_hour_start"].to_numpy(float)[None, :]
    ends = truth["best_hour_end"].to_numpy(float)[None, :]
    chance = ((middle[:, None] >= starts) & (middle[:, None] <= ends)).mean(axis=1).mean()
    return {
        "called": len(found),
        "with_window": len(given),
        "hit": float(hit.mean()),
        "chance": float(chance),
        "no_evidence": int((found["source"] == "none").sum()),
        "book_best": times.book.iloc[0],
    }


def test_best_windows_find_the_generators_best_hours(simulated):
    got = best_time_accuracy(simulated)
    report = (
        f"{got['with_window']} of {got['called']} customers get a window; it holds the true "
        f"best hours for {got['hit']:.1%} (chance {got['chance']:.1%})"
    )
    # The rule must give a window to a real share of the book, and be right far more
    # often than chance; everyone else is told "no evidence yet".
    assert got["with_window"] >= 150, report
    assert got["hit"] > 0.7, report
    assert got["hit"] > 2 * got["chance"], report
    assert got["with_window"] + got["no_evidence"] == got["called"], report


def _readme_section(title: str) -> str:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    return " ".join(text[start : text.index("\n## ", start + 1)].split())


def test_readme_quotes_the_best_time_figures(simulated):
    got = best_time_accuracy(simulated)
    section = _readme_section("Do promises hold?")
    expected = (
        f"{got['with_window']} of the {got['called']} customers called get a window of their "
        f"own; it contains the generator's true best hours for {got['hit']:.0%} of them "
        f"({got['chance']:.0%} by chance)"
    ).replace("%", " %")
    assert expected in section, expected
    assert f'the other {got["no_evidence"]} are told "no evidence yet"' in section


def test_readme_quotes_the_sample_coverage():
    import arcalls

    s = arcalls.load_sample()
    times = best_call_times(s.calls, s.customers)
    by = times.by_customer
    own = int((by["source"] == "own").sum())
    best = times.book.iloc[0]
    expected = (
        (
            f"On the sample {own} of {len(by)} customers called get a window of their own "
            f'and the rest "no evidence yet"; the book\'s best window is '
            f"{int(best['window_start']):02d}:00-{int(best['window_end']):02d}:00 "
            f"({best['contact_rate']:.0%}, {best['ci_low']:.0%}-{best['ci_high']:.0%})"
        )
        .replace("%", " %")
        .replace(" %-", "-")
    )
    assert expected in _readme_section("Do promises hold?"), expected


def test_readme_quotes_the_promise_keeping_correlation(simulated):
    """The same simulated book: the per-customer broken-promise rate against the
    generator's hidden promise keeping (customers with 3 or more resolved promises)."""
    from arcalls.promises import broken_promise_rate, promise_outcomes

    inv, pay, calls, _ = simulated.tables
    out = promise_outcomes(calls, pay, inv, as_of=simulated.truth.end)
    rates = broken_promise_rate(out, by="customer_id").merge(
        simulated.truth.customers[["customer_id", "promise_keep_prob"]], on="customer_id"
    )
    judged = rates[rates["resolved"] >= 3]
    rho = judged["broken_rate"].corr(1 - judged["promise_keep_prob"], method="spearman")
    expected = f"Spearman {rho:.2f} ({len(judged)} customers)"
    assert expected in _readme_section("Do promises hold?"), expected


def test_readme_quotes_the_call_lists_windows():
    """The call list's best-time column is each account's own supported window, else
    "no evidence yet": never the book's window passed off as the account's."""
    import arcalls

    s = arcalls.load_sample()
    week = arcalls.call_list(*s, as_of="2026-10-31")
    listed = week.calls
    shown = listed["best_time_to_call"] != NO_EVIDENCE
    known = s.calls[s.calls["called_at"].dt.normalize() <= pd.Timestamp("2026-10-31")]
    per = best_call_times(known, s.customers).by_customer.set_index("customer_id")
    expected = listed["customer_id"].map(per["best_time"]).fillna(NO_EVIDENCE)
    assert (listed["best_time_to_call"].to_numpy() == expected.to_numpy()).all()
    sentence = (
        f"The weekly call list as of 2026-10-31 shows a window for {int(shown.sum())} of its "
        f"{len(listed)} accounts"
    )
    assert sentence in _readme_section("Do promises hold?"), sentence


def test_readme_states_the_defaults_in_force():
    from arcalls import _calls

    section = _readme_section("Do promises hold?")
    assert f"it has {_calls.DEFAULT_MIN_OWN_ATTEMPTS} or more attempts" in section
    assert f"{_calls.DEFAULT_WINDOW_HOURS}-hour window" in section
    assert f"one-sided {_calls.DEFAULT_BEST_TIME_CONFIDENCE:.0%}".replace("%", " %") in section
    assert f"at least {_calls.MIN_WINDOW_ATTEMPTS} attempts in the window" in section


@pytest.mark.parametrize("as_of", ["2025-06-30", None])
def test_the_lists_coded_best_times_are_the_public_ones(as_of):
    # The weekly list reads the calls' customers off its book; the tables must be the
    # public function's to the last cell, on a date that leaves later calls out too.
    import arcalls
    from arcalls._calls import _best_call_times
    from arcalls.book import book_of
    from arcalls.calllist import _known_calls, _known_rows

    s = arcalls.load_sample()
    # None: the day of the last call, when every call is known.
    day = s.calls["called_at"].max().normalize() if as_of is None else pd.Timestamp(as_of)
    rows = _known_rows(s.calls, as_of=day)
    assert (rows is None) == (as_of is None)
    known = _known_calls(s.calls, as_of=day)
    book = book_of(*s)
    coded = _best_call_times(
        known, s.customers, coded=book.call_customers_of(slice(None) if rows is None else rows)
    )
    plain = best_call_times(known, s.customers)
    for name in ("grid", "segments", "by_customer", "book"):
        pd.testing.assert_frame_equal(getattr(coded, name), getattr(plain, name))
