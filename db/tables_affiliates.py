"""The affiliate programme's schema (issue 11): referral codes and referrals, payments (Telegram Stars and
the operator's external events), the append-only commission ledger, payouts, fraud cases and the bridge
source addresses the fraud checks compare. Migration 0013 creates it; `docs/affiliates.md` says who writes
what."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.tables import Base


class ReferralCodeRow(Base):
    """Each trader's opaque code (never their Telegram id); a banned code attributes nobody."""

    __tablename__ = "referral_codes"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    banned_at: Mapped[datetime | None] = mapped_column()
    ban_reason: Mapped[str | None] = mapped_column(String(200))


class ReferralRow(Base):
    """First touch: one referrer per referee, ever."""

    __tablename__ = "referrals"
    referee_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    referrer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code: Mapped[str] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column()


class PaymentRow(Base):
    """A subscription payment event, as received: `source` stars (Telegram's charge id is the external id)
    or external (the operator's `external_id`); unique per source, so a retried event is stored once."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_payments_source_external_id"),
        Index("ix_payments_unledgered", "id", postgresql_where=text("ledgered_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(8))  # stars | external
    external_id: Mapped[str] = mapped_column(String(128))
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    type: Mapped[str] = mapped_column(String(12))  # paid | renewed | refunded | chargeback
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(8))
    plan: Mapped[str | None] = mapped_column(String(32))
    period_start: Mapped[datetime] = mapped_column()
    period_end: Mapped[datetime] = mapped_column()
    payer_fingerprint: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(254))
    received_at: Mapped[datetime] = mapped_column()
    ledgered_at: Mapped[datetime | None] = mapped_column()  # the ledger pass has turned it into lines


class CommissionLineRow(Base):
    """One line of the append-only ledger (core.domain.affiliates.CommissionLine): never updated except
    `payout_id`, set once when a payout takes it. Its status is derived: paid once a payout took it,
    payable from `payable_at`, pending before; a reversal is a new line of the opposite sign."""

    __tablename__ = "commission_lines"
    __table_args__ = (
        Index("ix_commission_lines_unpaid", "affiliate_user_id", postgresql_where=text("payout_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    affiliate_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    referee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    reverses_line_id: Mapped[int | None] = mapped_column(ForeignKey("commission_lines.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # core.domain.affiliates.LineKind
    amount: Mapped[Decimal] = mapped_column()  # signed, rounded to the currency's minor unit
    currency: Mapped[str] = mapped_column(String(8))
    rule_version: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column()  # core.domain.codec: decimals as strings
    earned_at: Mapped[datetime] = mapped_column()
    payable_at: Mapped[datetime] = mapped_column()
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)


class PayoutRow(Base):
    """One live payout per affiliate, period and currency (the partial unique index makes a retry, a
    double click or two workers pay once; a failed payout leaves it, so the month can be paid again:
    migration 0014); `status` pending → sent | failed, or unknown (blocks the next until resolved)."""

    __tablename__ = "payouts"
    __table_args__ = (
        Index(
            "uq_payouts_live_affiliate_period_currency",
            "affiliate_user_id",
            "period",
            "currency",
            unique=True,
            postgresql_where=text("status <> 'failed'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    affiliate_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column()
    currency: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10))  # core.domain.affiliates.PayoutStatus
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    reference: Mapped[str | None] = mapped_column(String(128))


class FraudCaseRow(Base):
    """A score over the threshold for one affiliate: at most one open case each (partial unique index);
    `signals` holds every signal with its evidence and `reasons` the score's explanation."""

    __tablename__ = "fraud_cases"
    __table_args__ = (
        Index(
            "uq_fraud_cases_open_affiliate",
            "affiliate_user_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    affiliate_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # open | confirmed | cleared
    score: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    signals: Mapped[dict[str, Any]] = mapped_column()
    rule_version: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(200))


class BridgeSightingRow(Base):
    """The addresses an account's EA has reached the bridge from (first and last seen, at most about
    hourly resolution): the self-referral check compares referrer's and referee's."""

    __tablename__ = "bridge_sightings"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    ip: Mapped[str] = mapped_column(String(45), primary_key=True, index=True)
    first_seen: Mapped[datetime] = mapped_column()
    last_seen: Mapped[datetime] = mapped_column()


class WithheldPositionRow(Base):
    """A position of wash volume (issue 11, migration 0015): every fraud scan upserts the positions its
    wash checks name, over the threshold or not; the ledger pays no per-lot rebate on them. Written once
    per position (the first rule and time kept): a retried scan changes nothing."""

    __tablename__ = "withheld_positions"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    position_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    found_at: Mapped[datetime] = mapped_column()
