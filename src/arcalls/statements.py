"""Customer statements: each customer's open invoices and credits, aged, as of a date.

The thing an owner sends before and after a call. The open items and their buckets are
the aging's own (:func:`arcalls.aging` by customer gives the same totals to the cent);
late charges, when asked for, are shown beside the items and never inside the total due.
"""

from __future__ import annotations

import functools
import html
import operator
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import check_columns, check_one_currency, format_amount
from ._export import atomic_paths, neutralize_formulas
from .aging import DEFAULT_BUCKETS, _check_as_of, _check_buckets, _open_items, _prepare
from .aging import bucket_labels as _bucket_labels
from .ledger import resolve_payments
from .schema import round_money

__all__ = ["Statements", "statements", "statements_html", "write_statements"]

#: The files :func:`write_statements` writes into its folder.
STATEMENT_FILES = ("statements.csv", "statement_totals.csv", "statements.html")

_ITEM_COLUMNS = (
    "customer_id",
    "customer_name",
    "item",
    "invoice_id",
    "invoice_date",
    "due_date",
    "amount",
    "paid_to_date",
    "open_amount",
    "days_past_due",
    "bucket",
    "disputed",
)


@dataclass(frozen=True)
class Statements:
    """The statements of every customer with an open item on one date.

    Attributes
    ----------
    items : DataFrame
        One row per open item (invoice or credit), by customer then due date:
        ``customer_id``, ``customer_name``, ``item`` (``"invoice"`` or ``"credit"``),
        ``invoice_id``, ``invoice_date``, ``due_date``, ``amount``, ``paid_to_date``,
        ``open_amount`` (negative for a credit), ``days_past_due``, ``bucket`` (its aging
        label), ``disputed``, ``currency`` (when the invoices have it), ``late_charge``
        (when late charges were asked for) and ``customer_total_due``.
    totals : DataFrame
        One row per customer, indexed by ``customer_id``: ``customer_name``, one column
        per bucket, ``total_due`` (the sum of the buckets), ``overdue``, ``disputed``,
        ``open_items`` and, with late charges, ``late_charges`` (not in ``total_due``).
    as_of : Timestamp
        The statement date.
    currency : str or None
        The one currency of the invoices, if they name it.
    buckets : list of str
        The bucket labels, in order.
    """

    items: pd.DataFrame
    totals: pd.DataFrame
    as_of: pd.Timestamp
    currency: str | None
    buckets: list

    @property
    def has_late_charges(self) -> bool:
        """Whether late charges were worked out for these statements."""
        return "late_charges" in self.totals

    def _repr_html_(self) -> str:
        return self.totals._repr_html_()


