"""The whole-column fast paths of the parsers read every cell as the general parsers do.

Each case is parsed twice: as one column (fast paths taken where they apply) and cell by
cell (one-cell columns, where the fast paths decide per cell); both must agree.
"""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from arcalls import _parse


def _column(cells, *, chunked=False):
    arr = pa.array(cells, pa.large_string())
    if chunked and len(cells) > 2:
        arr = pa.chunked_array([arr.slice(0, 1), arr.slice(1)])
    else:
        arr = pa.chunked_array([arr])
    return pd.Series(pd.arrays.ArrowStringArray(arr))


def _one_by_one(parse, cells):
    parts = [parse(_column([c])) for c in cells]
    values = pd.concat([p[0] for p in parts], ignore_index=True)
    problems = pd.concat([p[1] for p in parts], ignore_index=True).astype("string")
    return values, problems


AMOUNTS = ["", "12.50", "", "-3", "$5", "(7.00)", "1e5", "12,00", "0.005", "-0.00", "", ""]


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("cells", [AMOUNTS, [""] * 9 + ["7.25", "x"], ["3", "4.5", "-1.25"]])
def test_amounts_mostly_empty_or_full_read_as_cell_by_cell(cells, chunked):
    values, problems = _parse.parse_amount(_column(cells, chunked=chunked))
    one_values, one_problems = _one_by_one(_parse.parse_amount, cells)
    pd.testing.assert_series_equal(values, one_values)
    pd.testing.assert_series_equal(problems.astype("string"), one_problems)


@pytest.mark.parametrize("chunked", [False, True])
def test_date_scan_of_a_full_iso_column_keeps_the_range_and_layouts(chunked):
    cells = ["2024-03-01 10:00:00", "2101-01-01 00:00:00", "2024-03-02 11:30:00"]
    scan = _parse.scan_dates(_column(cells, chunked=chunked))
    assert scan.good.tolist() == [True, False, True]
    assert scan.fast.tolist() == [True, False, True]
    assert scan.seconds[1] == 0
    assert scan.seconds.flags.writeable
    assert {lay.format for lay in scan.seen} == {"%Y-%m-%d %H:%M:%S"}


def test_holds_byte_and_lengths_from_the_buffers():
    col = _column(["ab", "", "c'd", "é"], chunked=True)
    assert _parse.holds_byte(col, "'")
    assert not _parse.holds_byte(col, ",")
    assert _parse._lengths(col.array.__arrow_array__()).tolist() == [2, 0, 3, 2]
    assert _parse.longer_than(col, 2).tolist() == [False, False, True, False]
    assert not _parse.holds_byte(pd.Series([], dtype="string[pyarrow]"), "'")
    assert np.array_equal(_parse.longer_than(pd.Series([], dtype="string[pyarrow]"), 2), [])
