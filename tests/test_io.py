"""Tests for arcalls.io: reading, parsing, validation, lenient loading, the ledger example."""

from __future__ import annotations

import csv
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arcalls
from arcalls import (
    AmbiguousDateError,
    ArcallsError,
    InputError,
    IntegrityError,
    ParseError,
    RowsSetAsideWarning,
    SchemaError,
)
from arcalls.io import (
    check_file,
    load_calls,
    load_customers,
    load_invoices,
    load_payments,
    load_report,
)

HEADER = "invoice_id,customer_id,invoice_date,due_date,amount\n"


def csv_file(tmp_path, text: str, name: str = "invoices.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def quiet_skip(loader, source, **options):
    with pytest.warns(RowsSetAsideWarning):
        return loader(source, on_bad_rows="skip", **options)


# --------------------------------------------------------------------------- reading


def test_ids_keep_leading_zeros_and_dtypes_are_canonical(tmp_path):
    path = csv_file(tmp_path, HEADER + "000123,0042,2026-01-05,2026-02-04,100.5\n")
    inv = load_invoices(path)
    assert inv["invoice_id"].tolist() == ["000123"]
    assert inv["customer_id"].tolist() == ["0042"]
    assert inv.dtypes.astype(str).to_dict() == {
        "invoice_id": "string",
        "customer_id": "string",
        "invoice_date": "datetime64[ns]",
        "due_date": "datetime64[ns]",
        "amount": "float64",
        "is_credit": "bool",
    }
    report = load_report(inv)
    assert (report.rows_in, report.rows_loaded, report.encoding) == (1, 1, "utf-8")


def test_bom_file_is_read_and_header_matched(tmp_path):
    path = csv_file(tmp_path, HEADER + "A1,C1,2026-01-05,2026-02-04,10\n", encoding="utf-8-sig")
    inv = load_invoices(path)
    assert inv["invoice_id"].tolist() == ["A1"]
    assert load_report(inv).encoding == "utf-8-sig"


def test_cp1252_file_is_read_and_reported(tmp_path):
    text = HEADER.replace("\n", ",customer_name\n") + "A1,C1,2026-01-05,2026-02-04,10,Café Müller\n"
    path = csv_file(tmp_path, text, encoding="cp1252")
    inv = load_invoices(path)
    assert inv["customer_name"].tolist() == ["Café Müller"]
    report = load_report(inv)
    assert report.encoding == "cp1252"
    assert "cp1252" in report.notes[0]


def test_semicolon_file_with_decimal_commas(tmp_path):
    text = (
        "Invoice ID;Customer ID;Invoice Date;Due Date;Amount\n"
        "1;A;31/01/2026;02/03/2026;1.234,56\n"
        "2;A;01/02/2026;03/03/2026;(12,00)\n"
        "3;A;01/02/2026;03/03/2026;7\n"
    )
    inv = load_invoices(csv_file(tmp_path, text))
    assert inv["amount"].tolist() == [1234.56, -12.0, 7.0]
    # 31/01 decides the file day-first; the due_date column (02/03, 03/03) decides nothing
    # by itself and follows the file's other date column: 2 March, 3 March.
    assert inv["invoice_date"].tolist()[0] == pd.Timestamp("2026-01-31")
    assert inv["due_date"].tolist() == [pd.Timestamp(f"2026-03-0{d}") for d in (2, 3, 3)]


def test_tab_separated_file(tmp_path):
    text = HEADER.replace(",", "\t") + "A1\tC1\t2026-01-05\t2026-02-04\t$1,000.00\n"
    inv = load_invoices(csv_file(tmp_path, text))
    assert inv["amount"].tolist() == [1000.0]


def test_header_matching_ignores_case_spaces_dashes_and_underscores(tmp_path):
    text = "Invoice ID,CUSTOMER-ID,invoice date,Due_Date,AMOUNT\nA,B,2026-01-01,2026-01-31,1\n"
    assert load_invoices(csv_file(tmp_path, text)).columns[:5].tolist() == [
        "invoice_id",
        "customer_id",
        "invoice_date",
        "due_date",
        "amount",
    ]


def test_dataframe_and_file_like_sources():
    frame = pd.DataFrame(
        {
            "invoice_id": [7],
            "customer_id": ["C"],
            "invoice_date": pd.to_datetime(["2026-01-05"]),
            "due_date": ["2026-02-04"],
            "amount": [12.345],
        }
    )
    inv = load_invoices(frame)
    assert inv["invoice_id"].tolist() == ["7"]
    assert inv["amount"].tolist() == [12.35] or inv["amount"].tolist() == [12.34]
    assert (
        load_invoices(io.StringIO(HEADER + "A,C,2026-01-05,2026-02-04,5\n"))["amount"].iloc[0] == 5
    )


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"$1,234.56"', 1234.56),
        ("$1234.56", 1234.56),
        ("(12.00)", -12.0),
        ("-0", 0.0),
        (" 12.346 ", 12.35),  # rounded to cents
        ("€ 99", 99.0),
        ("-5.10", -5.1),
    ],
)
def test_amount_formats(tmp_path, text, expected):
    inv = load_invoices(csv_file(tmp_path, HEADER + f"A,C,2026-01-05,2026-02-04,{text}\n"))
    got = inv["amount"].iloc[0]
    assert got == pytest.approx(expected, abs=0.0051)
    assert not np.signbit(got) or expected < 0


