"""The guard around every account: feeds the pure state machine and turns its events into commands,
alerts and audit entries, all in the caller's unit of work (one transaction with the state change).

Each effect carries a dedupe key built from the breach number, the ticket or the snapshot's seq, so
replaying the same step (a retried request, a restarted worker) issues nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core.domain import guard as g
from core.domain.commands import COMMAND_TTL_SECONDS, CommandRequest, CommandType
from core.domain.deals import distinct_deals
from core.domain.guard.day import balance_deals
from core.domain.models import Alert, AuditEntry, SnapshotContext
from core.domain.snapshot import Deal, Snapshot
from core.services.admin_digest import add_to_admin_digest
from core.services.event_params import event_params
from core.services.health import Health, HealthBoard, best_effort
from core.services.ports import UnitOfWork

log = logging.getLogger(__name__)
Handler = Callable[[g.GuardState, Any], Awaitable[None]]
ADMIN_ACTIONS: dict[str, Callable[[g.GuardState, datetime, str], tuple[g.GuardState, list[g.GuardEvent]]]] = {
    "liquidate": g.admin_liquidate,
    "lock": lambda state, now, _note: g.admin_lock(state, now),
    "unlock": lambda state, now, _note: g.admin_unlock(state, now),
    "reset_peak": lambda state, now, _note: g.admin_reset_peak(state, now),
}


@dataclass(frozen=True)
class GuardPolicy:
    base: g.GuardConfig
    admin_chat_ids: tuple[int, ...]

    def config_for(self, personal_limit: Decimal | None) -> g.GuardConfig:
        if personal_limit is None or personal_limit >= self.base.max_drawdown_percent:
            return self.base
        return replace(self.base, personal_max_drawdown_percent=personal_limit)


@dataclass(frozen=True)
class AccountRef:
    account_id: int
    login: int
    server: str
    chat_id: int
    currency: str


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


class GuardEffects:
    """Event → effect. `occasion` makes keys unique for events that have no number of their own.

    Every GuardEvent type has exactly one handler in `handlers()`; an event without one is a bug and
    raises (a test walks every type), so no event the guard reports is dropped unseen."""

    def __init__(
        self, uow: UnitOfWork, policy: GuardPolicy, ref: AccountRef, now: datetime, occasion: str
    ) -> None:
        self.uow = uow
        self.policy = policy
        self.ref = ref
        self.now = now
        self.occasion = occasion
        self.digest: list[dict[str, Any]] = []

    async def apply(self, state: g.GuardState, events: list[g.GuardEvent], actor: str = "guard") -> None:
        for event in events:
            await self._apply_one(state, event)
        await self.uow.audit.append_many([self._audit_entry(actor, event) for event in events], self.now)
        await self._flush_digest()

    def handlers(self) -> dict[type[g.GuardEvent], Handler]:
        return {
            g.DrawdownWarned: self._warned,
            g.LiquidationTriggered: self._triggered,
            g.GraceCutShort: self._grace_cut_short,
            g.FastMarketDetected: self._fast_market,
            g.CloseAllDue: self._close_all_due,
            g.CloseAllRetryDue: self._close_all_retry_due,
            g.CloseAllFailed: self._close_all_failed,
            g.CloseAllPartial: self._close_all_partial,
            g.LiquidationCompleted: self._liquidation_completed,
            g.LiquidationOverdue: self._liquidation_overdue,
            g.LiquidationCancelled: self._liquidation_cancelled,
            g.BreachWhileOffline: self._breach_while_offline,
            g.ClosePositionRequired: self._close_position_required,
            g.FeedStale: self._feed_stale,
            g.FeedRestored: self._feed_restored,
            g.TradingDayOpenUnknown: self._trading_day_unknown,
            g.TradingLocked: self._trading_locked,
            g.TradingUnlocked: self._trading_unlocked,
            g.PeakReset: self._audited_only,
        }

    async def _apply_one(self, state: g.GuardState, event: g.GuardEvent) -> None:
        handler = self.handlers().get(type(event))
        if handler is None:
            raise TypeError(f"no effect is defined for the guard event {type(event).__name__}")
        await handler(state, event)

    @property
    def _key(self) -> str:
        return f"{self.ref.account_id}"

    async def _warned(self, state: g.GuardState, event: Any) -> None:
        await self._tell_trader(
            f"warn:{self._key}:{event.level}:{self.occasion}", "drawdown_warning", event_params(event)
        )

    async def _triggered(self, state: g.GuardState, event: Any) -> None:
        params = {**event_params(event), "grace_seconds": _grace(event, self.now)}
        await self._tell_trader(f"breach:{self._key}:{event.breach_no}", "liquidation_warning", params)
        await self._digest_for_admins({"event": "started", "reason": event.reason.value})

    async def _grace_cut_short(self, state: g.GuardState, event: Any) -> None:
        await self._tell_trader(f"cut:{self._key}:{event.breach_no}", "liquidation_now", event_params(event))

    async def _fast_market(self, state: g.GuardState, event: Any) -> None:
        """The trader hears of it unless a breach is under way (its own messages say why it closes)."""
        if state.status in g.WATCHING:
            await self._tell_trader(f"fast:{self._key}:{event.episode}", "fast_market", event_params(event))
        await self._digest_for_admins({"event": "fast_market", **event_params(event)})

    async def _close_all_due(self, state: g.GuardState, event: Any) -> None:
        await self._command(
            f"close_all:{self._key}:{event.breach_no}:0", CommandType.CLOSE_ALL, event.reason.value
        )
        await self._command(
            f"lock:{self._key}:breach:{event.breach_no}", CommandType.LOCK, event.reason.value
        )

    async def _close_all_retry_due(self, state: g.GuardState, event: Any) -> None:
        """A new attempt supersedes any earlier one still pending (a partial one stays pending)."""
        await self._withdraw(f"close_all:{self._key}:{event.breach_no}:")
        dedupe = f"close_all:{self._key}:{event.breach_no}:{event.attempt}"
        await self._command(dedupe, CommandType.CLOSE_ALL, event.reason.value)

    async def _close_all_failed(self, state: g.GuardState, event: Any) -> None:
        params = {"next_retry_at": event.next_retry_at.isoformat(), "attempt": event.attempt}
        await self._tell_trader(
            f"closefail:{self._key}:{event.breach_no}:{event.attempt}", "liquidation_retrying", params
        )

    async def _close_all_partial(self, state: g.GuardState, event: Any) -> None:
        params = {"next_retry_at": event.next_retry_at.isoformat(), "attempt": event.attempt}
        await self._tell_trader(
            f"closepartial:{self._key}:{event.breach_no}:{event.attempt}", "liquidation_retrying", params
        )

    async def _liquidation_completed(self, state: g.GuardState, event: Any) -> None:
        await self._completed(event.breach_no)

    async def _liquidation_overdue(self, state: g.GuardState, event: Any) -> None:
        params = {
            "open_tickets": list(event.open_tickets),
            "last_contact": state.last_snapshot_at.isoformat(),
        }
        await self._tell_admins(f"overdue:{self._key}:{event.breach_no}", "admin_liquidation_overdue", params)

    async def _liquidation_cancelled(self, state: g.GuardState, event: Any) -> None:
        """An admin's unlock stops the breach: its close_all and lock are no longer delivered."""
        await self._withdraw(f"close_all:{self._key}:{event.breach_no}:")
        await self._withdraw(f"lock:{self._key}:breach:{event.breach_no}")

    async def _breach_while_offline(self, state: g.GuardState, event: Any) -> None:
        params = {"reason": event.reason.value, "last_contact": state.last_snapshot_at.isoformat()}
        await self._tell_admins(f"offline:{self._key}:{event.breach_no}", "admin_breach_offline", params)

    async def _close_position_required(self, state: g.GuardState, event: Any) -> None:
        """One request per ticket at a time: a later round replaces the one before."""
        await self._withdraw(f"close_pos:{self._key}:{event.ticket}:")
        await self._command(
            f"close_pos:{self._key}:{event.ticket}:{event.round}",
            CommandType.CLOSE_POSITION,
            event.reason,
            {"ticket": event.ticket},
        )

    async def _feed_stale(self, state: g.GuardState, event: Any) -> None:
        moment = event.last_snapshot_at.isoformat()
        params = {"last_contact": moment, "during_breach": event.during_breach}
        await self._tell_trader(f"stale:{self._key}:{moment}", "feed_stale", params)
        if event.during_breach and state.breach_reason is not None:  # nobody can act on it: at once
            offline = {"reason": state.breach_reason.value, "last_contact": moment}
            await self._tell_admins(f"offline:{self._key}:{state.breach_no}", "admin_breach_offline", offline)
        else:
            await self._digest_for_admins({"event": "stale", "last_contact": moment})

    async def _feed_restored(self, state: g.GuardState, event: Any) -> None:
        moment = event.last_snapshot_at.isoformat()
        await self._tell_trader(f"restored:{self._key}:{moment}", "feed_restored", {"last_contact": moment})

    async def _trading_locked(self, state: g.GuardState, event: Any) -> None:
        await self._command(f"lock:{self._key}:{self.occasion}", CommandType.LOCK, event.reason)
        await self._tell_trader(f"locked:{self._key}:{self.occasion}", "trading_locked", {})

    async def _trading_unlocked(self, state: g.GuardState, event: Any) -> None:
        """Unlocked: positions may stay, so close requests made under the lock are withdrawn."""
        await self._withdraw(f"close_pos:{self._key}:")
        await self._command(f"unlock:{self._key}:{self.occasion}", CommandType.UNLOCK, event.reason)
        await self._tell_trader(f"unlocked:{self._key}:{self.occasion}", "trading_unlocked", {})

    async def _trading_day_unknown(self, state: g.GuardState, event: Any) -> None:
        key = f"dayunknown:{self._key}:{event.day}"
        await self._tell_trader(key, "trading_day_unknown", event_params(event))
        await self._tell_admins(key, "trading_day_unknown", event_params(event))

    async def _audited_only(self, state: g.GuardState, event: Any) -> None:
        return None

    async def _withdraw(self, prefix: str) -> None:
        await self.uow.commands.cancel_pending(self.ref.account_id, prefix, self.now)

    async def _completed(self, breach_no: int) -> None:
        closed = await self.closed_positions(breach_no)
        params = {"closed": closed, "realised": str(sum((Decimal(c["profit"]) for c in closed), Decimal(0)))}
        await self._tell_trader(f"liquidated:{self.ref.account_id}:{breach_no}", "liquidated", params)
        await self._digest_for_admins({"event": "completed", "realised": params["realised"]})

    async def closed_positions(self, breach_no: int) -> list[dict[str, Any]]:
        """What the EA reported closing for this breach (from its acks), one entry per ticket."""
        commands = await self.uow.commands.with_key_prefix(
            self.ref.account_id, f"close_all:{self.ref.account_id}:{breach_no}:"
        )
        closed: dict[int, dict[str, Any]] = {}
        for command in commands:
            for result in (command.ack or {}).get("results", []):
                closed[int(result["ticket"])] = result
        return [closed[ticket] for ticket in sorted(closed)]

    async def _command(
        self, dedupe: str, kind: CommandType, reason: str, fields: dict[str, Any] | None = None
    ) -> None:
        request = CommandRequest(dedupe, kind, reason, fields or {})
        await self.uow.commands.issue(self.ref.account_id, request, self.now, COMMAND_TTL_SECONDS)

    async def _tell_trader(self, dedupe: str, kind: str, params: dict[str, Any]) -> None:
        await self.uow.outbox.add(Alert(dedupe, self.ref.chat_id, kind, {**self._account_params(), **params}))

    async def _tell_admins(self, dedupe: str, kind: str, params: dict[str, Any]) -> None:
        for admin in self.policy.admin_chat_ids:
            await self.uow.outbox.add(
                Alert(f"{dedupe}:admin:{admin}", admin, kind, {**self._account_params(), **params})
            )

    async def _digest_for_admins(self, item: dict[str, Any]) -> None:
        """Liquidations and silent feeds reach admins as one summary per window, however many accounts
        breach or go quiet at once (a broker outage must not bury the admins in messages)."""
        self.digest.append({**self._account_params(), **item})

    async def _flush_digest(self) -> None:
        await add_to_admin_digest(self.uow, self.policy.admin_chat_ids, self.digest, self.now)
        self.digest = []

    def _account_params(self) -> dict[str, Any]:
        return {"login": self.ref.login, "server": self.ref.server, "currency": self.ref.currency}

    def _audit_entry(self, actor: str, event: g.GuardEvent) -> AuditEntry:
        details = {"event": type(event).__name__, **event_params(event)}
        return AuditEntry(
            actor, "guard." + _snake(type(event).__name__), f"account:{self.ref.login}", details
        )


