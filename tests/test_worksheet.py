"""Call sheets, the Excel entry columns, reading a filled list back, appending to the log."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arcalls
from arcalls import InputError, OutputError, SchemaError, invoice_balances
from arcalls.calllist import CALL_COLUMNS, call_list, write_call_list
from arcalls.schema import OUTCOMES
from arcalls.worksheet import (
    ENTRY_COLUMNS,
    SCREEN_ENTRY_COLUMNS,
    _column_names,
    append_calls,
    call_sheets,
    read_filled_list,
    write_call_sheets,
)

AS_OF = pd.Timestamp("2025-06-30")  # a Monday
NOW = pd.Timestamp("2025-07-03 18:00")
NASTY_NAME = '=HYPERLINK("http://x","y")'


class StubModel:
    """Stands in for a fitted model: p_pay 0.5 for everyone (keeps the tests fast)."""

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        ids = snapshot["customer_id"].astype("string").reset_index(drop=True)
        return pd.DataFrame({"customer_id": ids, "p_pay": 0.5, "reasons": "stub"})


def _invoices(rows) -> pd.DataFrame:
    """rows: (invoice_id, customer_id, due_date, amount, disputed); issued 30 days before due."""
    frame = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "due", "amount", "disputed"])
    due = pd.to_datetime(frame["due"])
    return pd.DataFrame(
        {
            "invoice_id": frame["invoice_id"].astype("string"),
            "customer_id": frame["customer_id"].astype("string"),
            "invoice_date": due - pd.Timedelta(days=30),
            "due_date": due,
            "amount": frame["amount"].astype("float64"),
            "disputed": frame["disputed"].astype(bool),
        }
    )


# As of Mon 2025-06-30, worked out by hand:
#  CA: A0 250 paid in full in March/April (not open); A1 1,000 due 05-01 less 400 paid
#      05-20 -> 600 open, 60 dpd; A2 500 due 06-10 (a 200 payment on 07-05 is after
#      as-of, unknown) -> 500, 20 dpd; A3 credit -100 due 06-01; A4 300 due 07-15 not yet
#      due; A5 200 disputed. Overdue = 600 + 500 - 100 = 1,000.00; open = 1,500.00.
#  CB: B1 2,500.50 due 06-01 -> 29 dpd; no calls, no contact name.
#  CC: seven invoices of 10.00 due 05-01..05-07 -> 70.00 overdue.
# p_pay 0.5 for all: expected CB 1,250.25 > CA 500.00 > CC 35.00, so ranks CB, CA, CC.
INVOICES = _invoices(
    [
        ("A0", "CA", "2025-03-01", 250.0, False),
        ("A1", "CA", "2025-05-01", 1000.0, False),
        ("A2", "CA", "2025-06-10", 500.0, False),
        ("A3", "CA", "2025-06-01", -100.0, False),
        ("A4", "CA", "2025-07-15", 300.0, False),
        ("A5", "CA", "2025-05-15", 200.0, True),
        ("B1", "CB", "2025-06-01", 2500.5, False),
        *[(f"C{i}", "CC", f"2025-05-0{i}", 10.0, False) for i in range(1, 8)],
    ]
)
PAYMENTS = pd.DataFrame(
    {
        "payment_id": ["P1", "P2", "P3", "P4", "P5"],
        "invoice_id": ["A0", "A0", "A0", "A1", "A2"],
        "payment_date": pd.to_datetime(
            ["2025-03-05", "2025-03-10", "2025-04-01", "2025-05-20", "2025-07-05"]
        ),
        "amount": [100.0, 100.0, 50.0, 400.0, 200.0],
        "method": ["check", "check", "ACH", "wire", "ACH"],
    }
).astype({"payment_id": "string", "invoice_id": "string", "method": "string"})
# CA's calls: the promise of 06-10 (500 by 06-15, deadline 06-18) got no money: broken.
# The call of 07-02 is after as-of: unknown, so the caller is Dana, not Zed.
CALLS = pd.DataFrame(
    {
        "call_id": ["K1", "K2", "K3", "K4", "K5"],
        "customer_id": ["CA"] * 5,
        "called_at": pd.to_datetime(
            [
                "2025-06-01 10:00",
                "2025-06-10 14:00",
                "2025-06-20 09:30",
                "2025-06-26 16:00",
                "2025-07-02 10:00",
            ]
        ),
        "outcome": ["no_answer", "promise", "voicemail", "contact", "callback"],
        "collector": ["Tom", "Dana", "Dana", "Dana", "Zed"],
        "promise_date": pd.to_datetime([None, "2025-06-15", None, None, None]),
        "promise_amount": [np.nan, 500.0, np.nan, np.nan, np.nan],
        "notes": [None, "will pay A2", None, "=SUM(A1)", None],
    }
).astype(
    {
        "call_id": "string",
        "customer_id": "string",
        "outcome": "string",
        "collector": "string",
        "notes": "string",
    }
)
CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["CA", "CB", "CC"],
        "customer_name": ["Alpha Ltd", NASTY_NAME, "Gamma <b>Co</b>"],
        "phone": ["555-0101", "555-0102", "555-0103"],
        "contact_name": ["Pat Doe", None, "Lee"],
    }
).astype("string")
TABLES = (INVOICES, PAYMENTS, CALLS, CUSTOMERS)


@pytest.fixture(scope="module")
def listed():
    return call_list(*TABLES, as_of=AS_OF, model=StubModel())


@pytest.fixture(scope="module")
def sheets(listed):
    return call_sheets(listed, *TABLES, business_name="Acme Supplies")


def _account(sheets, customer_id):
    return sheets.accounts.set_index("customer_id").loc[customer_id]


# -- call sheets on hand-made tables -----------------------------------------------------


def test_accounts_are_in_list_order_with_balances_by_hand(sheets):
    acc = sheets.accounts
    assert acc["customer_id"].tolist() == ["CB", "CA", "CC"]
    assert acc["rank"].tolist() == [1, 2, 3]
    a = _account(sheets, "CA")
    assert a["overdue_balance"] == 1000.00
    assert a["open_balance"] == 1500.00
    assert a["credits"] == -100.00
    assert a["overdue_since"] == pd.Timestamp("2025-05-01")
    assert a["terms"] == "Net 30 (from due dates)"
    assert a["caller"] == "Dana"
    assert a["ask_by"] == pd.Timestamp("2025-07-07")


def test_opening_lines_name_the_invoices_total_and_date(sheets):
    assert _account(sheets, "CA")["opening_line"] == (
        "Hello, this is Dana from Acme Supplies. I'm calling about invoices A1, A2 "
        "totalling $1,000.00 after your credits of $100.00, overdue since May 1, 2025. "
        "Can we count on payment by July 7, 2025?"
    )
    # Never called: the default caller; one invoice: singular.
    assert _account(sheets, "CB")["opening_line"] == (
        "Hello, this is your account manager from Acme Supplies. I'm calling about invoice "
        "B1 totalling $2,500.50, overdue since June 1, 2025. Can we count on payment by "
        "July 7, 2025?"
    )
    # Seven invoices: five named, the rest counted.
    assert (
        "invoices C1, C2, C3, C4, C5 and 2 more totalling $70.00"
        in (_account(sheets, "CC")["opening_line"])
    )


def test_third_party_reminder_names_the_contact(sheets):
    assert _account(sheets, "CA")["third_party_line"] == (
        "If you reach anyone but Pat Doe, leave only your name and number: never mention the debt."
    )
    assert _account(sheets, "CB")["third_party_line"].startswith(
        "If you reach anyone but the account's contact,"
    )


def test_options_caller_business_and_ask_days(listed):
    out = call_sheets(listed, *TABLES, caller="Sam", ask_days=14)
    line = out.accounts["opening_line"].iloc[0]
    assert line.startswith("Hello, this is Sam from our company.")
    assert line.endswith("Can we count on payment by July 14, 2025?")


def test_open_invoices_as_of_the_list_date(sheets):
    inv = sheets.invoices[sheets.invoices["customer_id"] == "CA"].set_index("invoice_id")
    # A0 is paid; ordered by due date; the 07-05 payment on A2 is not known yet.
    assert inv.index.tolist() == ["A1", "A5", "A3", "A2", "A4"]
    assert inv["open_amount"].to_dict() == {
        "A1": 600.0,
        "A5": 200.0,
        "A3": -100.0,
        "A2": 500.0,
        "A4": 300.0,
    }
    assert inv["days_past_due"].to_dict() == {"A1": 60, "A5": 46, "A3": 29, "A2": 20, "A4": -15}
    assert inv["note"].to_dict() == {
        "A1": "",
        "A5": "disputed",
        "A3": "credit",
        "A2": "",
        "A4": "not yet due",
    }


def test_last_payments_and_calls_are_the_latest_known(sheets):
    pays = sheets.payments[sheets.payments["customer_id"] == "CA"]
    assert pays["payment_date"].dt.strftime("%m-%d").tolist() == ["05-20", "04-01", "03-10"]
    assert pays["amount"].tolist() == [400.0, 50.0, 100.0]
    assert "CB" not in set(sheets.payments["customer_id"])
    calls = sheets.calls[sheets.calls["customer_id"] == "CA"]
    assert calls["outcome"].tolist() == ["contact", "voicemail", "promise"]
    assert calls["called_at"].max() < AS_OF + pd.Timedelta(days=1)


def test_the_last_promise_and_its_status(sheets):
    (row,) = sheets.promises.itertuples(index=False)
    assert row.customer_id == "CA"
    assert row.promise_date == pd.Timestamp("2025-06-15")
    assert row.promised_amount == 500.0
    assert row.received == 0.0
    assert row.status == "broken"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("ask_days", -1, "ask_days must be a whole number >= 0, got -1"),
        ("last_calls", 1.5, "last_calls must be a whole number"),
        ("business_name", " ", "business_name must be a non-empty text"),
    ],
)
def test_bad_options_say_what_was_expected(listed, option, value, message):
    with pytest.raises(InputError, match=message):
        call_sheets(listed, *TABLES, **{option: value})


def test_a_result_that_is_not_a_call_list_is_refused():
    with pytest.raises(InputError, match="must be a CallList"):
        call_sheets(pd.DataFrame(), INVOICES)


def test_inputs_are_not_mutated(listed):
    before = [t.copy() for t in TABLES]
    call_sheets(listed, *TABLES)
    for b, t in zip(before, TABLES, strict=True):
        pd.testing.assert_frame_equal(b, t)


# -- exports -------------------------------------------------------------------------------


def test_html_is_one_escaped_page_per_account(tmp_path, sheets):
    path = write_call_sheets(sheets, tmp_path / "sheets.html")
    text = path.read_text(encoding="utf-8")
    assert text.count('<section class="sheet">') == 3
    assert "page-break-after: always" in text
    assert "Gamma &lt;b&gt;Co&lt;/b&gt;" in text and "<b>Co</b>" not in text
    assert "$1,000.00" in text and "$2,500.50" in text
    assert "never mention the debt" in text


def test_html_needs_an_html_suffix(tmp_path, sheets):
    with pytest.raises(OutputError, match=r"must end in \.html, got '\.txt'"):
        write_call_sheets(sheets, tmp_path / "sheets.txt")


def test_xlsx_has_the_call_sheets_text_safe_and_typed(tmp_path, listed, sheets):
    path = write_call_list(listed, tmp_path / "week.xlsx", sheets=sheets)[0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Call list", "Excluded", "Call sheets"]
    ws = wb["Call sheets"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert NASTY_NAME in [c.value for c in cells]
    assert "=SUM(A1)" in [c.value for c in cells]
    # CA's 600.00 on A1 is a money cell; its due date a date cell.
    a1 = next(c for c in cells if c.value == "A1")
    open_cell = ws.cell(row=a1.row, column=6)
    assert (open_cell.value, open_cell.number_format) == (600.0, '"$"#,##0.00')
    due = ws.cell(row=a1.row, column=4)
    assert (due.value, due.number_format) == (dt.datetime(2025, 5, 1), "yyyy-mm-dd")


def test_call_sheets_only_in_an_excel_list(tmp_path, listed, sheets):
    with pytest.raises(OutputError, match="Call sheets go into an .xlsx list"):
        write_call_list(listed, tmp_path / "week.csv", sheets=sheets)


def test_xlsx_entry_columns_are_validated_and_unlocked(tmp_path, listed):
    path = write_call_list(listed, tmp_path / "week.xlsx")[0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Call list", "Excluded"]
    ws = wb["Call list"]
    shown = [c.value for c in ws[1]]
    # Who to call and when, then the boxes of every call, on the left, with people's
    # headers; the printed columns; then the boxes filled now and then (a plan, who pays).
    printed_entries = [c for c in ENTRY_COLUMNS if c not in SCREEN_ENTRY_COLUMNS]
    k = len(printed_entries)
    assert shown[:4] == ["#", "Customer", "Phone", "Best time to call"]
    assert shown[4 : 4 + k] == [
        "Called at (date time)",
        "Outcome",
        "New promise: pay by",
        "New promise: amount",
        "Call back at (date time)",
        "Notes",
    ]
    assert shown[4 + k : 7 + k] == ["Overdue balance", "Days past due (oldest)", "Action"]
    assert shown[7 + k : 7 + len(ENTRY_COLUMNS)] == [
        "Plan: instalments",
        "Plan: first instalment",
        "Plan: frequency",
        "Plan: total",
        "Plan: schedule",
        "Payments contact",
        "Payments contact's title",
    ]
    header = _column_names(shown)
    assert header[4 : 4 + k] == printed_entries
    assert header[7 + k : 7 + len(ENTRY_COLUMNS)] == list(SCREEN_ENTRY_COLUMNS)
    assert sorted(header) == sorted([*CALL_COLUMNS, *ENTRY_COLUMNS])
    col = {name: header.index(name) + 1 for name in ENTRY_COLUMNS}
    letter = {n: openpyxl.utils.get_column_letter(j) for n, j in col.items()}
    rules = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    outcome = rules[f"{letter['outcome']}2:{letter['outcome']}4"]
    assert outcome.type == "list"
    assert outcome.formula1 == '"' + ",".join(OUTCOMES) + '"'
    called = rules[f"{letter['called_at']}2:{letter['called_at']}4"]
    assert (called.type, called.formula1, called.formula2) == (
        "date",
        "DATE(2025,6,30)",
        "TODAY()+1",
    )
    amount = rules[f"{letter['new_promise_amount']}2:{letter['new_promise_amount']}4"]
    assert (amount.type, amount.operator, amount.formula1) == ("decimal", "greaterThan", "0")
    for name in ENTRY_COLUMNS:
        for r in (2, 4):  # every data row's entry cell is marked, not only the header
            cell = ws.cell(row=r, column=col[name])
            assert cell.value is None and cell.protection.locked is False
            assert cell.fill.start_color.rgb.endswith("FFF2CC")
            assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin"
    assert ws.cell(row=2, column=1).protection.locked is True
    assert ws.cell(row=2, column=1).fill.fill_type is None
    # Frozen: the header row and the columns up to the last printed entry column.
    assert ws.freeze_panes == f"{openpyxl.utils.get_column_letter(5 + k)}2"
    # Printed: landscape, one page wide, header on every page, up to the Action column.
    printed = openpyxl.utils.get_column_letter(7 + k)
    assert ws.print_area == f"'Call list'!$A$1:${printed}$4"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.page_margins.left == 0.25
    props = {p.name: p.value for p in wb.custom_doc_props}
    assert props["arcalls_as_of"] == "2025-06-30"


def test_xlsx_with_sheets_gives_the_same_bytes(tmp_path, listed, sheets):
    a = write_call_list(listed, tmp_path / "a.xlsx", sheets=sheets)[0]
    b = write_call_list(listed, tmp_path / "b.xlsx", sheets=sheets)[0]
    assert a.read_bytes() == b.read_bytes()


# -- the sample: sheet figures against the loaders' data, to the cent ---------------------


@pytest.fixture(scope="module")
def sample():
    return arcalls.load_sample()


@pytest.fixture(scope="module")
def sample_list(sample):
    return call_list(*sample, as_of=arcalls.SAMPLE_AS_OF, top=15, model=StubModel())


def test_sample_sheets_match_the_loaded_data_to_the_cent(sample, sample_list):
    sheets = call_sheets(sample_list, *sample)
    as_of = sample_list.as_of
    bal = invoice_balances(sample.invoices, sample.payments, as_of=as_of)
    bal = bal[bal["is_open"]].set_index("invoice_id")
    ids = set(sample_list.calls["customer_id"])
    # Every open invoice of every listed account, with the ledger's open amount.
    expected = bal[bal["customer_id"].isin(ids)]
    got = sheets.invoices.set_index("invoice_id")
    assert set(got.index) == set(expected.index)
    diff = (got["open_amount"] - expected.loc[got.index, "open_amount"]).abs()
    assert diff.max() < 0.005
    assert (got["days_past_due"] == expected.loc[got.index, "days_past_due"]).all()
    # Account totals add up to the list's own overdue balance and the ledger's open total.
    acc = sheets.accounts.set_index("customer_id")
    listed = sample_list.calls.set_index("customer_id")
    assert (acc["overdue_balance"] - listed["overdue_balance"]).abs().max() < 0.005
    open_total = expected.groupby("customer_id")["open_amount"].sum().round(2)
    assert (acc["open_balance"] - open_total.reindex(acc.index)).abs().max() < 0.005
    # The money named in each opening line is the overdue balance, to the cent.
    named = acc["opening_line"].str.extract(r"totalling \$([\d,]+\.\d{2})")[0]
    assert (named.str.replace(",", "").astype(float) - acc["overdue_balance"]).abs().max() < 0.005
    # Payments and calls shown are rows of the loaded tables, dated up to as-of.
    pays = sheets.payments.merge(
        sample.payments, on=["invoice_id", "payment_date", "amount"], how="left", indicator=True
    )
    assert (pays["_merge"] == "both").all()
    assert (sheets.payments["payment_date"] <= as_of).all()
    assert (sheets.payments.groupby("customer_id").size() <= 3).all()
    calls = sheets.calls.merge(
        sample.calls, on=["customer_id", "called_at", "outcome"], how="left", indicator=True
    )
    assert (calls["_merge"] == "both").all()
    assert (sheets.calls["called_at"] < as_of + pd.Timedelta(days=1)).all()
    # The promise shown is the list's own.
    prom = sheets.promises.set_index("customer_id")
    shown = listed.loc[prom.index]
    assert (prom["promise_date"] == shown["promise_date"]).all()
    assert (prom["status"] == shown["promise_status"]).all()


# -- reading a filled list back --------------------------------------------------------


SAMPLE_NOW = pd.Timestamp("2026-11-06 17:00")


def _fill(path, rows, *, out=None, extra=()):
    """Type entries into the list like a caller: {row: {column: value}}; ``extra`` rows
    are appended below the list with their customer_id typed in."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Call list"]
    header = _column_names(c.value for c in ws[1])
    for r, values in rows.items():
        for name, value in values.items():
            ws.cell(row=r, column=header.index(name) + 1).value = value
    for values in extra:
        r = ws.max_row + 1
        for name, value in values.items():
            ws.cell(row=r, column=header.index(name) + 1).value = value
    wb.save(out or path)
    return out or path


