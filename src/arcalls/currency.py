"""One currency at a time: restrict the four tables to the invoices of one currency.

Amounts in different currencies are never added up (DESIGN.md): every analysis that
sums money refuses a multi-currency invoice table (``arcalls._checks.check_one_currency``)
and :func:`select_currency` is the way through, one currency per run.
"""

from __future__ import annotations

import pandas as pd

from ._checks import check_columns, currency_counts
from ._keys import contains
from .errors import InputError
from .schema import Tables

__all__ = ["select_currency"]


def select_currency(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    currency: str,
) -> Tables:
    """The four tables restricted to the invoices in one currency.

    - **invoices**: those whose ``currency`` is ``currency`` (compared without regard to
      case or surrounding spaces). Invoices with a blank currency are kept: they are the
      book's own currency, as :func:`arcalls._checks.check_one_currency` counts them.
    - **payments**: those of the kept invoices, plus those of an invoice id found in no
      invoice at all (so that the loaders' and analyses' own checks still see them);
      payments of invoices in another currency are left out.
    - **calls**: a call naming an ``invoice_id`` is kept when that invoice is kept (or
      unknown); a call naming no invoice is kept when its customer has at least one kept
      invoice. A customer with invoices in two currencies therefore has its
      customer-level calls (and promises) in both selections.
    - **customers**: those with at least one kept invoice.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices with a ``currency`` column.
    payments, calls, customers : DataFrame, optional
        The other canonical tables; None stays None.
    currency : str
        The currency code to keep, e.g. ``"USD"``.

    Returns
    -------
    Tables
        ``(invoices, payments, calls, customers)``, each a new frame (inputs are not
        modified) with its original index.

    Raises
    ------
    InputError
        When the invoices have no ``currency`` column, or none of them is in ``currency``
        (the message lists the codes present with their invoice counts).

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": ["1", "2", "3"], "customer_id": ["A", "A", "B"],
    ...     "currency": ["USD", "EUR", "EUR"], "amount": [10.0, 20.0, 30.0]})
    >>> pay = pd.DataFrame({"payment_id": ["p1", "p2"], "invoice_id": ["1", "2"],
    ...     "amount": [5.0, 20.0]})
    >>> eur = select_currency(inv, pay, currency="EUR")
    >>> eur.invoices["invoice_id"].tolist(), eur.payments["payment_id"].tolist()
    (['2', '3'], ['p2'])
    """
    check_columns(invoices, ("invoice_id", "customer_id"), what="invoices")
    if not isinstance(currency, str) or not currency.strip():
        raise InputError(f"currency must be a currency code such as 'USD', got {currency!r}.")
    if "currency" not in invoices:
        raise InputError(
            f"Cannot select currency {currency!r}: the invoices have no 'currency' column "
            "(one currency throughout). Map your export's currency header to 'currency', "
            "or leave --currency out."
        )
    code = invoices["currency"].astype("string").str.strip().str.upper()
    wanted = currency.strip().upper()
    keep = (code == wanted).fillna(False).to_numpy(dtype=bool) | code.isna().to_numpy()
    if not (code == wanted).fillna(False).any():
        counts = currency_counts(invoices)
        present = ", ".join(f"{c}: {n:,} invoice(s)" for c, n in counts.items()) or "none"
        raise InputError(
            f"No invoice is in currency {currency!r}; the invoices' currencies are "
            f"{present}. Choose one of those codes."
        )
    kept = invoices[keep]
    other_ids = invoices.loc[~keep, "invoice_id"]
    kept_customers = kept["customer_id"]

    def not_other(frame: pd.DataFrame) -> pd.Series:
        return ~pd.Series(contains(frame["invoice_id"], other_ids), index=frame.index)

    if payments is not None:
        check_columns(payments, ("invoice_id",), what="payments")
        payments = payments[not_other(payments).to_numpy(dtype=bool)]
    if calls is not None:
        check_columns(calls, ("customer_id",), what="calls")
        of_customer = pd.Series(contains(calls["customer_id"], kept_customers), index=calls.index)
        if "invoice_id" in calls:
            named = calls["invoice_id"].notna()
            on_kept = named & not_other(calls) | ~named & of_customer
        else:
            on_kept = of_customer
        calls = calls[on_kept.to_numpy(dtype=bool)]
    if customers is not None:
        check_columns(customers, ("customer_id",), what="customers")
        customers = customers[contains(customers["customer_id"], kept_customers)]
    return Tables(kept.copy(), _copy(payments), _copy(calls), _copy(customers))


def _copy(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if frame is None else frame.copy()
