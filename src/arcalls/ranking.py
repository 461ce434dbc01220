"""The call-priority model: whom to call first, why, and how it would have done.

:class:`CallPriorityModel` predicts the chance that an account pays within the horizon
(default 30 days) from a point-in-time snapshot (:func:`arcalls.account_snapshots`); its
score, ``p * overdue balance``, is the dollars a week's calls can expect to bring in.
It is a standardised logistic regression on a documented design (:data:`MODEL_FEATURES`
turned into log, clipped and indicator columns): it is fast, its probabilities are
calibrated by a Platt step on out-of-fold log-odds (the training weeks in 5
consecutive blocks, each predicted by a pipeline fitted on the other four; checked by
decile with :func:`reliability_table`), and its reasons
come straight from it: each feature group's contribution to the log-odds is
``coefficient * standardised value`` (zero for the average account the model was trained
on), and the balance adds ``log(balance / typical balance)`` to the log of the score.
The two or three groups that raise an account's score most become its reasons, written
from templates filled with the account's own values.

:func:`backtest` replays the past: each week it trains on the weeks whose labels were
already known, ranks the week, and compares with simple rules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._memory import release_freed_memory
from ._progress import progress
from .errors import ArcallsError, InputError, ModelFileError, NotEnoughHistoryError
from .features import (
    CHASE_COLUMNS,
    DEFAULT_GRACE_DAYS,
    DEFAULT_HORIZON_DAYS,
    SNAPSHOT_FEATURES,
    _snapshots,
    account_snapshots,
)
from .schema import OUTCOMES, dtype_of, round_money

__all__ = [
    "CallPriorityModel",
    "fit_call_priority_model",
    "reliability_table",
    "backtest",
    "BacktestResult",
    "save_model",
    "load_model",
    "MODEL_FEATURES",
    "STRATEGIES",
]

#: Snapshot columns the model reads (every one of :data:`arcalls.SNAPSHOT_FEATURES`).
MODEL_FEATURES: tuple[str, ...] = SNAPSHOT_FEATURES
#: Weekly snapshots the model trains on.
DEFAULT_TRAIN_WEEKS = 26
#: Accounts the owner can call in a week: the top-k of each list.
DEFAULT_K = 25
#: Inverse regularisation strength of the logistic regression (scikit-learn's default).
DEFAULT_C = 1.0
#: The logistic regression's solver: Newton steps on the Cholesky factor of the Hessian
#: (features x features), cheap with few columns and many rows.
_SOLVER = "newton-cholesky"
#: The probabilities are calibrated on out-of-fold log-odds of the training rows: the
#: training weeks in this many consecutive blocks, each block predicted by a pipeline
#: fitted on the other blocks (5: scikit-learn's ``CalibratedClassifierCV`` default).
#: The single split it replaces (the older half predicting the newer half) fitted its
#: pipeline on half the weeks, weaker than the final model, so its Platt slope shrank
#: the final model's log-odds too far: pooled over 10 simulated books the second decile
#: said 0.158 and 0.125 paid, 0.033 apart (``benchmarks/ranking_figures.py``) ...
_CALIBRATION_FOLDS = 5
#: ... when every block, and the rows fitted to predict it, have at least this many rows.
_CALIBRATION_MIN_ROWS = 20
#: Training rows (account-weeks) above which the model fits on a sample of whole
#: customers (see ``CallPriorityModel(max_train_rows=...)``). Chosen by measurement on
#: the 1M-invoice benchmark history (``benchmarks/fit_size.py``, 748,463 training rows,
#: 4 held-out weeks): all rows gave AUC 0.8694 and 0.599 of perfect foresight's dollars
#: in the top 25; 300,000 rows, over 5 seeds of the sample, AUC 0.8692-0.8694 and
#: 0.595-0.605 (100k: 0.8688/0.596, 200k: 0.8692/0.591, one seed each; the share moves
#: by ~0.01 with the sample, the AUC by < 0.001). The fit: 3.3 CPU s instead of 8.5
#: (one BLAS thread and the warm-started folds below both ways). Every book behind the
#: README's figures trains on far fewer rows (at most customers x 26 weeks: 10,400 for
#: the simulator's 400 customers), so none of them is sampled.
DEFAULT_MAX_TRAIN_ROWS = 300_000
#: The seed of that sample: the same book always gives the same customers.
_SAMPLE_SEED = 0
#: From this many training rows on, the calibration's fold fits start from the final
#: model's coefficients (restated for the fold's scaling) instead of zero: the same
#: solver and tolerance, one Newton step instead of four. Both starts stop within the
#: solver's tolerance of the optimum but not at the same point, so the Platt pair
#: moves a little (the sample's 8 weeks: 3.6e-4 relative); with this many rows it
#: moves less (1M invoices, 300k rows: slope 0.99863 -> 0.99872) and the fold fits cost
#: half as much (the whole fit 5.3 -> 3.6 CPU s). Far above every book behind the
#: README's figures (at most 10,400 rows), which keep the cold start and their figures.
_WARM_START_ROWS = 100_000
#: Reasons given per account (at least two are always given).
DEFAULT_N_REASONS = 3
#: Days-since features are capped here; "never" counts as this many days.
_DAYS_CAP = 365.0
#: A promise broken within this many days is "recent".
_RECENT_BROKEN_DAYS = 30
#: A balance in the top tenth of a week's overdue balances is "one of the largest".
_LARGE_BALANCE_QUANTILE = 0.9
#: The ranking strategies a backtest compares, the model first.
STRATEGIES: tuple[str, ...] = ("model", "analyst", "largest_overdue", "oldest", "last_week")

# Which design columns make up each reason group, in a fixed order (ties keep this order).
_GROUPS: dict[str, tuple[str, ...]] = {
    "balance": ("log_overdue", "log_total", "overdue_share"),
    "age": ("oldest_dpd", "weighted_dpd", "dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_90p"),
    "invoices": ("log_open_invoices", "log_overdue_invoices"),
    "history": ("no_history", "log_settled", "share_paid_late", "mean_days_late"),
    "recent_payment": ("never_paid", "log_days_since_payment", "log_paid_last_30d"),
    "promises": (
        "log_promises_made",
        "log_promises_kept",
        "log_promises_partial",
        "log_promises_broken",
        "promise_pending",
        "broken_recently",
        "log_plan_kept",
        "log_plan_missed",
    ),
    "contact": ("never_contacted", "log_days_since_contact", "contact_rate"),
    "calls": ("log_attempts", "attempts_7d", "attempts_30d", "never_called", "log_days_since_call"),
    "last_outcome": tuple(f"last_{o}" for o in OUTCOMES),
    "disputes": ("disputed_share", "log_dispute_calls"),
    "tenure": ("log_tenure",),
}
_DESIGN_COLUMNS: tuple[str, ...] = tuple(c for cols in _GROUPS.values() for c in cols)
_MODEL_FILE_MARKER = "arcalls.CallPriorityModel"
_MODEL_FILE_VERSION = 2  # 2: calibration_ (version 1 files predate it)


def _design(snapshot: pd.DataFrame) -> pd.DataFrame:
    """The model's numeric design from a snapshot: logs, caps and indicators."""

    def col(name):
        return snapshot[name].to_numpy(dtype="float64", na_value=np.nan)

    def days(name):
        return np.log1p(np.clip(np.nan_to_num(col(name), nan=_DAYS_CAP), 0, _DAYS_CAP))

    def log(values):
        return np.log1p(np.clip(np.nan_to_num(values), 0, None))

    overdue = col("overdue_balance")
    total = np.clip(col("total_balance"), 0, None)
    dpd = col("oldest_days_past_due")
    outcome = snapshot["last_outcome"].to_numpy(dtype=object, na_value=None)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.clip(np.where(total > 0, overdue / total, 0.0), 0, 1)
        disputed = np.where(overdue > 0, col("disputed_overdue_balance") / overdue, 0.0)
    frame = {
        "log_overdue": log(overdue),
        "log_total": log(total),
        "overdue_share": share,
        "oldest_dpd": np.clip(dpd, 0, _DAYS_CAP),
        "weighted_dpd": np.clip(col("weighted_days_past_due"), 0, _DAYS_CAP),
        "dpd_1_30": (dpd >= 1) & (dpd <= 30),
        "dpd_31_60": (dpd >= 31) & (dpd <= 60),
        "dpd_61_90": (dpd >= 61) & (dpd <= 90),
        "dpd_90p": dpd > 90,
        "log_open_invoices": log(col("open_invoices")),
        "log_overdue_invoices": log(col("overdue_invoices")),
        "no_history": col("settled_invoices") == 0,
        "log_settled": log(col("settled_invoices")),
        "share_paid_late": np.nan_to_num(col("share_paid_late")),
        "mean_days_late": np.clip(np.nan_to_num(col("mean_days_late")), 0, _DAYS_CAP),
        "never_paid": np.isnan(col("days_since_last_payment")),
        "log_days_since_payment": days("days_since_last_payment"),
        "log_paid_last_30d": log(col("paid_last_30d")),
        "log_promises_made": log(col("promises_made")),
        "log_promises_kept": log(col("promises_kept")),
        "log_promises_partial": log(col("promises_partial")),
        "log_promises_broken": log(col("promises_broken")),
        "promise_pending": col("promises_pending") > 0,
        "broken_recently": col("days_since_broken_promise") <= _RECENT_BROKEN_DAYS,
        "log_plan_kept": log(col("plan_instalments_kept")),
        "log_plan_missed": log(col("plan_instalments_missed")),
        "never_contacted": np.isnan(col("days_since_last_contact")),
        "log_days_since_contact": days("days_since_last_contact"),
        "contact_rate": np.nan_to_num(col("contact_rate")),
        "log_attempts": log(col("call_attempts")),
        "attempts_7d": np.nan_to_num(col("attempts_7d")),
        "attempts_30d": np.nan_to_num(col("attempts_30d")),
        "never_called": np.isnan(col("days_since_last_call")),
        "log_days_since_call": days("days_since_last_call"),
        **{f"last_{o}": outcome == o for o in OUTCOMES},
        "disputed_share": np.nan_to_num(disputed),
        "log_dispute_calls": log(col("dispute_calls")),
        "log_tenure": log(col("tenure_days")),
    }
    matrix = np.column_stack([np.asarray(frame[c], dtype="float64") for c in _DESIGN_COLUMNS])
    return pd.DataFrame(matrix, index=snapshot.index, columns=list(_DESIGN_COLUMNS))