@pytest.fixture()
def workbook(tmp_path, sample_list):
    return write_call_list(sample_list, tmp_path / "week.xlsx")[0]


@pytest.fixture()
def log(tmp_path):
    """A copy of the sample's call log to append to (in the test's temporary folder)."""
    return shutil.copy(arcalls.sample_path("calls"), tmp_path / "calls.csv")


def _first_ids(sample_list, n):
    return sample_list.calls["customer_id"].head(n).tolist()


def test_a_filled_list_lands_in_the_log_and_in_promise_outcomes(
    tmp_path, workbook, log, sample, sample_list
):
    first, second = _first_ids(sample_list, 2)
    _fill(
        workbook,
        {
            2: {
                "called_at": dt.datetime(2026, 11, 2, 10, 15),
                "outcome": "promise",
                "new_promise_date": dt.datetime(2026, 11, 9),
                "new_promise_amount": 1500,
                "notes": "will pay by ACH",
            },
            3: {"called_at": "2026-11-02 11:00", "outcome": "voicemail", "notes": "-left msg"},
        },
        # A second call to the first account, on a row the caller inserted.
        extra=[{"customer_id": first, "called_at": "2026-11-04 09:30", "outcome": "no_answer"}],
    )
    calls = read_filled_list(workbook, collector="Dana", now=SAMPLE_NOW)
    # Ids name the list, the account, the minute of the call and the row.
    p_id, v_id, again_id = (
        f"LOG-20261031-{first}-202611021015-r2",
        f"LOG-20261031-{second}-202611021100-r3",
        f"LOG-20261031-{first}-202611040930-r17",
    )
    assert sorted(calls["call_id"]) == sorted([p_id, v_id, again_id])
    assert calls.set_index("call_id").loc[again_id, "row"] == 17
    before = log.read_bytes()
    update = append_calls(calls, log, now=SAMPLE_NOW)
    assert len(update.added) == 3 and len(update.skipped) == 0
    assert update.backup == tmp_path / "calls.20261106-170000.bak.csv"
    assert update.backup.read_bytes() == before
    after = log.read_bytes()
    assert after.startswith(before)  # never losing or changing an existing row

    loaded = arcalls.load_calls(log)
    assert len(loaded) == len(arcalls.load_calls(arcalls.sample_path("calls"))) + 3
    mine = loaded[loaded["call_id"].str.startswith("LOG-")].set_index("call_id")
    promise = mine.loc[p_id]
    assert promise["outcome"] == "promise"
    assert promise["promise_date"] == pd.Timestamp("2026-11-09")
    assert promise["promise_amount"] == 1500.0
    assert promise["collector"] == "Dana"
    # Formula-safe in the file, read back exactly as typed.
    assert b"'-left msg" in after
    assert mine.loc[v_id, "notes"] == "-left msg"

    outcomes = arcalls.promise_outcomes(loaded, sample.payments, sample.invoices, as_of=SAMPLE_NOW)
    row = outcomes.set_index("call_id").loc[p_id]
    assert row["promised_amount"] == 1500.0
    assert row["status"] == "pending"  # 2026-11-09 + 3 days grace is after 11-06

    # Reading the same list again adds nothing and writes nothing.
    again = append_calls(read_filled_list(workbook, now=SAMPLE_NOW), log, now=SAMPLE_NOW)
    assert len(again.added) == 0 and len(again.skipped) == 3 and again.backup is None
    assert log.read_bytes() == after


