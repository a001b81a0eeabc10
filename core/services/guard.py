"""The guard around every account: feeds the pure state machine with snapshots, acks, admin actions and
the periodic pass, and hands its events to GuardEffects (core.services.guard_effects), all in the
caller's unit of work (one transaction with the state change).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from core.domain import guard as g
from core.domain.deals import distinct_deals
from core.domain.guard.day import balance_deals
from core.domain.models import SnapshotContext
from core.domain.snapshot import Deal, Snapshot
from core.services.guard_effects import AccountRef, GuardEffects, GuardPolicy
from core.services.health import Health, HealthBoard, best_effort
from core.services.hot_accounts import newest_guard
from core.services.ports import Clock, UnitOfWork, UnitOfWorkFactory, ViewCache
from core.services.ports.hot import HotState

__all__ = ["AccountRef", "GuardEffects", "GuardMonitor", "GuardPolicy", "GuardService", "observation"]

log = logging.getLogger(__name__)
Locked = tuple[g.GuardState, int | None]  # the guard to change, and the rev to store it at
ADMIN_ACTIONS: dict[str, Callable[[g.GuardState, datetime, str], tuple[g.GuardState, list[g.GuardEvent]]]] = {
    "liquidate": g.admin_liquidate,
    "lock": lambda state, now, _note: g.admin_lock(state, now),
    "unlock": lambda state, now, _note: g.admin_unlock(state, now),
    "reset_peak": lambda state, now, _note: g.admin_reset_peak(state, now),
}


def observation(
    snapshot: Snapshot, new_deals: list[Deal], now: datetime, market_alarm: tuple[str, ...] = ()
) -> g.Observation:
    """`new_deals` are the deals not stored before; a ticket listed twice among them still counts once."""
    new = distinct_deals(new_deals)
    return g.Observation(
        time=now,
        equity=snapshot.account.equity,
        balance=snapshot.account.balance,
        open_tickets=tuple(p.ticket for p in snapshot.positions),
        cash_flows=new.cash_flows,
        market_alarm=market_alarm,
        deals=balance_deals(new.new),
    )


class GuardService:
    """`hot`: the Redis hot state (core.services.ports.hot). A change outside a snapshot starts from the
    newer of its guard and Postgres's (steady snapshots are written behind), holding it meanwhile; the
    unit of work's after-commit news then marks it for refresh."""

    def __init__(
        self, policy: GuardPolicy, hot: HotState | None = None, health: Health | None = None
    ) -> None:
        self.policy = policy
        self.hot = hot
        self.hot_health = health

    async def account_ref(self, uow: UnitOfWork, account_id: int) -> AccountRef:
        found = await uow.accounts.guard_ref(account_id)
        return AccountRef(account_id, found.login, found.server, found.chat_id, found.currency or "")

    async def config(self, uow: UnitOfWork, account_id: int) -> g.GuardConfig:
        return self.policy.config_for(await uow.accounts.personal_limit(account_id))

    async def on_snapshot(
        self,
        uow: UnitOfWork,
        context: SnapshotContext,
        snapshot: Snapshot,
        new_deals: list[Deal],
        now: datetime,
        market_alarm: tuple[str, ...] = (),
    ) -> tuple[g.GuardState, datetime | None, bool]:
        """Judge an accepted snapshot; the caller holds the account's row lock and saves the state
        with the deadline returned (when the periodic worker must look at it next). The flag says
        whether anything happened (an alert, a command) that the relay should hear of at once."""
        previous = context.guard
        config = self.policy.config_for(context.personal_limit)
        state, events = g.observe(previous, observation(snapshot, new_deals, now, market_alarm), config)
        ref = AccountRef(
            context.account_id, context.login, context.server, context.chat_id, snapshot.account.currency
        )
        await GuardEffects(uow, self.policy, ref, now, f"seq{snapshot.seq}").apply(state, events)
        return state, g.next_deadline(state, config), bool(events)

    async def _save(
        self, uow: UnitOfWork, account_id: int, state: g.GuardState, now: datetime, rev: int | None
    ) -> None:
        """Store a state changed outside a snapshot; an account is looked at again at most once a second."""
        deadline = g.next_deadline(state, await self.config(uow, account_id))
        due_at = None if deadline is None else max(deadline, now + timedelta(seconds=1))
        await uow.states.save_guard(account_id, state, due_at, rev)

    async def _locked(self, uow: UnitOfWork, account_id: int, skip_locked: bool = False) -> Locked | None:
        stored = await uow.states.lock_guard(account_id, skip_locked=skip_locked)
        if stored is None:
            return None
        return await newest_guard(self.hot, uow, account_id, stored, self.hot_health)

    async def on_close_all_ack(
        self, uow: UnitOfWork, account_id: int, status: str, breach_no: int | None, now: datetime
    ) -> None:
        locked = await self._locked(uow, account_id)
        if locked is None:
            return
        stored, rev = locked
        state, events = g.close_all_acknowledged(stored, g.CloseAckStatus(status), now, breach_no=breach_no)
        ref = await self.account_ref(uow, account_id)
        await GuardEffects(uow, self.policy, ref, now, f"ack{now.timestamp()}").apply(state, events)
        await self._save(uow, account_id, state, now, rev)

    async def tick(self, uow: UnitOfWork, account_id: int, now: datetime) -> bool:
        """One periodic look at an account; False when another worker holds it right now."""
        locked = await self._locked(uow, account_id, skip_locked=True)
        if locked is None:
            return False
        stored, rev = locked
        state, events = g.tick(stored, now, await self.config(uow, account_id))
        if events:
            ref = await self.account_ref(uow, account_id)
            await GuardEffects(uow, self.policy, ref, now, f"tick{now.timestamp()}").apply(state, events)
        await self._save(uow, account_id, state, now, rev)
        return True

    async def admin_action(
        self, uow: UnitOfWork, account_id: int, action: str, actor: str, note: str, now: datetime
    ) -> g.GuardState:
        act = ADMIN_ACTIONS.get(action)
        if act is None:
            raise ValueError(f"unknown admin action {action!r}: one of {', '.join(ADMIN_ACTIONS)}")
        locked = await self._locked(uow, account_id)
        if locked is None:
            raise g.GuardActionRejected("no snapshot from this account yet")
        stored, rev = locked
        state, events = act(stored, now, note)
        ref = await self.account_ref(uow, account_id)
        await GuardEffects(uow, self.policy, ref, now, f"admin{now.timestamp()}").apply(state, events, actor)
        await self._save(uow, account_id, state, now, rev)
        return state


