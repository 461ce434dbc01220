"""Safe outputs: atomic writes and formula neutralising for every export.

An owner opens our CSVs in a spreadsheet. A customer name such as ``=HYPERLINK(...)``
typed into an accounting system must arrive there as text, never as a formula; and a
command that fails half-way must leave the previous file as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

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
    text = values.astype("string")
    risky = text.str.contains(_HAS_RISKY).fillna(False).to_numpy(dtype=bool)
    if not risky.any():
        return values
    quoted = text[risky].str.replace(_RISKY_PIECE, r"\1'", regex=True)
    return values.astype("object").mask(risky, quoted.astype("object"))


def restore_text(values: pd.Series) -> pd.Series:
    """The text :func:`neutralize_text` was given: one added apostrophe removed per piece.

    Examples
    --------
    >>> restore_text(pd.Series(["'=1+1", "Acme;'=1+1", "''=x", "'Acme", None])).tolist()
    ['=1+1', 'Acme;=1+1', "'=x", "'Acme", None]
    """
    text = values.astype("string")
    quoted = text.str.contains(_HAS_QUOTED).fillna(False).to_numpy(dtype=bool)
    if not quoted.any():
        return values
    plain = text[quoted].str.replace(_QUOTED_PIECE, r"\1", regex=True)
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


def _without_controls(values: pd.Series) -> pd.Series:
    try:
        bad = values.str.contains(CSV_CONTROL, na=False).to_numpy(dtype=bool)
    except AttributeError:  # no text in this column
        return values
    if not bad.any():
        return values
    cleaned = values[bad].str.replace(CSV_CONTROL, "", regex=True)
    return values.astype("object").mask(bad, cleaned.astype("object"))


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
