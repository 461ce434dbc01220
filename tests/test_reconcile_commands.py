"""Every command run on the same files agrees on the open and overdue totals, to the cent.

``aging`` prints its metrics line; ``call-list``, ``recovery``, ``promises`` and ``report``
print the same books line (``cli._common.books_line``); the call list's own overdue
reconciles with aging's; the report's headline rounds the same figures. Each is set
against the Python analyses: ``aging(..., by=None)`` and the ledger's open amounts.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

import arcalls
from arcalls._checks import format_amount
from arcalls.cli import main

#: An amount as the commands print it: "$1,234.56", "-$1.00" or "USD 1,234.56".
AMOUNT = r"(?:[A-Z]{3} -?|-?\$)[\d,]+\.\d\d"


def _number(text: str) -> float:
    return float(re.sub(r"[^\d.-]", "", text))


def _run(capsys, *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def _books(out: str) -> tuple[float, float]:
    match = re.search(
        rf"Open A/R on \S+: ({AMOUNT}) in [\d,]+ open invoices?; overdue ({AMOUNT})", out
    )
    assert match, out
    return _number(match.group(1)), _number(match.group(2))


def _aging_line(out: str) -> tuple[float, float]:
    match = re.search(rf"Open A/R ({AMOUNT}), overdue ({AMOUNT}) \(", out)
    assert match, out
    return _number(match.group(1)), _number(match.group(2))


def _expected(tables: arcalls.Tables, as_of) -> tuple[float, float]:
    total = arcalls.aging(tables.invoices, tables.payments, as_of=as_of, by=None).iloc[0]
    bal = arcalls.invoice_balances(tables.invoices, tables.payments, as_of=as_of)
    # aging's open total is the ledger's, to the cent.
    assert round(bal.loc[bal["is_open"], "open_amount"].sum() * 100) == round(total["total"] * 100)
    return float(total["total"]), float(total["overdue"])


def _cents(pair) -> tuple[int, int]:
    return tuple(round(v * 100) for v in pair)


def _check_all_commands(capsys, tmp_path, inputs, tables, as_of, *, with_calls=True):
    expected = _cents(_expected(tables, as_of))
    day = f"{pd.Timestamp(as_of):%Y-%m-%d}"
    common = [*inputs, "--as-of", day]
    seen = {"aging": _aging_line(_run(capsys, "aging", *common))}
    out = _run(capsys, "call-list", *common, "--out", str(tmp_path / "list.csv"))
    seen["call-list"] = _books(out)
    listed = pd.read_csv(tmp_path / "list.csv")["overdue_balance"].sum()
    excluded = pd.read_csv(tmp_path / "list_excluded.csv")["overdue_balance"].sum()
    all_overdue = re.search(rf"as arcalls aging counts them\): ({AMOUNT}) = ({AMOUNT}) listed", out)
    if all_overdue:
        assert round(_number(all_overdue.group(1)) * 100) == expected[1]
        assert round(_number(all_overdue.group(2)) * 100) == round(listed * 100)
    else:
        # Nothing excluded, disputed or netted: the list's overdue is aging's.
        assert round((listed + excluded) * 100) == expected[1]
    seen["recovery"] = _books(_run(capsys, "recovery", *common, "--out", str(tmp_path / "rec")))
    if with_calls:
        out = _run(capsys, "promises", *common, "--out", str(tmp_path / "prom"))
        seen["promises"] = _books(out)
    rep = tmp_path / "rep"
    out = _run(capsys, "report", *common, "--out", str(rep), "--backtest-weeks", "0")
    seen["report"] = _books(out)
    page = (rep / "report.html").read_text(encoding="utf-8")
    currency = arcalls._checks.check_one_currency(tables.invoices)
    open_total, overdue = _expected(tables, as_of)
    headline = (
        f"{format_amount(open_total, currency, decimals=0)}, of which "
        f"{format_amount(overdue, currency, decimals=0)} ("
    )
    assert headline in page
    assert {name: _cents(pair) for name, pair in seen.items()} == dict.fromkeys(seen, expected)


def test_every_command_agrees_on_the_sample(capsys, tmp_path):
    _check_all_commands(capsys, tmp_path, [], arcalls.load_sample(), arcalls.SAMPLE_AS_OF)


@pytest.mark.parametrize("as_of", ["2013-06-30", "2013-12-31"])
def test_every_command_agrees_on_the_ibm_file(capsys, tmp_path, ibm_ar_path, as_of):
    # 2013-12-31: the model cannot train there; every command still runs and agrees.
    inv = arcalls.load_invoices(ibm_ar_path, preset="ibm_ar")
    tables = arcalls.Tables(inv, None, None, None)
    inputs = [str(ibm_ar_path), "--preset", "ibm_ar"]
    _check_all_commands(capsys, tmp_path, inputs, tables, as_of, with_calls=False)


def test_every_command_agrees_on_one_currency_of_a_mixed_book(capsys, tmp_path):
    s = arcalls.load_sample()
    eur = s.invoices["customer_id"].isin([f"C{i:04d}" for i in range(1, 121)])
    currency = pd.array(["USD"] * len(s.invoices), dtype="string")
    currency[eur.to_numpy()] = "EUR"
    mixed = s._replace(invoices=s.invoices.assign(currency=currency))
    folder = tmp_path / "in"
    folder.mkdir()
    for name, frame in zip(("invoices", "payments", "calls", "customers"), mixed, strict=True):
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    for code in ("EUR",):
        chosen = arcalls.select_currency(*mixed, currency=code)
        out = tmp_path / code
        out.mkdir()
        inputs = [str(folder), "--currency", code]
        _check_all_commands(capsys, out, inputs, chosen, arcalls.SAMPLE_AS_OF)
