"""The ledger's and payouts' alerts to an affiliate (issue 11): a commission earned, a commission taken
back (reversed before payout, or carried against future earnings), a payout sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain.affiliates.model import LineKind
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
