"""Why the floor moves: the bare read after a large process, by Arrow's memory pool.

    python benchmarks/floor_pools.py --size 1M --cache /tmp/bench --rounds 3 --json F
    python benchmarks/floor_pools.py --size 2k --cache /tmp/bench --rounds 1  # smoke run

``run.py``'s floor is a bare ``pyarrow.csv.read_csv`` of the four files, in a process of
its own, with pyarrow's default memory pool (mimalloc in its Linux wheels). In
``run.py``'s rounds it runs right after the polars peer, and there it took half as long
again as back to back. Here each round runs the polars peer (untimed), then the floor
twice, first with the default pool, then again the same way; then the polars peer again
and the floor twice with the C library's heap (``ARROW_DEFAULT_MEMORY_POOL=system``,
the pool the ``arcalls`` command uses). Each read is timed inside its process, as in
``run.py``. The table gives each round's four reads.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from run import (
    HERE,
    PEERS,
    _last_json,
    _run_child,
    history,
    parse_rounds,
    print_and_save,
    rounds_parser,
)

#: The reads of a round, in the order they run: (label, pool, after the polars peer).
READS = (
    ("default pool, after polars", None, True),
    ("default pool, again", None, False),
    ("system pool, after polars", "system", True),
    ("system pool, again", "system", False),
)


def read_once(folder: Path, pool: str | None) -> float:
    """Seconds of one bare read of ``folder``'s four files, in a process of its own."""
    env = dict(os.environ)
    env.pop("ARROW_DEFAULT_MEMORY_POOL", None)
    if pool is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = pool
    command = [sys.executable, str(HERE / "run.py"), "--worker", "floor", "--folder", str(folder)]
    _, _, out = _run_child(command, env=env)
    read = _last_json(out)
    if (read["pool"] == "system") != (pool == "system"):
        raise RuntimeError(f"the read used the {read['pool']} pool, not the one asked ({pool})")
    return read["seconds"]


def measure(folder: Path, rounds: int, out_dir: Path) -> list[dict[str, float]]:
    """Each round's four reads (seconds, by :data:`READS`' labels)."""
    polars = [sys.executable, str(HERE / "peers" / PEERS["peer: polars"]), str(folder)]
    polars += ["--out", str(out_dir / "polars.csv")]
    results = []
    for k in range(rounds):
        print(f"round {k + 1} of {rounds} ...", flush=True)
        one = {}
        for label, pool, after_polars in READS:
            if after_polars:
                _run_child(polars)
            one[label] = read_once(folder, pool)
        results.append(one)
    return results


def table(results: list[dict[str, float]]) -> str:
    lines = ["| round | " + " | ".join(label for label, _, _ in READS) + " |"]
    lines.append("|" + "---|" * (len(READS) + 1))
    for k, one in enumerate(results, start=1):
        cells = [f"{one[label]:.2f}" for label, _, _ in READS]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = rounds_parser(__doc__.splitlines()[0], "also write the reads here")
    args = parse_rounds(parser, argv)
    folder = history(args.size, args.seed, args.cache)
    with tempfile.TemporaryDirectory(prefix="arcalls-floor-") as tmp:
        results = measure(folder, args.rounds, Path(tmp))
    print_and_save(table(results), results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
