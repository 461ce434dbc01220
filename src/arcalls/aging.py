"""Aging, DSO, CEI and ADD as of a date: how bad the receivables are.

Every figure is point in time: balances come from :func:`arcalls.invoice_balances`, so
only payments (and write-offs) dated on or before the as-of date count, and the open
total of an aging equals the ledger's open total to the cent. Disputed dollars stay in
every figure here (they leave the chase, not the receivables); written-off invoices are
no longer open; credit notes sit in the bucket of their own due date, as QuickBooks
puts them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import check_columns, check_one_currency
from ._keys import shared_codes
from .book import Book, book_for
from .errors import InputError, SchemaError
from .ledger import invoice_balances, resolve_payments
from .schema import round_money

__all__ = [
    "DEFAULT_BUCKETS",
    "DEFAULT_PERIOD_DAYS",
    "INDUSTRY_ADD_RANGE",
    "INDUSTRY_MEDIAN_CEI",
    "INDUSTRY_MEDIAN_DSO",
    "ar_metrics",
    "ar_trend",
    "aging",
    "average_days_delinquent",
    "best_possible_dso",
    "bucket_labels",
    "cei",
    "days_past_due",
    "dso",
]

#: Upper edges (days past due, inclusive) of the aging buckets: Current (<= 0), 1-30,
#: 31-60, 61-90, 91-120 and, past the last edge, 120+ (more than 120 days).
DEFAULT_BUCKETS: tuple[int, ...] = (0, 30, 60, 90, 120)
#: Days of credit sales that DSO, best possible DSO, ADD and CEI look back over.
DEFAULT_PERIOD_DAYS = 90
#: Industry medians to set an owner's own figures against (DESIGN.md, "Documented
#: defaults"): collection effectiveness index ~85 %, DSO ~38 days, ADD 3 to 6 days.
INDUSTRY_MEDIAN_CEI = 85.0
INDUSTRY_MEDIAN_DSO = 38.0
INDUSTRY_ADD_RANGE: tuple[float, float] = (3.0, 6.0)

_METHODS = ("standard", "countback")
_INVOICE_COLUMNS = ("invoice_id", "invoice_date", "due_date", "amount")
_PAYMENT_COLUMNS = ("invoice_id", "payment_date", "amount")
#: The metric columns of :func:`ar_metrics` / :func:`ar_trend`, in order; the bucket
#: columns of :func:`ar_trend` follow them.
METRIC_COLUMNS = (
    "ar_total",
    "ar_current",
    "ar_overdue",
    "ar_disputed",
    "credit_sales",
    "dso",
    "dso_countback",
    "bpdso",
    "add",
    "cei",
)


# --------------------------------------------------------------------------- checks


def _check_columns(frame, required: Sequence[str], *, table: str, dates: Sequence[str] = ()):
    check_columns(frame, required, what=table)
    for col in dates:
        if col in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[col]):
            raise SchemaError(
                f"{table} column {col!r} must hold dates (datetime64), got {frame[col].dtype}. "
                f"Convert it with pd.to_datetime or load the file with arcalls.load_{table}."
            )
    blank = [c for c in required if frame[c].isna().any()]
    if blank:
        col = blank[0]
        rows = frame.index[frame[col].isna()][:5].tolist()
        raise InputError(
            f"{table} column {col!r} has {int(frame[col].isna().sum())} missing value(s) "
            f"(index {rows}...); every row needs one. Fill or drop those rows first."
        )


def _check_as_of(value, name: str = "as_of") -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a date such as '2025-06-30', got {value!r}.") from exc
    if pd.isna(stamp):
        raise InputError(f"{name} must be a date such as '2025-06-30', got {value!r}.")
    # Balances change by day: a time of day would only shift days_past_due by one.
    return stamp.normalize()


def _check_buckets(buckets) -> tuple[int, ...]:
    try:
        edges = tuple(buckets)
    except TypeError:
        edges = ()
    ok = (
        len(edges) > 0
        and all(isinstance(e, int | np.integer) and not isinstance(e, bool) for e in edges)
        and all(a < b for a, b in zip(edges, edges[1:], strict=False))
    )
    if not ok:
        raise InputError(
            "buckets must be a non-empty tuple of increasing whole numbers of days "
            f"(the upper edge of each bucket), got {buckets!r}. "
            f"Example: {DEFAULT_BUCKETS} for Current, 1-30, 31-60, 61-90, 91-120, 120+."
        )
    return tuple(int(e) for e in edges)


def _check_period_days(period_days) -> int:
    if (
        isinstance(period_days, bool)
        or not isinstance(period_days, int | np.integer)
        or period_days <= 0
    ):
        raise InputError(
            f"period_days must be a positive whole number of days, got {period_days!r}. "
            f"Example: {DEFAULT_PERIOD_DAYS} for a quarter."
        )
    return int(period_days)


def _prepare(
    invoices,
    payments,
    *,
    needs: Sequence[str] = (),
    keep: Sequence[str] = (),
    one_currency: bool = True,
):
    """Validated, lean copies of the invoices and of the payments to use.

    Only the columns the balances need (plus ``keep``) are carried, and invoice ids
    become integer codes in both tables: a ledger's answers do not depend on the ids'
    type, and matching integers is several times faster than matching text, which
    counts when :func:`ar_trend` takes a few dozen snapshots of a large ledger.
    """
    _check_tables(invoices, payments, needs=needs, one_currency=one_currency)
    payments = resolve_payments(invoices, payments)
    columns = dict.fromkeys((*_INVOICE_COLUMNS, "disputed", "written_off_date", *keep))
    lean = invoices[[c for c in columns if c in invoices.columns]]
    # One hash pass over both id columns; every invoice has an id (checked above), and a
    # payment of an unknown invoice is -1: it matches none, as in the ledger.
    codes, paid_codes = shared_codes(lean["invoice_id"], payments["invoice_id"])
    lean_payments = pd.DataFrame(
        {
            "invoice_id": paid_codes,
            "payment_date": payments["payment_date"].to_numpy(),
            "amount": payments["amount"].to_numpy(),
        }
    )
    return lean.assign(invoice_id=codes), lean_payments


def _check_tables(invoices, payments, *, needs: Sequence[str] = (), one_currency: bool = True):
    """Both tables checked, as every analysis of this module checks them."""
    _check_columns(
        invoices,
        (*_INVOICE_COLUMNS, *needs),
        table="invoices",
        dates=("invoice_date", "due_date", "written_off_date"),
    )
    if one_currency:
        check_one_currency(invoices)
    if payments is not None:
        _check_columns(payments, _PAYMENT_COLUMNS, table="payments", dates=("payment_date",))


# ---------------------------------------------------------------------- buckets


def bucket_labels(buckets: Sequence[int] = DEFAULT_BUCKETS) -> list[str]:
    """Column labels of the aging buckets whose upper edges are ``buckets``.

    Parameters
    ----------
    buckets : tuple of int
        Increasing upper edges in days past due (inclusive); one more bucket holds
        everything past the last edge.

    Returns
    -------
    list of str
        ``"current"`` for ``<= 0`` (``"<=N"`` when the first edge is not 0), then
        ``"lo-hi"`` ranges and ``"N+"`` for more than the last edge.

    Examples
    --------
    >>> bucket_labels()
    ['current', '1-30', '31-60', '61-90', '91-120', '120+']
    >>> bucket_labels((15, 45))
    ['<=15', '16-45', '45+']
    """
    edges = _check_buckets(buckets)
    first = "current" if edges[0] == 0 else f"<={edges[0]}"
    middle = [f"{lo + 1}-{hi}" for lo, hi in zip(edges, edges[1:], strict=False)]
    return [first, *middle, f"{edges[-1]}+"]


def _bucket_codes(dpd: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    # side="left": the first edge >= days, so an edge itself closes its bucket
    # (0 days = due today = current; 30 days = 1-30).
    return np.searchsorted(np.asarray(edges), dpd, side="left")


def days_past_due(invoices: pd.DataFrame, *, as_of) -> pd.Series:
    """Days each invoice is past due on ``as_of``: ``(as_of - due_date).days``.

    Negative means not yet due; 0 means due that day (still Current). This is date
    arithmetic only: which invoices were still open on the date comes from
    :func:`arcalls.invoice_balances` (or :func:`aging`).

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices (needs ``due_date``).
    as_of : date-like
        The day to count to.

    Returns
    -------
    Series
        ``int64`` named ``days_past_due``, on the invoices' index.

    Raises
    ------
    SchemaError
        When ``due_date`` is missing or does not hold dates.

    Examples
    --------
    >>> inv = pd.DataFrame({"due_date": pd.to_datetime(["2025-06-30", "2025-05-31"])})
    >>> days_past_due(inv, as_of="2025-06-30").tolist()
    [0, 30]
    """
    _check_columns(invoices, ("due_date",), table="invoices", dates=("due_date",))
    stamp = _check_as_of(as_of)
    return (stamp - invoices["due_date"]).dt.days.astype("int64").rename("days_past_due")


def _open_items(invoices, payments, as_of, edges, book: Book | None = None):
    """The invoices open on ``as_of`` with their open amount and bucket code (from the
    ``book``'s balances when given: the same figures, hashed and summed once a run)."""
    if book is None:
        bal = invoice_balances(invoices, payments, as_of=as_of)
    else:
        bal = book.invoice_balances(as_of)
    bal = bal[bal["is_open"].to_numpy()]
    disputed = (
        bal["disputed"].fillna(False).astype(bool).to_numpy()
        if "disputed" in bal
        else np.zeros(len(bal), dtype=bool)
    )
    dpd = bal["days_past_due"].to_numpy()
    amount = bal["open_amount"].to_numpy()
    return bal.assign(
        bucket=_bucket_codes(dpd, edges),
        is_overdue=dpd > 0,
        overdue_amount=np.where(dpd > 0, amount, 0.0),
        disputed_amount=np.where(disputed, amount, 0.0),
    )


def aging(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
    buckets: Sequence[int] = DEFAULT_BUCKETS,
    by: str | None = "customer_id",
    book: Book | None = None,
) -> pd.DataFrame:
    """Open receivables on ``as_of`` by aging bucket, per customer or in total.

    An invoice is open when its balance on ``as_of`` (payments dated up to that day)
    is not zero and it was not written off by then. Its whole open amount goes to the
    bucket of its days past due: an invoice due that very day is Current. Credit notes
    and overpayments (negative balances) sit in the bucket of their due date and reduce
    the totals. Disputed dollars are shown in ``disputed`` and stay inside every bucket
    and total.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices.
    payments : DataFrame, optional
        Canonical payments; when omitted, the invoices' own ``paid_date`` /
        ``amount_paid`` (see :func:`arcalls.settlements_as_payments`).
    as_of : date-like
        The day the aging is taken on.
    buckets : tuple of int, default :data:`DEFAULT_BUCKETS`
        Increasing upper edges of the buckets in days past due (inclusive).
    by : str or None, default ``"customer_id"``
        Column to group by (``"customer_id"``, ``"currency"``, ...); ``None`` gives one
        row, ``"total"``, for the whole ledger.
    book : arcalls.book.Book, optional
        The run's coded book of these same tables (:func:`arcalls.book.book_of`): its
        balances on the date are used (the same figures, worked out once per run).

    Returns
    -------
    DataFrame
        One row per group that has an open invoice, indexed by ``by``, sorted by
        overdue dollars (largest first). Columns: ``customer_name`` (when grouping by
        customer and the invoices have names), one column per bucket (see
        :func:`bucket_labels`), ``total`` (sum of the buckets), ``overdue`` (dollars
        past due, ``days_past_due > 0``), ``disputed`` (dollars in dispute, already
        inside the buckets), ``open_invoices`` and ``overdue_invoices`` (counts).
        Money is rounded to cents.

    Raises
    ------
    SchemaError
        When a required column is missing or a date column does not hold dates.
    InputError
        On bad ``buckets``, an unknown ``by`` column, or invoices in several currencies.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2", "3"], dtype="string"),
    ...     "customer_id": pd.array(["A", "A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-01", "2025-06-01", "2025-06-01"]),
    ...     "due_date": pd.to_datetime(["2025-05-31", "2025-06-30", "2025-07-01"]),
    ...     "amount": [100.0, 250.0, 40.0],
    ... })
    >>> aging(inv, as_of="2025-06-30")[["current", "1-30", "total", "overdue"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                 current   1-30  total  overdue
    customer_id
    A              250.0  100.0  350.0    100.0
    B               40.0    0.0   40.0      0.0
    >>> aging(inv, as_of="2025-06-30", by=None)["total"].item()
    390.0

    On the bundled sample, the customers with the most overdue dollars come first:

    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> table = aging(s.invoices, s.payments, as_of="2026-06-30")
    >>> bool(table["overdue"].is_monotonic_decreasing)
    True
    >>> ledger = arcalls.invoice_balances(s.invoices, s.payments, as_of="2026-06-30")
    >>> bool(abs(table["total"].sum() - ledger["open_amount"].sum()) < 0.005)
    True
    """
    stamp = _check_as_of(as_of)
    edges = _check_buckets(buckets)
    labels = bucket_labels(edges)
    needs = ("customer_id",) if by == "customer_id" else ()
    keep = (by, "customer_name") if by == "customer_id" else (by,) if by is not None else ()
    # Grouped by currency, every row is one currency's own total: nothing is mixed.
    if book is None:
        prepared, payments = _prepare(
            invoices, payments, needs=needs, keep=keep, one_currency=by != "currency"
        )
    else:
        book = book_for(book, invoices, payments)
        _check_tables(invoices, payments, needs=needs, one_currency=by != "currency")
        prepared = None
    if by is not None and by not in invoices.columns:
        raise InputError(
            f"by must be an invoices column or None, got {by!r}; "
            f"the invoices have {list(invoices.columns)}."
        )
    items = _open_items(prepared, payments, stamp, edges, book)
    if by is None:
        key, groups = np.zeros(len(items), dtype="int64"), pd.Index(["total"])
    else:
        # Text keys factorised once: each groupby below then works on integers. A blank
        # key becomes a group of its own, so that its dollars stay in the totals.
        key, groups = pd.factorize(items[by], sort=True, use_na_sentinel=False)
    grouped = items.groupby(key, sort=True)
    buckets_of = pd.Categorical.from_codes(items["bucket"].to_numpy(), categories=labels)
    amounts = (
        items["open_amount"]
        .groupby([key, buckets_of], observed=False, sort=True)
        .sum()
        .unstack()
        .reindex(columns=labels)
        .fillna(0.0)
    )
    amounts.columns = pd.Index(labels)
    table = round_money(amounts).astype("float64")
    table = table.assign(
        total=round_money(table.sum(axis=1)),
        overdue=round_money(grouped["overdue_amount"].sum()),
        disputed=round_money(grouped["disputed_amount"].sum()),
        open_invoices=grouped.size().astype("int64"),
        overdue_invoices=grouped["is_overdue"].sum().astype("int64"),
    )
    if by is None:
        if table.empty:
            zeros = dict.fromkeys([*labels, "total", "overdue", "disputed"], 0.0)
            table = pd.DataFrame([zeros | {"open_invoices": 0, "overdue_invoices": 0}])
        table.index = groups
        return table
    if by == "customer_id" and "customer_name" in items:
        # A customer's name is the first one its open invoices give.
        table.insert(0, "customer_name", grouped["customer_name"].first().astype("string"))
    table.index = pd.Index(groups[table.index.to_numpy()], name=by)
    return table.sort_values(["overdue", "total"], ascending=False, kind="stable")


# ---------------------------------------------------------------------- metrics


def _sales_between(dates: np.ndarray, cum_amount: np.ndarray, lo, hi) -> np.ndarray:
    """Credit sales (net of credit notes) of invoices dated in (lo, hi], vectorised."""
    lo_i = np.searchsorted(dates, np.asarray(lo, dtype="datetime64[ns]"), side="right")
    hi_i = np.searchsorted(dates, np.asarray(hi, dtype="datetime64[ns]"), side="right")
    return cum_amount[hi_i] - cum_amount[lo_i]


class _Sales:
    """Invoices sorted by date with a running total, to sum any window by lookup."""

    def __init__(self, invoices: pd.DataFrame):
        order = np.argsort(invoices["invoice_date"].to_numpy(), kind="stable")
        self.dates = invoices["invoice_date"].to_numpy()[order]
        self.cum = np.concatenate([[0.0], np.cumsum(invoices["amount"].to_numpy()[order])])

    def between(self, lo, hi) -> np.ndarray:
        return round_money(_sales_between(self.dates, self.cum, lo, hi))

    def countback(self, as_of: pd.Timestamp, ending_ar: float) -> float:
        """Days of the latest sales, month by month, that make up ``ending_ar``."""
        if ending_ar <= 0:
            return 0.0
        if len(self.dates) == 0:
            return float("nan")
        first = pd.Timestamp(self.dates[0])
        months = (as_of.year - first.year) * 12 + (as_of.month - first.month) + 2
        # Month-long periods ending on as_of, anchored on as_of each time so that
        # month ends do not drift (31 Mar, 28 Feb, 31 Jan ...).
        bounds = pd.DatetimeIndex([as_of - pd.DateOffset(months=k) for k in range(months + 1)])
        sales = self.between(bounds[1:].to_numpy(), bounds[:-1].to_numpy())
        days = -np.diff(bounds.to_numpy()).astype("timedelta64[D]").astype("float64")
        cum = np.cumsum(sales)
        reached = np.flatnonzero(cum >= ending_ar - 0.005)
        if len(reached) == 0:
            # More open than was ever sold (e.g. negative payments): no honest answer.
            return float("nan")
        k = reached[0]
        before = cum[k - 1] if k > 0 else 0.0
        # cum crosses ending_ar upwards at k, so sales[k] > 0.
        return float(days[:k].sum() + (ending_ar - before) / sales[k] * days[k])


def _ratio_days(numerator: float, sales: float, period_days: int) -> float:
    return float(numerator / sales * period_days) if sales > 0 else float("nan")


def _cei(begin_ar: float, sales: float, end_ar: float, end_current: float) -> float:
    denominator = begin_ar + sales - end_current
    if denominator <= 0:
        return float("nan")
    return float((begin_ar + sales - end_ar) / denominator * 100.0)


def _state(invoices, payments, as_of, edges, book=None) -> dict[str, float]:
    """Open totals on ``as_of``: total, current, overdue, disputed and per bucket."""
    items = _open_items(invoices, payments, as_of, edges, book)
    amount = items["open_amount"].to_numpy()
    overdue = items["is_overdue"].to_numpy()
    per_bucket = np.bincount(items["bucket"].to_numpy(), weights=amount, minlength=len(edges) + 1)
    state = {
        "ar_total": float(round_money(amount.sum())),
        "ar_current": float(round_money(amount[~overdue].sum())),
        "ar_overdue": float(round_money(amount[overdue].sum())),
        "ar_disputed": float(round_money(items["disputed_amount"].sum())),
    }
    return state | dict(zip(bucket_labels(edges), round_money(per_bucket).tolist(), strict=True))


def _metrics_row(invoices, payments, sales: _Sales, as_of, period_days, edges, book=None) -> dict:
    start = as_of - pd.Timedelta(days=period_days)
    end_state = _state(invoices, payments, as_of, edges, book)
    begin_total = _state(invoices, payments, start, edges, book)["ar_total"]
    credit_sales = float(sales.between(start, as_of))
    dso_standard = _ratio_days(end_state["ar_total"], credit_sales, period_days)
    bpdso = _ratio_days(end_state["ar_current"], credit_sales, period_days)
    metrics = {
        "credit_sales": credit_sales,
        "dso": dso_standard,
        "dso_countback": sales.countback(as_of, end_state["ar_total"]),
        "bpdso": bpdso,
        "add": dso_standard - bpdso,
        "cei": _cei(begin_total, credit_sales, end_state["ar_total"], end_state["ar_current"]),
    }
    return end_state | metrics


def dso(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
    period_days: int = DEFAULT_PERIOD_DAYS,
    method: str = "standard",
) -> float:
    """Days sales outstanding on ``as_of``.

    - ``"standard"``: ending A/R / credit sales in the period x ``period_days``, where
      the period is (``as_of - period_days``, ``as_of``] and credit sales are the
      amounts of invoices dated in it (net of credit notes, write-offs included: they
      were sold on credit).
    - ``"countback"``: walk back from ``as_of`` one month at a time, taking each
      month's credit sales off the ending A/R until it is used up, and count the days
      walked (the last month pro rata). It does not move with seasonality the way the
      standard formula does.

    Ending A/R is every open dollar on ``as_of`` (disputed and credit notes included,
    written-off excluded), from payments dated up to that day.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices.
    payments : DataFrame, optional
        Canonical payments; when omitted, the invoices' own settlement columns.
    as_of : date-like
        The day to measure on.
    period_days : int, default :data:`DEFAULT_PERIOD_DAYS`
        Length of the sales period of the standard formula.
    method : {"standard", "countback"}
        Which DSO.

    Returns
    -------
    float
        Days; ``nan`` when there were no (net positive) credit sales in the period.

    Raises
    ------
    InputError
        On an unknown ``method`` or a bad ``period_days``.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2"], dtype="string"),
    ...     "customer_id": pd.array(["A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-15", "2025-06-15"]),
    ...     "due_date": pd.to_datetime(["2025-06-14", "2025-07-15"]),
    ...     "amount": [300.0, 600.0],
    ... })
    >>> round(dso(inv, as_of="2025-06-30", period_days=90), 2)  # 900 / 900 * 90
    90.0
    >>> # 900 open: June's 600 of sales (30 days), then all of May's 300 (31 days)
    >>> round(dso(inv, as_of="2025-06-30", method="countback"), 2)
    61.0
    """
    if method not in _METHODS:
        raise InputError(f"method must be one of {_METHODS}, got {method!r}.")
    period_days = _check_period_days(period_days)
    invoices, payments = _prepare(invoices, payments)
    stamp = _check_as_of(as_of)
    state = _state(invoices, payments, stamp, DEFAULT_BUCKETS)
    sales = _Sales(invoices)
    if method == "countback":
        return sales.countback(stamp, state["ar_total"])
    credit_sales = float(sales.between(stamp - pd.Timedelta(days=period_days), stamp))
    return _ratio_days(state["ar_total"], credit_sales, period_days)


def best_possible_dso(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
    period_days: int = DEFAULT_PERIOD_DAYS,
) -> float:
    """Best possible DSO: current (not yet due) A/R / credit sales x ``period_days``.

    The DSO the business would have if every customer paid on the due date; the gap
    to the actual DSO is :func:`average_days_delinquent`.

    Parameters
    ----------
    invoices, payments, as_of, period_days
        As in :func:`dso`.

    Returns
    -------
    float
        Days; ``nan`` when there were no credit sales in the period.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2"], dtype="string"),
    ...     "customer_id": pd.array(["A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-15", "2025-06-15"]),
    ...     "due_date": pd.to_datetime(["2025-06-14", "2025-07-15"]),
    ...     "amount": [300.0, 600.0],
    ... })
    >>> round(best_possible_dso(inv, as_of="2025-06-30", period_days=90), 2)  # 600/900*90
    60.0
    """
    period_days = _check_period_days(period_days)
    invoices, payments = _prepare(invoices, payments)
    stamp = _check_as_of(as_of)
    state = _state(invoices, payments, stamp, DEFAULT_BUCKETS)
    credit_sales = float(_Sales(invoices).between(stamp - pd.Timedelta(days=period_days), stamp))
    return _ratio_days(state["ar_current"], credit_sales, period_days)


def average_days_delinquent(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
    period_days: int = DEFAULT_PERIOD_DAYS,
) -> float:
    """Average days delinquent (ADD) = DSO - best possible DSO.

    The days of sales outstanding that are due to late payment: overdue A/R / credit
    sales x ``period_days``. Industry median: 3 to 6 days (:data:`INDUSTRY_ADD_RANGE`).

    Parameters
    ----------
    invoices, payments, as_of, period_days
        As in :func:`dso`.

    Returns
    -------
    float
        Days; ``nan`` when there were no credit sales in the period.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2"], dtype="string"),
    ...     "customer_id": pd.array(["A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-15", "2025-06-15"]),
    ...     "due_date": pd.to_datetime(["2025-06-14", "2025-07-15"]),
    ...     "amount": [300.0, 600.0],
    ... })
    >>> round(average_days_delinquent(inv, as_of="2025-06-30"), 2)  # 90 - 60
    30.0
    """
    row = ar_metrics(invoices, payments, as_of=as_of, period_days=period_days)
    return float(row["add"].iloc[0])


def cei(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    start,
    end,
) -> float:
    """Collection effectiveness index over (``start``, ``end``], in percent.

    CEI = (begin A/R + credit sales - end total A/R) / (begin A/R + credit sales - end
    current A/R) x 100: the share of what could be collected in the period that was.
    Begin A/R is open on ``start``, end A/R open on ``end`` (each from payments dated
    up to that day); credit sales are invoices dated in (``start``, ``end``]; current
    A/R is not yet past due. A write-off lowers end A/R, so it counts as collected
    here, as in the usual formula. Industry median: ~85 (:data:`INDUSTRY_MEDIAN_CEI`).

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices.
    payments : DataFrame, optional
        Canonical payments; when omitted, the invoices' own settlement columns.
    start, end : date-like
        The period, ``start < end``.

    Returns
    -------
    float
        Percent, 100 at best; ``nan`` when nothing was collectable in the period.

    Raises
    ------
    InputError
        When ``start`` is not before ``end``.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2"], dtype="string"),
    ...     "customer_id": pd.array(["A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-15", "2025-06-15"]),
    ...     "due_date": pd.to_datetime(["2025-06-14", "2025-07-15"]),
    ...     "amount": [300.0, 600.0],
    ...     "paid_date": pd.to_datetime(["2025-06-20", None]),
    ... })
    >>> # begin 300 (May's), sales 600, end 600 all current: (300+600-600)/(300+600-600)
    >>> cei(inv, start="2025-05-31", end="2025-06-30")
    100.0
    """
    invoices, payments = _prepare(invoices, payments)
    lo, hi = _check_as_of(start, "start"), _check_as_of(end, "end")
    if lo >= hi:
        raise InputError(f"start must be before end, got start={lo:%Y-%m-%d}, end={hi:%Y-%m-%d}.")
    begin = _state(invoices, payments, lo, DEFAULT_BUCKETS)
    finish = _state(invoices, payments, hi, DEFAULT_BUCKETS)
    credit_sales = float(_Sales(invoices).between(lo, hi))
    return _cei(begin["ar_total"], credit_sales, finish["ar_total"], finish["ar_current"])


def ar_metrics(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
    period_days: int = DEFAULT_PERIOD_DAYS,
    buckets: Sequence[int] = DEFAULT_BUCKETS,
    book: Book | None = None,
) -> pd.DataFrame:
    """The headline receivables figures on ``as_of``, as one row.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices.
    payments : DataFrame, optional
        Canonical payments; when omitted, the invoices' own settlement columns.
    as_of : date-like
        The day to measure on.
    period_days : int, default :data:`DEFAULT_PERIOD_DAYS`
        The look-back period of DSO, best possible DSO, ADD and CEI: (``as_of -
        period_days``, ``as_of``].
    buckets : tuple of int, default :data:`DEFAULT_BUCKETS`
        Aging bucket edges, for the bucket columns.
    book : arcalls.book.Book, optional
        The run's coded book of these same tables (:func:`arcalls.book.book_of`): its
        balances on the date are used (the same figures, worked out once per run).

    Returns
    -------
    DataFrame
        One row indexed by ``as_of``. Columns: ``ar_total`` (open dollars),
        ``ar_current`` (not yet due), ``ar_overdue``, ``ar_disputed`` (inside the
        others), ``credit_sales`` (invoices dated in the period), ``dso``,
        ``dso_countback``, ``bpdso`` (best possible DSO), ``add`` (average days
        delinquent, ``dso - bpdso``), ``cei`` (percent), then one column of open
        dollars per aging bucket. Ratios are ``nan`` when undefined (no sales).

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2"], dtype="string"),
    ...     "customer_id": pd.array(["A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-15", "2025-06-15"]),
    ...     "due_date": pd.to_datetime(["2025-06-14", "2025-07-15"]),
    ...     "amount": [300.0, 600.0],
    ... })
    >>> m = ar_metrics(inv, as_of="2025-06-30")
    >>> m[["ar_total", "ar_overdue", "dso", "bpdso", "add"]].round(2).to_dict("records")
    [{'ar_total': 900.0, 'ar_overdue': 300.0, 'dso': 90.0, 'bpdso': 60.0, 'add': 30.0}]

    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> m = ar_metrics(s.invoices, s.payments, as_of="2026-06-30")
    >>> bool(abs(m["ar_total"] - m["ar_current"] - m["ar_overdue"]).item() < 0.005)
    True
    """
    period_days = _check_period_days(period_days)
    edges = _check_buckets(buckets)
    if book is None:
        invoices, payments = _prepare(invoices, payments)
    else:
        book = book_for(book, invoices, payments)
        _check_tables(invoices, payments)
    stamp = _check_as_of(as_of)
    row = _metrics_row(invoices, payments, _Sales(invoices), stamp, period_days, edges, book)
    return _metrics_frame([row], [stamp])


def _metrics_frame(rows: list[dict], stamps: list[pd.Timestamp]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, index=pd.DatetimeIndex(stamps, name="as_of"))
    buckets = [c for c in frame.columns if c not in METRIC_COLUMNS]
    return frame[[*METRIC_COLUMNS, *buckets]].astype("float64")


def ar_trend(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    freq: str = "ME",
    start=None,
    end=None,
    period_days: int = DEFAULT_PERIOD_DAYS,
    buckets: Sequence[int] = DEFAULT_BUCKETS,
) -> pd.DataFrame:
    """:func:`ar_metrics` and the aging bucket totals at regular dates (month ends).

    Each row is computed as of its own date, from payments dated up to it, exactly as
    :func:`ar_metrics` would be on that day.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices.
    payments : DataFrame, optional
        Canonical payments; when omitted, the invoices' own settlement columns.
    freq : str, default ``"ME"``
        pandas frequency of the dates (``"ME"`` month ends, ``"W-SUN"`` weekly ...).
    start, end : date-like, optional
        First and last possible date; default from the first invoice date to the
        latest invoice or payment date. Only dates on the ``freq`` grid are used.
    period_days : int, default :data:`DEFAULT_PERIOD_DAYS`
        Look-back period of each row's DSO, BPDSO, ADD and CEI.
    buckets : tuple of int, default :data:`DEFAULT_BUCKETS`
        Aging bucket edges.

    Returns
    -------
    DataFrame
        One row per date, indexed by ``as_of``, with the columns of
        :func:`ar_metrics`.

    Raises
    ------
    InputError
        When there is no date on the grid between ``start`` and ``end``.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": pd.array(["1", "2"], dtype="string"),
    ...     "customer_id": pd.array(["A", "B"], dtype="string"),
    ...     "invoice_date": pd.to_datetime(["2025-05-15", "2025-06-15"]),
    ...     "due_date": pd.to_datetime(["2025-06-14", "2025-07-15"]),
    ...     "amount": [300.0, 600.0],
    ...     "paid_date": pd.to_datetime(["2025-07-10", None]),
    ... })
    >>> ar_trend(inv, start="2025-05-01", end="2025-07-31")[["ar_total", "ar_overdue"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                ar_total  ar_overdue
    as_of
    2025-05-31     300.0         0.0
    2025-06-30     900.0       300.0
    2025-07-31     600.0       600.0

    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> trend = ar_trend(s.invoices, s.payments, start="2025-01-01", end="2025-12-31")
    >>> len(trend), trend.index[0].strftime("%Y-%m-%d")
    (12, '2025-01-31')
    """
    period_days = _check_period_days(period_days)
    edges = _check_buckets(buckets)
    invoices, payments = _prepare(invoices, payments)
    lo = _check_as_of(start, "start") if start is not None else _first_date(invoices)
    hi = _check_as_of(end, "end") if end is not None else _last_date(invoices, payments)
    try:
        stamps = pd.date_range(lo, hi, freq=freq)
    except ValueError as exc:
        raise InputError(f"freq must be a pandas frequency such as 'ME', got {freq!r}.") from exc
    if len(stamps) == 0:
        raise InputError(
            f"No {freq!r} date between {lo:%Y-%m-%d} and {hi:%Y-%m-%d}; widen start/end "
            "or use a shorter freq."
        )
    sales = _Sales(invoices)
    rows = [_metrics_row(invoices, payments, sales, t, period_days, edges) for t in stamps]
    return _metrics_frame(rows, list(stamps))


def _first_date(invoices: pd.DataFrame) -> pd.Timestamp:
    if len(invoices) == 0:
        raise InputError("invoices is empty: there is nothing to trend.")
    return pd.Timestamp(invoices["invoice_date"].min()).normalize()


def _last_date(invoices: pd.DataFrame, payments: pd.DataFrame) -> pd.Timestamp:
    if len(invoices) == 0:
        raise InputError("invoices is empty: there is nothing to trend.")
    latest = [invoices["invoice_date"].max()]
    if len(payments):
        latest.append(payments["payment_date"].max())
    return pd.Timestamp(max(latest)).normalize()
