"""The weekly call list over Dask DataFrames partitioned by customer.

Every rule of the call list is about one customer: its balances on the as-of date, its
promises and plans, its calls, its callbacks, its snapshot. Two things are not: the
ranking model is fitted on every customer's training rows, and the agency handoff rests
on the recovery curve of the whole book. So a book split by customer, each customer's
rows in one partition, gives the same list when each partition is run as a book of its
own with the public functions of arcalls, and only those two are combined:

1. per partition, :func:`arcalls.account_snapshots` on the training dates; the rows are
   gathered and :class:`arcalls.CallPriorityModel` is fitted once on all of them, in the
   order the in-process fit sees them;
2. with ``handoff_age``, :func:`arcalls.recommend_handoff` once on the gathered
   invoices, payments and customers (the recovery curve and the agency factor);
3. per partition, :func:`arcalls.call_list` with that model and that handoff analysis;
4. the partitions' lists are put in the list's one total order, cut at ``top`` and
   ranked; the excluded tables and the overdue reconciliation are added up.

The result is the :class:`arcalls.CallList` that :func:`arcalls.call_list` gives in
process (``tests/test_partitioned.py`` checks every row and column). Dask is an optional
extra (``pip install 'arcalls[dask]'``): no other module of arcalls imports it.

Examples
--------
>>> import arcalls
>>> from arcalls.partitioned import partition_by_customer, partitioned_call_list
>>> s = arcalls.load_sample()
>>> book = partition_by_customer(*s, npartitions=2)
>>> book.npartitions, book.invoices.index.name
(2, 'book_customer')
>>> # A model fitted on 4 weeks keeps the example short; without one, both fit their own.
>>> model = arcalls.fit_call_priority_model(*s, as_of="2025-06-30", weeks=4)
>>> parted = partitioned_call_list(book, as_of="2025-06-30", top=10, model=model)
>>> whole = arcalls.call_list(*s, as_of="2025-06-30", top=10, model=model)
>>> parted.calls.equals(whole.calls), parted.excluded.equals(whole.excluded)
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from ._checks import check_one_currency
from .calllist import (
    CALL_COLUMNS,
    DEFAULT_COOLDOWN_DAYS,
    DEFAULT_MAX_ATTEMPTS_7D,
    FALLBACK_REASON,
    CallList,
    call_list,
    order_accounts,
    overdue_split,
)
from .errors import InputError, NotEnoughHistoryError, SchemaError
from .features import DEFAULT_HORIZON_DAYS, account_snapshots
from .recovery import recommend_handoff
from .schema import dtype_of, round_money

__all__ = ["PartitionedBook", "partition_by_customer", "partitioned_call_list"]

#: The index of every partitioned table: the customer whose book the row belongs to
#: (for a payment, the customer of the invoice it pays).
BOOK_KEY = "book_customer"

_TABLES = ("invoices", "payments", "calls", "customers")


@dataclass(frozen=True)
class PartitionedBook:
    """The four canonical tables as Dask DataFrames split by customer.

    Each table is indexed by :data:`BOOK_KEY` with the same ``divisions``, so partition
    ``i`` of every table holds the rows of the same customers, in the order they had in
    the table given. ``payments``, ``calls`` and ``customers`` may be None.

    Attributes
    ----------
    invoices, payments, calls, customers : dask DataFrame or None
        The tables, every column as given.
    dtypes : dict
        Per table, the pandas dtypes as given (Dask may store text as Arrow strings;
        each partition is turned back into them before arcalls reads it).
    """

    invoices: dd.DataFrame
    payments: dd.DataFrame | None
    calls: dd.DataFrame | None
    customers: dd.DataFrame | None
    dtypes: dict

    @property
    def npartitions(self) -> int:
        """How many partitions (books) the tables are split into."""
        return self.invoices.npartitions

    def tables(self) -> list[tuple]:
        """Per partition, its four tables as delayed pandas DataFrames (None: no table)."""
        parts = [
            None if getattr(self, name) is None else getattr(self, name).to_delayed()
            for name in _TABLES
        ]
        return [
            tuple(
                None if p is None else dask.delayed(_as_given)(p[i], self.dtypes[name])
                for p, name in zip(parts, _TABLES, strict=True)
            )
            for i in range(self.npartitions)
        ]


def _as_given(part: pd.DataFrame, dtypes: pd.Series) -> pd.DataFrame:
    """A partition as arcalls reads a table: its columns and dtypes as given, a fresh
    RangeIndex."""
    return part.reset_index(drop=True).astype(dtypes.to_dict())


def partition_by_customer(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    npartitions: int,
) -> PartitionedBook:
    """Split the four canonical tables by customer into ``npartitions`` Dask books.

    The invoices' customer ids, sorted, are cut into ``npartitions`` runs of about the
    same number of customers; those runs are the ``divisions`` of every table. A payment
    goes with the customer of its invoice; a payment of an invoice that is not in the
    invoices goes to the first partition, where the list refuses it as it does in
    process (``IntegrityError``). Rows of customers with no invoice (in calls or
    customers) go with the partition their id sorts into. Within a partition, rows keep
    the order they had in the tables given (the call list reads the order of calls
    logged in the same second).

    Parameters
    ----------
    invoices, payments, calls, customers : DataFrame
        Canonical tables (``payments``, ``calls`` and ``customers`` may be None).
    npartitions : int
        Partitions wanted; at most the number of customers with invoices.

    Returns
    -------
    PartitionedBook

    Raises
    ------
    SchemaError
        A table lacks the column it is split on.
    InputError
        ``npartitions`` is not a whole number from 1 to the number of customers.
    """
    for frame, name, column in (
        (invoices, "invoices", "customer_id"),
        (payments, "payments", "invoice_id"),
        (calls, "calls", "customer_id"),
        (customers, "customers", "customer_id"),
    ):
        if frame is not None and column not in frame:
            raise SchemaError(
                f"{name}: no column {column!r}, which the book is split by customer on; "
                f"got {list(frame.columns)}. Load the table with arcalls.load_{name}."
            )
    ids = pd.unique(invoices["customer_id"].dropna().astype(dtype_of("id")))
    ids = np.sort(np.asarray(ids, dtype=object))
    if (
        isinstance(npartitions, bool)
        or not isinstance(npartitions, int | np.integer)
        or not 1 <= npartitions <= max(len(ids), 1)
    ):
        raise InputError(
            f"npartitions must be a whole number from 1 to {len(ids)} (the customers with "
            f"invoices), got {npartitions!r}."
        )
    if len(ids) == 0:
        raise InputError("invoices: no customer_id to split the book on; the table is empty.")
    # The first id of each run; the last division is the last id (Dask's upper bound is
    # inclusive for the last partition only).
    starts = ids[np.linspace(0, len(ids), npartitions, endpoint=False).astype(np.int64)]
    divisions = (*starts.tolist(), ids[-1])

    owner_of_invoice = invoices.drop_duplicates("invoice_id").set_index("invoice_id")["customer_id"]
    keys = {
        "invoices": invoices["customer_id"],
        "payments": None
        if payments is None
        else payments["invoice_id"].map(owner_of_invoice).fillna(ids[0]),
        "calls": None if calls is None else calls["customer_id"],
        "customers": None if customers is None else customers["customer_id"],
    }
    keys = {
        name: key.astype(dtype_of("id")).fillna(ids[0])
        for name, key in keys.items()
        if key is not None
    }
    # Ids only in calls or customers, before the first invoiced customer or after the
    # last, go to the first or the last partition: the divisions stretch to hold them.
    low = min(ids[0], *(key.min() for key in keys.values() if len(key)))
    high = max(ids[-1], *(key.max() for key in keys.values() if len(key)))
    divisions = (low, *divisions[1:-1], high)
    frames = {}
    dtypes = {}
    for name, frame in zip(_TABLES, (invoices, payments, calls, customers), strict=True):
        if frame is None:
            frames[name] = None
            continue
        dtypes[name] = frame.dtypes
        frames[name] = _split(frame, keys[name], starts, divisions)
    return PartitionedBook(**frames, dtypes=dtypes)


def _split(frame: pd.DataFrame, key: pd.Series, starts: np.ndarray, divisions) -> dd.DataFrame:
    """``frame`` as a Dask DataFrame indexed by ``key`` with these ``divisions``."""
    # Stable: a customer's rows keep their order.
    order = np.argsort(key.to_numpy(dtype=object), kind="stable")
    ordered = frame.iloc[order].set_axis(pd.Index(key.to_numpy()[order], name=BOOK_KEY))
    cut = np.searchsorted(ordered.index.to_numpy(dtype=object), starts[1:], side="left")
    pieces = np.split(np.arange(len(ordered)), cut)
    parts = [ordered.iloc[p] for p in pieces]
    return dd.from_map(_identity, parts, meta=ordered.iloc[:0], divisions=divisions)


def _identity(part: pd.DataFrame) -> pd.DataFrame:
    return part


def partitioned_call_list(
    book: PartitionedBook,
    *,
    as_of,
    top: int | None = None,
    model=None,
    cooldown_days: int = DEFAULT_COOLDOWN_DAYS,
    max_attempts_7d: int = DEFAULT_MAX_ATTEMPTS_7D,
    handoff_age: int | None = None,
    handoff=None,
    consumer: bool = False,
    weeks: int | None = None,
) -> CallList:
    """:func:`arcalls.call_list` over a book split by customer, each partition a book.

    Runs on the current Dask scheduler (a ``distributed.Client`` when one is active).
    The options are :func:`arcalls.call_list`'s; ``weeks`` is the training weeks of the
    model fitted when ``model`` is None (default that of
    :func:`arcalls.fit_call_priority_model`).

    Returns
    -------
    CallList
        The same list as ``arcalls.call_list`` on the whole tables.
    """
    from . import ranking

    as_of = pd.Timestamp(as_of).normalize()
    weeks = ranking.DEFAULT_TRAIN_WEEKS if weeks is None else weeks
    parts = book.tables()
    if book.invoices is not None and "currency" in book.dtypes["invoices"].index:
        check_one_currency(book.invoices[["currency"]].compute())

    ranking_note = None
    if model is None:
        model, ranking_note = _fit_on_partitions(parts, as_of=as_of, weeks=weeks)
    if handoff is None and handoff_age is not None:
        gathered = [_gather(part) for part in zip(*parts, strict=True)]
        invoices, payments, _, customers = dask.compute(*gathered)
        # Point estimates, as call_list's own default.
        handoff = recommend_handoff(invoices, payments, customers, as_of=as_of, n_boot=0)

    options = {
        "as_of": as_of,
        "model": model,
        "handoff_age": handoff_age,
        "handoff": handoff,
        "consumer": consumer,
        "cooldown_days": cooldown_days,
        "max_attempts_7d": max_attempts_7d,
    }
    if not isinstance(model, _FallbackModel):
        model = _ranked_across_partitions(parts, model, options)
    lists = dask.compute(
        *(
            dask.delayed(call_list)(*tables, **{**options, "model": part_model})
            for tables, part_model in zip(parts, _per_partition(model, len(parts)), strict=True)
        )
    )
    return _combine(lists, top=top, ranking_note=ranking_note)


def _to_call_snapshot(invoices, payments, calls, customers, *, options):
    """One partition's snapshot rows of the accounts its list may call (no model yet:
    which accounts those are does not depend on the scores)."""
    unscored = call_list(invoices, payments, calls, customers, **{**options, "model": _Unscored()})
    snap = account_snapshots(
        invoices, payments, calls, customers, as_of_dates=[options["as_of"]], label=False
    )
    return snap[snap["customer_id"].isin(unscored.calls["customer_id"])]


def _ranked_across_partitions(parts, model, options) -> list:
    """Per partition, a model answering with the rows of ``model.rank`` run once on
    every partition's accounts to call: a reason may compare an account with the
    others ("one of the largest overdue balances"), so the ranking is combined."""
    snaps = dask.compute(
        *(dask.delayed(_to_call_snapshot)(*tables, options=options) for tables in parts)
    )
    ranked = model.rank(pd.concat(snaps, ignore_index=True))
    return [_Ranked(ranked[ranked["customer_id"].isin(s["customer_id"])]) for s in snaps]


def _per_partition(model, n: int) -> list:
    return model if isinstance(model, list) else [model] * n


class _Unscored:
    """A model that scores no one: enough for call_list to say whom it may call."""

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {"customer_id": snapshot["customer_id"].to_numpy(), "p_pay": np.nan, "reasons": ""}
        )


class _Ranked:
    """A model whose ranking was made already, across every partition."""

    def __init__(self, ranked: pd.DataFrame):
        self.ranked = ranked

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        return self.ranked[self.ranked["customer_id"].isin(snapshot["customer_id"])]


def _gather(frames) -> object:
    """One table from its partitions (delayed), in partition order; None stays None."""
    if frames[0] is None:
        return None
    return dask.delayed(lambda *fs: pd.concat(fs, ignore_index=True))(*frames)


def _training_rows(invoices, payments, calls, customers, *, dates, as_of, horizon_days):
    """One partition's labelled overdue account-weeks (the model learns from these)."""
    snap = account_snapshots(
        invoices,
        payments,
        calls,
        customers,
        as_of_dates=dates,
        horizon_days=horizon_days,
        data_end=as_of,
    )
    return snap[(snap["overdue_balance"] > 0) & snap["paid_within_horizon"].notna()]


