"""The canonical schema: table columns, their kinds, and the call-outcome vocabulary.

Every loader returns frames in this shape and every analysis relies on it, so it is
written down once here. Kinds:

- ``id``: text (``string`` dtype, Arrow-backed); never an int, leading zeros matter.
- ``date``: ``datetime64[ns]`` at midnight.
- ``datetime``: ``datetime64[ns]`` (naive, in the business's own clock).
- ``amount``: ``float64`` in the currency's main unit, rounded to cents.
- ``bool``: ``bool`` (missing means ``False``).
- ``int``: ``Int64`` (nullable).
- ``text``: ``string`` (Arrow-backed, ``string[pyarrow]``).
- ``outcome``: ``string`` (Arrow-backed) restricted to :data:`OUTCOMES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import pandas as pd

#: The call-outcome vocabulary (DESIGN.md).
OUTCOMES: tuple[str, ...] = (
    "no_answer",
    "voicemail",
    "wrong_number",
    "third_party",
    "contact",
    "promise",
    "dispute",
    "refused",
    "claims_paid",
    "callback",
    "plan",
)

#: Outcomes in which the right party was reached.
RIGHT_PARTY_OUTCOMES: frozenset[str] = frozenset(
    {"contact", "promise", "dispute", "refused", "claims_paid", "callback", "plan"}
)

#: Common spellings found in real call logs, mapped onto :data:`OUTCOMES`.
#: Extend it per call with ``load_calls(..., outcome_map={...})``; keys are matched
#: case-insensitively after collapsing spaces, dashes and underscores.
DEFAULT_OUTCOME_MAP = MappingProxyType(
    {
        "no answer": "no_answer",
        "noanswer": "no_answer",
        "na": "no_answer",
        "no reply": "no_answer",
        "busy": "no_answer",
        "vm": "voicemail",
        "left voicemail": "voicemail",
        "left message": "voicemail",
        "lm": "voicemail",
        "wrong number": "wrong_number",
        "bad number": "wrong_number",
        "3rd party": "third_party",
        "third party": "third_party",
        "gatekeeper": "third_party",
        "spoke to customer": "contact",
        "rpc": "contact",
        "right party contact": "contact",
        "contacted": "contact",
        "ptp": "promise",
        "promise to pay": "promise",
        "promised": "promise",
        "disputed": "dispute",
        "refusal": "refused",
        "refuses": "refused",
        "refused to pay": "refused",
        "already paid": "claims_paid",
        "paid": "claims_paid",
        "call back": "callback",
        "call later": "callback",
        "payment plan": "plan",
        "instalment plan": "plan",
        "installment plan": "plan",
        "instalments": "plan",
        "installments": "plan",
    }
)

#: Cents: every amount is rounded to this many decimals.
MONEY_DECIMALS = 2


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, kind, and whether a file must have it."""

    name: str
    kind: str
    required: bool = False


@dataclass(frozen=True)
class Table:
    """A canonical table: its name, columns and key."""

    name: str
    columns: tuple[Column, ...]
    key: str

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def kind(self, column: str) -> str:
        return {c.name: c.kind for c in self.columns}[column]


def _cols(required: dict[str, str], optional: dict[str, str]) -> tuple[Column, ...]:
    return tuple(Column(n, k, True) for n, k in required.items()) + tuple(
        Column(n, k, False) for n, k in optional.items()
    )


INVOICES = Table(
    "invoices",
    _cols(
        {
            "invoice_id": "id",
            "customer_id": "id",
            "invoice_date": "date",
            "due_date": "date",
            "amount": "amount",
        },
        {
            "customer_name": "text",
            "currency": "text",
            "disputed": "bool",
            "paid_date": "date",
            "amount_paid": "amount",
            "written_off_date": "date",
            "terms": "text",
            # Open balance as printed by an aging report (QuickBooks, Xero presets).
            "open_balance": "amount",
            # True for a negative invoice amount: a credit note, kept and marked.
            "is_credit": "bool",
        },
    ),
    key="invoice_id",
)

#: Input-only columns: a file's column may be mapped onto one like onto a canonical
#: column, and the loader turns it into canonical ones. ``days_to_pay`` is the whole
#: days from ``invoice_date`` to the settlement: ``paid_date = invoice_date + days``
#: (a ledger that says "paid N days after the invoice" rather than on which date).
DERIVED_INPUTS: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {"invoices": MappingProxyType({"days_to_pay": "int"})}
)

PAYMENTS = Table(
    "payments",
    _cols(
        {"payment_id": "id", "invoice_id": "id", "payment_date": "date", "amount": "amount"},
        {"method": "text"},
    ),
    key="payment_id",
)

CALLS = Table(
    "calls",
    _cols(
        {"call_id": "id", "customer_id": "id", "called_at": "datetime", "outcome": "outcome"},
        {
            "invoice_id": "id",
            "collector": "text",
            "promise_date": "date",
            "promise_amount": "amount",
            "duration_s": "int",
            "notes": "text",
            "callback_at": "datetime",
            "payments_contact": "text",
            "payments_contact_title": "text",
            "plan_amount": "amount",
            "plan_instalments": "int",
            "plan_first_date": "date",
            "plan_frequency": "text",
            "plan_schedule": "text",
        },
    ),
    key="call_id",
)

CUSTOMERS = Table(
    "customers",
    _cols(
        {"customer_id": "id"},
        {
            "customer_name": "text",
            "phone": "text",
            "contact_name": "text",
            "email": "text",
            "timezone": "text",
            "do_not_call": "bool",
            "placed_with_agency_date": "date",
        },
    ),
    key="customer_id",
)

TABLES: MappingProxyType[str, Table] = MappingProxyType(
    {t.name: t for t in (INVOICES, PAYMENTS, CALLS, CUSTOMERS)}
)

#: Text kinds are Arrow-backed strings (``string[pyarrow]``, still ``dtype == "string"``):
#: no Python object per cell, and the memory read from the file is kept as it is.
_DTYPES = {
    "id": "string[pyarrow]",
    "text": "string[pyarrow]",
    "outcome": "string[pyarrow]",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "amount": "float64",
    "bool": "bool",
    "int": "Int64",
}


def dtype_of(kind: str) -> str:
    """The pandas dtype a column of this kind has in a loaded frame."""
    return _DTYPES[kind]


def empty_frame(table: str | Table) -> pd.DataFrame:
    """An empty frame with every column of ``table`` in its canonical dtype."""
    t = TABLES[table] if isinstance(table, str) else table
    return pd.DataFrame({c.name: pd.Series(dtype=dtype_of(c.kind)) for c in t.columns})


def round_money(values: pd.Series | np.ndarray | float) -> pd.Series | np.ndarray | float:
    """Round to cents (half away from zero would differ only on exact half-cents)."""
    return np.round(values, MONEY_DECIMALS)


class Tables(NamedTuple):
    """The four canonical tables, as :func:`arcalls.load_sample` returns them."""

    invoices: pd.DataFrame
    payments: pd.DataFrame | None
    calls: pd.DataFrame | None
    customers: pd.DataFrame | None