def _grace(event: g.LiquidationTriggered, now: datetime) -> int:
    return max(0, round((event.grace_until - now).total_seconds()))


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class GuardService:
    def __init__(self, policy: GuardPolicy, clock: Any) -> None:
        self.policy = policy
        self.clock = clock

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

    async def _save(self, uow: UnitOfWork, account_id: int, state: g.GuardState, now: datetime) -> None:
        """Store a state changed outside a snapshot; an account is looked at again at most once a second."""
        deadline = g.next_deadline(state, await self.config(uow, account_id))
        due_at = None if deadline is None else max(deadline, now + timedelta(seconds=1))
        await uow.states.save_guard(account_id, state, due_at)

    async def on_close_all_ack(
        self, uow: UnitOfWork, account_id: int, status: str, breach_no: int | None, now: datetime
    ) -> None:
        stored = await uow.states.lock_guard(account_id)
        if stored is None:
            return
        state, events = g.close_all_acknowledged(stored, g.CloseAckStatus(status), now, breach_no=breach_no)
        ref = await self.account_ref(uow, account_id)
        await GuardEffects(uow, self.policy, ref, now, f"ack{now.timestamp()}").apply(state, events)
        await self._save(uow, account_id, state, now)

    async def tick(self, uow: UnitOfWork, account_id: int, now: datetime) -> bool:
        """One periodic look at an account; False when another worker holds it right now."""
        stored = await uow.states.lock_guard(account_id, skip_locked=True)
        if stored is None:
            return False
        state, events = g.tick(stored, now, await self.config(uow, account_id))
        if events:
            ref = await self.account_ref(uow, account_id)
            await GuardEffects(uow, self.policy, ref, now, f"tick{now.timestamp()}").apply(state, events)
        await self._save(uow, account_id, state, now)
        return True

    async def admin_action(
        self, uow: UnitOfWork, account_id: int, action: str, actor: str, note: str, now: datetime
    ) -> g.GuardState:
        act = ADMIN_ACTIONS.get(action)
        if act is None:
            raise ValueError(f"unknown admin action {action!r}: one of {', '.join(ADMIN_ACTIONS)}")
        stored = await uow.states.lock_guard(account_id)
        if stored is None:
            raise g.GuardActionRejected("no snapshot from this account yet")
        state, events = act(stored, now, note)
        ref = await self.account_ref(uow, account_id)
        await GuardEffects(uow, self.policy, ref, now, f"admin{now.timestamp()}").apply(state, events, actor)
        await self._save(uow, account_id, state, now)
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
        self, uow: Any, guard: GuardService, cache: Any, clock: Any, health: HealthBoard | None = None
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
