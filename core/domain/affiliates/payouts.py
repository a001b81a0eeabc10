"""Who may be paid (issue 11): the rule the payout run and the /payouts preview share. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Blocked(StrEnum):
    NOTHING = "nothing"  # nothing payable, or a carry larger than the earnings
    BELOW_MINIMUM = "below_minimum"
    FRAUD_CASE = "fraud_case"  # an open fraud case holds the affiliate's commission
    UNRESOLVED = "unresolved"  # an earlier payout is pending or of unknown outcome
    PAID_THIS_MONTH = "paid_this_month"  # this month's payout in this currency exists (not failed)


@dataclass(frozen=True)
class Balance:
    """An affiliate's payable unpaid lines in one currency (negative carries included)."""

    affiliate_user_id: int
    telegram_id: int
    name: str
    currency: str
    payable: Decimal


@dataclass(frozen=True)
class Candidate:
    balance: Balance
    blocked: Blocked | None  # None: would be paid


def judge(
    balance: Balance, minimum: Decimal, fraud_open: bool, unresolved: bool, paid_this_month: bool = False
) -> Candidate:
    """A payout only when the sum is > 0 and ≥ the minimum, no fraud case is open, no earlier payout is
    unresolved and this month has no live payout in the currency yet (one a month; a failed one does
    not count); the first reason that applies is the one shown."""
    reasons = (
        (fraud_open, Blocked.FRAUD_CASE),
        (unresolved, Blocked.UNRESOLVED),
        (balance.payable <= 0, Blocked.NOTHING),
        (paid_this_month, Blocked.PAID_THIS_MONTH),
        (balance.payable < minimum, Blocked.BELOW_MINIMUM),
    )
    return Candidate(balance, next((reason for applies, reason in reasons if applies), None))


def period_of(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"
