"""Peer: the weekly call list in plain pandas, as an analyst would write it in an afternoon.

    python benchmarks/peers/pandas_weekly.py FOLDER --out call_list.csv [--as-of 2026-10-31]

Reads the four CSVs of FOLDER (invoices, payments, calls, customers), computes open
balances as of the date (payments up to it, write-offs), the overdue balance per
customer (undisputed past-due invoices plus credit notes, floored at zero), the
must-not-call exclusions (zero overdue, whole balance disputed, pending promise, do not
call, placed with agency, called in the last 3 days, 7 attempts in 7 days), fits a
logistic regression on weekly snapshots of the 26 prior weeks (label: any payment in the
next 30 days) and writes the callable accounts sorted by p * overdue balance, plus
``<out>_excluded.csv``. It does not import arcalls: it is the yardstick
benchmarks/run.py compares arcalls with (tests/test_peers.py checks it is the same job).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
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


def load(folder: Path):
    inv = pd.read_csv(
        folder / "invoices.csv",
        parse_dates=["invoice_date", "due_date", "written_off_date"],
        dtype={"customer_id": str, "invoice_id": str},
    )
    inv["disputed"] = inv["disputed"].fillna(False).astype(bool)
    pay = pd.read_csv(folder / "payments.csv", parse_dates=["payment_date"])
    calls = pd.read_csv(
        folder / "calls.csv",
        usecols=["customer_id", "called_at", "outcome", "promise_date", "promise_amount"],
        parse_dates=["called_at", "promise_date"],
    )
    cust = pd.read_csv(folder / "customers.csv", parse_dates=["placed_with_agency_date"])
    cust["do_not_call"] = cust["do_not_call"].fillna(False).astype(bool)
    pay = pay.merge(inv[["invoice_id", "customer_id"]], on="invoice_id", how="left")
    return inv, pay, calls, cust


def balances(inv, pay, d):
    """Per open invoice on day d: open amount, days past due."""
    known = inv[inv["invoice_date"] <= d]
    paid = pay[pay["payment_date"] <= d].groupby("invoice_id")["amount"].sum()
    paid = known["invoice_id"].map(paid).fillna(0.0).round(2)
    open_amount = (known["amount"] - paid).round(2).where(~(known["written_off_date"] <= d), 0.0)
    out = known.assign(open_amount=open_amount, dpd=(d - known["due_date"]).dt.days)
    return out[out["open_amount"] != 0]


def accounts(inv, pay, d):
    """Per customer with an open invoice on d: overdue balance and the money picture."""
    b = balances(inv, pay, d)
    chased = (b["open_amount"] > 0) & ~b["disputed"] & (b["dpd"] > 0)
    pos = b["open_amount"] > 0
    per = (
        b.assign(
            chased=b["open_amount"].where(chased, 0.0),
            credit=b["open_amount"].where(b["open_amount"] < 0, 0.0),
            disputed_pos=b["open_amount"].where(pos & b["disputed"], 0.0),
            undisputed_pos=b["open_amount"].where(pos & ~b["disputed"], 0.0),
            chased_dpd=b["dpd"].where(chased, 0),
        )
        .groupby("customer_id")
        .agg(
            chased=("chased", "sum"),
            credit=("credit", "sum"),
            disputed_pos=("disputed_pos", "sum"),
            undisputed_pos=("undisputed_pos", "sum"),
            oldest_days_past_due=("chased_dpd", "max"),
        )
    )
    per["overdue_balance"] = (per["chased"] + per["credit"]).clip(lower=0).round(2) + 0.0
    per["whole_disputed"] = (per["disputed_pos"] > 0) & (per["undisputed_pos"].round(2) == 0)
    return per


def settled_days(inv, pay):
    """The day each invoice's payments first reached its amount (NaT if never)."""
    p = pay.sort_values(["invoice_id", "payment_date"])
    p["cum"] = p.groupby("invoice_id")["amount"].cumsum()
    p = p.merge(inv[["invoice_id", "amount"]], on="invoice_id", suffixes=("", "_inv"))
    done = p[p["cum"] >= p["amount_inv"] - 0.005].groupby("invoice_id")["payment_date"].min()
    return inv["invoice_id"].map(done)


def promise_table(calls, pay):
    """Each promise call with its deadline and whether it was kept by then."""
    pr = calls[calls["outcome"] == "promise"].copy()
    pr["day"] = pr["called_at"].dt.normalize()
    pr["promise_date"] = pr["promise_date"].fillna(pr["day"] + pd.Timedelta(days=PROMISE_DAYS))
    pr["deadline"] = pr["promise_date"] + pd.Timedelta(days=GRACE_DAYS)
    pr["pid"] = np.arange(len(pr))
    m = pr[["pid", "customer_id", "day", "deadline"]].merge(
        pay[["customer_id", "payment_date", "amount"]], on="customer_id"
    )
    m = m[(m["payment_date"] >= m["day"]) & (m["payment_date"] <= m["deadline"])]
    got = pr["pid"].map(m.groupby("pid")["amount"].sum()).fillna(0.0)
    pr["kept_by_deadline"] = got >= pr["promise_amount"].fillna(0.0) - 0.005
    return pr


