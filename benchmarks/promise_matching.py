"""Time and peak memory of promise matching over a large generated history.

    python benchmarks/promise_matching.py --invoices 1000000

Generates the history in memory with ``arcalls.simulate`` (collectors calling hard
enough for about three calls per invoice, so a million invoices give several million
calls), then times, in this process, ``promise_outcomes`` over every promise, the
broken-promise rates by customer, collector and month, ``contact_rates`` and
``best_call_times``. Prints seconds and the peak resident memory of each stage (the
high-water mark is reset between stages where Linux allows it, else it is the
process's peak so far), and the memory the matching itself allocates (tracemalloc, in a
second, untimed run).
"""

from __future__ import annotations

import argparse
import importlib
import resource
import sys
import time
import tracemalloc
from pathlib import Path

#: Call settings that give about three calls per invoice (benchmarks/generate.py).
BENCH_CALL_RATE = 0.6
BENCH_COOL_DOWN_DAYS = 0


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb(resettable: bool) -> float:
    if resettable:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _stage(name: str, func):
    resettable = _reset_peak()
    t0 = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - t0
    print(f"{name:<22} {seconds:7.1f} s   peak RSS {_peak_rss_mb(resettable):7.0f} MB")
    return result


def _traced_peak_mb(func) -> float:
    """Peak memory allocated while ``func`` runs (numpy and Python objects), in MB.

    Run apart from the timed call: tracing slows allocation down.
    """
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import arcalls

    sim_module = importlib.import_module("arcalls.simulate")
    n_customers = sim_module.customers_for_invoices(args.invoices)
    sim = _stage(
        "generate",
        lambda: sim_module.simulate(
            n_customers=n_customers,
            seed=args.seed,
            call_rate=BENCH_CALL_RATE,
            cool_down_days=BENCH_COOL_DOWN_DAYS,
            follow_up_days=0,
        ),
    )
    inv, pay, calls, customers = sim.tables
    as_of = sim.truth.end
    promises = int((calls["outcome"] == "promise").sum())
    print(
        f"customers={len(customers):,} invoices={len(inv):,} payments={len(pay):,} "
        f"calls={len(calls):,} promises={promises:,}"
    )
    outcomes = _stage(
        "promise_outcomes", lambda: arcalls.promise_outcomes(calls, pay, inv, as_of=as_of)
    )
    match = _traced_peak_mb(lambda: arcalls.promise_outcomes(calls, pay, inv, as_of=as_of))
    print(f"{'  (traced again)':<22} peak allocated by the matching itself {match:7.0f} MB")
    _stage(
        "broken_promise_rate x3",
        lambda: [
            arcalls.broken_promise_rate(outcomes, by=by)
            for by in ("customer_id", "collector", "month")
        ],
    )
    _stage("contact_rates", lambda: arcalls.contact_rates(calls, by="month"))
    _stage("best_call_times", lambda: arcalls.best_call_times(calls, customers))
    counts = outcomes["status"].value_counts().to_dict()
    print(f"statuses: {counts}; process peak RSS {_peak_rss_mb(False):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
