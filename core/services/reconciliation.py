"""Reconciliation live (issue 10): what the broker holds against what the signals made us expect.

`reconcile_account` runs one pass of one account inside the caller's unit of work (the bridge's durable
snapshot transaction, or the sweep's own): it reads the expected trades, the positions (given, else the
hot state, else the latest stored snapshot), the account's stored deals of the window and the closes our
acks settled; runs the pure engine (core.domain.reconciliation); stores each divergence once by its
deterministic id, resolves those no longer found, and queues the alerts in the same transaction (the
trader's once per id; critical ones to the admins too). The caller commits.

`run_once` is the worker's sweep: the accounts whose verdict time alone may change (a grace or fill
window ends), with an expected trade queued since their last pass, or whose hot positions differ from
those their last pass judged. The reads (`/reconcile`, the operator API) go through the view cache.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.domain import alerts as a
from core.domain.account_key import AccountKey
from core.domain.alerts.payload import from_json
from core.domain.codec import to_json
from core.domain.models import Alert, LinkedAccount, User
from core.domain.reconciliation import (
    ClosedHow,
    Divergence,
    ReconciliationConfig,
    ReconciliationInputError,
    ReconciliationSummary,
    reconcile,
    summarize,
)
from core.domain.signals import ExpectedTrade, signal_id_from_comment
from core.domain.snapshot import Deal, Position
from core.services.health import Health, HealthBoard, best_effort
from core.services.ports import Clock, Doorbell, UnitOfWork, UnitOfWorkFactory, ViewCache
from core.services.ports.hot import HotAccount
from core.services.ports.reconciliation import ReconciliationPass, Recorded, StoredDivergence
from core.services.queries import AccountQueries

log = logging.getLogger(__name__)
CACHE_KIND = "reconciliation"


@dataclass(frozen=True)
class ReconciliationPolicy:
    """The engine's settings; `window`: how far back closed trades and expected trades are judged (a
    trade still open is judged however old); who hears of critical divergences."""

    config: ReconciliationConfig
    window: timedelta = timedelta(hours=24)
    admin_chat_ids: tuple[int, ...] = ()
    cache_ttl_seconds: int = 5


@dataclass(frozen=True)
class AccountReconciliation:
    """An account's latest pass (None: never reconciled) and its open divergences, oldest first."""

    account_id: int
    login: int
    server: str
    reconciled_at: datetime | None
    open: tuple[StoredDivergence, ...]

    @property
    def summary(self) -> ReconciliationSummary:
        return summarize(stored.divergence for stored in self.open)


def positions_digest(positions: Iterable[Position]) -> str:
    """What a pass judged of the positions (""  for none): the sweep re-judges when it changes."""
    lines = sorted(f"{p.ticket}|{p.symbol}|{p.side.value}|{p.volume}|{p.sl}|{p.tp}" for p in positions)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest() if lines else ""


def positions_from_json(records: Iterable[Any]) -> tuple[Position, ...]:
    """Positions as a stored snapshot holds them (core.domain.snapshot.snapshot_to_json)."""
    return tuple(from_json(Position, record) for record in records)


