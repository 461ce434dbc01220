"""Written confirmations after the calls (issue 19 part 4), on a hand-worked book."""

from __future__ import annotations

import email
import email.policy

import numpy as np
import pandas as pd
import pytest

import arcalls
from arcalls import InputError, OutputError
from arcalls.cli import main
from arcalls.followups import EML_FOLDER, LETTER_COLUMNS, NO_EMAIL, follow_ups, write_follow_ups

AS_OF = pd.Timestamp("2026-11-06")  # a Friday; the window starts Monday 2026-11-02


def frame(rows, columns, types):
    return pd.DataFrame(rows, columns=columns).astype(types)


# Worked by hand, as of Fri 2026-11-06:
#  A: I1 1,000.00 due 10-01 less 400.00 paid 10-15 -> 600.00 open, 36 days past due;
#     I2 250.50 due 11-20, not yet due; credit CN1 -50.25. Total due 800.25.
#     A payment of 100.00 on I1 dated 11-08 is after the as-of date: not known.
#     Fee policy fee:25 -> 25.00 on I1 only (I2 not yet due, credits bear none).
#  B: I3 300.00 due 10-15 -> 300.00, 22 days past due, 25.00 fee; no email.
#  C: reached only its voicemail this week -> no confirmation.
#  D: a promise last week (10-30), before the window -> nothing.
INVOICES = frame(
    [
        ("I1", "A", "2026-09-01", "2026-10-01", 1000.00),
        ("I2", "A", "2026-10-21", "2026-11-20", 250.50),
        ("CN1", "A", "2026-10-05", "2026-10-05", -50.25),
        ("I3", "B", "2026-09-15", "2026-10-15", 300.00),
        ("I4", "C", "2026-09-15", "2026-10-15", 90.00),
        ("I5", "D", "2026-09-15", "2026-10-15", 80.00),
    ],
    ["invoice_id", "customer_id", "invoice_date", "due_date", "amount"],
    {
        "invoice_id": "string",
        "customer_id": "string",
        "invoice_date": "datetime64[ns]",
        "due_date": "datetime64[ns]",
        "amount": "float64",
    },
)
PAYMENTS = frame(
    [("P1", "I1", "2026-10-15", 400.00), ("P2", "I1", "2026-11-08", 100.00)],
    ["payment_id", "invoice_id", "payment_date", "amount"],
    {
        "payment_id": "string",
        "invoice_id": "string",
        "payment_date": "datetime64[ns]",
        "amount": "float64",
    },
)
CALL_COLUMNS = [
    "call_id",
    "customer_id",
    "called_at",
    "outcome",
    "collector",
    "promise_date",
    "promise_amount",
    "callback_at",
    "payments_contact",
    "payments_contact_title",
]
CALLS = frame(
    [
        ("K0", "A", "2026-11-02 09:00", "no_answer", "Dana", None, None, None, None, None),
        (
            "K1",
            "A",
            "2026-11-02 10:00",
            "promise",
            "Dana",
            "2026-11-09",
            600.00,
            "2026-11-10 14:00",
            "Jane Roe",
            "Accounts payable",
        ),
        ("K2", "B", "2026-11-03 11:00", "dispute", "Dana", None, None, None, None, None),
        ("K3", "C", "2026-11-04 12:00", "voicemail", "Dana", None, None, None, None, None),
        ("K4", "D", "2026-10-30 12:00", "promise", "Dana", "2026-11-13", 80.0, None, None, None),
        # After the as-of date: not known.
        ("K5", "A", "2026-11-07 09:00", "contact", "Dana", None, None, None, "Too Late", None),
    ],
    CALL_COLUMNS,
    {
        "call_id": "string",
        "customer_id": "string",
        "called_at": "datetime64[ns]",
        "outcome": "string",
        "collector": "string",
        "promise_date": "datetime64[ns]",
        "promise_amount": "float64",
        "callback_at": "datetime64[ns]",
        "payments_contact": "string",
        "payments_contact_title": "string",
    },
)
CUSTOMERS = frame(
    [
        ("A", "Alpha Ltd", "Sam Lee", "ap@alpha.example"),
        ("B", "Beta Ltd", None, None),
        ("C", "Gamma Co", None, "c@gamma.example"),
        ("D", "Delta Co", None, "d@delta.example"),
    ],
    ["customer_id", "customer_name", "contact_name", "email"],
    {
        "customer_id": "string",
        "customer_name": "string",
        "contact_name": "string",
        "email": "string",
    },
)


