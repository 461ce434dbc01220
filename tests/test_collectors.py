"""Several collectors: the week's list split among them, and the filters (issue 20.6)."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from arcalls import InputError
from arcalls.calllist import (
    assign_collectors,
    call_list,
    collector_file,
    last_reached_by,
    parse_collectors,
    select_accounts,
    write_collector_lists,
)
from arcalls.cli import EXIT_ERROR, main
from arcalls.worksheet import _column_names, read_filled_list

AS_OF = pd.Timestamp("2025-06-30")


class StubModel:
    """p_pay 0.5 for everyone: expected dollars are half the overdue balance."""

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        ids = snapshot["customer_id"].astype("string").reset_index(drop=True)
        return pd.DataFrame({"customer_id": ids, "p_pay": 0.5, "reasons": "stub"})


# Six accounts, one invoice each, due 2025-05-01 (60 days past due on 06-30):
#   K1 1,200  K2 1,000  K3 800  K4 600  K5 400  K6 200  -> expected 600 ... 100, ranks 1-6.
INVOICES = pd.DataFrame(
    {
        "invoice_id": pd.array([f"I{k}" for k in range(1, 7)], dtype="string"),
        "customer_id": pd.array([f"K{k}" for k in range(1, 7)], dtype="string"),
        "invoice_date": pd.Timestamp("2025-04-01"),
        "due_date": pd.Timestamp("2025-05-01"),
        "amount": [1200.0, 1000.0, 800.0, 600.0, 400.0, 200.0],
        "disputed": False,
    }
)
# Who last reached each account (right party) by the end of 06-30:
#   K1: a contact with no collector written -> nobody;  K2: Priya (contact);
#   K3: Sam (contact; Dana's later voicemail is not the right party);
#   K4: never called;  K5: Dana (refused, after Priya's contact);
#   K6: Dana's contact is on 07-02, after the as-of date -> nobody.
CALLS = pd.DataFrame(
    {
        "call_id": pd.array([f"L{k}" for k in range(1, 8)], dtype="string"),
        "customer_id": pd.array(["K1", "K2", "K3", "K3", "K5", "K5", "K6"], dtype="string"),
        "called_at": pd.to_datetime(
            [
                "2025-05-15 10:00",
                "2025-05-10 10:00",
                "2025-05-10 11:00",
                "2025-05-25 11:00",
                "2025-05-12 09:00",
                "2025-05-20 09:00",
                "2025-07-02 09:00",
            ]
        ),
        "outcome": pd.array(
            ["contact", "contact", "contact", "voicemail", "contact", "refused", "contact"],
            dtype="string",
        ),
        "collector": pd.array([None, "Priya", "Sam", "Dana", "Priya", "Dana", "Dana"], "string"),
    }
)


@pytest.fixture(scope="module")
def week():
    result = call_list(INVOICES, calls=CALLS, as_of=AS_OF, model=StubModel(), handoff_age=None)
    assert result.calls["customer_id"].tolist() == ["K1", "K2", "K3", "K4", "K5", "K6"]
    assert result.calls["expected_dollars"].tolist() == [600.0, 500.0, 400.0, 300.0, 200.0, 100.0]
    return result


def _split(week, collectors) -> dict[str, str | None]:
    out = assign_collectors(week, CALLS, collectors=collectors).calls
    who = out["assigned_to"].astype(object).where(out["assigned_to"].notna(), None)
    return dict(zip(out["customer_id"], who, strict=True))


def test_last_reached_is_the_latest_right_party_call_up_to_as_of(week):
    who = last_reached_by(CALLS, week.calls["customer_id"], as_of=AS_OF)
    assert who.astype(object).where(who.notna(), None).tolist() == [
        None,
        "Priya",
        "Sam",
        None,
        "Dana",
        None,
    ]


def test_accounts_stay_with_who_reached_them_and_the_rest_is_dealt_evenly(week):
    # Kept: K2 Priya (500), K5 Dana (200). Dealt K1, K3, K4, K6 starting with Dana (fewer
    # dollars): Dana, Priya, Priya, Dana. Dana 600+200+100 = 900, Priya 500+400+300 = 1,200.
    assert _split(week, "Dana,Priya") == {
        "K1": "Dana",
        "K2": "Priya",
        "K3": "Priya",
        "K4": "Priya",
        "K5": "Dana",
        "K6": "Dana",
    }
    out = assign_collectors(week, CALLS, collectors=["Dana", "Priya"]).calls
    assert out.columns[:3].tolist() == ["rank", "assigned_to", "customer_id"]
    cents = (out["expected_dollars"] * 100).round().astype(int).groupby(out["assigned_to"]).sum()
    assert cents.to_dict() == {"Dana": 90_000, "Priya": 120_000}


def test_a_third_collector_with_nothing_kept_is_dealt_first(week):
    # Ann 0 < Dana 200 < Priya 500: K1 Ann, K3 Dana, K4 Priya, then back: K6 Priya.
    assert _split(week, "Priya,Dana,Ann") == {
        "K1": "Ann",
        "K2": "Priya",
        "K3": "Dana",
        "K4": "Priya",
        "K5": "Dana",
        "K6": "Priya",
    }


def test_capacities_are_kept_and_the_deal_restarts_without_a_full_collector(week):
    # Dana:2 keeps K5, gets K1 and is full; Priya takes the rest.
    assert _split(week, "Dana:2,Priya") == {
        "K1": "Dana",
        "K2": "Priya",
        "K3": "Priya",
        "K4": "Priya",
        "K5": "Dana",
        "K6": "Priya",
    }
    # No room for K5 with Dana: it is dealt (to Priya, the only one with room).
    assert set(_split(week, {"Dana": 0, "Priya": None}).values()) == {"Priya"}
    # Every capacity used up: the rest has no collector.
    assert _split(week, "Dana:1,Priya:1") == {
        "K1": None,
        "K2": "Priya",
        "K3": None,
        "K4": None,
        "K5": "Dana",
        "K6": None,
    }


def test_without_a_collector_column_every_account_is_dealt(week):
    out = assign_collectors(week, CALLS.drop(columns="collector"), collectors="A,B").calls
    assert out["assigned_to"].tolist() == ["A", "B", "B", "A", "A", "B"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Dana,,Priya", "an empty name"),
        ("Dana,Dana", "'Dana' is named twice"),
        ("Dana:lots", "capacity of 'Dana' must be a whole number"),
        ("Dana:-1", "capacity of 'Dana' must be a whole number"),
    ],
)
def test_bad_collectors_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        parse_collectors(text)


def test_filters_by_balance_to_the_cent_and_by_collector(week):
    kept = select_accounts(week, min_balance=600)
    assert kept.calls["customer_id"].tolist() == ["K1", "K2", "K3", "K4"]
    assert kept.calls["rank"].tolist() == [1, 2, 3, 4]
    assert select_accounts(week, min_balance=600.01).calls["customer_id"].tolist()[-1] == "K3"
    dana = select_accounts(week, CALLS, collector="Dana")
    assert dana.calls["customer_id"].tolist() == ["K5"]
    # The accounts left out still add up: 400 listed + 3,800 callable but not listed.
    parts = dana.overdue_reconciliation
    assert (parts["listed"], parts["beyond_top"]) == (400.0, 3800.0)
    assert "1 of 6 callable accounts listed" in dana.describe()
    with pytest.raises(InputError, match="--min-balance must be an amount >= 0"):
        select_accounts(week, min_balance=-5)
    with pytest.raises(InputError, match="needs a call log with a 'collector' column"):
        select_accounts(week, collector="Dana")


def test_csv_gives_one_file_per_collector_beside_the_combined_list(tmp_path, week):
    split = assign_collectors(week, CALLS, collectors="Dana,Priya Natarajan")
    paths = write_collector_lists(split, tmp_path / "week.csv")
    # Nobody named "Priya Natarajan" reached an account (the log says "Priya"): Dana
    # keeps K5 (200), the rest is dealt from Priya Natarajan (0 dollars): P, D, D, P, P.
    # Files come in the order of each collector's first account on the list.
    assert [p.name for p in paths] == [
        "week.csv",
        "week_excluded.csv",
        "week_Priya_Natarajan.csv",
        "week_Dana.csv",
    ]
    combined = pd.read_csv(paths[0], dtype=str)
    assert combined.columns[:2].tolist() == ["rank", "assigned_to"]
    dana = pd.read_csv(paths[3], dtype=str)
    assert dana["customer_id"].tolist() == ["K2", "K3", "K5"]
    assert (dana["assigned_to"] == "Dana").all()
    assert collector_file(tmp_path / "week.csv", " Ann Lee ") == tmp_path / "week_Ann_Lee.csv"


def test_each_collectors_workbook_is_filled_and_read_back_alone(tmp_path, week):
    split = assign_collectors(week, CALLS, collectors="Dana,Priya")
    paths = write_collector_lists(split, tmp_path / "week.xlsx")
    assert [p.name for p in paths] == ["week.xlsx", "week_Dana.xlsx", "week_Priya.xlsx"]
    combined = openpyxl.load_workbook(paths[0])["Call list"]
    assert [c.value for c in combined[1]][:3] == ["#", "Assigned to", "Customer"]
    book = openpyxl.load_workbook(paths[2])
    ws = book["Call list"]
    header = _column_names(c.value for c in ws[1])
    ids = [ws.cell(row=r, column=header.index("customer_id") + 1).value for r in (2, 3, 4)]
    assert ids == ["K2", "K3", "K4"]
    ws.cell(row=2, column=header.index("called_at") + 1).value = "2025-07-01 10:00"
    ws.cell(row=2, column=header.index("outcome") + 1).value = "no_answer"
    # An account of Dana's typed into Priya's list is not on her list: refused.
    ws.cell(row=5, column=header.index("customer_id") + 1).value = "K1"
    ws.cell(row=5, column=header.index("called_at") + 1).value = "2025-07-01 11:00"
    ws.cell(row=5, column=header.index("outcome") + 1).value = "no_answer"
    book.save(paths[2])
    with pytest.raises(InputError, match="row 5"):
        read_filled_list(paths[2], collector="Priya", now="2025-07-02")
    ws.cell(row=5, column=header.index("customer_id") + 1).value = None
    ws.cell(row=5, column=header.index("called_at") + 1).value = None
    ws.cell(row=5, column=header.index("outcome") + 1).value = None
    book.save(paths[2])
    calls = read_filled_list(paths[2], collector="Priya", now="2025-07-02")
    assert calls[["customer_id", "outcome", "collector"]].to_numpy().tolist() == [
        ["K2", "no_answer", "Priya"]
    ]


def test_cli_splits_the_sample_among_collectors(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            "call-list",
            "--out",
            "week.csv",
            "--handoff-age",
            "none",
            "--min-balance",
            "1000",
            "--collectors",
            "Dana Reyes:10,Priya Natarajan",
        ]
    )
    assert code == 0
    stdout = capsys.readouterr().out
    combined = pd.read_csv(tmp_path / "week.csv", dtype={"customer_id": str})
    assert (combined["overdue_balance"] >= 1000).all()
    dana = pd.read_csv(tmp_path / "week_Dana_Reyes.csv", dtype={"customer_id": str})
    priya = pd.read_csv(tmp_path / "week_Priya_Natarajan.csv", dtype={"customer_id": str})
    assert len(dana) == 10 and len(dana) + len(priya) == len(combined)
    assert sorted([*dana["customer_id"], *priya["customer_id"]]) == sorted(combined["customer_id"])
    assert "Wrote week_Dana_Reyes.csv (Dana Reyes: 10 accounts, " in stdout
    assert main(["call-list", "--out", "w.html", "--collectors", "A,B"]) == EXIT_ERROR
    assert "--collectors writes one list per collector as CSV or Excel" in capsys.readouterr().err
