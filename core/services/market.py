"""The market guards around every accepted snapshot: gaps, spread blow-outs and stale quotes of the
symbols it carries, judged per server and symbol (core.domain.market), before the account guard so a
market alarm on a held symbol cuts a grace short; then the effects for this account, in the same
transaction: an alert per episode, and with MARKET_GUARD_ACTION=close a close_position for every
exposed position, in the answer to the very snapshot that showed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from core.domain import guard as g
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
from core.domain.snapshot import Position, Snapshot
from core.services.admin_digest import add_to_admin_digest
from core.services.ports import UnitOfWork

MarketAction = Literal["close", "alert"]
COMMAND_TTL_SECONDS = 3600
REASONS = {GapDetected: "market_gap", SpreadBlowout: "spread"}
KINDS = {GapDetected: "gap", SpreadBlowout: "spread", QuotesStale: "stale"}


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


class MarketGuardService:
    def __init__(self, policy: MarketPolicy) -> None:
        self.policy = policy

    async def judge(self, uow: UnitOfWork, server: str, snapshot: Snapshot) -> MarketJudgement:
        """Update the server's symbols with this snapshot's quotes (rows locked, in symbol order)."""
        quotes = {quote.symbol: quote for quote in snapshot.quotes}
        stored = await uow.market.lock(server, sorted(quotes))
        states = {symbol: SymbolMarket.from_dict(data) for symbol, data in stored.items()}
        events: list[MarketEvent] = []
        changed: dict[str, dict[str, Any]] = {}
        for symbol in sorted(quotes):
            state, fired = observe_quote(states.get(symbol), quotes[symbol], self.policy.config)
            if (data := state.to_dict()) != stored.get(symbol):
                changed[symbol] = data
            states[symbol] = state
            events += fired
        held = {position.symbol for position in snapshot.positions}
        events += stale_quotes(states, held, snapshot.time, self.policy.config)
        await uow.market.save(server, changed, snapshot.time)
        alarm = {
            event.symbol
            for event in events
            if not isinstance(event, QuotesStale) and _exposed(event, snapshot.positions)
        }
        return MarketJudgement(events, tuple(sorted(alarm)))

    async def apply(
        self,
        uow: UnitOfWork,
        context: SnapshotContext,
        snapshot: Snapshot,
        judgement: MarketJudgement,
        guard: g.GuardState,
        now: datetime,
    ) -> bool:
        """Alerts and closes for this account; True when anything was recorded."""
        acted = False
        digest: list[dict[str, Any]] = []
        account = {"login": context.login, "server": context.server, "currency": snapshot.account.currency}
        for event in judgement.events:
            exposed = _exposed(event, snapshot.positions)
            if not exposed:
                continue
            kind = KINDS[type(event)]
            closing = self._closes(event, guard)
            tickets = [p.ticket for p in exposed] if closing else []
            for ticket in tickets:
                await self._close(uow, context.account_id, ticket, event, now)
            params = {
                **account,
                **_event_params(event),
                "closed_tickets": tickets,
                "action": self._said(event, closing),
            }
            key = f"market:{context.account_id}:{event.symbol}:{kind}:{event.episode}"
            added = await uow.outbox.add(Alert(key, context.chat_id, f"market_{kind}", params))
            if added:
                digest.append(
                    {
                        **account,
                        "event": "market",
                        "kind": kind,
                        "symbol": event.symbol,
                        "closed": len(tickets),
                    }
                )
                await uow.audit.append(
                    AuditEntry("market_guard", f"market.{kind}", f"account:{context.login}", params), now
                )
            acted = acted or added or bool(tickets)
        await add_to_admin_digest(uow, self.policy.admin_chat_ids, digest, now)
        return acted

    def _closes(self, event: MarketEvent, guard: g.GuardState) -> bool:
        """Gaps and blow-outs close exposed positions when the policy says so, unless a close_all is
        already under way or done (it closes them all anyway)."""
        if self.policy.action != "close" or isinstance(event, QuotesStale):
            return False
        return guard.status not in g.BREACH_IN_PROGRESS and guard.status is not g.GuardStatus.LIQUIDATED

    def _said(self, event: MarketEvent, closing: bool) -> str:
        if isinstance(event, QuotesStale):
            return "watch"
        return "closed" if closing else "alerted"

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


def _exposed(event: MarketEvent, positions: tuple[Position, ...]) -> list[Position]:
    """The positions this event puts at risk: any on a symbol whose quotes froze; on a gap or a blow-out,
    those on the losing side of the move."""
    on_symbol = [p for p in positions if p.symbol == event.symbol]
    if isinstance(event, QuotesStale):
        return on_symbol
    return [p for p in on_symbol if hurts(event, p.side)]


def _event_params(event: MarketEvent) -> dict[str, Any]:
    return {name: _plain(getattr(event, name)) for name in event.__dataclass_fields__}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return getattr(value, "value", value)
