"""Handing freed memory back to the system between the stages of a run.

Both allocators under pandas keep what a stage frees for reuse: Arrow's pool, and the C
library's heap (glibc keeps freed blocks of up to 32 MB in its heap, and hands back
only what lies at its top). A stage that freed a few hundred megabytes of temporaries
then leaves them counted in the process's memory while the next one adds its own, so
the run's peak is the sum of two stages' temporaries rather than the larger of them.
At 1M invoices the weekly run held 600 MB of such free memory after its training (1.9 GB
resident, 1.3 GB after a trim, which took 0.03 s).

A trim at a few stage boundaries is cheap; trimming on every free (glibc's
``M_TRIM_THRESHOLD`` set low, as Dask does for its workers) cost the run 6-20 CPU
seconds of page faults, for a peak 0.05-0.1 GB lower than these trims.
"""

from __future__ import annotations

import ctypes
import functools
import os

#: Arrow's own switch for its default pool; when the user sets it, it is theirs.
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def use_system_allocator() -> None:
    """Have Arrow allocate from the C library's heap, where numpy allocates, unless the
    user chose Arrow's pool (``ARROW_DEFAULT_MEMORY_POOL``).

    pyarrow's default pool (mimalloc in its Linux wheels) keeps its own segments, so
    what an Arrow-backed stage frees cannot serve the next stage's numpy arrays, nor the
    other way round; on one heap each stage reuses what the one before freed. The weekly
    call list at 1M invoices peaked at 2,048 MiB (median of 7; 1,973-2,082) with the
    system pool against 2,123 MiB (2,089-2,159) with mimalloc, in as much time
    (``benchmarks/README.md``, 2026-12-07). Only the command line calls this: it owns
    its process, where a library import must not switch the pool of a notebook's other
    work.
    """
    if os.environ.get(ARROW_POOL_VARIABLE):
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def release_freed_memory() -> None:
    """Hand back the memory Arrow's pool and the C library's heap hold free."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl,
    Windows): there the trims are skipped and only the peak memory differs."""
    try:
        # The process's own symbols, the C library's among them (no search for its file).
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim
