"""Time and peak memory to generate and write a large simulated history.

    python benchmarks/generate.py --invoices 1000000 --out /tmp/arcalls-1m

Collectors call hard enough (daily call chance 0.6, no cool-down) for about three
calls per invoice. Prints one line per stage and the peak resident memory of the run.
"""

from __future__ import annotations

import argparse
import importlib
import resource
import sys
import time
from pathlib import Path

#: Call settings that give about three calls per invoice (measured at 1,000 customers).
BENCH_CALL_RATE = 0.6
BENCH_COOL_DOWN_DAYS = 0


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--follow-up-days", type=int, default=730)
    args = parser.parse_args(argv)

    sim_module = importlib.import_module("arcalls.simulate")
    n_customers = sim_module.customers_for_invoices(args.invoices)
    t0 = time.perf_counter()
    sim = sim_module.simulate(
        n_customers=n_customers,
        seed=args.seed,
        call_rate=BENCH_CALL_RATE,
        cool_down_days=BENCH_COOL_DOWN_DAYS,
        follow_up_days=args.follow_up_days,
    )
    t1 = time.perf_counter()
    sim.write(args.out)
    t2 = time.perf_counter()
    inv, pay, calls, _ = sim.tables
    size_mb = sum(p.stat().st_size for p in args.out.glob("*.csv")) / 1e6
    print(
        f"customers={n_customers:,} invoices={len(inv):,} payments={len(pay):,} "
        f"calls={len(calls):,} ({len(calls) / max(len(inv), 1):.2f} per invoice) "
        f"truth payments={len(sim.truth.payments):,} calls={len(sim.truth.calls):,}"
    )
    print(f"generate: {t1 - t0:.1f} s")
    print(f"write:    {t2 - t1:.1f} s ({size_mb:.0f} MB of CSV in {args.out})")
    print(f"total:    {t2 - t0:.1f} s; peak RSS {_peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