@pytest.mark.parametrize("text", ["NaN", "inf", "1e308", "12..5", "abc", "1e12"])
def test_bad_amounts_are_problems_naming_row_column_value(tmp_path, text):
    path = csv_file(
        tmp_path, HEADER + "A,C,2026-01-05,2026-02-04,1\nB,C,2026-01-05,2026-02-04," + text + "\n"
    )
    with pytest.raises(
        ParseError, match=rf"invoices\.csv, row 3, column 'amount': value '{text}'"
    ) as err:
        load_invoices(path)
    problems = err.value.problems
    assert problems[["row", "column", "value"]].to_dict("records") == [
        {"row": 3, "column": "amount", "value": text}
    ]


# --------------------------------------------------------------------------- dates


def dates_file(tmp_path, values: list[str], column: str = "invoice_date"):
    rows = []
    for i, v in enumerate(values):
        inv, due = (v, "2026-12-31") if column == "invoice_date" else ("2026-01-01", v)
        rows.append(f"I{i},C,{inv},{due},1")
    return csv_file(tmp_path, HEADER + "\n".join(rows) + "\n")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2026-01-05", "2026-11-23"], ["2026-01-05", "2026-11-23"]),
        (["1/2/2026", "1/13/2026"], ["2026-01-02", "2026-01-13"]),  # 13 decides month-first
        (["1/2/2026", "13/1/2026"], ["2026-02-01", "2026-01-13"]),  # 13 decides day-first
        (["23 Nov 2026", "1 February 2026"], ["2026-11-23", "2026-02-01"]),
        (["26-Apr-11", "05-Sep-11"], ["2011-04-26", "2011-09-05"]),
        (["26-04-2011 11:50", "05-09-2011 20:55"], ["2011-04-26", "2011-09-05"]),
        (["3/3/2026"], ["2026-03-03"]),  # day == month reads one way only
    ],
)
def test_date_formats(tmp_path, values, expected):
    inv = load_invoices(dates_file(tmp_path, values))
    assert inv["invoice_date"].tolist() == [pd.Timestamp(e) for e in expected]


def test_ambiguous_date_column_raises_naming_the_options(tmp_path):
    path = dates_file(tmp_path, ["01/02/2026", "03/04/2026"])
    with pytest.raises(
        AmbiguousDateError, match=r"invoices\.csv, column 'invoice_date'.*dayfirst=.*date_format="
    ):
        load_invoices(path)
    assert load_invoices(path, dayfirst=True)["invoice_date"].tolist() == [
        pd.Timestamp("2026-02-01"),
        pd.Timestamp("2026-04-03"),
    ]
    same_format = csv_file(tmp_path, HEADER + "A,C,01/02/2026,03/02/2026,1\n", "invoices_mdy.csv")
    got = load_invoices(same_format, date_format="%m/%d/%Y")
    assert got[["invoice_date", "due_date"]].iloc[0].tolist() == [
        pd.Timestamp("2026-01-02"),
        pd.Timestamp("2026-03-02"),
    ]


def test_ambiguity_is_table_level_even_when_lenient(tmp_path):
    with pytest.raises(AmbiguousDateError):
        load_invoices(dates_file(tmp_path, ["01/02/2026", "03/04/2026"]), on_bad_rows="skip")


def test_column_mixing_day_first_and_month_first_is_an_error(tmp_path):
    with pytest.raises(
        ParseError, match=r"mixes day-first.*'13/01/2026'.*month-first.*'01/13/2026'"
    ):
        load_invoices(dates_file(tmp_path, ["13/01/2026", "01/13/2026"]))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-02-30", "not a date"),
        ("soon", "not a date"),
        ("2202-01-05", r"date outside 1970\.\.2100"),
        ("1/13/1901", r"date outside 1970\.\.2100"),
    ],
)
def test_bad_dates_are_problems(tmp_path, value, problem):
    path = dates_file(tmp_path, ["2026-01-05", value])
    with pytest.raises(
        ParseError, match=rf"row 3, column 'invoice_date': value '{value}': {problem}"
    ):
        load_invoices(path)


def test_date_format_wins_and_reports_misfits(tmp_path):
    path = dates_file(tmp_path, ["26-Apr-11", "2011-04-27"])
    with pytest.raises(ParseError, match=r"row 3.*not a date in the format '%d-%b-%y'"):
        load_invoices(path, date_format="%d-%b-%y")


# --------------------------------------------------------------------------- fast paths

