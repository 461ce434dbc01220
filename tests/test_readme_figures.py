"""Every figure the README quotes is computed here and found in its text, as formatted.

Each test computes the figures of one README section with the public API and asserts
that the section quotes exactly those numbers, so the README and the code cannot drift:
change the code and a figure, and the test names the sentence to update. Sections
covered here: set-up, "How bad is it?", "The weekly call list", "Sample data and the
simulator" (recovery, promises and ranking figures are asserted beside their own tests).
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls.cli import main

REPO = Path(__file__).resolve().parents[1]

README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README text under the ``##`` heading that starts with ``title``, to the next."""
    match = re.search(rf"^## {re.escape(title)}.*?(?=^## |\Z)", README, re.M | re.S)
    assert match is not None, f"README has no section '## {title}'"
    # Line breaks inside a paragraph are not part of a figure's text.
    return re.sub(r"\s+", " ", match.group(0))


def dollars(value: float, decimals: int = 0) -> str:
    return f"${value:,.{decimals}f}"


def assert_quoted(text: str, *figures: str) -> None:
    missing = [f for f in figures if f not in text]
    assert not missing, f"the README does not quote the computed {missing}"


# ---------------------------------------------------------------------------- set-up


def test_setup_commands_and_what_they_write(tmp_path, monkeypatch, capsys):
    text = section("Set-up: two commands")
    assert_quoted(text, "python -m pip install -e . && arcalls call-list")
    monkeypatch.chdir(tmp_path)
    assert main(["call-list"]) == 0
    capsys.readouterr()
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["call_list.csv", "call_list_excluded.csv"]
    assert_quoted(
        section("The weekly call list"), "sample -> ./call_list.csv + ./call_list_excluded.csv"
    )


# ----------------------------------------------------------------- How bad is it?


def test_how_bad_is_it_quotes_the_ibm_figures(ibm_ar_path):
    text = section("How bad is it?")
    inv = arcalls.load_invoices(ibm_ar_path, preset="ibm_ar")
    as_of = "2013-06-30"
    total = arcalls.aging(inv, as_of=as_of, by=None).iloc[0]
    m = arcalls.ar_metrics(inv, as_of=as_of).iloc[0]
    # The buckets the sentence names hold every open dollar on that date.
    assert round((total["current"] + total["1-30"]) * 100) == round(total["total"] * 100)
    assert_quoted(
        text,
        f"On the IBM sample as of {as_of}",
        f"open {dollars(total['total'], 2)} in {int(total['open_invoices'])} invoices",
        f"({dollars(total['current'], 2)} current, {dollars(total['1-30'], 2)} 1-30 days)",
        f"DSO {m['dso']:.1f} days",
        f"count-back {m['dso_countback']:.1f}",
        f"best possible {m['bpdso']:.1f}",
        f"ADD {m['add']:.1f}",
        f"CEI {m['cei']:.1f}.",
    )


def test_how_bad_is_it_quotes_the_documented_defaults():
    text = section("How bad is it?")
    assert_quoted(
        text,
        f"DSO ~{arcalls.INDUSTRY_MEDIAN_DSO:.0f} days",
        f"ADD {arcalls.INDUSTRY_ADD_RANGE[0]:.0f}-{arcalls.INDUSTRY_ADD_RANGE[1]:.0f} days",
        f"CEI ~{arcalls.INDUSTRY_MEDIAN_CEI:.0f}",
        f"`period_days={arcalls.DEFAULT_PERIOD_DAYS}`",
    )
    assert arcalls.bucket_labels()[1:] == ["1-30", "31-60", "61-90", "91-120", "120+"]
    assert_quoted(
        text, "Current (an invoice due today is Current), 1-30, 31-60, 61-90, 91-120 and 120+"
    )


# ------------------------------------------------------------ The weekly call list


@pytest.fixture(scope="module")
def week():
    return arcalls.call_list(*arcalls.load_sample(), as_of=arcalls.SAMPLE_AS_OF)


#: The README's words for each exclusion reason.
README_REASONS = {
    "zero overdue balance": "zero overdue balance",
    "placed with agency": "placed with an agency",
    "whole balance disputed": "whole balance disputed",
    "called within cool-down": "called within the cool-down",
    "do not call": "do not call",
    "pending promise": "pending promise",
    "payment plan on track": "payment plan on track",
    "callback asked for": "awaiting the callback they asked for",
}


