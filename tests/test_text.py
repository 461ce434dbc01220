"""Nothing printed by the command line carries a control character or escape sequence."""

from __future__ import annotations

import csv
import unicodedata

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import arcalls
from arcalls._text import terminal_text
from arcalls.cli import main

#: Retitle the terminal, clear it, move the cursor, overwrite the line, 8-bit CSI, NUL,
#: a right-to-left override.
HOSTILE = (
    "\x1b]0;pwned\x07Acme",
    "Bolt\x1b[2J\x1b[H",
    "Crane\x1b[1A\x1b[31m$0.00",
    "Dyn\r$999,999.99",
    "Echo\x9b2J",
    "Fox\x00\x7f",
    "Gulf\u202e1.00",
)


def _unsafe(text: str) -> list[str]:
    """Control characters (but tab and newline) and bidirectional overrides."""
    return [
        ch
        for ch in text
        if (unicodedata.category(ch) == "Cc" and ch not in "\n\t")
        or "\u202a" <= ch <= "\u202e"
        or "\u2066" <= ch <= "\u2069"
    ]


@given(st.text())
def test_terminal_text_leaves_nothing_unprintable(text):
    safe = terminal_text(text)
    assert _unsafe(safe) == []
    assert "\x1b" not in safe
    assert terminal_text(safe) == safe  # idempotent


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs"))))
def test_printable_text_is_unchanged(text):
    assert terminal_text(text) == text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;pwned\x07Acme", "Acme"),
        ("Bolt\x1b[2J\x1b[H", "Bolt"),
        ("Crane\x1b[1A\x1b[31m$0.00", "Crane$0.00"),
        ("Dyn\r$999,999.99", "Dyn$999,999.99"),
        ("Fox\x00\x7f", "Fox"),
        ("Gulf\u202e1.00", "Gulf1.00"),
        ("tab\tand\nline", "tab\tand\nline"),
    ],
)
def test_terminal_text_by_hand(raw, shown):
    assert terminal_text(raw) == shown


def test_an_error_naming_a_hostile_path_is_printed_safely(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    name = "calls\x1b]0;pwned\x07\x1b[2J.csv"
    assert main(["check", "--kind", "calls", name]) == 2
    out, err = capsys.readouterr()
    assert "calls.csv" in err  # the name, minus the escapes
    assert _unsafe(out + err) == [] and "\x1b" not in out + err


@pytest.mark.parametrize("command", ["call-list", "aging", "promises"])
def test_hostile_customer_names_never_reach_the_terminal(tmp_path, monkeypatch, capsys, command):
    """Loaded (or refused, naming the value): either way nothing unsafe is printed."""
    monkeypatch.chdir(tmp_path)
    sample = arcalls.load_sample()
    customers = sample.customers.assign(
        customer_name=[f"{HOSTILE[i % len(HOSTILE)]} {i}" for i in range(len(sample.customers))]
    )
    invoices = sample.invoices.drop(columns=["customer_name"])
    for kind, frame in {
        "invoices": invoices,
        "payments": sample.payments,
        "calls": sample.calls,
        "customers": customers,
    }.items():
        frame.to_csv(tmp_path / f"{kind}.csv", index=False, quoting=csv.QUOTE_ALL)
    argv = [command, "invoices.csv", "payments.csv", "calls.csv", "customers.csv"]
    argv += ["--as-of", "2026-10-31"]
    if command == "call-list":
        argv += ["--out", "week.csv", "--handoff-age", "none"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code in (0, 2), err
    assert _unsafe(out + err) == [] and "\x1b" not in out + err
    if code == 0 and command == "call-list":
        shown = pd.read_csv(tmp_path / "week.csv", dtype=str)["customer_name"].head(3)
        # The names printed are the names of the list, minus their control characters.
        assert any(terminal_text(n) in out for n in shown)
