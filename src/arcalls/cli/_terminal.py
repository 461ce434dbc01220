"""What the command line prints fits the terminal: tables chosen by width, prose wrapped.

On a terminal (or with ``COLUMNS`` set) every printed line fits the width: tables keep
the columns that fit, in a fixed order of importance, and say which they left out;
prose is wrapped at word boundaries, never cut inside a word. Piped to a file or another
program, lines are kept whole (one paragraph a line), for ``grep`` and scripts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import textwrap
from collections.abc import Iterator, Sequence

import pandas as pd

from .._text import plural  # noqa: F401 - the CLI's commands import it from here

#: Narrower than this, wrapping makes text harder to read, not easier.
MIN_WIDTH = 60


def output_width() -> int | None:
    """The width to fit, or None when the output is not a terminal (and no COLUMNS)."""
    if os.environ.get("COLUMNS", "").strip().isdigit() or _isatty(sys.__stdout__):
        return max(MIN_WIDTH, shutil.get_terminal_size((100, 24)).columns)
    return None


def _isatty(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


def wrap_line(line: str, width: int | None) -> str:
    """``line`` wrapped at word boundaries to ``width``, continuation lines indented alike.

    Examples
    --------
    >>> print(wrap_line("  one two three four", 12))
      one two
      three four
    >>> wrap_line("averyveryverylongword x", 8)
    'averyveryverylongword\\nx'
    """
    if width is None or len(line) <= width:
        return line
    indent = line[: len(line) - len(line.lstrip(" "))]
    return textwrap.fill(
        line.strip(" "),
        width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


class _WrappingStream:
    """A text stream that wraps each complete line it is given to ``width``."""

    def __init__(self, stream, width: int):
        self._stream = stream
        self._width = width
        self._pending = ""

    def write(self, text: str) -> int:
        if "\r" in text:
            # A progress bar redrawing its line: passed through as it comes.
            self.flush()
            return self._stream.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._stream.write(wrap_line(line, self._width) + "\n")
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(wrap_line(self._pending, self._width))
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def fitted_output() -> Iterator[None]:
    """Within the block, lines printed to stdout and stderr are wrapped to the terminal."""
    width = output_width()
    if width is None:
        yield
        return
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _WrappingStream(out, width), _WrappingStream(err, width)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = out, err


def fit_columns(
    table: pd.DataFrame, width: int | None, keep: Sequence[str], *, index: bool = True
) -> tuple[str, list[str]]:
    """``table`` (cells already text) as printed, with the columns that fit ``width``.

    Columns are taken in the order of ``keep`` (most important first; columns not named
    come last) until the next one would not fit, then shown in their own order. Returns the
    text and the columns left out.
    """
    order = [c for c in keep if c in table.columns]
    order += [c for c in table.columns if c not in order]
    if width is None:
        return table.to_string(index=index), []
    chosen: list[str] = []
    for col in order:
        trial = [c for c in table.columns if c in chosen or c == col]
        if chosen and _text_width(table[trial], index) > width:
            break
        chosen.append(col)
    shown = [c for c in table.columns if c in chosen]
    return table[shown].to_string(index=index), [c for c in table.columns if c not in chosen]


def _text_width(table: pd.DataFrame, index: bool) -> int:
    return max(len(line) for line in table.to_string(index=index).split("\n"))
