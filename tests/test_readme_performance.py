"""The README's performance table and its sentences are the saved benchmark run's figures.

``benchmarks/scale_figures.json`` is the ``--json`` of the ``benchmarks/run.py`` run the
README quotes (its date and conditions are in the README). Timings cannot be recomputed
in a test; what is checked is that every figure quoted is the saved one, so the README
cannot drift from the measurement it cites. ``scale_figures_2026-12-04.json`` is the
previous table's run, whose ratios the README compares with;
``scale_figures_2026-12-07_<head>.json`` are the two runs of the table before the
current one, whose floors and weekly runs it quotes.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = {
    "load + validate the four CSVs": ("stages", "load + validate"),
    "aging": ("stages", "aging"),
    "recovery curve": ("stages", "recovery curve"),
    "promise outcomes": ("stages", "promise outcomes"),
    "26 weekly training snapshots": ("stages", "snapshots (26 weeks)"),
    "model fit": ("stages", "model fit"),
    "ranking": ("stages", "ranking"),
    "call-list export": ("stages", "call-list export"),
    "whole `arcalls call-list` run (separate process)": ("weekly", None),
    "the same with a saved model (`--model model.skops`)": ("weekly_saved", None),
    "peer: plain pandas": ("peers", "peer: plain pandas"),
    "peer: polars": ("peers", "peer: polars"),
    "floor: `pyarrow.csv.read_csv` of the same files": ("floor", None),
}


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("## Performance\n", 1)[1].split("\n## ", 1)[0]


def _cell(run: dict, where: tuple[str, str | None]) -> dict:
    kind, name = where
    return run[kind] if name is None else run[kind][name]


def _saved(name: str = "scale_figures.json") -> list[dict]:
    """A saved run's two sizes, 100k then 1M."""
    return json.loads((ROOT / "benchmarks" / name).read_text())


def _said() -> str:
    """The README's performance section on one line."""
    return re.sub(r"\s+", " ", _section())


def test_the_performance_table_is_the_saved_run():
    small, large = _saved()
    rows = {}
    for line in _section().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] in ROWS:
            rows[cells[0]] = cells
    assert set(rows) == set(ROWS)
    for label, where in ROWS.items():
        a, b = _cell(small, where), _cell(large, where)
        cells = rows[label]
        assert cells[1] == f"{a['seconds']:.2f}", label
        assert cells[2] == f"{b['seconds']:.2f}", label
        if cells[3]:
            # rss_mb is ru_maxrss / 1024: MiB, so GiB are / 1024 (not "GB" of / 1000).
            assert cells[3] == f"{b['rss_mb'] / 1024:.1f} GiB", label
        assert cells[4] == f"{b['seconds'] / a['seconds']:.1f}x", label


def test_the_sentences_quote_the_saved_run():
    _, large = _saved()
    weekly, floor = large["weekly"], large["floor"]
    pandas, polars = large["peers"]["peer: plain pandas"], large["peers"]["peer: polars"]
    assert (
        f"takes {weekly['seconds']:.0f} s and {weekly['rss_mb'] / 1024:.1f} GiB: "
        f"{weekly['seconds'] / floor['seconds']:.0f}x the bare read, "
        f"{pandas['seconds'] / weekly['seconds']:.1f}x faster than the plain-pandas peer and "
        f"{_against(weekly['seconds'] / polars['seconds'])} the polars one "
        f"({weekly['cpu'] / polars['cpu']:.1f}x in CPU seconds)"
    ) in _said()


