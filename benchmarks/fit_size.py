"""How many training rows the call-priority model needs, and what the fit costs.

On a cached history (``benchmarks/run.py --cache``), builds the weekly snapshots once:
``--test-weeks`` held-out weeks (the newest) and the 26 training weeks that end
``horizon`` days or more before the oldest held-out week (so nothing the held-out weeks
reveal is trained on). Then fits :class:`arcalls.CallPriorityModel` on all the training
rows and with each ``--caps`` value as ``max_train_rows``, and scores every model on the
held-out weeks: AUC of ``p_pay``, and the share of perfect foresight of each week's top
``k`` by expected dollars (dollars the top-k paid within the horizon over the most any k
accounts paid), summed over the held-out weeks, with the CPU seconds of each fit.

    PYTHONPATH=src python benchmarks/fit_size.py /work/bench-cache/calls-history-1000000-seed0
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def snapshots(folder: Path, weeks: int, test_weeks: int, horizon: int, cache: Path | None):
    """Training and held-out snapshot rows (overdue accounts with known labels)."""
    if cache is not None and cache.exists():
        snap = pd.read_parquet(cache)
    else:
        import arcalls
        from arcalls.cli._common import add_input_arguments, load_tables, resolve_as_of

        parser = argparse.ArgumentParser()
        add_input_arguments(parser)
        args = parser.parse_args([str(folder)])
        tables = load_tables(args)
        as_of = resolve_as_of(args, tables)
        last = as_of - pd.Timedelta(days=horizon)
        # Held-out weeks 0..test_weeks-1; training weeks start far enough back that
        # their labels were known on the oldest held-out date.
        gap = test_weeks - 1 + -(-horizon // 7)
        index = list(range(test_weeks)) + list(range(gap, gap + weeks))
        dates = pd.DatetimeIndex([last - pd.Timedelta(weeks=i) for i in index])
        snap = arcalls.account_snapshots(
            *tables, as_of_dates=dates, horizon_days=horizon, data_end=as_of
        )
        snap = snap[(snap["overdue_balance"] > 0) & snap["paid_within_horizon"].notna()]
        snap = snap.reset_index(drop=True)
        if cache is not None:
            snap.to_parquet(cache)
    dates = np.sort(snap["as_of"].unique())
    is_test = snap["as_of"].isin(dates[-test_weeks:]).to_numpy()
    return snap[~is_test].reset_index(drop=True), snap[is_test].reset_index(drop=True)


def score(model, test: pd.DataFrame, k: int) -> dict:
    from sklearn.metrics import roc_auc_score

    p = model.predict_proba(test)[:, 1]
    y = test["paid_within_horizon"].to_numpy(bool)
    paid = test["dollars_within_horizon"].to_numpy("float64")
    frame = pd.DataFrame(
        {
            "as_of": test["as_of"].to_numpy(),
            "expected": p * test["overdue_balance"].to_numpy("float64"),
            "paid": paid,
        }
    )
    top = frame.sort_values(["as_of", "expected"], ascending=[True, False], kind="mergesort")
    got = top.groupby("as_of").head(k)["paid"].sum()
    best = frame.sort_values(["as_of", "paid"], ascending=[True, False]).groupby("as_of")
    best = best.head(k)["paid"].sum()
    return {"auc": float(roc_auc_score(y, p)), "share_of_perfect": float(got / best)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a cached history folder")
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--test-weeks", type=int, default=4)
    parser.add_argument("--horizon", type=int, default=30)
    parser.add_argument("--k", type=int, default=25)
    parser.add_argument("--caps", default="100000,200000,400000,800000")
    parser.add_argument(
        "--sample-seeds", type=int, default=1, help="seeds of the sample, for each cap"
    )
    parser.add_argument("--snapshot-cache", type=Path, default=None, help="parquet file")
    args = parser.parse_args(argv)

    import arcalls
    import arcalls.ranking

    train, test = snapshots(
        args.folder, args.weeks, args.test_weeks, args.horizon, args.snapshot_cache
    )
    print(f"training rows {len(train):,}, held-out rows {len(test):,}", flush=True)
    caps = [None] + [int(c) for c in args.caps.split(",") if c]
    rows = []
    for cap in caps:
        for seed in range(args.sample_seeds if cap is not None else 1):
            # The sample's seed is a constant of arcalls; varied here to see the noise.
            arcalls.ranking._SAMPLE_SEED = seed
            t0 = time.process_time()
            model = arcalls.CallPriorityModel(horizon_days=args.horizon, max_train_rows=cap)
            model.fit(train)
            cpu = time.process_time() - t0
            row = {"cap": cap, "seed": seed, "rows_fitted": int(model.n_train_rows_)}
            row["fit_cpu_s"] = round(cpu, 2)
            row.update({k: round(v, 4) for k, v in score(model, test, args.k).items()})
            row["calibration"] = [round(float(v), 5) for v in model.calibration_]
            rows.append(row)
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