def statements(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
    customers: pd.DataFrame | None = None,
    late_charges=None,
    buckets: Sequence[int] = DEFAULT_BUCKETS,
) -> Statements:
    """Each customer's open invoices and credits with their aging bucket on ``as_of``.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices (one currency).
    payments : DataFrame, optional
        Canonical payments; when omitted, the invoices' own settlements.
    as_of : date-like
        The statement date: payments dated after it do not count.
    customers : DataFrame, optional
        Canonical customers: their ``customer_name`` fills the names the invoices lack.
    late_charges : DataFrame, LateChargePolicy or str, optional
        Late charges to show beside the items: the table :func:`arcalls.late_charges`
        returns, or a policy (``"monthly:1.5"``, ...) to work it out with. They are never
        added to ``total_due``.
    buckets : tuple of int, default :data:`arcalls.DEFAULT_BUCKETS`
        The aging buckets' upper edges, as :func:`arcalls.aging` takes them.

    Returns
    -------
    Statements
        ``.items`` (one row per open item) and ``.totals`` (one row per customer),
        whose bucket columns and ``total_due`` equal ``arcalls.aging(...,
        by="customer_id")``'s buckets and ``total`` to the cent.

    Raises
    ------
    InputError
        Invoices in several currencies, a missing column, a bad late-charge policy.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> st = statements(s.invoices, s.payments, as_of="2026-06-30", customers=s.customers)
    >>> aged = arcalls.aging(s.invoices, s.payments, as_of="2026-06-30")
    >>> bool((st.totals["total_due"] - aged["total"].reindex(st.totals.index)).abs().max() < 0.005)
    True
    """
    stamp = _check_as_of(as_of)
    edges = _check_buckets(buckets)
    labels = _bucket_labels(edges)
    # The aging's own checks (columns, dates, one currency) and its open items.
    _prepare(invoices, payments, needs=("customer_id",))
    currency = check_one_currency(invoices)
    items = _open_items(invoices, resolve_payments(invoices, payments), stamp, edges)

    names = _names(items, customers)
    disputed = (
        items["disputed"].fillna(False).astype(bool).to_numpy()
        if "disputed" in items
        else np.zeros(len(items), dtype=bool)
    )
    out = pd.DataFrame(
        {
            "customer_id": items["customer_id"].astype("string"),
            "customer_name": names,
            "item": np.where(items["open_amount"].to_numpy() < 0, "credit", "invoice"),
            "invoice_id": items["invoice_id"].astype("string"),
            "invoice_date": items["invoice_date"],
            "due_date": items["due_date"],
            "amount": items["amount"].astype("float64"),
            "paid_to_date": items["paid_to_date"].astype("float64"),
            "open_amount": items["open_amount"].astype("float64"),
            "days_past_due": items["days_past_due"].astype("int64"),
            "bucket": pd.Categorical.from_codes(items["bucket"].to_numpy(), categories=labels),
            "disputed": disputed,
        }
    )
    out["item"] = out["item"].astype("string")
    if "currency" in items:
        out["currency"] = items["currency"].astype("string")
    charges = _late_charges_of(late_charges, invoices, payments, stamp)
    if charges is not None:
        by_invoice = charges.set_index(charges["invoice_id"].astype("string"))["late_charge"]
        out["late_charge"] = round_money(
            out["invoice_id"].map(by_invoice).astype("float64").fillna(0.0)
        )
    out = out.sort_values(["customer_id", "due_date", "invoice_id"], kind="stable")
    out = out.reset_index(drop=True)

    key = out["customer_id"].to_numpy(dtype=object, na_value="")
    grouped = out.groupby(key, sort=True)
    per_bucket = (
        out["open_amount"]
        .groupby([key, out["bucket"]], observed=False, sort=True)
        .sum()
        .unstack()
        .reindex(columns=labels)
        .fillna(0.0)
    )
    per_bucket.columns = pd.Index(labels)
    totals = round_money(per_bucket).astype("float64")
    overdue = np.where(out["days_past_due"].to_numpy() > 0, out["open_amount"].to_numpy(), 0.0)
    totals = totals.assign(
        total_due=round_money(totals.sum(axis=1)),
        overdue=round_money(pd.Series(overdue).groupby(key).sum()),
        disputed=round_money(out["open_amount"].where(out["disputed"], 0.0).groupby(key).sum()),
        open_items=grouped.size().astype("int64"),
    )
    if charges is not None:
        totals["late_charges"] = round_money(grouped["late_charge"].sum())
    totals.insert(0, "customer_name", grouped["customer_name"].first().astype("string"))
    totals.index = pd.Index(totals.index.astype("string"), name="customer_id")
    out["customer_total_due"] = out["customer_id"].map(totals["total_due"]).astype("float64")
    return Statements(items=out, totals=totals, as_of=stamp, currency=currency, buckets=labels)


def _names(items: pd.DataFrame, customers: pd.DataFrame | None) -> pd.Series:
    """Each item's customer name: the invoices' own, else the customers table's."""
    names = (
        items["customer_name"].astype("string")
        if "customer_name" in items
        else pd.Series(pd.NA, index=items.index, dtype="string")
    )
    if customers is not None:
        check_columns(customers, ("customer_id",), what="customers table")
        if "customer_name" in customers:
            table = customers.drop_duplicates("customer_id").set_index(
                customers["customer_id"].drop_duplicates().astype("string")
            )["customer_name"]
            fallback = items["customer_id"].astype("string").map(table).astype("string")
            names = names.where(names.notna() & (names.str.strip() != ""), fallback)
    return names.fillna("").astype("string")


def _late_charges_of(spec, invoices, payments, stamp) -> pd.DataFrame | None:
    if spec is None:
        return None
    if isinstance(spec, pd.DataFrame):
        check_columns(spec, ("invoice_id", "late_charge"), what="late_charges table")
        return spec
    from .late_charges import late_charges

    return late_charges(invoices, payments, as_of=stamp, policy=spec)


