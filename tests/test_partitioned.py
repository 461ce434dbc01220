"""arcalls.partitioned: the weekly list through a local Dask cluster is the in-process list.

A generated book of a few hundred customers is split by customer into Dask DataFrames,
the list is made on a ``distributed.LocalCluster`` (in-process workers, to stay light on
a shared machine), and every row, column and dtype, every excluded account and the
overdue reconciliation must equal :func:`arcalls.call_list` on the whole tables.
"""

import subprocess
import sys

import distributed
import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls.partitioned import (
    BOOK_KEY,
    partition_by_customer,
    partitioned_call_list,
)

N_CUSTOMERS = 300
SEED = 5
NPARTITIONS = 4
HANDOFF_AGE = 60


@pytest.fixture(scope="module")
def book():
    sim = arcalls.simulate(n_customers=N_CUSTOMERS, seed=SEED)
    tables = sim.tables
    as_of = pd.Timestamp(tables.invoices["invoice_date"].max()).normalize()
    return tables, as_of


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def lists(book, client):
    tables, as_of = book
    whole = arcalls.call_list(*tables, as_of=as_of, handoff_age=HANDOFF_AGE)
    parted = partitioned_call_list(
        partition_by_customer(*tables, npartitions=NPARTITIONS),
        as_of=as_of,
        handoff_age=HANDOFF_AGE,
    )
    return whole, parted


