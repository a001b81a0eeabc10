"""What the guard's events do: commands for the EA, typed alerts for the trader and the admins, and an
audit entry each, all in the caller's unit of work (one transaction with the state change).

Each effect carries a dedupe key built from the breach number, the ticket or the snapshot's seq, so
replaying the same step (a retried request, a restarted worker) issues nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.domain import alerts as a
from core.domain import guard as g
from core.domain.codec import to_json
from core.domain.commands import COMMAND_TTL_SECONDS, CommandRequest, CommandType
from core.domain.models import Alert, AuditEntry
from core.services.admin_digest import add_to_admin_digest
from core.services.ports import UnitOfWork

Handler = Callable[[g.GuardState, Any], Awaitable[None]]


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

    @property
    def fields(self) -> a.AccountFields:
        """What every alert about this account says about it."""
        return a.AccountFields(login=self.login, server=self.server, currency=self.currency)


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
        self.digest: list[a.AnyDigestItem] = []

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

    async def _warned(self, state: g.GuardState, event: g.DrawdownWarned) -> None:
        alert = a.DrawdownWarning(
            **self.ref.fields,
            level=event.level,
            drawdown_percent=event.drawdown_percent,
            peak_equity=event.peak_equity,
            equity=event.equity,
        )
        await self._tell_trader(f"warn:{self._key}:{event.level}:{self.occasion}", alert)

    async def _triggered(self, state: g.GuardState, event: g.LiquidationTriggered) -> None:
        alert = a.LiquidationWarning(
            **self.ref.fields,
            breach_no=event.breach_no,
            reason=event.reason,
            drawdown_percent=event.drawdown_percent,
            equity=event.equity,
            grace_until=event.grace_until,
            grace_seconds=_grace(event, self.now),
        )
        await self._tell_trader(f"breach:{self._key}:{event.breach_no}", alert)
        self.digest.append(a.LiquidationStarted(**self.ref.fields, reason=event.reason))

    async def _grace_cut_short(self, state: g.GuardState, event: g.GraceCutShort) -> None:
        alert = a.LiquidationNow(
            **self.ref.fields,
            breach_no=event.breach_no,
            cause=event.cause,
            from_percent=event.from_percent,
            drawdown_percent=event.drawdown_percent,
            equity=event.equity,
            symbols=event.symbols,
        )
        await self._tell_trader(f"cut:{self._key}:{event.breach_no}", alert)

    async def _fast_market(self, state: g.GuardState, event: g.FastMarketDetected) -> None:
        """The trader hears of it unless a breach is under way (its own messages say why it closes)."""
        if state.status in g.WATCHING:
            alert = a.FastMarket(
                **self.ref.fields,
                episode=event.episode,
                from_percent=event.from_percent,
                to_percent=event.to_percent,
                seconds=event.seconds,
            )
            await self._tell_trader(f"fast:{self._key}:{event.episode}", alert)
        item = a.FastMarketSeen(
            **self.ref.fields,
            episode=event.episode,
            from_percent=event.from_percent,
            to_percent=event.to_percent,
            seconds=event.seconds,
        )
        self.digest.append(item)

    async def _close_all_due(self, state: g.GuardState, event: g.CloseAllDue) -> None:
        await self._command(
            f"close_all:{self._key}:{event.breach_no}:0", CommandType.CLOSE_ALL, event.reason.value
        )
        await self._command(
            f"lock:{self._key}:breach:{event.breach_no}", CommandType.LOCK, event.reason.value
        )

    async def _close_all_retry_due(self, state: g.GuardState, event: g.CloseAllRetryDue) -> None:
        """A new attempt supersedes any earlier one still pending (a partial one stays pending)."""
        await self._withdraw(f"close_all:{self._key}:{event.breach_no}:")
        dedupe = f"close_all:{self._key}:{event.breach_no}:{event.attempt}"
        await self._command(dedupe, CommandType.CLOSE_ALL, event.reason.value)

    async def _close_all_failed(self, state: g.GuardState, event: g.CloseAllFailed) -> None:
        await self._retrying("closefail", event.breach_no, event.attempt, event.next_retry_at)

    async def _close_all_partial(self, state: g.GuardState, event: g.CloseAllPartial) -> None:
        await self._retrying("closepartial", event.breach_no, event.attempt, event.next_retry_at)

    async def _retrying(self, prefix: str, breach_no: int, attempt: int, next_retry_at: datetime) -> None:
        alert = a.LiquidationRetrying(**self.ref.fields, attempt=attempt, next_retry_at=next_retry_at)
        await self._tell_trader(f"{prefix}:{self._key}:{breach_no}:{attempt}", alert)

    async def _liquidation_completed(self, state: g.GuardState, event: g.LiquidationCompleted) -> None:
        closed = tuple(await self.closed_positions(event.breach_no))
        realised = sum((position.profit or Decimal(0) for position in closed), Decimal(0))
        alert = a.Liquidated(**self.ref.fields, closed=closed, realised=realised)
        await self._tell_trader(f"liquidated:{self.ref.account_id}:{event.breach_no}", alert)
        self.digest.append(a.LiquidationDone(**self.ref.fields, realised=realised))

    async def _liquidation_overdue(self, state: g.GuardState, event: g.LiquidationOverdue) -> None:
        alert = a.LiquidationOverdue(
            **self.ref.fields, open_tickets=event.open_tickets, last_contact=state.last_snapshot_at
        )
        await self._tell_admins(f"overdue:{self._key}:{event.breach_no}", alert)

    async def _liquidation_cancelled(self, state: g.GuardState, event: g.LiquidationCancelled) -> None:
        """An admin's unlock stops the breach: its close_all and lock are no longer delivered."""
        await self._withdraw(f"close_all:{self._key}:{event.breach_no}:")
        await self._withdraw(f"lock:{self._key}:breach:{event.breach_no}")

    async def _breach_while_offline(self, state: g.GuardState, event: g.BreachWhileOffline) -> None:
        alert = a.BreachOffline(**self.ref.fields, reason=event.reason, last_contact=state.last_snapshot_at)
        await self._tell_admins(f"offline:{self._key}:{event.breach_no}", alert)

    async def _close_position_required(self, state: g.GuardState, event: g.ClosePositionRequired) -> None:
        """One request per ticket at a time: a later round replaces the one before."""
        await self._withdraw(f"close_pos:{self._key}:{event.ticket}:")
        await self._command(
            f"close_pos:{self._key}:{event.ticket}:{event.round}",
            CommandType.CLOSE_POSITION,
            event.reason,
            {"ticket": event.ticket},
        )

    async def _feed_stale(self, state: g.GuardState, event: g.FeedStale) -> None:
        moment = event.last_snapshot_at
        alert = a.FeedStale(**self.ref.fields, last_contact=moment, during_breach=event.during_breach)
        await self._tell_trader(f"stale:{self._key}:{moment.isoformat()}", alert)
        if event.during_breach and state.breach_reason is not None:  # nobody can act on it: at once
            offline = a.BreachOffline(**self.ref.fields, reason=state.breach_reason, last_contact=moment)
            await self._tell_admins(f"offline:{self._key}:{state.breach_no}", offline)
        else:
            self.digest.append(a.WentSilent(**self.ref.fields, last_contact=moment))

    async def _feed_restored(self, state: g.GuardState, event: g.FeedRestored) -> None:
        moment = event.last_snapshot_at
        alert = a.FeedRestored(**self.ref.fields, last_contact=moment)
        await self._tell_trader(f"restored:{self._key}:{moment.isoformat()}", alert)

    async def _trading_locked(self, state: g.GuardState, event: g.TradingLocked) -> None:
        await self._command(f"lock:{self._key}:{self.occasion}", CommandType.LOCK, event.reason)
        await self._tell_trader(f"locked:{self._key}:{self.occasion}", a.TradingLocked(**self.ref.fields))

    async def _trading_unlocked(self, state: g.GuardState, event: g.TradingUnlocked) -> None:
        """Unlocked: positions may stay, so close requests made under the lock are withdrawn."""
        await self._withdraw(f"close_pos:{self._key}:")
        await self._command(f"unlock:{self._key}:{self.occasion}", CommandType.UNLOCK, event.reason)
        await self._tell_trader(f"unlocked:{self._key}:{self.occasion}", a.TradingUnlocked(**self.ref.fields))

    async def _trading_day_unknown(self, state: g.GuardState, event: g.TradingDayOpenUnknown) -> None:
        key = f"dayunknown:{self._key}:{event.day}"
        alert = a.TradingDayUnknown(
            **self.ref.fields,
            day=event.day,
            day_open_balance=event.day_open_balance,
            last_contact=event.last_contact,
        )
        await self._tell_trader(key, alert)
        await self._tell_admins(key, alert)

    async def _audited_only(self, state: g.GuardState, event: g.GuardEvent) -> None:
        return None

    async def _withdraw(self, prefix: str) -> None:
        await self.uow.commands.cancel_pending(self.ref.account_id, prefix, self.now)

    async def closed_positions(self, breach_no: int) -> list[a.ClosedPosition]:
        """What the EA reported closing for this breach (from its acks), one entry per ticket."""
        commands = await self.uow.commands.with_key_prefix(
            self.ref.account_id, f"close_all:{self.ref.account_id}:{breach_no}:"
        )
        closed: dict[int, a.ClosedPosition] = {}
        for command in commands:
            for result in (command.ack or {}).get("results", []):
                position = a.from_json(a.ClosedPosition, result)
                closed[position.ticket] = position
        return [closed[ticket] for ticket in sorted(closed)]

    async def _command(
        self, dedupe: str, kind: CommandType, reason: str, fields: dict[str, Any] | None = None
    ) -> None:
        request = CommandRequest(dedupe, kind, reason, fields or {})
        await self.uow.commands.issue(self.ref.account_id, request, self.now, COMMAND_TTL_SECONDS)

    async def _tell_trader(self, dedupe: str, alert: a.AlertBody) -> None:
        await self.uow.outbox.add(Alert(dedupe, self.ref.chat_id, alert))

    async def _tell_admins(self, dedupe: str, alert: a.AlertBody) -> None:
        for admin in self.policy.admin_chat_ids:
            await self.uow.outbox.add(Alert(f"{dedupe}:admin:{admin}", admin, alert))

    async def _flush_digest(self) -> None:
        """Liquidations and silent feeds reach admins as one summary per window, however many accounts
        breach or go quiet at once (a broker outage must not bury the admins in messages)."""
        await add_to_admin_digest(self.uow, self.policy.admin_chat_ids, self.digest, self.now)
        self.digest = []

    def _audit_entry(self, actor: str, event: g.GuardEvent) -> AuditEntry:
        details = to_json(event)
        assert isinstance(details, dict)
        return AuditEntry(
            actor,
            "guard." + _snake(type(event).__name__),
            f"account:{self.ref.login}",
            {"event": type(event).__name__, **details},
        )


def _grace(event: g.LiquidationTriggered, now: datetime) -> int:
    return max(0, round((event.grace_until - now).total_seconds()))


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
