"""Runs the ``log-calls`` corpus (log_calls_cases.py) through the command line and Python."""

from __future__ import annotations

import shutil
import zipfile

import openpyxl
import pandas as pd
import pytest

import arcalls
from arcalls.calllist import call_list, write_call_list
from arcalls.cli import EXIT_ERROR, main
from arcalls.worksheet import _column_names

from .log_calls_cases import AS_OF, CASES, ID_PREFIXES, NOW


def _prefixed(tables):
    """The sample with the listed accounts' ids given formula-like prefixes."""
    top = call_list(*tables, as_of=AS_OF, top=5).calls["customer_id"].tolist()
    rename = {cid: prefix + cid for cid, prefix in zip(top, ID_PREFIXES, strict=True)}
    return type(tables)(
        *(
            t.assign(customer_id=t["customer_id"].replace(rename)) if "customer_id" in t else t
            for t in tables
        )
    ), rename


@pytest.fixture(scope="module")
def listed(tmp_path_factory):
    tables, rename = _prefixed(arcalls.load_sample())
    result = call_list(*tables, as_of=AS_OF, top=5)
    folder = tmp_path_factory.mktemp("log_calls_corpus")
    path = write_call_list(result, folder / "week.xlsx")[0]
    return path, tables, result, rename


def _damage(path, how):
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "junk":
        path.write_bytes(b"not a workbook\n")
    else:
        copy = path.with_suffix(".orig")
        path.rename(copy)
        with zipfile.ZipFile(copy) as zin, zipfile.ZipFile(path, "w") as zout:
            for item in zin.infolist():
                part = zin.read(item.filename)
                zout.writestr(item, part[: len(part) // 2] if item.filename == how else part)
        copy.unlink()


def _prepare(case, listed, folder):
    source = listed[0]
    path = shutil.copy(source, folder / "week.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Call list"]
    header = _column_names(c.value for c in ws[1])
    for (r, name), number_format in case.formats.items():
        ws.cell(row=r, column=header.index(name) + 1).number_format = number_format
    for r, values in case.fill.items():
        for name, value in values.items():
            ws.cell(row=r, column=header.index(name) + 1).value = value
    wb.save(path)
    if case.damage:
        _damage(path, case.damage)
    log = shutil.copy(arcalls.sample_path("calls"), folder / "calls.csv")
    return path, log


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_log_calls_case(case, listed, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("arcalls.worksheet._now", lambda: pd.Timestamp(NOW))
    path, log = _prepare(case, listed, tmp_path)
    before = log.read_bytes()
    code = main(["log-calls", path.name, "--calls", log.name])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if case.error is not None:
        assert code == EXIT_ERROR, err
        with pytest.raises(case.error, match=case.match) as info:
            arcalls.worksheet.read_filled_list(path, now=NOW)
        for text in case.absent:
            assert text not in str(info.value)
        assert log.read_bytes() == before
        return
    assert code == 0, err
    assert f"Added {case.logged} {'call' if case.logged == 1 else 'calls'}" in out
    loaded = arcalls.load_calls(log)
    assert len(loaded) == len(arcalls.load_calls(arcalls.sample_path("calls"))) + case.logged
    if not case.then:
        return
    wb = openpyxl.load_workbook(path)
    ws = wb["Call list"]
    header = _column_names(c.value for c in ws[1])
    for r, values in case.then.items():
        for name, value in values.items():
            ws.cell(row=r, column=header.index(name) + 1).value = value
    wb.save(path)
    monkeypatch.setattr("arcalls.worksheet._now", lambda: pd.Timestamp(NOW) + pd.Timedelta("1h"))
    assert main(["log-calls", path.name, "--calls", log.name]) == 0
    out = capsys.readouterr().out
    assert f"Added {case.replaced} {'call' if case.replaced == 1 else 'calls'}" in out
    assert f"({case.replaced} correcting an entry of the same row" in out
    corrected = arcalls.load_calls(log)
    assert len(corrected) == len(loaded)  # replaced, not duplicated
    mine = corrected[corrected["call_id"].str.endswith(tuple(f"-r{r}" for r in case.fill))]
    for r, values in case.fill.items():
        want = {**values, **case.then.get(r, {})}
        got = mine[mine["call_id"].str.endswith(f"-r{r}")]
        assert got["outcome"].tolist() == [want["outcome"]]
        assert got["called_at"].tolist() == [pd.Timestamp(want["called_at"])]
    assert main(["log-calls", path.name, "--calls", log.name]) == 0
    assert "Added 0 calls" in capsys.readouterr().out


def test_prefixed_ids_round_trip_exactly_into_next_weeks_list(listed, tmp_path):
    """The ids come back as on the list, so next week's list counts this week's calls."""
    case = next(c for c in CASES if c.name == "ids_with_formula_prefixes_round_trip")
    path, log = _prepare(case, listed, tmp_path)
    _, tables, result, rename = listed
    on_list = result.calls["customer_id"].tolist()
    assert set(rename.values()) <= set(on_list)  # every prefix is exercised
    calls = arcalls.worksheet.read_filled_list(path, now=NOW)
    assert sorted(calls["customer_id"]) == sorted(on_list)
    arcalls.worksheet.append_calls(calls, log, now=NOW)
    text = log.read_text(encoding="utf-8")
    # Formula-safe in the file: no cell of the new rows starts a formula...
    assert ",'-" in text and ",'=" in text and ",''=" in text
    # ...and exact once loaded: the genuine apostrophe stays, the added one goes.
    loaded = arcalls.load_calls(log)
    mine = loaded[loaded["call_id"].str.startswith("LOG-")]
    assert sorted(mine["customer_id"]) == sorted(on_list)
    assert set(mine["customer_id"]) <= set(tables.invoices["customer_id"])
    # Reading the same list twice adds nothing.
    assert len(arcalls.worksheet.append_calls(calls, log, now=NOW).added) == 0


def test_the_readme_quotes_the_limits_log_calls_applies():
    from pathlib import Path

    from arcalls._parse import MAX_ABS_AMOUNT

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    loop = readme.split("### The weekly loop", 1)[1].split("\n## ", 1)[0]
    assert f"an amount of {MAX_ABS_AMOUNT:,.0f} or more" in loop
    # 46328 is 2026-11-02 as Excel counts days (from 1899-12-30), as the corpus expects.
    assert (pd.Timestamp("2026-11-02") - pd.Timestamp("1899-12-30")).days == 46328
    assert "`46328`" in loop and "is not a readable arcalls call list" in loop
