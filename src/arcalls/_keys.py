"""Id columns as integer positions: one hash pass, then numpy on integers.

The analyses join millions of rows on string ids. Hashing each id column once into
integer positions, then working on integer arrays, is what keeps them fast: every string
``isin``, ``map`` or ``groupby`` on a multi-million-row call log costs a second or more.
These helpers do it the same way whether the ids are Python strings (object or
``string[python]``) or Arrow strings (``string[pyarrow]``, the schema's storage), without
converting one storage into the other; Arrow hashes strings in C++ several times faster
than pandas' object hash table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import IntegrityError


def arrow_text(values):
    """``values`` as one Arrow ``large_string`` array, or None when they are not text.

    Arrow storage is used as it is; Python strings are copied into Arrow once (about
    50 ms a million), because Arrow hashes strings several times faster than pandas'
    object hash table.
    """
    import pyarrow as pa

    array = array_of(values)
    # (A Series' object array has a NumpyEADtype, which is not == object.)
    if not (
        is_arrow_text(array)
        or pd.api.types.is_object_dtype(array.dtype)
        or isinstance(array.dtype, pd.StringDtype)
    ):
        return None  # numbers, dates, ...: not text, and not worth a trip through objects
    try:
        if is_arrow_text(array):
            out = pa.array(array)
        else:
            # From the object array itself: pandas' own conversion copies it first.
            out = pa.array(np.asarray(array, dtype=object), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(out, pa.ChunkedArray):
        out = out.combine_chunks()
    if not (pa.types.is_string(out.type) or pa.types.is_large_string(out.type)):
        if not pa.types.is_null(out.type):
            return None
    return out.cast(pa.large_string())


def factorize(values, *, sort: bool = False):
    """``pd.factorize(values, sort=sort)`` for text, hashed by Arrow: the codes (int64,
    -1 for missing) and the unique values, a string array in the storage of ``values``
    (Python strings for object columns)."""
    arrow = arrow_text(values)
    if arrow is None:
        codes, uniques = pd.factorize(pd.Series(array_of(values), copy=False), sort=sort)
        return codes.astype(np.int64, copy=False), as_text(uniques)
    import pyarrow.compute as pc

    encoded = arrow.dictionary_encode()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    uniques = encoded.dictionary
    if sort and len(uniques):
        # Byte order of UTF-8 is code point order: the order Python sorts strings in.
        by_text = pc.array_sort_indices(uniques).to_numpy().astype(np.int64)
        rank = np.empty_like(by_text)
        rank[by_text] = np.arange(len(by_text))
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
        uniques = uniques.take(by_text)
    dtype = array_of(values).dtype
    if not isinstance(dtype, pd.StringDtype):
        dtype = pd.StringDtype()
    return codes, pd.array(uniques.to_numpy(zero_copy_only=False), dtype=dtype)


def positions(values, universe) -> np.ndarray:
    """Position of each of ``values`` in ``universe`` (whose values are unique); -1 when
    absent or missing.

    >>> positions(pd.Series(["b", "x", None, "a"], dtype="string"), ["a", "b"]).tolist()
    [1, -1, -1, 0]
    >>> positions(pd.Series(["b", "x", None], dtype="string[pyarrow]"), ["a", "b"]).tolist()
    [1, -1, -1]
    >>> positions(pd.Series([2, 7]), [7, 1]).tolist()  # not text: pandas' hash table
    [-1, 0]
    """
    (found,) = lookup_ids(universe, values)
    return found


def contains(values, universe) -> np.ndarray:
    """``values.isin(universe)`` as a plain bool array, hashed by Arrow for text.

    pandas' ``isin`` on an Arrow string column turns every value of the lookup set into
    a Python object first (seconds for a million ids); here both sides stay in Arrow
    when they are text. ``universe`` may repeat values. A missing value is contained
    when ``universe`` holds a missing value (None, NaN and NA alike), as with the
    string dtypes' ``isin``. Values that are not text (numbers, dates) use pandas.

    >>> contains(pd.Series(["b", "x", None], dtype="string[pyarrow]"), ["a", "b"]).tolist()
    [True, False, False]
    >>> contains(pd.Series(["b", None], dtype="string"), pd.Series(["b", None])).tolist()
    [True, True]
    >>> contains(pd.Series([2, 7]), [7, 1]).tolist()
    [False, True]
    """
    if isinstance(universe, set | frozenset | dict):
        universe = list(universe)
    needles = arrow_text(values)
    haystack = arrow_text(universe) if needles is not None else None
    if needles is not None and haystack is not None:
        import pyarrow.compute as pc

        found = pc.is_in(needles, value_set=haystack, skip_nulls=False)
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False).astype(bool)
    values, universe = array_of(values), array_of(universe)
    found = pd.Series(values, copy=False).isin(universe).to_numpy(dtype=bool, na_value=False)
    # pandas tells None, NaN and NA apart in object columns; a missing value is missing.
    found[np.asarray(pd.isna(values), dtype=bool)] = bool(np.any(pd.isna(universe)))
    return found


def lookup_ids(universe, *columns) -> list[np.ndarray]:
    """Positions in ``universe`` (unique values) of the values of each column."""
    needles = [arrow_text(c) for c in columns]
    haystack = arrow_text(universe)
    if haystack is not None and all(n is not None for n in needles):
        import pyarrow as pa
        import pyarrow.compute as pc

        # One hash set of the universe, probed by every column at once.
        found = pc.index_in(pa.concat_arrays(needles), value_set=haystack, skip_nulls=True)
        found = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    else:
        index = pd.Index(array_of(universe))
        values = _end_to_end(columns)
        found = index.get_indexer(values).astype(np.int64, copy=False)
        if index.hasnans:
            found[values.isna().to_numpy()] = -1
    return _per_column(found, columns)


def shared_codes(keys, *others) -> list[np.ndarray]:
    """Integer codes of ``keys`` (whose values may repeat), and the same codes for the
    values of each of ``others``; -1 for a missing value and for one not among ``keys``.

    One hash pass over all the columns together, in any dtype (Arrow's for text).

    >>> [c.tolist() for c in shared_codes(pd.Series(["b", "a", "b"]), pd.Series(["a", "z", None]))]
    [[0, 1, 0], [1, -1, -1]]
    >>> [c.tolist() for c in shared_codes(pd.Series([7, 7, 3]), pd.Series([3, 4]))]
    [[0, 0, 1], [1, -1]]
    """
    columns = [keys, *others]
    texts = [arrow_text(c) for c in columns]
    if all(t is not None for t in texts):
        import pyarrow as pa
        import pyarrow.compute as pc

        # Dictionary codes follow first appearance, so the keys' values come first.
        encoded = pa.concat_arrays(texts).dictionary_encode()
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        codes = codes.astype(np.int64)
    else:
        codes, _ = pd.factorize(_end_to_end(columns))
        codes = codes.astype(np.int64, copy=False)
    n_keys = int(codes[: len(keys)].max()) + 1 if len(keys) else 0
    codes[len(keys) :][codes[len(keys) :] >= n_keys] = -1
    return _per_column(codes, columns)


def _end_to_end(columns) -> pd.Series:
    """The values of ``columns`` laid end to end, as one Series (pandas' own dtype rules)."""
    parts = [pd.Series(array_of(c), copy=False) for c in columns]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _per_column(values: np.ndarray, columns) -> list[np.ndarray]:
    """``values``, one per row of ``columns`` laid end to end, cut back into one array
    per column."""
    bounds = np.cumsum([0, *(len(c) for c in columns)])
    return [values[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def invoice_positions(invoice_ids, *ids) -> list[np.ndarray]:
    """Position in ``invoice_ids`` of each id of each of ``ids`` (-1: not an invoice).

    Raises IntegrityError when an invoice id repeats (a payment could not say which
    invoice it pays).
    """
    ids_are_text = arrow_text(invoice_ids) is not None
    if ids_are_text:
        own, *found = lookup_ids(invoice_ids, invoice_ids, *ids)
        # A repeated id is found at its first position, not at its own.
        repeated = (own >= 0) & (own != np.arange(len(own)))
    else:
        repeated = pd.Series(array_of(invoice_ids)).duplicated().to_numpy()
    if repeated.any():
        dup = pd.Series(array_of(invoice_ids)[repeated]).unique()[:5].tolist()
        raise IntegrityError(
            f"invoice_id must be unique in the invoices, got duplicates {dup}. "
            "Remove the repeated rows (or load with arcalls.load_invoices)."
        )
    if not ids_are_text:
        found = lookup_ids(invoice_ids, *ids) if ids else []
    return found


def equals(values: pd.Series, value) -> np.ndarray:
    """``values == value`` as a plain bool array (missing values are not equal)."""
    # isin hashes once; == on Python strings goes through pandas' NA handling (4x slower).
    return values.isin([value]).to_numpy(dtype=bool, na_value=False)


def is_arrow_text(array) -> bool:
    """Whether ``array`` holds Arrow-backed text (either pandas spelling)."""
    dtype = array.dtype
    if isinstance(dtype, pd.StringDtype):
        return str(dtype.storage).startswith("pyarrow")
    return isinstance(dtype, pd.ArrowDtype)


def as_text(values) -> pd.api.extensions.ExtensionArray:
    """``values`` as a pandas string array; an existing string dtype (Python or Arrow
    storage) is kept as it is, rather than converted."""
    array = array_of(values)
    if isinstance(array.dtype, pd.StringDtype):
        return array
    return pd.array(array, dtype="string")


def take_text(values: pd.Series, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values`` at positions ``rows`` (-1: missing), as a string array (see
    :func:`as_text`)."""
    taken = values.array.take(np.asarray(rows, dtype=np.int64), allow_fill=True)
    return as_text(taken)


def array_of(values):
    """The pandas array behind a Series or Index (no copy); arrays pass through."""
    return (
        values.array if isinstance(values, pd.Series | pd.Index) else pd.array(values, copy=False)
    )


def stable_order(*keys: np.ndarray) -> np.ndarray:
    """The stable order of rows by integer ``keys`` (the first is the major one), as
    ``np.lexsort(keys[::-1])`` gives it.

    When the keys' ranges and the row number fit in 63 bits together, they are packed
    into one int64 and sorted as plain numbers, which numpy does several times faster
    than an argsort (and stably, the row number being the last part of the number).
    """
    n = len(keys[0]) if keys else 0
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lows = [int(k.min()) for k in keys]
    spans = [int(k.max()) - low + 1 for k, low in zip(keys, lows, strict=True)]
    row_bits = max(int(n - 1).bit_length(), 1)
    if sum(max(s - 1, 1).bit_length() for s in spans) + row_bits > 63:
        return np.lexsort(keys[::-1])
    packed = np.zeros(n, dtype=np.int64)
    for key, low, span in zip(keys, lows, spans, strict=True):
        packed *= span
        packed += key - low
    packed <<= row_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << row_bits) - 1
    return packed


def sort_stable(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``order = np.argsort(key, kind="stable")`` and ``key[order]``, by one plain sort of
    the key and row number packed into one int64 where they fit (see
    :func:`stable_order`)."""
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.asarray(key, dtype=np.int64)
    low = int(key.min())
    row_bits = max(int(n - 1).bit_length(), 1)
    if (int(key.max()) - low).bit_length() + row_bits > 63:
        order = np.argsort(key, kind="stable")
        return order, key[order]
    packed = key.astype(np.int64) - low
    packed <<= row_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << row_bits) - 1)
    packed >>= row_bits
    packed += low
    return order, packed
