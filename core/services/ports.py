"""What the services need from the outside world. db/ implements these; tests may fake them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from core.domain.models import (
    AccountView,
    Alert,
    AuditEntry,
    Device,
    LinkedAccount,
    PendingAlert,
    User,
)
from core.domain.snapshot import Deal, Snapshot

Clock = Callable[[], datetime]
JsonDict = dict[str, Any]


class UserRepository(Protocol):
    async def upsert(
        self, telegram_id: int, first_name: str, username: str | None, language: str
    ) -> User: ...
    async def by_telegram_id(self, telegram_id: int) -> User | None: ...
    async def set_language(self, user_id: int, language: str) -> None: ...
    async def set_start_payload(self, user_id: int, payload: str) -> None: ...
    async def mark_blocked(self, chat_id: int, blocked: bool) -> None: ...


class AccountRepository(Protocol):
    async def by_login(self, login: int) -> LinkedAccount | None: ...
    async def add(self, user_id: int, login: int, server: str) -> LinkedAccount: ...
    async def of_user(self, user_id: int) -> list[LinkedAccount]: ...
    async def owner_chat_id(self, account_id: int) -> int: ...


class DeviceRepository(Protocol):
    async def get(self, device_id: str) -> Device | None: ...
    async def of_account(self, account_id: int) -> Device | None: ...
    async def add(self, device_id: str, account_id: int, secret_encrypted: bytes) -> None: ...
    async def rotate(self, device_id: str, secret_encrypted: bytes, now: datetime) -> None: ...


class AccountStateRepository(Protocol):
    async def lock_last_seq(self, account_id: int) -> int | None:
        """The last accepted seq, holding a row lock until the unit of work ends (None: no snapshot yet)."""
        ...

    async def save_snapshot(
        self,
        account_id: int,
        snapshot: Snapshot,
        snapshot_json: JsonDict,
        peak_equity: Decimal,
        now: datetime,
    ) -> None: ...
    async def peak_equity(self, account_id: int) -> Decimal | None: ...
    async def view(self, account_id: int) -> AccountView | None: ...


class DealRepository(Protocol):
    async def add_new(self, account_id: int, deals: tuple[Deal, ...]) -> list[Deal]:
        """Store deals not seen before (by ticket); return only those that were new."""
        ...


class CommandRepository(Protocol):
    async def pending(self, account_id: int, now: datetime) -> list[JsonDict]: ...
    async def exists_for(self, command_id: str, account_id: int) -> bool: ...


class OutboxRepository(Protocol):
    async def add(self, alert: Alert) -> bool:
        """Record an alert; False when its dedupe key was already recorded (nothing added)."""
        ...

    async def claim_due(self, now: datetime, limit: int, lease_seconds: int) -> list[PendingAlert]: ...
    async def mark_sent(self, alert_id: int, now: datetime) -> None: ...
    async def mark_failed(self, alert_id: int, error: str, retry_at: datetime | None) -> None: ...
    async def counts(self) -> dict[str, int]: ...


class AuditRepository(Protocol):
    async def append(self, entry: AuditEntry, now: datetime) -> None: ...
    async def recent(self, subject: str, limit: int) -> list[JsonDict]: ...


class UnitOfWork(Protocol):
    users: UserRepository
    accounts: AccountRepository
    devices: DeviceRepository
    states: AccountStateRepository
    deals: DealRepository
    commands: CommandRepository
    outbox: OutboxRepository
    audit: AuditRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class NonceStore(Protocol):
    async def remember(self, device_id: str, nonce: str, ttl_seconds: int) -> bool:
        """True when the nonce is new for this device (and is now remembered)."""
        ...


class ViewCache(Protocol):
    async def account_view(
        self, account_id: int, ttl_seconds: int, load: Callable[[], Awaitable[JsonDict | None]]
    ) -> JsonDict | None: ...
    async def invalidate_account(self, account_id: int) -> None: ...


class LatestSnapshots(Protocol):
    async def put(self, account_id: int, snapshot_json: JsonDict) -> None: ...


class Doorbell(Protocol):
    """Wakes the alert relay early; the outbox table, not this, is the record."""

    async def ring(self) -> None: ...