def test_the_weekly_call_list_quotes_the_samples_list(week):
    text = section("The weekly call list")
    counts = week.excluded_by_reason
    assert set(counts.index) == set(README_REASONS)
    # The README lists the reasons largest first.
    ordered = counts.sort_values(ascending=False, kind="stable")
    reasons = ", ".join(f"{n} {README_REASONS[r]}" for r, n in ordered.items())
    expected = week.calls["expected_dollars"].sum()
    overdue = week.calls["overdue_balance"].sum()
    assert_quoted(
        text,
        f"On the sample (as of {arcalls.SAMPLE_AS_OF:%Y-%m-%d}): {len(week.calls)} accounts "
        f"to call, {len(week.excluded)} excluded ({reasons}); expected {dollars(expected)} "
        f"from {dollars(overdue)} overdue.",
    )


def test_the_weekly_call_list_reconciles_the_two_overdue_totals(week):
    text = section("The weekly call list")
    s = arcalls.load_sample()
    aging_overdue = arcalls.aging(s.invoices, s.payments, as_of=arcalls.SAMPLE_AS_OF, by=None)
    parts = week.overdue_reconciliation
    assert parts["all_overdue"] == aging_overdue["overdue"].item()
    assert parts["credits"] == 0.0 and parts["beyond_top"] == 0.0
    cents = np.round(parts[["listed", "excluded", "disputed"]].to_numpy() * 100).sum()
    assert cents == round(parts["all_overdue"] * 100)
    assert_quoted(
        text,
        f"{dollars(parts['all_overdue'])} overdue = {dollars(parts['listed'])} listed + "
        f"{dollars(parts['excluded'])} on the excluded accounts + "
        f"{dollars(parts['disputed'])} disputed.",
    )


def test_the_weekly_call_list_quotes_its_defaults():
    text = section("The weekly call list")
    from arcalls.calllist import DEFAULT_COOLDOWN_DAYS, DEFAULT_MAX_ATTEMPTS_7D

    assert_quoted(
        text,
        f"called in the last {DEFAULT_COOLDOWN_DAYS} days (`--cooldown-days`)",
        f"{DEFAULT_MAX_ATTEMPTS_7D} attempts in 7 days (`--max-attempts`)",
    )


# --------------------------------------------------------- Your own files (my bullets)


def test_your_own_files_quotes_the_as_of_outlier_limit():
    from arcalls.cli._common import OUTLIER_GAP_DAYS

    assert_quoted(
        section("Your own files"), f"more than {OUTLIER_GAP_DAYS} days after the next one"
    )


def test_your_own_files_shows_the_sample_open_total_with_its_code():
    s = arcalls.load_sample()
    total = arcalls.aging(s.invoices, s.payments, as_of=arcalls.SAMPLE_AS_OF, by=None)
    assert_quoted(section("Your own files"), f"(`USD {total['total'].item():,.2f}`)")


def test_your_own_files_quotes_the_default_as_of_of_the_sample():
    as_of = arcalls.default_as_of(arcalls.load_sample())
    assert_quoted(
        section("Your own files"),
        f"`arcalls.default_as_of(tables)` ({as_of:%Y-%m-%d} on the sample)",
    )


def test_your_own_files_quotes_the_ledger_total_from_the_command_line(
    ledger_path, tmp_path, monkeypatch, capsys
):
    """The README's one-file --columns example prints the worked example's open total."""
    text = section("Your own files")
    command = re.search(r"arcalls aging trainData\.csv (.*?) ```", text).group(1)
    argv = ["aging", str(ledger_path), *shlex.split(command.replace("\\ ", " "))]
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 0
    total = re.search(r"^total .*", capsys.readouterr().out, re.M).group(0).split()
    # The --by total row: current, the buckets, then total.
    open_total = total[7]
    assert_quoted(text, f"the same open total, USD {open_total})")


def test_the_notebooks_section_quotes_notebook_4s_backtest_weeks():
    import json

    cells = json.loads((REPO / "notebooks" / "04_priority_model.ipynb").read_text("utf-8"))
    source = "".join(cells["cells"][1]["source"])
    weeks = int(re.search(r"^BACKTEST_WEEKS = (\d+)", source, re.M).group(1))
    assert_quoted(
        section("The report and the notebooks"),
        f"replays `BACKTEST_WEEKS` Sundays, {weeks} by default",
    )


