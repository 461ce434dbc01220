"""Issue 17.2: no command writes over one of its inputs, or one output over another.

Each refusal happens before any work, exits 2 with one paragraph naming both paths, and
leaves the input byte for byte as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import arcalls
from arcalls._export import check_outputs
from arcalls.cli import EXIT_ERROR, main
from arcalls.errors import OutputError


@pytest.fixture()
def data(tmp_path, monkeypatch) -> Path:
    """The bundled sample's four files in a fresh folder, which is the current folder."""
    monkeypatch.chdir(tmp_path)
    for kind in ("invoices", "payments", "calls", "customers"):
        shutil.copy(arcalls.sample_path(kind), tmp_path / f"{kind}.csv")
    return tmp_path


def _refused(argv, protected: Path, capsys, *, names=()) -> str:
    before = protected.read_bytes()
    code = main(argv)
    err = capsys.readouterr().err
    assert code == EXIT_ERROR, err
    assert "Traceback" not in err
    assert protected.read_bytes() == before
    for name in names:
        assert name in err
    return err


def _inputs(folder: Path) -> list[str]:
    return [f"--{k}={folder / f'{k}.csv'}" for k in ("invoices", "payments", "calls", "customers")]


def test_aging_out_equal_to_the_invoices_is_refused(data, capsys):
    err = _refused(
        ["aging", *_inputs(data), "--out", "invoices.csv"],
        data / "invoices.csv",
        capsys,
        names=["invoices.csv"],
    )
    assert "is the input" in err and "--out" in err


def test_aging_out_through_dotdot_relative_path_and_folder_input(data, capsys):
    (data / "sub").mkdir()
    _refused(["aging", ".", "--out", "sub/../payments.csv"], data / "payments.csv", capsys)
    _refused(
        ["aging", str(data), "--out", str(data / "sub" / ".." / "customers.csv")],
        data / "customers.csv",
        capsys,
    )


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_aging_out_through_a_symlink_is_refused(data, capsys):
    (data / "link.csv").symlink_to(data / "invoices.csv")
    _refused(
        ["aging", *_inputs(data), "--out", "link.csv"],
        data / "invoices.csv",
        capsys,
        names=["link.csv", "invoices.csv"],
    )
    # A symlinked folder too.
    (data / "alias").symlink_to(data, target_is_directory=True)
    _refused(["aging", *_inputs(data), "--out", "alias/calls.csv"], data / "calls.csv", capsys)


def test_a_different_output_is_written(data, capsys):
    assert main(["aging", *_inputs(data), "--out", "aging.csv"]) == 0
    assert (data / "aging.csv").stat().st_size > 0


def test_call_list_out_equal_to_an_input_is_refused(data, capsys):
    _refused(["call-list", *_inputs(data), "--out", "invoices.csv"], data / "invoices.csv", capsys)
    # The call log given as the output of another command.
    _refused(["call-list", *_inputs(data), "--out", "./calls.csv"], data / "calls.csv", capsys)


def test_call_list_excluded_file_landing_on_an_input_is_refused(data, capsys):
    shutil.move(data / "customers.csv", data / "week_excluded.csv")
    argv = ["call-list", "--invoices", "invoices.csv", "--payments", "payments.csv"]
    err = _refused(
        [*argv, "--customers", "week_excluded.csv", "--out", "week.csv"],
        data / "week_excluded.csv",
        capsys,
        names=["week_excluded.csv"],
    )
    assert "is the input" in err


def test_call_list_model_saved_over_the_list_or_an_input_is_refused(data, capsys):
    err = _refused(
        ["call-list", *_inputs(data), "--out", "week.csv", "--model", "week_excluded.csv"],
        data / "invoices.csv",
        capsys,
        names=["week_excluded.csv"],
    )
    assert "are the same file" in err
    assert not (data / "week.csv").exists()
    # An existing --model is read, so the list may not be written over it either.
    (data / "model.skops").write_bytes(b"not really a model")
    _refused(
        ["call-list", *_inputs(data), "--out", "model.xlsx", "--model", "model.skops"],
        data / "model.skops",
        capsys,
    )


def test_call_list_columns_file_is_an_input(data, capsys):
    (data / "map.json").write_text("{}", encoding="utf-8")
    _refused(
        ["call-list", *_inputs(data), "--columns", "map.json", "--out", "map.json"],
        data / "map.json",
        capsys,
    )


def test_log_calls_log_equal_to_the_filled_list_is_refused(data, capsys):
    argv = ["call-list", *_inputs(data), "--out", "week.xlsx", "--top", "3"]
    assert main([*argv, "--handoff-age", "none"]) == 0
    capsys.readouterr()
    err = _refused(
        ["log-calls", "week.xlsx", "--calls", "./week.xlsx"],
        data / "week.xlsx",
        capsys,
        names=["week.xlsx"],
    )
    assert "(--calls)" in err
    (data / "map.json").write_text("{}", encoding="utf-8")
    _refused(
        ["log-calls", "week.xlsx", "--calls", "map.json", "--columns", "map.json"],
        data / "map.json",
        capsys,
    )


def test_recovery_output_folder_holding_an_input_is_refused(data, capsys):
    shutil.move(data / "invoices.csv", data / "handoff.csv")
    _refused(
        ["recovery", "--invoices", "handoff.csv", "--out", "."],
        data / "handoff.csv",
        capsys,
        names=["handoff.csv"],
    )


def test_promises_output_folder_holding_an_input_is_refused(data, capsys):
    (data / "out").mkdir()
    shutil.move(data / "calls.csv", data / "out" / "outcome_funnel.csv")
    _refused(
        [
            "promises",
            "--invoices",
            "invoices.csv",
            "--payments",
            "payments.csv",
            "--calls",
            "out/outcome_funnel.csv",
            "--out",
            "out",
        ],
        data / "out" / "outcome_funnel.csv",
        capsys,
    )


def test_report_output_folder_holding_an_input_is_refused(data, capsys):
    (data / "rep").mkdir()
    shutil.move(data / "invoices.csv", data / "rep" / "report.html")
    _refused(
        ["report", "--invoices", "rep/report.html", "--out", "rep"],
        data / "rep" / "report.html",
        capsys,
        names=["report.html"],
    )
    (data / "rep" / "chart.png").write_bytes(b"png")
    _refused(
        ["report", "--invoices", "payments.csv", "--calls", "rep/chart.png", "--out", "rep"],
        data / "rep" / "chart.png",
        capsys,
    )


def test_case_is_compared_on_a_case_insensitive_filesystem(tmp_path, monkeypatch):
    # Where neither file exists yet, names are compared as the filesystem would: on
    # Windows and macOS os.path.normcase folds case.
    monkeypatch.setattr(os.path, "normcase", str.lower)
    with pytest.raises(OutputError, match="are the same file"):
        check_outputs([], [tmp_path / "List.csv", tmp_path / "list.CSV"])
    with pytest.raises(OutputError, match="is the input"):
        check_outputs([tmp_path / "INVOICES.csv"], [tmp_path / "invoices.csv"])


def test_existing_files_are_compared_by_identity(tmp_path):
    (tmp_path / "a.csv").write_text("x")
    os.link(tmp_path / "a.csv", tmp_path / "b.csv")  # a hard link: another name, one file
    with pytest.raises(OutputError, match="a.csv"):
        check_outputs([tmp_path / "a.csv"], [tmp_path / "b.csv"])
    check_outputs([tmp_path / "a.csv"], [tmp_path / "c.csv", None])
