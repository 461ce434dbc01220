"""``arcalls call-list`` on the bundled sample: files, printout, model file, errors."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from arcalls.calllist import CALL_COLUMNS, EXCLUDED_COLUMNS
from arcalls.cli import EXIT_ERROR, main


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The command run four times on the sample: twice plain, then saving and loading
    a model file. Each run's files and printout are kept."""
    out = {}
    model = tmp_path_factory.mktemp("model") / "model.skops"
    for name, extra in (
        ("first", []),
        ("second", []),
        ("save", ["--model", str(model)]),
        ("load", ["--model", str(model)]),
    ):
        folder = tmp_path_factory.mktemp(name)
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(folder)
            capture = _Capture()
            mp.setattr("sys.stdout", capture)
            code = main(["call-list", *extra])
        out[name] = {
            "code": code,
            "stdout": capture.text,
            "csv": (folder / "call_list.csv").read_bytes(),
            "excluded": (folder / "call_list_excluded.csv").read_bytes(),
            "folder": folder,
        }
    out["model"] = model
    return out


class _Capture:
    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    @property
    def text(self) -> str:
        return "".join(self.parts)


def test_no_arguments_writes_both_files_here_and_prints_the_top(runs):
    run = runs["first"]
    assert run["code"] == 0
    lines = run["stdout"].splitlines()
    assert lines[0].startswith("Call list as of ")
    assert any(line.startswith("Wrote call_list.csv (") for line in lines)
    assert any(line.startswith("Wrote call_list_excluded.csv (") for line in lines)
    assert "expected dollars of the list USD " in run["stdout"]
    listed = pd.read_csv(run["folder"] / "call_list.csv", dtype=str)
    excluded = pd.read_csv(run["folder"] / "call_list_excluded.csv", dtype=str)
    assert tuple(listed.columns) == CALL_COLUMNS
    assert tuple(excluded.columns) == EXCLUDED_COLUMNS
    assert listed["rank"].tolist() == [str(i) for i in range(1, len(listed) + 1)]
    # The printout names the list's first account and the counts agree with the files.
    first_name = listed["customer_name"].iloc[0][:24]
    assert first_name in run["stdout"]
    assert f"{len(listed)} accounts to call, {len(excluded)} excluded" in run["stdout"]
    assert listed["reasons"].notna().all()


def test_same_inputs_give_the_same_bytes_with_or_without_a_model_file(runs):
    for name in ("second", "save", "load"):
        assert runs[name]["csv"] == runs["first"]["csv"], name
        assert runs[name]["excluded"] == runs["first"]["excluded"], name


def test_model_file_is_saved_then_loaded(runs):
    assert runs["model"].exists()
    assert "saved" in runs["save"]["stdout"]
    assert f"Loaded the model from {runs['model']}" in runs["load"]["stdout"]


