"""Handing freed memory back between stages: glibc's trim where there is one, and no
failure where the C library has none."""

from __future__ import annotations

import ctypes
import os
import platform
import subprocess
import sys
import tomllib
from pathlib import Path

import pyarrow as pa
import pytest

from arcalls import _memory
from arcalls.cli import main


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="malloc_trim is glibc's",
)
def test_glibc_trim_is_found_and_hands_back():
    trim = _memory._malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)  # 1: memory was released, 0: there was none to release
    _memory.release_freed_memory()


def test_without_a_trim_in_the_c_library_only_arrow_is_asked(monkeypatch):
    def no_library(name):
        raise OSError("no C library symbols here")

    _memory._malloc_trim.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", no_library)
    try:
        assert _memory._malloc_trim() is None
        _memory.release_freed_memory()  # Arrow's pool only; no error
    finally:
        _memory._malloc_trim.cache_clear()


# --- the command line's allocator ------------------------------------------------------


def _last_line_of_a_fresh_process(code: str, env: dict) -> str:
    """The last line ``code`` prints in a fresh Python, with ``env`` over the test's
    environment less any pool the test run itself chose."""
    environ = {k: v for k, v in os.environ.items() if k != _memory.ARROW_POOL_VARIABLE}
    done = subprocess.run(
        [sys.executable, "-c", code], env={**environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _pool_after_the_switch(env: dict) -> str:
    """Arrow's default pool, in a fresh process, after the command line's switch."""
    code = (
        "import pyarrow as pa\n"
        "from arcalls._memory import use_system_allocator\n"
        "use_system_allocator()\n"
        "print(pa.default_memory_pool().backend_name)\n"
    )
    return _last_line_of_a_fresh_process(code, env)


def test_the_command_line_allocates_arrow_memory_from_the_system_heap():
    assert _pool_after_the_switch({}) == "system"


def test_a_pool_the_user_chose_is_kept():
    # mimalloc is in pyarrow's wheels for every platform arcalls supports.
    assert pa.mimalloc_memory_pool().backend_name == "mimalloc"
    assert _pool_after_the_switch({_memory.ARROW_POOL_VARIABLE: "mimalloc"}) == "mimalloc"


def test_both_ways_of_starting_the_command_make_the_switch():
    """``python -m arcalls.cli`` makes the switch (run in a fresh process, whose pool is
    read as it exits), the console script starts at the same ``run``, and ``main``
    (called in-process by tests and notebooks) does not switch."""
    code = (
        "import atexit, runpy, sys\n"
        "import pyarrow as pa\n"
        "atexit.register(lambda: print('pool', pa.default_memory_pool().backend_name))\n"
        "sys.argv = ['arcalls', '--version']\n"
        "runpy.run_module('arcalls.cli', run_name='__main__')\n"
    )
    assert _last_line_of_a_fresh_process(code, {}) == "pool system"

    root = Path(__file__).resolve().parents[1]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"arcalls": "arcalls.cli:run"}

    before = pa.default_memory_pool().backend_name
    assert main(["aging"]) == 0
    assert pa.default_memory_pool().backend_name == before
