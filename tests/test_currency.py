"""One currency at a time: the shared refusal, select_currency, and --currency everywhere."""

from __future__ import annotations

import pandas as pd
import pytest

import arcalls
from arcalls import InputError
from arcalls._checks import check_one_currency, format_amount
from arcalls.cli import EXIT_ERROR, main

AS_OF = "2026-10-31"
#: Customers whose invoices the mixed book bills in euros.
EUR_CUSTOMERS = [f"C{i:04d}" for i in range(1, 101)]


def _analysis():
    s = arcalls.load_sample()
    curve = arcalls.recovery_curve(s.invoices, s.payments, as_of=AS_OF, n_boot=0)
    return arcalls.handoff_analysis(curve)


@pytest.fixture(scope="module")
def sample():
    return arcalls.load_sample()


@pytest.fixture(scope="module")
def mixed(sample):
    """The sample with the first 100 customers' invoices in EUR, the rest in USD."""
    inv = sample.invoices
    eur = inv["customer_id"].isin(EUR_CUSTOMERS)
    currency = pd.array(["USD"] * len(inv), dtype="string")
    currency[eur.to_numpy()] = "EUR"
    return sample._replace(invoices=inv.assign(currency=currency))


@pytest.fixture(scope="module")
def mixed_files(tmp_path_factory, mixed):
    folder = tmp_path_factory.mktemp("mixed")
    for name, frame in zip(("invoices", "payments", "calls", "customers"), mixed, strict=True):
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    return folder


def test_the_refusal_counts_each_currency_and_names_the_fix(mixed):
    n_eur = int(mixed.invoices["customer_id"].isin(EUR_CUSTOMERS).sum())
    n_usd = len(mixed.invoices) - n_eur
    big, small = sorted([("USD", n_usd), ("EUR", n_eur)], key=lambda c: (-c[1], c[0]))
    with pytest.raises(InputError) as err:
        check_one_currency(mixed.invoices)
    text = str(err.value)
    listed = f"{big[0]}: {big[1]:,} invoices, {small[0]}: {small[1]:,} invoices"
    assert f"2 currencies ({listed})" in text
    assert "--currency" in text and "arcalls.select_currency(" in text


def test_one_currency_or_none_passes(sample):
    assert check_one_currency(sample.invoices) == "USD"
    assert check_one_currency(sample.invoices.drop(columns="currency")) is None
    blanks = sample.invoices.assign(currency=pd.array([None] * len(sample.invoices), "string"))
    assert check_one_currency(blanks) is None


@pytest.mark.parametrize(
    "analysis",
    [
        lambda t: arcalls.aging(t.invoices, t.payments, as_of=AS_OF),
        lambda t: arcalls.ar_metrics(t.invoices, t.payments, as_of=AS_OF),
        lambda t: arcalls.recovery_curve(t.invoices, t.payments, as_of=AS_OF, n_boot=0),
        lambda t: arcalls.recovery_cohorts(t.invoices, t.payments, as_of=AS_OF),
        lambda t: arcalls.accounts_to_hand_off(
            t.invoices, t.payments, t.customers, as_of=AS_OF, analysis=_analysis()
        ),
        lambda t: arcalls.promise_outcomes(t.calls, t.payments, t.invoices, as_of=AS_OF),
        lambda t: arcalls.call_list(*t, as_of=AS_OF),
    ],
    ids=["aging", "ar_metrics", "recovery_curve", "cohorts", "handoff", "promises", "call_list"],
)
def test_every_money_analysis_refuses_two_currencies(mixed, analysis):
    with pytest.raises(InputError, match=r"2 currencies \(.*--currency"):
        analysis(mixed)


def test_the_report_refuses_two_currencies(mixed, tmp_path):
    with pytest.raises(InputError, match=r"2 currencies \(.*--currency"):
        arcalls.build_report(mixed, as_of=AS_OF, out_dir=tmp_path, backtest_weeks=0)


def test_aging_by_currency_is_per_currency_not_a_sum(mixed):
    table = arcalls.aging(mixed.invoices, mixed.payments, as_of=AS_OF, by="currency")
    for code in ("USD", "EUR"):
        one = arcalls.select_currency(*mixed, currency=code)
        total = arcalls.aging(one.invoices, one.payments, as_of=AS_OF, by=None)
        assert table.loc[code, "total"] == pytest.approx(total["total"].item(), abs=0.005)


def test_select_currency_keeps_each_table_by_its_rule(mixed):
    eur = arcalls.select_currency(*mixed, currency="eur")
    inv, pay, calls, cust = eur
    assert set(inv["currency"]) == {"EUR"}
    assert set(inv["customer_id"]) <= set(EUR_CUSTOMERS)
    assert pay["invoice_id"].isin(inv["invoice_id"]).all()
    kept_pay = mixed.payments["invoice_id"].isin(inv["invoice_id"])
    assert len(pay) == int(kept_pay.sum())
    assert set(cust["customer_id"]) == set(inv["customer_id"])
    assert calls["customer_id"].isin(inv["customer_id"]).all()
    # Nothing is lost: the two selections share no invoice or payment and cover all.
    usd = arcalls.select_currency(*mixed, currency="USD")
    assert len(usd.invoices) + len(inv) == len(mixed.invoices)
    assert len(usd.payments) + len(pay) == len(mixed.payments)
    # The inputs are not modified.
    assert len(mixed.invoices) == len(arcalls.load_sample().invoices)