def test_a_file_arcalls_did_not_write_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    bogus = tmp_path / "model.skops"
    bogus.write_bytes(b"not a model at all")
    assert main(["call-list", "--model", str(bogus)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("arcalls call-list: ")
    assert "Traceback" not in err
    assert not (tmp_path / "call_list.csv").exists()


def test_excel_output_with_top(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(
        ["call-list", "--out", "week.xlsx", "--top", "5", "--handoff-age", "none", "--consumer"]
    )
    assert code == 0
    stdout = capsys.readouterr().out
    assert "Wrote week.xlsx (sheets 'Call list': 5 accounts" in stdout
    assert "Agency handoff" not in stdout
    wb = openpyxl.load_workbook(tmp_path / "week.xlsx")
    assert wb.sheetnames == ["Call list", "Excluded"]
    assert wb["Call list"].max_row == 6  # header + 5
    times = [c.value for c in wb["Call list"]["D"][1:]]  # column D: "Best time to call"
    assert wb["Call list"]["D1"].value == "Best time to call"
    # Consumer mode: every best time lies within 08:00-21:00 local.
    for text in times:
        start, end = (int(part[:2]) for part in text.split("-"))
        assert 8 <= start < end <= 21


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--top", "0"], "--top must be a positive number of accounts, got 0"),
        (["--out", "list.txt"], r"must end in .csv or .xlsx"),
        (["--out", "missing/list.csv"], "does not exist"),
    ],
)
def test_bad_options_are_one_paragraph_with_exit_2(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["call-list", "--handoff-age", "none", *argv]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_bad_handoff_age_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit):
        main(["call-list", "--handoff-age", "soon"])
    assert "expected a number of days, 'none' or 'auto'" in capsys.readouterr().err


def test_the_printout_quotes_the_files_actions_and_handoff_count(runs):
    """The handoff line counts the CSV's own flags; the printed actions are the CSV's."""
    import io
    import re

    run = runs["first"]
    listed = pd.read_csv(io.BytesIO(run["csv"]), dtype={"customer_id": str})
    flagged = int(listed["handoff_suggested"].astype(bool).sum())
    line = re.search(r"Agency handoff: (\d+) listed accounts? gains? ", run["stdout"])
    assert line is not None and int(line.group(1)) == flagged
    assert "suggested from" not in run["stdout"]
    header = next(r for r in run["stdout"].splitlines() if r.lstrip().startswith("#"))
    start = header.index("action")
    lines = run["stdout"].splitlines()
    # Each row is followed by its reason ("why: ...", wrapped on a terminal); the action
    # column reads left-aligned under its header.
    table = lines[lines.index(header) + 1 :][:20]
    rows = [r for r in table if not r.startswith("     why: ")]
    reasons = [r.removeprefix("     why: ") for r in table if r.startswith("     why: ")]
    for i, action in enumerate(listed["action"].head(10)):
        cell = rows[i][start : start + len(action) + 1]
        assert cell.rstrip() == action, (i, cell, action)
        # The reason is printed whole, never cut inside a word.
        assert reasons[i] == listed["reasons"].iloc[i], i


# --- the call log's columns the list never reads ----------------------------------------


def test_the_list_is_the_same_without_the_columns_it_never_reads():
    import arcalls
    from arcalls.calllist import _UNREAD_CALL_COLUMNS, call_list

    s = arcalls.load_sample()
    # The sample fills them in, so that leaving them out could change something.
    assert all(s.calls[c].notna().any() for c in _UNREAD_CALL_COLUMNS)
    as_of = s.calls["called_at"].max().normalize()
    model = arcalls.fit_call_priority_model(*s, as_of=as_of, weeks=8)
    full = call_list(*s, as_of=as_of, model=model)
    lean = call_list(
        s.invoices,
        s.payments,
        s.calls.drop(columns=list(_UNREAD_CALL_COLUMNS)),
        s.customers,
        as_of=as_of,
        model=model,
    )
    pd.testing.assert_frame_equal(lean.calls, full.calls)
    pd.testing.assert_frame_equal(lean.excluded, full.excluded)
    assert len(full.calls) > 0


@pytest.mark.parametrize(
    ("extra", "dropped"),
    [([], True), (["--out", "list.xlsx"], True), (["--out", "list.xlsx", "--call-sheets"], False)],
)
def test_the_command_lets_them_go_unless_it_makes_call_sheets(
    tmp_path, monkeypatch, capsys, extra, dropped
):
    import arcalls
    from arcalls import calllist
    from arcalls.calllist import _UNREAD_CALL_COLUMNS

    seen = {}
    original = calllist.call_list

    def spy(invoices, payments, calls, customers, **kwargs):
        seen["columns"] = list(calls.columns)
        seen["rows"] = len(calls)
        seen["report"] = calls.attrs.get("load_report")
        return original(invoices, payments, calls, customers, **kwargs)

    monkeypatch.setattr(calllist, "call_list", spy)
    monkeypatch.chdir(tmp_path)
    assert main(["call-list", *extra]) == 0
    capsys.readouterr()
    loaded = arcalls.load_sample().calls
    assert seen["rows"] == len(loaded)
    # The load report goes with the table (what was read, what was set aside).
    assert seen["report"].rows_loaded == loaded.attrs["load_report"].rows_loaded == len(loaded)
    kept = [c for c in loaded.columns if c not in _UNREAD_CALL_COLUMNS]
    assert seen["columns"] == (kept if dropped else list(loaded.columns))
