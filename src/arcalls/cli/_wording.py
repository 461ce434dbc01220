"""Messages in command-line terms: the options a CLI user can type, not Python keywords.

The library's errors name the keyword arguments of the Python functions (``columns=``,
``on_bad_rows='skip'``, ``outcome_map=``), which is right for a Python caller. The
command line shows the same message with the options that do the same there
(``--columns``, ``--lenient``, ``--outcome-map FILE``).
"""

from __future__ import annotations

import ast
import json
import re

# A Python dict literal as the messages write it: no nested braces.
_COLUMNS = re.compile(r"columns=(\{[^{}]*\})")

#: (pattern, replacement), applied in order.
_REWRITES = (
    # "on_bad_rows='skip' (--lenient)" and the like: the flag alone.
    (re.compile(r"on_bad_rows='skip' \(--lenient\)"), "--lenient"),
    (re.compile(r"on_bad_rows=['\"]skip['\"]"), "--lenient"),
    (re.compile(r"make_ids=True \(--make-ids\)"), "--make-ids"),
    (
        re.compile(r"and make_ids=True: keep the file's ids by dropping make_ids"),
        "and --make-ids: keep the file's ids by leaving out --make-ids",
    ),
    (re.compile(r" \(date_format='([^']*)'\)"), ""),
    (re.compile(r" \(dayfirst=(True|False)\)"), ""),
    (re.compile(r" \(--columns on the command line\)"), ""),
    (
        re.compile(r"as_of='YYYY-MM-DD' \(--as-of YYYY-MM-DD on the command line\)"),
        "--as-of YYYY-MM-DD",
    ),
    (
        re.compile(
            r"Pass dayfirst=True \(03/04 = 3 April\) or dayfirst=False \(03/04 = March 4\), "
            r"or date_format='([^']*)' \(or --dayfirst / --no-dayfirst / --date-format on "
            r"the command line\)"
        ),
        r"Pass --dayfirst (03/04 = 3 April) or --no-dayfirst (03/04 = March 4), or "
        r"--date-format '\1'",
    ),
    (
        re.compile(r"dayfirst=True/False \(or date_format=\.\.\.\)"),
        "--dayfirst or --no-dayfirst (or --date-format FORMAT)",
    ),
    (re.compile(r"dayfirst=True"), "--dayfirst"),
    (re.compile(r"dayfirst=False"), "--no-dayfirst"),
    (re.compile(r"date_format='([^']*)'"), r"--date-format '\1'"),
    (
        re.compile(
            r"[Ll]oad the call log with arcalls\.load_calls\(\.\.\., outcome_map=\{\.\.\.\}\) "
            r"to map your spellings"
        ),
        "Map your spellings with --outcome-map FILE (a CSV with columns raw,outcome, or a "
        "JSON object raw -> outcome)",
    ),
    (
        re.compile(r"outcome_map=\{'([^']*)': '<one of ([^>]*)>'\}"),
        lambda m: (
            f"--outcome-map FILE (a row '{m.group(1)},OUTCOME', OUTCOME one of "
            + m.group(2).replace("/", ", ")
            + ")"
        ),
    ),
    (
        re.compile(
            r"[Ll]oad it with arcalls\.load_\w+\([^)]*columns=\{[^}]*\}[^)]*\) to map your "
            r"headers"
        ),
        "Map your headers with --columns (a JSON object or file: your header -> canonical name)",
    ),
    (re.compile(r"\(see the error's \.problems\)"), "(arcalls check FILE lists them all)"),
    (
        re.compile(r"^outcome_map values must be canonical outcomes"),
        "--outcome-map: each outcome must be one of arcalls' outcomes",
    ),
)


def cli_terms(text: str) -> str:
    """``text`` with the Python keyword arguments it names as the CLI's options.

    Examples
    --------
    >>> cli_terms("Fix these rows, or pass on_bad_rows='skip' (--lenient) to load the rest.")
    'Fix these rows, or pass --lenient to load the rest.'
    >>> cli_terms("Map with columns={'Inv No': 'invoice_id'} (--columns on the command line).")
    'Map with --columns \\'{"Inv No": "invoice_id"}\\'.'
    >>> cli_terms("... and 3 more (see the error's .problems)")
    '... and 3 more (arcalls check FILE lists them all)'
    """
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return _COLUMNS.sub(_columns_option, text)


def _columns_option(match: re.Match) -> str:
    try:
        mapping = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return f"--columns '{match.group(1)}'"
    return f"--columns '{json.dumps(mapping)}'"
