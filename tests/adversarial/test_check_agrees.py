"""`arcalls check` and the loaders agree on every corpus file (issue 16, item 2).

check says a file is clean exactly when the loader loads every one of its rows; it
refuses a file exactly when the loader refuses it (a table-level problem).
"""

from __future__ import annotations

import warnings

import pytest

import arcalls
from arcalls import io

from .cases import CASES, FILES, Case


def _outcomes(case: Case):
    options = {"preset": case.preset, **case.options}
    if case.invoices_file is not None:
        options["invoices"] = io.load_invoices(FILES / case.invoices_file)
    try:
        problems = io.check_file(FILES / case.file, kind=case.kind, **options)
        checked = "clean" if not len(problems) else "problems"
    except arcalls.ArcallsError:
        checked = "refused"
    loader = getattr(arcalls, f"load_{case.kind}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", arcalls.RowsSetAsideWarning)
            frame = loader(FILES / case.file, on_bad_rows="skip", **options)
        report = arcalls.load_report(frame)
        loaded = "clean" if report.rows_loaded == report.rows_in else "problems"
    except arcalls.ArcallsError:
        loaded = "refused"
    return checked, loaded


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_check_and_loader_agree(case):
    checked, loaded = _outcomes(case)
    assert checked == loaded
