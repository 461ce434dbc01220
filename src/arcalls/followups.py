"""Written confirmations after the calls: what was agreed, what is owed, how to pay.

:func:`follow_ups` writes, for every customer reached by phone in a window of days (by
default the as-of date's week, Monday to the as-of date), a confirmation of the call:
what was agreed (the outcome, the promise's date and amount, the callback asked for),
who handles payments, the account's open invoices and total due on the as-of date, the
late charges that may apply (shown, never added to the total) and how to pay.
:func:`write_follow_ups` writes them as email drafts (``.eml``, one per customer with an
email address), a printable HTML letter (one customer a page) and a mail-merge CSV.

Rules, as implemented:

- **Who gets one.** A customer whose calls in the window include a right-party
  conversation (``arcalls.schema.RIGHT_PARTY_OUTCOMES``); the latest such call is the
  one confirmed. A customer called but not reached (no answer, voicemail, wrong number,
  third party) gets none: there is nothing to confirm, and a letter about the debt
  could reach someone else. They are listed in :attr:`FollowUps.not_confirmed`.
- **Figures.** The open invoices, credits and total due are the customer's statement
  (:func:`arcalls.statements`, the aging's own items: to the cent what ``arcalls aging``
  says); late charges come from :func:`arcalls.late_charges` and are never in the total.
- **Point in time.** Payments dated after the as-of date, and calls after its end, are
  not known. The payments contact is the latest one a call up to then recorded.
- **Email.** ``To`` is the customers table's ``email``; a customer without one (or with
  one that is not an address) gets no ``.eml`` and is named in the run's summary as
  "no email: letter only". Every confirmation is in the letters and the CSV.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import check_columns, format_amounts
from ._export import atomic_paths, check_outputs, neutralize_formulas
from ._text import markup_cells, plural
from .errors import InputError, OutputError
from .schema import RIGHT_PARTY_OUTCOMES, dtype_of, round_money

__all__ = ["FollowUps", "follow_ups", "write_follow_ups"]

#: Who "we" are in the letters when no ``business_name`` is given.
DEFAULT_BUSINESS_NAME = "our company"
#: The mail-merge CSV and the printable letters, written into the output folder.
FOLLOW_UP_FILES = ("follow_ups.csv", "follow_ups.html")
#: The folder (inside the output folder) holding one ``.eml`` draft per customer.
EML_FOLDER = "follow_ups_eml"
#: Why a customer without a usable email address gets no ``.eml``.
NO_EMAIL = "no email: letter only"
#: At most this many open items are listed in a letter; the rest are counted.
MAX_ITEMS_IN_LETTER = 25
#: At most this many letter-only customers are named in the run's summary line.
MAX_NAMES_IN_SUMMARY = 10

#: Columns of :attr:`FollowUps.letters`, in order (also the mail-merge CSV's).
LETTER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "customer_name",
    "contact_name",
    "email",
    "letter_only",
    "call_id",
    "called_at",
    "outcome",
    "collector",
    "promise_date",
    "promise_amount",
    "callback_at",
    "payments_contact",
    "payments_contact_title",
    "open_items",
    "total_due",
    "overdue",
    "late_charges",
    "subject",
    "greeting",
    "agreed",
    "schedule",
    "invoices_text",
    "total_text",
    "late_charges_text",
    "how_to_pay",
    "closing",
    "body",
)

_OUTCOME_TEXT = {
    "contact": "We went through the balance below together.",
    "callback": "You asked us to call you back.",
    "dispute": (
        "You told us you dispute part of the balance. Please send us the details (which "
        "invoice, and why) so that we can resolve it; the rest remains due."
    ),
    "refused": "You told us you would not pay at this time. The balance below remains due.",
    "claims_paid": (
        "You told us the balance has already been paid. Please send us the payment's "
        "date, amount and reference so that we can match it to your invoices."
    ),
    "plan": "You agreed to a payment plan.",
}

#: An address a draft can be sent to: printable ASCII, one ``@``, a dot in the domain
#: (an internationalised address would be mangled by the email headers: letter only).
_EMAIL = re.compile(r'^(?=[!-~]+$)[^@,;<>"]+@[^@,;<>"]+\.[^@,;<>"]+$')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class FollowUps:
    """The confirmations of one window of calls.

    Attributes
    ----------
    letters : DataFrame
        One row per customer to confirm (columns :data:`LETTER_COLUMNS`): the call
        confirmed, the figures, the subject and the body's parts, and ``body`` (the
        whole text). ``letter_only`` is ``"no email: letter only"`` (or says why the
        email is unusable) where no ``.eml`` can be written, else empty.
    items : DataFrame
        The open items of those customers, as in :func:`arcalls.statements`.
    not_confirmed : DataFrame
        Customers called in the window but never reached: ``customer_id``,
        ``customer_name``, ``called_at`` (the latest call), ``outcome``, ``reason``.
    as_of, since : Timestamp
        The window: calls from ``since`` to the end of ``as_of``; figures as of ``as_of``.
    business_name : str
    currency : str or None
    """

    letters: pd.DataFrame
    items: pd.DataFrame
    not_confirmed: pd.DataFrame
    as_of: pd.Timestamp
    since: pd.Timestamp
    business_name: str
    currency: str | None = None
    sender: str | None = None

    @property
    def letter_only(self) -> pd.DataFrame:
        """The confirmations that go by letter only (no usable email), and why."""
        only = self.letters[self.letters["letter_only"] != ""]
        return only.loc[:, ["customer_id", "customer_name", "letter_only"]].reset_index(drop=True)

    def describe(self) -> str:
        """One line: confirmations, by email and by letter only, and the customers not reached."""
        emails = int((self.letters["letter_only"] == "").sum())
        text = (
            f"{plural(len(self.letters), 'confirmation')} of the calls from "
            f"{self.since:%Y-%m-%d} to {self.as_of:%Y-%m-%d}: {emails} by email, "
            f"{len(self.letters) - emails} {NO_EMAIL}"
        )
        only = self.letter_only
        if len(only):
            shown = only.head(MAX_NAMES_IN_SUMMARY)
            names = shown["customer_name"].where(shown["customer_name"] != "", "")
            named = ", ".join((shown["customer_id"] + " " + names).str.strip().tolist())
            more = len(only) - len(shown)
            text += (
                f" ({named}"
                + (f" and {more} more: see the letter_only column" if more else "")
                + ")"
            )
        if len(self.not_confirmed):
            text += (
                f"; {plural(len(self.not_confirmed), 'customer')} called but not reached: "
                "no confirmation"
            )
        return text + "."

    def to_html(self) -> str:
        """The letters as one printable HTML page per customer."""
        return _html(self)

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.describe())}</p>" + self.letters[
            ["customer_id", "customer_name", "email", "subject", "total_due"]
        ].head(20).to_html(index=False)


def follow_ups(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    as_of,
    since=None,
    late_charges=None,
    customer_policies=None,
    how_to_pay: str | None = None,
    business_name: str = DEFAULT_BUSINESS_NAME,
    business_phone: str | None = None,
    sender: str | None = None,
) -> FollowUps:
    """The written confirmation of each call that reached its customer in a window.

    Parameters
    ----------
    invoices, payments, calls, customers : DataFrame
        Canonical tables (``payments=None``: the invoices' own settlement columns;
        ``customers`` gives ``email``, ``contact_name`` and names and may be None).
    as_of : date-like
        The day the figures are worked out on, and the window's last day.
    since : date-like, optional
        The window's first day; default the Monday of ``as_of``'s week.
    late_charges : LateChargePolicy or str, optional
        The business's late-charge policy (``"monthly:1.5"``, ``"uk:5.25"`` ...): the
        charges that may apply are shown, never added to the total due.
    customer_policies : mapping, optional
        Other policies for the customers on other terms (as :func:`arcalls.late_charges`).
    how_to_pay : str, optional
        How to pay (bank details, a payment link), printed in every confirmation.
    business_name : str, default :data:`DEFAULT_BUSINESS_NAME`
        Who the letters are from.
    business_phone : str, optional
        The number to call, in the closing line.
    sender : str, optional
        The ``From`` address of the email drafts (left empty when None: your mail
        program fills it in).

    Returns
    -------
    FollowUps

    Raises
    ------
    InputError
        No calls, ``since`` after ``as_of``, a bad option, or a bad late-charge policy.

    Examples
    --------
    >>> import arcalls
    >>> s = arcalls.load_sample()
    >>> done = follow_ups(*s, as_of="2026-10-30", business_name="Acme Supplies")
    >>> bool((done.letters["outcome"].isin(["contact", "promise", "dispute", "refused",
    ...     "claims_paid", "callback", "plan"])).all())
    True
    >>> bool(done.letters["body"].str.contains("Total due on 2026-10-30: USD ").all())
    True
    """
    from .late_charges import late_charges as compute_late_charges
    from .statements import statements

    as_of = _day(as_of, "as_of")
    since = as_of - pd.Timedelta(days=as_of.weekday()) if since is None else _day(since, "since")
    if since > as_of:
        raise InputError(
            f"since ({since:%Y-%m-%d}) is after as_of ({as_of:%Y-%m-%d}): the window of "
            "calls to confirm runs from since to as_of."
        )
    if calls is None:
        raise InputError(
            "follow_ups needs the call log: pass calls (arcalls.load_calls('calls.csv'))."
        )
    check_columns(calls, ("call_id", "customer_id", "called_at", "outcome"), what="calls table")
    business_name = _option_text(business_name, "business_name")
    business_phone = _option_text(business_phone, "business_phone", optional=True)
    how_to_pay = _option_text(how_to_pay, "how_to_pay", optional=True)
    sender = _option_text(sender, "sender", optional=True)
    if sender is not None and not _EMAIL.match(sender):
        raise InputError(f"sender must be an email address such as ar@acme.com, got {sender!r}.")

    window = calls[
        (calls["called_at"] >= since) & (calls["called_at"] < as_of + pd.Timedelta(days=1))
    ]
    window = window.assign(_pos=np.arange(len(window)))
    window = window.sort_values(["customer_id", "called_at", "_pos"], kind="mergesort")
    reached = window[window["outcome"].isin(RIGHT_PARTY_OUTCOMES).to_numpy(dtype=bool)]
    confirmed = reached.groupby("customer_id", observed=True, sort=True).tail(1)
    missed = window[~window["customer_id"].isin(confirmed["customer_id"])]
    missed = missed.groupby("customer_id", observed=True, sort=True).tail(1)

    charges = None
    if late_charges is not None or customer_policies:
        charges = compute_late_charges(
            invoices,
            payments,
            as_of=as_of,
            policy=late_charges,
            customer_policies=customer_policies,
        )
    st = statements(invoices, payments, as_of=as_of, customers=customers, late_charges=charges)
    ids = confirmed["customer_id"].astype(dtype_of("id")).reset_index(drop=True)
    items = st.items[st.items["customer_id"].isin(ids)].reset_index(drop=True)
    letters = _letters(
        confirmed.reset_index(drop=True),
        ids,
        st,
        items,
        calls=calls,
        customers=customers,
        as_of=as_of,
        business_name=business_name,
        business_phone=business_phone,
        how_to_pay=how_to_pay,
        with_charges=charges is not None,
    )
    names = _customer_names(missed["customer_id"], st, customers)
    not_confirmed = pd.DataFrame(
        {
            "customer_id": missed["customer_id"].astype(dtype_of("id")).to_numpy(),
            "customer_name": names.to_numpy(),
            "called_at": missed["called_at"].to_numpy(),
            "outcome": missed["outcome"].astype("string").to_numpy(),
            "reason": ("not reached (" + missed["outcome"].astype(str) + "): no confirmation")
            .astype("string")
            .to_numpy(),
        }
    )
    return FollowUps(
        letters=letters,
        items=items,
        not_confirmed=not_confirmed,
        as_of=as_of,
        since=since,
        business_name=business_name,
        currency=st.currency,
        sender=sender,
    )


def _day(value, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a date such as '2026-11-06', got {value!r}.") from exc
    if pd.isna(stamp):
        raise InputError(f"{name} must be a date such as '2026-11-06', got {value!r}.")
    return stamp.normalize()


def _option_text(value, name: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name} must be a non-empty text, got {value!r}.")
    return _CONTROL.sub("", value.strip())


def _customer_names(customer_ids: pd.Series, st, customers) -> pd.Series:
    """Each customer's name: the statements' (invoices, then customers table), else ''."""
    ids = customer_ids.astype("string").reset_index(drop=True)
    names = ids.map(st.totals["customer_name"]).astype("string")
    if customers is not None and "customer_name" in customers:
        table = customers.drop_duplicates("customer_id", keep="last").set_index("customer_id")
        names = names.where(names.notna() & (names != ""), ids.map(table["customer_name"]))
    return names.astype("string").fillna("")


def _customer_column(ids: pd.Series, customers, column: str) -> pd.Series:
    if customers is None or column not in customers:
        return pd.Series(pd.NA, index=ids.index, dtype="string")
    table = customers.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    text = ids.map(table[column]).astype("string").str.strip()
    return text.where(text != "")


def _column(frame: pd.DataFrame, name: str, dtype: str) -> pd.Series:
    if name in frame:
        return frame[name].reset_index(drop=True).astype(dtype)
    return pd.Series(pd.NA if dtype == "string" else np.nan, index=range(len(frame)), dtype=dtype)


def _long_date(dates: pd.Series) -> pd.Series:
    """'Monday, November 2, 2026'."""
    d = pd.to_datetime(dates)
    return (
        d.dt.strftime("%A, %B ") + d.dt.day.astype("Int64").astype("string") + d.dt.strftime(", %Y")
    ).fillna("")


def _letters(
    confirmed,
    ids,
    st,
    items,
    *,
    calls,
    customers,
    as_of,
    business_name,
    business_phone,
    how_to_pay,
    with_charges,
) -> pd.DataFrame:
    """One row per confirmed customer: the call, the figures and the text of the letter."""
    from .worksheet import _join_per_group, _payments_contacts

    cur = st.currency
    n = len(ids)
    outcome = confirmed["outcome"].astype("string").reset_index(drop=True)
    called_at = confirmed["called_at"].reset_index(drop=True)
    collector = _column(confirmed, "collector", "string").str.strip()
    is_promise = (outcome == "promise").to_numpy(dtype=bool)
    promise_date = _column(confirmed, "promise_date", "datetime64[ns]").where(is_promise)
    promise_amount = round_money(_column(confirmed, "promise_amount", "float64")).where(is_promise)
    callback_at = _column(confirmed, "callback_at", "datetime64[ns]")

    contacts = _payments_contacts(calls, as_of=as_of).set_index("customer_id")
    payer = ids.map(contacts["payments_contact"]).astype("string")
    payer_title = ids.map(contacts["payments_contact_title"]).astype("string")

    totals = st.totals.reindex(ids)
    total_due = pd.Series(totals["total_due"].fillna(0.0).to_numpy() + 0.0)
    overdue = pd.Series(totals["overdue"].fillna(0.0).to_numpy() + 0.0)
    open_items = pd.Series(totals["open_items"].fillna(0).astype("int64").to_numpy())
    charges = (
        pd.Series(totals["late_charges"].fillna(0.0).to_numpy() + 0.0)
        if with_charges
        else pd.Series(np.nan, index=range(n))
    )

    name = _customer_names(ids, st, customers)
    contact = _customer_column(ids, customers, "contact_name")
    email = _customer_column(ids, customers, "email")
    usable = email.str.match(_EMAIL).fillna(False).to_numpy(dtype=bool)
    letter_only = np.where(
        email.isna().to_numpy(),
        NO_EMAIL,
        np.where(
            usable, "", "email " + email.fillna("").astype(str) + " is not an address: letter only"
        ),
    )

    # -- the text, part by part (each a column; empty parts are left out of the body)
    # The letter is signed by the collector who made the call, when the log names one.
    who = collector.fillna("Accounts receivable").astype(str)
    addressee = contact.fillna(payer).fillna(name.where(name != "")).fillna("Sir or Madam")
    greeting = "Dear " + addressee.astype(str) + ","
    intro = (
        "Thank you for speaking with "
        + np.where(collector.notna(), "me", "us")
        + " on "
        + _long_date(called_at)
        + ". This confirms what we discussed about your account with "
        + business_name
        + "."
    )
    promise_text = (
        "You agreed to pay "
        + format_amounts(promise_amount, cur).where(promise_amount.notna(), "the overdue balance")
        + " by "
        + _long_date(promise_date)
        + "."
    )
    agreed = pd.Series(
        np.where(is_promise, promise_text, outcome.map(_OUTCOME_TEXT).fillna("").astype(str)),
        dtype="string",
    )
    time = callback_at.dt.strftime(" at %H:%M").where(callback_at != callback_at.dt.normalize(), "")
    callback_text = (
        "As you asked, we will call you back on " + _long_date(callback_at) + time + "."
    ).where(callback_at.notna(), "")
    payer_who = payer.fillna("") + np.where(
        payer_title.notna(),
        np.where(payer.notna(), " (", "")
        + payer_title.fillna("")
        + np.where(payer.notna(), ")", ""),
        "",
    )
    payer_text = ("We noted that payments are handled by " + payer_who + ".").where(
        payer.notna() | payer_title.notna(), ""
    )
    agreed = _paragraphs(agreed, callback_text, payer_text, sep="\n")
    schedule = _schedule_block(confirmed, ids, cur, join=_join_per_group)

    invoices_text = _items_text(items, ids, cur, as_of=as_of, join=_join_per_group)
    total_text = "Total due on " + f"{as_of:%Y-%m-%d}: " + format_amounts(total_due, cur)
    if with_charges:
        late_text = pd.Series(
            np.where(
                charges.to_numpy() > 0,
                "Late charges that may apply under our terms: "
                + format_amounts(charges, cur)
                + " (not included in the total due).",
                "",
            ),
            dtype="string",
        )
    else:
        late_text = pd.Series("", index=range(n), dtype="string")
    pay_text = pd.Series("How to pay: " + how_to_pay if how_to_pay else "", index=range(n))
    reply = " or call us at " + business_phone if business_phone else " or call us"
    closing = (
        "If anything here differs from your understanding, please reply to this message"
        + reply
        + ".\n\nKind regards,\n"
        + who
        + "\n"
        + business_name
        + (("\n" + business_phone) if business_phone else "")
    )
    subject = business_name + ": confirming our call of " + called_at.dt.strftime("%Y-%m-%d")
    body = _paragraphs(
        greeting,
        intro,
        agreed,
        schedule,
        invoices_text,
        total_text,
        late_text,
        pay_text,
        closing,
        sep="\n\n",
    )
    frame = pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "customer_name": name.to_numpy(),
            "contact_name": contact.to_numpy(),
            "email": email.to_numpy(),
            "letter_only": letter_only,
            "call_id": confirmed["call_id"].astype("string").to_numpy(),
            "called_at": called_at.to_numpy(),
            "outcome": outcome.to_numpy(),
            "collector": collector.to_numpy(),
            "promise_date": promise_date.to_numpy(),
            "promise_amount": promise_amount.to_numpy(),
            "callback_at": callback_at.to_numpy(),
            "payments_contact": payer.to_numpy(),
            "payments_contact_title": payer_title.to_numpy(),
            "open_items": open_items.to_numpy(),
            "total_due": total_due.to_numpy(),
            "overdue": overdue.to_numpy(),
            "late_charges": charges.to_numpy(),
            "subject": subject.to_numpy(),
            "greeting": greeting.to_numpy(),
            "agreed": agreed.to_numpy(),
            "schedule": schedule.to_numpy(),
            "invoices_text": invoices_text.to_numpy(),
            "total_text": total_text.to_numpy(),
            "late_charges_text": late_text.to_numpy(),
            "how_to_pay": pay_text.to_numpy(),
            "closing": closing.to_numpy(),
            "body": body.to_numpy(),
        }
    )
    text_columns = [
        c
        for c in LETTER_COLUMNS
        if c
        not in {
            "called_at",
            "promise_date",
            "callback_at",
            "promise_amount",
            "open_items",
            "total_due",
            "overdue",
            "late_charges",
        }
    ]
    frame = frame.astype(dict.fromkeys(text_columns, "string"))
    return frame.astype({"customer_id": dtype_of("id")}).loc[:, list(LETTER_COLUMNS)]


def _paragraphs(*parts: pd.Series, sep: str) -> pd.Series:
    """The non-empty parts of each row joined by ``sep``."""
    out = pd.Series("", index=parts[0].index, dtype="string")
    for part in parts:
        text = pd.Series(part, index=out.index).astype("string").fillna("")
        glue = np.where((out != "") & (text != ""), sep, "")
        out = out + glue + text
    return out


def _schedule_block(confirmed: pd.DataFrame, ids: pd.Series, currency, *, join) -> pd.Series:
    """The payment plan's schedule, for a confirmation of outcome ``plan``: one line per
    instalment (number, amount, due date) from :func:`arcalls.plans.plan_schedule`,
    the plan's own figures, which add up to the agreed amount to the cent."""
    out = pd.Series("", index=ids.index, dtype="string")
    is_plan = (confirmed["outcome"].astype("string") == "plan").to_numpy(dtype=bool, na_value=False)
    if not is_plan.any():
        return out
    from .plans import plan_schedule

    rows = plan_schedule(confirmed[is_plan]).reset_index(drop=True)
    lines = rows.assign(
        line="- instalment "
        + rows["instalment"].astype(str)
        + ": "
        + format_amounts(rows["amount"], currency)
        + " by "
        + _long_date(rows["due_date"]),
        customer_id=rows["plan_id"],
    )
    per_plan = join(lines, "line", sep="\n")
    totals = rows.groupby("plan_id", sort=False)["amount"].agg(["size", "sum"])
    head = (
        "The plan: "
        + totals["size"].astype(str)
        + " instalments, "
        + format_amounts(round_money(totals["sum"]), currency)
        + " in all:\n"
    )
    text = (head + per_plan.reindex(totals.index)).astype("string")
    call_id = confirmed["call_id"].astype("string").reset_index(drop=True)
    return call_id.map(text).fillna("").astype("string").set_axis(ids.index)


