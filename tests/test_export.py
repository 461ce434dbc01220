"""Exports are formula-safe and atomic."""

from __future__ import annotations

import numpy as np
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


def test_arrow_finds_the_same_risky_and_control_cells_as_the_python_patterns():
    # Arrow's RE2 has no look-arounds: its patterns are rewritten, and must agree with
    # the Python ones cell for cell, on cells built from every character that matters.
    from arcalls import _export

    rng = np.random.default_rng(7)
    alphabet = list("ab =+-@\t\r,;|'\x00\x07é\n")
    cells = ["".join(rng.choice(alphabet, size=rng.integers(0, 8))) for _ in range(20_000)]
    for values in (pd.Series([*cells, None]), pd.Series([*cells, None], dtype="string[pyarrow]")):
        python = values.astype("string").str.contains(_export._HAS_RISKY).fillna(False)
        arrow = _export._arrow_matches(values, _export._HAS_RISKY_RE2)
        assert arrow is not None and 5_000 < arrow.sum() < 15_000
        assert (arrow == python.to_numpy(dtype=bool)).all()
        python = values.str.contains(_export.CSV_CONTROL, na=False).to_numpy(dtype=bool)
        arrow = _export._arrow_matches(values, _export.CSV_CONTROL.pattern)
        assert arrow.sum() > 1_000 and (arrow == python).all()
    # Not all text: the Python patterns, cell by cell.
    assert _export._arrow_matches(pd.Series(["=1", 3]), _export._HAS_RISKY_RE2) is None
    assert _export.neutralize_text(pd.Series(["=1", 3])).tolist() == ["'=1", 3]


@pytest.mark.parametrize("na_rep", [None, "NA"])
def test_floats_written_by_numpy_are_the_bytes_pandas_writes(tmp_path, na_rep):
    from arcalls._export import write_csvs

    frame = pd.DataFrame(
        {
            "amount": [1234.5, -0.0, np.nan, np.inf, -1e17, 0.005, 2.675],
            "count": [1, 2, 3, 4, 5, 6, 7],
            "name": ["a", "=b", None, "c", "d", "e", "f"],
        }
    )
    options = {"float_format": "%.2f", **({"na_rep": na_rep} if na_rep else {})}
    (path,) = write_csvs({tmp_path / "x.csv": frame}, **options)
    expected = neutralize_formulas(frame).to_csv(index=False, lineterminator="\n", **options)
    assert path.read_text() == expected
    write_csv(frame, tmp_path / "y.csv", **options)
    assert (tmp_path / "y.csv").read_text() == expected
