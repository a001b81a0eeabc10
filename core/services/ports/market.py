"""What the market guards remember per server and symbol."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.market import MarketEvent, SymbolMarket


@dataclass(frozen=True)
class SymbolMemory:
    """One symbol's market state, and the events it fired lately: every account on the server holding
    the symbol acts on them, not only the one whose quote showed them (core.services.market)."""

    state: SymbolMarket
    recent: tuple[MarketEvent, ...] = ()
