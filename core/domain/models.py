"""The records the services work with: users, linked accounts, devices, alerts, audit entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.domain.alerts import AlertBody, UndecodableAlert
from core.domain.drawdown import percent_below
from core.domain.guard.state import GuardState


@dataclass(frozen=True)
class User:
    id: int
    telegram_id: int
    first_name: str
    language: str
    username: str | None = None
    start_payload: str | None = None
    blocked_bot: bool = False


@dataclass(frozen=True)
class LinkedAccount:
    """One user's link to an MT5 account; `shared` when another user has linked the same login@server."""

    id: int
    user_id: int
    login: int
    server: str
    linked_at: datetime
    owner_telegram_id: int = 0
    shared: bool = False


@dataclass(frozen=True)
class Device:
    device_id: str
    account_id: int
    login: int
    server: str
    secret_encrypted: bytes
    revoked: bool = False


@dataclass(frozen=True)
class AccountView:
    """What /status, /positions and the operator API show: the latest snapshot, as stored."""

    account_id: int
    login: int
    server: str
    currency: str | None
    balance: Decimal | None
    equity: Decimal | None
    margin: Decimal | None
    peak_equity: Decimal | None
    last_snapshot_at: datetime | None
    positions: tuple[dict[str, Any], ...] = ()
    guard_status: str | None = None
    guard_stale: bool = False
    locked: bool = False
    personal_limit: Decimal | None = None
    shared: bool = False
    owner_telegram_id: int = 0

    @property
    def has_data(self) -> bool:
        return self.equity is not None and self.balance is not None

    @property
    def floating_pnl(self) -> Decimal | None:
        if self.equity is None or self.balance is None:
            return None
        return self.equity - self.balance

    @property
    def drawdown_percent(self) -> Decimal | None:
        """The guard's drawdown (`percent_below`, rounded as in its alerts); never below 0 here."""
        if self.equity is None or not self.peak_equity:
            return None
        return max(Decimal(0), percent_below(self.peak_equity, self.equity))

    @property
    def margin_level_percent(self) -> Decimal | None:
        if self.equity is None or not self.margin:
            return None
        return self.equity / self.margin * 100


@dataclass(frozen=True)
class Alert:
    """A message owed to a chat, recorded with the change that caused it (the outbox)."""

    dedupe_key: str
    chat_id: int
    body: AlertBody


@dataclass(frozen=True)
class PendingAlert:
    """An outbox row claimed for delivery; a row no alert type reads (`UndecodableAlert`) is not sent."""

    id: int
    chat_id: int
    body: AlertBody | UndecodableAlert
    language: str
    attempts: int


@dataclass(frozen=True)
class AuditEntry:
    actor: str
    action: str
    subject: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SnapshotContext:
    """What judging a snapshot needs about its account, read in one go under the account's row lock."""

    account_id: int
    login: int
    server: str
    chat_id: int
    personal_limit: Decimal | None
    last_seq: int | None  # of the device that sent this snapshot: a new device starts again
    guard: GuardState | None
    has_state: bool = False  # some device of this account has reported before
