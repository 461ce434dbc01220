"""How numpy's own building blocks grow from 100k to 1M to 10M elements on this machine.

The analyses are built from sorts, binary searches and gathers (``a[idx]``) over arrays
of one element per invoice, payment or call. When those blocks already grow more than
10x for 10x the data, no stage built from them can grow exactly 10x: this script gives
the yardstick that ``run.py``'s growth column is read against (issue #7).

    python benchmarks/primitives.py
    python benchmarks/primitives.py --sizes 1000 10000 100000   # a quick look

Each figure is the best of 5 runs, on random int64 data (seed 0).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

SIZES = (100_000, 1_000_000, 10_000_000)
RNG = np.random.default_rng(0)


def _best(make, run, n: int, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        data = make(n)
        start = time.perf_counter()
        run(*data)
        best = min(best, time.perf_counter() - start)
    return best


def _sort_data(n):
    return (RNG.integers(0, 2**40, n),)


def _gather_data(n):
    return np.arange(n, dtype=np.int64), RNG.integers(0, n, n)


def _search_data(n):
    return np.sort(RNG.integers(0, 2**40, n)), RNG.integers(0, 2**40, n)


def _sorted_search_data(n):
    haystack, needles = _search_data(n)
    return haystack, np.sort(needles)


PRIMITIVES = {
    "sort (np.sort, int64)": (_sort_data, np.sort),
    "random gather (a[idx])": (_gather_data, lambda a, idx: a[idx]),
    "binary search, random queries": (_search_data, np.searchsorted),
    "binary search, sorted queries": (_sorted_search_data, np.searchsorted),
}


def _label(n: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=3, default=SIZES, metavar="N")
    small_n, mid_n, large_n = parser.parse_args().sizes
    a, b, c = (_label(n) for n in (small_n, mid_n, large_n))
    print(f"| primitive | {a} ms | {b} ms | {c} ms | growth {a}->{b} | growth {b}->{c} |")
    print("|---|---|---|---|---|---|")
    for name, (make, run) in PRIMITIVES.items():
        small, mid, large = (_best(make, run, n) for n in (small_n, mid_n, large_n))
        print(
            f"| {name} | {small * 1e3:.1f} | {mid * 1e3:.1f} | {large * 1e3:.1f} "
            f"| {mid / small:.1f}x | {large / mid:.1f}x |"
        )


if __name__ == "__main__":
    main()
