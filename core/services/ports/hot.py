"""The hot state: what the snapshot path needs per account, kept in Redis so that a steady snapshot
touches no Postgres (core.services.bridge). Postgres stays the record; this is rebuilt from it.

The rule, in one place:
- Postgres is the record of every durable transition (events, commands, alerts, deals, admin actions,
  acks, ticks). After such a commit the account's hot state is marked for refresh, and the next reader
  reloads the durable parts (context, guard, pending commands) from Postgres.
- A steady snapshot changes only the hot state (compare-and-set on its version); its guard may run
  ahead of Postgres by what steady snapshots move (peak equity, the day's opening balance, the last
  equity and seq), and the flusher (core.services.flusher) writes that behind within PEAK_FLUSH_SECONDS.
- `rev` orders guard states across both stores: every write of a guard raises it, Postgres keeps the
  rev of the state it holds, and whichever of the two has the higher rev holds the newer guard.
- A durable writer first `hold`s the account: steady writers then refuse to write and queue on the
  account's row lock instead, so nothing a steady snapshot did is lost under a durable transition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol, TypeVar

from core.domain.codec import decode_time
from core.domain.guard.state import GuardState
from core.services.ports.market import SymbolMemory
from core.services.ports.values import JsonDict

T = TypeVar("T")
# How many deal tickets an account's hot state remembers: a client may resend deals (BRIDGE.md), and a
# deal the hot state knows is not new. One snapshot carries at most 1,000.
KNOWN_DEALS = 2000


@dataclass(frozen=True)
class HotContext:
    """What judging and showing a snapshot needs about its account (from Postgres, on a load)."""

    login: int
    server: str
    chat_id: int
    personal_limit: Decimal | None
    shared: bool = False


@dataclass(frozen=True)
class HotAccount:
    """One account's hot state. `version` is the compare-and-set counter (every write raises it);
    `refresh` says the durable parts must be read from Postgres again before the next judgement."""

    context: HotContext
    guard: GuardState | None = None
    rev: int = 0
    seqs: dict[str, int] = field(default_factory=dict)
    deal_tickets: tuple[int, ...] = ()
    snapshot: JsonDict | None = None
    received_at: datetime | None = None
    commands: tuple[JsonDict, ...] = ()  # the pending commands' wire bodies, oldest first
    version: int = 0
    refresh: bool = False

    @property
    def has_state(self) -> bool:
        return self.snapshot is not None or self.guard is not None

    def pending(self, now: datetime) -> list[JsonDict]:
        """The pending commands an answer carries now (an expired one is no longer carried)."""
        return [body for body in self.commands if decode_time(body["expires_at"]) > now]

    def knows_deals(self, tickets: tuple[int, ...]) -> bool:
        return set(tickets) <= set(self.deal_tickets)

    def with_deals(self, tickets: tuple[int, ...]) -> HotAccount:
        known = dict.fromkeys((*self.deal_tickets, *tickets))
        return replace(self, deal_tickets=tuple(known)[-KNOWN_DEALS:])


@dataclass(frozen=True)
class HotSeed:
    """What Postgres holds for an account's hot state (None context: no such account)."""

    context: HotContext
    guard: GuardState | None
    rev: int
    seqs: dict[str, int]
    snapshot: JsonDict | None
    received_at: datetime | None
    commands: tuple[JsonDict, ...]


class HotState(Protocol):
    async def read(self, account_id: int) -> tuple[HotAccount | None, bool]:
        """The account's hot state (None when absent) and whether a durable writer holds it."""
        ...

    async def write(self, account_id: int, account: HotAccount, expected: int | None) -> bool:
        """Compare-and-set: store `account` (its version raised by one) only if the stored version is
        still `expected` (None: only if absent) and nobody holds the account."""
        ...

    async def put_newer(self, account_id: int, account: HotAccount) -> None:
        """Store `account` after a durable commit unless a newer rev is stored; a pending refresh
        stays pending."""
        ...

    async def hold(self, account_id: int, seconds: float) -> None:
        """Steady writers refuse for up to `seconds` (or until `refresh`); marks a refresh too."""
        ...

    async def refresh(self, account_ids: set[int]) -> None:
        """Postgres changed these accounts: mark their hot state for refresh and release any hold."""
        ...

    async def drop_all(self) -> None: ...


class MarketMemory(Protocol):
    async def update(
        self,
        server: str,
        symbols: list[str],
        change: Callable[[dict[str, SymbolMemory]], tuple[dict[str, SymbolMemory], T]],
    ) -> T:
        """Read these symbols' memories, let `change` judge them (pure), store what it changed; retried
        when another snapshot changed one of them meanwhile."""
        ...


@dataclass(frozen=True)
class StateFlush:
    """One account's account_state row as a steady snapshot left it (written behind)."""

    account_id: int
    rev: int
    device_id: str
    seq: int
    snapshot_time: datetime
    received_at: datetime
    currency: str
    balance: Decimal
    equity: Decimal
    margin: Decimal
    snapshot: JsonDict
    guard: GuardState
    due_at: datetime | None


@dataclass(frozen=True)
class EquityPoint:
    account_id: int
    minute: datetime
    equity: Decimal
    balance: Decimal


class StateFlushWriter(Protocol):
    async def write(self, states: list[StateFlush], points: list[EquityPoint]) -> None:
        """One transaction: each state only where it is newer (rev) than what Postgres holds; each
        point replaces the account's point of that minute."""
        ...
