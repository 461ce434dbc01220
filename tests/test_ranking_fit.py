"""The training-size cap of the call-priority model: whole customers, fixed seed, and
never reached by the books behind the README's figures."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls.errors import InputError
from arcalls.features import account_snapshots
from arcalls.ranking import (
    DEFAULT_MAX_TRAIN_ROWS,
    DEFAULT_TRAIN_WEEKS,
    CallPriorityModel,
    _customer_sample,
)

REPO = Path(__file__).resolve().parent.parent
AS_OF = pd.Timestamp("2026-03-01")


@pytest.fixture(scope="module")
def sample():
    return arcalls.load_sample()


@pytest.fixture(scope="module")
def train(sample):
    dates = pd.date_range(end=AS_OF - pd.Timedelta(days=30), periods=8, freq="7D")
    snap = account_snapshots(*sample, as_of_dates=dates, data_end=AS_OF)
    return snap[(snap["overdue_balance"] > 0) & snap["paid_within_horizon"].notna()].reset_index(
        drop=True
    )


@pytest.fixture(scope="module")
def figures_script():
    spec = importlib.util.spec_from_file_location(
        "ranking_figures", REPO / "benchmarks" / "ranking_figures.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["ranking_figures"] = module
    spec.loader.exec_module(module)
    return module


def test_the_figure_books_train_below_the_cap(sample, ibm_ar_path, figures_script):
    # A training set has at most one row per customer and training week: the bound on
    # every backtest week of the sample, the IBM book (both horizons) and the simulator's
    # books (400 customers each, the figures' setting).
    assert "n_customers=400," in inspect.getsource(figures_script.seed_figures)
    ibm = arcalls.load_invoices(ibm_ar_path, preset="ibm_ar")
    sim = arcalls.simulate(n_customers=400, seed=0)
    books = {
        "sample": sample[0]["customer_id"].nunique(),
        "ibm": ibm["customer_id"].nunique(),
        "simulator": sim.tables[0]["customer_id"].nunique(),
    }
    assert books["simulator"] <= 400  # customers with invoices, of the 400 of every seed
    for name, customers in books.items():
        assert customers * DEFAULT_TRAIN_WEEKS < DEFAULT_MAX_TRAIN_ROWS, name
    assert CallPriorityModel().max_train_rows == DEFAULT_MAX_TRAIN_ROWS


def test_a_book_below_the_cap_is_fitted_on_every_row(train):
    model = CallPriorityModel().fit(train)
    assert model.n_train_rows_ == model.n_rows_given_ == len(train)
    customers = train["customer_id"].nunique()
    assert model.n_customers_ == (customers, customers)
    assert model.describe() == (
        f"Call-priority model fitted on all {len(train):,} training account-weeks "
        f"({customers:,} customers)."
    )
    # The same coefficients as with no cap at all.
    free = CallPriorityModel(max_train_rows=None).fit(train)
    np.testing.assert_array_equal(model.pipeline_["logit"].coef_, free.pipeline_["logit"].coef_)
    np.testing.assert_array_equal(model.calibration_, free.calibration_)


def test_above_the_cap_it_fits_on_whole_customers(train):
    cap = len(train) // 3
    model = CallPriorityModel(max_train_rows=cap).fit(train)
    keep, (taken, customers) = _customer_sample(train["customer_id"].to_numpy(), cap)
    assert model.n_train_rows_ == keep.sum() <= cap
    assert model.n_train_rows_ > cap * 0.8  # the sample fills the cap, near enough
    assert model.n_rows_given_ == len(train)
    assert model.n_customers_ == (taken, customers) and taken < customers
    # Whole customers: every row of a sampled customer is in, every other row out.
    per_customer = pd.Series(keep).groupby(train["customer_id"].to_numpy()).agg(["min", "max"])
    assert (per_customer["min"] == per_customer["max"]).all()
    assert per_customer["max"].sum() == taken
    # It is the model fitted on exactly those rows.
    same = CallPriorityModel(max_train_rows=None).fit(train[keep])
    np.testing.assert_array_equal(model.pipeline_["logit"].coef_, same.pipeline_["logit"].coef_)
    np.testing.assert_array_equal(model.calibration_, same.calibration_)
    assert model.describe() == (
        f"Call-priority model fitted on a sample of {keep.sum():,} of {len(train):,} "
        f"training account-weeks: {taken:,} of {customers:,} customers, whole, drawn with "
        f"a fixed seed (max_train_rows={cap:,})."
    )


def test_the_sample_depends_on_the_book_not_the_row_order(train):
    cap = len(train) // 2
    shuffled = train.sample(frac=1.0, random_state=7)
    a = CallPriorityModel(max_train_rows=cap).fit(train)
    b = CallPriorityModel(max_train_rows=cap).fit(shuffled)
    keep_a, _ = _customer_sample(train["customer_id"].to_numpy(), cap)
    keep_b, _ = _customer_sample(shuffled["customer_id"].to_numpy(), cap)
    assert set(train.loc[keep_a, "customer_id"]) == set(shuffled.loc[keep_b, "customer_id"])
    assert a.n_train_rows_ == b.n_train_rows_
    np.testing.assert_allclose(
        a.pipeline_["logit"].coef_, b.pipeline_["logit"].coef_, rtol=0, atol=1e-8
    )


@pytest.mark.parametrize("container", ["array", "index"])
def test_the_sample_is_the_same_for_python_strings_and_arrow_text(container):
    # The weekly fit gives the ids as Arrow text, fit() as Python strings: both sort the
    # ids alike (by code point, accents and other scripts included) and draw alike.
    rng = np.random.default_rng(3)
    names = [f"C{i:05d}" for i in rng.permutation(3_000)] + ["Ä1", "a", "Z", "é", "ß", "𝔘", "AB"]
    ids = pd.array(names, dtype="string[pyarrow]")
    if container == "index":
        ids = pd.Index(ids)
    rows = ids.take(rng.integers(0, len(names), 20_000))
    arrow, (taken, customers) = _customer_sample(rows, 6_000)
    python, counts = _customer_sample(np.asarray(rows, dtype=object), 6_000)
    np.testing.assert_array_equal(arrow, python)
    assert counts == (taken, customers) and 0 < taken < customers


def test_an_array_is_sampled_by_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    y = X[:, 0] + rng.normal(size=500) > 0
    model = CallPriorityModel(max_train_rows=200).fit(X, y)
    assert model.n_train_rows_ == 200 and model.n_customers_ == (200, 500)
    assert "200 of 500 rows" in model.describe()


@pytest.mark.parametrize("cap", [0, -5, 2.5, True, "100"])
def test_a_bad_cap_is_refused(train, cap):
    with pytest.raises(InputError, match="max_train_rows must be a whole number"):
        CallPriorityModel(max_train_rows=cap).fit(train)


def test_a_large_book_s_folds_start_from_the_final_fit(train, monkeypatch):
    # Below _WARM_START_ROWS (every figure book) the folds start cold: the by-hand test
    # in test_ranking.py. Above it they start from the final model's coefficients and
    # stop at the same tolerance: the same Platt pair within the solver's tolerance, in
    # fewer Newton steps.
    import arcalls.ranking as ranking

    assert len(train) < ranking._WARM_START_ROWS
    steps = []
    fit = ranking.LogisticRegression.fit

    def counted(self, *args, **kwargs):
        out = fit(self, *args, **kwargs)
        steps.append(int(self.n_iter_[0]))
        return out

    monkeypatch.setattr(ranking.LogisticRegression, "fit", counted)
    cold = CallPriorityModel().fit(train)
    cold_steps, steps[:] = list(steps), []
    monkeypatch.setattr(ranking, "_WARM_START_ROWS", 0)
    warm = CallPriorityModel().fit(train)
    # The final fit, five folds, the Platt step.
    assert len(steps) == len(cold_steps) == 7
    assert sum(steps[1:6]) < sum(cold_steps[1:6])
    np.testing.assert_array_equal(warm.pipeline_["logit"].coef_, cold.pipeline_["logit"].coef_)
    np.testing.assert_allclose(warm.calibration_, cold.calibration_, rtol=2e-3)
    assert not np.array_equal(warm.calibration_, cold.calibration_)


def test_a_model_saved_before_the_cap_loads_as_uncapped(train, tmp_path):
    model = CallPriorityModel().fit(train)
    for name in ("max_train_rows", "n_train_rows_", "n_rows_given_", "n_customers_"):
        delattr(model, name)
    path = tmp_path / "old.skops"
    arcalls.save_model(model, path)
    loaded = arcalls.load_model(path)
    assert loaded.max_train_rows is None
    assert "max_train_rows=None" in repr(loaded)
    assert loaded.describe() == "Call-priority model (fitted before training sizes were recorded)."
    np.testing.assert_array_equal(loaded.predict_proba(train), model.predict_proba(train))
