"""The default as-of date: the files' export date, never one outlier far beyond the rest."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

import arcalls
from arcalls import InputError
from arcalls.cli import EXIT_ERROR, main
from arcalls.cli._common import OUTLIER_GAP_DAYS, add_input_arguments, resolve_as_of


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_input_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture()
def sample_2099(tmp_path):
    """The sample with one call moved to 2099-01-01 09:00."""
    s = arcalls.load_sample()
    calls = s.calls.copy()
    calls.loc[calls.index[5], "called_at"] = pd.Timestamp("2099-01-01 09:00")
    for name, frame in zip(("invoices", "payments", "customers"), (s[0], s[1], s[3]), strict=True):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    calls.to_csv(tmp_path / "calls.csv", index=False, date_format="%Y-%m-%d %H:%M")
    return tmp_path, str(calls["call_id"].iloc[5])


def test_one_call_in_2099_does_not_set_the_as_of_date(sample_2099, capsys):
    folder, call_id = sample_2099
    code = main(["call-list", str(folder), "--out", str(folder / "list.csv")])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert f"calls.csv, call_id {call_id!r}, column 'called_at': 2099-01-01" in err
    assert "after the next latest date in the files, 2026-10-31" in err
    assert "--as-of YYYY-MM-DD" in err
    assert not (folder / "list.csv").exists()


def test_with_as_of_the_same_files_run(sample_2099, capsys):
    folder, _ = sample_2099
    code = main(["aging", str(folder), "--as-of", "2026-10-31", "--top", "1"])
    assert code == 0, capsys.readouterr().err


def test_the_sample_default_is_its_export_date():
    assert resolve_as_of(_args(), arcalls.load_sample()) == arcalls.SAMPLE_AS_OF


def test_a_gap_just_under_the_limit_is_the_export_date():
    s = arcalls.load_sample()
    last = s.invoices["invoice_date"].max()
    latest = max(last, s.payments["payment_date"].max(), s.calls["called_at"].max().normalize())
    late = latest + pd.Timedelta(days=OUTLIER_GAP_DAYS)
    inv = s.invoices.copy()
    inv.loc[inv.index[0], "invoice_date"] = late
    assert resolve_as_of(_args(), s._replace(invoices=inv)) == late
    inv.loc[inv.index[0], "invoice_date"] = late + pd.Timedelta(days=1)
    with pytest.raises(InputError, match=r"invoices(\.csv)?, invoice_id .INV-000001."):
        resolve_as_of(_args(), s._replace(invoices=inv))
