"""The report page, its command, and the charts it adds (plots/_report.py)."""

from __future__ import annotations

import base64
import html
import re

import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls import InputError
from arcalls.cli import main
from arcalls.errors import SchemaError
from arcalls.plots._report import (
    plot_broken_promise_rate_by_age,
    plot_calibration,
    plot_call_list,
    plot_ranking_drivers,
    plot_recovery_by_segment,
)
from arcalls.report import build_report, ranking_drivers

# ---------------------------------------------------------------------------- charts


def _segment_curve() -> pd.DataFrame:
    curve = pd.DataFrame(
        {
            "terms": ["Net 30"] * 3 + ["Net 15"] * 3,
            "days_past_due": [0, 90, 180] * 2,
            "recovery_rate": [0.85, 0.40, 0.20, 0.95, 0.70, np.nan],
        }
    )
    curve.attrs["by"] = ["terms"]
    curve.attrs["horizon_days"] = 365
    return curve


def test_segment_chart_draws_one_line_per_segment_with_its_rates():
    ax = plot_recovery_by_segment(_segment_curve())
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert sorted(lines) == ["Net 15", "Net 30"]
    np.testing.assert_allclose(lines["Net 30"].get_ydata(), [0.85, 0.40, 0.20])
    np.testing.assert_allclose(lines["Net 15"].get_ydata(), [0.95, 0.70, np.nan])
    # At 90 days: Net 15 0.70 is best, Net 30 0.40 worst.
    assert ax.get_title(loc="left") == (
        "At 90 days past due, Net 15 recovers 70% and Net 30 only 40%"
    )
    assert ax.get_ylabel() == "recovered within 365 days"


def test_segment_chart_refuses_a_single_curve():
    curve = _segment_curve().drop(columns="terms")
    curve.attrs = {}
    with pytest.raises(InputError, match="by='a column'"):
        plot_recovery_by_segment(curve)


def test_segment_chart_on_the_sample_matches_the_curve():
    s = arcalls.load_sample()
    curve = arcalls.recovery_curve(
        s.invoices, s.payments, as_of=arcalls.SAMPLE_AS_OF, by="terms", n_boot=0
    )
    ax = plot_recovery_by_segment(curve)
    for line in ax.get_lines():
        rows = curve[curve["terms"] == line.get_label()]
        np.testing.assert_array_equal(line.get_ydata(), rows["recovery_rate"].to_numpy())


def _rates_by_age() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age_bucket": ["120+", "1-30", "current", "61-90", "31-60"],
            "broken_rate": [0.5, 0.2, 0.1, np.nan, 0.3],
            "ci_low": [0.4, 0.1, 0.05, np.nan, 0.2],
            "ci_high": [0.6, 0.3, 0.2, np.nan, 0.4],
            "resolved": [10, 20, 30, 0, 15],
        }
    )


def test_age_chart_orders_buckets_by_age_and_skips_empty_ones():
    ax = plot_broken_promise_rate_by_age(_rates_by_age())
    # current, 1-30, 31-60, 120+ (61-90 has nothing resolved).
    assert [t.get_text() for t in ax.get_xticklabels()] == ["current", "1-30", "31-60", "120+"]
    assert [float(p.get_height()) for p in ax.patches] == [0.1, 0.2, 0.3, 0.5]
    assert ax.get_title(loc="left") == (
        "Promises on debt 120+ days past due break most: 50% (current days: 10%)"
    )


def test_age_chart_names_the_missing_column():
    with pytest.raises(SchemaError, match="age_bucket"):
        plot_broken_promise_rate_by_age(_rates_by_age().drop(columns="age_bucket"))


def test_calibration_chart_draws_predicted_against_observed():
    table = pd.DataFrame(
        {
            "accounts": [50, 150],
            "mean_predicted": [0.1, 0.5],
            "observed_rate": [0.2, 0.45],
        }
    )
    ax = plot_calibration(table)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.1, 0.5])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.2, 0.45])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0, 1])
    # (50 * 0.10 + 150 * 0.05) / 200 = 0.0625: 6 points.
    assert ax.get_title(loc="left") == "Predicted chances of payment are off by 6 points on average"


def test_drivers_chart_draws_the_mean_contributions_largest_on_top():
    drivers = pd.DataFrame(
        {"group": ["calls", "age", "balance"], "mean_contribution": [-0.3, 0.5, 0.2]}
    )
    ax = plot_ranking_drivers(drivers)
    assert [float(p.get_width()) for p in ax.patches] == [-0.3, 0.2, 0.5]
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "age of the debt"
    assert ax.get_title(loc="left") == "Age of the debt lifts these accounts most"


