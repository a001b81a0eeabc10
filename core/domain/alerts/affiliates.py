"""The ledger's and payouts' alerts to an affiliate (issue 11): a commission earned, a commission taken
back (reversed before payout, or carried against future earnings), a payout sent, a payout failed (its
amount owed again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain.affiliates.model import CommissionLine, LineKind
from core.domain.alerts.base import AlertBody


@dataclass(frozen=True, kw_only=True)
class CommissionEarned(AlertBody):
    """One line made for the affiliate; pending until `payable_at`."""

    line_kind: LineKind
    amount: Decimal
    currency: str
    payable_at: datetime


@dataclass(frozen=True, kw_only=True)
class CommissionReversed(AlertBody):
    """A reversal line (a negative `amount`); `carried`: the line was already paid, so the amount is
    taken from future earnings; otherwise it nets to zero with its line at `payable_at`."""

    amount: Decimal
    currency: str
    carried: bool
    payable_at: datetime


@dataclass(frozen=True, kw_only=True)
class PayoutSent(AlertBody):
    amount: Decimal
    currency: str
    period: str
    reference: str


@dataclass(frozen=True, kw_only=True)
class PayoutReturned(AlertBody):
    """A payout failed: nothing was paid; its `amount` is owed again, payable in the next payout."""

    amount: Decimal
    currency: str
    period: str


def commission_alert(line: CommissionLine) -> AlertBody:
    """What the affiliate is told about a line just written (earned, or taken back)."""
    if line.kind is LineKind.REVERSAL:
        carried = bool(line.details.get("carried"))
        return CommissionReversed(
            amount=line.amount, currency=line.currency, carried=carried, payable_at=line.payable_at
        )
    return CommissionEarned(
        line_kind=line.kind, amount=line.amount, currency=line.currency, payable_at=line.payable_at
    )