def _items_text(items, ids, currency, *, as_of, join) -> pd.Series:
    """Per customer, its open items as lines of text (oldest due first), capped."""
    header = f"Your open invoices and credits on {as_of:%Y-%m-%d}:"
    if items.empty:
        return pd.Series(
            f"Your account shows no open invoice on {as_of:%Y-%m-%d}.", index=ids.index
        ).astype("string")
    position = items.groupby("customer_id", observed=True).cumcount()
    count = items.groupby("customer_id", observed=True).size()
    shown = items[position < MAX_ITEMS_IN_LETTER]
    late = shown["days_past_due"].to_numpy() > 0
    line = (
        "- "
        + np.where(shown["item"] == "credit", "credit ", "invoice ")
        + shown["invoice_id"].astype(str)
        + ", dated "
        + shown["invoice_date"].dt.strftime("%Y-%m-%d")
        + ", due "
        + shown["due_date"].dt.strftime("%Y-%m-%d")
        + ": "
        + format_amounts(shown["open_amount"], currency)
        + " open"
        + np.where(late, " (" + shown["days_past_due"].astype(str) + " days past due)", "")
        + np.where(shown["disputed"].to_numpy(dtype=bool), " (disputed)", "")
    )
    lines = join(pd.DataFrame({"customer_id": shown["customer_id"], "l": line}), "l", sep="\n")
    more = (count - MAX_ITEMS_IN_LETTER).clip(lower=0)
    key = ids.astype("string")
    extra = key.map(more).fillna(0).astype("int64")
    text = header + "\n" + key.map(lines).fillna("").astype(str)
    text = text + np.where(
        extra > 0, "\n- and " + extra.astype(str) + " more (see your statement)", ""
    )
    none = ~key.isin(lines.index).to_numpy()
    return pd.Series(
        np.where(none, f"Your account shows no open invoice on {as_of:%Y-%m-%d}.", text),
        index=ids.index,
        dtype="string",
    )


