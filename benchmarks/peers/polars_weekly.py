"""Peer: the weekly call list with polars (lazy API), as an analyst would write it.

    python benchmarks/peers/polars_weekly.py FOLDER --out call_list.csv [--as-of 2026-10-31]

The same job as ``pandas_weekly.py`` (see its docstring): open and overdue balances as
of the date, the must-not-call exclusions, a logistic regression (scikit-learn) on 26
weekly snapshots with a 30-day paid label, the callable accounts sorted by
p * overdue balance, and ``<out>_excluded.csv``. Every table is a lazy scan; the 26
training snapshots are built as one lazy plan and collected together. It does not
import arcalls.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

RIGHT_PARTY = ["contact", "promise", "dispute", "refused", "claims_paid", "callback", "plan"]
COOLDOWN_DAYS, MAX_ATTEMPTS_7D, GRACE_DAYS, PROMISE_DAYS = 3, 7, 3, 7
HORIZON_DAYS, TRAIN_WEEKS, NEVER = 30, 26, 9999
FEATURES = [
    "overdue_balance",
    "oldest_days_past_due",
    "share_paid_late",
    "days_since_last_payment",
    "attempts_30d",
    "contacts_30d",
    "promises_broken",
]


def _scan(path: Path, dates: list[str], **types) -> pl.LazyFrame:
    """A CSV with its date columns parsed as ``YYYY-MM-DD`` (an empty one stays null)."""
    frame = pl.scan_csv(path, schema_overrides={**dict.fromkeys(dates, pl.String), **types})
    return frame.with_columns(pl.col(c).str.slice(0, 10).str.to_date("%Y-%m-%d") for c in dates)


def scan(folder: Path):
    inv = _scan(
        folder / "invoices.csv",
        ["invoice_date", "due_date", "written_off_date"],
        disputed=pl.Boolean,
        amount=pl.Float64,
    ).with_columns(pl.col("disputed").fill_null(False))
    pay = _scan(folder / "payments.csv", ["payment_date"], amount=pl.Float64).join(
        inv.select("invoice_id", "customer_id"), on="invoice_id", how="left"
    )
    calls = _scan(
        folder / "calls.csv", ["promise_date"], called_at=pl.String, promise_amount=pl.Float64
    ).select(
        "customer_id",
        pl.col("called_at").str.slice(0, 10).str.to_date("%Y-%m-%d").alias("day"),
        "outcome",
        "promise_date",
        "promise_amount",
    )
    cust = _scan(folder / "customers.csv", ["placed_with_agency_date"], do_not_call=pl.Boolean)
    cust = cust.select(
        "customer_id", pl.col("do_not_call").fill_null(False), "placed_with_agency_date"
    )
    return inv, pay, calls, cust.unique("customer_id", keep="last", maintain_order=True)


def accounts(inv, pay, d: dt.date):
    """Per customer with an open invoice on d: overdue balance and the money picture."""
    paid = (
        pay.filter(pl.col("payment_date") <= d)
        .group_by("invoice_id")
        .agg(pl.col("amount").sum().alias("paid"))
    )
    b = (
        inv.filter(pl.col("invoice_date") <= d)
        .join(paid, on="invoice_id", how="left")
        .with_columns(
            open=pl.when(pl.col("written_off_date") <= d)
            .then(0.0)
            .otherwise((pl.col("amount") - pl.col("paid").fill_null(0.0).round(2)).round(2)),
            dpd=(pl.lit(d) - pl.col("due_date")).dt.total_days(),
        )
        .filter(pl.col("open") != 0)
    )
    pos, disputed = pl.col("open") > 0, pl.col("disputed")
    chased = pos & ~disputed & (pl.col("dpd") > 0)
    per = b.group_by("customer_id").agg(
        pl.col("open").filter(chased).sum().alias("chased"),
        pl.col("open").filter(pl.col("open") < 0).sum().alias("credit"),
        pl.col("open").filter(pos & disputed).sum().alias("disputed_pos"),
        pl.col("open").filter(pos & ~disputed).sum().alias("undisputed_pos"),
        pl.col("dpd").filter(chased).max().fill_null(0).alias("oldest_days_past_due"),
    )
    return per.with_columns(
        overdue_balance=(pl.col("chased") + pl.col("credit")).clip(lower_bound=0).round(2),
        whole_disputed=(pl.col("disputed_pos") > 0) & (pl.col("undisputed_pos").round(2) == 0),
    )


def settled_days(inv, pay):
    """The day each invoice's payments first reached its amount."""
    return (
        pay.sort("invoice_id", "payment_date")
        .with_columns(cum=pl.col("amount").cum_sum().over("invoice_id"))
        .join(inv.select("invoice_id", pl.col("amount").alias("due_amount")), on="invoice_id")
        .filter(pl.col("cum") >= pl.col("due_amount") - 0.005)
        .group_by("invoice_id")
        .agg(pl.col("payment_date").min().alias("settled"))
        .join(inv.select("invoice_id", "customer_id", "due_date"), on="invoice_id")
    )


