"""Safe outputs: atomic writes and formula neutralising for every export.

An owner opens our CSVs in a spreadsheet. A customer name such as ``=HYPERLINK(...)``
typed into an accounting system must arrive there as text, never as a formula; and a
command that fails half-way must leave the previous file as it was.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import os
import re
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ._keys import arrow_text
from .errors import OutputError

#: A cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Characters a spreadsheet may split a CSV line on (its locale's list separator, a tab
#: or a pipe), whatever separator the file was written with.
CELL_SEPARATORS = (",", ";", "\t", "|")

_TRIGGER = "[" + re.escape("".join(FORMULA_PREFIXES)) + "]"
_AT_PIECE = "(?:^|(?<=[" + re.escape("".join(CELL_SEPARATORS)) + "]))( *)"
# Where a piece of a cell (its start, or what follows a separator) would run as a
# formula. A piece that already starts with apostrophes before a trigger gets one more,
# so that reading back removes exactly the one the export added (a genuine leading
# apostrophe survives the round trip).
_RISKY_PIECE = re.compile(_AT_PIECE + "(?='*" + _TRIGGER + ")")
_QUOTED_PIECE = re.compile(_AT_PIECE + "'(?='*" + _TRIGGER + ")")
# The same without a group, to find the cells (str.contains warns about groups).
_HAS_RISKY = re.compile(_RISKY_PIECE.pattern.replace("( *)", "(?: *)", 1))
_HAS_QUOTED = re.compile(_QUOTED_PIECE.pattern.replace("( *)", "(?: *)", 1))
# _HAS_RISKY without look-arounds, for Arrow's RE2 (in C++, on a whole column at once):
# a piece's start (the cell's, or a separator), spaces, apostrophes, a trigger.
_HAS_RISKY_RE2 = "(?:^|[" + re.escape("".join(CELL_SEPARATORS)) + "]) *'*" + _TRIGGER


def _is_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)


def neutralize_text(values: pd.Series) -> pd.Series:
    """Text with an apostrophe before every piece a spreadsheet would run as a formula.

    A piece is the cell's start or what follows a separator (:data:`CELL_SEPARATORS`,
    after optional spaces), so ``Acme;=1+1`` becomes ``Acme;'=1+1``: a spreadsheet that
    splits the line on ``;`` sees ``'=1+1``, text. :func:`restore_text` undoes it exactly.

    Examples
    --------
    >>> neutralize_text(pd.Series(["=1+1", "Acme;=1+1", "a, -2", "'=x", "Acme"])).tolist()
    ["'=1+1", "Acme;'=1+1", "a, '-2", "''=x", 'Acme']
    """
    risky = _arrow_matches(values, _HAS_RISKY_RE2)
    if risky is None:
        text = values.astype("string")
        risky = text.str.contains(_HAS_RISKY).fillna(False).to_numpy(dtype=bool)
    if not risky.any():
        return values
    text = values[risky].astype("string")
    quoted = text.str.replace(_RISKY_PIECE, r"\1'", regex=True)
    return values.astype("object").mask(risky, quoted.astype("object"))


def restore_text(values: pd.Series) -> pd.Series:
    """The text :func:`neutralize_text` was given: one added apostrophe removed per piece.

    Examples
    --------
    >>> restore_text(pd.Series(["'=1+1", "Acme;'=1+1", "''=x", "'Acme", None])).tolist()
    ['=1+1', 'Acme;=1+1', "'=x", "'Acme", None]
    """
    # Only a cell holding an apostrophe can hold a quoted piece: a plain substring test
    # (pyarrow's, in C, on an Arrow column as it is) finds those first, so the regex
    # (Python's, cell by cell) runs on a handful of cells instead of every id, name and
    # note of a 3M-row file. Casting an Arrow column to "string" first would copy every
    # cell into a Python string (the casts were 0.7 s of a 100k-invoice load).
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("string")
    quoted = text.str.contains("'", regex=False).fillna(False).to_numpy(dtype=bool)
    if not quoted.any():
        return values
    few = text[quoted].astype("string")
    hit = few.str.contains(_HAS_QUOTED).fillna(False).to_numpy(dtype=bool)
    quoted[quoted] = hit
    if not quoted.any():
        return values
    plain = few[hit].str.replace(_QUOTED_PIECE, r"\1", regex=True)
    return values.mask(quoted, plain.astype(values.dtype))


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe (OWASP's advice for CSV injection), and so does such text after a
    separator inside a cell (:func:`neutralize_text`); control characters that no
    cell should hold (:data:`CSV_CONTROL`, NUL among them) are removed. Numbers, dates
    and booleans are left alone, so a negative amount stays a number.

    Examples
    --------
    >>> neutralize_formulas(pd.DataFrame({"name": ["=1+1", "Acme"], "x": [-1.5, 2.0]}))
        name    x
    0  '=1+1 -1.5
    1   Acme  2.0
    """
    out = frame.copy()
    for col in out.columns:
        if _is_text(out[col]):
            out[col] = neutralize_text(_without_controls(out[col]))
    return out


