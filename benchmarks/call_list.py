"""Time and peak memory of ``arcalls call-list`` over a large simulated history.

    python benchmarks/call_list.py --invoices 1000000

Generates the history once with ``benchmarks/generate.py`` (about three calls per
invoice) and caches its CSVs under ``benchmarks/.cache/``; then runs the command exactly
as a user would (``arcalls call-list FOLDER --out ...``: load, train the model on the
history, rank, write) in a child process, and prints its wall time and peak resident
memory, measured by the kernel for that child alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"


def _history(n_invoices: int, seed: int) -> Path:
    folder = CACHE / f"calls-history-{n_invoices}-seed{seed}"
    if all((folder / f"{kind}.csv").exists() for kind in ("invoices", "payments", "calls")):
        print(f"cached:   {folder}")
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        str(HERE / "generate.py"),
        "--invoices",
        str(n_invoices),
        "--seed",
        str(seed),
        "--out",
        str(folder),
    ]
    subprocess.run(command, check=True)
    return folder


def _run(command: list[str]) -> tuple[int, float, float]:
    """Exit code, wall seconds and peak RSS (MB) of one child process."""
    t0 = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return child.returncode, seconds, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="default: in the cache folder")
    parser.add_argument("extra", nargs="*", help="more call-list options, after --")
    args = parser.parse_args(argv)

    folder = _history(args.invoices, args.seed)
    rows = {
        kind: sum(1 for _ in (folder / f"{kind}.csv").open("rb")) - 1
        for kind in ("invoices", "payments", "calls", "customers")
        if (folder / f"{kind}.csv").exists()
    }
    print("input rows: " + ", ".join(f"{k}={n:,}" for k, n in rows.items()))
    out = args.out or folder / "out" / "call_list.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "arcalls.cli",
        "call-list",
        str(folder),
        "--out",
        str(out),
        *args.extra,
    ]
    print("running:  " + " ".join(command))
    code, seconds, peak = _run(command)
    print(f"call-list: exit {code}, {seconds:.1f} s wall, peak RSS {peak:,.0f} MB")
    return code


if __name__ == "__main__":
    sys.exit(main())