@pytest.fixture(scope="module")
def done():
    return follow_ups(
        INVOICES,
        PAYMENTS,
        CALLS,
        CUSTOMERS,
        as_of=AS_OF,
        late_charges="fee:25",
        how_to_pay="ACH to Acme Supplies, account 12345678",
        business_name="Acme Supplies",
        business_phone="555-0100",
    )


def test_who_gets_a_confirmation(done):
    assert done.since == pd.Timestamp("2026-11-02")
    assert done.letters["customer_id"].tolist() == ["A", "B"]
    assert done.letters["call_id"].tolist() == ["K1", "K2"]
    assert done.not_confirmed[["customer_id", "outcome", "reason"]].values.tolist() == [
        ["C", "voicemail", "not reached (voicemail): no confirmation"]
    ]
    assert done.letter_only.values.tolist() == [["B", "Beta Ltd", NO_EMAIL]]
    assert done.describe() == (
        "2 confirmations of the calls from 2026-11-02 to 2026-11-06: 1 by email, "
        "1 no email: letter only (B Beta Ltd); 1 customer called but not reached: "
        "no confirmation."
    )


def test_the_figures_are_the_ledgers_to_the_cent(done):
    a, b = (done.letters.set_index("customer_id").loc[c] for c in ("A", "B"))
    assert (round(a["total_due"] * 100), round(b["total_due"] * 100)) == (80025, 30000)
    assert (round(a["late_charges"] * 100), round(b["late_charges"] * 100)) == (2500, 2500)
    assert a["open_items"] == 3
    # The same totals as arcalls.aging by customer and the ledger's open amounts.
    aged = arcalls.aging(INVOICES, PAYMENTS, as_of=AS_OF, by="customer_id")
    bal = arcalls.invoice_balances(INVOICES, PAYMENTS, as_of=AS_OF)
    bal = bal[bal["is_open"]].groupby("customer_id")["open_amount"].sum()
    for cid, row in done.letters.set_index("customer_id").iterrows():
        assert round(row["total_due"] * 100) == round(aged.loc[cid, "total"] * 100)
        assert round(row["total_due"] * 100) == round(bal.loc[cid] * 100)
    charges = arcalls.late_charges(INVOICES, PAYMENTS, as_of=AS_OF, policy="fee:25")
    per = charges.groupby("customer_id")["late_charge"].sum()
    assert round(a["late_charges"] * 100) == round(per.loc["A"] * 100)


def test_the_confirmation_says_what_was_agreed(done):
    body = done.letters.set_index("customer_id").loc["A", "body"]
    for line in (
        "Dear Sam Lee,",
        "Thank you for speaking with me on Monday, November 2, 2026.",
        "You agreed to pay $600.00 by Monday, November 9, 2026.",
        "As you asked, we will call you back on Tuesday, November 10, 2026 at 14:00.",
        "We noted that payments are handled by Jane Roe (Accounts payable).",
        "- invoice I1, dated 2026-09-01, due 2026-10-01: $600.00 open (36 days past due)",
        "- credit CN1, dated 2026-10-05, due 2026-10-05: -$50.25 open (32 days past due)",
        "- invoice I2, dated 2026-10-21, due 2026-11-20: $250.50 open\n",
        "Total due on 2026-11-06: $800.25",
        "Late charges that may apply under our terms: $25.00 (not included in the total due).",
        "How to pay: ACH to Acme Supplies, account 12345678",
        "or call us at 555-0100.",
        "Kind regards,\nDana\nAcme Supplies\n555-0100",
    ):
        assert line in body, line
    assert "Too Late" not in body
    dispute = done.letters.set_index("customer_id").loc["B", "body"]
    assert "You told us you dispute part of the balance." in dispute
    assert "Dear Beta Ltd," in dispute


