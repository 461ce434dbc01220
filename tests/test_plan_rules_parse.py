"""Explicit schedules are split, trimmed and matched by Arrow, and read as Python read them.

``_plan_rules._parse_schedules`` matches ASCII pairs with Arrow's regex and hands a pair
with any other character to Python's :data:`_SCHEDULE_PAIR` (whose ``\\d`` and ``\\s``
reach further); the pieces are trimmed of exactly what ``str.strip()`` removes. The
readings below are those of the Python-only parser it replaced.
"""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from arcalls._plan_rules import _WHITESPACE, _fields, _parse_schedules

#: (schedule, its pairs as (day, cents), or None when the schedule is bad)
CASES = [
    ("2026-12-05 = $1,000.50; 2027-01-05=2000", [("2026-12-05", 100050), ("2027-01-05", 200000)]),
    ("2026-12-05=1,00", None),
    ("2026-12-05\u00a0=\u00a05.5", [("2026-12-05", 550)]),
    ("\u30002026-12-05=5;\u2003", [("2026-12-05", 500)]),
    ("2026-12-05=\u0661\u0660\u0660", None),
    ("\u0662\u0660\u0662\u0666-12-05=5", [("2026-12-05", 500)]),
    ("2026-12-05=5\x1c;2026-12-06=\x1c7", [("2026-12-05", 500), ("2026-12-06", 700)]),
    ("2026-12-05=5\v", [("2026-12-05", 500)]),
    ("2027-01-05=100; 2026-12-05=100", None),
    (";", None),
    (" ; ; ", None),
    ("2026-12-05=0.00", None),
    ("2026-02-30=5", None),
    ("2026-12-05=5.123", None),
]


def test_the_trimmed_characters_are_pythons_whitespace():
    assert set(_WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


@pytest.mark.parametrize(("text", "pairs"), CASES)
def test_a_schedule_reads_as_pythons_regex_reads_it(text, pairs):
    # Among other rows (an empty and a missing schedule), which read as no schedule.
    column = pd.Series(["", text, None], dtype="string[pyarrow]")
    typed = _fields(pd.DataFrame({"plan_schedule": column}))["plan_schedule"]
    parsed, bad = _parse_schedules(typed)
    assert bad.tolist() == [False, pairs is None, False]
    assert parsed["pos"].tolist() == [1] * len(pairs or [])
    read = zip(parsed["day"].dt.strftime("%Y-%m-%d"), parsed["cents"].tolist(), strict=True)
    assert list(read) == (pairs or [])


def test_no_filled_schedule_is_no_pair():
    parsed, bad = _parse_schedules(pd.Series(["", " ", None], dtype="string[pyarrow]"))
    assert bad.tolist() == [False, False, False]
    assert parsed.empty


def test_a_column_in_several_arrow_chunks_reads_row_by_row():
    import pyarrow as pa

    chunks = [["2026-12-05=1; 2026-12-06=2", "x"], ["", "2026-12-07=3;2026-12-08=4", None]]
    column = pa.chunked_array([pa.array(c, pa.large_string()) for c in chunks])
    parsed, bad = _parse_schedules(pd.Series(pd.arrays.ArrowStringArray(column)))
    assert bad.tolist() == [False, True, False, False, False]
    assert parsed["pos"].tolist() == [0, 0, 3, 3]
    assert parsed["cents"].tolist() == [100, 200, 300, 400]
