"""The weekly run at scale against the cost of reading the files: one table (issue #7).

    python benchmarks/run.py                    # 100k and 1M invoices (minutes)
    python benchmarks/run.py --size 100k        # one size, no growth column
    python benchmarks/run.py --size 2k --cache /tmp/bench --repeat 1  # a smoke run (seconds)

For each size, a simulated history (about 3 calls per invoice, proportional payments and
customers; ``benchmarks/generate.py``) is generated once and cached under
``benchmarks/.cache/calls-history-<invoices>-seed<seed>/``. Then three child processes:

1. the stages, timed one after another in one process, each on the previous stage's
   results: load + validate (the four CSVs through the public loaders, as the CLI does),
   aging, recovery curve, promise outcomes, 26 weekly snapshots, model fit, ranking and
   the call-list export (CSV); memory is the process's peak RSS after each stage
   (monotone: the peak so far, as ``getrusage`` reports it);
2. the whole weekly ``arcalls call-list FOLDER --out FILE`` as a user runs it (its own
   peak RSS, from ``wait4``), then the same with ``--model FILE``: the model trained and
   saved by a first, untimed run and loaded by the timed ones, as an owner runs it week
   after week;
3. the floor: a bare ``pyarrow.csv.read_csv`` of the same four files;
4. the peers (``benchmarks/peers/``): the same weekly list as a plain-pandas and a
   polars script an analyst would write, each in its own process on the same folder and
   as-of date, timed and measured as the weekly run (skipped with ``--no-peers``).

Each child runs ``--repeat`` times (3 by default) and the table keeps each stage's
fastest time, the others carrying the machine's noise, and the largest peak RSS. The
separate processes run in rounds (the weekly run, with a saved model, each peer, the
floor; then again), so that the ratios can also be taken round by round: the notes
under the table give each round's ratios and their median (``rounds`` in the JSON). It
gives seconds and peak RSS per stage and size, the ratio of the weekly run to
the floor, and (with two sizes) each stage's growth ratio, largest size over smallest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
#: Where generated histories are kept between runs (git-ignored).
DEFAULT_CACHE = HERE / ".cache"
#: The sizes measured when none is given (invoices).
DEFAULT_SIZES = ("100k", "1M")
#: Weekly snapshots the model trains on (as ``arcalls.fit_call_priority_model``).
TRAIN_WEEKS = 26
#: The in-process stages, in the order they run.
STAGES = (
    "load + validate",
    "aging",
    "recovery curve",
    "promise outcomes",
    "snapshots (26 weeks)",
    "model fit",
    "ranking",
    "call-list export",
)
#: The separate-process rows of the table.
WEEKLY = "weekly call-list (process)"
WEEKLY_SAVED = "weekly call-list, saved model (process)"
FLOOR = "floor: pyarrow read_csv"
#: The peer rows (benchmarks/peers/): table label -> script.
PEERS = {"peer: plain pandas": "pandas_weekly.py", "peer: polars": "polars_weekly.py"}
KINDS = ("invoices", "payments", "calls", "customers")


def parse_size(text: str) -> int:
    """'2k' -> 2000, '1M' -> 1000000, '250000' -> 250000."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not found:
        raise argparse.ArgumentTypeError(f"expected a size like 2k, 100k or 1M, got {text!r}")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[found.group(2).lower()]
    return int(float(found.group(1)) * scale)


def rounds_parser(description: str, json_help: str) -> argparse.ArgumentParser:
    """The options of a script that measures in rounds at one size (``floor_pools.py``,
    ``fork_training.py``); :func:`parse_rounds` reads them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", type=parse_size, default=parse_size("1M"), help="invoices")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="history folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help=json_help)
    return parser


def parse_rounds(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    return args


def print_and_save(text: str, results, path: Path | None) -> None:
    """Print a script's table, and write its measurements to ``path`` (its ``--json``)."""
    print(text)
    if path:
        path.write_text(json.dumps(results, indent=2))


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak RSS in MiB (2^20 bytes; the JSON key ``rss_mb`` keeps its old name)."""
    peak = resource.getrusage(who).ru_maxrss
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def history(n_invoices: int, seed: int, cache: Path) -> Path:
    """The cached history folder for this size, generated on first use."""
    folder = cache / f"calls-history-{n_invoices}-seed{seed}"
    if all((folder / f"{kind}.csv").exists() for kind in KINDS):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(HERE / "generate.py"), "--invoices", str(n_invoices)]
    command += ["--seed", str(seed), "--out", str(folder)]
    print(f"generating {size_label(n_invoices)} invoices into {folder} ...", flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return folder


def _run_child(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of one child process (``env``: its
    environment, the parent's when None); raises on failure."""
    t0 = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {code}")
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return seconds, peak, out


# --------------------------------------------------------------------------- children


