"""Tests of arcalls.aging: buckets, aging table, DSO, BPDSO, ADD, CEI, trend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arcalls
from arcalls.aging import (
    DEFAULT_BUCKETS,
    INDUSTRY_ADD_RANGE,
    INDUSTRY_MEDIAN_CEI,
    INDUSTRY_MEDIAN_DSO,
    METRIC_COLUMNS,
    aging,
    ar_metrics,
    ar_trend,
    average_days_delinquent,
    best_possible_dso,
    bucket_labels,
    cei,
    days_past_due,
    dso,
)
from arcalls.errors import InputError, SchemaError
from arcalls.ledger import invoice_balances
from arcalls.schema import INVOICES, PAYMENTS, dtype_of

AS_OF = pd.Timestamp("2025-06-30")
LABELS = ["current", "1-30", "31-60", "61-90", "91-120", "120+"]


def _invoices(rows: list[tuple], extra: dict | None = None) -> pd.DataFrame:
    """Canonical invoices from (id, customer, invoice_date, due_date, amount) tuples."""
    frame = pd.DataFrame(
        rows, columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount"]
    )
    for name, values in (extra or {}).items():
        frame[name] = values
    dtypes = {c.name: dtype_of(c.kind) for c in INVOICES.columns if c.name in frame}
    return frame.astype(dtypes)


def _payments(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["payment_id", "invoice_id", "payment_date", "amount"])
    return frame.astype({c.name: dtype_of(c.kind) for c in PAYMENTS.columns if c.name in frame})


@pytest.fixture
def ledger():
    """A small ledger whose aging on 2025-06-30 is worked out by hand below.

    id   cust  issued      due         amount  days past due on 30 Jun   open
    I1   A     2025-06-01  2025-06-30  100.00    0 current              100.00
    I2   A     2025-05-01  2025-05-31  200.00   30 1-30  (50 paid 6/15) 150.00
    I3   A     2025-04-01  2025-05-01  300.00   60 31-60 (disputed)     300.00
    I4   B     2025-03-01  2025-03-31  400.00   91 91-120 (paid 7/5: after as-of) 400.00
    I5   B     2025-01-01  2025-01-31  500.00  150 written off 6/1: not open
    I6   B     2025-04-15  2025-05-15  -50.00   46 31-60 (credit note)  -50.00
    I7   C     2025-02-01  2025-02-28   70.00  122 paid 6/29: closed
    I8   C     2025-07-01  2025-07-31   90.00  issued after as-of: absent
    I9   C     2025-03-02  2025-04-01   80.25   90 61-90                 80.25
    I10  C     2024-12-01  2024-12-31   60.00  181 120+                  60.00
    """
    inv = _invoices(
        [
            ("I1", "A", "2025-06-01", "2025-06-30", 100.00),
            ("I2", "A", "2025-05-01", "2025-05-31", 200.00),
            ("I3", "A", "2025-04-01", "2025-05-01", 300.00),
            ("I4", "B", "2025-03-01", "2025-03-31", 400.00),
            ("I5", "B", "2025-01-01", "2025-01-31", 500.00),
            ("I6", "B", "2025-04-15", "2025-05-15", -50.00),
            ("I7", "C", "2025-02-01", "2025-02-28", 70.00),
            ("I8", "C", "2025-07-01", "2025-07-31", 90.00),
            ("I9", "C", "2025-03-02", "2025-04-01", 80.25),
            ("I10", "C", "2024-12-01", "2024-12-31", 60.00),
        ],
        extra={
            "disputed": [False, False, True] + [False] * 7,
            "written_off_date": [None] * 4 + ["2025-06-01"] + [None] * 5,
            "customer_name": ["Acme"] * 3 + ["Beta"] * 3 + [None] * 4,
        },
    )
    pays = _payments(
        [
            ("P1", "I2", "2025-06-15", 50.00),
            ("P2", "I4", "2025-07-05", 400.00),
            ("P3", "I7", "2025-06-29", 70.00),
        ]
    )
    return inv, pays


# ------------------------------------------------------------------- buckets


def test_bucket_labels_default_and_custom():
    assert bucket_labels() == LABELS
    assert bucket_labels((0, 45)) == ["current", "1-45", "45+"]
    assert bucket_labels((-7, 0)) == ["<=-7", "-6-0", "0+"]


@pytest.mark.parametrize(
    ("due", "bucket"),
    [
        ("2025-07-05", "current"),  # not yet due
        ("2025-06-30", "current"),  # due today is Current, not 1-30 (DESIGN.md)
        ("2025-06-29", "1-30"),  # 1 day
        ("2025-05-31", "1-30"),  # 30 days
        ("2025-05-30", "31-60"),  # 31 days
        ("2025-03-02", "91-120"),  # 120 days
        ("2025-03-01", "120+"),  # 121 days
    ],
)
def test_bucket_edges_are_inclusive_upper_bounds(due, bucket):
    inv = _invoices([("X", "A", "2024-12-01", due, 10.0)])
    row = aging(inv, as_of=AS_OF).iloc[0]
    assert row[bucket] == 10.0
    assert row[LABELS].sum() == 10.0


def test_days_past_due_is_plain_date_arithmetic(ledger):
    inv, _ = ledger
    dpd = days_past_due(inv, as_of=AS_OF)
    assert dpd.name == "days_past_due"
    assert dpd.dtype == "int64"
    # I1 due today, I2 30 days, I3 60, I4 91, I8 due 31 Jul: -31.
    assert dpd.iloc[[0, 1, 2, 3, 7]].tolist() == [0, 30, 60, 91, -31]


# ---------------------------------------------------------------------- aging


def test_aging_by_customer_matches_hand_computation(ledger):
    inv, pays = ledger
    table = aging(inv, pays, as_of=AS_OF)
    # Sorted by overdue dollars: A 450, B 350, C 140.25.
    assert table.index.tolist() == ["A", "B", "C"]
    assert table.index.name == "customer_id"
    assert list(table.columns) == [
        "customer_name",
        *LABELS,
        "total",
        "overdue",
        "disputed",
        "open_invoices",
        "overdue_invoices",
    ]
    expected = pd.DataFrame(
        {
            "current": [100.0, 0.0, 0.0],
            "1-30": [150.0, 0.0, 0.0],
            "31-60": [300.0, -50.0, 0.0],  # B's credit note sits in its due date's bucket
            "61-90": [0.0, 0.0, 80.25],
            "91-120": [0.0, 400.0, 0.0],
            "120+": [0.0, 0.0, 60.0],
            "total": [550.0, 350.0, 140.25],
            "overdue": [450.0, 350.0, 140.25],
            "disputed": [300.0, 0.0, 0.0],  # inside A's 31-60 and total, not removed
            "open_invoices": [3, 2, 2],
            "overdue_invoices": [2, 2, 2],
        },
        index=pd.Index(["A", "B", "C"], name="customer_id", dtype=dtype_of("id")),
    )
    pd.testing.assert_frame_equal(table.drop(columns="customer_name"), expected)
    assert table["customer_name"].tolist()[:2] == ["Acme", "Beta"]
    assert pd.isna(table["customer_name"].iloc[2])


def test_aging_total_row(ledger):
    inv, pays = ledger
    total = aging(inv, pays, as_of=AS_OF, by=None)
    assert total.index.tolist() == ["total"]
    row = total.iloc[0]
    # 100 + 150 + (300 - 50) + 80.25 + 400 + 60 = 1040.25
    assert row[LABELS].tolist() == [100.0, 150.0, 250.0, 80.25, 400.0, 60.0]
    assert row["total"] == 1040.25
    assert row["overdue"] == 940.25
    assert row["open_invoices"] == 7


def test_aging_total_equals_ledger_open_total(ledger):
    inv, pays = ledger
    bal = invoice_balances(inv, pays, as_of=AS_OF)
    assert aging(inv, pays, as_of=AS_OF)["total"].sum() == pytest.approx(
        bal["open_amount"].sum(), abs=0.005
    )


def test_payment_after_as_of_is_unknown_and_writeoff_counts_from_its_date(ledger):
    inv, pays = ledger
    # On 2025-07-05 I4 is paid; on 2025-05-31 I5 is not yet written off (500, 120 dpd).
    later = aging(inv, pays, as_of="2025-07-05")
    assert "B" in later.index and later.loc["B", "91-120"] == 0.0
    earlier = aging(inv, pays, as_of="2025-05-31")
    assert earlier.loc["B", "91-120"] == 500.0  # 31 Jan -> 31 May = 120 days


def test_aging_does_not_mutate_inputs(ledger):
    inv, pays = ledger
    before_inv, before_pays = inv.copy(), pays.copy()
    aging(inv, pays, as_of=AS_OF)
    ar_metrics(inv, pays, as_of=AS_OF)
    pd.testing.assert_frame_equal(inv, before_inv)
    pd.testing.assert_frame_equal(pays, before_pays)


def test_aging_custom_buckets(ledger):
    inv, pays = ledger
    table = aging(inv, pays, as_of=AS_OF, buckets=(0, 60), by=None)
    # current 100; 1-60: 150 + 300 - 50 = 400; 60+: 80.25 + 400 + 60 = 540.25
    assert table.iloc[0][["current", "1-60", "60+"]].tolist() == [100.0, 400.0, 540.25]


def test_aging_by_another_column(ledger):
    inv, pays = ledger
    table = aging(inv.assign(region=["N"] * 5 + ["S"] * 5), pays, as_of=AS_OF, by="region")
    # N: I1-I4 open (I5 written off): 100 + 150 + 300 + 400 = 950; S: -50 + 80.25 + 60
    assert table["total"].to_dict() == {"N": 950.0, "S": 90.25}
    assert "customer_name" not in table


def test_aging_keeps_dollars_of_a_blank_group(ledger):
    inv, pays = ledger
    region = pd.array(["N"] * 5 + [None] * 5, dtype="string")
    table = aging(inv.assign(region=region), pays, as_of=AS_OF, by="region")
    # The S invoices of the test above, now without a region, still count: 90.25.
    assert table["total"].sum() == pytest.approx(1040.25, abs=0.005)
    assert table.loc[table.index.isna(), "total"].item() == 90.25


def test_aging_payments_from_the_invoices_own_settlement(ledger):
    inv, pays = ledger
    # The same money as settlement columns: I2 50 paid, I4 paid after, I7 paid.
    own = inv.assign(
        paid_date=pd.to_datetime(
            [None, "2025-06-15", None, "2025-07-05"] + [None] * 2 + ["2025-06-29"] + [None] * 3
        ),
        amount_paid=[np.nan, 50.0, np.nan, 400.0, np.nan, np.nan, 70.0] + [np.nan] * 3,
    )
    pd.testing.assert_frame_equal(aging(own, as_of=AS_OF), aging(inv, pays, as_of=AS_OF))


def test_aging_with_nothing_open_is_empty_or_zero():
    inv = _invoices([("X", "A", "2025-01-01", "2025-01-31", 10.0)])
    pays = _payments([("P", "X", "2025-02-01", 10.0)])
    assert aging(inv, pays, as_of=AS_OF).empty
    total = aging(inv, pays, as_of=AS_OF, by=None)
    assert total.loc["total", "total"] == 0.0
    assert total.loc["total", "open_invoices"] == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # customer
            st.integers(-400, 0),  # issued, days from as-of
            st.integers(0, 90),  # terms
            st.integers(-50_000, 500_000),  # amount in cents (credits too)
            st.integers(-400, 60),  # paid, days from as-of (after as-of: unknown)
            st.integers(0, 100),  # percent paid
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([DEFAULT_BUCKETS, (0, 45), (-10, 0, 200)]),
)
def test_sum_of_buckets_equals_ledger_open_total(rows, buckets):
    ids = [f"I{i}" for i in range(len(rows))]
    issued = [AS_OF + pd.Timedelta(days=r[1]) for r in rows]
    inv = _invoices(
        [
            (ids[i], f"C{r[0]}", issued[i], issued[i] + pd.Timedelta(days=r[2]), r[3] / 100)
            for i, r in enumerate(rows)
        ]
    )
    pays = _payments(
        [
            (f"P{i}", ids[i], AS_OF + pd.Timedelta(days=r[4]), round(r[3] / 100 * r[5] / 100, 2))
            for i, r in enumerate(rows)
        ]
    )
    table = aging(inv, pays, as_of=AS_OF, buckets=buckets)
    labels = bucket_labels(buckets)
    ledger_total = round(invoice_balances(inv, pays, as_of=AS_OF)["open_amount"].sum(), 2)
    assert round(table[labels].to_numpy().sum(), 2) == pytest.approx(ledger_total, abs=0.005)
    assert round(table["total"].sum(), 2) == pytest.approx(ledger_total, abs=0.005)
    # Each row's total is its buckets' sum, to the cent.
    np.testing.assert_allclose(table[labels].sum(axis=1), table["total"], atol=0.005)
    total_row = aging(inv, pays, as_of=AS_OF, buckets=buckets, by=None)
    assert total_row["total"].item() == pytest.approx(ledger_total, abs=0.005)


# -------------------------------------------------------------------- metrics
#
# Period (2025-04-01, 2025-06-30], 90 days. Credit sales = invoices issued in it:
# I1 100 + I2 200 + I6 -50 = 250 (I3, issued on 1 April itself, is outside).
# Ending AR 1040.25 (aging above), current 100, overdue 940.25.


def test_standard_dso_bpdso_add(ledger):
    inv, pays = ledger
    assert dso(inv, pays, as_of=AS_OF) == pytest.approx(1040.25 / 250 * 90)  # 374.49
    assert best_possible_dso(inv, pays, as_of=AS_OF) == pytest.approx(100 / 250 * 90)  # 36
    assert average_days_delinquent(inv, pays, as_of=AS_OF) == pytest.approx(940.25 / 250 * 90)


def test_countback_dso_by_hand(ledger):
    inv, pays = ledger
    # Month-long periods back from 30 Jun, AR 1040.25 to use up:
    # (31 May, 30 Jun] 30 days sales 100     -> 100 used
    # (30 Apr, 31 May] 31 days sales 200     -> 300
    # (30 Mar, 30 Apr] 31 days 300 - 50      -> 550
    # (28 Feb, 30 Mar] 30 days 400 + 80.25   -> 1030.25
    # (30 Jan, 28 Feb] 29 days sales 70      -> 10.00 of 70 needed: 10/70 * 29
    expected = 30 + 31 + 31 + 30 + 10 / 70 * 29  # 126.142857...
    assert dso(inv, pays, as_of=AS_OF, method="countback") == pytest.approx(expected)


def test_countback_matches_a_plain_loop_on_random_ledgers():
    rng = np.random.default_rng(7)
    n = 300
    issued = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 540, n), unit="D")
    inv = _invoices(
        [
            (f"I{i}", "A", issued[i], issued[i] + pd.Timedelta(days=30), float(a))
            for i, a in enumerate(np.round(rng.uniform(10, 1000, n), 2))
        ]
    )
    paid = issued + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    pays = _payments([(f"P{i}", f"I{i}", paid[i], inv["amount"].iloc[i]) for i in range(n)])
    for as_of in ["2024-09-30", "2025-03-15", "2025-06-30"]:
        stamp = pd.Timestamp(as_of)
        remaining = invoice_balances(inv, pays, as_of=stamp)["open_amount"].sum()
        days, k = 0.0, 1
        while True:  # the textbook walk, one month at a time
            hi = stamp - pd.DateOffset(months=k - 1)
            lo = stamp - pd.DateOffset(months=k)
            sold = inv.loc[(inv["invoice_date"] > lo) & (inv["invoice_date"] <= hi), "amount"].sum()
            span = (hi - lo).days
            if sold >= remaining:
                days += remaining / sold * span
                break
            remaining -= sold
            days += span
            k += 1
        assert dso(inv, pays, as_of=stamp, method="countback") == pytest.approx(days)


def test_cei_by_hand(ledger):
    inv, pays = ledger
    # Begin AR on 1 Apr: I3 300, I4 400, I5 500 (written off only on 1 Jun), I7 70,
    # I9 80.25, I10 60 = 1410.25; nothing paid by then.
    # CEI = (1410.25 + 250 - 1040.25) / (1410.25 + 250 - 100) * 100 = 620 / 1560.25 * 100
    expected = 620 / 1560.25 * 100  # 39.737...
    assert cei(inv, pays, start="2025-04-01", end=AS_OF) == pytest.approx(expected)
    assert ar_metrics(inv, pays, as_of=AS_OF)["cei"].item() == pytest.approx(expected)


def test_metrics_are_nan_without_sales(ledger):
    inv, pays = ledger
    # Nothing issued in the 10 days to 2025-03-31, and nothing collectable by then.
    assert np.isnan(dso(inv, pays, as_of="2025-03-31", period_days=10))
    assert np.isnan(best_possible_dso(inv, pays, as_of="2025-03-31", period_days=10))
    single = _invoices([("X", "A", "2025-06-01", "2025-07-01", 10.0)])
    assert np.isnan(cei(single, start="2025-06-01", end="2025-06-10"))  # 0 / 0
    assert dso(single, as_of="2025-05-31", method="countback") == 0.0  # nothing open


def test_ar_metrics_one_row(ledger):
    inv, pays = ledger
    m = ar_metrics(inv, pays, as_of=AS_OF)
    assert m.index.tolist() == [AS_OF]
    assert list(m.columns) == [*METRIC_COLUMNS, *LABELS]
    row = m.iloc[0]
    assert row["ar_total"] == 1040.25
    assert row["ar_current"] == 100.0
    assert row["ar_overdue"] == 940.25
    assert row["ar_disputed"] == 300.0
    assert row["credit_sales"] == 250.0
    assert row["add"] == pytest.approx(row["dso"] - row["bpdso"])
    assert row[LABELS].sum() == pytest.approx(row["ar_total"], abs=0.005)


def test_ar_trend_rows_equal_point_in_time_metrics(ledger):
    inv, pays = ledger
    trend = ar_trend(inv, pays, start="2025-03-01", end="2025-07-31")
    assert trend.index.tolist() == list(pd.date_range("2025-03-31", "2025-07-31", freq="ME"))
    for stamp in trend.index:
        pd.testing.assert_frame_equal(
            trend.loc[[stamp]], ar_metrics(inv, pays, as_of=stamp), check_freq=False
        )
    np.testing.assert_allclose(trend[LABELS].sum(axis=1), trend["ar_total"], atol=0.005)


def test_ar_trend_default_range_covers_the_data(ledger):
    inv, pays = ledger
    trend = ar_trend(inv, pays)
    # First invoice 2024-12-01, latest date 2025-07-05 (P2): month ends Dec .. Jun.
    assert trend.index[0] == pd.Timestamp("2024-12-31")
    assert trend.index[-1] == pd.Timestamp("2025-06-30")


def test_industry_constants():
    assert INDUSTRY_MEDIAN_CEI == 85.0
    assert INDUSTRY_MEDIAN_DSO == 38.0
    assert INDUSTRY_ADD_RANGE == (3.0, 6.0)


# --------------------------------------------------------------------- errors


def test_missing_column_is_named(ledger):
    inv, _ = ledger
    with pytest.raises(SchemaError, match=r"invoices lacks column\(s\) \['due_date'\]"):
        aging(inv.drop(columns="due_date"), as_of=AS_OF)


def test_text_dates_are_refused_with_the_fix(ledger):
    inv, _ = ledger
    with pytest.raises(SchemaError, match="must hold dates.*pd.to_datetime"):
        aging(inv.assign(due_date=inv["due_date"].astype(str)), as_of=AS_OF)


def test_missing_values_in_required_columns(ledger):
    inv, _ = ledger
    with pytest.raises(InputError, match="'amount' has 1 missing"):
        aging(inv.assign(amount=[np.nan] + [1.0] * 9), as_of=AS_OF)


@pytest.mark.parametrize("buckets", [(), (30, 0), (0, 30.5), "0,30", (0, 0)])
def test_bad_buckets(ledger, buckets):
    inv, _ = ledger
    with pytest.raises(InputError, match="buckets must be a non-empty tuple of increasing"):
        aging(inv, as_of=AS_OF, buckets=buckets)


def test_bad_by_and_as_of_and_method(ledger):
    inv, _ = ledger
    with pytest.raises(InputError, match="by must be an invoices column or None, got 'region'"):
        aging(inv, as_of=AS_OF, by="region")
    with pytest.raises(InputError, match="as_of must be a date"):
        aging(inv, as_of="last tuesday")
    with pytest.raises(InputError, match="method must be one of"):
        dso(inv, as_of=AS_OF, method="average")
    with pytest.raises(InputError, match="period_days must be a positive whole number"):
        ar_metrics(inv, as_of=AS_OF, period_days=0)
    with pytest.raises(InputError, match="start must be before end"):
        cei(inv, start=AS_OF, end="2025-01-01")
    with pytest.raises(InputError, match="freq must be a pandas frequency"):
        ar_trend(inv, freq="fortnightly")


def test_mixed_currencies_are_refused(ledger):
    inv, pays = ledger
    mixed = inv.assign(currency=pd.array(["USD"] * 9 + ["EUR"], dtype="string"))
    fix = r"2 currencies \(USD: 9 invoices, EUR: 1 invoice\).*--currency USD"
    with pytest.raises(InputError, match=fix):
        aging(mixed, pays, as_of=AS_OF)


def test_not_a_frame():
    with pytest.raises(InputError, match="invoices must be a pandas DataFrame, got list"):
        aging([], as_of=AS_OF)


# ------------------------------------------------------------------ IBM sample


def _ibm_invoices(path) -> pd.DataFrame:
    """The IBM file as canonical invoices, through the public loader's preset."""
    return arcalls.load_invoices(path, preset="ibm_ar")


