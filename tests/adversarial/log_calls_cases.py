"""The ``log-calls`` corpus: filled-in lists as real people produce them, and what must happen.

Each :class:`LogCallsCase` starts from the same Excel list (the bundled sample as of
2026-10-31, top 5, whose customer ids were given formula-like prefixes: see
:data:`ID_PREFIXES`), types ``fill`` into it (``{row: {column: value}}``, rows as Excel
shows them), optionally sets cells' number formats (``formats``) and damages the file
(``damage``), then runs ``arcalls log-calls`` on it with a copy of the sample's log.

- ``error``: the :class:`~arcalls.ArcallsError` subclass expected (exit code 2 on the
  command line, never 3) and ``match``, a regex the message must match; ``absent``
  lists text the message must not contain;
- ``error=None``: the calls are logged; ``logged`` is the number of calls added.
  With ``then``, the list is edited again after the first run (``{row: {column:
  value}}``) and read a second time: ``replaced`` earlier entries are corrected (their
  rows replace them in the log; the backup keeps them), and a third read adds nothing.

Expected outcomes are worked out from the cells typed, not from a run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from arcalls import InputError

#: The list's customer ids get these prefixes (a genuine leading apostrophe included),
#: each of which the export must quote for formula safety and log-calls read back exactly.
ID_PREFIXES = ("-", "=", "+", "@", "'=")

#: The list's as-of date and the clock log-calls runs with.
AS_OF = "2026-10-31"
NOW = dt.datetime(2026, 11, 6, 17, 30)

_PROMISE = {
    "called_at": "2026-11-02 10:15",
    "outcome": "promise",
    "new_promise_date": dt.datetime(2026, 11, 9),
}
_UNREADABLE = r"is not a readable arcalls call list: .*Export it again with arcalls call-list"


@dataclass(frozen=True)
class LogCallsCase:
    name: str
    fill: dict
    error: type | None = None
    match: str = ""
    absent: tuple[str, ...] = ()
    formats: dict = field(default_factory=dict)
    damage: str | None = None
    logged: int = 0
    then: dict = field(default_factory=dict)
    replaced: int = 0


CASES = (
    # Every listed id (each with a formula-like prefix) comes back exactly.
    LogCallsCase(
        "ids_with_formula_prefixes_round_trip",
        {r: {"called_at": f"2026-11-02 1{r}:00", "outcome": "voicemail"} for r in range(2, 7)},
        logged=5,
    ),
    # A row corrected after it was logged replaces its entry, the other stays.
    LogCallsCase(
        "outcome_and_time_corrected_after_a_first_read",
        {
            2: {"called_at": "2026-11-02 10:15", "outcome": "voicemail"},
            3: {"called_at": "2026-11-02 11:00", "outcome": "no_answer"},
            4: {"called_at": "2026-11-02 11:30", "outcome": "contact"},
        },
        logged=3,
        then={2: {"outcome": "contact"}, 3: {"called_at": "2026-11-02 11:05"}},
        replaced=2,
    ),
    # 46328.4 typed into a cell formatted General: a number, not a date.
    LogCallsCase(
        "excel_serial_in_a_general_cell",
        {2: {"called_at": 46328.4, "outcome": "voicemail"}},
        InputError,
        r"row 2, column 'called_at': value '46328.4': a number, not a date",
        formats={(2, "called_at"): "General"},
    ),
    # 46328 typed into the date-formatted cell shows as 2026-11-02 00:00 (Excel counts
    # days from 1899-12-30): a day without the time of the call.
    LogCallsCase(
        "excel_serial_day_in_a_date_cell",
        {2: {"called_at": 46328, "outcome": "voicemail"}},
        InputError,
        r"row 2, column 'called_at': value '2026-11-02 00:00:00': no time of day",
    ),
    LogCallsCase(
        "date_only_text_in_called_at",
        {3: {"called_at": "2026-11-02", "outcome": "voicemail"}},
        InputError,
        r"row 3, column 'called_at': value '2026-11-02': no time of day",
    ),
    LogCallsCase(
        "serial_in_a_general_promise_date_cell",
        {4: {**_PROMISE, "new_promise_date": 46340}},
        InputError,
        r"row 4, column 'new_promise_date': value '46340': a number, not a date",
        formats={(4, "new_promise_date"): "General"},
    ),
    LogCallsCase(
        "european_thousands_as_text",
        {2: {**_PROMISE, "new_promise_amount": "1.500"}},
        InputError,
        r"row 2, column 'new_promise_amount': value '1.500': ambiguous amount",
    ),
    LogCallsCase(
        "european_decimal_comma_as_text",
        {5: {**_PROMISE, "new_promise_amount": "15,00"}},
        InputError,
        r"row 5, column 'new_promise_amount': value '15,00': ambiguous amount",
    ),
    LogCallsCase(
        "european_full_amount_as_text",
        {3: {**_PROMISE, "new_promise_amount": "1.234,56"}},
        InputError,
        r"row 3, column 'new_promise_amount': value '1.234,56': ambiguous amount",
    ),
    # US-style text amounts are not ambiguous: 1,500.50 and $1,250.
    LogCallsCase(
        "us_amounts_as_text_are_read",
        {
            2: {**_PROMISE, "new_promise_amount": "1,500.50"},
            3: {**_PROMISE, "new_promise_amount": "$1,250"},
        },
        logged=2,
    ),
    # The workbook's own row, no hidden temporary file, no --lenient (log-calls has none).
    LogCallsCase(
        "absurd_promise_amount",
        {6: {**_PROMISE, "new_promise_amount": 1e308}},
        InputError,
        r"week\.xlsx, row 6, column 'new_promise_amount': value '1e\+308': amount too large",
        absent=("--lenient", ".tmp", "skip"),
    ),
    LogCallsCase("truncated_workbook", {}, InputError, _UNREADABLE, damage="truncate"),
    LogCallsCase("not_a_workbook_at_all", {}, InputError, _UNREADABLE, damage="junk"),
    LogCallsCase(
        "damaged_custom_properties",
        {},
        InputError,
        _UNREADABLE,
        damage="docProps/custom.xml",
    ),
    LogCallsCase(
        "damaged_core_properties", {}, InputError, _UNREADABLE, damage="docProps/core.xml"
    ),
    LogCallsCase(
        "damaged_list_sheet", {}, InputError, _UNREADABLE, damage="xl/worksheets/sheet1.xml"
    ),
)
