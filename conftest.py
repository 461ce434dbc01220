"""Root pytest configuration: charts draw headless everywhere, doctests included."""

import os
import sys

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Every test and doctest closes the figures it drew: examples that return an Axes
    leave their figure open, and past 20 open figures matplotlib warns (an error here)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