def load_folder(folder: Path):
    """The four CSVs of ``folder`` and their as-of date, loaded as the command loads them."""
    from arcalls.cli._common import add_input_arguments, load_tables, resolve_as_of

    parser = argparse.ArgumentParser()
    add_input_arguments(parser)
    args = parser.parse_args([str(folder)])
    tables = load_tables(args)
    return tables, resolve_as_of(args, tables)


def training_dates(as_of):
    """The weekly run's training dates: TRAIN_WEEKS weeks back from the last labelled day."""
    import pandas as pd

    import arcalls

    last = as_of - pd.Timedelta(days=arcalls.ranking.DEFAULT_HORIZON_DAYS)
    return pd.DatetimeIndex([last - pd.Timedelta(weeks=i) for i in range(TRAIN_WEEKS)])


def stages_worker(folder: Path, out_dir: Path, selected: list[str]) -> dict:
    """Run the selected stages in this process; seconds and peak RSS after each."""

    import arcalls
    from arcalls.calllist import write_call_list

    results: dict[str, dict] = {}
    state: dict[str, object] = {}

    def stage(name, func):
        t0, cpu0 = time.perf_counter(), time.process_time()
        value = func()
        seconds = time.perf_counter() - t0
        if name in selected:
            # CPU seconds of all the process's threads: on a shared machine the wall
            # time carries the other processes' load, the CPU time much less.
            cpu = time.process_time() - cpu0
            results[name] = {"seconds": seconds, "rss_mb": _peak_rss_mb(), "cpu": cpu}
        return value

    tables, as_of = stage("load + validate", lambda: load_folder(folder))
    inv, pay, calls, customers = tables
    # Every later stage depends only on the loaded tables, so an unselected stage that a
    # selected one needs still runs (untimed in the table).
    if "aging" in selected:
        stage("aging", lambda: arcalls.aging(inv, pay, as_of=as_of))
    if "recovery curve" in selected:
        # As the weekly run uses it (the handoff age): no bootstrap bands.
        stage("recovery curve", lambda: arcalls.recovery_curve(inv, pay, as_of=as_of, n_boot=0))
    promises = None
    if {"promise outcomes", "call-list export"} & set(selected):
        promises = stage(
            "promise outcomes", lambda: arcalls.promise_outcomes(calls, pay, inv, as_of=as_of)
        )
    needs_model = {"snapshots (26 weeks)", "model fit", "ranking", "call-list export"}
    model = None
    if needs_model & set(selected):
        horizon = arcalls.ranking.DEFAULT_HORIZON_DAYS
        dates = training_dates(as_of)
        snap = stage(
            "snapshots (26 weeks)",
            lambda: arcalls.account_snapshots(
                *tables, as_of_dates=dates, horizon_days=horizon, data_end=as_of
            ),
        )
        state["snapshot_rows"] = len(snap)
        train = snap[(snap["overdue_balance"] > 0) & snap["paid_within_horizon"].notna()]
        del snap
        model = stage(
            "model fit",
            lambda: arcalls.CallPriorityModel(horizon_days=horizon).fit(train),
        )
        del train

        def rank():
            now = arcalls.account_snapshots(*tables, as_of_dates=[as_of], label=False)
            return model.rank(now)

        state["ranked_accounts"] = len(stage("ranking", rank))
    if "call-list export" in selected:

        def export():
            result = arcalls.call_list(*tables, as_of=as_of, model=model, promises=promises)
            write_call_list(result, out_dir / "call_list.csv")
            return result

        state["listed_accounts"] = len(stage("call-list export", export).calls)
    rows = {
        kind: (0 if frame is None else len(frame))
        for kind, frame in zip(KINDS, tables, strict=True)
    }
    return {"stages": results, "rows": rows, "as_of": str(as_of.date()), **state}


