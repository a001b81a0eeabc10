"""The market guards' memory per server and symbol, in Postgres (one row each)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import MarketSymbolRow

MARKET = MarketSymbolRow.__table__
_upsert = insert(MARKET)
UPSERT_SYMBOL = _upsert.on_conflict_do_update(
    index_elements=[MARKET.c.server, MARKET.c.symbol],
    set_={"state": _upsert.excluded.state, "updated_at": _upsert.excluded.updated_at},
)


class SqlMarketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, server: str, symbols: list[str]) -> dict[str, dict[str, Any]]:
        """The stored states of these symbols, rows locked until the unit of work ends. Always in symbol
        order, after the account's own row: two snapshots on one server queue instead of deadlocking."""
        if not symbols:
            return {}
        rows = await self.session.execute(
            select(MarketSymbolRow.symbol, MarketSymbolRow.state)
            .where(MarketSymbolRow.server == server, MarketSymbolRow.symbol.in_(sorted(symbols)))
            .order_by(MarketSymbolRow.symbol)
            .with_for_update()
        )
        return {symbol: state for symbol, state in rows}

    async def save(self, server: str, states: dict[str, dict[str, Any]], now: datetime) -> None:
        if states:
            rows = [
                {"server": server, "symbol": symbol, "state": state, "updated_at": now}
                for symbol, state in sorted(states.items())
            ]
            await self.session.execute(UPSERT_SYMBOL, rows)
