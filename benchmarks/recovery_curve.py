"""Recovery curve over a million invoices: time and peak memory.

Run: python benchmarks/recovery_curve.py [--invoices 1000000] [--n-boot 200]

The invoices are drawn directly with numpy (due dates over three years, lognormal
amounts, 85 % paid after a geometric delay, one in ten of those in two partial payments)
so that the run measures arcalls.recovery_curve, not the generator.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from arcalls.recovery import recovery_curve


def make(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    due = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1095, n), unit="D")
    amount = np.round(rng.lognormal(7, 1, n), 2)
    ids = pd.array(np.char.add("i", np.arange(n).astype(str)), dtype="string")
    invoices = pd.DataFrame(
        {
            "invoice_id": ids,
            "customer_id": pd.array(
                np.char.add("c", (np.arange(n) % 20_000).astype(str)), dtype="string"
            ),
            "invoice_date": due - pd.Timedelta(days=30),
            "due_date": due,
            "amount": amount,
        }
    )
    pays = rng.random(n) < 0.85
    delay = rng.geometric(1 / 40, n) - 5
    split = pays & (rng.random(n) < 0.1)
    first = np.where(split, np.round(amount / 2, 2), amount)
    payments = pd.concat(
        [
            pd.DataFrame(
                {
                    "invoice_id": ids[pays],
                    "payment_date": (due + pd.to_timedelta(delay, unit="D"))[pays],
                    "amount": first[pays],
                }
            ),
            pd.DataFrame(
                {
                    "invoice_id": ids[split],
                    "payment_date": (due + pd.to_timedelta(delay + 30, unit="D"))[split],
                    "amount": (amount - first)[split],
                }
            ),
        ],
        ignore_index=True,
    )
    payments.insert(
        0,
        "payment_id",
        pd.array(np.char.add("p", np.arange(len(payments)).astype(str)), dtype="string"),
    )
    return invoices, payments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--n-boot", type=int, default=200)
    args = parser.parse_args()
    invoices, payments = make(args.invoices)
    as_of = pd.Timestamp("2024-12-31")
    print(f"{len(invoices):,} invoices, {len(payments):,} payments, as of {as_of.date()}")
    for n_boot in (0, args.n_boot):
        tracemalloc.start()
        start = time.perf_counter()
        curve = recovery_curve(invoices, payments, as_of=as_of, n_boot=n_boot)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"n_boot={n_boot:>3}: {seconds:6.1f} s, peak traced memory {peak / 2**20:,.0f} MiB, "
            f"{len(curve)} days; recovery within 365 days at 30/90/180: "
            + ", ".join(f"{curve['recovery_rate'].iloc[d]:.3f}" for d in (30, 90, 180))
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (including the generated data): {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
