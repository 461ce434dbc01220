"""The public surface: every name in __all__ resolves, and importing stays light."""

from __future__ import annotations

import subprocess
import sys

import arcalls


def test_every_public_name_resolves_once():
    assert len(arcalls.__all__) == len(set(arcalls.__all__))
    missing = [name for name in arcalls.__all__ if not hasattr(arcalls, name)]
    assert missing == []


def test_the_lazy_ranking_names_are_exactly_the_ranking_module_names():
    from arcalls import ranking

    assert sorted(arcalls._LAZY_RANKING) == sorted(ranking.__all__)
    assert arcalls.ranking is ranking
    assert arcalls.CallPriorityModel is ranking.CallPriorityModel


def test_import_does_not_pull_in_scikit_learn():
    # scikit-learn costs about two seconds to import; commands that do not rank
    # (check, aging, recovery, promises) should not pay for it.
    code = "import sys, arcalls; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_functions_named_like_their_modules_win():
    # `arcalls.aging` and `arcalls.simulate` are the functions, as the README uses them.
    assert callable(arcalls.aging) and arcalls.aging.__module__ == "arcalls.aging"
    assert callable(arcalls.simulate)
