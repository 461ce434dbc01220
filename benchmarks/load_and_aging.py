"""Time and peak memory to load a large history and compute its aging and metrics.

    python benchmarks/load_and_aging.py --invoices 1000000

Generates the history once with ``arcalls.simulate`` (default settings) and
caches its CSVs under ``benchmarks/.cache/``; then times, in this process, loading the
invoices and payments with the public loaders, ``aging`` by customer, ``ar_metrics``
and a monthly ``ar_trend`` over the whole history. Prints seconds and the peak resident
memory of each stage (the high-water mark is reset between stages where Linux allows
it, else it is the process's peak so far).
"""

from __future__ import annotations

import argparse
import importlib
import resource
import sys
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


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


def _generate(n_invoices: int, seed: int) -> Path:
    folder = CACHE / f"history-{n_invoices}-seed{seed}"
    if (folder / "invoices.csv").exists() and (folder / "payments.csv").exists():
        print(f"cached:   {folder}")
        return folder
    sim_module = importlib.import_module("arcalls.simulate")
    n_customers = sim_module.customers_for_invoices(n_invoices)
    t0 = time.perf_counter()
    # Calls at the default rate: aging needs none, but calls=False fails at this scale
    # (an empty calls table trips the id generator), so keep the simulator's default.
    sim = sim_module.simulate(n_customers=n_customers, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    sim.write(folder)
    print(f"generate: {time.perf_counter() - t0:.1f} s ({n_customers:,} customers) -> {folder}")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", default=None, help="default: the last payment date")
    args = parser.parse_args(argv)

    import pandas as pd

    import arcalls

    folder = _generate(args.invoices, args.seed)
    resettable = _reset_peak()
    results: dict[str, object] = {}

    def stage(name: str, func):
        _reset_peak()
        t0 = time.perf_counter()
        results[name] = func()
        seconds = time.perf_counter() - t0
        print(f"{name:<10} {seconds:7.2f} s   peak RSS {_peak_rss_mb(resettable):7.0f} MB")

    print(f"{'stage':<10} {'time':>9}   {'memory':>16}")
    stage(
        "load",
        lambda: (
            arcalls.load_invoices(folder / "invoices.csv"),
            arcalls.load_payments(folder / "payments.csv"),
        ),
    )
    invoices, payments = results["load"]
    as_of = pd.Timestamp(args.as_of) if args.as_of else payments["payment_date"].max().normalize()
    stage("aging", lambda: arcalls.aging(invoices, payments, as_of=as_of))
    stage("ar_metrics", lambda: arcalls.ar_metrics(invoices, payments, as_of=as_of))
    stage("ar_trend", lambda: arcalls.ar_trend(invoices, payments, end=as_of))
    trend = results["ar_trend"]
    print(
        f"invoices={len(invoices):,} payments={len(payments):,} "
        f"customers with open invoices={len(results['aging']):,} as_of={as_of:%Y-%m-%d} "
        f"trend months={len(trend)}"
    )
    m = results["ar_metrics"].iloc[0]
    print(f"open A/R {m['ar_total']:,.2f}; DSO {m['dso']:.1f}; CEI {m['cei']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
