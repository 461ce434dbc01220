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


# -- 17.3 durable replace, full disk, read-only folder, leftovers ---------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["C1", "C2"], "amount": [1.5, 2.25]})


def test_the_replace_is_fsynced_file_then_folder(tmp_path, monkeypatch):
    import stat

    synced = []
    real = os.fsync

    def record(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real(fd)

    monkeypatch.setattr(_export.os, "fsync", record)
    _export.write_csvs({tmp_path / "a.csv": _frame(), tmp_path / "b.csv": _frame()})
    # Both temporary files before any rename, then the folder once.
    assert synced == [False, False, True]


def test_a_full_disk_is_a_clear_error_and_the_old_file_survives(tmp_path, monkeypatch, capsys):
    import errno

    shutil.copy(arcalls.sample_path("invoices"), tmp_path / "invoices.csv")
    target = tmp_path / "aging.csv"
    target.write_text("last week's table\n")
    real = pd.DataFrame.to_csv

    def full_disk(self, path, *args, **kwargs):
        Path(path).write_text("customer_id,amou")  # a part was written, then no room
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    with pytest.raises(OutputError, match="disk is full: free some space") as info:
        _export.write_csv(_frame(), target)
    assert "previous file(s) are unchanged" in str(info.value)
    code = main(["aging", "--invoices", str(tmp_path / "invoices.csv"), "--out", str(target)])
    err = capsys.readouterr().err
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    monkeypatch.setattr(pd.DataFrame, "to_csv", real)
    assert target.read_text() == "last week's table\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aging.csv", "invoices.csv"]


def test_a_read_only_folder_is_a_clear_error_and_the_old_file_survives(tmp_path, monkeypatch):
    import errno

    target = tmp_path / "list.csv"
    target.write_text("old\n")

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    # Root ignores folder permissions: refuse the rename the way a read-only folder does.
    monkeypatch.setattr(_export.os, "replace", refuse)
    with pytest.raises(OutputError, match="choose a folder you can write to"):
        _export.write_csv(_frame(), target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["list.csv"]


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root ignores permissions")
def test_a_chmod_read_only_folder_is_a_clear_error(tmp_path):
    target = tmp_path / "list.csv"
    target.write_text("old\n")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="Permission denied"):
            _export.write_csv(_frame(), target)
    finally:
        tmp_path.chmod(0o755)
    assert target.read_text() == "old\n"


def test_temporary_files_are_named_and_leftovers_of_dead_runs_removed(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(dead.stdout)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        left = tmp_path / f".list.csv.arcalls-{dead_pid}.tmp"
        left_too = tmp_path / f".list.csv.arcalls-{dead_pid}-2.tmp"
        running = tmp_path / f".list.csv.arcalls-{alive.pid}.tmp"
        other = tmp_path / f".other.csv.arcalls-{dead_pid}.tmp"
        for p in (left, left_too, running, other):
            p.write_text("half a fil")
        seen = []
        with _export.atomic_path(tmp_path / "list.csv") as tmp:
            seen.append(tmp.name)
            _frame().to_csv(tmp, index=False)
        assert seen == [f".list.csv.arcalls-{os.getpid()}.tmp"]
        # The dead run's leftovers of this output are gone; a running one's, and
        # another output's, are not touched.
        assert not left.exists() and not left_too.exists()
        assert running.exists() and other.exists()
        assert pd.read_csv(tmp_path / "list.csv").equals(_frame())
    finally:
        alive.kill()
        alive.wait()
