"""Exports are formula-safe and atomic."""

from __future__ import annotations

import pandas as pd
import pytest

from arcalls import OutputError
from arcalls._export import atomic_path, neutralize_formulas, write_csv


def test_formula_cells_become_text_but_numbers_stay_numbers():
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "Acme"],
            "amount": [-1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    out = neutralize_formulas(frame)
    assert out["name"].tolist() == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "Acme",
    ]
    assert out["amount"].tolist() == frame["amount"].tolist()
    # The input is untouched.
    assert frame.loc[0, "name"].startswith("=")


def test_string_dtype_and_missing_values_are_handled():
    frame = pd.DataFrame({"name": pd.array(["=1", None, "ok"], dtype="string")})
    out = neutralize_formulas(frame)
    assert out["name"].iloc[0] == "'=1"
    assert pd.isna(out["name"].iloc[1])


def test_write_csv_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "list.csv"
    write_csv(pd.DataFrame({"a": [1]}), target)
    before = target.read_bytes()

    def explode(self, path, **kwargs):
        with open(path, "w") as fh:
            fh.write("half a fi")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", explode)
    with pytest.raises(OutputError, match="disk full"):
        write_csv(pd.DataFrame({"a": [2]}), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["list.csv"]


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        with atomic_path(tmp_path / "nope" / "x.csv"):
            pass


def test_outputs_get_the_usual_permissions_not_owner_only(tmp_path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        target = write_csv(pd.DataFrame({"a": [1]}), tmp_path / "list.csv")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
