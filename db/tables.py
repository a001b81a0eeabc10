"""The schema, as SQLAlchemy 2 declarative models. Alembic migrations create it; nothing calls create_all."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(24, 8)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONB,
        datetime: DateTime(timezone=True),
        Decimal: Money,
    }


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    start_payload: Mapped[str | None] = mapped_column(String(64))
    blocked_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # how the user's accounts follow signals (core.domain.signals.SignalMode)
    signal_mode: Mapped[str] = mapped_column(String(8), default="approve", server_default="approve")


class AccountRow(Base):
    """One user's link to an MT5 account (login and server). Another user may link the same pair: each
    link has its own device and state, and `shared` flags every link of such a pair."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("user_id", "login", "server", name="uq_accounts_user_login_server"),
        Index("ix_accounts_login_server", "login", "server"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    login: Mapped[int] = mapped_column(BigInteger)
    server: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[datetime] = mapped_column(server_default=func.now())
    personal_max_drawdown_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class DeviceRow(Base):
    __tablename__ = "devices"
    device_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)  # old ones revoked
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    secret_version: Mapped[int] = mapped_column(Integer, default=1)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    rotated_at: Mapped[datetime | None] = mapped_column()


class AccountStateRow(Base):
    """The latest accepted snapshot of an account, and the guard's persisted state."""

    __tablename__ = "account_state"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    seq_device_id: Mapped[str | None] = mapped_column(String(40))  # last_seq is this device's
    last_snapshot_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
    currency: Mapped[str] = mapped_column(String(8))
    balance: Mapped[Decimal] = mapped_column()
    equity: Mapped[Decimal] = mapped_column()
    margin: Mapped[Decimal] = mapped_column()
    peak_equity: Mapped[Decimal] = mapped_column()
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    guard: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    guard_due_at: Mapped[datetime | None] = mapped_column(index=True)
    rev: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # core.services.ports.hot


class EquityHistoryRow(Base):
    """One equity point per account and minute (the last snapshot of that minute), written behind."""

    __tablename__ = "equity_history"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    equity: Mapped[Decimal] = mapped_column()
    balance: Mapped[Decimal] = mapped_column()


class DealRow(Base):
    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("account_id", "ticket", name="uq_deals_account_ticket"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    ticket: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(BigInteger)
    symbol: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(16))
    entry: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(8))
    volume: Mapped[Decimal] = mapped_column()
    price: Mapped[Decimal] = mapped_column()
    time: Mapped[datetime] = mapped_column()
    profit: Mapped[Decimal] = mapped_column()
    commission: Mapped[Decimal] = mapped_column()
    swap: Mapped[Decimal] = mapped_column()
    magic: Mapped[int] = mapped_column(BigInteger)
    comment: Mapped[str] = mapped_column(String(64))
    # `bridge` (the EA reported it) or `import` (only a report the trader sent with /import has it)
    source: Mapped[str] = mapped_column(String(8), default="bridge", server_default="bridge")