def test_drivers_chart_says_when_nothing_lifts():
    drivers = pd.DataFrame({"group": ["calls"], "mean_contribution": [-0.3]})
    title = plot_ranking_drivers(drivers).get_title(loc="left")
    assert title == "No reason lifts these accounts above an average account"


def _calls() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "customer_id": pd.array(["C1", "C2", "C3"], dtype="string"),
            "customer_name": pd.array(["Acme $ Sons", pd.NA, "Zed"], dtype="string"),
            "overdue_balance": [1000.0, 500.0, 300.0],
            "expected_dollars": [700.0, 250.0, 30.0],
        }
    )


def test_call_list_chart_draws_balances_and_expected_dollars_in_rank_order():
    ax = plot_call_list(_calls(), n=2)
    assert [float(p.get_width()) for p in ax.containers[0]] == [1000.0, 500.0]
    assert [float(p.get_width()) for p in ax.containers[1]] == [700.0, 250.0]
    # The first account on top; a missing name falls back to the id.
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == ["1. Acme $ Sons", "2. C2"]
    top_label = max(ax.get_yticklabels(), key=lambda t: t.get_position()[1]).get_text()
    assert top_label == "1. Acme $ Sons"
    # 700 + 250 = 950; "$" escaped so that matplotlib does not typeset math.
    assert ax.get_title(loc="left") == (
        r"Call Acme \$ Sons first: \$700 expected; the top 2 calls can bring in \$950"
    )


def test_call_list_chart_takes_a_call_list_result():
    class Result:
        calls = _calls()

    ax = plot_call_list(Result())
    assert len(ax.containers[1]) == 3


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_call_list_chart_refuses_a_bad_n(n):
    with pytest.raises(InputError, match="positive whole number"):
        plot_call_list(_calls(), n=n)


# ----------------------------------------------------------------- ranking_drivers


class _StubModel:
    """Stands in for a fitted model: contributions are fixed, hand-made numbers."""

    def contributions(self, snapshot):
        return pd.DataFrame(
            {"balance": [1.0, 2.0, 0.0], "age": [0.5, -0.5, 0.3], "calls": [-1.0, 0.0, -0.2]},
            index=snapshot.index,
        )


def test_ranking_drivers_averages_each_group_largest_first():
    snapshot = pd.DataFrame({"customer_id": ["a", "b", "c"]})
    drivers = ranking_drivers(_StubModel(), snapshot)
    # balance (1 + 2 + 0) / 3 = 1.0; age 0.3 / 3 = 0.1; calls -1.2 / 3 = -0.4.
    assert drivers["group"].tolist() == ["balance", "age", "calls"]
    np.testing.assert_allclose(drivers["mean_contribution"], [1.0, 0.1, -0.4])


def test_ranking_drivers_refuses_an_empty_snapshot():
    with pytest.raises(InputError, match="account_snapshots"):
        ranking_drivers(_StubModel(), pd.DataFrame({"customer_id": []}))


# ------------------------------------------------------------------------ the page

#: Every chart the report draws on the sample (which has calls and collectors).
SAMPLE_CHARTS = {
    "aging_buckets.png",
    "top_overdue.png",
    "dso_trend.png",
    "cei_trend.png",
    "recovery_curve.png",
    "handoff.png",
    "broken_by_month.png",
    "broken_by_collector.png",
    "broken_by_age.png",
    "outcome_funnel.png",
    "best_time_to_call.png",
    "call_list.png",
    "ranking_drivers.png",
    "backtest.png",
    "calibration.png",
}


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    # Three backtest weeks keep the test short; the page is otherwise the default one.
    code = main(["report", "--out", str(folder), "--backtest-weeks", "3", "--top", "10"])
    return code, folder


def test_report_command_writes_the_page_and_every_chart(sample_report):
    code, folder = sample_report
    assert code == 0
    assert (folder / "report.html").is_file()
    assert {p.name for p in folder.glob("*.png")} == SAMPLE_CHARTS


def test_the_page_embeds_every_image_and_names_every_chart(sample_report):
    _, folder = sample_report
    page = (folder / "report.html").read_text(encoding="utf-8")
    embedded = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', page)
    assert len(embedded) == len(SAMPLE_CHARTS)
    images = {base64.b64decode(data) for data, _ in embedded}
    assert images == {(folder / name).read_bytes() for name in SAMPLE_CHARTS}
    for name in SAMPLE_CHARTS:
        assert f"({name})</figcaption>" in page
    # No link to a file beside the page: it opens anywhere on its own.
    assert 'src="' not in page.replace('src="data:image/png;base64,', "")
    # Each caption is a finding, e.g. the aging chart's share of overdue dollars.
    assert re.search(r"<figcaption>\d+% of open receivables were past due on", page)
    # The handoff chart's title: a recommended age, or no clear age with its range.
    assert (
        "<figcaption>Hand accounts to an agency from " in page
        or "<figcaption>No clear handoff age: " in page
    )


