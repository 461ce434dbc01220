"""Shared fixtures: paths to the public data sets and a headless matplotlib."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("MPLBACKEND", "Agg")

# Fixed seeds: the property tests draw the same examples on every run, so CI cannot go red
# on a draw it never saw before. HYPOTHESIS_PROFILE=explore searches with fresh draws.
settings.register_profile("arcalls", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "arcalls"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
IBM_AR = SHARED_DATA / "ibm-accounts-receivable" / "WA_Fn-UseC_-Accounts-Receivable.csv"
LEDGER = SHARED_DATA / "udyam22-invoice-ledger" / "trainData.csv"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"public data set not found at {path} (needs ../shared/data beside the repo)")
    return path


@pytest.fixture(scope="session")
def ibm_ar_path() -> Path:
    """The IBM accounts-receivable sample, from ../shared/data."""
    return _require(IBM_AR)


@pytest.fixture(scope="session")
def ledger_path() -> Path:
    """The UDYAM'22 small-business invoice ledger, from ../shared/data."""
    return _require(LEDGER)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