class CommandRow(Base):
    """A command for a device (BRIDGE.md); `dedupe_key` makes issuing it idempotent."""

    __tablename__ = "commands"
    __table_args__ = (Index("ix_commands_account_status", "account_id", "status"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(24))
    body: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    acked_at: Mapped[datetime | None] = mapped_column()
    ack: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    issued: Mapped[int] = mapped_column(BigInteger, Identity())


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(48))
    version: Mapped[int] = mapped_column(SmallInteger, server_default="1")  # of the payload's shape
    params: Mapped[dict[str, Any]] = mapped_column()  # the alert's payload (core.domain.alerts)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditRow(Base):
    """Append-only (triggers refuse DELETE and TRUNCATE, and every UPDATE but `personal` → NULL). Version 1
    rows hash the previous row of the same subject (`prev_hash`); version 2 rows hash the previous row by
    id (`chain_prev`, also in `prev_hash`) and `personal_digest`, the sha256 of `personal` (erasable)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    chain_prev: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    personal: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    personal_digest: Mapped[str | None] = mapped_column(String(64))


class OperatorTokenRow(Base):
    """Every operator API token issued (never the token itself); revoked_at set by `token --revoke`."""

    __tablename__ = "operator_tokens"
    __table_args__ = (
        Index(
            "ix_operator_tokens_revoked_expires_at",
            "expires_at",
            postgresql_where="revoked_at IS NOT NULL",
        ),
    )
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class MarketSymbolRow(Base):
    """What the market guards remember about one symbol on one server (core.domain.market.SymbolMarket)."""

    __tablename__ = "market_symbols"
    server: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class HaltRow(Base):
    """Every global halt (core.domain.halt); the id is the halt's number. At most one is open (not
    resumed): a partial unique index says so, and a trigger on `commands` refuses an open_position
    while one is open (migration 0006)."""

    __tablename__ = "halts"
    __table_args__ = (
        Index(
            "uq_halts_one_open",
            text("(resumed_at IS NULL)"),
            unique=True,
            postgresql_where="resumed_at IS NULL",
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    halted_at: Mapped[datetime] = mapped_column()
    halted_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200), default="")
    resumed_at: Mapped[datetime | None] = mapped_column()
    resumed_by: Mapped[str | None] = mapped_column(String(64))


class SignalRow(Base):
    """Every signal the operator API accepted (core.domain.signals.Signal); the id is the operator's."""

    __tablename__ = "signals"
    id: Mapped[str] = mapped_column(String(28), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    volume: Mapped[Decimal | None] = mapped_column()
    risk_percent: Mapped[Decimal | None] = mapped_column(Numeric(8, 4))
    sl: Mapped[Decimal | None] = mapped_column()
    tp: Mapped[Decimal | None] = mapped_column()
    entry: Mapped[Decimal | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()


class SignalDeliveryRow(Base):
    """One signal on one account (core.domain.signals.Delivery): at most one, ever."""

    __tablename__ = "signal_deliveries"
    signal_id: Mapped[str] = mapped_column(ForeignKey("signals.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True, index=True)
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(20))
    volume: Mapped[Decimal | None] = mapped_column()
    command_id: Mapped[str | None] = mapped_column(ForeignKey("commands.id"))
    created_at: Mapped[datetime] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()


class ExpectedTradeRow(Base):
    """What an account should come to hold because a signal's open_position was queued for it
    (core.domain.signals.ExpectedTrade); `ticket` is filled from the EA's ack (SqlSignalRepository)."""

    __tablename__ = "expected_trades"
    __table_args__ = (UniqueConstraint("signal_id", "account_id", name="uq_expected_trades_signal_account"),)
    command_id: Mapped[str] = mapped_column(ForeignKey("commands.id"), primary_key=True)
    signal_id: Mapped[str] = mapped_column(ForeignKey("signals.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    volume: Mapped[Decimal] = mapped_column()
    entry: Mapped[Decimal | None] = mapped_column()
    sl: Mapped[Decimal | None] = mapped_column()
    tp: Mapped[Decimal | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    queued_at: Mapped[datetime] = mapped_column()
    ticket: Mapped[int | None] = mapped_column(BigInteger)


class DivergenceRow(Base):
    """One cause found by reconciliation (core.domain.reconciliation.Divergence), by its deterministic id:
    stored once however often it is found again; `resolved_at` once a later pass no longer finds it."""

    __tablename__ = "divergences"
    __table_args__ = (
        Index("ix_divergences_open", "account_id", postgresql_where=text("resolved_at IS NULL")),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(10))
    signal_id: Mapped[str | None] = mapped_column(String(28))
    ticket: Mapped[int | None] = mapped_column(BigInteger)
    evidence: Mapped[dict[str, Any]] = mapped_column()  # core.domain.codec: decimals as strings
    first_seen_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()


class ReconciliationPassRow(Base):
    """An account's latest reconciliation pass: when, how many divergences it left open, when time alone
    may change the verdict (`due_at`: a grace or fill window ends) and the positions it saw (digest)."""

    __tablename__ = "reconciliation_passes"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    reconciled_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    positions_digest: Mapped[str] = mapped_column(String(64), default="", server_default="")
    open_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    critical_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
