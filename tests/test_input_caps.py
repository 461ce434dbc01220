"""Bounded resources on load (issue 17, item 7): file and line size caps, refused early."""

from __future__ import annotations

import io as stdio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from arcalls import InputError, _parse, io

REPO = Path(__file__).resolve().parents[1]


def test_a_line_over_the_cap_is_refused_naming_its_row(tmp_path, monkeypatch):
    monkeypatch.setattr(_parse, "MAX_LINE_BYTES", 1 << 16)
    path = tmp_path / "calls.csv"
    big = "x" * (200_000)
    path.write_text(
        "call_id,customer_id,called_at,outcome,notes\n"
        "K1,C1,2026-02-10 10:00,contact,short\n"
        f'K2,C1,2026-02-11 10:00,contact,"{big}"\n'
        "K3,C1,2026-02-12 10:00,contact,short\n"
    )
    length = len(f'K2,C1,2026-02-11 10:00,contact,"{big}"')
    with pytest.raises(
        InputError, match=rf"calls\.csv, row 3: the line is {length:,} bytes long, more than"
    ) as info:
        io.load_calls(path)
    assert "ARCALLS_MAX_LINE_BYTES" in str(info.value)
    # check refuses it the same way, and a file-like source too.
    with pytest.raises(InputError, match="row 3: the line is"):
        io.check_file(path, kind="calls")
    with pytest.raises(InputError, match="row 3: the line is"):
        io.load_calls(stdio.BytesIO(path.read_bytes()))


def test_a_line_under_the_cap_is_read_and_its_long_cell_is_a_row_problem(tmp_path, monkeypatch):
    monkeypatch.setattr(_parse, "MAX_LINE_BYTES", 1 << 20)
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,customer_name\nC1," + "n" * 200_000 + "\nC2,ok\n")
    problems = io.check_file(path, kind="customers")
    assert problems["row"].tolist() == [2]
    assert problems["problem"].str.contains("cell longer than 32,767 characters").all()


def test_a_file_over_the_cap_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(_parse, "MAX_FILE_BYTES", 100)
    path = tmp_path / "invoices.csv"
    path.write_text("invoice_id,customer_id,invoice_date,due_date,amount\n" + "I,C,x,y,1\n" * 20)
    with pytest.raises(InputError, match=r"invoices\.csv is larger than 100 bytes.*MAX_FILE_BYTES"):
        io.load_invoices(path)
    with pytest.raises(InputError, match=r"is larger than 100 bytes"):
        io.load_invoices(stdio.BytesIO(path.read_bytes()))


def test_the_caps_can_be_set_from_the_environment():
    code = "from arcalls import _parse; print(_parse.MAX_FILE_BYTES, _parse.MAX_LINE_BYTES)"
    env = dict(os.environ, ARCALLS_MAX_FILE_BYTES="1234", ARCALLS_MAX_LINE_BYTES="99")
    env["PYTHONPATH"] = str(REPO / "src")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["1234", "99"]


def test_a_200_megabyte_cell_is_refused_without_a_memory_peak(tmp_path):
    """The issue's case: a 200 MB cell peaked at 3.0 GB; now refused within a small peak."""
    path = tmp_path / "calls.csv"
    with open(path, "wb") as fh:
        fh.write(b"call_id,customer_id,called_at,outcome,notes\n")
        fh.write(b'K1,C1,2026-02-10 10:00,contact,"')
        chunk = b"x" * (1 << 20)
        for _ in range(200):
            fh.write(chunk)
        fh.write(b'"\n')
    code = textwrap.dedent(
        f"""
        import resource, sys
        import arcalls
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            arcalls.load_calls({str(path)!r})
        except arcalls.InputError as exc:
            assert "row 2: the line is" in str(exc), exc
        else:
            sys.exit("loaded")
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) // 1024)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    # Megabytes the refusal added to the peak: a few windows, far from the file's 200 MB.
    assert int(out.stdout) < 64


def test_readme_states_the_caps():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert _parse.MAX_FILE_BYTES == 2 << 30 or "ARCALLS_MAX_FILE_BYTES" in os.environ
    assert _parse.MAX_LINE_BYTES == 8 << 20 or "ARCALLS_MAX_LINE_BYTES" in os.environ
    assert "a file over 2 GiB\n(`ARCALLS_MAX_FILE_BYTES` raises it), a line over 8 MiB" in readme
    assert f"a cell over {_parse.MAX_CELL_CHARS:,}\ncharacters" in readme
