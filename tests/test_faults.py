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
from arcalls.worksheet import _column_names, append_calls

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
    header = _column_names(c.value for c in ws[1])
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
        # The dead run's leftovers are gone (of any output: a log's dated backup is
        # never written again under its name); a running one's are not touched.
        assert not left.exists() and not left_too.exists() and not other.exists()
        assert running.exists()
        assert pd.read_csv(tmp_path / "list.csv").equals(_frame())
    finally:
        alive.kill()
        alive.wait()


# -- 17.4 kill -9 at random moments ---------------------------------------------------

#: Kills per command and format; each at a seeded random moment of a run.
KILLS = 10


def _run(argv: list[str], cwd: Path) -> float:
    """Run an arcalls command to the end in a subprocess; return its duration."""
    import time

    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "arcalls.cli", *argv], cwd=cwd, env=ENV, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    return time.monotonic() - start


def _killed_runs(argv: list[str], cwd: Path, duration: float, reset, check, seed: int) -> None:
    """Start ``argv`` KILLS times, kill -9 it at a random moment, then ``check``."""
    import random
    import signal
    import time

    rng = random.Random(seed)
    for _ in range(KILLS):
        reset()
        run = subprocess.Popen(
            [sys.executable, "-m", "arcalls.cli", *argv],
            cwd=cwd,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Most of a run is importing and computing: aim at its second half, where the
        # files are written, and a little past its usual end.
        time.sleep(rng.uniform(0.5, 1.1) * duration)
        run.send_signal(signal.SIGKILL)
        run.wait()
        check()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.arcalls-*.tmp"))


@pytest.mark.skipif(os.name == "nt", reason="kill -9 is POSIX")
def test_call_list_csv_killed_is_the_old_or_the_new_list_never_a_mix(tmp_path):
    main_csv, excluded = tmp_path / "week.csv", tmp_path / "week_excluded.csv"
    old_argv = ["call-list", "--handoff-age", "none", "--top", "3", "--as-of", "2026-09-30"]
    _run([*old_argv, "--out", "week.csv"], tmp_path)
    old = main_csv.read_bytes(), excluded.read_bytes()
    new_argv = ["call-list", "--handoff-age", "none", "--top", "5", "--out", "week.csv"]
    duration = _run(new_argv, tmp_path)
    new = main_csv.read_bytes(), excluded.read_bytes()
    assert old[0] != new[0] and old[1] != new[1]
    seen = []

    def reset():
        main_csv.write_bytes(old[0])
        excluded.write_bytes(old[1])

    def check():
        got = main_csv.read_bytes(), excluded.read_bytes()
        pd.read_csv(main_csv), pd.read_csv(excluded)  # both parse in full
        state = (
            "old" if got[0] == old[0] else "new" if got[0] == new[0] else "torn",
            "old" if got[1] == old[1] else "new" if got[1] == new[1] else "torn",
        )
        # The documented window: the list is renamed before its excluded file.
        assert state in {("old", "old"), ("new", "new"), ("new", "old")}, state
        seen.append(state)

    _killed_runs(new_argv, tmp_path, duration, reset, check, seed=17)
    assert len(seen) == KILLS
    # The next complete run removes what the killed ones left.
    _run(new_argv, tmp_path)
    assert (main_csv.read_bytes(), excluded.read_bytes()) == new
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(os.name == "nt", reason="kill -9 is POSIX")
def test_call_list_xlsx_killed_is_the_old_or_the_new_workbook(tmp_path):
    book = tmp_path / "week.xlsx"
    _run(["call-list", "--handoff-age", "none", "--top", "3", "--out", "week.xlsx"], tmp_path)
    old = book.read_bytes()
    new_argv = ["call-list", "--handoff-age", "none", "--top", "5", "--out", "week.xlsx"]
    duration = _run(new_argv, tmp_path)
    new = book.read_bytes()
    assert old != new

    def check():
        got = book.read_bytes()
        assert got in (old, new)
        openpyxl.load_workbook(book).close()  # parses in full

    _killed_runs(new_argv, tmp_path, duration, lambda: book.write_bytes(old), check, seed=18)
    _run(new_argv, tmp_path)
    assert book.read_bytes() == new
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(os.name == "nt", reason="kill -9 is POSIX")
def test_log_calls_killed_is_the_old_or_the_new_log(week, tmp_path):
    _fill(week, tmp_path / "a.xlsx", range(2, 6), 9)
    log = tmp_path / "calls.csv"
    old = Path(arcalls.sample_path("calls")).read_bytes()

    def reset():
        log.write_bytes(old)
        for backup in tmp_path.glob("calls.*.bak.csv"):
            backup.unlink()

    argv = ["log-calls", "a.xlsx", "--calls", "calls.csv"]
    reset()
    duration = _run(argv, tmp_path)
    new = log.read_bytes()
    assert new.startswith(old) and new != old

    def check():
        assert log.read_bytes() in (old, new)
        arcalls.load_calls(log)  # parses in full
        for backup in tmp_path.glob("calls.*.bak.csv"):
            assert backup.read_bytes() == old  # a backup is the previous log, whole

    _killed_runs(argv, tmp_path, duration, reset, check, seed=19)
    reset()
    _run(argv, tmp_path)
    assert log.read_bytes() == new
    assert _leftovers(tmp_path) == []
    assert not (tmp_path / ".calls.csv.lock").exists()


def test_the_readme_states_the_lock_timeout():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What arcalls guarantees about your files")[1].split("\n## ")[0]
    assert f"waits up to {_export.LOCK_TIMEOUT:g} seconds" in section
    assert ".arcalls-<pid>.tmp" in section and _export._temp_name(Path("x")).startswith(
        f".x.arcalls-{os.getpid()}"
    )
