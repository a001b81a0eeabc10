"""In-memory fakes of our own ports (core/services/ports/), for the service tier.

They keep what the SQL repositories keep, with the same uniqueness rules (dedupe keys, deal tickets),
and commit or discard like a unit of work: changes live in a copy until `commit()`. The guard state is
kept as the JSON the SQL repository stores (`GuardState.to_dict`), so a state that would not survive
the round trip fails here too.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar

from core.domain.alerts import encode_alert
from core.domain.commands import CommandRequest, CommandStatus, CommandType, IssuedCommand, wire_body
from core.domain.guard.state import GuardState
from core.domain.halt import Halt, TradingHalted, halt_stops
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
from core.services.ports import GuardRef, SymbolMemory
from core.services.ports.hot import HotAccount, HotContext, HotSeed
from core.services.ports.views import CacheCounts
from tests.service.fakes_audit import FakeAudit
from tests.service.fakes_fraud import FakeFraud
from tests.service.fakes_ledger import FakeLedger
from tests.service.fakes_payments import FakePayments
from tests.service.fakes_referrals import FakeAffiliateStats, FakeReferrals

T = TypeVar("T")

JsonDict = dict[str, Any]


@dataclass
class Store:
    users: dict[int, User] = field(default_factory=dict)
    accounts: dict[int, LinkedAccount] = field(default_factory=dict)
    limits: dict[int, Decimal | None] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    states: dict[int, JsonDict] = field(default_factory=dict)
    deals: dict[tuple[int, int], Deal] = field(default_factory=dict)
    commands: dict[str, tuple[IssuedCommand, datetime, str]] = field(default_factory=dict)
    outbox: dict[str, JsonDict] = field(default_factory=dict)
    audit: list[tuple[datetime, AuditEntry]] = field(default_factory=list)
    halts: list[Halt] = field(default_factory=list)
    affiliates: dict[str, Any] = field(default_factory=dict)  # fakes_<aggregate>.py keep theirs here
    ids: Any = field(default_factory=lambda: itertools.count(1))


class FakeRepos:
    def __init__(self, store: Store) -> None:
        self.s = store


class FakeUsers(FakeRepos):
    async def upsert(self, telegram_id: int, first_name: str, username: str | None, language: str) -> User:
        found = self.s.users.get(telegram_id)
        user = (
            replace(found, first_name=first_name)
            if found
            else User(next(self.s.ids), telegram_id, first_name, language, username)
        )
        self.s.users[telegram_id] = user
        return user

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        return self.s.users.get(telegram_id)

    async def set_language(self, user_id: int, language: str) -> None:
        for key, user in self.s.users.items():
            if user.id == user_id:
                self.s.users[key] = replace(user, language=language)

    async def set_start_payload(self, user_id: int, payload: str) -> None:
        for key, user in self.s.users.items():
            if user.id == user_id:
                self.s.users[key] = replace(user, start_payload=payload)

    async def mark_blocked(self, chat_id: int, blocked: bool) -> None:
        if chat_id in self.s.users:
            self.s.users[chat_id] = replace(self.s.users[chat_id], blocked_bot=blocked)


class FakeAccounts(FakeRepos):
    async def find(self, login: int, server: str | None = None) -> list[LinkedAccount]:
        found = [
            replace(a, owner_telegram_id=await self.owner_chat_id(a.id))
            for a in self.s.accounts.values()
            if a.login == login and server in (None, a.server)
        ]
        return sorted(found, key=lambda a: (a.server, a.id))

    async def get(self, account_id: int) -> LinkedAccount | None:
        return self.s.accounts.get(account_id)

    async def lock_pair(self, login: int, server: str) -> None:
        return None  # one task at a time in the service tier

    async def mark_shared(self, login: int, server: str) -> None:
        for account in await self.find(login, server):
            self.s.accounts[account.id] = replace(self.s.accounts[account.id], shared=True)

    async def add(self, user_id: int, login: int, server: str, linked_at: datetime) -> LinkedAccount:
        account = LinkedAccount(next(self.s.ids), user_id, login, server, linked_at)
        self.s.accounts[account.id] = account
        return account

    async def of_user(self, user_id: int) -> list[LinkedAccount]:
        return [a for a in self.s.accounts.values() if a.user_id == user_id]

    async def owner_chat_id(self, account_id: int) -> int:
        user_id = self.s.accounts[account_id].user_id
        return next(u.telegram_id for u in self.s.users.values() if u.id == user_id)

    async def guard_ref(self, account_id: int) -> GuardRef:
        account = self.s.accounts[account_id]
        return GuardRef(account.login, account.server, await self.owner_chat_id(account_id), "USD")

    async def set_personal_limit(self, account_id: int, percent: Decimal | None) -> None:
        self.s.limits[account_id] = percent

    async def personal_limit(self, account_id: int) -> Decimal | None:
        return self.s.limits.get(account_id)

    async def all_with_state(self, status: str | None, limit: int) -> list[AccountView]:
        raise NotImplementedError


class FakeDevices(FakeRepos):
    async def get(self, device_id: str) -> Device | None:
        return self.s.devices.get(device_id)

    async def of_account(self, account_id: int) -> Device | None:
        working = (d for d in self.s.devices.values() if d.account_id == account_id and not d.revoked)
        return next(working, None)

    async def add(self, device_id: str, account_id: int, secret_encrypted: bytes) -> None:
        account = self.s.accounts[account_id]
        self.s.devices[device_id] = Device(
            device_id, account_id, account.login, account.server, secret_encrypted
        )

    async def revoke_of_account(self, account_id: int, now: datetime) -> None:
        for device in list(self.s.devices.values()):
            if device.account_id == account_id:
                self.s.devices[device.device_id] = replace(device, revoked=True)


class FakeStates(FakeRepos):
    async def lock_for_snapshot(self, account_id: int, device_id: str) -> SnapshotContext:
        account = self.s.accounts[account_id]
        state = self.s.states.get(account_id) or {}
        chat_id = await FakeAccounts(self.s).owner_chat_id(account_id)
        limit = self.s.limits.get(account_id)
        return SnapshotContext(
            account_id,
            account.login,
            account.server,
            chat_id,
            limit,
            state.get("last_seq") if state.get("device_id") == device_id else None,
            _guard_state(state.get("guard")),
            bool(state),
        )

    async def save_snapshot(
        self,
        account_id: int,
        device_id: str,
        snapshot: Snapshot,
        snapshot_json: JsonDict,
        guard: GuardState,
        due_at: datetime | None,
        now: datetime,
        rev: int = 0,
    ) -> None:
        state = {
            "last_seq": snapshot.seq, "device_id": device_id, "guard": guard.to_dict(), "due_at": due_at,
            "rev": rev, "snapshot": snapshot_json, "received_at": now,
        }  # fmt: skip
        self.s.states[account_id] = state

    async def guard(self, account_id: int) -> GuardState | None:
        state = self.s.states.get(account_id)
        return _guard_state(state["guard"]) if state else None

    async def lock_guard(self, account_id: int, skip_locked: bool = False) -> GuardState | None:
        return await self.guard(account_id)

    async def save_guard(
        self, account_id: int, guard: GuardState, due_at: datetime | None, rev: int | None = None
    ) -> None:
        state = self.s.states[account_id]
        rev = state.get("rev", 0) + 1 if rev is None else rev
        state |= {"guard": guard.to_dict(), "due_at": due_at, "rev": rev}

    async def rev(self, account_id: int) -> int:
        return int((self.s.states.get(account_id) or {}).get("rev", 0))

    async def hot_seed(self, account_id: int) -> HotSeed | None:
        account = self.s.accounts.get(account_id)
        if account is None:
            return None
        chat_id = await FakeAccounts(self.s).owner_chat_id(account_id)
        context = HotContext(
            account.login, account.server, chat_id, self.s.limits.get(account_id), account.shared
        )
        state = self.s.states.get(account_id)
        if not state:
            return HotSeed(context, None, 0, {}, None, None, ())
        seqs = {state["device_id"]: state["last_seq"]}
        guard = _guard_state(state["guard"])
        return HotSeed(
            context, guard, state.get("rev", 0), seqs, state.get("snapshot"), state.get("received_at"), ()
        )

    async def due_for_tick(self, now: datetime, limit: int) -> list[int]:
        due = [key for key, state in self.s.states.items() if state["due_at"] and state["due_at"] <= now]
        return sorted(due)[:limit]

    async def view(self, account_id: int) -> AccountView | None:
        account = self.s.accounts.get(account_id)
        if account is None:
            return None
        guard = (self.s.states.get(account_id) or {}).get("guard") or {}
        return AccountView(
            account.id, account.login, account.server, None, None, None, None, None, None,
            guard_status=guard.get("status"), shared=account.shared,
        )  # fmt: skip


def _guard_state(stored: JsonDict | None) -> GuardState | None:
    return GuardState.from_dict(stored) if stored else None


class FakeDeals(FakeRepos):
    async def add_new(self, account_id: int, deals: tuple[Deal, ...]) -> list[Deal]:
        new = [d for d in deals if (account_id, d.ticket) not in self.s.deals]
        self.s.deals.update({(account_id, d.ticket): d for d in new})
        return new


class FakeCommands(FakeRepos):
    async def pending(self, account_id: int, now: datetime) -> list[IssuedCommand]:
        return [
            c for c, expires, _ in self.s.commands.values()
            if c.account_id == account_id and c.status is CommandStatus.PENDING and expires > now
        ]  # fmt: skip

    async def issue(
        self, account_id: int, request: CommandRequest, now: datetime, ttl_seconds: int
    ) -> IssuedCommand | None:
        if halt_stops(request.type) and self.s.halts and self.s.halts[-1].active:
            raise TradingHalted(self.s.halts[-1])
        if any(key == request.dedupe_key for _, _, key in self.s.commands.values()):
            return None
        command_id = f"cmd_{next(self.s.ids)}"
        expires = now + timedelta(seconds=ttl_seconds)
        command = IssuedCommand(
            command_id,
            account_id,
            request.type,
            CommandStatus.PENDING,
            wire_body(command_id, request, now, expires),
            None,
            request.dedupe_key,
        )
        self.s.commands[command_id] = (command, expires, request.dedupe_key)
        return command

    async def get_for(self, command_id: str, account_id: int) -> IssuedCommand | None:
        found = self.s.commands.get(command_id)
        return found[0] if found and found[0].account_id == account_id else None

    async def record_ack(self, command_id: str, status: CommandStatus, ack: JsonDict, now: datetime) -> None:
        command, expires, key = self.s.commands[command_id]
        self.s.commands[command_id] = (replace(command, status=status, ack=ack), expires, key)

    async def with_key_prefix(self, account_id: int, prefix: str) -> list[IssuedCommand]:
        return [
            c
            for c, _, key in self.s.commands.values()
            if c.account_id == account_id and key.startswith(prefix)
        ]

    async def cancel_pending(self, account_id: int, key_prefix: str, now: datetime) -> int:
        withdrawn = [
            command_id
            for command_id, (c, _, key) in self.s.commands.items()
            if c.account_id == account_id and c.status is CommandStatus.PENDING and key.startswith(key_prefix)
        ]
        for command_id in withdrawn:
            command, expires, key = self.s.commands[command_id]
            self.s.commands[command_id] = (replace(command, status=CommandStatus.CANCELLED), expires, key)
        return len(withdrawn)

    async def pending_count(self, account_id: int, now: datetime) -> int:
        return len(await self.pending(account_id, now))


class FakeOutbox(FakeRepos):
    """Rows as the outbox table holds them (kind, version, JSON payload as `params`), and the typed
    alert that was added as `alert` (for a digest: the last one)."""

    async def add(self, alert: Alert) -> bool:
        if alert.dedupe_key in self.s.outbox:
            return False
        stored = encode_alert(alert.body)
        self.s.outbox[alert.dedupe_key] = {
            "chat_id": alert.chat_id,
            "kind": stored.kind,
            "version": stored.version,
            "params": stored.payload,
            "alert": alert.body,
        }
        return True

    async def add_to_digest(self, alert: Alert, deliver_at: datetime) -> bool:
        stored = encode_alert(alert.body)
        row = self.s.outbox.setdefault(
            alert.dedupe_key,
            {
                "chat_id": alert.chat_id,
                "kind": stored.kind,
                "version": stored.version,
                "params": {"items": []},
            },
        )
        row["params"]["items"] += stored.payload["items"]  # type: ignore[operator]
        row["alert"] = alert.body
        return True

    async def claim_due(self, now: datetime, limit: int, lease_seconds: int) -> list[PendingAlert]:
        raise NotImplementedError

    async def mark_sent(self, alert_id: int, now: datetime) -> None:
        raise NotImplementedError

    async def mark_failed(self, alert_id: int, error: str, retry_at: datetime | None) -> None:
        raise NotImplementedError

    async def counts(self) -> dict[str, int]:
        return {"pending": len(self.s.outbox)}


class FakeHalts(FakeRepos):
    async def current(self) -> Halt | None:
        return self.s.halts[-1] if self.s.halts and self.s.halts[-1].active else None

    async def lock(self) -> Halt | None:
        return await self.current()

    async def start(self, by: str, note: str, now: datetime) -> Halt:
        self.s.halts.append(Halt(len(self.s.halts) + 1, now, by, note))
        return self.s.halts[-1]

    async def end(self, halt: Halt, by: str, now: datetime) -> Halt:
        self.s.halts[halt.number - 1] = replace(halt, resumed_at=now, resumed_by=by)
        return self.s.halts[halt.number - 1]

    async def withdraw_pending(self, types: Iterable[CommandType], now: datetime) -> list[str]:
        withdrawn = [
            command_id for command_id, (c, expires, _) in self.s.commands.items()
            if c.type in set(types) and c.status is CommandStatus.PENDING and expires > now
        ]  # fmt: skip
        for command_id in withdrawn:
            command, expires, key = self.s.commands[command_id]
            self.s.commands[command_id] = (replace(command, status=CommandStatus.CANCELLED), expires, key)
        return sorted(withdrawn)

    async def trader_chats(self) -> list[int]:
        owners = {a.user_id for a in self.s.accounts.values()}
        return sorted(u.telegram_id for u in self.s.users.values() if u.id in owners and not u.blocked_bot)


class FakeUnitOfWork:
    """Works on a copy of the store; `commit()` publishes it, leaving without commit discards it."""

    def __init__(self, shared: list[Store], hot: FakeHotState | None = None) -> None:
        self.shared = shared
        self.hot = hot

    async def __aenter__(self) -> Self:
        ids = self.shared[0].ids
        self.work = copy.deepcopy(replace(self.shared[0], ids=None))
        self.work.ids = ids
        self.users = FakeUsers(self.work)
        self.accounts = FakeAccounts(self.work)
        self.devices = FakeDevices(self.work)
        self.states = FakeStates(self.work)
        self.deals = FakeDeals(self.work)
        self.commands = FakeCommands(self.work)
        self.outbox = FakeOutbox(self.work)
        self.audit = FakeAudit(self.work)
        self.halt = FakeHalts(self.work)
        self.referrals = FakeReferrals(self.work)
        self.payments = FakePayments(self.work)
        self.ledger = FakeLedger(self.work)
        self.fraud = FakeFraud(self.work)
        self.affiliate_stats = FakeAffiliateStats(self.work)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        """Like db.uow's after-commit news, coarser: every account's hot state is marked for refresh."""
        self.shared[0] = self.work
        if self.hot is not None:
            await self.hot.refresh(set(self.work.accounts))


class FakeHotState:
    """The hot state's compare-and-set semantics (db.hot_state), in memory."""

    def __init__(self) -> None:
        self.accounts: dict[int, HotAccount] = {}
        self.held: set[int] = set()

    async def read(self, account_id: int) -> tuple[HotAccount | None, bool]:
        return self.accounts.get(account_id), account_id in self.held

    async def write(self, account_id: int, account: HotAccount, expected: int | None) -> bool:
        current = self.accounts.get(account_id)
        if account_id in self.held or (None if current is None else current.version) != expected:
            return False
        self.accounts[account_id] = replace(account, version=(expected or 0) + 1, refresh=False)
        return True

    async def put_newer(self, account_id: int, account: HotAccount) -> None:
        current = self.accounts.get(account_id)
        if current is None or current.rev < account.rev:
            version = 1 if current is None else current.version + 1
            refresh = current is not None and current.refresh
            self.accounts[account_id] = replace(account, version=version, refresh=refresh)

    async def hold(self, account_id: int, seconds: float) -> None:
        self.held.add(account_id)
        self._mark(account_id)

    async def refresh(self, account_ids: set[int]) -> None:
        for account_id in account_ids:
            self.held.discard(account_id)
            self._mark(account_id)

    def _mark(self, account_id: int) -> None:
        current = self.accounts.get(account_id)
        if current is not None:
            self.accounts[account_id] = replace(current, version=current.version + 1, refresh=True)

    async def drop_all(self) -> None:
        self.accounts.clear()