# A UTF-8 file is read by pyarrow from its bytes and its ISO dates and plain amounts are
# parsed over whole columns in C++; anything else goes through the careful reader and the
# general parsers. These tests pin that both give the same frame, rows and problems.

MIXED_ROWS = [
    "I1,C1,2026-01-05,2026-02-04,12.50",
    'I2,"Acme, Inc.",2026-01-06,2026-02-05,"$1,234.56"',
    "I3,C2,2026-01-07,2026-02-06,(3.00)",
    "I4,C2,2026-02-30,2026-03-01,-0.00",
    "I5,C3,2026-01-08,2026-02-07,abc",
    "I5,C3, 2026-01-09,2026-02-08, 7 ",
]


def _loaded(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsSetAsideWarning)
        frame = load_invoices(path, on_bad_rows="skip")
    report = load_report(frame)
    return frame, report.set_aside.astype(object), report.rows_in


@pytest.mark.parametrize(
    ("name", "line_end", "encoding"),
    [
        ("crlf.csv", "\r\n", "utf-8"),
        ("cr.csv", "\r", "utf-8"),  # bare CR: the careful reader
        ("cp1252.csv", "\n", "cp1252"),  # not UTF-8: the careful reader
        ("bom.csv", "\n", "utf-8-sig"),
    ],
)
def test_fast_and_careful_readers_agree(tmp_path, name, line_end, encoding):
    text = HEADER + "\n".join(MIXED_ROWS) + "\n"
    fast = _loaded(csv_file(tmp_path, text, "fast.csv"))
    other = _loaded(csv_file(tmp_path, text.replace("\n", line_end), name, encoding))
    pd.testing.assert_frame_equal(fast[0], other[0])
    pd.testing.assert_frame_equal(fast[1], other[1])
    assert fast[2] == other[2] == 6
    assert fast[1]["row"].tolist() == [5, 6, 7]
    assert fast[0]["amount"].tolist() == [12.5, 1234.56, -3.0]


def _spy_on_the_fast_reader(monkeypatch) -> list[bool]:
    """Whether each read of pyarrow's reader gave a table (False: it gave up)."""
    from arcalls import _parse

    seen, read = [], _parse._read_fast

    def spy(*args, **kwargs):
        cells = read(*args, **kwargs)
        seen.append(cells is not None)
        return cells

    monkeypatch.setattr(_parse, "_read_fast", spy)
    return seen


def test_rows_longer_than_a_read_block_load_alike(tmp_path, monkeypatch):
    # pyarrow refuses a row that straddles two block boundaries; the careful reader then
    # reads the file, to the same frame, rows and problems. Blocks of 64 bytes here: the
    # long row (a 150-character customer id) is 180 bytes.
    from arcalls import _parse

    long_row = "I7," + "C" * 150 + ",2026-01-10,2026-02-09,5.00"
    text = HEADER + "\n".join([*MIXED_ROWS, long_row]) + "\n"
    path = csv_file(tmp_path, text)
    whole = _loaded(path)
    monkeypatch.setattr(_parse, "_BLOCK_SIZE", 64)
    fast = _spy_on_the_fast_reader(monkeypatch)
    split = _loaded(path)
    assert fast and not any(fast)  # pyarrow gave up each time: the careful reader read it
    pd.testing.assert_frame_equal(whole[0], split[0])
    pd.testing.assert_frame_equal(whole[1], split[1])
    assert whole[2] == split[2] == 7
    assert split[1]["row"].tolist() == [5, 6, 7]
    assert split[0]["customer_id"].iloc[-1] == "C" * 150


def test_a_file_of_many_read_blocks_loads_as_one(tmp_path, monkeypatch):
    # Every row shorter than a block, the file many blocks long: the same frame.
    from arcalls import _parse

    rows = [f"I{i},C{i % 7},2026-01-05,2026-02-04,{i}.25" for i in range(2_000)]
    path = csv_file(tmp_path, HEADER + "\n".join(rows) + "\n")
    whole = load_invoices(path)
    monkeypatch.setattr(_parse, "_BLOCK_SIZE", 4_096)
    fast = _spy_on_the_fast_reader(monkeypatch)
    split = load_invoices(path)
    assert fast == [True]  # read by pyarrow, in 4 kB blocks
    pd.testing.assert_frame_equal(whole, split)
    assert split["amount"].sum() == pytest.approx(sum(i + 0.25 for i in range(2_000)))


def test_text_columns_are_arrow_backed_strings(tmp_path):
    inv = load_invoices(csv_file(tmp_path, HEADER + "A1,C1,2026-01-05,2026-02-04,10\n"))
    for column in ("invoice_id", "customer_id"):
        assert inv[column].dtype == pd.StringDtype("pyarrow")
        assert inv[column].dtype == "string"
    assert arcalls.schema.empty_frame("invoices")["invoice_id"].dtype == pd.StringDtype("pyarrow")