# ------------------------------------------------------ Sample data and the simulator


def test_sample_data_quotes_the_samples_counts_and_dates():
    text = section("Sample data and the simulator")
    s = arcalls.load_sample()
    first = min(s.invoices["invoice_date"].min(), s.calls["called_at"].min())
    last = max(
        s.invoices["invoice_date"].max(),
        s.payments["payment_date"].max(),
        s.calls["called_at"].max(),
    )
    assert_quoted(
        text,
        f"{len(s.customers):,} customers, {len(s.invoices):,} invoices, "
        f"{len(s.payments):,} payments and {len(s.calls):,} calls",
        f"from {first:%B %Y} to {last:%B %Y}",
        f"exported on `arcalls.SAMPLE_AS_OF` ({arcalls.SAMPLE_AS_OF:%Y-%m-%d})",
    )
    assert pd.Timestamp(last).normalize() <= arcalls.SAMPLE_AS_OF
    assert_quoted(text, f"n_customers={len(s.customers)}")


def test_sample_data_quotes_the_samples_agreements():
    text = section("Sample data and the simulator")
    s = arcalls.load_sample()
    calls, as_of = s.calls, arcalls.SAMPLE_AS_OF
    plans = calls[calls["outcome"] == "plan"]
    truth = arcalls.simulate(n_customers=400, seed=0).truth
    inst = truth.plan_instalments
    paid = inst[(inst["paid_amount"] > 0) & (inst["payment_date"] <= as_of)]
    # Every instalment paid by the export date is (part of) that day's payments there.
    pay = s.payments.merge(s.invoices[["invoice_id", "customer_id"]], on="invoice_id")
    day = pay.groupby(["customer_id", "payment_date"])["amount"].sum()
    keys = list(zip(paid["customer_id"], paid["payment_date"], strict=True))
    assert (day.loc[keys].to_numpy() >= paid["paid_amount"].to_numpy() - 0.005).all()
    asked = calls[calls["callback_at"].notna()]
    due = asked[asked["callback_at"] <= as_of]
    kept = due.merge(
        calls[["customer_id", "called_at"]],
        left_on=["customer_id", "callback_at"],
        right_on=["customer_id", "called_at"],
    )
    named = calls["payments_contact"].notna()
    emails = s.customers["email"].dropna()
    assert emails.str.endswith(".example").all()
    assert importlib.import_module("arcalls.simulate").PLAN_MISSES_TO_STOP == 2  # "two"
    assert_quoted(
        text,
        f"{len(plans)} payment plans (outcome `plan`, "
        f"{plans['plan_schedule'].notna().sum()} of them an explicit `plan_schedule`) "
        f"agreed by {plans['customer_id'].nunique()} customers, whose {len(paid)} instalments "
        "paid by the export date are ordinary payments rows",
        f"{len(asked)} calls asking to be called back (`callback_at`",
        f"for {len(kept)} of the {len(due)} due by the export date the next call is at that time",
        f"{named.sum()} calls naming who handles payments",
        f"for {len(emails)} customers",
        "stops paying under a plan after two missed instalments",
    )


# ------------------------------------------- When your file does not load (my messages)


def _write(folder, tables) -> None:
    for name, frame in zip(("invoices", "payments", "calls", "customers"), tables, strict=True):
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")


def _stderr_of(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    return capsys.readouterr().err.strip()


def test_the_readme_shows_the_currency_and_as_of_refusals(tmp_path, monkeypatch, capsys):
    text = section("When your file does not load")
    s = arcalls.load_sample()
    eur = s.invoices["customer_id"].isin([f"C{i:04d}" for i in range(1, 101)])
    currency = pd.Series("USD", index=s.invoices.index, dtype="string").mask(eur, "EUR")
    (tmp_path / "mixed").mkdir()
    _write(tmp_path / "mixed", s._replace(invoices=s.invoices.assign(currency=currency)))
    calls = s.calls.copy()
    calls.loc[calls.index[5], "called_at"] = pd.Timestamp("2099-01-01 09:00")
    (tmp_path / "late").mkdir()
    _write(tmp_path / "late", s._replace(calls=calls))
    monkeypatch.chdir(tmp_path / "mixed")
    mixed = _stderr_of(capsys, "call-list", ".")
    monkeypatch.chdir(tmp_path / "late")
    late = _stderr_of(capsys, "call-list", ".")
    assert_quoted(text, mixed, late)
