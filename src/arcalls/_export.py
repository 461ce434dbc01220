"""Safe outputs: atomic writes and formula neutralising for every export.

An owner opens our CSVs in a spreadsheet. A customer name such as ``=HYPERLINK(...)``
typed into an accounting system must arrive there as text, never as a formula; and a
command that fails half-way must leave the previous file as it was.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from .errors import OutputError

#: A cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe (OWASP's advice for CSV injection). Numbers, dates and booleans
    are left alone, so a negative amount stays a number.

    Examples
    --------
    >>> neutralize_formulas(pd.DataFrame({"name": ["=1+1", "Acme"], "x": [-1.5, 2.0]}))
        name    x
    0  '=1+1 -1.5
    1   Acme  2.0
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        text = s.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
        if risky.any():
            out[col] = s.astype("object").where(~risky, "'" + text.astype("object"))
    return out


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (symlinks, ``..``, relative paths, case)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_outputs(
    inputs: Iterable[str | os.PathLike | None],
    outputs: Iterable[str | os.PathLike | None],
    *,
    option: str = "--out",
) -> None:
    """Refuse outputs that would overwrite an input or another output of the same run.

    Two paths are the same file when they resolve to it: through a symlink, a relative
    path or ``..``, or a change of case on a case-insensitive filesystem (compared with
    :func:`os.path.samefile` when both exist, else by their resolved, case-normalised
    paths). ``None`` entries are ignored; ``option`` names the option to change in the
    message.

    Raises
    ------
    OutputError
        Naming both paths and the fix (choose another output name or folder).

    Examples
    --------
    >>> check_outputs(["invoices.csv"], ["call_list.csv", "call_list_excluded.csv"])
    >>> check_outputs(["data/invoices.csv"], ["data/../data/invoices.csv"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    arcalls.errors.OutputError: The output data/../data/invoices.csv is the input ...
    """
    ins = [Path(p) for p in inputs if p is not None]
    outs = [Path(p) for p in outputs if p is not None]
    for i, out in enumerate(outs):
        for source in ins:
            if _same_file(out, source):
                raise OutputError(
                    f"The output {out} is the input {source}: writing it would destroy the "
                    f"input. Choose another output name or folder ({option})."
                )
        for other in outs[:i]:
            if _same_file(out, other):
                raise OutputError(
                    f"The outputs {other} and {out} are the same file: one would overwrite "
                    f"the other. Choose different output names ({option})."
                )


#: Seconds a run waits for another run's lock on a call log before giving up.
LOCK_TIMEOUT = 30.0
#: Seconds between two tries to take a lock.
_LOCK_POLL = 0.05


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file ``fd`` without waiting; False if held."""
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def file_lock(path: str | os.PathLike, *, timeout: float | None = None) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` (through ``.<name>.lock`` beside it).

    Every arcalls run that changes ``path`` takes the lock first, so two runs never
    interleave their read-check-write. The lock is ``fcntl.flock`` on POSIX and
    ``msvcrt.locking`` on Windows, on a sidecar file removed when the lock is released
    (a run killed with ``kill -9`` leaves it behind, unlocked: the next run takes it and
    removes it). The operating system releases the lock when the run ends, even when
    it is killed. Advisory: programs other than arcalls that write ``path`` do not see
    it.

    Parameters
    ----------
    path : path-like
        The file to protect (it need not exist yet).
    timeout : float, optional
        Seconds to wait for a run that holds the lock (default :data:`LOCK_TIMEOUT`).

    Raises
    ------
    OutputError
        When another run still holds the lock after ``timeout`` seconds, or the lock
        file cannot be created.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(
            f"Cannot write {target}: the folder {folder} does not exist. "
            "Create it first or choose another path."
        )
    lock = folder / f".{target.name}.lock"
    wait = LOCK_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OutputError(
                f"Cannot lock {target}: cannot create {lock} ({exc.strerror or exc}). "
                "Choose a folder you can write to."
            ) from exc
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise OutputError(
                    f"Another arcalls run is changing {target} (it holds {lock}) and did "
                    f"not finish within {wait:g} seconds. Wait for it to end and run again; "
                    "nothing was written."
                )
            time.sleep(_LOCK_POLL)
        # The run before may have removed the lock file while this one waited on it:
        # the lock only counts on the file that is still at that path.
        held = os.fstat(fd)
        try:
            now = os.stat(lock)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_ino, now.st_dev) == (held.st_ino, held.st_dev):
            break
        os.close(fd)
    try:
        yield target
    finally:
        if os.name != "nt":  # Windows cannot remove an open file; it stays there
            lock.unlink(missing_ok=True)
        os.close(fd)  # closing the file releases the lock


def locking(argument: str):
    """Decorate a function so that it runs holding :func:`file_lock` on ``argument``."""

    def decorate(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def locked(*args, **kwargs):
            path = signature.bind(*args, **kwargs).arguments[argument]
            with file_lock(path):
                return func(*args, **kwargs)

        return locked

    return decorate


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` only on success.

    Raises
    ------
    OutputError
        When the folder does not exist or cannot be written.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(
            f"Cannot write {target}: the folder {folder} does not exist. "
            "Create it first or choose another --out."
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(
            f"Cannot write {target}: {exc.strerror}. Choose a folder you can write to."
        ) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp makes the file owner-only; an output should get the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except OSError as exc:
        raise OutputError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    finally:
        tmp_path.unlink(missing_ok=True)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, **to_csv_kwargs) -> Path:
    """Write ``frame`` as UTF-8 CSV, formula-safe and atomically; return the path."""
    to_csv_kwargs.setdefault("index", False)
    to_csv_kwargs.setdefault("lineterminator", "\n")
    with atomic_path(path) as tmp:
        neutralize_formulas(frame).to_csv(tmp, **to_csv_kwargs)
    return Path(path)


@contextlib.contextmanager
def atomic_paths(*paths: str | os.PathLike) -> Iterator[list[Path]]:
    """Like :func:`atomic_path` for several files: all are replaced, or none.

    The files are moved into place one after the other only once every temporary file
    has been written, so a failure while writing any of them leaves all the previous
    files as they were.
    """
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(atomic_path(p)) for p in paths]


def write_csvs(frames: dict, **to_csv_kwargs) -> list[Path]:
    """Write several frames (``{path: frame}``) as CSV like :func:`write_csv`, all or none."""
    to_csv_kwargs.setdefault("index", False)
    to_csv_kwargs.setdefault("lineterminator", "\n")
    with atomic_paths(*frames) as tmps:
        for tmp, frame in zip(tmps, frames.values(), strict=True):
            neutralize_formulas(frame).to_csv(tmp, **to_csv_kwargs)
    return [Path(p) for p in frames]


def save_figure(fig, path: str | os.PathLike, **savefig_kwargs) -> Path:
    """Save a matplotlib figure atomically; return the path."""
    savefig_kwargs.setdefault("dpi", 120)
    savefig_kwargs.setdefault("bbox_inches", "tight")
    fmt = Path(path).suffix.lstrip(".") or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, **savefig_kwargs)
    return Path(path)