def test_a_customer_in_two_currencies_keeps_its_calls_in_both():
    inv = pd.DataFrame(
        {
            "invoice_id": ["1", "2", "3"],
            "customer_id": ["A", "A", "B"],
            "currency": ["USD", "EUR", "EUR"],
        }
    )
    calls = pd.DataFrame(
        {
            "call_id": ["k1", "k2", "k3", "k4"],
            "customer_id": ["A", "A", "A", "B"],
            "invoice_id": [None, "1", "2", None],
        }
    )
    usd = arcalls.select_currency(inv, calls=calls, currency="USD")
    eur = arcalls.select_currency(inv, calls=calls, currency="EUR")
    # k1 names no invoice: customer A has invoices in both, so it is in both selections;
    # k2 and k3 name their invoice, so each goes with that invoice's currency.
    assert usd.calls["call_id"].tolist() == ["k1", "k2"]
    assert eur.calls["call_id"].tolist() == ["k1", "k3", "k4"]


def test_select_currency_refuses_an_unknown_code_or_no_column(sample):
    with pytest.raises(InputError, match=r"No invoice is in currency 'GBP'.*USD: 3,823"):
        arcalls.select_currency(*sample, currency="GBP")
    with pytest.raises(InputError, match="no 'currency' column"):
        arcalls.select_currency(sample.invoices.drop(columns="currency"), currency="USD")


def test_select_currency_is_public():
    assert "select_currency" in arcalls.__all__


def test_amounts_show_the_code_of_a_book_that_names_its_currency():
    assert format_amount(1234.5) == "$1,234.50"
    assert format_amount(-0.001, "EUR") == "EUR 0.00"
    assert format_amount(-12.0, "EUR", decimals=0) == "EUR -12"


COMMANDS = {
    "aging": [],
    "call-list": ["--out", "{out}/list.csv"],
    "recovery": ["--out", "{out}"],
    "promises": ["--out", "{out}"],
    "report": ["--out", "{out}", "--backtest-weeks", "0"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_refuses_two_currencies_without_the_option(
    command, mixed_files, tmp_path, capsys
):
    extra = [a.format(out=tmp_path) for a in COMMANDS[command]]
    code = main([command, str(mixed_files), "--as-of", AS_OF, *extra])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert "2 currencies (" in err and "--currency" in err
    assert not list(tmp_path.iterdir()), "nothing is written before the refusal"


def test_with_the_option_each_command_is_the_selection(mixed, mixed_files, tmp_path, capsys):
    eur = arcalls.select_currency(*mixed, currency="EUR")
    metrics = arcalls.ar_metrics(eur.invoices, eur.payments, as_of=AS_OF).iloc[0]
    assert main(["aging", str(mixed_files), "--as-of", AS_OF, "--currency", "EUR"]) == 0
    out = capsys.readouterr().out
    assert f"Open A/R {format_amount(metrics['ar_total'], 'EUR')}," in out
    assert f"overdue {format_amount(metrics['ar_overdue'], 'EUR')} (" in out
    week = arcalls.call_list(*eur, as_of=AS_OF)
    args = ["call-list", str(mixed_files), "--as-of", AS_OF, "--currency", "EUR"]
    assert main([*args, "--out", str(tmp_path / "l.csv"), "--handoff-age", "none"]) == 0
    out = capsys.readouterr().out
    assert week.describe() in out
    assert "EUR " in week.describe() and "$" not in week.describe()


def test_aging_by_currency_shows_each_book_without_the_option(mixed, mixed_files, capsys):
    code = main(["aging", str(mixed_files), "--as-of", AS_OF, "--by", "currency"])
    out = capsys.readouterr().out
    assert code == 0
    for currency in ("EUR", "USD"):
        one = arcalls.select_currency(*mixed, currency=currency)
        m = arcalls.ar_metrics(one.invoices, one.payments, as_of=AS_OF).iloc[0]
        assert f"{currency}: Open A/R {format_amount(m['ar_total'], currency)}, overdue " in out
        row = next(line for line in out.splitlines() if line.startswith(currency + " "))
        assert f"{m['ar_total']:,.2f}" in row


def test_aging_by_currency_needs_the_column(sample, tmp_path, capsys):
    sample.invoices.drop(columns="currency").to_csv(tmp_path / "invoices.csv", index=False)
    code = main(["aging", str(tmp_path / "invoices.csv"), "--by", "currency"])
    assert code == EXIT_ERROR
    assert "--by currency needs a 'currency' column" in capsys.readouterr().err


def test_format_amounts_groups_thousands_as_the_cell_by_cell_regex_did():
    # The Arrow grouping against the regex it replaced, on every size of amount up to
    # the widest it handles, and beyond it (the regex again).
    import numpy as np

    from arcalls._checks import format_amounts

    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.normal(0, 1e5, 2_000).round(2),
            10.0 ** np.arange(0, 18) - 0.01,
            [0.0, -0.001, 0.005, 999.995, -1_000_000.0, 1e19, np.nan, np.inf],
        ]
    )
    series = pd.Series(values, index=np.arange(len(values)) * 3)
    for currency in ("USD", None):
        plain = pd.Series(np.char.mod("%.2f", np.abs(np.nan_to_num(values))), index=series.index)
        plain = plain.str.replace(r"(\d)(?=(\d{3})+\.)", r"\1,", regex=True)
        sign = np.where((values < 0) & (plain != "0.00"), "-", "")
        text = (sign + "$" + plain) if currency is None else (currency + " " + sign + plain)
        expected = pd.Series(text, index=series.index).where(~np.isnan(values), "")
        pd.testing.assert_series_equal(format_amounts(series, currency), expected)
        pd.testing.assert_series_equal(
            format_amounts(series.iloc[:2_010], currency), expected.iloc[:2_010]
        )
    assert format_amounts(pd.Series([1234567.891]), "EUR").tolist() == ["EUR 1,234,567.89"]
