"""The weekly call list: exclusions (one hand-made case per rule), order, exports."""

from __future__ import annotations

import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arcalls
from arcalls import InputError, OutputError, SchemaError, invoice_balances
from arcalls.calllist import (
    CALL_COLUMNS,
    EXCLUDED_COLUMNS,
    FALLBACK_REASON,
    REASON_AGENCY,
    REASON_ATTEMPTS,
    REASON_COOLDOWN,
    REASON_DISPUTED,
    REASON_DO_NOT_CALL,
    REASON_PENDING_PROMISE,
    REASON_RIGHT_PARTY,
    REASON_ZERO_OVERDUE,
    call_list,
    write_call_list,
)
from arcalls.worksheet import ENTRY_COLUMNS, SCREEN_ENTRY_COLUMNS, _column_names

AS_OF = pd.Timestamp("2025-06-30")  # a Monday


# -- hand-made canonical tables -------------------------------------------------------


def make_invoices(rows) -> pd.DataFrame:
    """rows: (invoice_id, customer_id, due_date, amount, disputed); issued 30 days before due."""
    frame = pd.DataFrame(
        rows, columns=["invoice_id", "customer_id", "due_date", "amount", "disputed"]
    )
    due = pd.to_datetime(frame["due_date"])
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


def make_payments(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["payment_id", "invoice_id", "payment_date", "amount"])
    return frame.astype(
        {
            "payment_id": "string",
            "invoice_id": "string",
            "payment_date": "datetime64[ns]",
            "amount": "float64",
        }
    )


def make_calls(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["call_id", "customer_id", "called_at", "outcome"])
    return frame.astype(
        {
            "call_id": "string",
            "customer_id": "string",
            "called_at": "datetime64[ns]",
            "outcome": "string",
        }
    )


def make_customers(rows) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "customer_name",
            "phone",
            "do_not_call",
            "placed_with_agency_date",
        ],
    )
    return frame.astype(
        {
            "customer_id": "string",
            "customer_name": "string",
            "phone": "string",
            "do_not_call": bool,
            "placed_with_agency_date": "datetime64[ns]",
        }
    )