def test_the_saved_model_and_the_peaks_quote_the_saved_run():
    _, large = _saved()
    weekly, saved, floor = large["weekly"], large["weekly_saved"], large["floor"]
    said = _said()
    assert (
        f"With a saved model the run takes {saved['seconds']:.1f} s "
        f"({saved['seconds'] / floor['seconds']:.1f}x the read, "
        f"{saved['rss_mb'] / 1024:.1f} GiB). Its peak is {weekly['rss_mb']:,.0f} MiB "
        f"({saved['rss_mb']:,.0f} MiB with a saved model)"
    ) in said
    # "Under 2 GB however a GB is read": 2 * 10**9 bytes is 1,907 MiB.
    assert max(weekly["rss_mb"], saved["rss_mb"]) < 2 * 10**9 / 2**20
    # The previous table's figures, from its own saved run.
    _, before = _saved("scale_figures_2026-12-04.json")
    was = before["floor"]["seconds"]
    assert (
        f"the bare read took {was:.2f} s there, {floor['seconds']:.2f} s here), so compare "
        f"the ratios: there the weekly run was {before['weekly']['seconds'] / was:.1f}x the "
        f"read, {before['weekly_saved']['seconds'] / was:.1f}x with a saved model, and "
        f"peaked at {before['weekly']['rss_mb']:,.0f} MiB"
    ) in said


def _against(ratio: float) -> str:
    """arcalls' wall time against a peer's, said the way round it is."""
    if f"{ratio:.1f}" == "1.0":
        return "level with"
    return f"{ratio:.1f}x slower than" if ratio > 1 else f"{1 / ratio:.1f}x faster than"


def test_the_round_by_round_ratios_quote_the_saved_run():
    # The processes ran in rounds (benchmarks/run.py): the README gives each ratio's
    # range over the rounds and its median, not only the fastest runs' ratio.
    _, large = _saved()
    rounds = large["rounds"]

    def over(top: str, bottom: str) -> tuple[float, float, float]:
        ratios = [r[top] / r[bottom] for r in rounds]
        return min(ratios), max(ratios), statistics.median(ratios)

    weekly, saved, polars = (
        over("weekly", "floor"),
        over("weekly_saved", "floor"),
        over("weekly", "peer: polars"),
    )
    assert (
        f"Round by round ({len(rounds)} rounds, each running the weekly run, the saved-model "
        f"run, both peers and the floor once), the weekly run took {weekly[0]:.1f}x to "
        f"{weekly[1]:.1f}x the bare read (median {weekly[2]:.1f}x), {saved[0]:.1f}x to "
        f"{saved[1]:.1f}x with a saved model (median {saved[2]:.1f}x), and {polars[0]:.2f}x "
        f"to {polars[1]:.2f}x the polars peer's time (median {polars[2]:.2f}x)"
    ) in _said()


def test_the_runs_before_are_quoted_from_their_saved_figures():
    # The two runs of the table before this one, with their floors read back to back.
    _, large = _saved()
    before = [_saved(f"scale_figures_2026-12-07_{head}.json")[1] for head in ("eabc8d1", "1523230")]
    floors = [r["floor"] for r in large["rounds"]]
    weekly = [r["weekly"] for r in large["rounds"]]
    assert large["floor"]["seconds"] == min(floors)
    assert (
        f"In these rounds the read took {min(floors):.2f}-{max(floors):.2f} s, each time right "
        "after the peers. In the two runs of this table before, where the reads ran back to "
        f"back, it took {before[0]['floor']['seconds']:.2f} and "
        f"{before[1]['floor']['seconds']:.2f} s"
    ) in _said()
    assert (
        f"arcalls itself took {min(weekly):.2f}-{max(weekly):.2f} s, against "
        f"{before[0]['weekly']['seconds']:.2f} and {before[1]['weekly']['seconds']:.2f} s as "
        "the fastest of those runs"
    ) in _said()
    # Back to back, the floor was faster than in every round: the ratio fell with it.
    assert max(r["floor"]["seconds"] for r in before) < min(floors)