IBM_AS_OF = pd.Timestamp("2013-06-30")


def test_ibm_aging_matches_a_direct_computation(ibm_ar_path):
    raw = pd.read_csv(ibm_ar_path)
    issued = pd.to_datetime(raw["InvoiceDate"], format="%m/%d/%Y")
    due = pd.to_datetime(raw["DueDate"], format="%m/%d/%Y")
    settled = pd.to_datetime(raw["SettledDate"], format="%m/%d/%Y")
    open_ = raw[(issued <= IBM_AS_OF) & (settled > IBM_AS_OF)]
    dpd = (IBM_AS_OF - due[open_.index]).dt.days
    direct = (
        open_["InvoiceAmount"]
        .groupby(pd.cut(dpd, [-np.inf, 0, 30, 60, 90, 120, np.inf], labels=LABELS), observed=False)
        .sum()
    )

    table = aging(_ibm_invoices(ibm_ar_path), as_of=IBM_AS_OF)
    np.testing.assert_allclose(table[LABELS].sum().to_numpy(), direct.to_numpy(), atol=0.005)
    assert table["open_invoices"].sum() == len(open_)
    assert table["overdue_invoices"].sum() == int((dpd > 0).sum())
    # Hand-checked literals (the direct computation above, run once and pinned; the IBM
    # terms are 30 days and nothing settles more than 45 days late, so only Current and
    # 1-30 can hold money): 84 open invoices, 12 of them overdue.
    assert table[LABELS].sum().round(2).tolist() == [4284.29, 835.56, 0.0, 0.0, 0.0, 0.0]
    assert table["total"].sum() == pytest.approx(5119.85, abs=0.005)
    assert table["disputed"].sum() == pytest.approx(1806.84, abs=0.005)
    assert table["open_invoices"].sum() == 84
    assert len(table) == 52  # customers with an open invoice


