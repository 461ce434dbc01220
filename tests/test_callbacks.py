"""Callbacks on the call list (issue 19 part 2): off the list until the day asked for,
then at its head with the time; a later call supersedes an earlier callback."""

from __future__ import annotations

import pandas as pd
import pytest

from arcalls.calllist import (
    CALL_COLUMNS,
    CALLBACK_LAPSE_DAYS,
    EXCLUSION_REASONS,
    REASON_CALLBACK,
    REASON_COOLDOWN,
    call_list,
    write_call_list,
)
from arcalls.worksheet import _column_names


class StubModel:
    """A fixed p_pay per customer, so that the order without callbacks is known."""

    def __init__(self, p_pay: dict[str, float]):
        self.p_pay = p_pay

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        ids = snapshot["customer_id"].astype("string").reset_index(drop=True)
        p = ids.map(self.p_pay).astype("float64").fillna(0.5)
        return pd.DataFrame({"customer_id": ids, "p_pay": p, "reasons": "stub reason"})


def invoices(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "due_date", "amount"])
    due = pd.to_datetime(frame["due_date"])
    return pd.DataFrame(
        {
            "invoice_id": frame["invoice_id"].astype("string"),
            "customer_id": frame["customer_id"].astype("string"),
            "invoice_date": due - pd.Timedelta(days=30),
            "due_date": due,
            "amount": frame["amount"].astype("float64"),
        }
    )


def calls(rows) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["call_id", "customer_id", "called_at", "outcome", "callback_at"]
    )
    return frame.astype(
        {
            "call_id": "string",
            "customer_id": "string",
            "called_at": "datetime64[ns]",
            "outcome": "string",
            "callback_at": "datetime64[ns]",
        }
    )


# Three overdue accounts; by expected dollars (p .5) A (3,000) > B (2,000) > C (1,000).
# C asks on Mon 2026-12-07 10:00 to be called back on Thu 2026-12-10 at 14:00.
INVOICES = invoices(
    [
        ("IA", "A", "2026-10-31", 3000.0),
        ("IB", "B", "2026-10-31", 2000.0),
        ("IC", "C", "2026-10-31", 1000.0),
    ]
)
CALLBACK = calls([("K1", "C", "2026-12-07 10:00", "callback", "2026-12-10 14:00")])
MODEL = StubModel({})


def listed(calls_table, as_of, **options):
    return call_list(INVOICES, None, calls_table, as_of=as_of, model=MODEL, **options)


def test_a_callback_moves_the_account_off_the_list_until_its_day():
    # Tue 2026-12-08: called the day before yesterday, callback on Thursday.
    week = listed(CALLBACK, "2026-12-08", cooldown_days=0)
    assert week.calls["customer_id"].tolist() == ["A", "B"]
    row = week.excluded.set_index("customer_id").loc["C"]
    assert row["reason"] == "callback asked for Thu 2026-12-10 14:00"
    assert week.excluded_by_reason.to_dict() == {REASON_CALLBACK: 1}
    assert REASON_CALLBACK in EXCLUSION_REASONS


def test_on_the_callback_day_the_account_heads_the_list_with_the_time():
    # Thu 2026-12-10: C has the smallest expected dollars but comes first.
    week = listed(CALLBACK, "2026-12-10")
    assert week.calls["customer_id"].tolist() == ["C", "A", "B"]
    first = week.calls.iloc[0]
    assert first["reasons"] == "callback asked for 14:00 today; stub reason"
    assert first["callback_due_at"] == pd.Timestamp("2026-12-10 14:00")
    assert week.calls["callback_due_at"].iloc[1:].isna().all()
    assert week.excluded.empty


def test_a_callback_passed_without_a_later_call_is_overdue_and_still_first():
    week = listed(CALLBACK, "2026-12-14")
    assert week.calls["customer_id"].iloc[0] == "C"
    assert week.calls["reasons"].iloc[0] == (
        "callback asked for Thu 2026-12-10 14:00: overdue, not called back yet; stub reason"
    )