def test_written_files_eml_csv_and_one_page_per_customer(tmp_path, done):
    paths = write_follow_ups(done, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "follow_ups.csv",
        "follow_ups.html",
        f"{EML_FOLDER}/A.eml",
    ]
    message = email.message_from_bytes(paths[2].read_bytes(), policy=email.policy.default)
    assert message["To"] == "ap@alpha.example"
    assert message["Subject"] == "Acme Supplies: confirming our call of 2026-11-02"
    text = message.get_content()
    assert "Total due on 2026-11-06: $800.25" in text
    assert text.replace("\r\n", "\n").strip() == done.letters["body"].iloc[0].strip()

    merge = pd.read_csv(paths[0], dtype=str, keep_default_na=False)
    assert list(merge.columns) == list(LETTER_COLUMNS)
    assert merge["customer_id"].tolist() == ["A", "B"]
    assert merge["email"].tolist() == ["ap@alpha.example", ""]
    assert merge["letter_only"].tolist() == ["", NO_EMAIL]
    assert merge["total_due"].tolist() == ["800.25", "300.00"]
    assert merge["late_charges"].tolist() == ["25.00", "25.00"]
    assert merge["promise_amount"].tolist() == ["600.00", ""]
    assert merge["callback_at"].tolist() == ["2026-11-10 14:00", ""]

    page = paths[1].read_text(encoding="utf-8")
    assert page.count('<section class="letter">') == 2
    assert "page-break-after: always" in page and "break-after: page" in page


def test_text_from_the_files_cannot_break_out_of_the_html_or_the_headers(tmp_path):
    customers = CUSTOMERS.assign(
        customer_name=pd.array(["<script>x</script>", "Beta", "C", "D"], dtype="string"),
        contact_name=pd.array(["=cmd()", None, None, None], dtype="string"),
    )
    done = follow_ups(INVOICES, PAYMENTS, CALLS, customers, as_of=AS_OF)
    paths = write_follow_ups(done, tmp_path)
    page = paths[1].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    merge = paths[0].read_text(encoding="utf-8")
    assert "'=cmd()" in merge


def test_an_output_that_is_an_input_is_refused(tmp_path, done):
    source = tmp_path / "follow_ups.csv"
    source.write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match="is the input"):
        write_follow_ups(done, tmp_path, inputs=[source])
    assert source.read_text(encoding="utf-8") == "keep me"


def test_options_are_checked():
    with pytest.raises(InputError, match="after as_of"):
        follow_ups(INVOICES, PAYMENTS, CALLS, as_of=AS_OF, since="2026-11-07")
    with pytest.raises(InputError, match="needs the call log"):
        follow_ups(INVOICES, PAYMENTS, None, as_of=AS_OF)
    with pytest.raises(InputError, match="sender must be an email address"):
        follow_ups(INVOICES, PAYMENTS, CALLS, as_of=AS_OF, sender="not an address")
    with pytest.raises(InputError):
        follow_ups(INVOICES, PAYMENTS, CALLS, as_of=AS_OF, late_charges="weekly:9")


def test_since_widens_the_window(done):
    wider = follow_ups(INVOICES, PAYMENTS, CALLS, CUSTOMERS, as_of=AS_OF, since="2026-10-26")
    assert wider.letters["customer_id"].tolist() == ["A", "B", "D"]
    assert np.isnan(wider.letters["late_charges"]).all()
    assert "Late charges" not in " ".join(wider.letters["body"])