def test_ibm_dso_matches_a_direct_computation(ibm_ar_path):
    raw = pd.read_csv(ibm_ar_path)
    issued = pd.to_datetime(raw["InvoiceDate"], format="%m/%d/%Y")
    settled = pd.to_datetime(raw["SettledDate"], format="%m/%d/%Y")
    due = pd.to_datetime(raw["DueDate"], format="%m/%d/%Y")
    start = IBM_AS_OF - pd.Timedelta(days=90)  # 2013-04-01
    sales = raw.loc[(issued > start) & (issued <= IBM_AS_OF), "InvoiceAmount"].sum()
    is_open = (issued <= IBM_AS_OF) & (settled > IBM_AS_OF)
    ending = raw.loc[is_open, "InvoiceAmount"].sum()
    current = raw.loc[is_open & (due >= IBM_AS_OF), "InvoiceAmount"].sum()
    was_open = (issued <= start) & (settled > start)
    begin = raw.loc[was_open, "InvoiceAmount"].sum()

    m = ar_metrics(_ibm_invoices(ibm_ar_path), as_of=IBM_AS_OF).iloc[0]
    assert m["credit_sales"] == pytest.approx(sales, abs=0.005)
    assert m["dso"] == pytest.approx(ending / sales * 90)
    assert m["bpdso"] == pytest.approx(current / sales * 90)
    assert m["cei"] == pytest.approx((begin + sales - ending) / (begin + sales - current) * 100)
    # Pinned: sales 19,903.70; DSO 5119.85 / 19903.70 * 90 = 23.15 days;
    # BPDSO 4284.29 / 19903.70 * 90 = 19.37; ADD 3.78 days (inside the 3-6 median).
    assert m["credit_sales"] == pytest.approx(19903.70, abs=0.005)
    assert m["dso"] == pytest.approx(23.1508, abs=1e-4)
    assert m["bpdso"] == pytest.approx(19.3726, abs=1e-4)
    assert m["add"] == pytest.approx(3.7782, abs=1e-4)