def test_a_callback_not_returned_for_two_weeks_lapses_and_says_so():
    # Asked for Thu 2026-12-10: on Thu 12-24 (14 days later) it still heads the list...
    week = listed(CALLBACK, "2026-12-24")
    assert CALLBACK_LAPSE_DAYS == 14
    assert week.calls["customer_id"].iloc[0] == "C"
    assert week.calls["callback_due_at"].notna().iloc[0]
    # ...on Fri 12-25 it has lapsed: C (the smallest balance) takes its place by the
    # model's order, says first why it was once asked for, and has no callback time.
    week = listed(CALLBACK, "2026-12-25")
    assert week.calls["customer_id"].tolist() == ["A", "B", "C"]
    c = week.calls.set_index("customer_id").loc["C"]
    assert c["reasons"] == (
        "callback asked for Thu 2026-12-10 14:00 lapsed: not called back within 14 days; "
        "stub reason"
    )
    assert pd.isna(c["callback_due_at"])
    assert week.calls.set_index("customer_id").loc["A", "reasons"] == "stub reason"
    assert (
        "1 listed account(s) asked for a callback that lapsed (not returned within 14 days "
        "of its day): ranked with the rest, the reason first says so."
    ) in week.describe()
    assert "lapsed" not in listed(CALLBACK, "2026-12-24").describe()


def test_a_later_call_supersedes_the_callback():
    later = pd.concat(
        [CALLBACK, calls([("K2", "C", "2026-12-10 14:05", "contact", None)])],
        ignore_index=True,
    )
    week = listed(later, "2026-12-14")
    assert week.calls["customer_id"].tolist() == ["A", "B", "C"]
    assert week.calls["callback_due_at"].isna().all()
    # ...and a call the day before the callback day asking for another day moves it on.
    moved = pd.concat(
        [CALLBACK, calls([("K3", "C", "2026-12-09 09:00", "callback", "2026-12-15 09:30")])],
        ignore_index=True,
    )
    week = listed(moved, "2026-12-10", cooldown_days=0)
    assert week.excluded.set_index("customer_id").loc["C", "reason"] == (
        "callback asked for Tue 2026-12-15 09:30"
    )


def test_the_cool_down_does_not_hold_back_a_callback_asked_for_tomorrow():
    # Called Mon 10:00, asked for Tue 16:00: the 3-day cool-down would hold it back.
    asked = calls([("K1", "C", "2026-12-07 10:00", "callback", "2026-12-08 16:00")])
    week = listed(asked, "2026-12-08", cooldown_days=3)
    assert week.calls["customer_id"].iloc[0] == "C"
    # Without the callback, the same call puts it in the cool-down.
    plain = asked.assign(callback_at=pd.NaT)
    assert listed(plain, "2026-12-08", cooldown_days=3).excluded["reason"].tolist() == [
        REASON_COOLDOWN
    ]


def test_a_callback_asked_for_a_day_without_a_time():
    asked = calls([("K1", "C", "2026-12-07 10:00", "callback", "2026-12-10")])
    week = listed(asked, "2026-12-08", cooldown_days=0)
    assert week.excluded["reason"].tolist() == ["callback asked for Thu 2026-12-10"]
    assert listed(asked, "2026-12-10").calls["reasons"].iloc[0] == (
        "callback asked for today; stub reason"
    )