def test_the_headline_figures_match_the_analyses(sample_report):
    _, folder = sample_report
    page = (folder / "report.html").read_text(encoding="utf-8")
    s = arcalls.load_sample()
    as_of = arcalls.SAMPLE_AS_OF
    m = arcalls.ar_metrics(s.invoices, s.payments, as_of=as_of).iloc[0]
    assert f"Open receivables on 31 Oct 2026: USD {m['ar_total']:,.0f}, of which " in page
    share = m["ar_overdue"] / m["ar_total"]
    assert f"USD {m['ar_overdue']:,.0f} ({share:.0%}) is past due (disputed included)" in page
    assert f"DSO {m['dso']:.0f} days (industry median 38)" in page
    handoff = arcalls.recommend_handoff(s.invoices, s.payments, s.customers, as_of=as_of)
    if handoff.handoff_age is not None:
        assert f"Hand accounts to a collection agency from {handoff.handoff_age} days" in page
    else:
        assert html.escape(f"No clear handoff age: {handoff.range_text}; ") in page
    assert "Broken-promise rate " in page and "Call first (expected dollars): " in page
    # The top of the call list: --top 10 rows in the table.
    table = re.search(r'<table[^>]*class="dataframe calls">(.*?)</table>', page, re.S).group(1)
    assert table.count("<tr") == 1 + 10  # the header and ten accounts


def test_the_page_escapes_text_from_the_data_and_works_without_calls(tmp_path):
    s = arcalls.load_sample()
    evil = '<script>alert("x")</script> & Co'
    top_id = "C0313"  # the sample's first account to call on its export date
    invoices = s.invoices.assign(
        customer_name=s.invoices["customer_name"].mask(s.invoices["customer_id"] == top_id, evil)
    )
    customers = s.customers.assign(
        customer_name=s.customers["customer_name"].mask(s.customers["customer_id"] == top_id, evil)
    )
    tables = arcalls.Tables(invoices, s.payments, None, customers)
    page = build_report(
        tables, as_of=arcalls.SAMPLE_AS_OF, out_dir=tmp_path, backtest_weeks=0
    ).read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert "No call log was given: the promise charts are left out." in page
    assert not list(tmp_path.glob("broken_by_*.png"))
    assert not (tmp_path / "backtest.png").exists()


def test_build_report_refuses_what_is_not_tables(tmp_path):
    with pytest.raises(InputError, match="arcalls.Tables"):
        build_report(pd.DataFrame(), as_of="2026-10-31", out_dir=tmp_path)


@pytest.mark.parametrize(("option", "value"), [("top", 0), ("backtest_weeks", -1)])
def test_build_report_refuses_bad_counts(tmp_path, option, value):
    with pytest.raises(InputError, match=option):
        build_report(arcalls.load_sample(), as_of="2026-10-31", out_dir=tmp_path, **{option: value})


# ------------------------------------------- the page is always produced (#16.4, #17.6)


def _not_computed(page: str) -> str:
    block = re.search(r'<div class="missing">(.*?)</div>', page, re.S)
    return "" if block is None else block.group(1)


def test_the_report_is_produced_when_the_model_cannot_train(ibm_ar_path, tmp_path, capsys):
    # As of 2013-12-31 every overdue IBM account of the training weeks paid in time.
    code = main(
        [
            "report",
            str(ibm_ar_path),
            "--preset",
            "ibm_ar",
            "--as-of",
            "2013-12-31",
            "--out",
            str(tmp_path),
            "--backtest-weeks",
            "0",
        ]
    )
    assert code == 0, capsys.readouterr().err
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    missing = _not_computed(page)
    assert (
        "The call-priority model" in missing and "Cannot train the call-priority model" in missing
    )
    # The call list falls back to largest overdue first, as arcalls call-list does.
    inv = arcalls.load_invoices(ibm_ar_path, preset="ibm_ar")
    week = arcalls.call_list(inv, as_of="2013-12-31")
    assert week.ranking_note is not None
    assert html_escape(week.describe()) in page
    assert "ranking_drivers.png" not in page


def html_escape(text: str) -> str:
    import html

    return html.escape(text)


def test_the_report_of_a_book_of_two_invoices(tmp_path):
    s = arcalls.load_sample()
    tables = arcalls.Tables(s.invoices.head(2), None, None, None)
    page = build_report(tables, as_of="2024-11-01", out_dir=tmp_path).read_text(encoding="utf-8")
    missing = _not_computed(page)
    assert "The call-priority model" in missing
    assert "The backtest" in missing


