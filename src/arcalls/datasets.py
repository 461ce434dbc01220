"""The bundled sample data: a simulated small business's receivables, calls and customers.

The four CSVs under ``arcalls/sample_data/`` are the default output of
:func:`arcalls.simulate` (400 customers, November 2024 to October 2026), exported on
:data:`SAMPLE_AS_OF`. They are read through the public loaders, exactly as a user's own
files would be.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from .errors import InputError
from .schema import Tables

__all__ = ["load_sample", "sample_path", "SAMPLE_AS_OF"]

#: The date the sample was exported on: nothing in it is dated later (except the
#: ``promise_date`` of calls made before it). Use it as the sample's ``as_of``.
SAMPLE_AS_OF = pd.Timestamp("2026-10-31")

#: The sample's tables, in the order of :class:`arcalls.Tables`.
SAMPLE_KINDS = ("invoices", "payments", "calls", "customers")


def _check_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in SAMPLE_KINDS:
        raise InputError(
            f"kind must be one of {', '.join(SAMPLE_KINDS)} or None (the folder), got {kind!r}."
        )
    return kind


def sample_path(kind: str | None = None) -> Path:
    """Where the bundled sample lives: the folder, or one of its CSV files.

    Parameters
    ----------
    kind : {"invoices", "payments", "calls", "customers"}, optional
        One table's file; None (default) for the folder.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        When ``kind`` is not one of the four tables.

    Examples
    --------
    >>> sample_path("calls").name
    'calls.csv'
    >>> sorted(p.name for p in sample_path().glob("*.csv"))
    ['calls.csv', 'customers.csv', 'invoices.csv', 'payments.csv']
    """
    kind = _check_kind(kind)
    folder = Path(str(resources.files("arcalls") / "sample_data"))
    return folder if kind is None else folder / f"{kind}.csv"


def load_sample() -> Tables:
    """The bundled sample as canonical tables.

    Returns
    -------
    Tables
        ``invoices`` (no settlement columns: ``payments`` is the truth for money
        received), ``payments``, ``calls`` (``called_at`` in America/New_York, the
        business's clock) and ``customers``, in the dtypes of :mod:`arcalls.schema`.

    Examples
    --------
    >>> s = load_sample()
    >>> len(s.customers)
    400
    >>> bool(s.payments["payment_date"].max() <= SAMPLE_AS_OF)
    True
    >>> str(s.invoices["amount"].dtype), str(s.calls["called_at"].dtype)
    ('float64', 'datetime64[ns]')
    """
    from . import io

    loaders = (io.load_invoices, io.load_payments, io.load_calls, io.load_customers)
    return Tables(
        *(load(sample_path(kind)) for kind, load in zip(SAMPLE_KINDS, loaders, strict=True))
    )
