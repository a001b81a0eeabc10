"""What the services need from the outside world. db/ implements these; tests may fake them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from core.domain.commands import CommandRequest, CommandStatus, CommandType, IssuedCommand
from core.domain.halt import Halt
from core.domain.models import (
    AccountView,
    Alert,
    AuditEntry,
    Device,
    LinkedAccount,
    PendingAlert,
    SnapshotContext,
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
    async def find(self, login: int, server: str | None = None) -> list[LinkedAccount]:
        """Every link of `login` (on `server` when given), by server then oldest first."""
        ...

    async def get(self, account_id: int) -> LinkedAccount | None: ...
    async def lock_pair(self, login: int, server: str) -> None:
        """Serialise links of one login@server until the unit of work ends."""
        ...

    async def mark_shared(self, login: int, server: str) -> None: ...
    async def add(self, user_id: int, login: int, server: str) -> LinkedAccount: ...
    async def of_user(self, user_id: int) -> list[LinkedAccount]: ...
    async def owner_chat_id(self, account_id: int) -> int: ...
    async def guard_ref(self, account_id: int) -> tuple[int, str, int, str | None]: ...
    async def set_personal_limit(self, account_id: int, percent: Decimal | None) -> None: ...
    async def personal_limit(self, account_id: int) -> Decimal | None: ...
    async def all_with_state(self, status: str | None, limit: int) -> list[AccountView]: ...


class DeviceRepository(Protocol):
    async def get(self, device_id: str) -> Device | None: ...
    async def of_account(self, account_id: int) -> Device | None: ...
    async def add(self, device_id: str, account_id: int, secret_encrypted: bytes) -> None: ...
    async def revoke_of_account(self, account_id: int, now: datetime) -> None: ...


class AccountStateRepository(Protocol):
    async def lock_for_snapshot(self, account_id: int, device_id: str) -> SnapshotContext:
        """The account row locked until the unit of work ends, with what judging a snapshot needs
        (`last_seq` is the sending device's own)."""
        ...

    async def save_snapshot(
        self,
        account_id: int,
        device_id: str,
        snapshot: Snapshot,
        snapshot_json: JsonDict,
        guard: JsonDict,
        due_at: datetime | None,
        now: datetime,
    ) -> None: ...
    async def guard(self, account_id: int) -> JsonDict | None: ...
    async def lock_guard(self, account_id: int, skip_locked: bool = False) -> JsonDict | None: ...
    async def save_guard(self, account_id: int, guard: JsonDict, due_at: datetime | None) -> None: ...
    async def due_for_tick(self, now: datetime, limit: int) -> list[int]: ...
    async def view(self, account_id: int) -> AccountView | None: ...


class DealRepository(Protocol):
    async def add_new(self, account_id: int, deals: tuple[Deal, ...]) -> list[Deal]:
        """Store deals not seen before (by ticket); return only those that were new."""
        ...


class CommandRepository(Protocol):
    async def pending(self, account_id: int, now: datetime) -> list[JsonDict]: ...
    async def issue(
        self, account_id: int, request: CommandRequest, now: datetime, ttl_seconds: int
    ) -> IssuedCommand | None:
        """None when the dedupe key was issued before; raises core.domain.halt.TradingHalted (nothing
        issued) for a type a halt stops while halted."""
        ...

    async def get_for(self, command_id: str, account_id: int) -> IssuedCommand | None: ...
    async def record_ack(
        self, command_id: str, status: CommandStatus, ack: JsonDict, now: datetime
    ) -> None: ...
    async def with_key_prefix(self, account_id: int, prefix: str) -> list[IssuedCommand]: ...
    async def cancel_pending(self, account_id: int, key_prefix: str, now: datetime) -> int:
        """Withdraw the pending commands whose dedupe key starts with `key_prefix`: no answer carries
        them again and an ack of one changes nothing. Returns how many were withdrawn."""
        ...

    async def pending_count(self, account_id: int, now: datetime) -> int: ...


class HaltRepository(Protocol):
    async def current(self) -> Halt | None: ...
    async def lock(self) -> Halt | None:
        """The halt in force; no command a halt stops is issued until the unit of work ends."""
        ...

    async def start(self, by: str, note: str, now: datetime) -> Halt: ...
    async def end(self, halt: Halt, by: str, now: datetime) -> Halt: ...
    async def withdraw_pending(self, types: Iterable[CommandType], now: datetime) -> list[str]: ...
    async def trader_chats(self) -> list[int]: ...


class OutboxRepository(Protocol):
    async def add(self, alert: Alert) -> bool:
        """Record an alert; False when its dedupe key was already recorded (nothing added)."""
        ...

    async def add_to_digest(self, alert: Alert, deliver_at: datetime) -> bool:
        """Append `alert.params["items"]` to the pending digest with this key, or start it; False (and
        nothing added) when that digest has already been claimed for sending."""
        ...

    async def claim_due(self, now: datetime, limit: int, lease_seconds: int) -> list[PendingAlert]: ...
    async def mark_sent(self, alert_id: int, now: datetime) -> None: ...
    async def mark_failed(self, alert_id: int, error: str, retry_at: datetime | None) -> None: ...
    async def counts(self) -> dict[str, int]: ...


class AuditRepository(Protocol):
    async def append(self, entry: AuditEntry, now: datetime) -> None: ...
    async def append_many(self, entries: list[AuditEntry], now: datetime) -> None: ...


class MarketRepository(Protocol):
    async def lock(self, server: str, symbols: list[str]) -> dict[str, JsonDict]:
        """The stored market states of these symbols on `server`, locked until the unit of work ends."""
        ...

    async def save(self, server: str, states: dict[str, JsonDict], now: datetime) -> None: ...


class UnitOfWork(Protocol):
    users: UserRepository
    accounts: AccountRepository
    devices: DeviceRepository
    states: AccountStateRepository
    deals: DealRepository
    commands: CommandRepository
    outbox: OutboxRepository
    audit: AuditRepository
    market: MarketRepository

    halt: HaltRepository

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