def test_the_same_call_under_another_id_is_not_added_twice(log):
    # A call already in the sample log, under a new id: same customer, time and outcome.
    existing = arcalls.load_calls(log).iloc[[0]]
    again = existing.assign(call_id=pd.Series(["LOG-X"], dtype="string", index=existing.index))
    update = append_calls(again, log)
    assert len(update.added) == 0 and len(update.skipped) == 1


def test_no_entries_reads_as_no_calls(workbook):
    calls = read_filled_list(workbook, now=SAMPLE_NOW)
    assert calls.empty and list(calls.columns)[:4] == [
        "call_id",
        "customer_id",
        "called_at",
        "outcome",
    ]


@pytest.mark.parametrize(
    ("entries", "column", "message"),
    [
        (
            {"called_at": "2026-11-02 10:00", "outcome": "left a message"},
            "outcome",
            "unknown outcome",
        ),
        (
            {"called_at": "2026-11-02 10:00", "outcome": "promise"},
            "new_promise_date",
            "a promise needs the date",
        ),
        ({"called_at": "2026-12-01 10:00", "outcome": "contact"}, "called_at", "in the future"),
        (
            {"called_at": "2026-10-20 10:00", "outcome": "contact"},
            "called_at",
            "before the list's as-of date 2026-10-31",
        ),
        ({"called_at": "next tuesday", "outcome": "contact"}, "called_at", "not a date and time"),
        ({"outcome": "contact"}, "called_at", "called_at is empty"),
        ({"called_at": "2026-11-02 10:00"}, "outcome", "outcome is empty"),
        (
            {"called_at": "2026-11-02 10:00", "outcome": "voicemail", "new_promise_amount": 10},
            "outcome",
            "outcome is not 'promise'",
        ),
        (
            {
                "called_at": "2026-11-02 10:00",
                "outcome": "promise",
                "new_promise_date": "2026-11-01",
            },
            "new_promise_date",
            "before the call",
        ),
        (
            {
                "called_at": "2026-11-02 10:00",
                "outcome": "promise",
                "new_promise_date": "2026-11-09",
                "new_promise_amount": "lots",
            },
            "new_promise_amount",
            "not an amount greater than 0",
        ),
    ],
)
def test_a_bad_row_is_refused_with_its_row_number_and_nothing_written(
    workbook, log, entries, column, message
):
    good = {"called_at": "2026-11-02 09:00", "outcome": "voicemail"}
    _fill(workbook, {2: good, 4: entries})
    before = log.read_bytes()
    with pytest.raises(InputError, match=rf"row 4, column '{column}'.*{message}") as info:
        read_filled_list(workbook, now=SAMPLE_NOW)
    problems = info.value.problems
    assert set(problems["row"]) == {4}
    assert log.read_bytes() == before
    assert sorted(p.name for p in log.parent.iterdir()) == ["calls.csv", "week.xlsx"]


