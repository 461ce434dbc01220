"""The money picture of each account on a day, shared by the call list and the plans.

:func:`_account_balances` (one row per customer with an open invoice: open, overdue,
disputed balances, the chased invoice ids, the name) is what :mod:`arcalls.calllist`
ranks and what :func:`arcalls.plans.propose_payment_plan` spreads over instalments. It
lives here, below both, so that neither imports the other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError
from .ledger import invoice_balances
from .schema import dtype_of, round_money

#: At most this many invoice ids are written in one cell; the rest are counted.
MAX_INVOICE_IDS_SHOWN = 10


def _check_as_of(as_of) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise InputError(f"as_of must be a date such as '2025-06-30', got {as_of!r}.") from exc
    if pd.isna(stamp):
        raise InputError(f"as_of must be a date such as '2025-06-30', got {as_of!r}.")
    return stamp.normalize()


def _account_balances(
    invoices: pd.DataFrame, payments: pd.DataFrame | None, *, as_of: pd.Timestamp, book=None
) -> pd.DataFrame:
    """One row per customer with any open invoice on ``as_of``: the money picture
    (``book``: the run's :class:`arcalls.book.Book` of these tables, whose balances on
    ``as_of`` are :func:`arcalls.invoice_balances`'s)."""
    if book is None:
        bal = invoice_balances(invoices, payments, as_of=as_of)
    else:
        bal = book.invoice_balances(as_of)
    bal = bal[bal["is_open"]]
    disputed = (
        pd.Series(_flag(bal["disputed"]), index=bal.index)
        if "disputed" in bal
        else pd.Series(False, index=bal.index)
    )
    amount = bal["open_amount"]
    positive = amount > 0
    past_due = bal["days_past_due"] > 0
    chased = positive & ~disputed & past_due
    frame = pd.DataFrame(
        {
            "customer_id": bal["customer_id"].astype(dtype_of("id")),
            "open_balance": amount,
            "chased": amount.where(chased, 0.0),
            "credit": amount.where(amount < 0, 0.0),
            "disputed_balance": amount.where(positive & disputed, 0.0),
            "undisputed_positive": amount.where(positive & ~disputed, 0.0),
            "chased_days": bal["days_past_due"].where(chased, 0),
            # As aging counts overdue: every open dollar past due, for the reconciliation.
            "past_due": amount.where(past_due, 0.0),
            "disputed_past_due": amount.where(positive & disputed & past_due, 0.0),
        }
    )
    per = frame.groupby("customer_id", sort=True, observed=True).agg(
        open_balance=("open_balance", "sum"),
        chased=("chased", "sum"),
        credit=("credit", "sum"),
        disputed_balance=("disputed_balance", "sum"),
        undisputed_positive=("undisputed_positive", "sum"),
        oldest_days_past_due=("chased_days", "max"),
        past_due=("past_due", "sum"),
        disputed_past_due=("disputed_past_due", "sum"),
    )
    overdue = round_money((per["chased"] + per["credit"]).clip(lower=0.0)) + 0.0
    out = pd.DataFrame(
        {
            "customer_id": per.index.astype(dtype_of("id")),
            "open_balance": round_money(per["open_balance"].to_numpy()) + 0.0,
            "overdue_balance": overdue.to_numpy(),
            "disputed_balance": round_money(per["disputed_balance"].to_numpy()) + 0.0,
            "whole_balance_disputed": (
                (per["disputed_balance"] > 0) & (round_money(per["undisputed_positive"]) == 0)
            ).to_numpy(),
            "oldest_days_past_due": per["oldest_days_past_due"].astype("int64").to_numpy(),
            "past_due": per["past_due"].to_numpy(),
            "disputed_past_due": per["disputed_past_due"].to_numpy(),
        }
    )
    ids = _invoice_ids(bal[chased])
    out = out.assign(overdue_invoices=out["customer_id"].map(ids).fillna("").astype("string"))
    names = _names_from_invoices(invoices, as_of=as_of, book=book)
    return out.assign(customer_name=out["customer_id"].map(names).astype("string"))


def _invoice_ids(chased: pd.DataFrame) -> pd.Series:
    """Per customer, the chased invoice ids, oldest due first, capped with "(+N more)"."""
    if chased.empty:
        return pd.Series(dtype="string")
    ordered = chased.sort_values(["customer_id", "due_date", "invoice_id"], kind="mergesort")
    position = ordered.groupby("customer_id", observed=True).cumcount()
    shown = ordered[position < MAX_INVOICE_IDS_SHOWN]
    # Each id followed by "; " unless it is its customer's last shown one; a group sum
    # of object strings concatenates them in order without a Python call per customer.
    customer = shown["customer_id"].to_numpy()
    last_in_group = np.append(customer[1:] != customer[:-1], True)
    pieces = shown["invoice_id"].astype(str).to_numpy(dtype=object) + np.where(
        last_in_group, "", "; "
    ).astype(object)
    ids = pd.Series(pieces, index=shown.index).groupby(customer, sort=True).sum()
    total = ordered.groupby("customer_id", observed=True).size()
    more = (total - MAX_INVOICE_IDS_SHOWN).reindex(ids.index)
    suffix = pd.Series(np.where(more > 0, " (+" + more.astype(str) + " more)", ""), index=ids.index)
    return (ids + suffix).astype("string")


def _names_from_invoices(invoices: pd.DataFrame, *, as_of: pd.Timestamp, book=None) -> pd.Series:
    if "customer_name" not in invoices:
        return pd.Series(dtype="string")
    named = np.flatnonzero(
        (invoices["invoice_date"] <= as_of).to_numpy(dtype=bool)
        & invoices["customer_name"].notna().to_numpy()
    )
    # The most recent invoice's spelling wins: names get corrected over time. Only each
    # customer's invoices of its latest date compete (by invoice id, then file order),
    # so the string sort is over about one invoice per customer, not all of them. The
    # customers are the book's codes when there is one (no hash pass of their own).
    if book is None:
        codes, _ = pd.factorize(invoices["customer_id"].iloc[named])
    else:
        codes = book.customer_codes[0][named]
    day = invoices["invoice_date"].to_numpy("datetime64[ns]")[named].view(np.int64)
    latest = np.full(codes.max(initial=-1) + 1, np.iinfo(np.int64).min)
    np.maximum.at(latest, codes[codes >= 0], day[codes >= 0])
    rows = named[(codes >= 0) & (day == latest[np.maximum(codes, 0)])]
    newest = invoices[["customer_id", "invoice_id", "customer_name"]].iloc[rows]
    newest = newest.sort_values("invoice_id", kind="mergesort")
    return newest.groupby("customer_id", observed=True)["customer_name"].last()


def _flag(values: pd.Series) -> np.ndarray:
    """A boolean array from a column that may hold missing values (missing = False)."""
    return values.astype("boolean").fillna(False).to_numpy(dtype=bool)
