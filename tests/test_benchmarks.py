"""Smoke test of benchmarks/run.py: it runs end to end and prints its table.

No timing is asserted: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def _run_module(script: Path = BENCH):
    """A benchmark script, imported as a module (run.py by default)."""
    spec = importlib.util.spec_from_file_location(f"bench_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sizes_read_like_the_issue_writes_them():
    run = _run_module()
    assert run.parse_size("2k") == 2_000
    assert run.parse_size("100k") == 100_000
    assert run.parse_size("1M") == 1_000_000
    assert run.size_label(1_000_000) == "1M"
    assert run.size_label(2_500) == "2500"


def test_a_small_run_prints_every_stage(tmp_path):
    run = _run_module()
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--size",
            "2k",
            "--stages",
            "all",
            "--cache",
            str(tmp_path),
            "--repeat",
            "2",
            "--json",
            str(tmp_path / "run.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for name in (*run.STAGES, run.WEEKLY, *run.PEERS, run.FLOOR):
        assert f"| {name} |" in done.stdout
    assert "weekly run / floor" in done.stdout
    # The ratios arcalls / peer, one per peer row.
    assert "arcalls / plain pandas = " in done.stdout
    assert "arcalls / polars = " in done.stdout
    # The processes ran in rounds, one of each per round, the table keeping the fastest.
    assert "round 1 of 2: weekly, weekly_saved, peer: plain pandas, peer: polars, floor" in (
        done.stdout
    )
    (result,) = json.loads((tmp_path / "run.json").read_text())
    assert len(result["rounds"]) == 2
    for name in ("weekly", "weekly_saved", "floor"):
        assert result[name]["seconds"] == min(r[name] for r in result["rounds"])
    for name in run.PEERS:
        assert result["peers"][name]["seconds"] == min(r[name] for r in result["rounds"])
    assert "round by round: weekly / floor " in done.stdout


def test_the_ratios_are_also_taken_round_by_round():
    run = _run_module()
    rounds = [
        {"weekly": 20.0, "weekly_saved": 16.0, "peer: plain pandas": 80.0, "floor": 2.0},
        {"weekly": 30.0, "weekly_saved": 18.0, "peer: plain pandas": 90.0, "floor": 2.5},
        {"weekly": 24.0, "weekly_saved": 20.0, "peer: plain pandas": 60.0, "floor": 3.0},
    ]
    ratios = run.spread({"rounds": rounds})
    # By hand: 20/2, 30/2.5, 24/3; 16/2, 18/2.5, 20/3; 20/80, 30/90, 24/60.
    assert ratios["weekly / floor"] == [10.0, 12.0, 8.0]
    assert ratios["saved model / floor"] == [8.0, 7.2, 20.0 / 3.0]
    assert ratios["weekly / plain pandas"] == [0.25, 30.0 / 90.0, 0.4]
    assert "weekly / polars" not in ratios  # no such peer in these rounds
    assert run.spread({}) == {}


def test_the_primitives_yardstick_prints_every_primitive():
    script = BENCH.parent / "primitives.py"
    primitives = _run_module(script)
    done = subprocess.run(
        [sys.executable, str(script), "--sizes", "100", "1000", "10000", "--elements", "10000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == len(primitives.PRIMITIVES)
    assert all(line.count("x |") == 2 for line in rows)
    assert [line.split(" | ")[0][2:] for line in rows] == list(primitives.PRIMITIVES)


def test_the_call_sheets_benchmark_prints_its_table(tmp_path):
    script = BENCH.parent / "call_sheets.py"
    done = subprocess.run(
        [sys.executable, str(script), "--size", "2k", "--cache", str(tmp_path), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| invoices | listed accounts | list CPU s | list + call sheets CPU s | ratio" in (
        done.stdout
    )
    assert "| 2,000 |" in done.stdout


def test_the_stage_growth_script_attributes_each_stage(tmp_path):
    script = BENCH.parent / "stage_growth.py"
    command = [sys.executable, str(script), "--size", "2k", "5k", "--cache", str(tmp_path)]
    command += ["--stages", "aging,promise outcomes", "--top", "3"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    heads = re.findall(
        r"^### (.+): ([0-9.]+) s at 2k, ([0-9.]+) s at 5k \(([0-9.]+)x, profiled\)$",
        done.stdout,
        flags=re.M,
    )
    assert [h[0] for h in heads] == ["aging", "promise outcomes"]
    for _, small, large, growth in heads:
        # The growth is the ratio of the two times it quotes, to their rounding (0.0005 s)
        # and its own (0.05).
        s, g = float(small), float(large)
        assert (g - 5e-4) / (s + 5e-4) - 0.05 <= float(growth) <= (g + 5e-4) / (s - 5e-4) + 0.05
    assert done.stdout.count("Page faults (first writes to memory new to the process): ") == 2
    rows = [line for line in done.stdout.splitlines() if line.startswith("| `")]
    assert len(rows) == 6
    shares = [int(line.rstrip(" |").rsplit("| ", 1)[1].rstrip("%")) for line in rows]
    assert all(0 <= share <= 100 for share in shares)


def _run_rounds(name: str, rounds: int, tmp_path: Path):
    """A rounds script of benchmarks/ at 2k invoices: its stdout and its --json."""
    command = [sys.executable, str(BENCH.parent / name), "--size", "2k", "--cache", str(tmp_path)]
    command += ["--rounds", str(rounds), "--json", str(tmp_path / "rounds.json")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, json.loads((tmp_path / "rounds.json").read_text())


def test_the_floor_pools_script_reads_with_each_pool(tmp_path):
    # Each read checks it used the pool asked for (the script fails otherwise).
    stdout, (reads,) = _run_rounds("floor_pools.py", 1, tmp_path)
    labels = [
        "default pool, after polars",
        "default pool, again",
        "system pool, after polars",
        "system pool, again",
    ]
    assert list(reads) == labels
    assert all(seconds > 0 for seconds in reads.values())
    assert "| round | " + " | ".join(labels) + " |" in stdout


@pytest.mark.skipif(
    not hasattr(os, "fork") or not os.path.exists("/proc/self/smaps_rollup"),
    reason="fork_training.py measures with os.fork and /proc (Linux only)",
)
def test_the_fork_training_script_fits_the_same_model_both_ways(tmp_path):
    # The script fails when the forked child fits another model than the one in turn.
    stdout, rounds = _run_rounds("fork_training.py", 2, tmp_path)
    assert len(rounds) == 2
    for one in rounds:
        turn, fork = one["in turn"], one["forked"]
        assert turn["model"] == fork["model"]
        assert turn["others_done"] is None and 0 < fork["others_done"] < fork["seconds"]
        # Both processes are counted while the child runs, so the forked peak is the larger.
        assert fork["peak_pss_mib"] > turn["peak_pss_mib"] > 0
        assert one["sort alone"] > 0 and one["two sorts at once"] > 0
    # The table's "saved" column is in turn minus forked, round by round.
    rows = [line for line in stdout.splitlines() if line.startswith("| 1 ")]
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    first = rounds[0]
    saved = first["in turn"]["seconds"] - first["forked"]["seconds"]
    assert cells[3] == f"{saved:.2f}"