def test_no_module_but_partitioned_imports_dask():
    code = (
        "import importlib, pkgutil, sys, arcalls\n"
        "names = [m.name for m in pkgutil.walk_packages(arcalls.__path__, 'arcalls.')]\n"
        "assert 'arcalls.partitioned' in names\n"
        "for name in names:\n"
        "    if name != 'arcalls.partitioned' and not name.endswith('__main__'):\n"
        "        importlib.import_module(name)\n"
        "arcalls.ranking\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "assert not loaded, loaded\n"
        "import arcalls.partitioned\n"
        "assert 'dask' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_each_customer_lives_in_one_partition(book):
    tables, _ = book
    parted = partition_by_customer(*tables, npartitions=NPARTITIONS)
    assert parted.npartitions == NPARTITIONS
    owner_of_invoice = tables.invoices.set_index("invoice_id")["customer_id"]
    seen = {}
    for name in ("invoices", "payments", "calls", "customers"):
        frame = getattr(parted, name)
        assert frame.divisions == parted.invoices.divisions
        parts = [p.compute() for p in frame.to_delayed()]
        # Every row once, in its table's order within each customer.
        assert sum(len(p) for p in parts) == len(getattr(tables, name))
        for i, part in enumerate(parts):
            own = (
                part["invoice_id"].map(owner_of_invoice)
                if name == "payments"
                else part["customer_id"]
            )
            assert (own.to_numpy() == part.index.to_numpy()).all(), name
            for customer in pd.unique(part.index):
                assert seen.setdefault(customer, i) == i, (name, customer)
    # Each partition has customers of its own.
    assert len(set(seen.values())) == NPARTITIONS
    calls = [p.compute() for p in parted.calls.to_delayed()]
    ids = pd.concat(calls)["call_id"]
    order = pd.Series(np.arange(len(tables.calls)), index=tables.calls["call_id"].to_numpy())
    by_customer = pd.concat(calls).assign(pos=order[ids.to_numpy()].to_numpy())
    assert by_customer.groupby(level=BOOK_KEY)["pos"].is_monotonic_increasing.all()


def test_dask_list_is_the_in_process_list(lists):
    whole, parted = lists
    # A list worth comparing: ranked by the model, handoffs flagged, a plan called first.
    assert whole.ranking_note is None
    assert len(whole.calls) > 30 and len(whole.excluded) > 30
    assert whole.calls["handoff_suggested"].any()
    assert whole.calls["reasons"].str.contains("one of the largest overdue").any()
    # Rows, order, every column and dtype; money to the cent is equality of the floats.
    pd.testing.assert_frame_equal(parted.calls, whole.calls, check_exact=True)
    pd.testing.assert_frame_equal(parted.excluded, whole.excluded, check_exact=True)
    pd.testing.assert_series_equal(parted.overdue_totals, whole.overdue_totals, check_exact=True)
    assert parted.callable_accounts == whole.callable_accounts
    assert (parted.as_of, parted.currency, parted.handoff_age, parted.consumer) == (
        whole.as_of,
        whole.currency,
        whole.handoff_age,
        whole.consumer,
    )
    assert parted.describe() == whole.describe()
    assert parted.summary.equals(whole.summary)


def test_listed_accounts_come_from_every_partition(book, lists):
    tables, _ = book
    _, parted = lists
    divisions = partition_by_customer(*tables, npartitions=NPARTITIONS).invoices.divisions
    at = np.searchsorted(np.asarray(divisions[1:-1], dtype=object), parted.calls["customer_id"])
    assert set(at.tolist()) == set(range(NPARTITIONS))


def test_top_and_the_other_options_pass_through(book, client, lists):
    tables, as_of = book
    whole, _ = lists
    top = 10
    # A model given (fitted on fewer weeks) is used as it is, in both runs; consumer
    # rules and a longer cool-down change who may be called, in both alike.
    model = arcalls.fit_call_priority_model(*tables, as_of=as_of, weeks=4)
    options = {"as_of": as_of, "top": top, "model": model, "consumer": True, "cooldown_days": 5}
    parted = partitioned_call_list(partition_by_customer(*tables, npartitions=2), **options)
    expected = arcalls.call_list(*tables, **options)
    pd.testing.assert_frame_equal(parted.calls, expected.calls, check_exact=True)
    pd.testing.assert_frame_equal(parted.excluded, expected.excluded, check_exact=True)
    pd.testing.assert_series_equal(parted.overdue_totals, expected.overdue_totals, check_exact=True)
    assert parted.describe() == expected.describe()
    assert parted.overdue_totals["beyond_top"] > 0
    assert parted.callable_accounts == expected.callable_accounts > top
    # The options did change the list.
    assert expected.callable_accounts < whole.callable_accounts
    assert len(expected.excluded) > len(whole.excluded)


def test_npartitions_is_checked(book):
    tables, _ = book
    with pytest.raises(arcalls.InputError, match="npartitions must be a whole number"):
        partition_by_customer(*tables, npartitions=0)
    invoiced = tables.invoices["customer_id"].nunique()
    with pytest.raises(arcalls.InputError, match=f"from 1 to {invoiced} "):
        partition_by_customer(*tables, npartitions=invoiced + 1)


def test_the_test_extra_installs_the_dask_extra():
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert extras["dask"] == ["dask[dataframe,distributed]>=2024.8"]
    assert set(extras["dask"]) <= set(extras["test"])
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    assert not [d for d in dependencies if d.startswith(("dask", "distributed"))]


def test_customers_without_invoices_stay_whole(book):
    tables, _ = book
    calls = tables.calls
    # One id sorts before every invoiced customer, one after: the first and last
    # partitions hold them, and the divisions stretch to say so.
    strays = calls.iloc[:4].assign(
        call_id=["X1", "X2", "X3", "X4"], customer_id=["!first", "!first", "~last", "~last"]
    )
    calls = pd.concat([calls, strays], ignore_index=True).astype(calls.dtypes.to_dict())
    parted = partition_by_customer(
        tables.invoices, tables.payments, calls, tables.customers, npartitions=NPARTITIONS
    )
    assert parted.calls.divisions[0] == "!first" and parted.calls.divisions[-1] == "~last"
    assert parted.invoices.divisions == parted.calls.divisions
    parts = [p.compute() for p in parted.calls.to_delayed()]
    assert list(parts[0].index).count("!first") == 2
    assert list(parts[-1].index).count("~last") == 2
    assert sum(len(p) for p in parts) == len(calls)


def test_too_little_history_falls_back_as_in_process(book):
    tables, _ = book
    # Five weeks into the history no training week has a label yet.
    as_of = (tables.invoices["invoice_date"].min() + pd.Timedelta(days=35)).normalize()
    whole = arcalls.call_list(*tables, as_of=as_of)
    assert whole.ranking_note.startswith("Ranked by largest overdue balance: Cannot train")
    assert len(whole.calls) > 0
    parted = partitioned_call_list(partition_by_customer(*tables, npartitions=2), as_of=as_of)
    assert parted.ranking_note == whole.ranking_note
    pd.testing.assert_frame_equal(parted.calls, whole.calls, check_exact=True)
    pd.testing.assert_frame_equal(parted.excluded, whole.excluded, check_exact=True)
    assert parted.describe() == whole.describe()
