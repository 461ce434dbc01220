"""Progress bars: drawn on a terminal, silent everywhere else (pipes, CI, tests)."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from arcalls._progress import ENV_VAR, Stages, progress, progress_enabled

SRC = Path(__file__).resolve().parents[1] / "src"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "environ", "expected"),
    [
        (_Tty(), {}, True),
        (io.StringIO(), {}, False),  # a pipe or a file
        (_Tty(), {"CI": "true"}, False),
        (_Tty(), {"PYTEST_CURRENT_TEST": "t"}, False),
        (_Tty(), {ENV_VAR: "0"}, False),
        (_Tty(), {ENV_VAR: "1", "CI": "true"}, True),
        (io.StringIO(), {ENV_VAR: "1"}, False),  # forced on still needs a terminal
    ],
)
def test_the_bar_is_drawn_only_for_a_person_at_a_terminal(stream, environ, expected):
    assert progress_enabled(stream, environ) is expected


def test_under_tests_the_helpers_pass_items_through_and_write_nothing(capfd):
    assert list(progress(range(3), desc="x")) == [0, 1, 2]
    with Stages(2, desc="y") as stages:
        stages.next("a")
        stages.next("b")
    assert capfd.readouterr() == ("", "")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_CURRENT_TEST", ENV_VAR)}
    env["PYTHONPATH"] = str(SRC)
    return env


SIMULATE = [sys.executable, "-m", "arcalls.simulate", "--customers", "20", "--seed", "1"]


def test_a_cli_run_piped_prints_no_progress(tmp_path):
    run = subprocess.run(
        [*SIMULATE, "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    assert run.stderr == ""
    assert "\r" not in run.stdout and "simulating" not in run.stdout
    # The simulator says what it wrote.
    assert run.stdout.splitlines()[0] == f"Wrote a simulated history to {tmp_path}:"
    assert "  customers.csv: 20 rows" in run.stdout.splitlines()


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")
def test_a_cli_run_on_a_terminal_shows_the_bar(tmp_path):
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*SIMULATE, "--out", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=_env(),
    )
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    assert b"simulating" in seen and b"day" in seen