#: The analyst's baseline reads these raw snapshot columns, and nothing else.
ANALYST_FEATURES: tuple[str, ...] = (
    "overdue_balance",
    "total_balance",
    "oldest_days_past_due",
    "open_invoices",
    "overdue_invoices",
    "settled_invoices",
    "share_paid_late",
    "mean_days_late",
    "days_since_last_payment",
    "paid_last_30d",
    "tenure_days",
    "call_attempts",
    "contact_rate",
    "days_since_last_call",
    "promises_broken",
)


def analyst_baseline() -> Pipeline:
    """The analyst's baseline: the logistic regression an analyst writes in an afternoon.

    The yardstick :func:`backtest` holds the model against besides the rules, trained on
    the same account-weeks and scored the same way (``p * overdue balance``). It is
    defined once, here, so that it cannot be tuned after the fact:

    - the 15 raw snapshot columns of :data:`ANALYST_FEATURES` as they are (balances,
      ages, counts, the customer's share of invoices paid late and mean days late, days
      since the last payment and call, contact rate, broken promises);
    - a missing value (a customer with no settled invoice, no payment or no call yet)
      becomes 0, and a missing "days since" 365;
    - ``StandardScaler``, then scikit-learn's ``LogisticRegression()`` with its defaults
      (lbfgs, ``C=1.0``, ``max_iter`` raised to 1000 so that it converges).

    Returns
    -------
    Pipeline
        Unfitted; ``fit(snapshot, paid)`` and ``predict_proba(snapshot)`` take snapshot
        frames from :func:`arcalls.account_snapshots`.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> snap = arcalls.account_snapshots(*s, as_of_dates=["2025-05-04", "2025-05-11"])
    >>> train = snap[(snap["overdue_balance"] > 0) & snap["paid_within_horizon"].notna()]
    >>> base = analyst_baseline().fit(train, train["paid_within_horizon"].astype(bool))
    >>> base.predict_proba(train).shape[1]
    2
    """
    from sklearn.preprocessing import FunctionTransformer

    return Pipeline(
        [
            ("raw", FunctionTransformer(_analyst_columns)),
            ("scale", StandardScaler()),
            ("logit", LogisticRegression(max_iter=1000)),
        ]
    )


def _analyst_columns(snapshot: pd.DataFrame) -> np.ndarray:
    frame = snapshot[list(ANALYST_FEATURES)].astype("float64")
    days = [c for c in ANALYST_FEATURES if c.startswith("days_since")]
    frame[days] = frame[days].fillna(_DAYS_CAP)
    return frame.fillna(0.0).to_numpy()


class _SingleClassError(InputError, ValueError):
    """Labels of one class only (a ValueError too, as scikit-learn expects)."""


def _customer_sample(customers, cap) -> tuple[np.ndarray | None, tuple[int, int]]:
    """Rows of a sample of whole customers holding at most ``cap`` rows.

    ``customers``: each row's customer id, as a numpy array or as Arrow text (a pandas
    array or Index); both sort the ids by code point, so both draw the same sample.

    ``(mask, (customers sampled, customers))``; the mask is None when every row is kept
    (``cap`` is None or not exceeded). The customers are put in a random order drawn with
    :data:`_SAMPLE_SEED` over the sorted customer ids, so the sample depends only on
    the book, and are taken in that order while their rows fit under ``cap``.
    """
    if cap is not None and (
        isinstance(cap, bool) or not isinstance(cap, int | np.integer) or cap < 1
    ):
        raise InputError(f"max_train_rows must be a whole number >= 1 or None, got {cap!r}.")
    codes, ids = pd.factorize(customers, sort=True)
    if cap is None or len(customers) <= cap:
        return None, (len(ids), len(ids))
    counts = np.bincount(codes, minlength=len(ids))
    order = np.random.default_rng(_SAMPLE_SEED).permutation(len(ids))
    taken = order[np.cumsum(counts[order]) <= cap]
    chosen = np.zeros(len(ids), dtype=bool)
    chosen[taken] = True
    return chosen[codes], (len(taken), len(ids))


def _is_snapshot(X) -> bool:
    return isinstance(X, pd.DataFrame) and all(c in X.columns for c in MODEL_FEATURES)