#: Control characters a CSV cell must not carry (NUL truncates a cell in some programs,
#: and the loaders refuse them): C0 but tab, newline and carriage return, and DEL.
CSV_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _arrow_matches(values: pd.Series, pattern: str):
    """Whether each cell holds a match of the RE2 ``pattern`` (missing: no), searched by
    Arrow on the whole column; None when the column is not all text (or is empty)."""
    text = arrow_text(values) if len(values) else None
    if text is None:
        return None
    import pyarrow.compute as pc

    found = pc.match_substring_regex(text, pattern)
    return pc.fill_null(found, False).to_numpy(zero_copy_only=False).astype(bool)


def _without_controls(values: pd.Series) -> pd.Series:
    bad = _arrow_matches(values, CSV_CONTROL.pattern)
    if bad is None:
        try:
            bad = values.str.contains(CSV_CONTROL, na=False).to_numpy(dtype=bool)
        except AttributeError:  # no text in this column
            return values
    if not bad.any():
        return values
    cleaned = values[bad].str.replace(CSV_CONTROL, "", regex=True)
    return values.astype("object").mask(bad, cleaned.astype("object"))


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


#: Temporary files are ``.<name>.arcalls-<pid>[-<n>].tmp`` beside the output.
_TEMP_SUFFIX = ".tmp"


def _temp_name(target: Path, n: int = 0) -> str:
    return f".{target.name}.arcalls-{os.getpid()}{f'-{n}' if n else ''}{_TEMP_SUFFIX}"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: alive
        return True
    return True


def _remove_leftovers(folder: Path) -> None:
    """Remove the temporary files that runs killed earlier left in ``folder``.

    Any ``.*.arcalls-<pid>.tmp`` whose pid no longer runs: a killed run's temporary
    file of any output there (a call log's dated backup included, whose name is never
    used again).
    """
    if os.name == "nt":  # pragma: no cover - os.kill(pid, 0) would end the process there
        return
    marker = ".arcalls-"
    for leftover in folder.glob(f".*{marker}*{_TEMP_SUFFIX}"):
        pid = leftover.name[: -len(_TEMP_SUFFIX)].rpartition(marker)[2].split("-")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _new_temp(target: Path, folder: Path) -> Path:
    n = 0
    while True:
        tmp = folder / _temp_name(target, n)
        try:
            # The mode gets the user's umask: the usual permissions of a new file.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            n += 1
            continue
        os.close(fd)
        return tmp


def _fsync(path: Path, *, folder: bool = False) -> None:
    """Flush a file's (or a folder's entries') data to the disk."""
    if folder and os.name == "nt":  # pragma: no cover - folders cannot be opened there
        return
    try:
        fd = os.open(path, os.O_RDONLY if folder else os.O_RDWR)
    except OSError:
        if folder:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not folder:  # some filesystems cannot sync a folder: the rename stands
            raise
    finally:
        os.close(fd)


