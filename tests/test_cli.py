"""The command-line frame: input naming, error paragraphs, exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from arcalls import InputError
from arcalls.cli import EXIT_ERROR, build_parser, main
from arcalls.cli._common import _columns_mapping, add_input_arguments, input_paths


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_input_arguments(parser)
    return parser.parse_args(list(argv))


def test_kinds_are_read_from_file_names(tmp_path):
    for name in ("Invoices_2026.csv", "payments.csv", "call_log.csv", "customers.csv"):
        (tmp_path / name).write_text("x\n")
    paths = input_paths(_args(str(tmp_path)))
    assert {k: p.name for k, p in paths.items()} == {
        "invoices": "Invoices_2026.csv",
        "payments": "payments.csv",
        "calls": "call_log.csv",
        "customers": "customers.csv",
    }


def test_explicit_options_win_over_names(tmp_path):
    paths = input_paths(_args(str(tmp_path / "invoices.csv"), "--invoices", "other.csv"))
    assert paths["invoices"] == Path("other.csv")


def test_an_unnamed_file_among_others_is_refused_with_the_fix():
    with pytest.raises(InputError, match="--invoices/--payments/--calls/--customers"):
        input_paths(_args("export.csv", "payments.csv"))


def test_a_single_unnamed_file_is_the_invoices_or_the_presets_table():
    # As with --preset, so with --columns: one file whose name says nothing.
    assert input_paths(_args("export.csv")) == {"invoices": Path("export.csv")}
    columns = _args("export.csv", "--columns", '{"Vendor": "customer_id"}')
    assert input_paths(columns) == {"invoices": Path("export.csv")}
    assert input_paths(_args("export.csv", "--preset", "ibm_ar")) == {
        "invoices": Path("export.csv")
    }


def test_files_without_invoices_are_refused():
    with pytest.raises(InputError, match="No invoices file"):
        input_paths(_args("payments.csv"))


def test_columns_mapping_from_json_text_and_file(tmp_path):
    assert _columns_mapping('{"Vendor": "customer_id"}') == {"Vendor": "customer_id"}
    f = tmp_path / "map.json"
    f.write_text('{"Num": "invoice_id"}')
    assert _columns_mapping(str(f)) == {"Num": "invoice_id"}
    with pytest.raises(InputError, match="JSON object"):
        _columns_mapping("{not json")


def test_every_command_is_registered_with_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sub.choices, "no sub-commands discovered"
    for name, command in sub.choices.items():
        assert command.description, f"command {name} has no help text"


def test_bad_input_is_one_paragraph_and_exit_2(tmp_path, capsys):
    code = main(["aging", "--invoices", str(tmp_path / "missing.csv")])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert "missing.csv" in err
    assert "Traceback" not in err