def make_promises(rows) -> pd.DataFrame:
    """The columns of arcalls.promise_outcomes, made by hand."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "call_id",
            "customer_id",
            "called_at",
            "promise_date",
            "promised_amount",
            "status",
        ],
    )
    frame = frame.astype(
        {
            "call_id": "string",
            "customer_id": "string",
            "called_at": "datetime64[ns]",
            "promise_date": "datetime64[ns]",
            "promised_amount": "float64",
            "status": "string",
        }
    )
    return frame.assign(deadline=frame["promise_date"] + pd.Timedelta(days=3))


class StubModel:
    """Stands in for a fitted CallPriorityModel: a fixed p_pay per customer."""

    def __init__(self, p_pay: dict[str, float], default: float = 0.5):
        self.p_pay = p_pay
        self.default = default
        self.seen: list[str] = []

    def rank(self, snapshot: pd.DataFrame) -> pd.DataFrame:
        ids = snapshot["customer_id"].astype("string").reset_index(drop=True)
        self.seen = sorted(ids.tolist())
        p = ids.map(self.p_pay).astype("float64").fillna(self.default)
        return pd.DataFrame(
            {"customer_id": ids, "p_pay": p, "reasons": "stub reason", "expected_dollars": 0.0}
        )


# Customer by customer (as of Mon 2025-06-30), with the outcome worked out by hand:
#   C01 1,000.00 due 05-31 (30 dpd), a broken promise on 06-01  -> call, p .5 -> 500.00
#   C02   400.00 due 07-15 (not yet due)                        -> zero overdue balance
#   C03   300.00 due 05-01, disputed                            -> whole balance disputed
#   C04   500.00 overdue, promise made 06-20 still pending      -> pending promise
#   C05   600.00 overdue, do_not_call                           -> do not call
#   C06   700.00 overdue, placed with agency 06-01              -> placed with agency
#   C07   800.00 overdue, called Sat 06-28 (2 days ago)         -> called within cool-down
#   C08   900.00 overdue, 7 attempts 06-24..06-26 (4-6 days)    -> attempt limit
#   C09   250.00 paid in full on 06-10                          -> on neither table
#   C10 2,000.00 overdue, p .1                                  -> call, 200.00
#   C11   100.00 overdue + 150.00 credit note                   -> zero overdue (100-150<0)
#   C12 1,000.00 + 200.00 disputed, both overdue, -100 credit   -> call on 900.00, p .5 -> 450
#   C13   300.00 overdue, agency date 07-15 (future), a call
#         dated 07-01 (after as-of, unknown), p .3              -> call, 90.00
#   C14   600.00 overdue, do_not_call and called yesterday      -> both reasons
#   C15, C16 100.00 each, due 05-31, p .5                       -> call, 50.00 each, C15 first
INVOICES = make_invoices(
    [
        ("I01", "C01", "2025-05-31", 1000.0, False),
        ("I02", "C02", "2025-07-15", 400.0, False),
        ("I03", "C03", "2025-05-01", 300.0, True),
        ("I04", "C04", "2025-05-31", 500.0, False),
        ("I05", "C05", "2025-05-31", 600.0, False),
        ("I06", "C06", "2025-05-31", 700.0, False),
        ("I07", "C07", "2025-05-31", 800.0, False),
        ("I08", "C08", "2025-05-31", 900.0, False),
        ("I09", "C09", "2025-05-31", 250.0, False),
        ("I10", "C10", "2025-04-30", 2000.0, False),
        ("I11", "C11", "2025-05-31", 100.0, False),
        ("I11C", "C11", "2025-07-10", -150.0, False),
        ("I12A", "C12", "2025-05-31", 1000.0, False),
        ("I12B", "C12", "2025-05-15", 200.0, True),
        ("I12C", "C12", "2025-06-15", -100.0, False),
        ("I13", "C13", "2025-05-31", 300.0, False),
        ("I14", "C14", "2025-05-31", 600.0, False),
        ("I15", "C15", "2025-05-31", 100.0, False),
        ("I16", "C16", "2025-05-31", 100.0, False),
    ]
)
PAYMENTS = make_payments([("P09", "I09", "2025-06-10", 250.0)])
CALLS = make_calls(
    [
        ("K01", "C01", "2025-06-01 10:00", "promise"),
        ("K04", "C04", "2025-06-20 11:00", "promise"),
        ("K07", "C07", "2025-06-28 09:30", "voicemail"),
        *[(f"K08{i}", "C08", f"2025-06-{24 + i // 3} {9 + i}:00", "no_answer") for i in range(7)],
        ("K13", "C13", "2025-07-01 09:00", "no_answer"),
        ("K14", "C14", "2025-06-29 15:00", "refused"),
    ]
)
CUSTOMERS = make_customers(
    [
        ("C01", "Acme Ltd", "555-0101", False, None),
        ("C05", "Quiet Co", "555-0105", True, None),
        ("C06", "Placed Inc", "555-0106", False, "2025-06-01"),
        ("C13", "Later Agency", "555-0113", False, "2025-07-15"),
        ("C14", "Both Reasons", "555-0114", True, None),
    ]
)
# The rest of the address book: everyone with an invoice has a customer row.
CUSTOMERS = pd.concat(
    [
        CUSTOMERS,
        make_customers(
            [
                (c, None, None, False, None)
                for c in sorted(set(INVOICES["customer_id"]) - set(CUSTOMERS["customer_id"]))
            ]
        ),
    ],
    ignore_index=True,
)
PROMISES = make_promises(
    [
        ("K01", "C01", "2025-06-01 10:00", "2025-06-05", 1000.0, "broken"),
        ("K04", "C04", "2025-06-20 11:00", "2025-07-02", 500.0, "pending"),
    ]
)
P_PAY = {"C01": 0.5, "C10": 0.1, "C12": 0.5, "C13": 0.3, "C15": 0.5, "C16": 0.5}


def make_list(**options):
    options.setdefault("model", StubModel(P_PAY))
    options.setdefault("promises", PROMISES)
    return call_list(INVOICES, PAYMENTS, CALLS, CUSTOMERS, as_of=AS_OF, **options)


@pytest.fixture(scope="module")
def result():
    return make_list()


def reasons_of(result) -> dict[str, str]:
    return dict(zip(result.excluded["customer_id"], result.excluded["reason"], strict=True))


# -- exclusions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "reason"),
    [
        ("C02", REASON_ZERO_OVERDUE),
        ("C03", REASON_DISPUTED),
        ("C04", REASON_PENDING_PROMISE),
        ("C05", REASON_DO_NOT_CALL),
        ("C06", REASON_AGENCY),
        ("C07", REASON_COOLDOWN),
        ("C08", REASON_ATTEMPTS),
        ("C11", REASON_ZERO_OVERDUE),
    ],
)
def test_each_rule_excludes_its_account_with_that_reason(result, customer, reason):
    assert reasons_of(result)[customer] == reason
    assert customer not in set(result.calls["customer_id"])


def test_an_account_lists_every_reason_that_applies(result):
    assert reasons_of(result)["C14"] == f"{REASON_DO_NOT_CALL}; {REASON_COOLDOWN}"


def test_listed_plus_excluded_is_every_customer_with_an_open_balance(result):
    # Everyone but C09 (paid in full) has an open invoice on 06-30.
    open_customers = set(INVOICES["customer_id"]) - {"C09"}
    listed, excluded = set(result.calls["customer_id"]), set(result.excluded["customer_id"])
    assert listed | excluded == open_customers
    assert not listed & excluded


def test_cooldown_boundary_and_option():
    # C07 was called 2 days before as-of: blocked under a 3-day cool-down, not under 2.
    assert REASON_COOLDOWN in reasons_of(make_list())["C07"]
    relaxed = make_list(cooldown_days=2)
    assert "C07" in set(relaxed.calls["customer_id"])
    # C08's last attempt (06-26) is 4 days before as-of: a 5-day cool-down blocks it too.
    assert reasons_of(make_list(cooldown_days=5))["C08"] == f"{REASON_COOLDOWN}; {REASON_ATTEMPTS}"


def test_attempt_limit_is_configurable():
    # C08 made 7 attempts in the window: with a limit of 8 it may be called.
    assert "C08" in set(make_list(max_attempts_7d=8).calls["customer_id"])


def test_calls_after_as_of_are_unknown_and_future_agency_date_is_not_placed(result):
    assert "C13" in set(result.calls["customer_id"])
    row = result.calls.set_index("customer_id").loc["C13"]
    assert pd.isna(row["last_call_date"])


def test_consumer_mode_rests_accounts_after_a_right_party_contact():
    # C12's invoices are unchanged; a right-party "contact" 5 days ago (06-25) is outside
    # the 3-day cool-down, so only the consumer rule (7 quiet days) excludes it.
    calls = pd.concat(
        [CALLS, make_calls([("K12", "C12", "2025-06-25 10:00", "contact")])],
        ignore_index=True,
    )
    business = call_list(
        INVOICES,
        PAYMENTS,
        calls,
        CUSTOMERS,
        as_of=AS_OF,
        model=StubModel(P_PAY),
        promises=PROMISES,
    )
    consumer = call_list(
        INVOICES,
        PAYMENTS,
        calls,
        CUSTOMERS,
        as_of=AS_OF,
        model=StubModel(P_PAY),
        promises=PROMISES,
        consumer=True,
    )
    assert "C12" in set(business.calls["customer_id"])
    assert reasons_of(consumer)["C12"] == REASON_RIGHT_PARTY


def test_consumer_mode_never_allows_more_than_7_attempts_in_7_days():
    # C08 made 7 attempts: a limit of 8 lets it through for a business, not a consumer.
    relaxed = make_list(max_attempts_7d=8, consumer=True)
    assert reasons_of(relaxed)["C08"] == REASON_ATTEMPTS


def test_pending_promise_from_the_calls_themselves():
    # No promises table given: arcalls.promise_outcomes judges C04's promise of 06-20
    # (due 07-02, deadline 07-05 with 3 grace days) as pending on 06-30.
    calls = CALLS.assign(
        promise_date=pd.Series(pd.NaT, index=CALLS.index, dtype="datetime64[ns]"),
        promise_amount=pd.Series(np.nan, index=CALLS.index, dtype="float64"),
    )
    calls.loc[calls["call_id"] == "K04", ["promise_date", "promise_amount"]] = [
        pd.Timestamp("2025-07-02"),
        500.0,
    ]
    calls.loc[calls["call_id"] == "K01", ["promise_date", "promise_amount"]] = [
        pd.Timestamp("2025-06-05"),
        1000.0,
    ]
    out = call_list(INVOICES, PAYMENTS, calls, CUSTOMERS, as_of=AS_OF, model=StubModel(P_PAY))
    assert reasons_of(out)["C04"] == REASON_PENDING_PROMISE
    # C01 paid nothing by 06-08 (06-05 + 3): broken, shown but not a reason to skip.
    c01 = out.calls.set_index("customer_id").loc["C01"]
    assert (c01["promise_status"], c01["promise_amount"]) == ("broken", 1000.0)


# -- balances, order, columns ---------------------------------------------------------


def test_balances_net_credits_and_leave_disputes_out(result):
    calls = result.calls.set_index("customer_id")
    # C12: 1,000 undisputed overdue - 100 credit = 900; the disputed 200 is not chased.
    assert calls.loc["C12", "overdue_balance"] == 900.00
    assert calls.loc["C12", "overdue_invoices"] == "I12A"
    excluded = result.excluded.set_index("customer_id")
    assert excluded.loc["C03", "disputed_balance"] == 300.00
    assert excluded.loc["C03", "overdue_balance"] == 0.00
    # C11: 100 - 150 = -50 open, nothing to chase.
    assert excluded.loc["C11", "open_balance"] == -50.00
    assert excluded.loc["C11", "overdue_balance"] == 0.00


def test_order_is_expected_dollars_then_balance_then_customer_id(result):
    # 500 (C01), 450 (C12), 200 (C10), 90 (C13), then the 50.00 tie C15 before C16.
    assert result.calls["customer_id"].tolist() == ["C01", "C12", "C10", "C13", "C15", "C16"]
    assert result.calls["expected_dollars"].tolist() == [500.0, 450.0, 200.0, 90.0, 50.0, 50.0]
    assert result.calls["rank"].tolist() == [1, 2, 3, 4, 5, 6]


def test_equal_expected_dollars_put_the_bigger_balance_first():
    invoices = make_invoices(
        [
            ("A", "small", "2025-05-31", 100.0, False),
            ("B", "big", "2025-05-31", 200.0, False),
            ("C", "big", "2025-04-30", 50.0, False),
        ]
    )
    payments = make_payments([("P", "C", "2025-05-02", 50.0)])
    # 100 x 1.0 = 200 x 0.5 = 100.00: the bigger balance wins the tie.
    model = StubModel({"small": 1.0, "big": 0.5})
    out = call_list(invoices, payments, as_of=AS_OF, model=model)
    assert out.calls["customer_id"].tolist() == ["big", "small"]


def test_top_keeps_the_first_accounts_and_the_whole_excluded_table(result):
    top = make_list(top=2)
    assert top.calls["customer_id"].tolist() == ["C01", "C12"]
    assert top.callable_accounts == 6
    pd.testing.assert_frame_equal(top.excluded, result.excluded)


def test_columns_reasons_promise_and_handoff(result):
    assert tuple(result.calls.columns) == CALL_COLUMNS
    assert tuple(result.excluded.columns) == EXCLUDED_COLUMNS
    assert (result.calls["reasons"] == "stub reason").all()
    c01 = result.calls.set_index("customer_id").loc["C01"]
    assert c01["customer_name"] == "Acme Ltd"
    assert c01["phone"] == "555-0101"
    assert c01["promise_status"] == "broken"
    assert c01["promise_date"] == pd.Timestamp("2025-06-05")
    assert c01["last_call_date"] == pd.Timestamp("2025-06-01")
    assert c01["last_call_outcome"] == "promise"
    assert c01["oldest_days_past_due"] == 30
    assert not result.calls["handoff_suggested"].any()
    assert (result.calls["action"] == "call").all()  # no handoff asked for
    # C10 is 61 days past due (04-30 -> 06-30), the others 30: only C10 passes 60, and
    # is flagged only when its own gain of placing it is above zero: with an agency
    # twice as good as the owner (a given factor), it is.
    curve = pd.DataFrame({"days_past_due": [0, 60], "recovery_rate": [0.9, 0.5]})
    good_agency = arcalls.handoff_analysis(curve, horizon_days=365, agency_factor=2.0)
    handed = make_list(handoff_age=60, handoff=good_agency).calls
    assert handed.loc[handed["handoff_suggested"], "customer_id"].tolist() == ["C10"]
    assert (handed.loc[handed["handoff_suggested"], "handoff_gain"] > 0).all()
    # An agency no better than the owner with free calls: placing never gains.
    no_gain = arcalls.handoff_analysis(curve, horizon_days=365, cost_per_call=0.0)
    kept = make_list(handoff_age=60, handoff=no_gain).calls
    assert not kept["handoff_suggested"].any() and (kept["handoff_gain"] <= 0).all()


def test_the_model_only_ranks_accounts_that_may_be_called():
    model = StubModel(P_PAY)
    make_list(model=model)
    assert model.seen == ["C01", "C10", "C12", "C13", "C15", "C16"]


def test_summary_and_description(result):
    s = result.summary
    assert s["accounts_listed"] == 6
    assert s["accounts_excluded"] == 9
    assert s["expected_dollars_listed"] == pytest.approx(1340.0, abs=0.005)
    assert result.excluded_by_reason[REASON_ZERO_OVERDUE] == 2
    assert result.excluded_by_reason[REASON_COOLDOWN] == 2  # C07 and C14
    text = result.describe()
    assert text.startswith("6 accounts to call, 9 excluded (2 zero overdue balance")
    assert "$1,340.00" in text
    assert "<table" in result._repr_html_()


def test_inputs_are_not_mutated():
    before = INVOICES.copy(deep=True), CALLS.copy(deep=True), CUSTOMERS.copy(deep=True)
    make_list()
    for frame, copy in zip((INVOICES, CALLS, CUSTOMERS), before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


# -- validation -----------------------------------------------------------------------


def test_missing_column_is_named():
    with pytest.raises(
        SchemaError, match=r"invoices lacks the required column\(s\) \['due_date'\]"
    ):
        call_list(INVOICES.drop(columns="due_date"), as_of=AS_OF, model=StubModel({}))


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("top", 0, "top must be a whole number >= 1 or None, got 0"),
        ("cooldown_days", -1, "cooldown_days must be a whole number >= 0, got -1"),
        ("max_attempts_7d", 2.5, "max_attempts_7d must be a whole number >= 1, got 2.5"),
    ],
)
def test_bad_options_say_what_was_expected(option, value, message):
    with pytest.raises(InputError, match=message):
        make_list(**{option: value})


def test_bad_as_of():
    with pytest.raises(InputError, match="as_of must be a date"):
        call_list(INVOICES, as_of="not a date")


# -- exports --------------------------------------------------------------------------

NASTY = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)"]


@pytest.fixture(scope="module")
def nasty_result():
    names = dict(zip(["C01", "C02", "C03", "C04"], NASTY, strict=True))
    customers = make_customers(
        [
            (c, names.get(c, "Fine"), "+1 555 0100", False, None)
            for c in sorted(INVOICES["customer_id"].unique())
        ]
    )
    return call_list(
        INVOICES,
        PAYMENTS,
        CALLS,
        customers,
        as_of=AS_OF,
        model=StubModel(P_PAY),
        promises=PROMISES,
    )


def test_csv_export_neutralises_formulas(tmp_path, nasty_result):
    paths = write_call_list(nasty_result, tmp_path / "list.csv")
    assert [p.name for p in paths] == ["list.csv", "list_excluded.csv"]
    text = "".join(p.read_text(encoding="utf-8") for p in paths)
    for name in NASTY:
        assert f",{name}," not in text and f',"{name}' not in text
    back = pd.concat([pd.read_csv(p, dtype=str) for p in paths])
    assert set(back["customer_name"].dropna()) >= {"'" + n for n in NASTY}
    assert set(back["phone"].dropna()) == {"'+1 555 0100"}


def test_csv_export_formats_numbers_and_dates(tmp_path, result):
    path = write_call_list(result, tmp_path / "list.csv")[0]
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0] == ",".join(CALL_COLUMNS)
    first = dict(zip(CALL_COLUMNS, lines[1].split(","), strict=True))
    assert first["overdue_balance"] == "1000.00"
    assert first["p_pay"] == "0.5000"
    assert first["expected_dollars"] == "500.00"
    assert first["promise_date"] == "2025-06-05"
    assert first["last_call_date"] == "2025-06-01"
    assert lines[-1] == ""  # newline-terminated, no \r
    assert "\r" not in path.read_text(encoding="utf-8")


def test_xlsx_export_is_a_real_workbook_with_text_not_formulas(tmp_path, nasty_result):
    path = write_call_list(nasty_result, tmp_path / "list.xlsx")[0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Call list", "Excluded"]
    names = []
    for ws in wb.worksheets:
        # The list is frozen after its entry columns, the excluded table after its header.
        printed = len(ENTRY_COLUMNS) - len(SCREEN_ENTRY_COLUMNS)
        after_entries = openpyxl.utils.get_column_letter(5 + printed) + "2"
        assert ws.freeze_panes == (after_entries if ws.title == "Call list" else "A2")
        header = _column_names(c.value for c in ws[1])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
        names += [
            c.value
            for c in ws[openpyxl.utils.get_column_letter(header.index("customer_name") + 1)][1:]
        ]
    assert set(NASTY) <= set(names)
    ws = wb["Call list"]
    header = _column_names(c.value for c in ws[1])
    money = ws.cell(row=2, column=header.index("overdue_balance") + 1)
    assert money.number_format == '"$"#,##0.00'
    assert money.value == 1000.0
    date = ws.cell(row=2, column=header.index("promise_date") + 1)
    assert date.number_format == "yyyy-mm-dd"
    assert date.value == pd.Timestamp("2025-06-05").to_pydatetime()
    assert ws.column_dimensions["B"].width >= len("Customer")


def test_unknown_suffix_is_refused(tmp_path, result):
    with pytest.raises(OutputError, match=r"must end in \.csv or \.xlsx, got '\.txt'"):
        write_call_list(result, tmp_path / "list.txt")


def test_missing_folder_is_an_output_error(tmp_path, result):
    with pytest.raises(OutputError, match="does not exist"):
        write_call_list(result, tmp_path / "nowhere" / "list.csv")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_same_inputs_give_the_same_bytes(tmp_path, suffix):
    first = write_call_list(make_list(), tmp_path / f"a{suffix}")
    second = write_call_list(make_list(), tmp_path / f"b{suffix}")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_xlsx_members_carry_the_as_of_date(tmp_path, result):
    path = write_call_list(result, tmp_path / "list.xlsx")[0]
    with zipfile.ZipFile(path) as zf:
        assert {info.date_time[:3] for info in zf.infolist()} == {(2025, 6, 30)}
    assert openpyxl.load_workbook(path).properties.modified.date() == AS_OF.date()


def test_csv_failure_mid_write_leaves_both_previous_files(tmp_path, result, monkeypatch):
    paths = write_call_list(result, tmp_path / "list.csv")
    before = [p.read_bytes() for p in paths]
    real_to_csv = pd.DataFrame.to_csv
    written = []

    def fail_on_second(self, path, **kwargs):
        # The first file is fully written to its temporary, the second half-written.
        if written:
            with open(path, "w") as fh:
                fh.write("rank,cust")
            raise OSError("disk full")
        written.append(path)
        return real_to_csv(self, path, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail_on_second)
    with pytest.raises(OutputError, match="disk full"):
        write_call_list(make_list(top=1), tmp_path / "list.csv")
    assert [p.read_bytes() for p in paths] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.csv", "list_excluded.csv"]


def test_xlsx_failure_mid_write_leaves_the_previous_file(tmp_path, result, monkeypatch):
    path = write_call_list(result, tmp_path / "list.xlsx")[0]
    before = path.read_bytes()
    import pathlib

    def half_write(self, data):
        with open(self, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(pathlib.Path, "write_bytes", half_write)
    with pytest.raises(OutputError, match="disk full"):
        write_call_list(make_list(top=1), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["list.xlsx"]


def test_empty_list_still_writes_headers(tmp_path):
    invoices = make_invoices([("A", "X", "2025-07-15", 100.0, False)])  # issued 06-15
    out = call_list(invoices, as_of=AS_OF, model=StubModel({}))
    assert out.calls.empty and out.excluded["reason"].tolist() == [REASON_ZERO_OVERDUE]
    csv_path, _ = write_call_list(out, tmp_path / "l.csv")
    assert csv_path.read_text(encoding="utf-8") == ",".join(CALL_COLUMNS) + "\n"
    xlsx = write_call_list(out, tmp_path / "l.xlsx")[0]
    header = [c.value for c in openpyxl.load_workbook(xlsx)["Call list"][1]]
    # People's headers in Excel, who to call first; no entry columns on an empty list.
    assert header[:4] == ["#", "Customer", "Phone", "Best time to call"]
    assert sorted(_column_names(header)) == sorted(CALL_COLUMNS)
    assert np.isclose(out.summary["expected_dollars_listed"], 0.0)


# -- property: nobody with an open balance goes missing ---------------------------------


@st.composite
def histories(draw):
    n_customers = draw(st.integers(1, 6))
    ids = [f"C{i}" for i in range(n_customers)]
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ids),
                st.integers(-60, 60),  # due date, days from as-of
                st.sampled_from([-80.0, 0.0, 45.5, 100.0, 1234.56]),
                st.booleans(),
            ),
            min_size=1,
            max_size=12,
        )
    )
    invoices = make_invoices(
        [
            (f"I{i}", cust, str((AS_OF + pd.Timedelta(days=due)).date()), amount, disputed)
            for i, (cust, due, amount, disputed) in enumerate(rows)
        ]
    )
    paid_share = draw(st.sampled_from([0.0, 0.5, 1.0]))
    payments = make_payments(
        [("P0", "I0", str((AS_OF - pd.Timedelta(days=1)).date()), rows[0][2] * paid_share)]
    )
    call_days = draw(st.lists(st.tuples(st.sampled_from(ids), st.integers(0, 10)), max_size=10))
    calls = make_calls(
        [
            (f"K{i}", cust, str(AS_OF - pd.Timedelta(days=days, hours=-9)), "no_answer")
            for i, (cust, days) in enumerate(call_days)
        ]
    )
    flags = draw(st.lists(st.booleans(), min_size=n_customers, max_size=n_customers))
    customers = make_customers(
        [(cust, f"Name {cust}", None, flag, None) for cust, flag in zip(ids, flags, strict=True)]
    )
    return invoices, payments, calls, customers


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_listed_and_excluded_partition_the_open_accounts(history):
    invoices, payments, calls, customers = history
    out = call_list(*history, as_of=AS_OF, model=StubModel({}), promises=None)
    balances = invoice_balances(invoices, payments, as_of=AS_OF)
    open_customers = set(balances.loc[balances["is_open"], "customer_id"])
    listed, excluded = set(out.calls["customer_id"]), set(out.excluded["customer_id"])
    assert listed | excluded == open_customers
    assert not listed & excluded
    assert (out.calls["overdue_balance"] > 0).all()
    assert out.calls["rank"].tolist() == list(range(1, len(out.calls) + 1))
    assert out.calls["expected_dollars"].is_monotonic_decreasing
    assert (out.excluded["reason"].str.len() > 0).all()


def test_a_history_that_cannot_train_the_model_falls_back_to_largest_overdue(ibm_ar_path):
    # Every IBM invoice is paid at most 45 days late: by late 2013 every overdue
    # account-week in the training window paid within 30 days, so there is nothing to
    # learn non-payment from. The list still comes out, ranked by overdue balance.
    invoices = arcalls.load_invoices(ibm_ar_path, preset="ibm_ar")
    with pytest.raises(arcalls.NotEnoughHistoryError, match="paid and that did not"):
        arcalls.fit_call_priority_model(invoices, as_of="2013-12-31")
    result = arcalls.call_list(invoices, as_of="2013-12-31")
    assert len(result.calls) > 1
    assert result.calls["overdue_balance"].is_monotonic_decreasing
    assert result.calls["p_pay"].isna().all()
    assert (result.calls["reasons"] == FALLBACK_REASON).all()
    assert result.ranking_note.startswith("Ranked by largest overdue balance")
    assert "Ranked by largest overdue balance" in result.describe()
    assert "expected dollars" not in result.describe()


# -- the two overdue totals: the list's and aging's, reconciled -----------------------


def test_the_lists_overdue_reconciles_with_agings_by_hand():
    # A: 100 past due, a 30 credit note not yet due -> list overdue 70 (30 netted);
    # B: 200 past due and disputed, 50 past due undisputed -> list 50, disputed 200;
    # C: 40 past due, do not call -> excluded 40;  D: 25 past due, E: 10 past due.
    inv = make_invoices(
        [
            ("A1", "A", "2025-06-01", 100.0, False),
            ("A2", "A", "2025-07-15", -30.0, False),
            ("B1", "B", "2025-05-01", 200.0, True),
            ("B2", "B", "2025-06-10", 50.0, False),
            ("C1", "C", "2025-06-20", 40.0, False),
            ("D1", "D", "2025-06-25", 25.0, False),
            ("E1", "E", "2025-06-26", 10.0, False),
        ]
    )
    customers = make_customers([("C", "Cee", None, True, None)])
    week = call_list(inv, None, None, customers, as_of=AS_OF, top=2)
    parts = week.overdue_reconciliation
    assert week.calls["customer_id"].tolist() == ["A", "B"]  # the two largest, no model
    assert parts.to_dict() == {
        "all_overdue": 425.0,
        "listed": 120.0,  # A 70 + B 50
        "beyond_top": 35.0,  # D 25 + E 10
        "excluded": 40.0,  # C
        "disputed": 200.0,
        "credits": 30.0,  # A's credit note not yet due, netted by the list
    }
    aging_overdue = arcalls.aging(inv, as_of=AS_OF, by=None)["overdue"].item()
    assert parts["all_overdue"] == aging_overdue
    text = week.describe()
    assert "$120.00 overdue on the listed accounts (undisputed, net of credits)" in text
    assert (
        "All overdue receivables (as arcalls aging counts them): $425.00 = $120.00 listed "
        "+ $35.00 on callable accounts beyond the top + $40.00 on the excluded accounts "
        "+ $200.00 disputed + $30.00 netted credits." in text
    )


def test_the_samples_two_overdue_totals_reconcile_to_the_cent():
    s = arcalls.load_sample()
    as_of = arcalls.SAMPLE_AS_OF
    week = call_list(*s, as_of=as_of)
    parts = week.overdue_reconciliation
    aging_overdue = arcalls.ar_metrics(s.invoices, s.payments, as_of=as_of)["ar_overdue"].item()
    bal = invoice_balances(s.invoices, s.payments, as_of=as_of)
    past_due = bal[bal["is_open"] & (bal["days_past_due"] > 0)]
    disputed = past_due.loc[past_due["disputed"].astype(bool), "open_amount"].sum()
    listed = week.calls["overdue_balance"].sum()
    excluded = week.excluded["overdue_balance"].sum()
    cents = np.round(np.array([aging_overdue, listed + excluded + disputed]) * 100)
    # The sample has no credit notes: aging overdue = listed + excluded + disputed.
    assert (past_due["open_amount"] > 0).all()
    assert cents[0] == cents[1]
    assert round(parts["all_overdue"] * 100) == cents[0]
    assert parts["credits"] == 0.0 and parts["beyond_top"] == 0.0