# ------------------------------------------------------------------------- writers

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; font-size: 11pt; color: #111; }
section.statement { page-break-after: always; break-after: page; margin-bottom: 2em; }
section.statement:last-of-type { page-break-after: auto; break-after: auto; }
h1 { font-size: 16pt; margin: 0; } h2 { font-size: 13pt; margin: 0.6em 0 0.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0; }
th, td { border-bottom: 1px solid #ccc; padding: 3px 6px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; border-top: 2px solid #111; }
p.note { font-size: 9.5pt; color: #444; }
"""


def _text(value) -> str:
    """Escaped, printable text: HTML metacharacters escaped, control characters removed."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def statements_html(result: Statements, *, business_name: str | None = None) -> str:
    """The statements as one printable HTML page per customer (a CSS page break each).

    Every text cell is escaped, so a customer named ``<script>`` prints as text.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> st = statements(s.invoices, s.payments, as_of="2026-06-30")
    >>> page = statements_html(st, business_name="Acme & Co")
    >>> page.count('<section class="statement">') == len(st.totals), "Acme &amp; Co" in page
    (True, True)
    """

    def money(value: float) -> str:
        return _text(format_amount(value, result.currency))

    business = _text(business_name) if business_name else ""
    date = f"{result.as_of:%Y-%m-%d}"
    pages = []
    charges = result.has_late_charges
    # Each item's table row, built column by column; then one page per customer.
    items = result.items

    def text(values) -> pd.Series:
        # object dtype even when there are no items: "<td>" + an empty float Series fails.
        return pd.Series(values, index=items.index, dtype=object)

    cells = [
        "<td>"
        + text(items["item"].map(_text))
        + text(np.where(items["disputed"], " (disputed)", ""))
        + "</td>",
        "<td>" + text(items["invoice_id"].map(_text)) + "</td>",
        "<td>" + text(items["invoice_date"].dt.strftime("%Y-%m-%d").fillna("")) + "</td>",
        "<td>" + text(items["due_date"].dt.strftime("%Y-%m-%d").fillna("")) + "</td>",
        *(
            '<td class="num">' + text(items[col].map(money)) + "</td>"
            for col in ("amount", "paid_to_date", "open_amount")
        ),
        '<td class="num">' + text(items["days_past_due"].astype(str)) + "</td>",
        "<td>" + text(items["bucket"].astype("string").map(_text)) + "</td>",
    ]
    if charges:
        cells.append('<td class="num">' + text(items["late_charge"].map(money)) + "</td>")
    row_html = "<tr>" + functools.reduce(operator.add, cells) + "</tr>"
    items_of = dict(
        tuple(pd.DataFrame({"_html": row_html, "c": items["customer_id"]}).groupby("c"))
    )
    for customer_id, total in result.totals.iterrows():
        rows = items_of.get(customer_id, pd.DataFrame({"_html": []}))
        head = ["Item", "Invoice", "Date", "Due", "Amount", "Paid", "Open", "Days past due"]
        head += ["Bucket"] + (["Late charges that may apply"] if charges else [])
        num = {"Amount", "Paid", "Open", "Days past due", "Late charges that may apply"}
        header = "".join(f'<th class="num">{h}</th>' if h in num else f"<th>{h}</th>" for h in head)
        body = "".join(rows["_html"])
        aging_head = "".join(f'<th class="num">{_text(b)}</th>' for b in result.buckets)
        aging_cells = "".join(f'<td class="num">{money(total[b])}</td>' for b in result.buckets)
        name = _text(total["customer_name"]) or _text(customer_id)
        note = ""
        if charges:
            note = (
                f'<p class="note">Late charges that may apply: {money(total["late_charges"])} '
                "(not included in the total due).</p>"
            )
        pages.append(
            '<section class="statement">'
            + (f"<h1>{business}</h1>" if business else "")
            + f"<h2>Statement of account: {name}</h2>"
            + f"<p>Customer {_text(customer_id)} &middot; as of {date}</p>"
            + f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
            + f"<table><thead><tr>{aging_head}"
            + '<th class="num">Total due</th></tr></thead>'
            + f'<tbody><tr class="total">{aging_cells}'
            + f'<td class="num">{money(total["total_due"])}</td></tr></tbody></table>'
            + note
            + "</section>"
        )
    title = f"Statements as of {date}" + (f" - {business}" if business else "")
    if not pages:
        pages.append(f"<p>No open items on {date}.</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(pages)
        + "\n</body></html>\n"
    )


def write_statements(
    result: Statements, folder: str | os.PathLike, *, business_name: str | None = None
) -> list[Path]:
    """Write ``statements.csv``, ``statement_totals.csv`` and ``statements.html``.

    The items CSV has one row per open item, each with its ``customer_total_due``; the
    totals CSV one row per customer. All three are written atomically, all or none, and
    every text cell is formula-safe.

    Raises
    ------
    OutputError
        When the folder does not exist or cannot be written.
    """
    folder = Path(folder)
    paths = [folder / name for name in STATEMENT_FILES]
    items = result.items.assign(bucket=result.items["bucket"].astype("string"))
    totals = result.totals.reset_index()
    page = statements_html(result, business_name=business_name)
    with atomic_paths(*paths) as (items_tmp, totals_tmp, html_tmp):
        neutralize_formulas(items).to_csv(items_tmp, index=False, lineterminator="\n")
        neutralize_formulas(totals).to_csv(totals_tmp, index=False, lineterminator="\n")
        html_tmp.write_text(page, encoding="utf-8")
    return paths