def test_ibm_trend_is_quick_and_consistent(ibm_ar_path):
    inv = _ibm_invoices(ibm_ar_path)
    trend = ar_trend(inv, start="2012-01-01", end="2013-12-31")
    assert len(trend) == 24
    assert trend.loc[IBM_AS_OF, "ar_total"] == pytest.approx(5119.85, abs=0.005)
    np.testing.assert_allclose(trend[LABELS].sum(axis=1), trend["ar_total"], atol=0.005)


# ------------------------------------------------------------------------ CLI


def test_cli_on_the_sample(capsys):
    from arcalls.cli import main

    assert main(["aging", "--as-of", "2026-06-30", "--top", "3"]) == 0
    out = capsys.readouterr().out
    s = arcalls.load_sample()
    table = aging(s.invoices, s.payments, as_of="2026-06-30")
    m = ar_metrics(s.invoices, s.payments, as_of="2026-06-30").iloc[0]
    assert "Aging of open receivables as of 2026-06-30" in out
    # The three most overdue customers are listed, then a TOTAL of the whole table.
    for customer in table.index[:3]:
        assert customer in out
    assert table.index[3] not in out
    assert "TOTAL" in out and f"{table['total'].sum():,.2f}" in out
    assert f"({len(table) - 3} more customers not shown: --top 0 or --out)" in out
    assert f"Open A/R USD {m['ar_total']:,.2f}" in out
    assert f"DSO {m['dso']:.1f} days (count-back {m['dso_countback']:.1f})" in out
    assert f"ADD {m['add']:.1f}, CEI {m['cei']:.1f}" in out