def promise_table(calls, pay):
    """Each promise call with its deadline and whether it was kept by then."""
    pr = (
        calls.filter(pl.col("outcome") == "promise")
        .with_columns(
            promise_date=pl.col("promise_date").fill_null(
                pl.col("day") + pl.duration(days=PROMISE_DAYS)
            ),
            promise_amount=pl.col("promise_amount").fill_null(0.0),
        )
        .with_columns(deadline=pl.col("promise_date") + pl.duration(days=GRACE_DAYS))
        .with_row_index("pid")
    )
    got = (
        pr.select("pid", "customer_id", "day", "deadline")
        .join(pay.select("customer_id", "payment_date", "amount"), on="customer_id")
        .filter(pl.col("payment_date").is_between(pl.col("day"), pl.col("deadline")))
        .group_by("pid")
        .agg(pl.col("amount").sum().alias("got"))
    )
    return pr.join(got, on="pid", how="left").with_columns(
        kept_by_deadline=pl.col("got").fill_null(0.0) >= pl.col("promise_amount") - 0.005
    )


def features(inv, pay, calls, promises, settled, d: dt.date):
    """One snapshot (lazy): a row per customer with an overdue balance on day d."""
    acc = accounts(inv, pay, d).filter(pl.col("overdue_balance") > 0)
    late = (
        settled.filter(pl.col("settled") <= d)
        .group_by("customer_id")
        .agg((pl.col("settled") > pl.col("due_date")).mean().alias("share_paid_late"))
    )
    last_pay = (
        pay.filter(pl.col("payment_date") <= d)
        .group_by("customer_id")
        .agg((pl.lit(d) - pl.col("payment_date").max()).dt.total_days().alias("since"))
    )
    recent = calls.filter(pl.col("day").is_between(d - dt.timedelta(days=29), d))
    activity = recent.group_by("customer_id").agg(
        pl.len().alias("attempts_30d"),
        pl.col("outcome").is_in(RIGHT_PARTY).sum().alias("contacts_30d"),
    )
    broken = (
        promises.filter((pl.col("deadline") < d) & ~pl.col("kept_by_deadline"))
        .group_by("customer_id")
        .agg(pl.len().alias("promises_broken"))
    )
    return (
        acc.join(late, on="customer_id", how="left")
        .join(last_pay, on="customer_id", how="left")
        .join(activity, on="customer_id", how="left")
        .join(broken, on="customer_id", how="left")
        .select(
            "customer_id",
            "overdue_balance",
            "oldest_days_past_due",
            pl.col("share_paid_late").fill_null(0.0),
            pl.col("since").fill_null(NEVER).alias("days_since_last_payment"),
            pl.col("attempts_30d").fill_null(0),
            pl.col("contacts_30d").fill_null(0),
            pl.col("promises_broken").fill_null(0),
            pl.lit(d).alias("as_of"),
        )
    )


def design(frame: pl.DataFrame) -> np.ndarray:
    x = frame.select(FEATURES).cast(pl.Float64).to_numpy()
    x[:, 0] = np.log1p(x[:, 0])
    return x


