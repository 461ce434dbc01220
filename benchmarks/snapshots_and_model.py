"""Scale run: point-in-time snapshots and the call-priority model on a large history.

Generates a receivables history with ``arcalls.simulate`` (about 9.6 invoices per
customer over two years: 105,000 customers give about a million invoices), then times

1. ``account_snapshots`` over 26 weekly as-of dates (with labels),
2. fitting ``CallPriorityModel`` on the overdue, labelled rows,
3. ``account_snapshots`` for this week alone (the weekly run's second call: its cost is
   mostly the fixed work over every call and payment, not the one date),
4. ranking the accounts of this week (with reasons),

and prints each stage's wall time and peak resident memory (the process's high-water
mark, reset before each stage where Linux allows it).

Usage::

    python benchmarks/snapshots_and_model.py               # ~1M invoices
    python benchmarks/snapshots_and_model.py --customers 10000   # quick look
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import pandas as pd

import arcalls


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter (Linux >= 4.0); False where not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stage(name: str, func):
    reset = _reset_peak()
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    scope = "stage peak" if reset else "process peak"
    print(f"{name:<38} {seconds:8.1f} s   {scope} RSS {_peak_mb():8.0f} MB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=105_000)
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--horizon-days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    sim = _stage(
        f"simulate {args.customers:,} customers",
        lambda: arcalls.simulate(n_customers=args.customers, seed=args.seed),
    )
    tables = sim.tables
    print(
        f"history: {len(tables.invoices):,} invoices, {len(tables.payments):,} payments, "
        f"{len(tables.calls):,} calls"
    )
    end = tables.invoices["invoice_date"].max().normalize()
    dates = pd.date_range(
        end=end - pd.Timedelta(days=args.horizon_days), periods=args.weeks, freq="W"
    )
    snap = _stage(
        f"account_snapshots x {args.weeks} weeks",
        lambda: arcalls.account_snapshots(
            *tables, as_of_dates=dates, horizon_days=args.horizon_days
        ),
    )
    train = snap[(snap["overdue_balance"] > 0) & snap["paid_within_horizon"].notna()]
    print(f"snapshot rows: {len(snap):,} ({len(train):,} overdue and labelled)")
    model = _stage(
        "CallPriorityModel.fit",
        lambda: arcalls.CallPriorityModel(horizon_days=args.horizon_days).fit(train),
    )
    now = _stage(
        "account_snapshots, this week",
        lambda: arcalls.account_snapshots(*tables, as_of_dates=[end], label=False),
    )
    ranked = _stage(f"rank {len(now):,} accounts (reasons)", lambda: model.rank(now))
    print(ranked.head(3).to_string(index=False))


if __name__ == "__main__":
    main()