def test_a_callback_logged_after_the_as_of_date_is_not_known():
    asked = calls([("K1", "C", "2026-12-09 10:00", "callback", "2026-12-10 14:00")])
    week = listed(asked, "2026-12-08")
    assert week.calls["customer_id"].tolist() == ["A", "B", "C"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_exported_list_keeps_the_callback_time(tmp_path, suffix):
    week = listed(CALLBACK, "2026-12-10")
    out = write_call_list(week, tmp_path / f"week{suffix}")[0]
    if suffix == ".csv":
        frame = pd.read_csv(out, dtype=str, keep_default_na=False)
        assert list(frame.columns) == list(CALL_COLUMNS)
        assert frame["callback_due_at"].tolist() == ["2026-12-10 14:00", "", ""]
    else:
        import openpyxl

        ws = openpyxl.load_workbook(out)["Call list"]
        header = _column_names(c.value for c in ws[1])
        cell = ws.cell(2, header.index("callback_due_at") + 1)
        assert cell.value == pd.Timestamp("2026-12-10 14:00").to_pydatetime()
        assert cell.number_format == "yyyy-mm-dd hh:mm"


# -- the round trip: list -> fill in a callback -> log-calls -> next lists -----------


class SampleStub:
    """p_pay 0.5 for everyone: keeps the sample round trip fast."""

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        ids = snapshot["customer_id"].astype("string").reset_index(drop=True)
        return pd.DataFrame({"customer_id": ids, "p_pay": 0.5, "reasons": "stub"})


def _fill(path, rows):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["Call list"]
    header = _column_names(c.value for c in ws[1])
    for r, values in rows.items():
        for name, value in values.items():
            ws.cell(row=r, column=header.index(name) + 1).value = value
    wb.save(path)


def test_round_trip_callback_off_the_list_then_first_on_its_day(tmp_path):
    import arcalls
    from arcalls.worksheet import append_calls, read_filled_list

    s = arcalls.load_sample()
    week = call_list(*s, as_of="2026-10-31", top=5, model=SampleStub())
    path = write_call_list(week, tmp_path / "week.xlsx")[0]
    third = week.calls["customer_id"].iloc[2]
    _fill(
        path,
        {
            4: {
                "called_at": "2026-11-02 10:15",
                "outcome": "callback",
                "callback_at": "2026-11-05 14:00",
                "payments_contact": "Jane Roe",
                "payments_contact_title": "Accounts payable",
            }
        },
    )
    entered = read_filled_list(path, now="2026-11-02 18:00")
    assert entered["callback_at"].tolist() == [pd.Timestamp("2026-11-05 14:00")]
    # A log kept from before callbacks: the sample's without their columns.
    log = tmp_path / "calls.csv"
    newer = ["callback_at", "payments_contact", "payments_contact_title"]
    old = pd.read_csv(arcalls.sample_path("calls"), dtype=str, keep_default_na=False)
    old.drop(columns=newer).to_csv(log, index=False, lineterminator="\n")
    before = log.read_bytes()
    update = append_calls(entered, log, now="2026-11-02 18:00")
    assert len(update.added) == 1
    after = log.read_bytes()
    # The log had no callback columns: its header line gains them, every row kept.
    head, rest = before.split(b"\n", 1)
    assert after.startswith(head + b",callback_at,payments_contact,payments_contact_title\n" + rest)
    calls = arcalls.load_calls(log)
    logged = calls.set_index("call_id").loc[entered["call_id"].iloc[0]]
    assert logged["callback_at"] == pd.Timestamp("2026-11-05 14:00")
    assert logged["payments_contact"] == "Jane Roe"
    tables = (s.invoices, s.payments, calls, s.customers)

    # Tue 2026-11-03: off the list, with the day and time asked for.
    tuesday = call_list(*tables, as_of="2026-11-03", model=SampleStub())
    assert third not in set(tuesday.calls["customer_id"])
    reason = tuesday.excluded.set_index("customer_id").loc[third, "reason"]
    # Every reason that applies: the callback, and the call of the day before yesterday.
    assert reason == "callback asked for Thu 2026-11-05 14:00; called within cool-down"
    # Thu 2026-11-05: first, with the time.
    thursday = call_list(*tables, as_of="2026-11-05", top=3, model=SampleStub())
    first = thursday.calls.iloc[0]
    assert first["customer_id"] == third
    assert first["reasons"].startswith("callback asked for 14:00 today")
    assert first["callback_due_at"] == pd.Timestamp("2026-11-05 14:00")
    # Thursday's call sheet shows who pays, and the confirmation of Monday's call says both.
    from arcalls.worksheet import call_sheets

    sheet = call_sheets(thursday, *tables).accounts.set_index("customer_id").loc[third]
    assert sheet["payments_line"] == (
        "Payments handled by: Jane Roe (Accounts payable), noted 2026-11-02"
    )
    done = arcalls.follow_ups(*tables, as_of="2026-11-02")
    body = done.letters.set_index("customer_id").loc[third, "body"]
    assert "we will call you back on Thursday, November 5, 2026 at 14:00." in body
    assert "payments are handled by Jane Roe (Accounts payable)." in body

    # A corrected callback (the same row, another time) replaces the logged entry.
    _fill(path, {4: {"callback_at": "2026-11-06 09:00"}})
    corrected = append_calls(
        read_filled_list(path, now="2026-11-02 18:00"), log, now="2026-11-02 18:30"
    )
    assert len(corrected.added) == 1 and len(corrected.replaced) == 1
    calls = arcalls.load_calls(log)
    mine = calls[calls["call_id"].str.startswith("LOG-")]
    assert mine["callback_at"].tolist() == [pd.Timestamp("2026-11-06 09:00")]


def test_a_callback_before_the_call_is_refused_naming_the_row(tmp_path):
    import arcalls
    from arcalls.worksheet import read_filled_list

    s = arcalls.load_sample()
    week = call_list(*s, as_of="2026-10-31", top=3, model=SampleStub())
    path = write_call_list(week, tmp_path / "week.xlsx")[0]
    _fill(
        path,
        {
            3: {
                "called_at": "2026-11-02 10:15",
                "outcome": "callback",
                "callback_at": "2026-11-02 09:00",
            },
            4: {"called_at": "2026-11-02 11:00", "outcome": "callback", "callback_at": "soon"},
        },
    )
    with pytest.raises(arcalls.InputError) as info:
        read_filled_list(path, now="2026-11-02 18:00")
    problems = info.value.problems
    assert problems[["row", "column"]].astype(str).values.tolist() == [
        ["3", "callback_at"],
        ["4", "callback_at"],
    ]
    assert "before the call's own time" in problems["problem"].iloc[0]
    assert problems["value"].iloc[0] == "2026-11-02 09:00"
    assert "week.xlsx" in str(info.value)


def test_a_list_written_before_the_callback_columns_still_reads(tmp_path):
    import openpyxl

    import arcalls
    from arcalls.worksheet import read_filled_list

    s = arcalls.load_sample()
    week = call_list(*s, as_of="2026-10-31", top=2, model=SampleStub())
    path = write_call_list(week, tmp_path / "week.xlsx")[0]
    wb = openpyxl.load_workbook(path)
    ws = wb["Call list"]
    header = _column_names(c.value for c in ws[1])
    for name in ("payments_contact_title", "payments_contact", "callback_at"):
        ws.delete_cols(header.index(name) + 1)
    wb.save(path)
    _fill(path, {2: {"called_at": "2026-11-02 10:15", "outcome": "voicemail"}})
    calls = read_filled_list(path, now="2026-11-02 18:00")
    assert calls["outcome"].tolist() == ["voicemail"]
    assert calls["callback_at"].isna().all()


# -- who pays, and the scripts on the call sheet -------------------------------------


def test_the_call_sheet_shows_the_latest_payments_contact_and_safe_scripts(tmp_path):
    from arcalls.worksheet import call_sheets, write_call_sheets

    logged = calls(
        [
            ("K1", "A", "2026-11-02 10:00", "third_party", None),
            ("K2", "A", "2026-11-09 10:00", "contact", None),
            ("K3", "B", "2026-11-03 10:00", "third_party", None),
            # Noted after the list's date: not known on it.
            ("K4", "B", "2026-11-11 10:00", "contact", None),
        ]
    ).assign(
        payments_contact=pd.array(["Old Name", "Jane Roe", None, "Too Late"], dtype="string"),
        payments_contact_title=pd.array(
            [None, "Accounts payable", "Accounts payable", None], dtype="string"
        ),
    )
    week = listed(logged, "2026-11-10", cooldown_days=0)
    sheets = call_sheets(
        week,
        INVOICES,
        None,
        logged,
        business_name="Acme Supplies",
        business_phone="555-0100",
        caller="Dana",
    )
    acc = sheets.accounts.set_index("customer_id")
    assert acc.loc["A", "payments_line"] == (
        "Payments handled by: Jane Roe (Accounts payable), noted 2026-11-09"
    )
    assert acc.loc["B", "payments_line"] == (
        "Payments handled by: Accounts payable, noted 2026-11-03"
    )
    assert pd.isna(acc.loc["C", "payments_line"])
    assert acc.loc["A", "voicemail_script"] == (
        "Hello, this message is for Jane Roe. This is Dana from Acme Supplies. "
        "Please call me back at 555-0100. Thank you."
    )
    assert acc.loc["A", "third_party_script"] == (
        "May I speak to Jane Roe, please? This is Dana. [If they are not available:] "
        "Could you ask them to call Dana back at 555-0100? Thank you."
    )
    # Neither script says anything about the debt: no amount, invoice or due date.
    for script in ("voicemail_script", "third_party_script"):
        text = " ".join(acc[script])
        for word in ("$", "invoice", "overdue", "owe", "payment by", "IA", "3,000"):
            assert word not in text, (script, word)
    assert "the person who handles your payments" in acc.loc["C", "voicemail_script"]
    page = write_call_sheets(sheets, tmp_path / "sheets.html").read_text(encoding="utf-8")
    assert "Payments handled by: Jane Roe (Accounts payable), noted 2026-11-09" in page
    assert page.count('<p class="voicemail">') == 3
    layout = sheets.layout()
    assert (layout["c1"] == "Who pays").sum() == 2
    assert (layout["c1"] == "Voicemail").sum() == 3


def test_without_a_phone_the_scripts_carry_a_placeholder():
    from arcalls.worksheet import PHONE_PLACEHOLDER, call_sheets

    sheets = call_sheets(listed(None, "2026-11-10"), INVOICES)
    assert sheets.accounts["voicemail_script"].str.contains(PHONE_PLACEHOLDER, regex=False).all()
    with pytest.raises(Exception, match="business_phone must be a non-empty text"):
        call_sheets(listed(None, "2026-11-10"), INVOICES, business_phone="  ")


def test_consumer_quiet_days_do_not_hold_back_a_callback_but_do_not_call_does():
    # A conversation on Mon asking for Wed: consumer mode's 7 quiet days would exclude it.
    asked = calls([("K1", "C", "2026-12-07 10:00", "callback", "2026-12-09 11:00")])
    week = listed(asked, "2026-12-09", consumer=True, cooldown_days=0)
    assert week.calls["customer_id"].iloc[0] == "C"
    plain = listed(asked.assign(callback_at=pd.NaT), "2026-12-09", consumer=True, cooldown_days=0)
    assert plain.excluded["reason"].tolist() == ["right-party contact in last 7 days"]
    # Another reason not to call still holds, and the excluded table names the callback.
    customers = pd.DataFrame(
        {"customer_id": pd.array(["C"], dtype="string"), "do_not_call": [True]}
    )
    held = call_list(INVOICES, None, asked, customers, as_of="2026-12-09", model=MODEL)
    assert held.excluded["reason"].tolist() == ["callback asked for 11:00 today; do not call"]


def test_calls_logged_in_the_same_second_the_one_further_down_the_file_is_the_latest():
    same = "2026-12-07 10:00"
    first_asks = calls(
        [("K1", "C", same, "callback", "2026-12-10 14:00"), ("K2", "C", same, "contact", None)]
    )
    assert listed(first_asks, "2026-12-08", cooldown_days=0).excluded.empty
    second_asks = first_asks.iloc[::-1].reset_index(drop=True)
    week = listed(second_asks, "2026-12-08", cooldown_days=0)
    assert week.excluded["reason"].tolist() == ["callback asked for Thu 2026-12-10 14:00"]


def test_a_call_log_with_a_callback_before_its_call_is_refused_naming_the_row(tmp_path):
    """The log's own rows follow the Excel list's rule: a callback is not before its call;
    a date alone means that day, so the call's own day is accepted."""
    import arcalls

    log = tmp_path / "calls.csv"
    log.write_text(
        "call_id,customer_id,called_at,outcome,callback_at\n"
        "K1,C1,2026-11-02 10:00,callback,2026-11-02 09:00\n"
        "K2,C1,2026-11-02 10:00,callback,2026-11-02\n"
        "K3,C2,2026-11-02 10:00,contact,2026-11-05 14:00\n",
        encoding="utf-8",
    )
    with pytest.raises(arcalls.ArcallsError) as caught:
        arcalls.load_calls(log)
    message = str(caught.value)
    assert "calls.csv, row 2, column 'callback_at': value '2026-11-02 09:00'" in message
    assert "row 3" not in message and "row 4" not in message
    with pytest.warns(arcalls.RowsSetAsideWarning):
        kept = arcalls.load_calls(log, on_bad_rows="skip")
    assert kept["call_id"].tolist() == ["K2", "K3"]
