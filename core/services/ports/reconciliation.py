"""The reconciliation log (one row per divergence id) and each account's latest pass, plus what a pass
reads that no other port gives: the account's stored deals of a window and the closes our acks settled."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.domain.reconciliation import Divergence, SettledClose
from core.domain.snapshot import Deal


@dataclass(frozen=True)
class StoredDivergence:
    divergence: Divergence
    first_seen_at: datetime


@dataclass(frozen=True)
class Recorded:
    """What storing one pass's divergences changed: `new` ones (stored by this pass: alert them),
    `escalated` ones (stored before, critical only now: tell the admins), `resolved` ids (no longer
    found) and whether any row changed at all (`changed`: the cached view is stale)."""

    new: tuple[Divergence, ...] = ()
    escalated: tuple[Divergence, ...] = ()
    resolved: tuple[str, ...] = ()
    changed: bool = False

    @property
    def alerted(self) -> bool:
        """Alerts were queued: the relay's doorbell should ring after the commit."""
        return bool(self.new or self.escalated)


@dataclass(frozen=True)
class ReconciliationPass:
    """An account's latest pass. `due_at`: when time alone may change its verdict (a grace or a fill
    window ends); `positions_digest`: the positions it judged, so the sweep sees when they change."""

    account_id: int
    reconciled_at: datetime
    due_at: datetime | None
    positions_digest: str
    open_count: int
    critical_count: int


class ReconciliationRepository(Protocol):
    async def lock(self, account_id: int) -> None:
        """Serialise passes of one account until the unit of work ends."""
        ...

    async def record(self, account_id: int, found: Sequence[Divergence], now: datetime) -> Recorded:
        """Store each divergence once by its id (INSERT … ON CONFLICT DO NOTHING: of two concurrent
        passes, one inserts it), update the evidence of those stored before, reopen one found again,
        and resolve the account's open ones not in `found`."""
        ...

    async def open_divergences(self, account_id: int) -> list[StoredDivergence]: ...
    async def save_pass(self, summary: ReconciliationPass) -> None: ...
    async def last_pass(self, account_id: int) -> ReconciliationPass | None: ...
    async def candidates(self, now: datetime, limit: int) -> list[int]:
        """Accounts a sweep must judge now: a pass's `due_at` has come, or an expected trade was queued
        after the account's latest pass (or it has none)."""
        ...

    async def digests(self) -> dict[int, str]:
        """Every linked account → the positions digest of its latest pass ("" without one)."""
        ...

    async def deals(self, account_id: int, since: datetime, positions: Iterable[int]) -> list[Deal]:
        """The account's stored trading deals from `since` on, and every deal of `positions`."""
        ...

    async def settled_closes(self, account_id: int) -> list[SettledClose]:
        """What our acknowledged close_all / close_position commands closed (their acks' results)."""
        ...

    async def watched_since(self, account_id: int) -> datetime | None:
        """When the account was linked (None: unknown)."""
        ...

    async def closing(self, account_id: int, now: datetime) -> bool:
        """A close command of ours is pending (its closes may show before its ack)."""
        ...
