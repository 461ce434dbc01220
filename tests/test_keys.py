"""Ids as integer positions, and the packed sorts the analyses share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcalls._keys import (
    contains,
    factorize,
    invoice_positions,
    positions,
    shared_codes,
    sort_stable,
    stable_order,
)
from arcalls.errors import IntegrityError

STORAGES = ["pyarrow", "python", "object"]


def _ids(values, storage):
    dtype = object if storage == "object" else pd.StringDtype(storage)
    return pd.Series(values, dtype=dtype)


@pytest.mark.parametrize("storage", STORAGES)
def test_positions_of_ids_in_every_storage(storage):
    universe = _ids(["b", "a", "c"], storage)
    values = _ids(["a", "zz", None, "c", "a"], storage)
    assert positions(values, universe).tolist() == [1, -1, -1, 2, 1]
    pay, named = invoice_positions(universe, values, _ids(["c"], storage))
    assert pay.tolist() == [1, -1, -1, 2, 1] and named.tolist() == [2]
    with pytest.raises(IntegrityError, match=r"duplicates \['a'\]"):
        invoice_positions(_ids(["a", "b", "a"], storage), values)


@pytest.mark.parametrize("storage", STORAGES)
@pytest.mark.parametrize("other", STORAGES)
def test_contains_is_isin_in_every_storage(storage, other):
    values = _ids(["a", "zz", None, "c", "a", "é"], storage)
    for universe in (
        _ids(["c", "a", "c", "é"], other),  # repeats
        _ids(["c", None], other),  # a missing value matches the missing values
        _ids([], other),
        ["a", None],
        {"zz"},
    ):
        found = contains(values, universe)
        assert found.dtype == bool and len(found) == len(values)
        want = values.astype("string").isin(list(universe)).to_numpy(dtype=bool)
        assert found.tolist() == want.tolist(), universe
    assert contains(values, _ids(["c", "a"], other)).tolist() == [
        True, False, False, True, True, False
    ]  # fmt: skip
    assert contains(values, ["zz", np.nan]).tolist() == [False, True, True, False, False, False]


def test_contains_numbers_and_mixed_kinds():
    assert contains(pd.Series([3, 1, 2]), np.array([2, 3, 3])).tolist() == [True, False, True]
    assert contains(pd.Series([1.5, np.nan]), [np.nan]).tolist() == [False, True]
    # Text against numbers: pandas' rules (no match), not an error.
    assert contains(_ids(["1", "2"], "pyarrow"), [1, 2]).tolist() == [False, False]
    assert contains(pd.Series([], dtype="string[pyarrow]"), ["a"]).tolist() == []


@pytest.mark.parametrize("storage", STORAGES)
@pytest.mark.parametrize("sort", [False, True])
def testfactorize_agrees_with_pandas(storage, sort):
    values = _ids(["b", "a", None, "é", "B", "a", "aa"], storage)
    codes, uniques = factorize(values, sort=sort)
    want_codes, want_uniques = pd.factorize(values.astype(object), sort=sort)
    assert codes.tolist() == want_codes.tolist()
    assert list(uniques) == list(want_uniques)
    assert uniques.dtype == "string"


@settings(max_examples=80, derandomize=True, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(-5, 5), st.integers(0, 3), st.integers(-(2**61), 2**61)),
        max_size=40,
    )
)
def test_packed_sorts_are_stable_lexsorts(rows):
    a, b, wide = (
        (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
        if rows
        else (np.zeros(0, dtype=np.int64),) * 3
    )
    assert stable_order(a, b).tolist() == np.lexsort((b, a)).tolist()
    # Too wide to pack with the row number: numpy's own sorts.
    assert stable_order(wide, a, wide).tolist() == np.lexsort((wide, a, wide)).tolist()
    for key in (a * 4 + b, wide):
        order, ordered = sort_stable(key)
        assert order.tolist() == np.argsort(key, kind="stable").tolist()
        assert ordered.tolist() == np.sort(key).tolist()


@pytest.mark.parametrize("storage", STORAGES)
def test_shared_codes_agree_with_a_dictionary(storage):
    keys = _ids(["b", "a", None, "b", "c"], storage)
    other = _ids(["c", "zz", "a", None, "b"], storage)
    codes, found = shared_codes(keys, other)
    assert codes.tolist() == [0, 1, -1, 0, 2]
    assert found.tolist() == [2, -1, 1, -1, 0]
    # Nothing among the keys: every value is absent; no keys at all: likewise.
    assert shared_codes(_ids([None], storage), other)[1].tolist() == [-1] * 5
    assert shared_codes(_ids([], storage), other)[1].tolist() == [-1] * 5


def test_python_strings_are_hashed_by_arrow_too():
    from arcalls._keys import arrow_text

    text = arrow_text(pd.Series(["a", None, "b"]))
    assert text is not None and text.to_pylist() == ["a", None, "b"]
    assert arrow_text(pd.Series(["a", 3])) is None  # not all text: pandas' hash table
    assert arrow_text(pd.Series([1, 2])) is None