def test_blank_line_under_the_header_keeps_row_numbers(tmp_path):
    text = HEADER + "\nA1,C1,2026-01-05,2026-02-04,10\nA2,C1,2026-01-05,2026-02-04,x\n"
    with pytest.raises(ParseError, match=r"row 4, column 'amount': value 'x'"):
        load_invoices(csv_file(tmp_path, text))


def test_quoted_line_breaks_in_a_crlf_file_read_as_lf(tmp_path):
    text = 'customer_id,customer_name\r\nC1,"two\r\nlines"\r\nC2,plain\r\nC3,last\r\n\r\n'
    customers = load_customers(csv_file(tmp_path, text, "customers.csv"))
    assert customers["customer_name"].tolist() == ["two\nlines", "plain", "last"]


def test_one_impossible_date_in_a_long_iso_column(tmp_path):
    # pyarrow's cast refuses the whole column for one bad cell: the others still load.
    n = 70_000
    called = pd.date_range("2026-01-01", periods=n, freq="min").strftime("%Y-%m-%d %H:%M:%S")
    called = called.tolist()
    called[40_000] = "2026-02-30 10:00:00"
    called[50_000] = "2026-01-05 24:00:00"
    frame = pd.DataFrame(
        {"call_id": [f"K{i}" for i in range(n)], "customer_id": "C1", "called_at": called}
    ).assign(outcome="contact")
    path = tmp_path / "calls.csv"
    frame.to_csv(path, index=False)
    problems = check_file(path, kind="calls")
    assert problems["row"].tolist() == [40_002, 50_002]
    assert problems["problem"].tolist() == ["not a date", "not a date"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsSetAsideWarning)
        calls = load_calls(path, on_bad_rows="skip")
    expected = pd.to_datetime(pd.Series(called).drop([40_000, 50_000]), format="%Y-%m-%d %H:%M:%S")
    assert calls["called_at"].tolist() == expected.tolist()


def test_duplicate_ids_sorted_or_not(tmp_path):
    rows = ["A1,C,2026-01-05,2026-02-04,1", "A2,C,2026-01-05,2026-02-04,1"]
    assert len(load_invoices(csv_file(tmp_path, HEADER + "\n".join(rows) + "\n"))) == 2
    rows = [*rows, "A0,C,2026-01-05,2026-02-04,1", "A2,C,2026-01-05,2026-02-04,1"]
    with pytest.raises(IntegrityError, match=r"row 5, column 'invoice_id'.*same as row 3"):
        load_invoices(csv_file(tmp_path, HEADER + "\n".join(rows) + "\n", "dup.csv"))


def test_a_nul_byte_cell_is_not_an_empty_cell(tmp_path):
    # Distinct values are told apart by their bytes: "\x0012" is not "".
    text = "payment_id,invoice_id,payment_date,amount,method\n"
    text += "P1,I1,2026-01-05,\x0012.50,\nP2,I1,2026-01-05,3,\n"
    problems = check_file(csv_file(tmp_path, text, "payments.csv"), kind="payments")
    assert problems["row"].tolist() == [2]
    assert problems["problem"].tolist() == ["not an amount"]


# --------------------------------------------------------------------------- booleans, calls


def test_booleans(tmp_path):
    text = "customer_id,do_not_call\n" + "\n".join(
        f"C{i},{v}"
        for i, v in enumerate(["Yes", "no", "Y", "n", "TRUE", "false", "1", "0", "x", ""])
    )
    customers = load_customers(csv_file(tmp_path, text + "\n", "customers.csv"))
    assert customers["do_not_call"].tolist() == [True, False] * 4 + [True, False]
    with pytest.raises(ParseError, match=r"row 2, column 'do_not_call': value 'maybe'"):
        load_customers(pd.DataFrame({"customer_id": ["A"], "do_not_call": ["maybe"]}))


