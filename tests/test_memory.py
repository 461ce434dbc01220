"""Handing freed memory back between stages: glibc's trim where there is one, and no
failure where the C library has none."""

from __future__ import annotations

import ctypes
import platform

import pytest

from arcalls import _memory


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


def _pool_after_the_switch(env: dict) -> str:
    """Arrow's default pool, in a fresh process, after the command line's switch."""
    import os
    import subprocess
    import sys

    code = (
        "import pyarrow as pa\n"
        "from arcalls._memory import use_system_allocator\n"
        "use_system_allocator()\n"
        "print(pa.default_memory_pool().backend_name)\n"
    )
    environ = {k: v for k, v in os.environ.items() if k != _memory.ARROW_POOL_VARIABLE}
    done = subprocess.run(
        [sys.executable, "-c", code], env={**environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_command_line_allocates_arrow_memory_from_the_system_heap():
    assert _pool_after_the_switch({}) == "system"


def test_a_pool_the_user_chose_is_kept():
    import pyarrow as pa

    # mimalloc is in pyarrow's wheels for every platform arcalls supports.
    assert pa.mimalloc_memory_pool().backend_name == "mimalloc"
    assert _pool_after_the_switch({_memory.ARROW_POOL_VARIABLE: "mimalloc"}) == "mimalloc"


def test_both_ways_of_starting_the_command_make_the_switch():
    """The console script and ``python -m arcalls.cli`` start at ``run``, which makes the
    switch; ``main`` (called in-process by tests and notebooks) does not."""
    import inspect
    import tomllib
    from pathlib import Path

    import arcalls.cli

    root = Path(__file__).resolve().parents[1]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"arcalls": "arcalls.cli:run"}
    assert "sys.exit(run())" in (root / "src/arcalls/cli/__main__.py").read_text()
    assert "use_system_allocator()" in inspect.getsource(arcalls.cli.run)
    assert "use_system_allocator" not in inspect.getsource(arcalls.cli.main)