# ------------------------------------------------------------------------- writers

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; font-size: 11pt; color: #111; }
section.letter { page-break-after: always; break-after: page; margin-bottom: 2em; }
section.letter:last-of-type { page-break-after: auto; break-after: auto; }
h1 { font-size: 15pt; margin: 0 0 .2em; }
p.meta { color: #444; margin: 0 0 1em; }
p { margin: .5em 0; white-space: pre-line; }
"""


def _html(result: FollowUps) -> str:
    """One ``<section class="letter">`` per customer, each on its own printed page."""
    letters = result.letters
    business = html.escape(_CONTROL.sub("", result.business_name), quote=True)
    date = f"{result.as_of:%Y-%m-%d}"
    if letters.empty:
        body = f"<p>No call reached a customer from {result.since:%Y-%m-%d} to {date}.</p>"
    else:
        page = (
            '<section class="letter"><h1>'
            + business
            + '</h1><p class="meta">'
            + date
            + "<br>"
            + markup_cells(letters["customer_name"])
            + " ("
            + markup_cells(letters["customer_id"])
            + ")</p><p>"
            + markup_cells(letters["body"]).str.replace("\n\n", "</p><p>", regex=False)
            + "</p></section>"
        )
        body = "\n".join(page.tolist())
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Call confirmations as of {date} - {business}</title>"
        f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def _header_text(value) -> str:
    """A header value without line breaks or control characters (no header injection)."""
    return re.sub(r"[\r\n]+", " ", _CONTROL.sub("", str(value))).strip()


def _message(to: str, subject: str, body: str, sender: str | None) -> EmailMessage:
    """The email draft of one confirmation (To, Subject, the body as plain text)."""
    message = EmailMessage(policy=SMTP)
    if sender:
        message["From"] = _header_text(sender)
    message["To"] = _header_text(to)
    message["Subject"] = _header_text(subject)
    # Mail programs (Outlook) open a message with this header as a draft to send.
    message["X-Unsent"] = "1"
    message.set_content(body)
    return message


def _eml_paths(result: FollowUps, folder: str | os.PathLike) -> dict[str, Path]:
    """Where each confirmation with a usable email goes: ``<folder>/follow_ups_eml/<id>.eml``.

    The file name is the customer id with every character but letters, digits, ``.``,
    ``_`` and ``-`` replaced by ``_``; ids that would share a name get ``-2``, ``-3``...
    """
    ids = result.letters.loc[result.letters["letter_only"] == "", "customer_id"].astype(str)
    stems = ids.str.replace(_UNSAFE_NAME, "_", regex=True).str.lstrip(".")
    stems = stems.where(stems != "", "customer")
    dup = stems.groupby(stems.str.lower()).cumcount()
    stems = stems + np.where(dup > 0, "-" + (dup + 1).astype(str), "")
    base = Path(folder) / EML_FOLDER
    return {cid: base / f"{stem}.eml" for cid, stem in zip(ids, stems, strict=True)}


def write_follow_ups(result: FollowUps, folder: str | os.PathLike, *, inputs=()) -> list[Path]:
    """Write the mail-merge CSV, the printable letters and one ``.eml`` draft per email.

    Into ``folder``: ``follow_ups.csv`` (one row per confirmation: email, name, subject
    and every part of the body, formula-safe), ``follow_ups.html`` (one customer a
    page) and ``follow_ups_eml/<customer_id>.eml`` for each confirmation with a usable
    email address (parse them back with :mod:`email`). All are written atomically, all
    or none; none may be one of ``inputs`` (the files the run read).

    Returns
    -------
    list of Path
        The CSV, the HTML, then the ``.eml`` files.

    Raises
    ------
    OutputError
        The folder does not exist or cannot be written, or an output is an input.

    Examples
    --------
    >>> import arcalls, tempfile, email
    >>> s = arcalls.load_sample()
    >>> done = follow_ups(*s, as_of="2026-10-30")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_follow_ups(done, folder)
    ...     [p.name for p in paths[:2]]
    ['follow_ups.csv', 'follow_ups.html']
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(
            f"Cannot write the follow-ups into {folder}: the folder does not exist. "
            "Create it first or choose another --out."
        )
    emls = _eml_paths(result, folder)
    paths = [folder / name for name in FOLLOW_UP_FILES] + list(emls.values())
    check_outputs(inputs, paths)
    if emls:
        (folder / EML_FOLDER).mkdir(exist_ok=True)
    sent = result.letters[result.letters["letter_only"] == ""]
    # One file per customer: the one loop over rows, as each draft is its own file.
    messages = [
        _message(to, subject, body, result.sender).as_bytes()
        for to, subject, body in zip(
            sent["email"].astype(str),
            sent["subject"].astype(str),
            sent["body"].astype(str),
            strict=True,
        )
    ]
    table = _csv_frame(result.letters)
    page = _html(result)
    with atomic_paths(*paths) as tmps:
        neutralize_formulas(table).to_csv(tmps[0], index=False, lineterminator="\n")
        tmps[1].write_text(page, encoding="utf-8")
        for tmp, data in zip(tmps[2:], messages, strict=True):
            tmp.write_bytes(data)
    return paths


def _csv_frame(letters: pd.DataFrame) -> pd.DataFrame:
    out = letters.copy()
    for col in ("called_at", "callback_at"):
        out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M").astype("string")
    out["promise_date"] = out["promise_date"].dt.strftime("%Y-%m-%d").astype("string")
    for col in ("promise_amount", "total_due", "overdue", "late_charges"):
        values = out[col].to_numpy(dtype="float64")
        out[col] = pd.Series(np.char.mod("%.2f", np.nan_to_num(values)), index=out.index).where(
            ~np.isnan(values), ""
        )
    return out
