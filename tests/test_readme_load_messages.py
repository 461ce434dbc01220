"""The README's "When your file does not load" messages are the ones real runs print.

Each scenario writes a small file, runs the command in-process from the file's folder
(so the paths print as the README shows them) and asserts that every line the command
writes to stderr is in the README, word for word.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from arcalls.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
INVOICES = "invoice_id,customer_id,invoice_date,due_date,amount\n"


def _run(tmp_path, monkeypatch, capsys, argv, files):
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(argv) == 2
    return capsys.readouterr().err.splitlines()


SCENARIOS = {
    "settlement_without_date": (
        [
            "aging",
            "--invoices",
            "invoices.csv",
            "--columns",
            json.dumps(
                {
                    "id": "invoice_id",
                    "cust": "customer_id",
                    "inv": "invoice_date",
                    "due": "due_date",
                    "amt": "amount",
                    "settled": "amount_paid",
                }
            ),
        ],
        {
            "invoices.csv": "id,cust,inv,due,amt,settled,days\n"
            "A1,C,2026-01-05,2026-02-04,100.00,100.00,10\n"
        },
    ),
    "decimal_comma": (
        ["aging", "--invoices", "invoices.csv"],
        {
            "invoices.csv": INVOICES + 'A1,C,2026-01-05,2026-02-04,"€12,00"\n'
            'A2,C,2026-01-05,2026-02-04,"1,234.50"\n'
        },
    ),
    "unknown_invoice": (
        ["aging", "--invoices", "invoices.csv", "--payments", "payments.csv"],
        {
            "invoices.csv": INVOICES + "A1,C,2026-01-05,2026-02-04,100.00\n",
            "payments.csv": "payment_id,invoice_id,payment_date,amount\n"
            "P1,A1,2026-02-01,50.00\nP2,A9,2026-02-02,10.00\n",
        },
    ),
    "customers": (
        ["aging", "--invoices", "invoices.csv", "--customers", "customers.csv"],
        {
            "invoices.csv": INVOICES + "A1,C1,2026-01-05,2026-02-04,100.00\n",
            "customers.csv": "customer_id,customer_name,timezone\n"
            'C1,"Evil\x1b]0;x\x07 Corp",America/New_York\nC2,Beta,Factory\n',
        },
    ),
    "impossible_time": (
        ["aging", "--invoices", "invoices.csv", "--calls", "calls.csv"],
        {
            "invoices.csv": INVOICES + "A1,C,2026-01-05,2026-02-04,100.00\n",
            "calls.csv": "call_id,customer_id,called_at,outcome\nK1,C,2026-01-05 25:30,no_answer\n",
        },
    ),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_readme_shows_the_message(name, tmp_path, monkeypatch, capsys):
    argv, files = SCENARIOS[name]
    lines = _run(tmp_path, monkeypatch, capsys, argv, files)
    readme = README.read_text(encoding="utf-8")
    assert lines
    for line in lines:
        assert line in readme, line


def test_readme_shows_the_day_first_hint(ibm_ar_path, tmp_path, monkeypatch, capsys):
    with open(ibm_ar_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    dates = [rows[0].index(h) for h in ("PaperlessDate", "InvoiceDate", "DueDate", "SettledDate")]
    for row in rows[1:]:
        for i in dates:
            m, d, y = row[i].split("/")
            row[i] = f"{d}/{m}/{y}"
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "ar.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    assert main(["aging", "--invoices", "ar.csv", "--preset", "ibm_ar"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line in README.read_text(encoding="utf-8")


def test_readme_counts_the_corpus():
    import re

    from adversarial.cases import CASES

    count = len({c.file for c in CASES})
    text = " ".join(README.read_text(encoding="utf-8").split())
    found = re.search(r"The corpus of (\d+) broken and hostile files", text)
    assert found is not None and int(found.group(1)) == count
