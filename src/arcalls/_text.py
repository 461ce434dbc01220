"""Text that is safe to show: no control character or escape sequence reaches a terminal.

Customer names and cell values come from other people's files. Printed raw, an escape
sequence in a name could retitle or clear the owner's terminal, move the cursor over
earlier lines or hide text; a carriage return could overwrite a figure. Everything the
command line prints goes through :func:`terminal_text` (see :func:`safe_terminal`).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator

import pandas as pd

# ESC sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings (up to BEL or ESC \),
# and two-character escapes; an ESC at the very end alone.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -~])?"
)
# C0 controls but tab and newline, DEL, C1 controls (the 8-bit CSI \x9b among them), and
# the Unicode bidirectional overrides and isolates that reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: str) -> str:
    """``text`` without escape sequences and control characters (tab and newline kept).

    Examples
    --------
    >>> terminal_text("Acme\\x1b]0;pwned\\x07 Corp\\x1b[2J\\r\\x00\\x9b31m")
    'Acme Corp31m'
    >>> terminal_text("two\\tcolumns\\nand lines")
    'two\\tcolumns\\nand lines'
    """
    if text.isprintable():
        return text
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


class _SafeStream:
    """A text stream that writes :func:`terminal_text` of everything to ``stream``."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal_text(text))

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def safe_terminal() -> Iterator[None]:
    """Within the block, ``sys.stdout`` and ``sys.stderr`` write :func:`terminal_text`."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeStream(out), _SafeStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


#: What an HTML page must not carry in its text: C0 controls but tab, newline and
#: carriage return (NUL among them), DEL and the C1 controls.
MARKUP_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def markup_text(text: str) -> str:
    """``text`` without the control characters an HTML page must not contain.

    Examples
    --------
    >>> markup_text("Acme\\x00 Corp\\x1b\\x7f\\tok")
    'Acme Corp\\tok'
    """
    return MARKUP_CONTROL.sub("", text)


def markup_cells(values: pd.Series) -> pd.Series:
    """HTML-escaped text of each value ('' for missing), without the control characters
    of :data:`MARKUP_CONTROL`; vectorised (the call sheets' and the letters' cells)."""
    text = values.astype("string").fillna("").str.replace(MARKUP_CONTROL, "", regex=True)
    for raw, safe in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&quot;"),
        ("'", "&#x27;"),
    ):
        text = text.str.replace(raw, safe, regex=False)
    return text.astype(str)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and the noun in the right number.

    Examples
    --------
    >>> plural(1, "account"), plural(2, "account"), plural(0, "row")
    ('1 account', '2 accounts', '0 rows')
    >>> plural(0, "was set aside", "were set aside")
    '0 were set aside'
    """
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
