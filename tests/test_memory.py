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