class CallPriorityModel(ClassifierMixin, BaseEstimator):
    """Chance that an overdue account pays within the horizon, with reasons.

    A scikit-learn classifier: ``StandardScaler`` then ``LogisticRegression`` (Newton-
    Cholesky: deterministic, and exact in a handful of iterations where lbfgs stops at
    its tolerance after dozens; with a few dozen columns and up to millions of
    account-weeks it is also about 4x faster) on a design built from the snapshot columns in
    :data:`MODEL_FEATURES`: money and counts as ``log1p``, days capped at 365 with
    "never" as 365 plus an indicator, days past due also in buckets, the last call
    outcome one-hot. Then a Platt step, fitted out of fold (see ``calibration_``), turns
    its log-odds into probabilities that mean what they say. Given a plain numeric array
    instead of a snapshot, it fits on the array's columns as they are, the rows' order
    standing for time (so that scikit-learn's estimator checks apply).

    Parameters
    ----------
    horizon_days : int, default 30
        The horizon the labels were built with (recorded, checked by nothing else).
    C : float, default 1.0
        Inverse regularisation strength.
    n_reasons : int, default 3
        Reasons per account: the groups that raise its score most, at least two.
    max_iter : int, default 1000
        Iterations of the solver.
    max_train_rows : int or None, default :data:`DEFAULT_MAX_TRAIN_ROWS` (300,000)
        Above this many training rows (account-weeks), fit on a sample of whole
        customers holding at most this many rows: the customers in a random order drawn
        with a fixed seed from the sorted customer ids (deterministic given the book),
        taken while their rows fit. Each row of a plain array counts as its own
        customer. ``None`` fits on every row. ``n_train_rows_`` and
        :meth:`describe` say when it sampled.

    Attributes
    ----------
    classes_ : ndarray
        The two label values.
    pipeline_ : Pipeline
        The fitted scaler and logistic regression.
    design_columns_ : list of str
        Names of the design columns (snapshot input) or ``x0, x1, ...`` (array input).
    informative_ : ndarray of bool
        Per reason group, whether any of its columns varied in training; a group that
        never varied (e.g. calls when no calls were given) is never a reason.
    balance_ref_ : float
        Geometric mean of the training overdue balances: the "typical" balance.
    calibration_ : ndarray
        ``[slope, intercept]`` of the Platt step: probabilities are
        ``expit(slope * log-odds + intercept)``, the pair fitted on the training rows'
        out-of-fold log-odds (5 consecutive blocks of weeks, each predicted by a
        pipeline fitted on the other four), so that ``p_pay`` means what it says next
        week (``[1, 0]`` when a block is too small).
    n_features_in_ : int
        Columns seen in ``fit``.
    n_train_rows_ : int
        Training rows the model was fitted on (fewer than given when sampled).
    n_rows_given_ : int
        Training rows given to ``fit`` (with known labels).
    n_customers_ : tuple of int
        ``(fitted on, given)``: customers (array input: rows) in the sample and in all.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> model = arcalls.fit_call_priority_model(*s, as_of="2025-06-01", weeks=4)
    >>> snap = arcalls.account_snapshots(*s, as_of_dates="2025-06-01", label=False)
    >>> ranked = model.rank(snap)
    >>> list(ranked.columns)
    ['as_of', 'customer_id', 'overdue_balance', 'p_pay', 'expected_dollars', 'reasons']
    >>> bool(ranked["expected_dollars"].is_monotonic_decreasing)
    True
    """

    def __init__(
        self,
        horizon_days: int = DEFAULT_HORIZON_DAYS,
        C: float = DEFAULT_C,
        n_reasons: int = DEFAULT_N_REASONS,
        max_iter: int = 1000,
        max_train_rows: int | None = DEFAULT_MAX_TRAIN_ROWS,
    ):
        self.horizon_days = horizon_days
        self.C = C
        self.n_reasons = n_reasons
        self.max_iter = max_iter
        self.max_train_rows = max_train_rows

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _matrix(self, X, *, reset: bool) -> np.ndarray:
        if _is_snapshot(X):
            if not reset and self.input_ != "snapshot":
                raise InputError(
                    "This model was fitted on a plain array; give it an array with "
                    f"{self.n_features_in_} columns, not a snapshot."
                )
            Z = _design(X).to_numpy()
            if reset:
                self.input_ = "snapshot"
                self.n_features_in_ = Z.shape[1]
                self.design_columns_ = list(_DESIGN_COLUMNS)
            return Z
        if not reset and getattr(self, "input_", None) == "snapshot":
            missing = [c for c in MODEL_FEATURES if c not in getattr(X, "columns", [])]
            raise InputError(
                "This model ranks account snapshots; the frame given lacks the columns "
                f"{missing}. Build it with arcalls.account_snapshots(...)."
            )
        # A copy: the pipeline scales its input in place.
        Z = validate_data(self, X, reset=reset, dtype="float64", copy=True)
        if reset:
            self.input_ = "array"
            self.design_columns_ = [f"x{i}" for i in range(Z.shape[1])]
        return Z

    def fit(self, X, y=None):
        """Fit on snapshots (or a numeric array) and their labels.

        Parameters
        ----------
        X : DataFrame or array-like
            Snapshot rows from :func:`arcalls.account_snapshots`, or a numeric array.
        y : array-like of bool, optional
            Paid within the horizon. Default with a snapshot: its
            ``paid_within_horizon`` column (rows whose label is unknown are dropped).

        Returns
        -------
        CallPriorityModel
            The fitted model.

        Raises
        ------
        InputError
            When labels are missing or hold a single class.
        """
        if _is_snapshot(X):
            if y is None:
                if "paid_within_horizon" not in X:
                    raise InputError(
                        "fit needs labels: pass y, or a snapshot built with label=True."
                    )
                X = X[X["paid_within_horizon"].notna()]
                y = X["paid_within_horizon"].to_numpy(dtype=bool)
            y = np.asarray(y)
            if len(y) != len(X):
                raise InputError(f"X has {len(X)} rows but y has {len(y)} labels.")
            # The sample first: the design matrix is built for its rows only.
            keep = self._sample(X["customer_id"].to_numpy(), y)
            if keep is not None:
                X, y = X[keep], y[keep]
            Z = self._matrix(X, reset=True)
        else:
            Z, y = validate_data(self, X, y, reset=True, dtype="float64", copy=True)
            self.input_ = "array"
            self.design_columns_ = [f"x{i}" for i in range(Z.shape[1])]
            keep = self._sample(np.arange(len(y)), y)
            if keep is not None:
                Z, y = Z[keep], y[keep]
        return self._fit_design(X, Z, y)

    def _fit_sampled(self, X: pd.DataFrame, y: np.ndarray) -> CallPriorityModel:
        """Fit on snapshot rows already cut to :meth:`_sample`'s sample (which recorded
        the sizes given), as :meth:`fit` does after its own sampling."""
        return self._fit_design(X, self._matrix(X, reset=True), y)

    def _fit_design(self, X, Z: np.ndarray, y: np.ndarray) -> CallPriorityModel:
        """The fit proper, on the sampled rows ``X`` and their design matrix ``Z``."""
        self.n_train_rows_ = len(y)
        kind = type_of_target(y)
        if kind not in ("binary", "unknown") and not (kind == "multiclass" and len(y) < 2):
            raise ValueError(
                f"Only binary classification is supported by CallPriorityModel; got a {kind} "
                "target. Labels must be paid (True) / not paid (False)."
            )
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise _SingleClassError(
                f"The labels hold only one class ({self.classes_.tolist()}): every "
                "account paid, or none did. Train on more weeks or more accounts."
            )
        # The rows' order in time: snapshot dates, or the array's own row order.
        groups = (
            X["as_of"].to_numpy("datetime64[ns]").view("int64")
            if self.input_ == "snapshot"
            else np.arange(len(y))
        )
        # One BLAS thread: the Newton steps' products are of a few dozen columns, where
        # threads cost more than they give. At 1M invoices (748k account-weeks) the fit
        # took 7.8 CPU s (11.7 s wall) with two threads on the 2-core machine and 2.4 CPU s
        # (3.3 s wall) with one, to the same coefficients within 1e-15
        # (``benchmarks/fit_size.py``); ``backtest`` already fitted this way.
        with threadpool_limits(limits=1, user_api="blas"):
            # A scaled copy: the folds' fits below need Z as it was (the copy is at most
            # max_train_rows rows: 300k x 47 columns, 113 MB).
            self.pipeline_ = self._pipeline(copy=True).fit(Z, y)
            self.calibration_ = self._cross_fitted_calibration(Z, y, groups)
        self.n_iter_ = self.pipeline_["logit"].n_iter_
        scale = self.pipeline_["scale"]
        varied = scale.var_ > 0
        if self.input_ == "snapshot":
            self.informative_ = np.array(
                [
                    varied[[self.design_columns_.index(c) for c in cols]].any()
                    for cols in _GROUPS.values()
                ]
            )
            overdue = X["overdue_balance"].to_numpy("float64")
            positive = overdue[overdue > 0]
            self.balance_ref_ = float(np.exp(np.mean(np.log(positive)))) if len(positive) else 1.0
        else:
            self.informative_ = varied
            self.balance_ref_ = 1.0
        return self

    def _sample(self, customers, y: np.ndarray) -> np.ndarray | None:
        """The rows to fit on (None: all), and ``n_rows_given_``, ``n_customers_``.

        A sample that lost a class of labels is not taken: every row is fitted.
        """
        keep, self.n_customers_ = _customer_sample(customers, self.max_train_rows)
        self.n_rows_given_ = len(y)
        if keep is not None and len(np.unique(y[keep])) == len(np.unique(y)):
            return keep
        self.n_customers_ = (self.n_customers_[1], self.n_customers_[1])
        return None

    def describe(self) -> str:
        """One sentence: what the model was fitted on, and whether it sampled.

        Examples
        --------
        >>> import arcalls
        >>> s = arcalls.load_sample()
        >>> model = arcalls.fit_call_priority_model(*s, as_of="2025-06-01", weeks=4)
        >>> model.describe()  # doctest: +ELLIPSIS
        'Call-priority model fitted on all ... training account-weeks (... customers).'
        """
        check_is_fitted(self, "pipeline_")
        rows, given = getattr(self, "n_train_rows_", None), getattr(self, "n_rows_given_", None)
        if rows is None or given is None:
            return "Call-priority model (fitted before training sizes were recorded)."
        fitted, customers = self.n_customers_
        unit = "customers" if self.input_ == "snapshot" else "rows"
        if rows == given:
            return (
                f"Call-priority model fitted on all {given:,} training account-weeks "
                f"({customers:,} {unit})."
            )
        return (
            f"Call-priority model fitted on a sample of {rows:,} of {given:,} training "
            f"account-weeks: {fitted:,} of {customers:,} {unit}, whole, drawn with a fixed "
            f"seed (max_train_rows={self.max_train_rows:,})."
        )

    def _pipeline(self, *, copy: bool) -> Pipeline:
        return Pipeline(
            [
                ("scale", StandardScaler(copy=copy)),
                (
                    "logit",
                    LogisticRegression(C=self.C, max_iter=self.max_iter, solver=_SOLVER),
                ),
            ]
        )

    def _cross_fitted_calibration(self, Z, y, when) -> np.ndarray:
        """Platt's step on out-of-fold log-odds: ``[slope, intercept]``.

        The distinct values of ``when`` (the snapshot dates; an array's row order) are cut
        into :data:`_CALIBRATION_FOLDS` consecutive blocks (one a date when there are
        fewer dates). Each block's rows are predicted by a pipeline fitted on the other
        blocks' rows, and a one-feature logistic regression of the labels on those
        out-of-fold log-odds gives the slope and intercept that map the final model's
        log-odds to probabilities that mean what they say next week (a slope below 1
        undoes the overconfidence of a model judged on its own training rows). Every row
        is a training row whose label was known on the as-of date: nothing later enters.
        ``[1, 0]`` (no change) when a block, or the rows fitted to predict it, are too
        few or (the latter) of one class.
        """
        identity = np.array([1.0, 0.0])
        dates, position = np.unique(when, return_inverse=True)
        folds = min(_CALIBRATION_FOLDS, len(dates))
        if folds < 2 or len(np.unique(y)) < 2:
            return identity
        block = (np.arange(len(dates)) * folds // len(dates))[position]
        logit = np.empty(len(y), dtype="float64")
        for k in range(folds):
            held = block == k
            rest = ~held
            if (
                held.sum() < _CALIBRATION_MIN_ROWS
                or rest.sum() < _CALIBRATION_MIN_ROWS
                or len(np.unique(y[rest])) < 2
            ):
                return identity
            # Boolean indexing copies: the in-place scaling never touches Z itself.
            fold, rows = self._pipeline(copy=False), Z[rest]
            scale = fold["scale"].fit(rows)
            if len(y) >= _WARM_START_ROWS:
                # From the final model's coefficients, restated for this fold's scaling:
                # the same solver to the same tolerance from a start already close (one
                # Newton step where a cold start takes four).
                logit_full = self.pipeline_["logit"]
                ratio = logit_full.coef_[0] / self.pipeline_["scale"].scale_
                fold["logit"].set_params(warm_start=True)
                fold["logit"].coef_ = (ratio * scale.scale_)[None, :]
                fold["logit"].intercept_ = logit_full.intercept_ + ratio @ (
                    scale.mean_ - self.pipeline_["scale"].mean_
                )
            # The fold's scaler is fitted above: its logit is fitted on the rows it
            # scales (as the pipeline's fit would, without fitting the scaler again).
            fold["logit"].fit(scale.transform(rows), y[rest])
            logit[held] = fold.decision_function(Z[held])
        if not np.isfinite(logit).all():
            return identity
        platt = LogisticRegression(C=1e6, solver="lbfgs").fit(logit[:, None], y)
        slope = float(platt.coef_[0, 0])
        if not np.isfinite(slope) or slope <= 0:
            return identity
        return np.array([slope, float(platt.intercept_[0])])

    def decision_function(self, X) -> np.ndarray:
        """Calibrated log-odds of paying within the horizon."""
        check_is_fitted(self, "pipeline_")
        raw = self.pipeline_.decision_function(self._matrix(X, reset=False))
        slope, intercept = self.calibration_
        return slope * raw + intercept

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities of the two classes (column 1: pays within the horizon)."""
        from scipy.special import expit

        check_is_fitted(self, "pipeline_")
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """The more likely class."""
        check_is_fitted(self, "pipeline_")
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def contributions(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        """Each reason group's contribution to the log of each account's score.

        ``coefficient * standardised value`` summed over the group's design columns (0
        for an account like the average training account), plus, for the balance
        group, ``log(overdue balance / balance_ref_)``: the score is ``p * balance`` and
        ``log p`` moves with the log-odds when ``p`` is small.

        Parameters
        ----------
        snapshot : DataFrame
            Rows of :func:`arcalls.account_snapshots`.

        Returns
        -------
        DataFrame
            One column per reason group, indexed like ``snapshot``.
        """
        check_is_fitted(self, "pipeline_")
        Z = self.pipeline_["scale"].transform(self._matrix(snapshot, reset=False))
        parts = Z * (self.pipeline_["logit"].coef_[0] * self.calibration_[0])
        index = {c: i for i, c in enumerate(self.design_columns_)}
        out = pd.DataFrame(
            {g: parts[:, [index[c] for c in cols]].sum(axis=1) for g, cols in _GROUPS.items()},
            index=snapshot.index,
        )
        balance = snapshot["overdue_balance"].to_numpy("float64")
        with np.errstate(divide="ignore"):
            out["balance"] += np.where(balance > 0, np.log(balance / self.balance_ref_), 0.0)
        return out

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        """Rank accounts by expected dollars, with their reasons.

        Parameters
        ----------
        snapshot : DataFrame
            Rows of :func:`arcalls.account_snapshots` (labels not needed).

        Returns
        -------
        DataFrame
            ``as_of``, ``customer_id``, ``overdue_balance``, ``p_pay``,
            ``expected_dollars`` (``p_pay * overdue_balance``, to the cent) and
            ``reasons`` (2-3 plain phrases joined by ``"; "``), sorted by ``as_of``,
            then ``expected_dollars`` descending, then ``customer_id``.

        Examples
        --------
        >>> import arcalls
        >>> s = arcalls.load_sample()
        >>> model = arcalls.fit_call_priority_model(*s, as_of="2025-06-01", weeks=4)
        >>> snap = arcalls.account_snapshots(*s, as_of_dates="2025-06-01", label=False)
        >>> top = model.rank(snap).iloc[0]
        >>> 2 <= len(top["reasons"].split("; ")) <= 3
        True
        """
        check_is_fitted(self, "pipeline_")
        if not _is_snapshot(snapshot):
            missing = [c for c in MODEL_FEATURES if c not in getattr(snapshot, "columns", [])]
            raise InputError(
                f"rank needs an account snapshot; the frame lacks {missing}. "
                "Build it with arcalls.account_snapshots(...)."
            )
        p = self.predict_proba(snapshot)[:, 1] if len(snapshot) else np.zeros(0)
        balance = snapshot["overdue_balance"].to_numpy("float64")
        ranked = pd.DataFrame(
            {
                "as_of": snapshot["as_of"].to_numpy(),
                "customer_id": snapshot["customer_id"].astype(dtype_of("id")).to_numpy(),
                "overdue_balance": balance,
                "p_pay": p,
                "expected_dollars": round_money(p * balance) + 0.0,
                "reasons": _reasons(snapshot, self.contributions(snapshot), self)
                if len(snapshot)
                else pd.Series(dtype="string"),
            }
        )
        ranked["customer_id"] = ranked["customer_id"].astype(dtype_of("id"))
        ranked["reasons"] = ranked["reasons"].astype("string")
        return ranked.sort_values(
            ["as_of", "expected_dollars", "customer_id"],
            ascending=[True, False, True],
            kind="mergesort",
        ).reset_index(drop=True)


def _money(values: pd.Series) -> pd.Series:
    """``"$9,990.29"``: dollars to the cent, as the call list shows them."""
    return "$" + values.round(2).map("{:,.2f}".format)


def _whole(values: pd.Series) -> pd.Series:
    return values.round(0).astype("Int64").astype("string")


def _days(values: pd.Series) -> pd.Series:
    """``"1 day"``, ``"12 days"``: a whole number of days, in words."""
    unit = pd.Series(np.where(values.round(0) == 1, " day", " days"), index=values.index)
    return _whole(values) + unit.astype("string")


def _counted(values: pd.Series, noun: str) -> pd.Series:
    """``"1 invoice"``, ``"3 invoices"``: a whole count and its noun in the right number."""
    unit = pd.Series(np.where(values.round(0) == 1, f" {noun}", f" {noun}s"), index=values.index)
    return _whole(values) + unit.astype("string")


def _reason_texts(s: pd.DataFrame) -> pd.DataFrame:
    """Every group's phrase for every account, filled with the account's values."""
    f = {
        c: s[c].astype("float64")
        for c in s.columns
        if c in SNAPSHOT_FEATURES and c != "last_outcome"
    }
    # A reason quotes what a call chases, as the call list's row shows it (disputed
    # dollars leave the chase): never a figure the row does not show.
    chase = {c: s[c].astype("float64") for c in CHASE_COLUMNS if c in s.columns}
    overdue = chase.get("chased_balance", f["overdue_balance"])
    oldest = chase.get("chased_days_past_due", f["oldest_days_past_due"])
    n_chased = chase.get("chased_invoices", f["overdue_invoices"])
    large = overdue >= overdue.groupby(s["as_of"]).transform("quantile", _LARGE_BALANCE_QUANTILE)
    settled = f["settled_invoices"]
    late = f["share_paid_late"].fillna(0)
    outcome = s["last_outcome"].astype("string").str.replace("_", " ")

    def pick(*pairs, default):
        out = pd.Series(default, index=s.index, dtype="string")
        for cond, text in reversed(pairs):
            out = out.mask(cond.fillna(False).to_numpy(bool), text)
        return out

    texts = {
        "balance": pick(
            (
                large & (overdue > 0),
                "one of the largest overdue balances (" + _money(overdue) + ")",
            ),
            default=_money(overdue) + " overdue",
        ),
        "age": pick(
            (oldest > 0, "oldest invoice " + _days(oldest) + " past due"),
            default=_NOT_A_REASON,
        ),
        "invoices": _counted(f["open_invoices"], "open invoice")
        + " ("
        + _whole(n_chased)
        + " to chase)",
        "history": pick(
            (settled == 0, pd.Series("no settled invoices yet", index=s.index)),
            (
                late >= 0.5,
                "pays late but pays ("
                + _whole(late * 100)
                + "% of "
                + _counted(settled, "invoice")
                + " late, "
                + _whole(f["mean_days_late"].fillna(0))
                + " days on average)",
            ),
            default="usually pays on time ("
            + _whole((1 - late) * 100)
            + "% of "
            + _counted(settled, "invoice")
            + ")",
        ),
        "recent_payment": pick(
            (f["paid_last_30d"] > 0, "paid " + _money(f["paid_last_30d"]) + " in the last 30 days"),
            (
                f["days_since_last_payment"].notna(),
                "last payment " + _days(f["days_since_last_payment"]) + " ago",
            ),
            default="no payment received yet",
        ),
        "promises": pick(
            (f["promises_pending"] > 0, pd.Series("promise to pay pending", index=s.index)),
            (
                f["days_since_broken_promise"].notna(),
                "promise broken " + _days(f["days_since_broken_promise"]) + " ago",
            ),
            (
                f["promises_kept"] > 0,
                "kept "
                + _whole(f["promises_kept"])
                + " of "
                + _counted(f["promises_made"], "promise"),
            ),
            default=_NOT_A_REASON,
        ),
        "contact": pick(
            (
                f["days_since_last_contact"].notna(),
                "last spoke with them " + _days(f["days_since_last_contact"]) + " ago",
            ),
            default="never reached by phone",
        ),
        "calls": pick(
            (
                f["attempts_30d"] > 0,
                _counted(f["attempts_30d"], "call attempt") + " in the last 30 days",
            ),
            (
                f["days_since_last_call"].notna(),
                "not called for " + _days(f["days_since_last_call"]),
            ),
            default="not called yet",
        ),
        "last_outcome": pick(
            (outcome.notna(), "last call: " + outcome.fillna("")),
            default=_NOT_A_REASON,
        ),
        "disputes": pick(
            (
                f["disputed_overdue_balance"] > 0,
                pd.Series("part of the past-due balance is disputed", index=s.index),
            ),
            (f["dispute_calls"] > 0, pd.Series("raised a dispute by phone", index=s.index)),
            default=_NOT_A_REASON,
        ),
        "tenure": "customer for " + _counted(f["tenure_days"] / 30.44, "month"),
    }
    return pd.DataFrame(texts, index=s.index)[list(_GROUPS)]


#: The phrase of a group with nothing to say for an account ("no disputes", "no calls on
#: record", ...): the absence of a fact is not a reason to call, so it is never given.
_NOT_A_REASON = ""


def _reasons(snapshot, contributions: pd.DataFrame, model) -> pd.Series:
    """The top groups' phrases per account: positives first, at least two, at most n."""
    n_reasons = max(2, int(model.n_reasons))
    values = contributions[list(_GROUPS)].to_numpy()
    texts = _reason_texts(snapshot).to_numpy(dtype=object)
    # A group that never varied in training, or has nothing to say here, is no reason.
    values = np.where(model.informative_ & (texts != _NOT_A_REASON), values, -np.inf)
    # Stable sort on the negated values keeps the group order for ties: deterministic.
    order = np.argsort(-values, axis=1, kind="stable")[:, :n_reasons]
    top = np.take_along_axis(values, order, axis=1)
    chosen = np.take_along_axis(texts, order, axis=1)
    keep = (top > 0) | (np.arange(order.shape[1]) < 2)
    keep &= np.isfinite(top)
    parts = pd.DataFrame(np.where(keep, chosen, None), index=snapshot.index)
    joined = parts[0].astype("string")
    for j in range(1, parts.shape[1]):
        nxt = parts[j].astype("string")
        joined = joined.where(nxt.isna(), joined + "; " + nxt)
    return joined.fillna("")


