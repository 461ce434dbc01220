"""Issue 17: every write is safe under concurrency, kill -9 and a full or read-only disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import arcalls
from arcalls import _export
from arcalls.cli import main
from arcalls.errors import OutputError
from arcalls.worksheet import append_calls

SRC = Path(arcalls.__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(SRC)}


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> Path:
    """An Excel list of 10 accounts from the bundled sample."""
    folder = tmp_path_factory.mktemp("week")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        code = main(["call-list", "--out", "week.xlsx", "--top", "10", "--handoff-age", "none"])
    assert code == 0
    return folder / "week.xlsx"


def _fill(source: Path, target: Path, rows: range, hour: int) -> int:
    """A copy of the list with a voicemail typed into each of ``rows``; their number."""
    wb = openpyxl.load_workbook(source)
    ws = wb["Call list"]
    header = [c.value for c in ws[1]]
    for r in rows:
        ws.cell(row=r, column=header.index("called_at") + 1).value = f"2026-11-02 {hour}:{r:02d}"
        ws.cell(row=r, column=header.index("outcome") + 1).value = "voicemail"
    wb.save(target)
    return len(rows)


def _log_calls(filled: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "arcalls.cli", "log-calls", str(filled), "--calls", str(log)],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


# -- 17.1 two log-calls at once -------------------------------------------------------


def test_two_concurrent_log_calls_keep_every_row_of_both(week, tmp_path):
    a = _fill(week, tmp_path / "a.xlsx", range(2, 5), 10)
    b = _fill(week, tmp_path / "b.xlsx", range(5, 9), 14)
    original = Path(arcalls.sample_path("calls")).read_bytes()
    before = len(arcalls.load_calls(arcalls.sample_path("calls")))
    for attempt in range(5):
        log = tmp_path / f"calls{attempt}.csv"
        log.write_bytes(original)
        runs = [_log_calls(tmp_path / "a.xlsx", log), _log_calls(tmp_path / "b.xlsx", log)]
        errors = [run.communicate(timeout=120)[1].decode() for run in runs]
        assert [run.returncode for run in runs] == [0, 0], errors
        after = log.read_bytes()
        assert after.startswith(original)
        assert len(arcalls.load_calls(log)) == before + a + b, f"attempt {attempt}"
        # Each run backed up the log it found: the first the original, the second the
        # original plus the first run's rows.
        backups = sorted(tmp_path.glob(f"calls{attempt}.*.bak.csv"))
        assert len(backups) == 2
        assert sorted(len(arcalls.load_calls(p)) for p in backups) in (
            [before, before + a],
            [before, before + b],
        )


def test_a_held_lock_is_waited_for_then_refused(tmp_path, monkeypatch):
    log = tmp_path / "calls.csv"
    new = pd.DataFrame(
        {
            "call_id": ["LOG-1"],
            "customer_id": ["C1"],
            "called_at": pd.to_datetime(["2026-11-02 10:15"]),
            "outcome": ["voicemail"],
        }
    )
    monkeypatch.setattr(_export, "LOCK_TIMEOUT", 0.3)
    with _export.file_lock(log):
        holder = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, arcalls._export as e; "
                "e.LOCK_TIMEOUT = 0.2\n"
                "try:\n    e.file_lock(sys.argv[1]).__enter__()\n"
                "except e.OutputError as x:\n    print(x)",
                str(log),
            ],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (tmp_path / ".calls.csv.lock").exists()
    assert "Another arcalls run is changing" in holder.stdout, holder.stderr
    # Released and removed: the next run takes it at once and leaves nothing behind.
    assert not (tmp_path / ".calls.csv.lock").exists()
    assert len(append_calls(new, log).added) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["calls.csv"]
    # A lock file left by a killed run is not held: it is taken and removed.
    (tmp_path / ".calls.csv.lock").write_bytes(b"")
    assert len(append_calls(new.assign(call_id="LOG-2", outcome="contact"), log).added) == 1
    assert not (tmp_path / ".calls.csv.lock").exists()


def test_the_lock_refuses_a_missing_folder(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        with _export.file_lock(tmp_path / "nope" / "calls.csv"):
            pass


def test_append_calls_keeps_its_signature_and_docs():
    import inspect

    assert "log" in inspect.signature(append_calls).parameters
    assert "exclusive lock" in append_calls.__doc__
    _ = shutil  # imported for later fault tests
