"""The market guards' memory per server and symbol, in Postgres (one row each): the symbol's state and
the events it fired lately, as JSON."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.codec import decode_time, to_json
from core.domain.market import (
    GapDetected,
    MarketEvent,
    MoveDirection,
    QuotesStale,
    SpreadBlowout,
    SymbolMarket,
)
from core.services.ports import SymbolMemory
from db.tables import MarketSymbolRow

JsonDict = dict[str, Any]
MARKET = MarketSymbolRow.__table__
_upsert = insert(MARKET)
UPSERT_SYMBOL = _upsert.on_conflict_do_update(
    index_elements=[MARKET.c.server, MARKET.c.symbol],
    set_={"state": _upsert.excluded.state, "updated_at": _upsert.excluded.updated_at},
)
# How a stored event says what it is: these names are in rows already written, never rename one.
EVENT_KINDS: dict[str, type[MarketEvent]] = {
    "gap": GapDetected,
    "spread": SpreadBlowout,
    "stale": QuotesStale,
}
TIME_FIELDS = ("time", "previous_time", "unchanged_since")
DECIMAL_FIELDS = ("previous_bid", "bid", "move_percent", "spread", "usual_spread", "multiple")


class SqlMarketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, server: str, symbols: list[str]) -> dict[str, SymbolMemory]:
        """The stored memories of these symbols, rows locked until the unit of work ends. Always in symbol
        order, after the account's own row: two snapshots on one server queue instead of deadlocking."""
        if not symbols:
            return {}
        rows = await self.session.execute(
            select(MarketSymbolRow.symbol, MarketSymbolRow.state)
            .where(MarketSymbolRow.server == server, MarketSymbolRow.symbol.in_(sorted(symbols)))
            .order_by(MarketSymbolRow.symbol)
            .with_for_update()
        )
        return {symbol: memory_from_json(stored) for symbol, stored in rows}

    async def save(self, server: str, memories: dict[str, SymbolMemory], now: datetime) -> None:
        if memories:
            rows = [
                {"server": server, "symbol": symbol, "state": memory_to_json(memory), "updated_at": now}
                for symbol, memory in sorted(memories.items())
            ]
            await self.session.execute(UPSERT_SYMBOL, rows)


def memory_to_json(memory: SymbolMemory) -> JsonDict:
    return {"state": memory.state.to_dict(), "recent": [event_to_json(event) for event in memory.recent]}


def memory_from_json(stored: JsonDict) -> SymbolMemory:
    """A row written before events were kept has no `recent`."""
    recent = tuple(event_from_json(event) for event in stored.get("recent", []))
    return SymbolMemory(SymbolMarket.from_dict(stored["state"]), recent)


def event_to_json(event: MarketEvent) -> JsonDict:
    kind = next(name for name, kind in EVENT_KINDS.items() if isinstance(event, kind))
    fields = to_json(event)
    assert isinstance(fields, dict)
    return {"kind": kind, **fields}


def event_from_json(data: JsonDict) -> MarketEvent:
    fields = {name: value for name, value in data.items() if name != "kind"}
    for name in TIME_FIELDS:
        if name in fields:
            fields[name] = decode_time(fields[name])
    for name in DECIMAL_FIELDS:
        if name in fields:
            fields[name] = Decimal(fields[name])
    if fields.get("direction") is not None:
        fields["direction"] = MoveDirection(fields["direction"])
    event: MarketEvent = EVENT_KINDS[data["kind"]](**fields)
    return event
