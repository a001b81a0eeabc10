"""The market guards around every accepted snapshot: gaps, spread blow-outs and stale quotes of the
symbols it carries, judged per server and symbol (core.domain.market) before the account guard, so a
market alarm on a held symbol cuts a grace short; then the effects for this account, in the same
transaction: an alert per episode, and with MARKET_GUARD_ACTION=close a close_position for every
exposed position, in the answer to the very snapshot that showed it.

A gap fires on the first quote that shows it, from whichever account reported it first; every other
account on that server holding the symbol must hear of it too. So each symbol's memory (in Redis:
MarketMemory, db.hot_market) also keeps the events of the last RECENT_SECONDS, and each account acts on
them once per episode (dedupe keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from core.domain import alerts as a
from core.domain import guard as g
from core.domain.codec import to_json
from core.domain.commands import CommandRequest, CommandType
from core.domain.market import (
    GapDetected,
    MarketConfig,
    MarketEvent,
    QuotesStale,
    SpreadBlowout,
    SymbolMarket,
    hurts,
    observe_quote,
    stale_quotes,
)
from core.domain.models import Alert, AuditEntry, SnapshotContext
from core.domain.snapshot import Position, Quote, Snapshot
from core.services.admin_digest import add_to_admin_digest
from core.services.ports import SymbolMemory, UnitOfWork
from core.services.ports.hot import MarketMemory

MarketAction = Literal["close", "alert"]
COMMAND_TTL_SECONDS = 3600
RECENT_SECONDS = 120
REASONS: dict[type, str] = {GapDetected: "market_gap", SpreadBlowout: "spread"}
KINDS: dict[type, a.MarketGuardKind] = {
    GapDetected: a.MarketGuardKind.GAP,
    SpreadBlowout: a.MarketGuardKind.SPREAD,
    QuotesStale: a.MarketGuardKind.STALE,
}


@dataclass(frozen=True)
class MarketPolicy:
    config: MarketConfig
    action: MarketAction
    admin_chat_ids: tuple[int, ...]


@dataclass
class MarketJudgement:
    """What the quotes of one snapshot showed; `alarm` names the held symbols a closing guard hit."""

    events: list[MarketEvent] = field(default_factory=list)
    alarm: tuple[str, ...] = ()

    def concerns(self, positions: tuple[Position, ...]) -> bool:
        """Whether an event touches these positions: then `apply` may record something (durable)."""
        return any(exposed_to(event, positions) for event in self.events)


class MarketGuardService:
    def __init__(self, policy: MarketPolicy) -> None:
        self.policy = policy

    async def judge(self, memory: MarketMemory, server: str, snapshot: Snapshot) -> MarketJudgement:
        """Update the server's symbols with this snapshot's quotes (in the hot state: MarketMemory)."""
        quotes = {quote.symbol: quote for quote in snapshot.quotes}

        def change(stored: dict[str, SymbolMemory]) -> tuple[dict[str, SymbolMemory], MarketJudgement]:
            return self._judge(stored, quotes, snapshot)

        return await memory.update(server, sorted(quotes), change)

    def _judge(
        self, stored: dict[str, SymbolMemory], quotes: dict[str, Quote], snapshot: Snapshot
    ) -> tuple[dict[str, SymbolMemory], MarketJudgement]:
        states: dict[str, SymbolMarket] = {}
        events: list[MarketEvent] = []
        changed: dict[str, SymbolMemory] = {}
        for symbol in sorted(quotes):
            memory = stored.get(symbol)
            previous = memory.state if memory else None
            state, fired = observe_quote(previous, quotes[symbol], self.policy.config)
            recent = _still_recent([*(memory.recent if memory else ()), *fired], snapshot.time)
            remembered = SymbolMemory(state, tuple(recent))
            if remembered != memory:
                changed[symbol] = remembered
            states[symbol] = state
            events += recent
        held = {position.symbol for position in snapshot.positions}
        events += stale_quotes(states, held, snapshot.time, self.policy.config)
        alarm = {
            event.symbol
            for event in events
            if not isinstance(event, QuotesStale) and exposed_to(event, snapshot.positions)
        }
        return changed, MarketJudgement(events, tuple(sorted(alarm)))

    async def apply(
        self,
        uow: UnitOfWork,
        context: SnapshotContext,
        snapshot: Snapshot,
        judgement: MarketJudgement,
        guard: g.GuardState,
        now: datetime,
    ) -> bool:
        """Alerts and closes for this account, once per episode; True when anything was recorded."""
        acted = False
        digest: list[a.AnyDigestItem] = []
        currency = snapshot.account.currency
        account = a.AccountFields(login=context.login, server=context.server, currency=currency)
        for event in judgement.events:
            exposed = exposed_to(event, snapshot.positions)
            if not exposed:
                continue
            kind = KINDS[type(event)]
            tickets = tuple(p.ticket for p in exposed) if self._closes(event, guard) else ()
            for ticket in tickets:
                await self._close(uow, context.account_id, ticket, event, now)
            alert = market_alert(event, account, tickets, _action(event, tickets))
            key = f"market:{context.account_id}:{event.symbol}:{kind}:{event.episode}"
            if await uow.outbox.add(Alert(key, context.chat_id, alert)):
                item = a.MarketGuardFired(**account, kind=kind, symbol=event.symbol, closed=len(tickets))
                digest.append(item)
                details = to_json(alert)
                assert isinstance(details, dict)
                entry = AuditEntry("market_guard", f"market.{kind}", f"account:{context.login}", details)
                await uow.audit.append(entry, now)
                acted = True
        await add_to_admin_digest(uow, self.policy.admin_chat_ids, digest, now)
        return acted

    def _closes(self, event: MarketEvent, guard: g.GuardState) -> bool:
        """Gaps and blow-outs close exposed positions when the policy says so, unless a close_all is
        already under way or done (it closes them all anyway)."""
        if self.policy.action != "close" or isinstance(event, QuotesStale):
            return False
        return guard.status not in g.BREACH_IN_PROGRESS and guard.status is not g.GuardStatus.LIQUIDATED

    async def _close(
        self, uow: UnitOfWork, account_id: int, ticket: int, event: MarketEvent, now: datetime
    ) -> None:
        kind = KINDS[type(event)]
        request = CommandRequest(
            f"market_close:{account_id}:{ticket}:{event.symbol}:{kind}:{event.episode}",
            CommandType.CLOSE_POSITION,
            REASONS[type(event)],
            {"ticket": ticket},
        )
        await uow.commands.issue(account_id, request, now, COMMAND_TTL_SECONDS)


def _action(event: MarketEvent, tickets: tuple[int, ...]) -> a.MarketResponse:
    if isinstance(event, QuotesStale):
        return a.MarketResponse.WATCH
    return a.MarketResponse.CLOSED if tickets else a.MarketResponse.ALERTED


def market_alert(
    event: MarketEvent, account: a.AccountFields, tickets: tuple[int, ...], action: a.MarketResponse
) -> a.MarketAlert:
    """The trader's alert: the guard's event as reported, and what was done about it."""
    if isinstance(event, GapDetected):
        return a.MarketGap(
            **account, symbol=event.symbol, time=event.time, episode=event.episode,
            closed_tickets=tickets, action=action,
            previous_bid=event.previous_bid, previous_time=event.previous_time, bid=event.bid,
            move_percent=event.move_percent, direction=event.direction,
        )  # fmt: skip
    if isinstance(event, SpreadBlowout):
        return a.MarketSpread(
            **account, symbol=event.symbol, time=event.time, episode=event.episode,
            closed_tickets=tickets, action=action,
            spread=event.spread, usual_spread=event.usual_spread, multiple=event.multiple,
            direction=event.direction, move_percent=event.move_percent,
        )  # fmt: skip
    return a.MarketStale(
        **account, symbol=event.symbol, time=event.time, episode=event.episode,
        closed_tickets=tickets, action=action, unchanged_since=event.unchanged_since,
    )  # fmt: skip


def exposed_to(event: MarketEvent, positions: tuple[Position, ...]) -> list[Position]:
    """The positions this event puts at risk: any on a symbol whose quotes froze; on a gap or a blow-out,
    those on the losing side of the move."""
    on_symbol = [p for p in positions if p.symbol == event.symbol]
    if isinstance(event, QuotesStale):
        return on_symbol
    return [p for p in on_symbol if hurts(event, p.side)]


def _still_recent(events: list[MarketEvent], now: datetime) -> list[MarketEvent]:
    horizon = now - timedelta(seconds=RECENT_SECONDS)
    unique = {(type(event), event.episode): event for event in events if event.time >= horizon}
    return list(unique.values())
