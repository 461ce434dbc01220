"""Id columns as integer positions: one hash pass, then numpy on integers.

Multi-million-row call logs make every string ``isin``, ``map`` and ``groupby`` on an id
column cost a second or more; looking each id up once and working on the positions
costs one of them. Both pandas string storages are served: arrow-backed ids are looked
up in C++ (``pyarrow.compute.index_in``) without turning each cell into a Python object.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def positions(values: pd.Series, universe) -> np.ndarray:
    """Position of each value in ``universe`` (unique, no missing values); -1 where a
    value is missing or absent.

    >>> positions(pd.Series(["b", "x", None, "a"], dtype="string"), ["a", "b"]).tolist()
    [1, -1, -1, 0]
    >>> positions(pd.Series(["b", "x", None], dtype="string[pyarrow]"), ["a", "b"]).tolist()
    [1, -1, -1]
    """
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        keys = pa.array(np.asarray(universe, dtype=object), type=pa.large_string())
        found = pc.index_in(pa.array(values), value_set=keys)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return pd.Index(universe).get_indexer(values).astype(np.int64)