def test_cli_on_the_ibm_file_writes_the_csv(ibm_ar_path, tmp_path, capsys):
    from arcalls.cli import main

    target = tmp_path / "aging.csv"
    code = main(
        [
            "aging",
            str(ibm_ar_path),
            "--preset",
            "ibm_ar",
            "--as-of",
            "2013-06-30",
            "--by",
            "total",
            "--out",
            str(target),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Open A/R $5,119.85, overdue $835.56 (16%; every open dollar past due, " in out
    assert "disputed included), disputed $1,806.84." in out
    written = pd.read_csv(target)
    assert written.columns[0] == "scope"
    assert written.loc[0, "total"] == 5119.85
    assert written.loc[0, "open_invoices"] == 84


def test_cli_on_hand_made_files(ledger, tmp_path, capsys):
    from arcalls.cli import main

    inv, pays = ledger
    inv.to_csv(tmp_path / "invoices.csv", index=False, date_format="%Y-%m-%d")
    pays.to_csv(tmp_path / "payments.csv", index=False, date_format="%Y-%m-%d")
    target = tmp_path / "out.csv"
    assert main(["aging", str(tmp_path), "--as-of", "2025-06-30", "--out", str(target)]) == 0
    out = capsys.readouterr().out
    assert "1,040.25" in out  # the TOTAL worked out by hand above
    written = pd.read_csv(target, dtype={"customer_id": str})
    assert written["customer_id"].tolist() == ["A", "B", "C"]
    assert written["total"].tolist() == [550.0, 350.0, 140.25]


def test_cli_bad_top_is_a_one_line_error(capsys):
    from arcalls.cli import main

    assert main(["aging", "--top", "-1"]) == 2
    assert "--top must be 0 (all) or a number of customers, got -1" in capsys.readouterr().err


def test_cli_prints_a_screenful_by_default_and_all_with_top_0(capsys):
    from arcalls.cli import main
    from arcalls.cli._cmd_aging import DEFAULT_TOP

    assert main(["aging"]) == 0
    out = capsys.readouterr().out
    assert "more customers not shown" in out
    assert main(["aging", "--top", "0"]) == 0
    everything = capsys.readouterr().out
    assert "not shown" not in everything
    assert everything.count("\n") > out.count("\n") > DEFAULT_TOP
