"""Tests of the bundled sample: where it is, how it loads, and that it is reproducible."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

import arcalls
from arcalls.datasets import SAMPLE_AS_OF, SAMPLE_KINDS, load_sample, sample_path
from arcalls.errors import InputError
from arcalls.schema import CALLS, CUSTOMERS, INVOICES, PAYMENTS, dtype_of

sim_module = importlib.import_module("arcalls.simulate")
#: The sample must stay small enough to ship in the package.
MAX_SAMPLE_BYTES = 3_000_000


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def fresh():
    return sim_module.simulate()


def test_sample_path():
    folder = sample_path()
    assert folder.is_dir()
    for kind in SAMPLE_KINDS:
        assert sample_path(kind) == folder / f"{kind}.csv"
        assert sample_path(kind).is_file()
    assert sum(sample_path(k).stat().st_size for k in SAMPLE_KINDS) < MAX_SAMPLE_BYTES


def test_sample_path_rejects_unknown_kind():
    with pytest.raises(InputError, match="kind must be one of invoices, payments"):
        sample_path("invoice")


def test_public_names():
    assert arcalls.load_sample is load_sample
    assert arcalls.SAMPLE_AS_OF == SAMPLE_AS_OF


def test_as_of_is_the_simulation_end():
    assert pd.Timestamp(sim_module.DEFAULT_END) == SAMPLE_AS_OF


@pytest.mark.parametrize(
    ("position", "table"), [(0, INVOICES), (1, PAYMENTS), (2, CALLS), (3, CUSTOMERS)]
)
def test_loaded_dtypes_are_canonical(sample, position, table):
    frame = sample[position]
    assert set(table.required) <= set(frame.columns)
    for col in frame.columns:
        assert str(frame[col].dtype) == str(pd.Series(dtype=dtype_of(table.kind(col))).dtype)


def test_loaded_sample_equals_a_fresh_run(sample, fresh):
    """What the loaders read back is exactly what the generator made."""
    for loaded, made in zip(sample, fresh.tables, strict=True):
        pd.testing.assert_frame_equal(loaded[list(made.columns)], made)


def test_committed_files_equal_a_fresh_run_byte_for_byte(fresh, tmp_path):
    written = fresh.write(tmp_path)
    for kind in SAMPLE_KINDS:
        assert written[kind].read_bytes() == sample_path(kind).read_bytes(), (
            f"{kind}.csv differs from simulate(): regenerate the sample with "
            "`python -m arcalls.simulate --out src/arcalls/sample_data`"
        )


def test_nothing_after_the_as_of_date(sample):
    inv, pay, calls, customers = sample
    assert inv["invoice_date"].max() <= SAMPLE_AS_OF
    assert pay["payment_date"].max() <= SAMPLE_AS_OF
    assert calls["called_at"].max() < SAMPLE_AS_OF + pd.Timedelta(days=1)
    assert customers["placed_with_agency_date"].max() <= SAMPLE_AS_OF


def test_sample_is_internally_consistent(sample):
    inv, pay, calls, customers = sample
    assert pay["invoice_id"].isin(inv["invoice_id"]).all()
    assert inv["customer_id"].isin(customers["customer_id"]).all()
    assert calls["customer_id"].isin(customers["customer_id"]).all()
    assert calls["invoice_id"].dropna().isin(inv["invoice_id"]).all()
    # Some invoices are still open on the export date (the data are censored).
    balances = arcalls.invoice_balances(inv, pay, as_of=SAMPLE_AS_OF)
    assert balances["is_open"].sum() > 50