class ReconciliationService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        queries: AccountQueries,
        cache: ViewCache,
        doorbell: Doorbell,
        clock: Clock,
        policy: ReconciliationPolicy,
        health: HealthBoard | None = None,
    ) -> None:
        self.uow = uow
        self.queries = queries
        self.cache = cache
        self.doorbell = doorbell
        self.clock = clock
        self.policy = policy
        self.board = health or HealthBoard()
        self.failing: set[int] = set()

    # --- one pass ------------------------------------------------------------------------------------

    async def reconcile_account(
        self,
        uow: UnitOfWork,
        account_id: int,
        now: datetime,
        positions: Sequence[Position] | None = None,
        deals: Sequence[Deal] | None = None,
    ) -> Recorded:
        """One pass inside `uow` (not committed here). `deals`: any not stored yet (the stored ones of the
        window are always read). Inputs the engine refuses are logged and judged no further."""
        await uow.reconciliation.lock(account_id)
        if positions is None:
            positions = await self._positions(uow, account_id)
        since = now - self.policy.window
        expected = _relevant(await uow.signals.expected(account_id), positions, since)
        tickets = {p.ticket for p in positions} | {e.ticket for e in expected if e.ticket is not None}
        known = await uow.reconciliation.deals(account_id, since, tickets)
        closes = await uow.reconciliation.settled_closes(account_id)
        config = self.policy.config
        try:
            since_linked = await uow.reconciliation.watched_since(account_id)
            every_deal = (*known, *(deals or ()))
            found = reconcile(account_id, expected, positions, every_deal, closes, now, config, since_linked)
        except ReconciliationInputError as error:
            log.warning("reconciliation of account %s refused its inputs: %s", account_id, error)
            return Recorded()
        due = _due(now, config, expected, positions, known)
        if await uow.reconciliation.closing(account_id, now):  # an EA close may show before its ack
            found = tuple(one for one in found if one.evidence.how is not ClosedHow.EXPERT)
            due = min(due or now + config.grace, now + config.grace)
        recorded = await uow.reconciliation.record(account_id, found, now)
        await self._alert(uow, account_id, recorded)
        critical = sum(1 for one in found if one.critical)
        summary = ReconciliationPass(account_id, now, due, positions_digest(positions), len(found), critical)
        await uow.reconciliation.save_pass(summary)
        return recorded

    async def _positions(self, uow: UnitOfWork, account_id: int) -> tuple[Position, ...]:
        hot = await self.hot_positions(account_id)
        if hot is not None:
            return hot
        view = await uow.states.view(account_id)
        return positions_from_json(view.positions) if view is not None else ()

    async def hot_positions(self, account_id: int) -> tuple[Position, ...] | None:
        """The latest snapshot's positions from the hot state (its snapshot is current even while its
        durable parts wait for a refresh); None when Redis has none or cannot answer."""
        hot = self.queries.hot
        if hot is None:
            return None
        missing: tuple[HotAccount | None, bool] = (None, False)
        account, _ = await best_effort(self.hot_health, lambda: hot.read(account_id), missing)
        if account is None or account.snapshot is None:
            return None
        return positions_from_json(account.snapshot.get("positions", ()))

    async def _alert(self, uow: UnitOfWork, account_id: int, recorded: Recorded) -> None:
        if not recorded.alerted:
            return
        ref = await uow.accounts.guard_ref(account_id)
        fields = a.AccountFields(login=ref.login, server=ref.server, currency=ref.currency or "")
        for one in recorded.new:
            found = a.DivergenceFound(**fields, **_about(one))
            await uow.outbox.add(Alert(f"divergence:{one.id}", ref.chat_id, found))
        for one in (*recorded.new, *recorded.escalated):
            if one.critical:
                alert = a.DivergenceCritical(**fields, **_about(one), owner_telegram_id=ref.chat_id)
                for admin in self.policy.admin_chat_ids:
                    await uow.outbox.add(Alert(f"divergence:{one.id}:admin:{admin}", admin, alert))

    # --- the sweep -----------------------------------------------------------------------------------

    @property
    def cache_health(self) -> Health:
        return self.board.track("reconcile-sweep-cache")

    @property
    def hot_health(self) -> Health:
        return self.board.track("reconcile-hot-reads")

    async def run_once(self, limit: int = 1000) -> int:
        """One sweep; an account whose pass fails is skipped (logged once until it recovers). An outage
        fails the first query, which raises: the worker's loop backs off."""
        now = self.clock()
        async with self.uow() as uow:
            due = set(await uow.reconciliation.candidates(now, limit))
            digests = await uow.reconciliation.digests()
        hot_positions: dict[int, tuple[Position, ...]] = {}
        for account_id, digest in sorted(digests.items()):
            positions = await self.hot_positions(account_id)
            if positions is None:
                continue
            hot_positions[account_id] = positions
            if positions_digest(positions) != digest:
                due.add(account_id)
        for account_id in sorted(due):
            await self.pass_alone(account_id, now, hot_positions.get(account_id))
        return len(due)

    async def pass_alone(self, account_id: int, now: datetime, positions: Sequence[Position] | None) -> None:
        """One account's pass in its own transaction (the sweep's, and the bridge's after a snapshot
        with new deals has committed); a failure is logged once per account and left to the next sweep."""
        try:
            async with self.uow() as uow:
                recorded = await self.reconcile_account(uow, account_id, now, positions)
                await uow.commit()
        except Exception as error:
            if account_id not in self.failing:
                self.failing.add(account_id)
                log.error("reconciliation of account %s failed: %s; the sweep goes on", account_id, error)
            return
        if account_id in self.failing:
            self.failing.discard(account_id)
            log.info("reconciliation of account %s works again", account_id)
        await self.after_commit(account_id, recorded)

    async def after_commit(self, account_id: int, recorded: Recorded) -> None:
        """The cached reconciliation view is dropped when divergences changed; new alerts ring the relay."""
        if recorded.changed:
            await best_effort(self.cache_health, lambda: self.cache.invalidate_account(account_id), None)
        if recorded.alerted:
            await self.doorbell.ring()

    # --- reads ---------------------------------------------------------------------------------------

    async def of_user(self, user: User, key: AccountKey | None = None) -> list[AccountReconciliation]:
        """The caller's own accounts (all, or those `key` names): nobody sees another's."""
        accounts = await self.queries.accounts_of(user)
        if key is not None:
            accounts = [x for x in accounts if x.login == key.login and key.server in (None, x.server)]
        return [await self.view(account) for account in accounts]

    async def named(self, key: AccountKey, owner_telegram_id: int | None = None) -> AccountReconciliation:
        """For the operator API: `<login>[@<server>]`, the same ambiguity rule as status and positions."""
        return await self.view(await self.queries.link_named(key, owner_telegram_id))

    async def view(self, account: LinkedAccount) -> AccountReconciliation:
        async def load() -> dict[str, Any]:
            encoded = to_json(await self._load(account))
            assert isinstance(encoded, dict)
            return encoded

        ttl = self.policy.cache_ttl_seconds
        if ttl <= 0:
            return await self._load(account)
        cached = await self.cache.account_json(account.id, CACHE_KIND, ttl, load)
        return from_json(AccountReconciliation, cached) if cached is not None else await self._load(account)

    async def _load(self, account: LinkedAccount) -> AccountReconciliation:
        async with self.uow() as uow:
            last = await uow.reconciliation.last_pass(account.id)
            found = await uow.reconciliation.open_divergences(account.id)
        at = last.reconciled_at if last is not None else None
        return AccountReconciliation(account.id, account.login, account.server, at, tuple(found))


