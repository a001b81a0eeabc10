"""Port: what /referral, /stats and GET /v1/affiliates/summary read about the affiliate programme
(issue 11): counts and sums over referrals, payments, commission lines and fraud cases, never a write."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from core.domain.affiliates import LineStatus

# (status, currency) → the sum of the lines' amounts; status derived at `now` (CommissionLine.status)
Commission = dict[tuple[LineStatus, str], Decimal]


@dataclass(frozen=True)
class AffiliateStanding:
    """One affiliate's referrals and commission, as of `now`."""

    signups: int
    paying: int  # referees with a paid/renewed payment not fully taken back by a refund or chargeback
    commission: Commission
    next_payable_at: datetime | None  # the earliest maturity of a pending line
    hold_rules: tuple[str, ...] | None  # an open fraud case's rule names; None: no hold


@dataclass
class WeekFigures:
    """One ISO week (Monday 00:00 UTC) of the programme."""

    week: date
    signups: int = 0
    referred_signups: int = 0
    paying: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)  # per currency (XTR: Stars), net
    commission: Commission = field(default_factory=dict)  # by the week the line was earned
    open_fraud_cases: int = 0  # opened that week and still open


class AffiliateStatsRepository(Protocol):
    async def standing(self, user_id: int, now: datetime) -> AffiliateStanding: ...

    async def weeks(self, since: datetime, now: datetime) -> list[WeekFigures]:
        """Figures of every week from `since` (a Monday 00:00 UTC) with anything in it."""
        ...
