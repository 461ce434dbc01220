"""Where a stage's growth from 100k to 1M invoices comes from, function by function.

``run.py``'s growth column says how much longer a stage takes on 10x the data; this
script says which of its parts grow more than 10x, so the growth can be read against
``primitives.py`` (issue #21: "every stage's growth 100k -> 1M at most 12x, or
explained"). Each size runs in its own process: the four CSVs are loaded as the command
loads them, then each stage runs once under ``cProfile``, in ``run.py``'s order, and the
functions' own times (``tottime``: the time in a function's own lines, numpy operators
included, not in the functions it calls) are compared between the sizes, with the
stage's minor page faults (``getrusage``): each is a first write to a page of memory
new to the process, which ``primitives.py``'s "fresh pages" row prices.

    python benchmarks/stage_growth.py                      # 100k and 1M (about 2 minutes)
    python benchmarks/stage_growth.py --size 2k 20k --cache /tmp/bench --top 5  # smoke run

The times are profiled times (``cProfile`` adds a little per Python call), so read the
growths, not the seconds; ``run.py`` gives the stages' unprofiled times.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

from run import DEFAULT_CACHE, history, load_folder, parse_size, size_label, training_dates

#: The stages whose growth was over 12x in the README's table (2026-12-07).
DEFAULT_STAGES = ("aging", "promise outcomes", "snapshots (26 weeks)")
ALL_STAGES = ("aging", "recovery curve", "promise outcomes", "snapshots (26 weeks)")


def _stage_calls(tables, as_of):
    """Each stage as ``run.py``'s stage process calls it."""
    import arcalls

    inv, pay, calls, _ = tables
    horizon = arcalls.ranking.DEFAULT_HORIZON_DAYS
    dates = training_dates(as_of)
    return {
        "aging": lambda: arcalls.aging(inv, pay, as_of=as_of),
        "recovery curve": lambda: arcalls.recovery_curve(inv, pay, as_of=as_of, n_boot=0),
        "promise outcomes": lambda: arcalls.promise_outcomes(calls, pay, inv, as_of=as_of),
        "snapshots (26 weeks)": lambda: arcalls.account_snapshots(
            *tables, as_of_dates=dates, horizon_days=horizon, data_end=as_of
        ),
    }


def _where(key: tuple[str, int, str]) -> str:
    """``package/module.py:line function``, or a built-in's own name."""
    path, line, name = key
    if path == "~":
        return name.strip("<>{}")
    parts = Path(path).parts
    # From the package down: arcalls/book.py, pyarrow/compute.py, pandas/core/...
    top = next((i for i, p in enumerate(parts) if p in ("arcalls", "site-packages")), None)
    if top is not None and parts[top] == "site-packages":
        top += 1
    short = "/".join(parts[top:]) if top is not None else parts[-1]
    return f"{short}:{line} {name}"


def worker(folder: Path, stages: list[str]) -> dict:
    """In this process: load, then each stage once, profiled; own times by function."""
    calls = _stage_calls(*load_folder(folder))
    out = {}
    for name in ALL_STAGES:
        if name not in stages:
            continue
        profile = cProfile.Profile()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.perf_counter()
        profile.enable()
        result = calls[name]()
        profile.disable()
        seconds = time.perf_counter() - start
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        del result
        own: dict[str, float] = {}
        for key, (_, _, tottime, _, _) in pstats.Stats(profile).stats.items():
            where = _where(key)
            own[where] = own.get(where, 0.0) + tottime
        out[name] = {"seconds": seconds, "faults": faults, "own": own}
    return out


def table(small: dict, large: dict, labels: tuple[str, str], top: int) -> str:
    """Per stage: its growth, then its ``top`` largest own times at the larger size."""
    a, b = labels
    lines = []
    for name, big in large.items():
        little = small[name]
        growth = big["seconds"] / little["seconds"]
        lines += [
            f"### {name}: {little['seconds']:.3f} s at {a}, {big['seconds']:.3f} s at {b} "
            f"({growth:.1f}x, profiled)",
            "",
            f"Page faults (first writes to memory new to the process): "
            f"{little['faults']:,} at {a}, {big['faults']:,} at {b} "
            f"({big['faults'] / max(little['faults'], 1):.1f}x).",
            "",
            f"| function (own time) | {a} ms | {b} ms | growth | share at {b} |",
            "|---|---|---|---|---|",
        ]
        ranked = sorted(big["own"].items(), key=lambda item: -item[1])[:top]
        for where, seconds in ranked:
            before = little["own"].get(where, 0.0)
            grew = f"{seconds / before:.1f}x" if before > 0 else "new"
            lines.append(
                f"| `{where}` | {before * 1e3:.1f} | {seconds * 1e3:.1f} | {grew} "
                f"| {seconds / big['seconds']:.0%} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", nargs=2, default=["100k", "1M"], metavar="N")
    parser.add_argument("--stages", default=",".join(DEFAULT_STAGES))
    parser.add_argument("--top", type=int, default=8, help="functions shown per stage")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = sorted(set(stages) - set(ALL_STAGES))
    if unknown:
        parser.error(f"unknown stage(s) {unknown}; choose from {list(ALL_STAGES)}")
    if args.worker is not None:
        print(json.dumps(worker(args.worker, stages)))
        return 0
    sizes = [parse_size(s) for s in args.size]
    results = []
    for n in sizes:
        folder = history(n, args.seed, args.cache)
        print(f"[{size_label(n)}] profiling {', '.join(stages)} ...", file=sys.stderr)
        command = [sys.executable, __file__, "--worker", str(folder), "--stages", args.stages]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(table(results[0], results[1], tuple(size_label(n) for n in sizes), args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
