"""Progress bars for long work, shown only to a person watching a terminal.

A bar is drawn on stderr when stderr is a terminal, and never in CI, under pytest, or
with ``ARCALLS_PROGRESS=0``; ``ARCALLS_PROGRESS=1`` forces it on (a terminal still
needed). Steps are coarse (stages, training dates, weeks), never rows.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

#: The widest bar drawn, in columns (the command line's output fits 100 columns).
MAX_WIDTH = 100

#: The environment variable that turns the bars off (``0``) or on (``1``).
ENV_VAR = "ARCALLS_PROGRESS"


def progress_enabled(stream=None, environ=None) -> bool:
    """Whether a bar is drawn on ``stream`` (the process's stderr by default).

    Examples
    --------
    >>> import io
    >>> progress_enabled(io.StringIO(), environ={})
    False
    """
    environ = os.environ if environ is None else environ
    stream = _terminal() if stream is None else stream
    setting = environ.get(ENV_VAR, "").strip().lower()
    if setting in ("0", "false", "no", "off"):
        return False
    if setting not in ("1", "true", "yes", "on") and (
        environ.get("CI") or "PYTEST_CURRENT_TEST" in environ
    ):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress(
    items: Iterable[T], *, desc: str, total: int | None = None, unit: str = "step"
) -> Iterator[T]:
    """``items``, with a bar on a terminal (see :func:`progress_enabled`), else as given."""
    if not progress_enabled():
        yield from items
        return
    from tqdm import tqdm

    with tqdm(
        items,
        desc=desc,
        total=total,
        unit=unit,
        leave=False,
        file=_terminal(),
        **_size(),
    ) as bar:
        yield from bar


def _terminal():
    """The process's own stderr: the command line's filtered ``sys.stderr`` (see
    :func:`arcalls._text.safe_terminal`) would strip the carriage returns a bar redraws
    with; the bar's text is arcalls' own, never a value from a file."""
    return sys.__stderr__


def _size() -> dict[str, int]:
    # A terminal that reports no size (0 x 0, as a new pseudo-terminal does) would get
    # an empty bar, or none: tqdm hides bars below the last row.
    size = shutil.get_terminal_size((MAX_WIDTH, 24))
    return {"ncols": min(size.columns, MAX_WIDTH), "nrows": max(size.lines, 2)}


class Stages:
    """A bar over named stages of one piece of work: ``stage.next("fitting")``.

    Silent where :func:`progress_enabled` is false.
    """

    def __init__(self, total: int, *, desc: str):
        self._bar = None
        self._started = False
        if progress_enabled():
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total,
                desc=desc,
                unit="stage",
                leave=False,
                file=sys.stderr,
                dynamic_ncols=True,
            )

    def next(self, what: str) -> None:
        """Mark the previous stage done and name the one starting."""
        if self._bar is not None:
            if self._started:
                self._bar.update(1)
            self._started = True
            self._bar.set_postfix_str(what)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