def _about(one: Divergence) -> dict[str, Any]:
    return {
        "divergence_id": one.id,
        "kind": one.kind,
        "severity": one.severity,
        "evidence": one.evidence,
        "signal_id": one.signal_id,
        "ticket": one.ticket,
    }


def _relevant(
    expected: Iterable[ExpectedTrade], positions: Sequence[Position], since: datetime
) -> list[ExpectedTrade]:
    """Expected trades of the window, and older ones whose position is still open (by ticket or tag)."""
    tickets = {p.ticket for p in positions}
    tags = {signal_id_from_comment(p.comment) for p in positions}
    return [e for e in expected if e.queued_at >= since or e.ticket in tickets or e.signal_id in tags]


def _due(
    now: datetime,
    config: ReconciliationConfig,
    expected: Iterable[ExpectedTrade],
    positions: Iterable[Position],
    deals: Iterable[Deal],
) -> datetime | None:
    """When time alone may change this verdict: a trade's fill window ends, a position or a fill leaves
    its grace window. None: only new inputs can."""
    moments = [e.queued_at + config.fill_window + config.grace for e in expected if e.ticket is None]
    moments += [p.open_time + config.grace for p in positions]
    moments += [d.time + config.grace for d in deals]
    later = [moment for moment in moments if moment > now]
    return min(later) if later else None