def floor_worker(folder: Path) -> dict:
    """The floor: pyarrow's CSV reader over the same files, nothing else (``pool``: the
    memory pool it read into, pyarrow's default unless ``ARROW_DEFAULT_MEMORY_POOL``)."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    t0 = time.perf_counter()
    rows = {kind: pacsv.read_csv(folder / f"{kind}.csv").num_rows for kind in KINDS}
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": rows, "pool": pa.default_memory_pool().backend_name}


# --------------------------------------------------------------------------- parent


def measure(n_invoices: int, args) -> dict:
    """Each child run ``args.repeat`` times: the fastest time of each stage (the others
    carry the machine's noise) and the largest peak RSS.

    The separate processes (the weekly run, with a saved model, the peers and the floor)
    run in rounds, one of each per round, so that a slow spell of a shared machine falls
    on all of them rather than on one row: ``rounds`` keeps each round's seconds, from
    which :func:`spread` gives the ratios round by round.
    """
    folder = history(n_invoices, args.seed, args.cache)
    label = size_label(n_invoices)
    result: dict = {"size": label, "folder": str(folder), "repeat": args.repeat}
    me = [sys.executable, str(Path(__file__).resolve())]
    with tempfile.TemporaryDirectory(prefix="arcalls-bench-") as tmp:
        if args.stages:
            print(f"[{label}] stages in one process, x{args.repeat} ...", flush=True)
            stage_args = ["--worker", "stages", "--folder", str(folder), "--out-dir", tmp]
            runs = []
            for _ in range(args.repeat):
                _, _, out = _run_child([*me, *stage_args, "--stages", ",".join(args.stages)])
                runs.append(_last_json(out))
            result.update(runs[0])
            result["stages"] = {
                name: _best_of([r["stages"][name] for r in runs]) for name in runs[0]["stages"]
            }
        commands: dict[str, list[str]] = {}
        if not args.no_weekly:
            command = [sys.executable, "-m", "arcalls.cli", "call-list", str(folder)]
            command += ["--out", str(Path(tmp) / "weekly.csv")]
            commands["weekly"] = command
            # The same week with the model trained once and saved (the first, untimed run
            # trains and saves it; the timed ones load it), as an owner runs it weekly.
            saved = [*command, "--model", str(Path(tmp) / "model.skops")]
            print(f"[{label}] training and saving the model once (untimed) ...", flush=True)
            _run_child(saved)
            commands["weekly_saved"] = saved
        if not args.no_peers:
            for name, script in PEERS.items():
                command = [sys.executable, str(HERE / "peers" / script), str(folder)]
                command += ["--out", str(Path(tmp) / f"peer-{script}.csv")]
                if "as_of" in result:  # the as-of date of the stages, else the peer's own
                    command += ["--as-of", result["as_of"]]
                commands[name] = command
        rounds = []
        for k in range(args.repeat):
            print(
                f"[{label}] round {k + 1} of {args.repeat}: {', '.join(commands)}, floor ...",
                flush=True,
            )
            one = {name: _timed_once(command) for name, command in commands.items()}
            seconds, peak, out = _run_child([*me, "--worker", "floor", "--folder", str(folder)])
            floor = _last_json(out)
            one["floor"] = {"seconds": floor["seconds"], "rss_mb": peak, "wall": seconds}
            rounds.append(one)
        for name in ("weekly", "weekly_saved"):
            if name in commands:
                result[name] = _best_of([r[name] for r in rounds])
        if not args.no_peers:
            result["peers"] = {name: _best_of([r[name] for r in rounds]) for name in PEERS}
        result["floor"] = _best_of([r["floor"] for r in rounds])
        result["rounds"] = [{name: run["seconds"] for name, run in r.items()} for r in rounds]
        result.setdefault("rows", floor["rows"])
    return result


def _timed_once(command: list[str]) -> dict:
    """One run of one child process: wall seconds, its CPU seconds and peak RSS."""
    before = _children_cpu()
    seconds, peak, _ = _run_child(command)
    return {"seconds": seconds, "rss_mb": peak, "cpu": _children_cpu() - before}


def spread(result: dict) -> dict[str, list[float]]:
    """Round by round (``result["rounds"]``): the weekly run and the saved-model run over
    the floor, and the weekly run over each peer; each list in the rounds' order."""
    ratios: dict[str, list[float]] = {}
    for r in result.get("rounds", []):
        if "weekly" not in r:
            continue
        pairs = {"weekly / floor": ("weekly", "floor")}
        if "weekly_saved" in r:
            pairs["saved model / floor"] = ("weekly_saved", "floor")
        for peer in PEERS:
            if peer in r:
                pairs[f"weekly / {peer.removeprefix('peer: ')}"] = ("weekly", peer)
        for what, (top, bottom) in pairs.items():
            ratios.setdefault(what, []).append(r[top] / r[bottom])
    return ratios


def _children_cpu() -> float:
    """User + system CPU seconds of the waited-for children so far (a shared machine's
    wall time counts the other processes' turns too)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _last_json(out: str) -> dict:
    """The JSON line a worker prints last."""
    return json.loads(out.strip().splitlines()[-1])


def _best_of(runs: list[dict]) -> dict:
    """The fastest of repeated measurements, with the largest peak memory of them."""
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["rss_mb"] = max(r["rss_mb"] for r in runs)
    if "wall" in best:
        best["wall"] = min(r["wall"] for r in runs)
    if "cpu" in best:
        best["cpu"] = min(r["cpu"] for r in runs)
    return best


def table(results: list[dict]) -> str:
    """The report: one row per stage, seconds and peak RSS per size, growth ratio."""
    names = [s for s in STAGES if any(s in r.get("stages", {}) for r in results)]
    if any("weekly" in r for r in results):
        names.append(WEEKLY)
    if any("weekly_saved" in r for r in results):
        names.append(WEEKLY_SAVED)
    names += [p for p in PEERS if any(p in r.get("peers", {}) for r in results)]
    names.append(FLOOR)

    def cell(r: dict, name: str) -> dict | None:
        if name == WEEKLY:
            return r.get("weekly")
        if name == WEEKLY_SAVED:
            return r.get("weekly_saved")
        if name == FLOOR:
            return r.get("floor")
        if name in PEERS:
            return r.get("peers", {}).get(name)
        return r.get("stages", {}).get(name)

    header = ["stage"]
    for r in results:
        header += [f"{r['size']} s", f"{r['size']} peak RSS MiB"]
    growth = len(results) >= 2
    if growth:
        header.append(f"growth {results[-1]['size']}/{results[0]['size']}")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        row = [name]
        for r in results:
            c = cell(r, name)
            row += ["n/a", "n/a"] if c is None else [f"{c['seconds']:.2f}", f"{c['rss_mb']:,.0f}"]
        if growth:
            a, b = cell(results[0], name), cell(results[-1], name)
            row.append(
                f"{b['seconds'] / a['seconds']:.1f}x" if a and b and a["seconds"] > 0 else "n/a"
            )
        lines.append("| " + " | ".join(row) + " |")
    notes = []
    for r in results:
        rows = ", ".join(f"{k} {v:,}" for k, v in r["rows"].items())
        note = f"{r['size']}: {rows}"
        if "weekly" in r and r["floor"]["seconds"] > 0:
            ratio = r["weekly"]["seconds"] / r["floor"]["seconds"]
            # Both as processes: Python start-up and imports on each side.
            by_process = r["weekly"]["seconds"] / r["floor"]["wall"]
            note += (
                f"; weekly run / floor = {ratio:.1f}x "
                f"({by_process:.1f}x against the floor's whole process)"
            )
            if "weekly_saved" in r:
                saved = r["weekly_saved"]["seconds"] / r["floor"]["seconds"]
                note += f"; with a saved model / floor = {saved:.1f}x"
        cpus = [(n, c["cpu"]) for n, c in r.get("stages", {}).items() if "cpu" in c]
        if cpus:
            note += "; CPU s: " + ", ".join(f"{n} {c:.2f}" for n, c in cpus)
            if r.get("weekly", {}).get("cpu"):
                note += f", {WEEKLY} {r['weekly']['cpu']:.2f}"
        for name, peer in r.get("peers", {}).items():
            if "weekly" in r and peer["seconds"] > 0:
                note += f"; arcalls / {name.removeprefix('peer: ')} = "
                note += f"{r['weekly']['seconds'] / peer['seconds']:.2f}x"
                if peer.get("cpu") and r["weekly"].get("cpu"):
                    note += f" (CPU {r['weekly']['cpu'] / peer['cpu']:.2f}x)"
        ratios = spread(r)
        if ratios:
            note += "; round by round: " + ", ".join(
                f"{what} {' / '.join(f'{x:.2f}x' for x in values)} (median {median(values):.2f}x)"
                for what, values in ratios.items()
            )
        notes.append(note)
    return "\n".join(lines) + "\n\n" + "\n".join(notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        nargs="+",
        type=parse_size,
        default=[parse_size(s) for s in DEFAULT_SIZES],
        help="invoice counts, e.g. 100k 1M (default: 100k 1M)",
    )
    parser.add_argument(
        "--stages",
        default="all",
        help="comma-separated stage names, 'all' (default) or 'none'; "
        "choose from: " + ", ".join(STAGES),
    )
    parser.add_argument("--no-weekly", action="store_true", help="skip the weekly process run")
    parser.add_argument("--no-peers", action="store_true", help="skip the peer scripts' rows")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="history folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each child process; the table keeps the fastest (default: 3)",
    )
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument("--show", type=Path, help="print the table of a saved --json and exit")
    parser.add_argument("--worker", choices=("stages", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")

    if args.stages == "all":
        args.stages = list(STAGES)
    elif args.stages == "none":
        args.stages = []
    else:
        args.stages = [s.strip() for s in args.stages.split(",") if s.strip()]
        unknown = sorted(set(args.stages) - set(STAGES))
        if unknown:
            parser.error(f"unknown stage(s) {unknown}; choose from {', '.join(STAGES)}")

    if args.worker == "stages":
        print(json.dumps(stages_worker(args.folder, args.out_dir, args.stages)))
        return 0
    if args.worker == "floor":
        print(json.dumps(floor_worker(args.folder)))
        return 0

    if args.show:
        print(table(json.loads(args.show.read_text())))
        return 0
    sizes = sorted(set(args.size))
    results = [measure(n, args) for n in sizes]
    print()
    print(
        f"arcalls benchmark, {os.cpu_count()} CPUs, fastest of {args.repeat} run(s), "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )
    print_and_save(table(results), results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