class GuardMonitor:
    """The worker's periodic pass over the accounts whose guard has a deadline that has come: stale
    feeds, grace periods that end without a snapshot, retries, overdue liquidations. Row locks taken
    with SKIP LOCKED let several workers share the accounts.

    The database is the truth; the view cache is best effort. Cache trouble never stops a pass: while
    the cache is down its invalidations are skipped (a cached view expires within CACHE_TTL_SECONDS
    anyway) and tried again after a back-off, and the outage is logged once.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        guard: GuardService,
        cache: ViewCache,
        clock: Clock,
        health: HealthBoard | None = None,
    ) -> None:
        self.uow = uow
        self.guard = guard
        self.cache = cache
        self.clock = clock
        self.board = health or HealthBoard()
        self.failing: set[int] = set()

    @property
    def cache_health(self) -> Health:
        """On the board from the first pass on: a process that runs no monitor shows no such loop."""
        return self.board.track("guard-monitor-cache")

    async def run_once(self, limit: int = 1000) -> int:
        """One pass. An account whose tick fails is skipped (logged once until it recovers), so one bad
        account cannot hold up the others. An outage fails the query for due accounts first: that raises,
        and the loop backs off."""
        now = self.clock()
        async with self.uow() as uow:
            due = await uow.states.due_for_tick(now, limit)
        for account_id in due:
            try:
                ticked = await self._tick(account_id, now)
            except Exception as error:
                self._failed(account_id, error)
                continue
            self._recovered(account_id)
            if ticked:
                await self._forget_cached_view(account_id)
        return len(due)

    def _failed(self, account_id: int, error: Exception) -> None:
        if account_id not in self.failing:
            self.failing.add(account_id)
            log.error(
                "guard tick of account %s failed: %s; the pass goes on", account_id, type(error).__name__
            )

    def _recovered(self, account_id: int) -> None:
        if account_id in self.failing:
            self.failing.discard(account_id)
            log.info("guard tick of account %s works again", account_id)

    async def _tick(self, account_id: int, now: datetime) -> bool:
        async with self.uow() as uow:
            if not await self.guard.tick(uow, account_id, now):
                return False
            await uow.commit()
        return True

    async def _forget_cached_view(self, account_id: int) -> None:
        await best_effort(self.cache_health, lambda: self.cache.invalidate_account(account_id), None)