def _write_error(targets: list[Path], exc: OSError, *, replaced=()) -> OutputError:
    names = ", ".join(str(t) for t in targets)
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        fix = "the disk is full: free some space and run again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "choose a folder you can write to"
    else:
        fix = "check the folder and run again"
    kept = (
        f"{', '.join(str(p) for p in replaced)} already replaced, the rest unchanged"
        if replaced
        else "the previous file(s) are unchanged"
    )
    return OutputError(f"Cannot write {names}: {reason}; {fix} ({kept}).")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it over ``path`` only on success.

    The temporary file is ``.<name>.arcalls-<pid>.tmp``; once written it is flushed to
    the disk (``fsync``), renamed over ``path`` (an atomic replace: a reader, or a run
    killed at any moment, sees the old file or the new one, never a part), and the
    folder is flushed so that the rename survives a power cut. Temporary files that a
    killed run left in that folder (their pid no longer running) are removed first.

    Raises
    ------
    OutputError
        When the folder does not exist or cannot be written, or the disk is full; the
        previous file is then left as it was.
    """
    with atomic_paths(path) as (tmp,):
        yield tmp


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, **to_csv_kwargs) -> Path:
    """Write ``frame`` as UTF-8 CSV, formula-safe and atomically; return the path."""
    to_csv_kwargs.setdefault("index", False)
    to_csv_kwargs.setdefault("lineterminator", "\n")
    with atomic_path(path) as tmp:
        _formatted_floats(neutralize_formulas(frame), to_csv_kwargs).to_csv(tmp, **to_csv_kwargs)
    return Path(path)


@contextlib.contextmanager
def atomic_paths(*paths: str | os.PathLike) -> Iterator[list[Path]]:
    """Like :func:`atomic_path` for several files: write all, then replace all.

    Every temporary file is written and flushed first; only then are they renamed
    over their targets, one after the other in the order given, with nothing in
    between. A failure while writing any of them leaves all the previous files as they
    were. Only a run killed between two renames (microseconds) can leave the first
    outputs new and the later ones old, which is why a call list's ``<name>.csv`` is
    renamed before its ``<name>_excluded.csv``.
    """
    targets = [Path(p) for p in paths]
    folders = []
    for target in targets:
        folder = target.parent if str(target.parent) else Path(".")
        if not folder.is_dir():
            raise OutputError(
                f"Cannot write {target}: the folder {folder} does not exist. "
                "Create it first or choose another --out."
            )
        folders.append(folder)
    tmps: list[Path] = []
    try:
        try:
            for folder in dict.fromkeys(folders):
                _remove_leftovers(folder)
            for target, folder in zip(targets, folders, strict=True):
                tmps.append(_new_temp(target, folder))
            yield list(tmps)
            for tmp in tmps:
                _fsync(tmp)
        except OSError as exc:
            raise _write_error(targets, exc) from exc
        replaced: list[Path] = []
        for tmp, target in zip(tmps, targets, strict=True):
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _write_error([target], exc, replaced=replaced) from exc
            replaced.append(target)
        for folder in dict.fromkeys(folders):
            _fsync(folder, folder=True)
    finally:
        for tmp in tmps:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def write_csvs(frames: dict, **to_csv_kwargs) -> list[Path]:
    """Write several frames (``{path: frame}``) as CSV like :func:`write_csv`, all or none."""
    to_csv_kwargs.setdefault("index", False)
    to_csv_kwargs.setdefault("lineterminator", "\n")
    with atomic_paths(*frames) as tmps:
        for tmp, frame in zip(tmps, frames.values(), strict=True):
            safe = _formatted_floats(neutralize_formulas(frame), to_csv_kwargs)
            safe.to_csv(tmp, **to_csv_kwargs)
    return [Path(p) for p in frames]


def _formatted_floats(frame: pd.DataFrame, to_csv_kwargs: dict) -> pd.DataFrame:
    """``frame`` with its float columns already written as ``float_format`` text.

    pandas applies a ``float_format`` string to each value in Python (most of the time
    of writing a 50k-row list); numpy's vectorised ``%`` gives the same text (missing
    values as ``na_rep``), so the file is the same to the byte.
    """
    fmt = to_csv_kwargs.get("float_format")
    floats = [c for c in frame.columns if frame[c].dtype == "float64"]
    if not isinstance(fmt, str) or not floats or frame.columns.has_duplicates:
        return frame
    na_rep = to_csv_kwargs.get("na_rep", "")
    out = frame.copy()
    for col in floats:
        values = out[col].to_numpy()
        text = np.char.mod(fmt, values).astype(object)
        text[np.isnan(values)] = na_rep
        out[col] = text
    return out


def save_figure(fig, path: str | os.PathLike, **savefig_kwargs) -> Path:
    """Save a matplotlib figure atomically; return the path."""
    savefig_kwargs.setdefault("dpi", 120)
    savefig_kwargs.setdefault("bbox_inches", "tight")
    fmt = Path(path).suffix.lstrip(".") or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, **savefig_kwargs)
    return Path(path)