def _fit_on_partitions(parts, *, as_of, weeks):
    """The model of :func:`arcalls.fit_call_priority_model`, fitted once on every
    partition's training rows; (None-like fallback, note) when they cannot train it."""
    from . import ranking

    horizon = DEFAULT_HORIZON_DAYS
    last = as_of - pd.Timedelta(days=horizon)
    dates = pd.DatetimeIndex([last - pd.Timedelta(weeks=i) for i in range(weeks)])
    rows = dask.compute(
        *(
            dask.delayed(_training_rows)(*tables, dates=dates, as_of=as_of, horizon_days=horizon)
            for tables in parts
        )
    )
    # In process the rows are by date, then customer: the same order here, so the fit
    # (sums over rows) is the same to the last bit.
    train = pd.concat(rows).sort_values(["as_of", "customer_id"], kind="mergesort")
    try:
        ranking._check_trainable(train, f"the {weeks} weekly snapshot(s) up to {last.date()}")
    except NotEnoughHistoryError as exc:
        return _FallbackModel(), f"Ranked by largest overdue balance: {exc}"
    return ranking.CallPriorityModel(horizon_days=horizon).fit(train), None


class _FallbackModel:
    """What call_list does with no model: ``p_pay`` unknown, the fallback reason."""

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "customer_id": snapshot["customer_id"].to_numpy(),
                "p_pay": np.full(len(snapshot), np.nan),
                "reasons": FALLBACK_REASON,
            }
        )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of every partition; an empty partition adds none (nor its dtypes)."""
    full = [f for f in frames if len(f)]
    return pd.concat(full or frames[:1], ignore_index=True)


def _total(values) -> float:
    return float(round_money(np.sum(values))) + 0.0


def _combine(lists, *, top, ranking_note) -> CallList:
    """The partitions' lists as one: the list's total order, ``top``, ranks and totals."""
    calls = _concat([r.calls for r in lists])
    calls = order_accounts(
        calls, waits=calls["callback_due_at"].isna().to_numpy(), callback="callback_due_at"
    )
    callable_accounts = len(calls)
    every_call = calls
    if top is not None:
        calls = calls.head(top)
    calls = calls.assign(rank=np.arange(1, len(calls) + 1, dtype="int64"))
    calls = calls.loc[:, list(CALL_COLUMNS)].reset_index(drop=True)

    excluded = _concat([r.excluded for r in lists]).sort_values(
        ["overdue_balance", "open_balance", "customer_id"],
        ascending=[False, False, True],
        kind="mergesort",
    )
    excluded = excluded.reset_index(drop=True)

    sums = pd.DataFrame([r.overdue_reconciliation for r in lists]).sum()
    totals = overdue_split(
        _total(sums["all_overdue"]),
        _total(sums["disputed"]),
        ranked=calls,
        to_call=every_call,
        excluded=excluded,
    )
    first = lists[0]
    currencies = {r.currency for r in lists} - {None}
    return CallList(
        calls=calls,
        excluded=excluded,
        as_of=first.as_of,
        callable_accounts=callable_accounts,
        handoff_age=first.handoff_age,
        consumer=first.consumer,
        ranking_note=ranking_note,
        currency=currencies.pop() if currencies else None,
        overdue_totals=totals,
    )