def fit_call_priority_model(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    as_of,
    weeks: int = DEFAULT_TRAIN_WEEKS,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    **model_options,
) -> CallPriorityModel:
    """Fit the model on the weekly snapshots whose labels were known on ``as_of``.

    The snapshots are dated ``as_of - horizon_days - 7*i`` for ``i`` in ``0..weeks-1``
    and labelled with the data up to ``as_of`` only, so the model can be fitted on the
    day the list is made. Only accounts with an overdue balance are learnt from.

    Parameters
    ----------
    invoices, payments, calls, customers : DataFrame
        Canonical tables (payments, calls and customers optional).
    as_of : date-like
        The day the model is fitted on.
    weeks : int, default 26
        Weekly snapshots to train on.
    horizon_days : int, default 30
        The label window.
    **model_options
        Passed to :class:`CallPriorityModel`.

    Returns
    -------
    CallPriorityModel
        Fitted.

    Raises
    ------
    ArcallsError
        When the history is too short to give labelled overdue accounts of both kinds.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> model = fit_call_priority_model(*s, as_of="2025-06-01", weeks=4)
    >>> model.classes_.tolist()
    [False, True]
    """
    model, _ = _fit_with_snapshot(
        invoices,
        payments,
        calls,
        customers,
        as_of=as_of,
        weeks=weeks,
        horizon_days=horizon_days,
        snapshot_now=False,
        **model_options,
    )
    return model


