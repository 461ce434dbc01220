"""Late charges that may apply to overdue invoices: interest and fixed fees, by policy.

A late charge is shown to the owner (on the call sheet, the statement, the confirmation)
and never added to the receivable: nothing here changes a balance, so the aging, DSO and
every total stay what the ledger says.

How interest is counted (every policy)
--------------------------------------
* An invoice is late from the day after its due date (plus the policy's grace days).
  Interest accrues for each late day up to and including ``as_of``: ``days_late =
  (as_of - due_date).days``.
* Each late day bears interest on that day's balance: the invoice amount less every
  payment dated on or before that day. A payment stops interest on the part it pays from
  its own date on; payments dated after ``as_of`` are not known yet and do not count.
  A balance below zero (an overpayment) bears no interest.
* Interest is simple (never compounded): ``balance x annual rate / day count`` per day,
  summed, rounded to the cent once per invoice. The day count is 365 unless the policy
  says otherwise; a leap day is one more day of interest like any other.
* A monthly percentage ``p`` is the annual rate ``p x 12``: 1.5 % a month is 18 % a
  year, i.e. ``0.18 / 365`` of the balance a day.
* Disputed invoices bear no late charge by default (the dispute is settled first; that
  is also the usual reading of the statutes, whose interest runs on a sum that is due);
  ``include_disputed=True`` charges them like any other.
* Written-off invoices bear none (they are no longer claimed), nor credit notes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import check_one_currency
from ._keys import shared_codes
from .aging import _check_as_of, _check_columns
from .errors import InputError
from .ledger import resolve_payments
from .schema import round_money

__all__ = [
    "DEFAULT_DAY_COUNT",
    "EU_MIN_COMPENSATION",
    "LateChargePolicy",
    "STATUTORY_MARGIN",
    "UK_COMPENSATION_BANDS",
    "late_charges",
    "late_charge_policy",
]

#: Days in the year that an annual rate is divided by, per day of interest.
DEFAULT_DAY_COUNT = 365
#: Points over the reference rate of both statutory presets (UK Act s.4, EU Directive art. 2(6)).
STATUTORY_MARGIN = 8.0
#: UK fixed compensation by the size of the debt (Act s.5A): (debt below, sum due) in GBP.
UK_COMPENSATION_BANDS: tuple[tuple[float, float], ...] = (
    (1_000.0, 40.0),
    (10_000.0, 70.0),
    (math.inf, 100.0),
)
#: EU Directive 2011/7/EU art. 6(1): at least EUR 40 per late invoice.
EU_MIN_COMPENSATION = 40.0

_KINDS = ("none", "monthly", "fee", "uk", "eu")
_SPEC_HELP = (
    "'none'; 'monthly:PERCENT' (e.g. monthly:1.5); 'fee:AMOUNT' or 'fee:AMOUNT:GRACE_DAYS' "
    "(e.g. fee:25:10); 'uk:BASE_RATE' (Bank of England base rate in %, e.g. uk:5.25); "
    "'eu:REFERENCE_RATE' (ECB reference rate in %, e.g. eu:4.5)"
)


@dataclass(frozen=True)
class LateChargePolicy:
    """How late charges are worked out for an invoice (build one with a class method).

    Parameters
    ----------
    name : str
        The name shown in every output (e.g. ``"1.5% a month"``).
    annual_rate : float
        Simple interest a year, as a fraction (0.18 for 18 %); 0 for no interest.
    fee_bands : tuple of (float, float)
        Fixed fee per late invoice by the size of the debt when it fell late: the first
        band whose bound is above the debt gives the fee. Empty for no fee.
    grace_days : int
        Days after the due date before any charge applies.
    day_count : int
        Days of the year an annual rate is divided by.
    currency : str or None
        The currency the fees are in (a statutory preset's own); invoices in another
        named currency are refused rather than charged in the wrong unit.
    """

    name: str
    annual_rate: float = 0.0
    fee_bands: tuple[tuple[float, float], ...] = ()
    grace_days: int = 0
    day_count: int = DEFAULT_DAY_COUNT
    currency: str | None = None

    def __post_init__(self):
        if not (isinstance(self.annual_rate, int | float) and 0 <= self.annual_rate < 10):
            raise InputError(
                f"annual_rate must be a fraction a year between 0 and 10, got "
                f"{self.annual_rate!r} (0.18 for 18 % a year)."
            )
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int):
            raise InputError(f"grace_days must be a whole number, got {self.grace_days!r}.")
        if self.grace_days < 0:
            raise InputError(f"grace_days must be 0 or more, got {self.grace_days}.")
        if self.day_count not in (360, 365, 366):
            raise InputError(f"day_count must be 360, 365 or 366, got {self.day_count!r}.")
        for band in self.fee_bands:
            if len(band) != 2 or band[1] < 0:
                raise InputError(
                    f"fee_bands must be (debt below, fee >= 0) pairs, got {self.fee_bands!r}."
                )

    @classmethod
    def none(cls) -> LateChargePolicy:
        """No late charges at all (the default)."""
        return cls(name="none")

    @classmethod
    def monthly(cls, percent: float, *, grace_days: int = 0) -> LateChargePolicy:
        """Simple interest of ``percent`` a month: ``percent x 12 / 365`` of the balance a day.

        Interest starts on the first day after ``due_date + grace_days``.
        """
        _check_percent(percent, "percent a month")
        return cls(
            name=f"{percent:g}% a month", annual_rate=percent * 12 / 100, grace_days=grace_days
        )

    @classmethod
    def fixed_fee(cls, amount: float, *, grace_days: int = 0) -> LateChargePolicy:
        """A fee of ``amount`` once per invoice still unpaid after ``due_date + grace_days``."""
        _check_percent(amount, "fee")
        days = f" after {grace_days} days" if grace_days else ""
        return cls(
            name=f"fee {amount:,.2f}{days}",
            fee_bands=((math.inf, float(amount)),),
            grace_days=grace_days,
        )

    @classmethod
    def uk_statutory(cls, reference_rate: float) -> LateChargePolicy:
        """UK Late Payment of Commercial Debts (Interest) Act 1998, business to business.

        Statutory interest (s.4 and the Late Payment of Commercial Debts (Rate of
        Interest) (No. 3) Order 2002) is simple interest at 8 % a year over the
        *reference rate*, counted daily (365 days). Fixed compensation (s.5A, added by
        the Late Payment of Commercial Debts Regulations 2002 and 2013) is GBP 40 for a
        debt under GBP 1,000, GBP 70 under GBP 10,000 and GBP 100 from GBP 10,000 on,
        once per invoice; the debt is the balance on the first day it was late.

        Parameters
        ----------
        reference_rate : float
            The Bank of England base rate in percent, as the Act fixes it: the rate in
            force on 30 June applies to debts that fall late from 1 July to 31 December,
            and the rate in force on 31 December to those that fall late from 1 January
            to 30 June. Required, and never fetched: look it up (bankofengland.co.uk) for
            the half-year your invoices fell late in.

        Sources: legislation.gov.uk/ukpga/1998/20; SI 2002/1675 (rate order);
        gov.uk/late-commercial-payments-interest-debt-recovery.
        """
        _check_percent(reference_rate, "reference_rate", negative_ok=True)
        return cls(
            name=f"UK late payment act ({reference_rate:g}% + {STATUTORY_MARGIN:g}%)",
            annual_rate=(reference_rate + STATUTORY_MARGIN) / 100,
            fee_bands=UK_COMPENSATION_BANDS,
            currency="GBP",
        )

    @classmethod
    def eu_directive(
        cls,
        reference_rate: float,
        *,
        compensation: float = EU_MIN_COMPENSATION,
        day_count: int = DEFAULT_DAY_COUNT,
    ) -> LateChargePolicy:
        """EU Late Payment Directive 2011/7/EU, between businesses.

        Statutory interest (art. 2(5)-(6), art. 3) is the *reference rate* plus at least
        8 percentage points, simple. Compensation for recovery costs (art. 6) is at
        least EUR 40 per invoice paid late, with no reminder needed.

        Parameters
        ----------
        reference_rate : float
            In percent: the rate the European Central Bank applied to its most recent
            main refinancing operation, as in force on 1 January for the first half of
            the year and on 1 July for the second (each Member State's law may name its
            own). Required, never fetched.
        compensation : float, default :data:`EU_MIN_COMPENSATION`
            The fixed sum per late invoice (the Directive's minimum by default).
        day_count : int, default 365
            The Directive does not fix a day count; some Member States use 360.

        Source: eur-lex.europa.eu/eli/dir/2011/7/oj.
        """
        _check_percent(reference_rate, "reference_rate", negative_ok=True)
        if compensation < EU_MIN_COMPENSATION:
            raise InputError(
                f"compensation must be at least EUR {EU_MIN_COMPENSATION:g} (Directive "
                f"2011/7/EU art. 6), got {compensation!r}."
            )
        return cls(
            name=f"EU late payment directive ({reference_rate:g}% + {STATUTORY_MARGIN:g}%)",
            annual_rate=(reference_rate + STATUTORY_MARGIN) / 100,
            fee_bands=((math.inf, float(compensation)),),
            day_count=day_count,
            currency="EUR",
        )


def _check_percent(value, name: str, *, negative_ok: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value < 0 and not negative_ok):
        raise InputError(f"{name} must be a number{'' if negative_ok else ' >= 0'}, got {value!r}.")


def late_charge_policy(spec) -> LateChargePolicy:
    """A policy from a short text (as the command line takes it), or the policy itself.

    Parameters
    ----------
    spec : str or LateChargePolicy or None
        ``"none"``, ``"monthly:1.5"``, ``"fee:25"``, ``"fee:25:10"`` (10 grace days),
        ``"uk:5.25"`` or ``"eu:4.5"`` (the reference rate in percent); None is none.

    Raises
    ------
    InputError
        An unknown policy name or a bad number; the message lists the accepted forms.

    Examples
    --------
    >>> late_charge_policy("monthly:1.5").annual_rate
    0.18
    >>> late_charge_policy("weekly:2")
    Traceback (most recent call last):
    ...
    arcalls.errors.InputError: unknown late-charge policy 'weekly:2' ...
    """
    if spec is None:
        return LateChargePolicy.none()
    if isinstance(spec, LateChargePolicy):
        return spec
    if not isinstance(spec, str):
        raise InputError(
            f"policy must be a LateChargePolicy or a text such as 'monthly:1.5', got "
            f"{type(spec).__name__}."
        )
    kind, *args = spec.strip().lower().split(":")
    if kind not in _KINDS:
        raise InputError(
            f"unknown late-charge policy {spec!r} (known: {', '.join(_KINDS)}). Use {_SPEC_HELP}."
        )
    expected = {"none": (0, 0), "monthly": (1, 1), "fee": (1, 2), "uk": (1, 1), "eu": (1, 1)}
    lo, hi = expected[kind]
    try:
        numbers = [float(a) for a in args]
        if not lo <= len(numbers) <= hi:
            raise ValueError
        if kind == "none":
            return LateChargePolicy.none()
        if kind == "monthly":
            return LateChargePolicy.monthly(numbers[0])
        if kind == "fee":
            grace = numbers[1] if len(numbers) > 1 else 0.0
            if grace != int(grace):
                raise ValueError
            return LateChargePolicy.fixed_fee(numbers[0], grace_days=int(grace))
        if kind == "uk":
            return LateChargePolicy.uk_statutory(numbers[0])
        return LateChargePolicy.eu_directive(numbers[0])
    except ValueError:
        raise InputError(
            f"late-charge policy {spec!r} does not read as {kind!r} with its number(s). "
            f"Use {_SPEC_HELP}."
        ) from None


def late_charges(
    invoices: pd.DataFrame,
    payments: pd.DataFrame | None = None,
    *,
    as_of,
    policy=None,
    customer_policies: Mapping | None = None,
    include_disputed: bool = False,
) -> pd.DataFrame:
    """Late charges that may apply to each overdue invoice on ``as_of``, to the cent.

    Point in time: only payments dated on or before ``as_of`` count, each from its own
    date (see the module's notes for the day-by-day rule). Nothing is added to the
    receivable: the aging and every total stay as they were.

    Parameters
    ----------
    invoices : DataFrame
        Canonical invoices (one currency).
    payments : DataFrame, optional
        Canonical payments; when omitted, the invoices' own ``paid_date`` /
        ``amount_paid``.
    as_of : date-like
        The day the charges are worked out on (interest counts up to and including it).
    policy : LateChargePolicy or str, optional
        The business's policy (see :class:`LateChargePolicy` and
        :func:`late_charge_policy`); default none.
    customer_policies : mapping of customer_id to LateChargePolicy or str, optional
        A different policy for the customers whose terms differ.
    include_disputed : bool, default False
        Charge disputed invoices too (by default they bear no late charge but are
        still listed, with zeros).

    Returns
    -------
    DataFrame
        One row per invoice with a balance past due on ``as_of``, by customer then due
        date: ``invoice_id``, ``customer_id``, ``currency`` (when the invoices have it),
        ``due_date``, ``days_late``, ``overdue_balance`` (the balance on ``as_of``),
        ``interest``, ``fixed_fee``, ``late_charge`` (interest + fee), ``policy`` (its
        name) and ``disputed`` (when the invoices have it).

    Raises
    ------
    InputError
        Invoices in several currencies, or in another currency than a statutory
        preset's; an unknown policy name; a missing column.

    Examples
    --------
    >>> inv = pd.DataFrame({
    ...     "invoice_id": ["1"], "customer_id": ["A"],
    ...     "invoice_date": pd.to_datetime(["2025-05-01"]),
    ...     "due_date": pd.to_datetime(["2025-05-31"]), "amount": [1000.0],
    ... })
    >>> pay = pd.DataFrame({"payment_id": [], "invoice_id": [], "amount": [],
    ...                     "payment_date": pd.to_datetime([])})
    >>> out = late_charges(inv, pay, as_of="2025-06-30", policy="monthly:1.5")
    >>> out[["days_late", "interest", "late_charge"]].to_dict("records")
    [{'days_late': 30, 'interest': 14.79, 'late_charge': 14.79}]
    """
    stamp = _check_as_of(as_of)
    _check_columns(
        invoices,
        ("invoice_id", "customer_id", "invoice_date", "due_date", "amount"),
        table="invoices",
        dates=("invoice_date", "due_date", "written_off_date"),
    )
    currency = check_one_currency(invoices)
    if payments is not None:
        _check_columns(
            payments,
            ("invoice_id", "payment_date", "amount"),
            table="payments",
            dates=("payment_date",),
        )
    base = late_charge_policy(policy)
    overrides = {}
    for customer, spec in (customer_policies or {}).items():
        try:
            overrides[str(customer)] = late_charge_policy(spec)
        except InputError as exc:
            raise InputError(f"customer_policies[{customer!r}]: {exc}") from None
    for pol in (base, *overrides.values()):
        if pol.currency is not None and currency is not None and currency != pol.currency:
            raise InputError(
                f"the policy {pol.name!r} charges in {pol.currency} but the invoices are in "
                f"{currency}. Choose a policy for {currency} (e.g. 'monthly:1.5')."
            )
    payments = resolve_payments(invoices, payments)

    inv = invoices[invoices["invoice_date"] <= stamp].reset_index(drop=True)
    n = len(inv)
    known = payments[payments["payment_date"] <= stamp]
    inv_codes, pay_codes = shared_codes(inv["invoice_id"], known["invoice_id"])
    # Positions of the paying invoices (ids are unique in a canonical table).
    position = np.full(int(inv_codes.max()) + 1 if n else 0, -1, dtype="int64")
    position[inv_codes[inv_codes >= 0]] = np.flatnonzero(inv_codes >= 0)
    pay_pos = np.where(pay_codes >= 0, position[np.maximum(pay_codes, 0)] if n else -1, -1)
    found = pay_pos >= 0
    pay_pos = pay_pos[found]
    pay_amount = np.nan_to_num(known["amount"].to_numpy(dtype="float64", na_value=np.nan)[found])
    pay_date = known["payment_date"].to_numpy()[found]

    amount = inv["amount"].to_numpy(dtype="float64")
    paid = np.bincount(pay_pos, weights=pay_amount, minlength=n)
    balance = round_money(amount - paid)
    written_off = (
        (inv["written_off_date"] <= stamp).to_numpy()
        if "written_off_date" in inv
        else np.zeros(n, dtype=bool)
    )
    days_late = (stamp - inv["due_date"]).dt.days.to_numpy().astype("int64")
    overdue = (balance > 0) & (days_late > 0) & ~written_off
    disputed = (
        inv["disputed"].fillna(False).astype(bool).to_numpy()
        if "disputed" in inv
        else np.zeros(n, dtype=bool)
    )
    chargeable = overdue & (include_disputed | ~disputed) & (amount > 0)

    # One code per invoice: 0 is the business's policy, k the k-th distinct override.
    policies = [base, *dict.fromkeys(overrides.values())]
    code_of = {customer: policies.index(pol) for customer, pol in overrides.items()}
    codes = (
        inv["customer_id"].astype("string").map(code_of).fillna(0).to_numpy(dtype="int64")
        if code_of
        else np.zeros(n, dtype="int64")
    )
    names = np.array([pol.name for pol in policies], dtype=object)[codes]
    interest = np.zeros(n)
    fee = np.zeros(n)
    for k, pol in enumerate(policies):
        todo = (codes == k) & chargeable
        if todo.any():
            due = inv["due_date"].to_numpy()
            i, f = _charges(pol, todo, amount, due, stamp, pay_pos, pay_date, pay_amount)
            interest[todo], fee[todo] = i, f

    out = pd.DataFrame(
        {
            "invoice_id": inv["invoice_id"],
            "customer_id": inv["customer_id"],
            "currency": inv["currency"] if "currency" in inv else None,
            "due_date": inv["due_date"],
            "days_late": days_late,
            "overdue_balance": balance,
            "interest": round_money(interest),
            "fixed_fee": round_money(fee),
            "late_charge": round_money(interest + fee),
            "policy": pd.array(names, dtype="string"),
        }
    )
    if "currency" not in inv:
        out = out.drop(columns="currency")
    if "disputed" in inv:
        out["disputed"] = disputed
    out = out[overdue].sort_values(["customer_id", "due_date", "invoice_id"], kind="stable")
    return out.reset_index(drop=True)


def _charges(pol, todo, amount, due, stamp, pay_pos, pay_date, pay_amount):
    """Interest and fee of the invoices ``todo`` under ``pol``, vectorized.

    The late days of an invoice are offsets 1..N after ``due + grace``. Its balance is
    constant between payments: one segment from offset 1 and one from each payment's
    offset (a payment before offset 1 counts from offset 1), each lasting up to the next.
    """
    idx = np.flatnonzero(todo)
    start = due[idx] + np.timedelta64(pol.grace_days, "D")
    days = ((stamp.to_datetime64() - start) // np.timedelta64(1, "D")).astype("int64")
    local = np.full(len(todo), -1, dtype="int64")
    local[idx] = np.arange(len(idx))
    mine = local[pay_pos] >= 0 if len(pay_pos) else np.zeros(0, bool)
    who = local[pay_pos[mine]]
    offset = ((pay_date[mine] - start[who]) // np.timedelta64(1, "D")).astype("int64")
    offset = np.maximum(offset, 1)
    # Segments: a zero-change row at offset 1 for each invoice, then one per payment.
    seg_inv = np.concatenate([np.arange(len(idx)), who])
    seg_off = np.concatenate([np.ones(len(idx), dtype="int64"), offset])
    seg_delta = np.concatenate([amount[idx], -pay_amount[mine]])
    order = np.lexsort((seg_off, seg_inv))
    seg_inv, seg_off, seg_delta = seg_inv[order], seg_off[order], seg_delta[order]
    seg_bal = round_money(pd.Series(seg_delta).groupby(seg_inv).cumsum().to_numpy())
    last = np.r_[seg_inv[1:] != seg_inv[:-1], True]
    next_off = np.where(last, days[seg_inv] + 1, np.r_[seg_off[1:], 0])
    length = np.clip(np.minimum(next_off, days[seg_inv] + 1) - seg_off, 0, None)
    balance_days = np.bincount(
        seg_inv, weights=np.clip(seg_bal, 0, None) * length, minlength=len(idx)
    )
    interest = round_money(balance_days * pol.annual_rate / pol.day_count)
    # The debt when it fell late: the balance on the first late day (offset 1).
    early = offset <= 1
    debt = round_money(
        amount[idx] - np.bincount(who[early], weights=pay_amount[mine][early], minlength=len(idx))
    )
    fee = np.zeros(len(idx))
    late = (days >= 1) & (debt > 0)
    if pol.fee_bands:
        bounds = np.array([b for b, _ in pol.fee_bands])
        fees = np.array([f for _, f in pol.fee_bands])
        band = np.minimum(np.searchsorted(bounds, debt, side="right"), len(fees) - 1)
        fee = np.where(late, fees[band], 0.0)
    interest = np.where(days >= 1, interest, 0.0)
    return interest, fee
