"""How numpy's and pandas' building blocks grow from 100k to 1M to 10M elements here.

The analyses are built from sorts, binary searches, gathers (``a[idx]``), hash passes,
group sums and plain elementwise passes over arrays of one element per invoice, payment
or call. When those blocks already grow more than 10x for 10x the data, no stage built
from them can grow exactly 10x: this script gives the yardstick that ``run.py``'s growth
column is read against (issues #7 and #21).

    python benchmarks/primitives.py
    python benchmarks/primitives.py --sizes 1000 10000 100000   # a quick look

Each figure is the best of 5 runs, on random int64 data (seed 0). A run calls the
primitive as many times as it takes to pass over at least 10M elements (100 calls at
100k, one at 10M) and counts the time per call, so the small sizes are not below the
clock's resolution; the data is made afresh for each run, outside the clock.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

SIZES = (100_000, 1_000_000, 10_000_000)
RNG = np.random.default_rng(0)


#: Elements each timed run passes over, at least (the calls of one run: this / n).
ELEMENTS_PER_RUN = 10_000_000


def _best(make, run, n: int, repeats: int = 5, elements: int = ELEMENTS_PER_RUN) -> float:
    """Seconds per call of ``run`` on ``make(n)``: the best of ``repeats`` runs."""
    calls = max(1, math.ceil(elements / n))
    best = float("inf")
    for _ in range(repeats):
        data = make(n)
        start = time.perf_counter()
        for _ in range(calls):
            run(*data)
        best = min(best, (time.perf_counter() - start) / calls)
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


def _mask_data(n):
    return RNG.integers(0, 2**40, n), RNG.random(n) < 0.5


def _group_data(n):
    # About ten rows per group, as invoices per customer.
    return RNG.integers(0, max(1, n // 10), n), RNG.random(n)


def _fresh_data(n):
    # The list keeps every array a run makes, so each call's pages are new to the
    # process (none freed by the call before it), as a stage's many live arrays are.
    return n, []


PRIMITIVES = {
    "sort (np.sort, int64)": (_sort_data, np.sort),
    "random gather (a[idx])": (_gather_data, lambda a, idx: a[idx]),
    "binary search, random queries": (_search_data, np.searchsorted),
    "binary search, sorted queries": (_sorted_search_data, np.searchsorted),
    "elementwise pass, new array (a + 1)": (_sort_data, lambda a: a + 1),
    "cumulative sum (np.cumsum)": (_sort_data, np.cumsum),
    "boolean select, half kept (a[mask])": (_mask_data, lambda a, mask: a[mask]),
    "group sums (np.bincount, weights)": (_group_data, lambda g, w: np.bincount(g, w)),
    "hash pass (pd.factorize, int64)": (_sort_data, pd.factorize),
    "fresh pages, first write (np.ones, each kept)": (
        _fresh_data,
        lambda n, kept: kept.append(np.ones(n)),
    ),
}


def _label(n: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=3, default=SIZES, metavar="N")
    parser.add_argument(
        "--elements",
        type=int,
        default=ELEMENTS_PER_RUN,
        help="elements each timed run passes over, at least (default: %(default)s)",
    )
    args = parser.parse_args()
    small_n, mid_n, large_n = args.sizes
    a, b, c = (_label(n) for n in (small_n, mid_n, large_n))
    print(f"| primitive | {a} ms | {b} ms | {c} ms | growth {a}->{b} | growth {b}->{c} |")
    print("|---|---|---|---|---|---|")
    for name, (make, run) in PRIMITIVES.items():
        small, mid, large = (
            _best(make, run, n, elements=args.elements) for n in (small_n, mid_n, large_n)
        )
        print(
            f"| {name} | {small * 1e3:.3g} | {mid * 1e3:.3g} | {large * 1e3:.4g} "
            f"| {mid / small:.1f}x | {large / mid:.1f}x |"
        )


if __name__ == "__main__":
    main()
