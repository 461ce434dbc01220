"""The one exception family of arcalls, and the warning for rows set aside.

Every problem with a user's input is an :class:`ArcallsError`. Its message names the
file, the row as a spreadsheet shows it, the column, the value and the fix; an
:class:`InputError` also carries every problem found as a DataFrame (``.problems``), so
a notebook or the ``check`` command can show them all at once rather than one per run.
"""

from __future__ import annotations

import pandas as pd

#: Columns of ``InputError.problems`` and of the rows set aside in lenient mode.
PROBLEM_COLUMNS = ("file", "row", "column", "value", "problem")

#: How many problems an error message lists before it says "and N more".
_MESSAGE_PROBLEMS = 5


class ArcallsError(Exception):
    """Base class of every error arcalls raises on purpose."""


class InputError(ArcallsError):
    """A file or table does not fit the schema.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it.
    problems : DataFrame, optional
        One row per problem with columns ``file``, ``row`` (the line number a
        spreadsheet shows, header = 1), ``column``, ``value`` and ``problem``.
    """

    def __init__(self, message: str, problems: pd.DataFrame | None = None):
        super().__init__(message)
        self.problems = problems if problems is not None else empty_problems()


class SchemaError(InputError):
    """Required columns are missing, duplicated or cannot be mapped."""


class ParseError(InputError):
    """Values that cannot be read as the type their column needs."""


class AmbiguousDateError(ParseError):
    """A date column could be read day-first or month-first and nothing decides."""


class IntegrityError(InputError):
    """Values that parse but contradict each other (duplicate ids, unknown invoices...)."""


class NotEnoughHistoryError(ArcallsError):
    """The history cannot train the ranking model (e.g. every overdue account paid)."""


class ModelFileError(ArcallsError):
    """A saved model file that arcalls did not write or cannot read."""


class OutputError(ArcallsError):
    """An output that cannot be written (folder missing, not writable...)."""


class RowsSetAsideWarning(UserWarning):
    """Lenient loading set rows aside; see ``arcalls.load_report(frame).set_aside``."""


def empty_problems() -> pd.DataFrame:
    """An empty problems table with the right columns and dtypes."""
    return pd.DataFrame(
        {
            "file": pd.Series(dtype="string"),
            "row": pd.Series(dtype="Int64"),
            "column": pd.Series(dtype="string"),
            "value": pd.Series(dtype="string"),
            "problem": pd.Series(dtype="string"),
        }
    )


def format_problems(problems: pd.DataFrame, *, limit: int = _MESSAGE_PROBLEMS) -> str:
    """One line per problem, as an error message lists them."""
    lines = []
    for rec in problems.head(limit).itertuples(index=False):
        where = f"{rec.file}"
        if not pd.isna(rec.row):
            where += f", row {int(rec.row)}"
        if not pd.isna(rec.column) and rec.column:
            where += f", column {rec.column!r}"
        value = "" if pd.isna(rec.value) else f": value {_short(str(rec.value))!r}"
        lines.append(f"  - {where}{value}: {rec.problem}")
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more (see the error's .problems)")
    return "\n".join(lines)


def _short(value: str, width: int = 60) -> str:
    return value if len(value) <= width else value[: width - 3] + "..."