def _first_customers(n: int) -> arcalls.Tables:
    s = arcalls.load_sample()
    keep = s.invoices["customer_id"].drop_duplicates().head(n)
    inv = s.invoices[s.invoices["customer_id"].isin(keep)]
    return arcalls.Tables(
        inv,
        s.payments[s.payments["invoice_id"].isin(inv["invoice_id"])],
        s.calls[s.calls["customer_id"].isin(keep)],
        s.customers[s.customers["customer_id"].isin(keep)],
    )


def test_a_broken_promise_rate_of_zero_draws(tmp_path):
    # Cut to 80 customers, one age bucket has 0 of 5 promises broken: its Wilson lower
    # bound is a rounding error above 0, which matplotlib refused as a negative error bar.
    tables = _first_customers(80)
    outcomes = arcalls.promise_outcomes(
        tables.calls, tables.payments, tables.invoices, as_of=arcalls.SAMPLE_AS_OF
    )
    rates = arcalls.broken_promise_rate(outcomes, by="age_bucket")
    assert ((rates["broken_rate"] == 0) & (rates["resolved"] > 0)).any()
    build_report(tables, as_of=arcalls.SAMPLE_AS_OF, out_dir=tmp_path, backtest_weeks=0)
    assert (tmp_path / "broken_by_age.png").is_file()


def test_the_age_chart_draws_a_lower_bound_above_a_zero_rate():
    rates = pd.DataFrame(
        {
            "age_bucket": ["1-30", "31-60"],
            "broken_rate": [0.0, 0.5],
            "ci_low": [2.8e-17, 0.3],
            "ci_high": [0.4, 0.7],
            "resolved": [5, 10],
        }
    )
    ax = plot_broken_promise_rate_by_age(rates)
    assert [float(p.get_height()) for p in ax.patches] == [0.0, 0.5]


def test_without_names_the_call_table_shows_the_customer_id(tmp_path):
    s = arcalls.load_sample()
    tables = arcalls.Tables(s.invoices.drop(columns="customer_name"), s.payments, None, None)
    page = build_report(
        tables, as_of=arcalls.SAMPLE_AS_OF, out_dir=tmp_path, backtest_weeks=0, top=5
    ).read_text(encoding="utf-8")
    table = re.search(r'<table[^>]*class="dataframe calls">(.*?)</table>', page, re.S).group(1)
    assert "&lt;NA&gt;" not in table and "<NA>" not in table
    week = arcalls.call_list(*tables, as_of=arcalls.SAMPLE_AS_OF)
    for cid in week.calls["customer_id"].head(5):
        assert f"<td>{cid}</td>" in table
    assert "The files have no customer names: customers are shown by their id." in page


def test_the_headline_shows_the_books_currency(sample_report):
    _, folder = sample_report
    page = (folder / "report.html").read_text(encoding="utf-8")
    s = arcalls.load_sample()
    m = arcalls.ar_metrics(s.invoices, s.payments, as_of=arcalls.SAMPLE_AS_OF).iloc[0]
    assert f"Open receivables on 31 Oct 2026: USD {m['ar_total']:,.0f}, of which " in page


def test_a_collector_with_no_broken_promise_draws(tmp_path, monkeypatch):
    # The collector chart gets the same rounding-error lower bound above a rate of 0.
    from arcalls import promises

    real = promises.broken_promise_rate

    def lower_bound_above_zero(outcomes, by=None, **kw):
        rates = real(outcomes, by=by, **kw)
        if by == "collector":
            rates = rates.assign(broken_rate=0.0, ci_low=2.8e-17)
        return rates

    monkeypatch.setattr(promises, "broken_promise_rate", lower_bound_above_zero)
    build_report(
        arcalls.load_sample(), as_of=arcalls.SAMPLE_AS_OF, out_dir=tmp_path, backtest_weeks=0
    )
    assert (tmp_path / "broken_by_collector.png").is_file()


def test_the_call_list_chart_names_the_lists_currency():
    s = arcalls.load_sample()
    eur = s._replace(invoices=s.invoices.assign(currency="EUR"))
    week = arcalls.call_list(*eur, as_of=arcalls.SAMPLE_AS_OF, top=3)
    ax = plot_call_list(week)
    first = week.calls["expected_dollars"].iloc[0]
    from arcalls.plots._style import format_money

    assert f"first: {format_money(first, 'EUR ')} expected" in ax.get_title(loc="left")
    assert "$" not in ax.get_title(loc="left")
