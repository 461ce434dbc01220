"""The README's performance table and its sentences are the saved benchmark run's figures.

``benchmarks/scale_figures.json`` is the ``--json`` of the ``benchmarks/run.py`` run the
README quotes (its date and conditions are in the README). Timings cannot be recomputed
in a test; what is checked is that every figure quoted is the saved one, so the README
cannot drift from the measurement it cites. ``scale_figures_2026-12-04.json`` is the
previous table's run, whose ratios the README compares with.
"""

from __future__ import annotations

import json
import re
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
