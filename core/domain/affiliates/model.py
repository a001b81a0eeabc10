"""The affiliate programme's records (issue 11), shared by referrals, payments, the ledger, payouts and the
fraud checks. Pure: no clock (time is an argument), Decimal money, frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class PaymentSource(StrEnum):
    STARS = "stars"  # a Telegram Stars invoice paid in the bot; the external id is Telegram's charge id
    EXTERNAL = "external"  # POST /v1/payments/events from the operator's payment system


class PaymentType(StrEnum):
    PAID = "paid"
    RENEWED = "renewed"
    REFUNDED = "refunded"
    CHARGEBACK = "chargeback"

    @property
    def takes_back(self) -> bool:
        """A refund or chargeback takes back the period it names (its commission is reversed)."""
        return self in (PaymentType.REFUNDED, PaymentType.CHARGEBACK)


@dataclass(frozen=True)
class Plan:
    """A subscription plan sold with Stars (SUBSCRIPTION_PLANS): code, length in days, price in Stars."""

    code: str
    days: int
    stars: int


@dataclass(frozen=True)
class Payment:
    id: int
    source: PaymentSource
    external_id: str
    telegram_id: int
    user_id: int | None
    type: PaymentType
    amount: Decimal
    currency: str  # ISO 4217, or XTR for Telegram Stars (whole units)
    period_start: datetime
    period_end: datetime
    received_at: datetime
    plan: str | None = None
    payer_fingerprint: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Referral:
    referee_user_id: int
    referrer_user_id: int
    code: str
    created_at: datetime


class LineKind(StrEnum):
    TIER_1 = "tier_1"  # first paid month
    TIER_2 = "tier_2"  # each later paid month
    BONUS = "bonus"  # the performance bonus, once three consecutive months are paid
    REBATE = "rebate"  # per lot of bot-attributed closed volume (introducing-broker setups)
    REVERSAL = "reversal"  # takes back a line (refund, chargeback, confirmed fraud): the opposite amount


class LineStatus(StrEnum):
    PENDING = "pending"
    PAYABLE = "payable"
    PAID = "paid"


@dataclass(frozen=True)
class CommissionLine:
    """One ledger line; never changed once written, except that a payout takes it (payout_id)."""

    id: int
    affiliate_user_id: int
    kind: LineKind
    amount: Decimal  # signed, rounded to the currency's minor unit
    currency: str
    rule_version: str
    earned_at: datetime
    payable_at: datetime
    dedupe_key: str = ""
    referee_user_id: int | None = None
    payment_id: int | None = None
    reverses_line_id: int | None = None
    payout_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def status(self, now: datetime) -> LineStatus:
        if self.payout_id is not None:
            return LineStatus.PAID
        return LineStatus.PAYABLE if now >= self.payable_at else LineStatus.PENDING


class PayoutStatus(StrEnum):
    PENDING = "pending"  # created, not yet handed over
    SENT = "sent"
    FAILED = "failed"  # its lines are released again
    UNKNOWN = "unknown"  # the hand-over's outcome is unknown: blocks the affiliate's next payout

    @property
    def blocks_next(self) -> bool:
        return self in (PayoutStatus.PENDING, PayoutStatus.UNKNOWN)


@dataclass(frozen=True)
class Payout:
    id: int
    affiliate_user_id: int
    period: str
    amount: Decimal
    currency: str
    status: PayoutStatus
    created_by: str
    created_at: datetime
    resolved_at: datetime | None = None
    reference: str | None = None


class CaseStatus(StrEnum):
    OPEN = "open"  # holds the affiliate's unpaid commission and blocks payouts
    CONFIRMED = "confirmed"  # the held commission was reversed
    CLEARED = "cleared"  # released


@dataclass(frozen=True)
class FraudSignal:
    """One check's finding: which rule, how much it weighs, and the evidence an admin reads."""

    rule: str  # e.g. "shared_login", "same_ip", "same_payer", "link_burst", "cluster", "wash_short_hold"
    weight: Decimal
    evidence: dict[str, Any]


@dataclass(frozen=True)
class FraudCase:
    id: int
    affiliate_user_id: int
    status: CaseStatus
    score: Decimal
    signals: tuple[FraudSignal, ...]
    reasons: tuple[str, ...]
    rule_version: str
    opened_at: datetime
    updated_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision: str | None = None
