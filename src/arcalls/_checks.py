"""Validation shared by the analyses: is this a frame, and has it the columns needed."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .errors import InputError, SchemaError
from .schema import TABLES


def check_columns(frame, required: Sequence[str], *, what: str) -> None:
    """Raise unless ``frame`` is a DataFrame holding every ``required`` column.

    ``what`` names the frame in the message ("invoices", "calls table", "curve"); when
    its first word is a canonical table, the message says which loader maps headers.

    Raises
    ------
    InputError
        ``frame`` is not a DataFrame.
    SchemaError
        Columns are missing; the message names them and the columns present.

    Examples
    --------
    >>> check_columns(pd.DataFrame({"a": [1]}), ["a", "b"], what="invoices")
    Traceback (most recent call last):
    ...
    arcalls.errors.SchemaError: invoices lacks column(s) ['b']; it has ['a']. Load it ...
    """
    table = what.split()[0]
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        fix = (
            f"Load it with arcalls.load_{table}(path, columns={{...}}) to map your headers."
            if table in TABLES
            else "Rename the columns, or build it again with the arcalls function that makes it."
        )
        raise SchemaError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}. {fix}")
