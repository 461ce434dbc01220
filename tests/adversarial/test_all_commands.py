"""Exit 3 is a bug by definition: no command ends in one on any corpus file (issue 17, item 8).

Every file of the adversarial corpus is given, strictly and with ``--lenient``, to every
command that reads input, with CSV, Excel and HTML outputs. A command may succeed (0), find
problems (1, ``check``) or refuse the input with a clear message (2); it must never end in
exit 3 ("unexpected error") or print a traceback.

A corpus file is one table. An invoice file is given alone; any other table joins the
bundled sample cut to a few customers (its ids rarely match, so those runs also exercise
the orphan checks). ``log-calls`` reads a filled-in workbook, not an export: its own
corpus is ``log_calls_cases.py``. Commands run in-process through
:func:`arcalls.cli.main`, so the whole corpus stays fast enough for every CI run. Two
economies keep the code paths and cut the time: a file that ``check`` finds clean is
run once (strict and lenient read the same rows), and the bootstraps run
10 resamples instead of 200 (the band is computed the same way, from fewer draws).
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

import arcalls
from arcalls import recovery
from arcalls.cli import EXIT_BUG, main

from .cases import CASES, FILES, Case

#: Customers kept from the bundled sample for the tables a case does not provide.
BACKGROUND_CUSTOMERS = 8
#: Bootstrap resamples in these runs (the default is 200).
RESAMPLES = 10


@pytest.fixture(autouse=True)
def few_resamples(monkeypatch):
    """Every function of :mod:`arcalls.recovery` that bootstraps draws fewer resamples."""
    for name in dir(recovery):
        defaults = getattr(getattr(recovery, name), "__kwdefaults__", None) or {}
        if defaults.get("n_boot") == recovery.DEFAULT_N_BOOT:
            monkeypatch.setitem(defaults, "n_boot", RESAMPLES)


@pytest.fixture(scope="module")
def background(tmp_path_factory):
    """The sample cut to a few customers, one CSV per table."""
    folder = tmp_path_factory.mktemp("background")
    sample = arcalls.load_sample()
    keep = sample.invoices["customer_id"].drop_duplicates().head(BACKGROUND_CUSTOMERS)
    invoices = sample.invoices[sample.invoices["customer_id"].isin(keep)]
    tables = {
        "invoices": invoices,
        "payments": sample.payments[sample.payments["invoice_id"].isin(invoices["invoice_id"])],
        "calls": sample.calls[sample.calls["customer_id"].isin(keep)],
        "customers": sample.customers[sample.customers["customer_id"].isin(keep)],
    }
    paths = {}
    for kind, frame in tables.items():
        paths[kind] = folder / f"{kind}.csv"
        frame.to_csv(paths[kind], index=False)
    return paths


def _input_args(case: Case, background: dict) -> list[str]:
    # An invoice file stands alone (the background's payments and calls would only be
    # orphans of it); any other table joins the background's invoices and the rest.
    paths = {} if case.kind == "invoices" else dict(background)
    paths[case.kind] = FILES / case.file
    if case.invoices_file is not None:
        paths["invoices"] = FILES / case.invoices_file
    args = []
    for kind, path in paths.items():
        args += [f"--{kind}", str(path)]
    if case.preset is not None:
        args += ["--preset", case.preset]
    options = case.options
    if options.get("dayfirst"):
        args.append("--dayfirst")
    if "columns" in options:
        args += ["--columns", json.dumps(options["columns"])]
    if options.get("make_ids"):
        args.append("--make-ids")
    return args


def _commands(out) -> dict[str, list[str]]:
    return {
        "aging": ["aging", "--out", str(out / "aging.csv")],
        "recovery": ["recovery", "--out", str(out / "recovery")],
        "promises": ["promises", "--out", str(out / "promises")],
        "call-list.csv": ["call-list", "--out", str(out / "list.csv")],
        "call-list.xlsx": ["call-list", "--out", str(out / "list.xlsx"), "--call-sheets"],
        "call-list.html": ["call-list", "--out", str(out / "sheets.html")],
        "statements": ["statements", "--out", str(out / "statements")],
        "report": ["report", "--out", str(out / "report"), "--backtest-weeks", "2"],
        "follow-ups": ["follow-ups", "--out", str(out / "follow_ups")],
    }


def test_every_command_is_run_over_the_corpus(tmp_path):
    """A command added later is added here too (``check`` runs first on every file;
    ``log-calls`` has its own corpus)."""
    import argparse

    from arcalls.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    run_here = {argv[0] for argv in _commands(tmp_path).values()}
    assert run_here | {"check", "log-calls"} == set(sub.choices)


def _run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _assert_no_bug(code: int, text: str, argv: list[str]) -> None:
    shown = " ".join(argv)
    assert code != EXIT_BUG, f"exit 3 from `arcalls {shown}`:\n{text[-2000:]}"
    assert "Traceback" not in text, f"a traceback from `arcalls {shown}`:\n{text[-2000:]}"
    assert code in (0, 1, 2), f"exit {code} from `arcalls {shown}`"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_no_command_ends_in_exit_3(case, background, tmp_path, capsys):
    inputs = _input_args(case, background)
    before = hashlib.sha256((FILES / case.file).read_bytes()).hexdigest()
    check = ["check", str(FILES / case.file), "--kind", case.kind]
    if case.preset is not None:
        check += ["--preset", case.preset]
    checked, text = _run(check, capsys)
    _assert_no_bug(checked, text, check)
    # A clean file reads the same rows either way: run it once.
    modes = ("lenient",) if checked == 0 else ("strict", "lenient")
    for mode in modes:
        out = tmp_path / mode
        out.mkdir()
        for command in _commands(out).values():
            argv = command + inputs + (["--lenient"] if mode == "lenient" else [])
            _assert_no_bug(*_run(argv, capsys), argv)
    # The corpus file itself is never touched.
    assert hashlib.sha256((FILES / case.file).read_bytes()).hexdigest() == before


def test_commands_see_the_background(background):
    """The background book is a real one: the commands above are not all refusing it."""
    invoices = pd.read_csv(background["invoices"])
    assert invoices["customer_id"].nunique() == BACKGROUND_CUSTOMERS
    code = main(["aging"] + [a for k, p in background.items() for a in (f"--{k}", str(p))])
    assert code == 0