def _fit_with_snapshot(
    invoices,
    payments,
    calls,
    customers,
    *,
    as_of,
    weeks: int = DEFAULT_TRAIN_WEEKS,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    snapshot_now: bool = True,
    book=None,
    **model_options,
) -> tuple[CallPriorityModel, pd.DataFrame | None]:
    """:func:`fit_call_priority_model`, and with ``snapshot_now`` the as-of date's
    snapshot (no label columns) from the same pass over the history (``book``: the
    run's :class:`arcalls.book.Book` of these tables, so that the weekly run codes the
    ids and judges the plans once).

    The weekly list needs both; one :func:`account_snapshots` call over the training
    dates plus the as-of date costs little more than the training dates alone, where a
    second call would read every invoice, payment and call again. A snapshot row
    depends only on what was known on its own date, so the rows are the same either way.
    """
    as_of = pd.Timestamp(as_of).normalize()
    if isinstance(weeks, bool) or not isinstance(weeks, int | np.integer) or weeks < 1:
        raise InputError(f"weeks must be a whole number of weeks >= 1, got {weeks!r}.")
    last = as_of - pd.Timedelta(days=horizon_days)
    dates = pd.DatetimeIndex([last - pd.Timedelta(weeks=i) for i in range(weeks)])
    model = CallPriorityModel(horizon_days=horizon_days, **model_options)

    def rows(base: pd.DataFrame, customer_ids) -> np.ndarray:
        # The features are built only for the rows the fit samples and the as-of date's:
        # at 1M invoices, 350k of 1.36M snapshot rows (a 26-week history holds every
        # open account each week, most of them not overdue or not sampled).
        is_now = (base["as_of"] == as_of).to_numpy()
        train = ~is_now & (base["overdue_balance"] > 0).to_numpy()
        train &= base["paid_within_horizon"].notna().to_numpy()
        y = base["paid_within_horizon"].to_numpy(dtype=bool, na_value=False)[train]
        _check_trainable(
            pd.DataFrame({"paid_within_horizon": y}),
            f"the {weeks} weekly snapshot(s) up to {last.date()}",
        )
        at = np.flatnonzero(train)
        # The ids as Arrow text (factorized in C++), not 1M Python strings.
        keep = model._sample(customer_ids.take(base["customer_code"].to_numpy()[at]), y)
        if keep is not None:
            train[at[~keep]] = False
        return train | is_now

    snap = _snapshots(
        invoices,
        payments,
        calls,
        customers,
        as_of_dates=dates.append(pd.DatetimeIndex([as_of])) if snapshot_now else dates,
        horizon_days=horizon_days,
        label=True,
        data_end=as_of,
        grace_days=DEFAULT_GRACE_DAYS,
        book=book,
        select=rows,
    )
    now = None
    if snapshot_now:
        is_now = (snap["as_of"] == as_of).to_numpy()
        now = snap[is_now].drop(columns=["dollars_within_horizon", "paid_within_horizon"])
        # The snapshot is in date order, so this week's rows are its tail: the training
        # rows are then a slice of it, not a copy beside it (at 1M invoices the copy was
        # the run's peak memory).
        first = len(is_now) - int(is_now.sum())
        snap = snap.iloc[:first] if not is_now[:first].any() else snap[~is_now]
    # The snapshot's temporaries are freed by now, the fit's are freed after it: handed
    # back each time, so that the run's peak is the larger stage's, not their sum.
    release_freed_memory()
    model._fit_sampled(snap, snap["paid_within_horizon"].to_numpy(dtype=bool))
    del snap
    release_freed_memory()
    return model, None if now is None else now.reset_index(drop=True)