def test_the_command_writes_the_files(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    INVOICES.to_csv(folder / "invoices.csv", index=False)
    PAYMENTS.to_csv(folder / "payments.csv", index=False)
    CALLS.to_csv(folder / "calls.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    CUSTOMERS.to_csv(folder / "customers.csv", index=False)
    pay = tmp_path / "how_to_pay.txt"
    pay.write_text("Pay by ACH to account 12345678.\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(
        [
            "follow-ups",
            str(folder),
            "--as-of",
            "2026-11-06",
            "--out",
            str(out),
            "--late-charges",
            "fee:25",
            "--how-to-pay",
            str(pay),
            "--business-name",
            "Acme Supplies",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "1 no email: letter only (B Beta Ltd)" in printed
    assert f"Wrote 1 email draft in {out / EML_FOLDER}" in printed
    message = email.message_from_bytes(
        (out / EML_FOLDER / "A.eml").read_bytes(), policy=email.policy.default
    )
    assert "How to pay: Pay by ACH to account 12345678." in message.get_content()
    # The how-to-pay file is an input: an output landing on it is refused, unchanged.
    letters = out / "follow_ups.html"
    letters.write_text("Pay by cheque.", encoding="utf-8")
    code = main(["follow-ups", str(folder), "--out", str(out), "--how-to-pay", str(letters)])
    assert code == 2
    assert "is the input" in capsys.readouterr().err
    assert letters.read_text(encoding="utf-8") == "Pay by cheque."
    # A file name that does not exist is not printed in the letters as the text.
    code = main(["follow-ups", str(folder), "--out", str(out), "--how-to-pay", "pay.txt"])
    assert code == 2
    assert "looks like a file name, but there is no such file" in capsys.readouterr().err


def test_the_readme_commands_run_on_the_sample(tmp_path, monkeypatch, capsys):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", "", readme)
    follow = (
        "arcalls follow-ups --as-of 2026-10-30 --out follow_ups/ --late-charges monthly:1.5 "
        '--business-name "Acme Supplies" --phone "555-0100" --how-to-pay "ACH to account 12345678"'
    )
    sheets = (
        'arcalls call-list --format html --top 20 --business-name "Acme Supplies" '
        '--phone "555-0100"'
    )
    assert follow in text and sheets in text
    monkeypatch.chdir(tmp_path)
    import shlex

    assert main(shlex.split(follow)[1:]) == 0
    printed = capsys.readouterr().out
    assert "confirmations of the calls from 2026-10-26 to 2026-10-30" in printed
    page = (tmp_path / "follow_ups" / "follow_ups.html").read_text(encoding="utf-8")
    assert "How to pay: ACH to account 12345678" in page
    assert main(shlex.split(sheets)[1:]) == 0
    capsys.readouterr()
    html = (tmp_path / "call_list.html").read_text(encoding="utf-8")
    assert "Please call me back at 555-0100." in html


def test_an_unusable_email_gets_a_letter_only_and_says_why(tmp_path):
    customers = CUSTOMERS.assign(email=pd.array(["ap at alpha", None, None, None], dtype="string"))
    done = follow_ups(INVOICES, PAYMENTS, CALLS, customers, as_of=AS_OF)
    assert done.letter_only["letter_only"].tolist() == [
        "email ap at alpha is not an address: letter only",
        NO_EMAIL,
    ]
    paths = write_follow_ups(done, tmp_path)
    assert [p.name for p in paths] == ["follow_ups.csv", "follow_ups.html"]
    assert not (tmp_path / EML_FOLDER).exists()
    assert "0 by email, 2 no email: letter only (A Alpha Ltd, B Beta Ltd)" in done.describe()


def test_a_plan_confirmation_states_its_schedule_to_the_cent():
    """B's call (K2) becomes a plan of 1,000.00 in 3 monthly instalments from 11-30:
    333.33, 333.33 and 333.34 (the last absorbs the cent) on 2026-11-30, 2026-12-30
    and 2027-01-30, summing to 1,000.00 exactly."""
    plan_calls = CALLS.assign(
        plan_amount=np.nan,
        plan_instalments=pd.array([pd.NA] * len(CALLS), dtype="Int64"),
        plan_first_date=pd.NaT,
        plan_frequency=pd.array([pd.NA] * len(CALLS), dtype="string"),
        plan_schedule=pd.array([pd.NA] * len(CALLS), dtype="string"),
    )
    on_k2 = plan_calls["call_id"] == "K2"
    plan_calls.loc[on_k2, "outcome"] = "plan"
    plan_calls.loc[on_k2, "plan_amount"] = 1000.00
    plan_calls.loc[on_k2, "plan_instalments"] = 3
    plan_calls.loc[on_k2, "plan_first_date"] = pd.Timestamp("2026-11-30")
    plan_calls.loc[on_k2, "plan_frequency"] = "monthly"
    done = follow_ups(INVOICES, PAYMENTS, plan_calls, CUSTOMERS, as_of=AS_OF)
    b = done.letters.set_index("customer_id").loc["B"]
    assert "You agreed to a payment plan." in b["body"]
    assert b["schedule"] == (
        "The plan: 3 instalments, $1,000.00 in all:\n"
        "- instalment 1: $333.33 by Monday, November 30, 2026\n"
        "- instalment 2: $333.33 by Wednesday, December 30, 2026\n"
        "- instalment 3: $333.34 by Saturday, January 30, 2027"
    )
    assert b["schedule"] in b["body"]
    # A's letter (a promise) has no schedule.
    assert done.letters.set_index("customer_id").loc["A", "schedule"] == ""
