"""What the market guards remember per server and symbol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.domain.market import MarketEvent, SymbolMarket


@dataclass(frozen=True)
class SymbolMemory:
    """One symbol's market state, and the events it fired lately: every account on the server holding
    the symbol acts on them, not only the one whose quote showed them (core.services.market)."""

    state: SymbolMarket
    recent: tuple[MarketEvent, ...] = ()


class MarketRepository(Protocol):
    async def lock(self, server: str, symbols: list[str]) -> dict[str, SymbolMemory]:
        """What is stored of these symbols on `server`, locked until the unit of work ends."""
        ...

    async def save(self, server: str, memories: dict[str, SymbolMemory], now: datetime) -> None: ...