def _check_trainable(train: pd.DataFrame, where: str) -> None:
    labels = train["paid_within_horizon"]
    if len(train) == 0 or labels.nunique() < 2:
        raise NotEnoughHistoryError(
            f"Cannot train the call-priority model on {where}: it needs overdue accounts "
            f"that paid and that did not within the horizon, got {len(train)} overdue "
            f"account-week(s) of which {int(labels.sum())} paid. Use a later as-of date "
            "or a longer history (more weeks)."
        )


def reliability_table(y_true, p, *, bins: int = 10, strategy: str = "uniform") -> pd.DataFrame:
    """Predicted against observed payment rates, by bins of predicted probability.

    Parameters
    ----------
    y_true : array-like of bool
        What happened.
    p : array-like of float
        Predicted probabilities.
    bins : int, default 10
        How many bins; empty bins are left out.
    strategy : {"uniform", "quantile"}, default "uniform"
        Equal-width bins over [0, 1], or bins of (as near as ties allow) equal counts:
        ``"quantile"`` with 10 bins gives the deciles of predicted probability.

    Returns
    -------
    DataFrame
        ``bin_low``, ``bin_high``, ``accounts``, ``mean_predicted``,
        ``observed_rate`` and ``gap`` (observed - predicted).

    Examples
    --------
    >>> reliability_table([True, False, True, True], [0.9, 0.1, 0.8, 0.95], bins=2)
       bin_low  bin_high  accounts  mean_predicted  observed_rate   gap
    0      0.0       0.5         1           0.100            0.0 -0.100
    1      0.5       1.0         3           0.883            1.0  0.117
    """
    y = np.asarray(y_true, dtype="float64")
    p = np.asarray(p, dtype="float64")
    if y.shape != p.shape or y.ndim != 1:
        raise InputError(
            f"y_true and p must be 1-d and the same length, got {y.shape} and {p.shape}."
        )
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InputError(f"bins must be a whole number >= 1, got {bins!r}.")
    if len(p) and ((p < 0) | (p > 1) | np.isnan(p)).any():
        raise InputError("p must hold probabilities in [0, 1] with no missing value.")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, bins + 1)
    elif strategy == "quantile":
        edges = np.quantile(p, np.linspace(0.0, 1.0, bins + 1)) if len(p) else np.zeros(bins + 1)
        edges[0], edges[-1] = 0.0, 1.0
    else:
        raise InputError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}.")
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    table = (
        pd.DataFrame({"bin": which, "p": p, "y": y})
        .groupby("bin")
        .agg(accounts=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean"))
    )
    return pd.DataFrame(
        {
            "bin_low": edges[table.index],
            "bin_high": edges[table.index + 1],
            "accounts": table["accounts"].to_numpy(np.int64),
            "mean_predicted": table["mean_predicted"].round(3).to_numpy(),
            "observed_rate": table["observed_rate"].round(3).to_numpy(),
            # To 3 decimals like the rates: at 2 a gap of 0.033 read as 0.03.
            "gap": (table["observed_rate"] - table["mean_predicted"]).round(3).to_numpy(),
        }
    )


@dataclass(frozen=True)
class BacktestResult:
    """What :func:`backtest` found.

    Attributes
    ----------
    weekly : DataFrame
        One row per (week, strategy): ``as_of``, ``strategy``, ``accounts``,
        ``payers``, ``auc``, ``ap``, ``brier`` (model only), ``captured``
        (dollars paid within the horizon by the week's top-k), ``perfect`` (what the
        top-k by actual dollars got) and ``share`` (captured / perfect).
    summary : DataFrame
        One row per strategy: mean weekly ``auc`` and ``ap``, pooled ``brier``,
        ``captured`` and ``perfect`` totals, ``share`` of perfect, ``weeks``.
    gain : DataFrame
        ``strategy``, ``calls_per_week``, ``captured`` (all weeks) and ``share``: how
        the dollars grow with the calls made each week.
    reliability : DataFrame
        :func:`reliability_table` of the model over all test weeks, by decile of
        predicted probability.
    scores : DataFrame
        Per week and account: every strategy's score and the outcome.
    k : int
        Calls per week.
    horizon_days : int
        The label window.
    """

    weekly: pd.DataFrame
    summary: pd.DataFrame
    gain: pd.DataFrame
    reliability: pd.DataFrame
    scores: pd.DataFrame = field(repr=False)
    k: int = DEFAULT_K
    horizon_days: int = DEFAULT_HORIZON_DAYS

    def _repr_html_(self) -> str:
        weeks = self.weekly["as_of"].nunique()
        head = (
            f"<p><b>Backtest</b>: {weeks} {'week' if weeks == 1 else 'weeks'}, "
            f"top {self.k} calls a week, "
            f"dollars paid within {self.horizon_days} days.</p>"
        )
        return head + self.summary.to_html(index=False, float_format=lambda v: f"{v:,.3f}")

    def __repr__(self) -> str:
        return f"BacktestResult(k={self.k}, horizon_days={self.horizon_days})\n{self.summary}"


def backtest(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    start,
    end,
    freq: str = "W",
    k: int = DEFAULT_K,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    train_weeks: int = DEFAULT_TRAIN_WEEKS,
    data_end=None,
    **model_options,
) -> BacktestResult:
    """Replay the past: each week, train on what was known, rank, and score the lists.

    For each test date ``t`` in ``pd.date_range(start, end, freq=freq)``, the model is
    fitted on the ``train_weeks`` snapshot dates of the same grid whose labels were
    known at ``t`` (date + ``horizon_days`` <= ``t``), then ranks the overdue accounts
    of ``t``. Baselines rank the same accounts: ``analyst`` (the analyst's baseline of
    :func:`analyst_baseline`, fitted on the same weeks, scored ``p * overdue balance``),
    ``largest_overdue`` (overdue balance),
    ``oldest`` (oldest days past due, then balance), ``last_week`` (the model's list of
    the previous week, as if the owner kept calling it; accounts new this week go
    last). Ties go to the smaller ``customer_id``. Weeks whose labels are unknown (the
    horizon passes ``data_end``) are left out.

    Parameters
    ----------
    invoices, payments, calls, customers : DataFrame
        Canonical tables (payments, calls and customers optional).
    start, end : date-like
        The first and last test dates.
    freq : str, default "W"
        The pandas frequency of the weekly grid (``"W"`` = Sundays).
    k : int, default 25
        Calls a week: the size of each list.
    horizon_days : int, default 30
        The label window.
    train_weeks : int, default 26
        Snapshot dates each weekly model trains on.
    data_end : date-like, optional
        Passed to :func:`arcalls.account_snapshots`.
    **model_options
        Passed to :class:`CallPriorityModel`.

    Returns
    -------
    BacktestResult

    Raises
    ------
    ArcallsError
        When no test week has known labels or a week has too little history to train.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> result = backtest(*s, start="2025-05-04", end="2025-05-18", train_weeks=4)
    >>> result.summary["strategy"].tolist()
    ['model', 'analyst', 'largest_overdue', 'oldest', 'last_week', 'perfect']
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k (calls a week) must be a whole number >= 1, got {k!r}.")
    if (
        isinstance(train_weeks, bool)
        or not isinstance(train_weeks, int | np.integer)
        or train_weeks < 1
    ):
        raise InputError(f"train_weeks must be a whole number >= 1, got {train_weeks!r}.")
    try:
        tests = pd.date_range(start, end, freq=freq).normalize()
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"Cannot build test dates from {start!r} to {end!r} by {freq!r}: {exc}"
        ) from exc
    if len(tests) == 0:
        raise InputError(
            f"No test date between {start} and {end} at frequency {freq!r}; "
            "widen the range (e.g. 12 weeks or more)."
        )
    step = pd.Timedelta(tests[0] + pd.tseries.frequencies.to_offset(freq) - tests[0])
    if step < pd.Timedelta(days=1):
        raise InputError(f"freq must step by whole days or more (e.g. 'W'), got {freq!r}.")
    lag = int(np.ceil(horizon_days / step.days)) if step.days else 1
    grid = pd.DatetimeIndex(
        [tests[0] - step * i for i in range(train_weeks + lag + 1, 0, -1)]
    ).append(tests)
    snap = account_snapshots(
        invoices,
        payments,
        calls,
        customers,
        as_of_dates=grid,
        horizon_days=horizon_days,
        data_end=data_end,
    )
    snap = snap[snap["overdue_balance"] > 0]
    horizon = pd.Timedelta(days=horizon_days)
    # The week before the first test week is scored too, for the last-week baseline.
    score_dates = grid[grid >= tests[0] - step]
    scored = []
    for when in progress(score_dates, desc="backtest", unit="week"):
        train_dates = grid[grid + horizon <= when][-train_weeks:]
        train = snap[snap["as_of"].isin(train_dates) & snap["paid_within_horizon"].notna()]
        this = snap[snap["as_of"] == when]
        if this.empty:
            continue
        if when < tests[0] and train["paid_within_horizon"].nunique() < 2:
            continue
        _check_trainable(train, f"the weeks before {when.date()}")
        # Small fits: BLAS threads cost more than they give (and fight other processes).
        with threadpool_limits(limits=1, user_api="blas"):
            model = CallPriorityModel(horizon_days=horizon_days, **model_options).fit(train)
            p = model.predict_proba(this)[:, 1]
            base = analyst_baseline().fit(train, train["paid_within_horizon"].astype(bool))
            p_base = base.predict_proba(this)[:, 1]
        balance = this["overdue_balance"].to_numpy()
        scored.append(
            pd.DataFrame(
                {
                    "as_of": when,
                    "customer_id": this["customer_id"].to_numpy(),
                    "p_pay": p,
                    "expected_dollars": round_money(p * balance),
                    "p_analyst": p_base,
                    "analyst": round_money(p_base * balance),
                }
            )
        )
    scores = pd.concat(scored, ignore_index=True).merge(
        snap[
            [
                "as_of",
                "customer_id",
                "overdue_balance",
                "oldest_days_past_due",
                "dollars_within_horizon",
                "paid_within_horizon",
            ]
        ],
        on=["as_of", "customer_id"],
    )
    previous = (
        scores[["as_of", "customer_id", "expected_dollars"]]
        .assign(as_of=lambda f: f["as_of"] + step)
        .rename(columns={"expected_dollars": "last_week"})
    )
    scores = scores.merge(previous, on=["as_of", "customer_id"], how="left")
    scores = scores[scores["as_of"].isin(tests) & scores["paid_within_horizon"].notna()]
    if scores.empty:
        raise ArcallsError(
            f"No test week from {tests[0].date()} to {tests[-1].date()} has known labels: "
            f"each needs {horizon_days} days of data after it. Move end earlier."
        )
    scores = scores.assign(
        model=scores["expected_dollars"],
        largest_overdue=scores["overdue_balance"],
        # Oldest first; among equally old, the larger balance (a fraction of a day).
        oldest=scores["oldest_days_past_due"]
        + scores["overdue_balance"] / (scores["overdue_balance"].max() + 1.0),
        last_week=scores["last_week"].fillna(-1.0),
        perfect=scores["dollars_within_horizon"],
        paid=scores["paid_within_horizon"].astype(bool),
    ).reset_index(drop=True)
    weekly, gain = _score_lists(scores, k=k)
    summary = _summarise(weekly, scores)
    reliability = reliability_table(scores["paid"], scores["p_pay"], strategy="quantile")
    keep = [
        "as_of",
        "customer_id",
        "overdue_balance",
        "p_pay",
        "p_analyst",
        *STRATEGIES[1:],
        "model",
        "dollars_within_horizon",
        "paid",
    ]
    return BacktestResult(
        weekly=weekly,
        summary=summary,
        gain=gain,
        reliability=reliability,
        scores=scores[keep],
        k=int(k),
        horizon_days=horizon_days,
    )


def _score_lists(scores: pd.DataFrame, *, k: int):
    """Weekly metrics per strategy, and the gain by calls per week."""
    rows, gains = [], []
    for strategy in (*STRATEGIES, "perfect"):
        # Rank within each week: score descending, customer_id ascending.
        order = scores.sort_values(
            ["as_of", strategy, "customer_id"], ascending=[True, False, True], kind="mergesort"
        )
        rank = order.groupby("as_of").cumcount() + 1
        ranked = pd.DataFrame(
            {"as_of": order["as_of"], "rank": rank, "dollars": order["dollars_within_horizon"]}
        )
        captured = ranked[ranked["rank"] <= k].groupby("as_of")["dollars"].sum()
        by_week = scores.groupby("as_of")
        metrics = by_week.apply(
            lambda w, s=strategy: pd.Series(_week_metrics(w, s)), include_groups=False
        )
        rows.append(metrics.assign(strategy=strategy, captured=captured).reset_index())
        table = ranked.pivot_table(index="rank", columns="as_of", values="dollars", aggfunc="sum")
        cum = table.fillna(0.0).cumsum().sum(axis=1)
        gains.append(
            pd.DataFrame(
                {"strategy": strategy, "calls_per_week": cum.index, "captured": cum.to_numpy()}
            )
        )
    weekly = pd.concat(rows, ignore_index=True)
    perfect = weekly[weekly["strategy"] == "perfect"].set_index("as_of")["captured"]
    weekly["perfect"] = weekly["as_of"].map(perfect)
    with np.errstate(invalid="ignore", divide="ignore"):
        weekly["share"] = np.where(
            weekly["perfect"] > 0, weekly["captured"] / weekly["perfect"], np.nan
        )
    weekly["captured"] = round_money(weekly["captured"])
    weekly = weekly[
        [
            "as_of",
            "strategy",
            "accounts",
            "payers",
            "auc",
            "ap",
            "brier",
            "captured",
            "perfect",
            "share",
        ]
    ]
    gain = pd.concat(gains, ignore_index=True)
    best = gain[gain["strategy"] == "perfect"].set_index("calls_per_week")["captured"]
    gain["share"] = gain["captured"] / gain["calls_per_week"].map(best)
    return weekly.reset_index(drop=True), gain


#: The strategies that predict a probability, and its column in the scores.
_PROBABILITY = {"model": "p_pay", "analyst": "p_analyst"}


def _week_metrics(week: pd.DataFrame, strategy: str) -> dict:
    y = week["paid"].to_numpy(bool)
    s = week[strategy].to_numpy("float64")
    both = 0 < y.sum() < len(y)
    return {
        "accounts": len(y),
        "payers": int(y.sum()),
        "auc": roc_auc_score(y, s) if both else np.nan,
        "ap": average_precision_score(y, s) if both else np.nan,
        "brier": (
            brier_score_loss(y, week[_PROBABILITY[strategy]])
            if strategy in _PROBABILITY and len(y)
            else np.nan
        ),
    }


def _summarise(weekly: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    summary = weekly.groupby("strategy", sort=False).agg(
        weeks=("as_of", "nunique"),
        auc=("auc", "mean"),
        ap=("ap", "mean"),
        captured=("captured", "sum"),
        perfect=("perfect", "sum"),
    )
    summary["brier"] = np.nan
    for strategy, column in _PROBABILITY.items():
        summary.loc[strategy, "brier"] = brier_score_loss(scores["paid"], scores[column])
    summary["share"] = summary["captured"] / summary["perfect"]
    summary["captured"] = round_money(summary["captured"])
    summary["perfect"] = round_money(summary["perfect"])
    return summary.reset_index()[
        ["strategy", "weeks", "auc", "ap", "brier", "captured", "perfect", "share"]
    ]


# --- saving and loading -------------------------------------------------------------


def save_model(model: CallPriorityModel, path: str | os.PathLike) -> None:
    """Save a fitted model with skops (no pickle), marked as written by arcalls.

    Parameters
    ----------
    model : CallPriorityModel
        A fitted model.
    path : path-like
        The file to write (``.skops`` by convention), atomically.

    Raises
    ------
    ArcallsError
        When ``model`` is not a fitted :class:`CallPriorityModel`.

    Examples
    --------
    >>> import arcalls, tempfile, pathlib
    >>> s = arcalls.load_sample()
    >>> model = arcalls.fit_call_priority_model(*s, as_of="2025-06-01", weeks=4)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.skops"
    >>> save_model(model, path)
    >>> load_model(path).classes_.tolist()
    [False, True]
    """
    import skops.io as sio

    from . import __version__
    from ._export import atomic_path

    if not isinstance(model, CallPriorityModel):
        raise ArcallsError(f"save_model saves a CallPriorityModel, got {type(model).__name__}.")
    check_is_fitted(model, "pipeline_")
    payload = {
        "format": _MODEL_FILE_MARKER,
        "format_version": _MODEL_FILE_VERSION,
        "arcalls_version": __version__,
        "model": model,
    }
    with atomic_path(path) as tmp:
        sio.dump(payload, tmp)


#: The only types a model file may hold beyond skops' defaults; anything else is refused.
_TRUSTED_TYPES = frozenset(
    {
        "arcalls.ranking.CallPriorityModel",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.linear_model._logistic.LogisticRegression",
        "numpy.dtype",
        "builtins.str",
    }
)


def load_model(path: str | os.PathLike) -> CallPriorityModel:
    """Load a model saved by :func:`save_model`, refusing any other file.

    The file is checked before anything in it runs: it must be a skops file whose types
    are all on arcalls' short trusted list, and it must carry arcalls' marker.

    Parameters
    ----------
    path : path-like
        A file written by :func:`save_model`.

    Returns
    -------
    CallPriorityModel

    Raises
    ------
    ModelFileError
        When the file is missing, not a skops file, holds other types, or lacks the
        marker.

    Examples
    --------
    See :func:`save_model`.
    """
    import skops.io as sio

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"No model file at {path}. Save one first with save_model or --model.")
    _check_model_file_size(path)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - any failure to read means "not our file"
        raise ModelFileError(
            f"{path} is not a model file arcalls wrote (not a readable skops file: {exc}). "
            "Fit a model again and save it with save_model or --model."
        ) from exc
    unknown = sorted(set(untrusted) - _TRUSTED_TYPES)
    if unknown:
        raise ModelFileError(
            f"{path} holds types arcalls does not trust ({', '.join(unknown)}); it was not "
            "written by arcalls.save_model. Refusing to load it."
        )
    try:
        payload = sio.load(path, trusted=sorted(untrusted))
    except Exception as exc:  # noqa: BLE001
        raise ModelFileError(f"{path} could not be read as an arcalls model: {exc}") from exc
    if not (
        isinstance(payload, dict)
        and payload.get("format") == _MODEL_FILE_MARKER
        and isinstance(payload.get("model"), CallPriorityModel)
    ):
        raise ModelFileError(
            f"{path} is a skops file but not one arcalls wrote (no arcalls model marker). "
            "Fit a model again and save it with save_model or --model."
        )
    if payload.get("format_version") != _MODEL_FILE_VERSION:
        raise ModelFileError(
            f"{path} was written in model-file format {payload.get('format_version')}; this "
            f"arcalls reads format {_MODEL_FILE_VERSION}. Fit and save the model again."
        )
    model = payload["model"]
    if isinstance(model, CallPriorityModel) and "max_train_rows" not in vars(model):
        # Saved before the training-size cap existed: it was fitted on every row.
        model.max_train_rows = None
    problem = _fitted_state_problem(model)
    if problem:
        raise ModelFileError(
            f"{path} holds an arcalls model that is not in a usable fitted state ({problem}); "
            "the file was edited or damaged. Fit a model again and save it with save_model "
            "or --model."
        )
    return model


#: A model file is a few hundred kilobytes; anything far larger is not one of ours.
MAX_MODEL_FILE_BYTES = 32 * 2**20
#: The skops file is a zip archive: its members may expand to at most this much, checked
#: from the archive's directory before anything is expanded (a zip bomb is refused).
MAX_MODEL_UNCOMPRESSED_BYTES = 128 * 2**20


def _check_model_file_size(path: str) -> None:
    import zipfile

    size = os.path.getsize(path)
    if size > MAX_MODEL_FILE_BYTES:
        raise ModelFileError(
            f"{path} is {size:,} bytes; an arcalls model file is far smaller (at most "
            f"{MAX_MODEL_FILE_BYTES:,} bytes are read). It is not a model arcalls wrote: "
            "fit a model again and save it with save_model or --model."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelFileError(
            f"{path} is not a model file arcalls wrote (not a readable skops file: {exc}). "
            "Fit a model again and save it with save_model or --model."
        ) from exc
    if expanded > MAX_MODEL_UNCOMPRESSED_BYTES:
        raise ModelFileError(
            f"{path} would expand to {expanded:,} bytes (a model expands to far less; at "
            f"most {MAX_MODEL_UNCOMPRESSED_BYTES:,} are allowed): refusing to read it. It "
            "is not a model arcalls wrote; fit a model again and save it."
        )


def _fitted_state_problem(model: CallPriorityModel) -> str:
    """What is wrong with a loaded model's fitted state ("" when nothing is).

    A file made only of trusted types can still have been edited: an attribute removed
    or replaced. Every fitted attribute is checked for its type and shape, then the
    model predicts one row, so that nothing fails later, in the middle of a run.
    """
    try:
        check_is_fitted(model, "pipeline_")
        for name in ("horizon_days", "C", "n_reasons", "max_iter"):
            getattr(model, name)
        needed = ("classes_", "input_", "n_features_in_", "design_columns_", "informative_")
        needed += ("calibration_",)
        missing = [a for a in (*needed, "balance_ref_") if not hasattr(model, a)]
        if missing:
            return f"no {', '.join(missing)}"
        if not isinstance(model.pipeline_, Pipeline) or [
            type(step) for _, step in model.pipeline_.steps
        ] != [StandardScaler, LogisticRegression]:
            return "pipeline_ is not a StandardScaler and a LogisticRegression"
        classes = np.asarray(model.classes_)
        if classes.shape != (2,) or (model.input_ == "snapshot" and classes.dtype != bool):
            return f"classes_ is {model.classes_!r}, not [False, True]"
        n = model.n_features_in_
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            return f"n_features_in_ is {n!r}"
        if model.input_ == "snapshot":
            if list(model.design_columns_) != list(_DESIGN_COLUMNS) or n != len(_DESIGN_COLUMNS):
                return "its design columns are not this arcalls version's"
            groups = np.asarray(model.informative_)
            if groups.shape != (len(_GROUPS),) or groups.dtype != bool:
                return "informative_ does not have one flag per reason group"
        elif model.input_ != "array":
            return f"input_ is {model.input_!r}"
        calibration = np.asarray(getattr(model, "calibration_", None), dtype="float64")
        if calibration.shape != (2,) or not np.isfinite(calibration).all() or calibration[0] <= 0:
            return "calibration_ is not a positive slope and an intercept"
        ref = model.balance_ref_
        if not isinstance(ref, float | np.floating) or not np.isfinite(ref) or ref <= 0:
            return f"balance_ref_ is {ref!r}"
        p = model.pipeline_.predict_proba(np.zeros((1, int(n))))
        if p.shape != (1, 2) or not np.isfinite(p).all():
            return "it cannot predict"
    except Exception as exc:  # noqa: BLE001 - any failure means the state is unusable
        return f"{type(exc).__name__}: {exc}"
    return ""