def calls_frame(**overrides):
    data = {
        "call_id": ["c1", "c2", "c3"],
        "customer_id": ["A", "A", "B"],
        "called_at": ["2026-03-02 09:15", "2026-03-03 16:40", "2026-03-04 10:00"],
        "outcome": ["PTP", "no_answer", "Promise"],
        "promise_date": ["2026-03-09", "", "2026-03-10"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_calls_outcomes_and_times():
    calls = load_calls(calls_frame())
    assert calls["outcome"].tolist() == ["promise", "no_answer", "promise"]
    assert calls["called_at"].iloc[1] == pd.Timestamp("2026-03-03 16:40")
    assert calls["promise_date"].isna().tolist() == [False, True, False]


def test_unknown_outcome_names_it_and_the_fix():
    frame = calls_frame(outcome=["PTP", "Left VM", "promise"])
    with pytest.raises(
        ParseError,
        match=r"row 3, column 'outcome': value 'Left VM': unknown call outcome: "
        r"map it with outcome_map=\{'Left VM'",
    ):
        load_calls(frame)
    assert load_calls(frame, outcome_map={"left vm": "voicemail"})["outcome"].iloc[1] == "voicemail"
    with pytest.raises(ArcallsError, match="outcome_map values must be canonical"):
        load_calls(frame, outcome_map={"Left VM": "vm"})


def test_promise_before_the_call_is_a_problem():
    frame = calls_frame(promise_date=["2026-03-01", "", "2026-03-10"])
    with pytest.raises(
        IntegrityError,
        match=r"row 2, column 'promise_date': value '2026-03-01': promise date before the call",
    ):
        load_calls(frame)


# --------------------------------------------------------------------------- validation


def test_missing_required_column_names_close_matches_and_the_option(tmp_path):
    text = "InvoiceNo,customer_id,invoice_date,due_date,amount\nA,C,2026-01-01,2026-01-31,1\n"
    with pytest.raises(
        SchemaError,
        match=r"invoices\.csv is missing required invoices column\(s\): 'invoice_id' "
        r"\(close: 'InvoiceNo'\).*columns=\{'InvoiceNo': 'invoice_id'\}.*make_ids=True",
    ) as err:
        load_invoices(csv_file(tmp_path, text))
    assert err.value.problems["row"].tolist() == [1]


def test_duplicated_columns(tmp_path):
    text = (
        "invoice_id,customer_id,invoice_date,due_date,Amount,amount\n"
        "A,C,2026-01-01,2026-01-31,1,2\n"
    )
    path = csv_file(tmp_path, text)
    with pytest.raises(
        SchemaError,
        match=r"more than one column maps to the same canonical column "
        r"\('amount' from 'Amount', 'amount'\)",
    ):
        load_invoices(path)
    assert load_invoices(path, columns={"Amount": None})["amount"].tolist() == [2.0]


def test_unknown_canonical_name_in_columns(tmp_path):
    with pytest.raises(SchemaError, match="not a canonical column"):
        load_invoices(csv_file(tmp_path, HEADER), columns={"amount": "amout"})


def test_every_row_problem_is_collected(tmp_path):
    text = HEADER + (
        "A,C,2026-01-05,2026-02-04,10\n"  # row 2: fine
        "A,C,2026-01-05,2026-02-04,20\n"  # row 3: duplicate id
        ",C,2026-01-05,2026-02-04,30\n"  # row 4: empty id
        "D,C,2026-02-05,2026-01-04,40\n"  # row 5: due before invoice date
        "E,C,2026-01-05,2026-02-04,-50\n"  # row 6: credit note, fine
    )
    with pytest.raises(IntegrityError, match=r"3 problems in its invoices") as err:
        load_invoices(csv_file(tmp_path, text))
    got = err.value.problems[["row", "column", "problem"]].to_dict("records")
    assert got == [
        {"row": 3, "column": "invoice_id", "problem": "duplicate invoice_id: same as row 2"},
        {"row": 4, "column": "invoice_id", "problem": "empty id (required)"},
        {"row": 5, "column": "due_date", "problem": "due date before the invoice date"},
    ]
    assert err.value.problems["file"].str.endswith("invoices.csv").all()


def test_negative_amounts_are_credit_notes(tmp_path):
    text = HEADER + "A,C,2026-01-05,2026-02-04,10\nB,C,2026-01-05,2026-02-04,(4.50)\n"
    inv = load_invoices(csv_file(tmp_path, text))
    assert inv["is_credit"].tolist() == [False, True]
    assert inv["amount"].sum() == pytest.approx(5.5, abs=0.005)


def test_payments_to_unknown_invoices():
    invoices = load_invoices(
        pd.DataFrame(
            {
                "invoice_id": ["A"],
                "customer_id": ["C"],
                "invoice_date": ["2026-01-01"],
                "due_date": ["2026-01-31"],
                "amount": ["100"],
            }
        )
    )
    payments = pd.DataFrame(
        {
            "payment_id": ["P1", "P2"],
            "invoice_id": ["A", "Z"],
            "payment_date": ["2026-01-10", "2026-01-11"],
            "amount": ["60", "40"],
        }
    )
    assert len(load_payments(payments)) == 2
    with pytest.raises(
        IntegrityError,
        match=r"row 3, column 'invoice_id': value 'Z': "
        r"payment to an invoice id not in the invoices given",
    ):
        load_payments(payments, invoices=invoices)


def test_missing_file_folder_empty_and_header_only(tmp_path):
    with pytest.raises(InputError, match="nope.csv does not exist"):
        load_invoices(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder, not a file"):
        load_invoices(tmp_path)
    with pytest.raises(InputError, match="is empty"):
        load_invoices(csv_file(tmp_path, "\n \n", "blank.csv"))
    empty = load_invoices(csv_file(tmp_path, HEADER, "header_only.csv"))
    assert len(empty) == 0
    assert empty.dtypes["invoice_date"] == "datetime64[ns]"
    assert empty.dtypes["amount"] == "float64"
    assert empty.dtypes["invoice_id"] == "string"


def test_undecodable_file(tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_bytes(HEADER.encode() + b"A,C,2026-01-05,2026-02-04,\x81\x8d\n")
    with pytest.raises(InputError, match="neither UTF-8 nor Windows-1252"):
        load_invoices(path)


def test_bad_options():
    with pytest.raises(ArcallsError, match="on_bad_rows must be 'raise' or 'skip'"):
        load_invoices(io.StringIO(HEADER), on_bad_rows="ignore")
    with pytest.raises(ArcallsError, match="Did you mean 'ibm_ar'"):
        load_invoices(io.StringIO(HEADER), preset="ibm")
    with pytest.raises(ArcallsError, match="reads invoices exports, not payments"):
        load_payments(io.StringIO(HEADER), preset="ibm_ar")
    with pytest.raises(ArcallsError, match="no load report"):
        load_report(pd.DataFrame())


# --------------------------------------------------------------------------- lenient mode


def test_skip_sets_bad_rows_aside_with_one_warning(tmp_path):
    text = HEADER + (
        "A,C,2026-01-05,2026-02-04,10\n"
        "B,C,2026-02-30,2026-02-04,oops\n"  # row 3: two problems
        "\n"  # a blank line is layout: not a row
        "D,C,2026-01-05,2026-02-04,30\n"  # row 5
    )
    path = csv_file(tmp_path, text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inv = load_invoices(path, on_bad_rows="skip")
    assert [w.category for w in caught] == [RowsSetAsideWarning]
    assert "1 row of" in str(caught[0].message)
    assert inv["invoice_id"].tolist() == ["A", "D"]
    report = load_report(inv)
    assert (report.rows_in, report.rows_loaded, len(report.set_aside)) == (3, 2, 1)
    aside = report.set_aside.iloc[0]
    assert aside["row"] == 3
    assert aside["amount"] == "oops"
    assert aside["problem"] == "invoice_date: '2026-02-30' not a date; amount: 'oops' not an amount"
    # The report survives ordinary pandas operations (attrs propagate).
    assert load_report(inv.head(1)) is report


def test_check_file_lists_problems_without_raising(tmp_path):
    text = HEADER + "A,C,2026-01-05,2026-02-04,10\nB,C,2026-01-05,2026-02-04,x\n"
    problems = check_file(csv_file(tmp_path, text), kind="invoices")
    assert problems[["row", "column", "value", "problem"]].to_dict("records") == [
        {"row": 3, "column": "amount", "value": "x", "problem": "not an amount"}
    ]
    with pytest.raises(ArcallsError, match="kind must be one of"):
        check_file(csv_file(tmp_path, text), kind="invoice")


GOOD = {"id": "I{i}", "date": "2026-01-05", "amount": "12.50"}
BAD = {"id": "", "date": "2026-02-30", "amount": "1e308"}


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=0, max_size=25))
def test_rows_are_never_lost(cells):
    """rows in == loaded + set aside, and a row is set aside iff one of its cells is bad."""
    lines = [HEADER.strip()]
    for i, (bad_id, bad_date, bad_amount) in enumerate(cells):
        lines.append(
            ",".join(
                [
                    BAD["id"] if bad_id else f"I{i}",
                    "C",
                    BAD["date"] if bad_date else GOOD["date"],
                    "2026-03-01",
                    BAD["amount"] if bad_amount else GOOD["amount"],
                ]
            )
        )
    source = io.StringIO("\n".join(lines) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsSetAsideWarning)
        inv = load_invoices(source, on_bad_rows="skip")
    report = load_report(inv)
    assert report.rows_in == len(cells)
    assert report.rows_in == report.rows_loaded + len(report.set_aside)
    expected_bad = [i + 2 for i, flags in enumerate(cells) if any(flags)]
    assert report.set_aside["row"].tolist() == expected_bad
    assert inv["invoice_id"].tolist() == [f"I{i}" for i, f in enumerate(cells) if not any(f)]


# --------------------------------------------------------------------------- the ledger


LEDGER_COLUMNS = {
    "Vendor_Name": "customer_id",
    "Invoice_Date": "invoice_date",
    "Due_Date": "due_date",
    "Amount": "amount",
    "Settled": "amount_paid",
    "Number_of_Days_until_Payment": "days_to_pay",
    "Outstanding": "open_balance",
}


def test_ledger_without_ids_names_make_ids(ledger_path):
    with pytest.raises(
        SchemaError, match=r"missing required invoices column\(s\): 'invoice_id'.*make_ids=True"
    ):
        load_invoices(ledger_path, columns=LEDGER_COLUMNS, date_format="%d-%b-%y")


def test_ledger_worked_example(ledger_path):
    # Exactly what the README shows.
    with pytest.warns(RowsSetAsideWarning, match="1 row"):
        inv = arcalls.load_invoices(
            ledger_path,
            columns=LEDGER_COLUMNS,
            date_format="%d-%b-%y",
            make_ids=True,
            on_bad_rows="skip",
        )
    report = arcalls.load_report(inv)
    # Totals straight from the raw file, with the csv module.
    with open(ledger_path, newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    assert report.rows_in == len(raw) == 8753
    assert report.rows_in == report.rows_loaded + len(report.set_aside)
    # The one duplicated line (spreadsheet rows 315 and 316) is the only row set aside.
    assert report.set_aside["row"].tolist() == [316]
    assert "identical to row 315" in report.set_aside["problem"].iloc[0]
    dup_amount = float(raw[316 - 2]["Amount"])
    assert inv["amount"].sum() == pytest.approx(
        sum(float(r["Amount"]) for r in raw) - dup_amount, abs=0.005
    )
    assert inv["amount_paid"].sum() == pytest.approx(
        sum(float(r["Settled"]) for r in raw) - float(raw[316 - 2]["Settled"]), abs=0.005
    )
    assert inv["invoice_id"].iloc[0] == "row-2"
    assert inv["invoice_date"].iloc[0] == pd.Timestamp("2011-04-26")
    assert inv["customer_id"].nunique() == len({r["Vendor_Name"] for r in raw})


# --------------------------------------------------------------------------- settlements


def _settled_csv(tmp_path, header="id,cust,inv,due,amt,paid,days", rows=None):
    rows = rows or [
        "A1,C,2026-01-05,2026-02-04,100.00,100.00,10",
        "A2,C,2026-01-06,2026-02-05,50.00,20.00,40",
    ]
    path = tmp_path / "invoices.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


_SETTLED_MAP = {
    "id": "invoice_id",
    "cust": "customer_id",
    "inv": "invoice_date",
    "due": "due_date",
    "amt": "amount",
    "paid": "amount_paid",
}


def test_days_to_pay_derives_the_paid_date(tmp_path):
    inv = load_invoices(_settled_csv(tmp_path), columns=_SETTLED_MAP | {"days": "days_to_pay"})
    assert inv["paid_date"].tolist() == [pd.Timestamp("2026-01-15"), pd.Timestamp("2026-02-15")]
    assert "days_to_pay" not in inv
    balances = arcalls.invoice_balances(inv, as_of="2026-03-01")
    assert balances["open_amount"].tolist() == [0.0, 30.0]


def test_amount_paid_without_a_date_is_refused(tmp_path):
    with pytest.raises(
        SchemaError,
        match=r"'paid' maps to amount_paid, but no column says when.*'days': 'days_to_pay'",
    ):
        load_invoices(_settled_csv(tmp_path), columns=_SETTLED_MAP)


def test_amount_paid_without_a_date_is_refused_by_check_too(tmp_path):
    with pytest.raises(SchemaError, match="maps to amount_paid"):
        arcalls.check_file(_settled_csv(tmp_path), kind="invoices", columns=_SETTLED_MAP)


def test_paid_date_and_days_to_pay_together_are_refused(tmp_path):
    path = _settled_csv(
        tmp_path,
        header="id,cust,inv,due,amt,paid,days,when",
        rows=["A1,C,2026-01-05,2026-02-04,100.00,100.00,10,2026-01-15"],
    )
    with pytest.raises(SchemaError, match="both paid_date .* and days_to_pay"):
        load_invoices(path, columns=_SETTLED_MAP | {"days": "days_to_pay", "when": "paid_date"})


def test_a_settlement_row_without_its_date_is_a_row_problem(tmp_path):
    path = _settled_csv(
        tmp_path,
        rows=["A1,C,2026-01-05,2026-02-04,100.00,100.00,", "A2,C,2026-01-06,2026-02-05,50.00,0,"],
    )
    problems = arcalls.check_file(
        path, kind="invoices", columns=_SETTLED_MAP | {"days": "days_to_pay"}
    )
    assert problems["row"].tolist() == [2]
    assert problems["problem"].str.contains("amount_paid without a paid date").all()


def test_a_column_mapped_to_another_tables_column_is_refused(tmp_path):
    with pytest.raises(SchemaError, match=r"'days' to 'payment_date', a payments column"):
        load_invoices(
            _settled_csv(tmp_path), columns=_SETTLED_MAP | {"days": "payment_date", "paid": None}
        )


def test_open_balance_must_match_amount_less_amount_paid(tmp_path):
    path = _settled_csv(
        tmp_path,
        header="id,cust,inv,due,amt,paid,days,left",
        rows=[
            "A1,C,2026-01-05,2026-02-04,100.00,100.00,10,0",
            "A2,C,2026-01-06,2026-02-05,50.00,20.00,40,25.00",
        ],
    )
    columns = _SETTLED_MAP | {"days": "days_to_pay", "left": "open_balance"}
    problems = arcalls.check_file(path, kind="invoices", columns=columns)
    assert problems["row"].tolist() == [3]
    assert problems["problem"].str.contains("amount - amount_paid = 30.00").all()


# --------------------------------------------------------------------------- silent misreads


def test_decimal_comma_among_decimal_points_is_refused():
    raw = pd.DataFrame(
        {
            "invoice_id": ["a", "b", "c", "d", "e"],
            "customer_id": ["A"] * 5,
            "invoice_date": ["2026-01-05"] * 5,
            "due_date": ["2026-01-05"] * 5,
            "amount": ["€12,00", "1,2,3", "1,234.50", "5.25", "1,234,567.00"],
        }
    )
    problems = arcalls.check_file(raw, kind="invoices")
    assert problems["row"].tolist() == [2, 3]
    assert problems["value"].tolist() == ["€12,00", "1,2,3"]
    assert problems["problem"].str.contains("not an amount: commas must group thousands").all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", arcalls.RowsSetAsideWarning)
        inv = load_invoices(raw, on_bad_rows="skip")
    assert inv["amount"].tolist() == [1234.5, 5.25, 1234567.0]


def test_decimal_point_among_decimal_commas_is_refused():
    text = (
        "invoice_id;customer_id;invoice_date;due_date;amount\n"
        "a;A;2026-01-05;2026-01-05;1.234,50\n"
        "b;A;2026-01-05;2026-01-05;12,00\n"
        "c;A;2026-01-05;2026-01-05;1.5\n"
    )
    problems = arcalls.check_file(io.StringIO(text), kind="invoices")
    assert problems["row"].tolist() == [4]
    assert problems["problem"].str.contains("points must group thousands").all()


@pytest.mark.parametrize(
    "stamp", ["2026-01-05 25:30", "2026-01-05 10:61", "2026/01/05 99:99", "05/01/2026 24:00"]
)
def test_impossible_times_are_refused(stamp):
    raw = pd.DataFrame(
        {
            "call_id": ["c1", "c2"],
            "customer_id": ["A", "A"],
            "called_at": ["2026-01-05 10:30", stamp],
            "outcome": ["no_answer"] * 2,
        }
    )
    problems = arcalls.check_file(raw, kind="calls", dayfirst=True)
    assert problems["row"].tolist() == [3]
    assert problems["value"].tolist() == [stamp]
    assert problems["problem"].str.contains("not a time of day").all()


def test_possible_times_still_load():
    raw = pd.DataFrame(
        {
            "call_id": ["c1", "c2", "c3"],
            "customer_id": ["A"] * 3,
            "called_at": ["2026/01/05 23:59", "2026/01/05 12:00 AM", "2026/01/05 12:30 pm"],
            "outcome": ["no_answer"] * 3,
        }
    )
    calls = load_calls(raw)
    assert calls["called_at"].dt.strftime("%H:%M").tolist() == ["23:59", "00:00", "12:30"]


# --------------------------------------------------------------------------- control characters


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f", "\x0b"])
def test_control_characters_in_text_are_refused_with_the_row(char):
    raw = pd.DataFrame(
        {"customer_id": ["A", f"B{char}[2J", "C"], "customer_name": ["ok\tname", "x", "y\nz"]}
    )
    problems = check_file(raw, kind="customers")
    assert problems["row"].tolist() == [3]
    assert problems["column"].tolist() == ["customer_id"]
    assert problems["value"].tolist() == [f"B<0x{ord(char):02x}>[2J"]
    assert problems["problem"].str.contains("control character").all()
    with pytest.raises(
        ParseError, match=rf"row 3, column 'customer_id': value 'B<0x{ord(char):02x}>"
    ):
        load_customers(raw)
    with pytest.warns(RowsSetAsideWarning):
        kept = load_customers(raw, on_bad_rows="skip")
    # TAB and line breaks are text: kept.
    assert kept["customer_id"].tolist() == ["A", "C"]
    assert load_report(kept).rows_in == 3


def test_a_fixed_format_with_day_and_month_swapped_says_so(tmp_path):
    path = dates_file(tmp_path, ["26/04/2011", "27/04/2011"])
    with pytest.raises(
        ParseError,
        match=r"2 of 2 dates are not dates in the format '%m/%d/%Y', but every one of them "
        r"reads in the format '%d/%m/%Y'.*--date-format '%d/%m/%Y'",
    ):
        load_invoices(path, date_format="%m/%d/%Y")


def test_one_columns_mapping_serves_every_file(tmp_path):
    # The command line passes one --columns to every loader: a header the file does not
    # have is another file's mapping, not an error.
    columns = _SETTLED_MAP | {"days": "days_to_pay", "Pay Date": "payment_date"}
    inv = load_invoices(_settled_csv(tmp_path), columns=columns)
    assert len(inv) == 2
    pay = tmp_path / "payments.csv"
    pay.write_text("payment_id,id,Pay Date,amount\nP1,A1,2026-01-20,5.00\n", encoding="utf-8")
    assert load_payments(pay, columns=columns)["payment_date"].tolist() == [
        pd.Timestamp("2026-01-20")
    ]