def test_an_account_not_on_the_list_is_refused(workbook, sample_list):
    not_listed = sample_list.excluded["customer_id"].iloc[0]
    _fill(
        workbook,
        {},
        extra=[{"customer_id": not_listed, "called_at": "2026-11-02 10:00", "outcome": "contact"}],
    )
    with pytest.raises(InputError, match=r"row 17, column 'customer_id'.*not on the list"):
        read_filled_list(workbook, now=SAMPLE_NOW)


def test_every_bad_row_is_reported_at_once(workbook):
    _fill(
        workbook,
        {
            2: {"called_at": "2026-11-02 10:00", "outcome": "maybe"},
            5: {"called_at": "2027-01-01 10:00", "outcome": "contact"},
        },
    )
    with pytest.raises(InputError, match="2 problem") as info:
        read_filled_list(workbook, now=SAMPLE_NOW)
    assert info.value.problems["row"].tolist() == [2, 5]


def test_deleted_rows_and_a_row_added_later_are_fine(workbook, log):
    wb = openpyxl.load_workbook(workbook)
    wb["Call list"].delete_rows(3, 5)  # accounts the caller will not call this week
    wb.save(workbook)
    _fill(workbook, {2: {"called_at": "2026-11-02 10:00", "outcome": "no_answer"}})
    first = append_calls(read_filled_list(workbook, now=SAMPLE_NOW), log, now=SAMPLE_NOW)
    assert len(first.added) == 1
    # Later the caller logs an earlier call to the same account: it is new, the first
    # call is not added again.
    customer = first.added["customer_id"].iloc[0]
    _fill(
        workbook,
        {},
        extra=[{"customer_id": customer, "called_at": "2026-11-01 09:00", "outcome": "voicemail"}],
    )
    second = append_calls(read_filled_list(workbook, now=SAMPLE_NOW), log, now=SAMPLE_NOW)
    assert second.added["called_at"].tolist() == [pd.Timestamp("2026-11-01 09:00")]
    assert len(second.skipped) == 1