def features(inv, pay, calls, promises, settled, d):
    """One snapshot: a row per customer with an overdue balance on day d."""
    acc = accounts(inv, pay, d)
    acc = acc[acc["overdue_balance"] > 0]
    s = inv.assign(settled=settled)
    s = s[s["settled"] <= d]
    late = (s["settled"] > s["due_date"]).groupby(s["customer_id"]).mean()
    last_pay = pay[pay["payment_date"] <= d].groupby("customer_id")["payment_date"].max()
    c = calls[(calls["called_at"] < d + pd.Timedelta(days=1))]
    c = c[c["called_at"] >= d - pd.Timedelta(days=29)]
    attempts = c.groupby("customer_id").size()
    contacts = c[c["outcome"].isin(RIGHT_PARTY)].groupby("customer_id").size()
    broken = promises[(promises["deadline"] < d) & ~promises["kept_by_deadline"]]
    broken = broken.groupby("customer_id").size()
    ids = acc.index
    out = pd.DataFrame(
        {
            "customer_id": ids,
            "overdue_balance": acc["overdue_balance"].to_numpy(),
            "oldest_days_past_due": acc["oldest_days_past_due"].to_numpy(),
            "share_paid_late": ids.map(late).fillna(0.0),
            "days_since_last_payment": (d - ids.map(last_pay)).days.fillna(NEVER),
            "attempts_30d": ids.map(attempts).fillna(0),
            "contacts_30d": ids.map(contacts).fillna(0),
            "promises_broken": ids.map(broken).fillna(0),
        }
    )
    return out.assign(as_of=d)


def label(snap, pay, d):
    """Paid anything in the 30 days after d."""
    window = pay[
        (pay["payment_date"] > d) & (pay["payment_date"] <= d + pd.Timedelta(HORIZON_DAYS, "D"))
    ]
    return snap["customer_id"].isin(window["customer_id"]).astype(int)


def design(frame):
    x = frame[FEATURES].astype(float)
    return x.assign(overdue_balance=np.log1p(x["overdue_balance"]))


def weekly(folder: Path, out: Path, as_of: str | None = None) -> None:
    inv, pay, calls, cust = load(folder)
    if as_of is None:
        d = max(inv["invoice_date"].max(), pay["payment_date"].max(), calls["called_at"].max())
        d = d.normalize()
    else:
        d = pd.Timestamp(as_of)
    promises = promise_table(calls, pay)
    settled = settled_days(inv, pay)

    # Train on the 26 weekly snapshots whose 30-day label is known by d.
    last = d - pd.Timedelta(days=HORIZON_DAYS)
    train = []
    for week in range(TRAIN_WEEKS):
        day = last - pd.Timedelta(weeks=week)
        snap = features(inv, pay, calls, promises, settled, day)
        train.append(snap.assign(paid=label(snap, pay, day)))
    train = pd.concat(train, ignore_index=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(design(train), train["paid"])

    # This week's accounts and who must not be called.
    acc = accounts(inv, pay, d).reset_index()
    cust = cust.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    acc["do_not_call"] = acc["customer_id"].map(cust["do_not_call"]).fillna(False).astype(bool)
    acc["with_agency"] = (acc["customer_id"].map(cust["placed_with_agency_date"]) <= d).to_numpy()
    known = calls[calls["called_at"] < d + pd.Timedelta(days=1)]
    days_ago = (d - known["called_at"].dt.normalize()).dt.days
    recent = known[days_ago < COOLDOWN_DAYS]["customer_id"]
    attempts_7d = known[days_ago < 7].groupby("customer_id").size()
    open_promises = promises[(promises["day"] <= d) & (promises["deadline"] >= d)]
    pm = open_promises[["pid", "customer_id", "day", "promise_amount"]].merge(
        pay[pay["payment_date"] <= d][["customer_id", "payment_date", "amount"]],
        on="customer_id",
        how="left",
    )
    pm = pm[pm["payment_date"] >= pm["day"]]
    got = open_promises["pid"].map(pm.groupby("pid")["amount"].sum()).fillna(0.0)
    pending = open_promises[got < open_promises["promise_amount"].fillna(0.0) - 0.005]
    flags = {
        "zero overdue balance": (acc["overdue_balance"] <= 0) & ~acc["whole_disputed"],
        "whole balance disputed": acc["whole_disputed"],
        "pending promise": acc["customer_id"].isin(pending["customer_id"]),
        "do not call": acc["do_not_call"],
        "placed with agency": acc["with_agency"],
        "called within cool-down": acc["customer_id"].isin(recent),
        "attempt limit in 7 days": acc["customer_id"].map(attempts_7d).fillna(0) >= MAX_ATTEMPTS_7D,
    }
    reason = pd.Series("", index=acc.index)
    for text, flag in flags.items():
        reason = reason.where(~flag, reason + "; " + text)
    acc["reason"] = reason.str.removeprefix("; ")
    excluded = acc[acc["reason"] != ""]
    to_call = acc[acc["reason"] == ""]

    now = features(inv, pay, calls, promises, settled, d)
    now = now[now["customer_id"].isin(to_call["customer_id"])]
    now["p_pay"] = model.predict_proba(design(now))[:, 1] if len(now) else []
    now["expected_dollars"] = (now["p_pay"] * now["overdue_balance"]).round(2)
    ranked = now.sort_values(
        ["expected_dollars", "overdue_balance", "oldest_days_past_due", "customer_id"],
        ascending=[False, False, False, True],
    )
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    columns = ["rank", "customer_id", "overdue_balance", "oldest_days_past_due", "p_pay"]
    ranked[[*columns, "expected_dollars"]].to_csv(out, index=False, float_format="%.4f")
    excluded[["customer_id", "overdue_balance", "reason"]].to_csv(
        out.with_name(f"{out.stem}_excluded{out.suffix}"), index=False, float_format="%.2f"
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
