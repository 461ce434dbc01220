"""The Excel call list with and without its call sheets, at 10k and 100k invoices (issue 20).

    python benchmarks/call_sheets.py                    # 10k and 100k invoices (a few minutes)
    python benchmarks/call_sheets.py --size 2k --cache /tmp/bench --repeat 1  # smoke run

For each size, a simulated history (``benchmarks/generate.py``, as ``run.py`` uses) is
generated once and cached under ``benchmarks/.cache/calls-history-<invoices>-seed0/``.
Then the weekly command runs as a user runs it, in its own process, twice per repeat:

1. ``arcalls call-list FOLDER --out list.xlsx`` (the list without sheets);
2. ``arcalls call-list FOLDER --out list.xlsx --call-sheets`` (plus one call sheet per
   listed account in the ``Call sheets`` sheet).

Each keeps its smallest CPU time (user + system of the child, which the other processes
of a shared machine do not inflate as they do the wall time, also shown) over
``--repeat`` runs. The table gives both, the ratio
with/without (the target: no more than 2x at 100k) and, with two sizes, each one's
growth from the smallest size to the largest: call sheets that grow linearly grow like
the list itself, where the quadratic writer grew by the square of the accounts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Where generated histories are kept between runs (git-ignored).
DEFAULT_CACHE = HERE / ".cache"
#: The sizes measured when none is given (invoices).
DEFAULT_SIZES = ("10k", "100k")
#: The two commands compared: the list alone, and the list with its call sheets.
PLAIN, SHEETS = "list.xlsx", "list.xlsx --call-sheets"


def parse_size(text: str) -> int:
    """``"2k"`` -> 2000, ``"1M"`` -> 1,000,000, ``"5000"`` -> 5000."""
    text = text.strip()
    scale = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale != 1 else text) * scale)


def _history(n_invoices: int, seed: int, cache: Path) -> Path:
    folder = cache / f"calls-history-{n_invoices}-seed{seed}"
    if all((folder / f"{kind}.csv").exists() for kind in ("invoices", "payments", "calls")):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(HERE / "generate.py"), "--invoices", str(n_invoices)]
    subprocess.run([*command, "--seed", str(seed), "--out", str(folder)], check=True)
    return folder


def _timed(command: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child process, which must succeed.

    CPU time (user + system, from ``wait4``) is the figure compared: on a shared machine
    the wall time also counts the other processes' turns on the cores.
    """
    t0 = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    err = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"failed ({code}): {' '.join(command)}\n{err}")
    return usage.ru_utime + usage.ru_stime, wall


def _accounts(out: Path) -> int:
    """Accounts on the written list (its data rows), read back without styles."""
    from openpyxl import load_workbook

    wb = load_workbook(out, read_only=True)
    try:
        return sum(1 for _ in wb["Call list"].iter_rows(min_row=2, max_col=1))
    finally:
        wb.close()


def measure(n_invoices: int, *, seed: int, cache: Path, repeat: int) -> dict:
    """Fastest wall seconds of each command on one generated history."""
    folder = _history(n_invoices, seed, cache)
    out = folder / "out" / "list.xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    base = [sys.executable, "-m", "arcalls.cli", "call-list", str(folder), "--out", str(out)]
    seconds = {PLAIN: [], SHEETS: []}
    for _ in range(repeat):
        seconds[PLAIN].append(_timed(base))
        seconds[SHEETS].append(_timed([*base, "--call-sheets"]))
    return {
        "invoices": n_invoices,
        "accounts": _accounts(out),
        PLAIN: min(cpu for cpu, _ in seconds[PLAIN]),
        SHEETS: min(cpu for cpu, _ in seconds[SHEETS]),
        "wall": {k: min(wall for _, wall in v) for k, v in seconds.items()},
    }


def table(results: list[dict]) -> str:
    """The results as a Markdown table, with the growth line when there are two sizes."""
    lines = [
        "| invoices | listed accounts | list CPU s | list + call sheets CPU s | ratio "
        "| wall s (list / with sheets) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['invoices']:,} | {r['accounts']:,} | {r[PLAIN]:.1f} | {r[SHEETS]:.1f} "
            f"| {r[SHEETS] / r[PLAIN]:.2f}x | {r['wall'][PLAIN]:.1f} / {r['wall'][SHEETS]:.1f} |"
        )
    if len(results) > 1:
        small, large = results[0], results[-1]
        lines.append("")
        lines.append(
            f"growth {large['invoices']:,} / {small['invoices']:,} invoices: list "
            f"{large[PLAIN] / small[PLAIN]:.1f}x, list + call sheets "
            f"{large[SHEETS] / small[SHEETS]:.1f}x (accounts "
            f"{large['accounts'] / max(small['accounts'], 1):.1f}x)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", nargs="+", default=list(DEFAULT_SIZES), help="e.g. 10k 100k")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each command (fastest)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    os.environ.setdefault("MPLBACKEND", "Agg")
    results = []
    for size in sorted(args.size, key=parse_size):
        result = measure(parse_size(size), seed=args.seed, cache=args.cache, repeat=args.repeat)
        print(
            f"{result['invoices']:,} invoices: list {result[PLAIN]:.1f} CPU s, "
            f"with call sheets {result[SHEETS]:.1f} CPU s",
            flush=True,
        )
        results.append(result)
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