def weekly(folder: Path, out: Path, as_of: str | None = None) -> None:
    inv, pay, calls, cust = scan(folder)
    if as_of is None:
        latest = pl.concat(
            [
                inv.select(pl.col("invoice_date").max().alias("d")),
                pay.select(pl.col("payment_date").max().alias("d")),
                calls.select(pl.col("day").max().alias("d")),
            ]
        )
        d = latest.select(pl.col("d").max()).collect().item()
    else:
        d = dt.date.fromisoformat(as_of)
    # Cached: each is read by every one of the 27 snapshots.
    inv, pay, calls = inv.cache(), pay.cache(), calls.cache()
    promises = promise_table(calls, pay).cache()
    settled = settled_days(inv, pay).cache()

    last = d - dt.timedelta(days=HORIZON_DAYS)
    snaps = []
    for week in range(TRAIN_WEEKS):
        day = last - dt.timedelta(weeks=week)
        paid_after = (
            pay.filter(pl.col("payment_date").is_between(day, day + dt.timedelta(HORIZON_DAYS)))
            .filter(pl.col("payment_date") > day)
            .select("customer_id")
            .unique()
            .with_columns(paid=pl.lit(1))
        )
        snap = features(inv, pay, calls, promises, settled, day)
        snaps.append(
            snap.join(paid_after, on="customer_id", how="left").with_columns(
                pl.col("paid").fill_null(0)
            )
        )
    train = pl.concat(snaps).collect()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(design(train), train["paid"].to_numpy())

    known = calls.filter(pl.col("day") <= d).with_columns(
        days_ago=(pl.lit(d) - pl.col("day")).dt.total_days()
    )
    activity = known.group_by("customer_id").agg(
        (pl.col("days_ago") < COOLDOWN_DAYS).any().alias("cooldown"),
        (pl.col("days_ago") < 7).sum().alias("attempts_7d"),
    )
    open_promises = promises.filter((pl.col("day") <= d) & (pl.col("deadline") >= d))
    got = (
        open_promises.select("pid", "customer_id", "day")
        .join(
            pay.filter(pl.col("payment_date") <= d).select("customer_id", "payment_date", "amount"),
            on="customer_id",
        )
        .filter(pl.col("payment_date") >= pl.col("day"))
        .group_by("pid")
        .agg(pl.col("amount").sum().alias("so_far"))
    )
    pending = (
        open_promises.join(got, on="pid", how="left")
        .filter(pl.col("so_far").fill_null(0.0) < pl.col("promise_amount") - 0.005)
        .select("customer_id")
        .unique()
        .with_columns(pending=pl.lit(True))
    )
    acc = (
        accounts(inv, pay, d)
        .join(cust, on="customer_id", how="left")
        .join(activity, on="customer_id", how="left")
        .join(pending, on="customer_id", how="left")
    )
    flags = {
        "zero overdue balance": (pl.col("overdue_balance") <= 0) & ~pl.col("whole_disputed"),
        "whole balance disputed": pl.col("whole_disputed"),
        "pending promise": pl.col("pending").fill_null(False),
        "do not call": pl.col("do_not_call").fill_null(False),
        "placed with agency": (pl.col("placed_with_agency_date") <= d).fill_null(False),
        "called within cool-down": pl.col("cooldown").fill_null(False),
        "attempt limit in 7 days": pl.col("attempts_7d").fill_null(0) >= MAX_ATTEMPTS_7D,
    }
    reason = pl.concat_list(
        [pl.when(flag).then(pl.lit(text)).otherwise(None) for text, flag in flags.items()]
    ).list.drop_nulls()
    acc = acc.with_columns(reason=reason.list.join("; "))
    excluded = acc.filter(pl.col("reason") != "")
    to_call = acc.filter(pl.col("reason") == "").select("customer_id")
    now = features(inv, pay, calls, promises, settled, d).join(to_call, on="customer_id")
    excluded, now = pl.collect_all([excluded, now])
    p = model.predict_proba(design(now))[:, 1] if len(now) else np.array([])
    ranked = (
        now.with_columns(p_pay=pl.Series(p, dtype=pl.Float64))
        .with_columns(expected_dollars=(pl.col("p_pay") * pl.col("overdue_balance")).round(2))
        .sort(
            ["expected_dollars", "overdue_balance", "oldest_days_past_due", "customer_id"],
            descending=[True, True, True, False],
        )
        .with_row_index("rank", offset=1)
    )
    ranked.select(
        "rank",
        "customer_id",
        "overdue_balance",
        "oldest_days_past_due",
        pl.col("p_pay").round(4),
        "expected_dollars",
    ).write_csv(out)
    excluded.sort("customer_id").select("customer_id", "overdue_balance", "reason").write_csv(
        out.with_name(f"{out.stem}_excluded{out.suffix}"), float_precision=2
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--as-of")
    args = parser.parse_args(argv)
    weekly(args.folder, args.out, args.as_of)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