def test_the_floors_pools_are_quoted_from_their_saved_reads():
    reads = json.loads((ROOT / "benchmarks" / "floor_pools_2026-12-07.json").read_text())

    def between(label: str) -> str:
        values = [r[label] for r in reads]
        return f"{min(values):.2f}-{max(values):.2f} s"

    assert (
        "Right after the polars peer, a read into pyarrow's default pool (mimalloc) took "
        f"{between('default pool, after polars')}, and the same read into the C library's "
        "heap, the pool the `arcalls` command uses, took "
        f"{between('system pool, after polars')} (`benchmarks/floor_pools.py`, "
        f"{len(reads)} rounds"
    ) in _said()
    # The default pool's reads after polars were the slow ones, in every round.
    assert all(r["default pool, after polars"] > r["system pool, after polars"] for r in reads)


def test_the_forked_training_is_quoted_from_its_saved_rounds():
    rounds = json.loads((ROOT / "benchmarks" / "fork_training_2026-12-07.json").read_text())
    turn = [r["in turn"]["seconds"] for r in rounds]
    fork = [r["forked"]["seconds"] for r in rounds]
    saved = [a - b for a, b in zip(turn, fork, strict=True)]
    peaks = [r["forked"]["peak_pss_mib"] for r in rounds]
    # Both ways fitted the same model in every round.
    assert all(r["in turn"]["model"] == r["forked"]["model"] for r in rounds)
    sentence = (
        f"saved {statistics.median(saved):.2f} s in the median of {len(rounds)} rounds at 1M "
        f"(from {-min(saved):.2f} s lost to {max(saved):.2f} s saved), and the two "
        f"processes together peaked at {min(peaks):,.0f}-{max(peaks):,.0f} MiB, over 2 GB in "
        "every round"
    )
    assert sentence in _said()
    _, large = _saved()
    weekly, polars = large["weekly"], large["peers"]["peer: polars"]
    assert (
        f"over the whole run at 1M it kept {weekly['cpu'] / weekly['seconds']:.2f} cores busy "
        f"on average, where the polars peer kept {polars['cpu'] / polars['seconds']:.2f}"
    ) in _said()
    assert min(saved) < 0 < max(saved)
    assert min(peaks) > 2 * 10**9 / 2**20
    bench = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    section = re.sub(
        r"\s+", " ", bench.split("### 2026-12-07, sixth session", 1)[1].split("\n### ", 1)[0]
    )
    others = [r["forked"]["others_done"] for r in rounds]
    sorts = [r["two sorts at once"] / r["sort alone"] for r in rounds]
    turn_peaks = [r["in turn"]["peak_pss_mib"] for r in rounds]
    for said in (
        f"the forked section saved {statistics.median(saved):.2f} s in the median round, "
        f"from {-min(saved):.2f} s lost to {max(saved):.2f} s saved; its median was "
        f"{statistics.median(fork):.2f} s against {statistics.median(turn):.2f} s in turn",
        f"were done after {min(others):.2f}-{max(others):.2f} s",
        f"took {min(sorts):.2f}-{max(sorts):.2f}x one sort alone",
        f"{min(peaks):,.0f}-{max(peaks):,.0f} MiB forked, against "
        f"{min(turn_peaks):,.0f}-{max(turn_peaks):,.0f} MiB in turn",
    ):
        assert said in section, said
    # The gap to polars, round by round in the README's table.
    gaps = [r["weekly"] - r["peer: polars"] for r in large["rounds"]]
    assert (
        f"arcalls kept {weekly['cpu'] / weekly['seconds']:.2f} cores busy on average "
        f"({weekly['cpu']:.2f} CPU s in {weekly['seconds']:.2f} s) and the polars peer "
        f"{polars['cpu'] / polars['seconds']:.2f} ({polars['cpu']:.2f} CPU s in "
        f"{polars['seconds']:.2f} s)"
    ) in section
    assert f"{min(gaps):.2f}-{max(gaps):.2f} s a round in the README's table" in section
    # Each round's row of the table, as the script printed it.
    for k, r in enumerate(rounds, start=1):
        row = (
            f"| {k} | {r['in turn']['seconds']:.2f} | {r['forked']['seconds']:.2f} | "
            f"{r['in turn']['seconds'] - r['forked']['seconds']:.2f} |"
        )
        assert row in section, row