def test_a_list_with_the_older_code_name_headers_still_reads_back(workbook):
    """Lists written before the headers were for people carry the column names."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb["Call list"]
    for cell in ws[1]:
        cell.value = _column_names([cell.value])[0]
    assert ws["B1"].value == "customer_name" and ws["E1"].value == "called_at"
    wb.save(workbook)
    _fill(workbook, {3: {"called_at": "2026-11-02 09:30", "outcome": "contact"}})
    calls = read_filled_list(workbook, now=SAMPLE_NOW)
    assert calls[["outcome", "row"]].to_numpy().tolist() == [["contact", 3]]
    assert calls["called_at"].tolist() == [pd.Timestamp("2026-11-02 09:30")]


def test_two_calls_in_one_minute_get_distinct_ids(workbook):
    when = "2026-11-02 10:00"
    _fill(
        workbook,
        {2: {"called_at": when, "outcome": "no_answer"}},
        extra=[{"customer_id": None, "called_at": when, "outcome": "voicemail"}],
    )
    # The added row needs the account: copy it from row 2.
    wb = openpyxl.load_workbook(workbook)
    ws = wb["Call list"]
    j = _column_names(c.value for c in ws[1]).index("customer_id") + 1
    ws.cell(row=ws.max_row, column=j).value = ws.cell(row=2, column=j).value
    wb.save(workbook)
    calls = read_filled_list(workbook, now=SAMPLE_NOW)
    ids = calls["call_id"].tolist()
    # The row is part of the id (the entry's identity), so the two differ by it alone.
    rows = calls["row"].tolist()
    assert len(set(ids)) == 2 and rows[0] == 2
    assert ids[1] == ids[0].removesuffix("-r2") + f"-r{rows[1]}"


def test_a_workbook_arcalls_did_not_write_is_refused(tmp_path):
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    with pytest.raises(InputError, match="not a call list written by arcalls"):
        read_filled_list(other)
    (tmp_path / "list.csv").write_text("customer_id,outcome\n")
    with pytest.raises(InputError, match=r"is not an \.xlsx file"):
        read_filled_list(tmp_path / "list.csv")
    with pytest.raises(InputError, match="does not exist: check the path"):
        read_filled_list(tmp_path / "gone.xlsx")


# -- appending to a log ------------------------------------------------------------------


def _new_calls(**extra) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "call_id": ["LOG-1"],
            "customer_id": ["C1"],
            "called_at": pd.to_datetime(["2026-11-02 10:15"]),
            "outcome": ["promise"],
            "promise_date": pd.to_datetime(["2026-11-09"]),
            "promise_amount": [250.0],
            **extra,
        }
    )
    return frame.astype({"call_id": "string", "customer_id": "string", "outcome": "string"})


def test_a_missing_log_is_created_with_the_canonical_header(tmp_path):
    update = append_calls(_new_calls(), tmp_path / "calls.csv")
    assert update.backup is None
    lines = (tmp_path / "calls.csv").read_text(encoding="utf-8").split("\n")
    assert lines[0] == (
        "call_id,customer_id,called_at,outcome,invoice_id,collector,promise_date,"
        "promise_amount,duration_s,notes,callback_at,payments_contact,payments_contact_title,"
        "plan_amount,plan_instalments,plan_first_date,plan_frequency,plan_schedule"
    )
    assert lines[1] == "LOG-1,C1,2026-11-02 10:15:00,promise,,,2026-11-09,250.00," + "," * 9


def test_rows_follow_the_log_column_order_and_line_endings(tmp_path):
    log = tmp_path / "calls.csv"
    log.write_bytes(
        b"outcome,called_at,customer_id,call_id,promise_date,promise_amount\r\n"
        b"voicemail,2026-10-01 09:00:00,C1,OLD-1,,\r\n"
    )
    update = append_calls(_new_calls(), log, now="2026-11-05 08:00:00")
    assert log.read_bytes().endswith(
        b"OLD-1,,\r\npromise,2026-11-02 10:15:00,C1,LOG-1,2026-11-09,250.00\r\n"
    )
    assert update.backup.name == "calls.20261105-080000.bak.csv"


def test_a_log_without_a_column_the_calls_need_is_refused(tmp_path):
    log = tmp_path / "calls.csv"
    log.write_bytes(b"call_id,customer_id,called_at,outcome\nOLD-1,C1,2026-10-01 09:00,contact\n")
    before = log.read_bytes()
    with pytest.raises(SchemaError, match="no 'promise_date' column"):
        append_calls(_new_calls(), log)
    assert log.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["calls.csv"]


def test_an_empty_list_reads_back_as_no_calls(tmp_path):
    # One invoice not yet due: nobody to call, so the sheet has no entry columns.
    invoices = _invoices([("X1", "CX", "2025-07-15", 100.0, False)])
    empty = call_list(invoices, as_of=AS_OF, model=StubModel())
    path = write_call_list(empty, tmp_path / "empty.xlsx")[0]
    assert read_filled_list(path, now=NOW).empty
    assert call_sheets(empty, invoices).to_html().count("No account to call") == 1


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_money_text_is_python_formatting_to_the_cent(value):
    from arcalls.worksheet import _money_text

    text = _money_text(pd.Series([value])).iloc[0]
    assert text == "$" + f"{round(value, 2):,.2f}".replace("$", "")


@pytest.mark.parametrize(
    "corrected",
    [
        {"outcome": "contact"},  # same minute: same id, other content
        {"called_at": "2026-11-02 11:45"},  # another minute: another id
        {"notes": "promised to call back"},
    ],
    ids=["outcome", "time", "notes"],
)
def test_a_corrected_row_replaces_its_entry_and_the_backup_keeps_it(
    tmp_path, workbook, log, sample_list, corrected
):
    first, second = _first_ids(sample_list, 2)
    entry = {"called_at": "2026-11-02 10:15", "outcome": "voicemail"}
    _fill(workbook, {2: entry, 3: {"called_at": "2026-11-02 11:00", "outcome": "no_answer"}})
    original = log.read_bytes()
    first_read = read_filled_list(workbook, collector="Dana", now=SAMPLE_NOW)
    append_calls(first_read, log, now=SAMPLE_NOW)
    logged = log.read_bytes()
    old_id = first_read.set_index("customer_id").loc[first, "call_id"]

    _fill(workbook, {2: corrected})
    later = pd.Timestamp(SAMPLE_NOW) + pd.Timedelta(hours=1)
    second_read = read_filled_list(workbook, now=later)
    update = append_calls(second_read, log, now=later)
    assert len(update.added) == 1 and len(update.skipped) == 1
    assert update.replaced["call_id"].tolist() == [old_id]
    assert "1 correcting an entry of the same row" in update.describe()
    # The backup is the log as the first read left it, the earlier entry in it.
    assert update.backup.read_bytes() == logged
    # The log: the original bytes, the untouched entry of row 3, then the correction.
    after = log.read_bytes()
    assert after.startswith(original)
    old_line = next(x for x in logged[len(original) :].splitlines() if old_id.encode() in x)
    assert old_line not in after.splitlines()
    assert len(after.splitlines()) == len(logged.splitlines())
    loaded = arcalls.load_calls(log)
    mine = loaded[loaded["call_id"].str.startswith("LOG-")].set_index("customer_id")
    assert len(mine) == 2 and sorted(mine.index) == sorted([first, second])
    row = mine.loc[first]
    want = {**entry, **corrected}
    assert row["called_at"] == pd.Timestamp(want["called_at"])
    assert row["outcome"] == want["outcome"]
    assert row["collector"] == "Dana"  # kept from the entry it corrects
    if "notes" in corrected:
        assert row["notes"] == corrected["notes"]
    # Reading the same list again adds nothing.
    again = append_calls(read_filled_list(workbook, now=later), log, now=later)
    assert len(again.added) == 0 and len(again.replaced) == 0
    assert log.read_bytes() == after


def test_a_correction_keeps_a_multiline_note_of_another_entry(tmp_path, workbook, log):
    """Records are found as CSV records: a note spanning lines stays whole."""
    _fill(
        workbook,
        {
            2: {"called_at": "2026-11-02 10:15", "outcome": "voicemail"},
            3: {"called_at": "2026-11-02 11:00", "outcome": "contact", "notes": "a\nb, c"},
        },
    )
    append_calls(read_filled_list(workbook, now=SAMPLE_NOW), log, now=SAMPLE_NOW)
    _fill(workbook, {2: {"outcome": "no_answer"}})
    update = append_calls(read_filled_list(workbook, now=SAMPLE_NOW), log, now=SAMPLE_NOW)
    assert len(update.replaced) == 1
    loaded = arcalls.load_calls(log)
    mine = loaded[loaded["call_id"].str.startswith("LOG-")]
    assert sorted(mine["outcome"]) == ["contact", "no_answer"]
    assert mine.loc[mine["outcome"] == "contact", "notes"].tolist() == ["a\nb, c"]