class FakeMarketMemory:
    def __init__(self) -> None:
        self.memories: dict[tuple[str, str], SymbolMemory] = {}

    async def update(
        self,
        server: str,
        symbols: list[str],
        change: Callable[[dict[str, SymbolMemory]], tuple[dict[str, SymbolMemory], T]],
    ) -> T:
        stored = {s: self.memories[(server, s)] for s in symbols if (server, s) in self.memories}
        changed, result = change(stored)
        self.memories |= {(server, symbol): memory for symbol, memory in changed.items()}
        return result


class NullCache:
    def __init__(self) -> None:
        self.counts = CacheCounts()

    async def user_accounts(
        self,
        user_id: int,
        ttl_seconds: int,
        load: Callable[[], Awaitable[list[LinkedAccount]]],
        quiet: bool = False,
    ) -> list[LinkedAccount]:
        return await load()

    async def invalidate_user(self, user_id: int) -> None:
        return None

    async def account_view(
        self, account_id: int, ttl_seconds: int, load: Callable[[], Awaitable[AccountView | None]]
    ) -> AccountView | None:
        return await load()

    async def invalidate_account(self, account_id: int) -> None:
        return None


class MemoryNonces:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    async def remember(self, device_id: str, nonce: str, ttl_seconds: int) -> bool:
        if (device_id, nonce) in self.seen:
            return False
        self.seen.add((device_id, nonce))
        return True


class Recorder:
    """A doorbell that counts its rings."""

    def __init__(self) -> None:
        self.rings = 0

    async def ring(self) -> None:
        self.rings += 1


__all__ = [
    "FakeHotState",
    "FakeMarketMemory",
    "FakeUnitOfWork",
    "MemoryNonces",
    "NullCache",
    "Recorder",
    "Store",
    "TracebackType",
]
