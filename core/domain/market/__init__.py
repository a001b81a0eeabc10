"""The market guards, pure: gaps, spread blow-outs and stale quotes, per server and symbol.

The service feeds every accepted snapshot's quotes to `observe_quote`, keeps the `SymbolMarket`
it returns (JSON, one row per server and symbol), asks `stale_quotes` about the symbols its
accounts hold, and acts on each event for the positions it `hurts`.
"""

from core.domain.market.config import MarketConfig, MarketConfigError
from core.domain.market.events import (
    GapDetected,
    MarketEvent,
    MoveDirection,
    QuotesStale,
    SpreadBlowout,
    hurts,
)
from core.domain.market.hours import is_trading
from core.domain.market.observe import observe_quote
from core.domain.market.spread import usual_spread
from core.domain.market.stale import stale_quotes
from core.domain.market.state import SymbolMarket

__all__ = [
    "GapDetected",
    "MarketConfig",
    "MarketConfigError",
    "MarketEvent",
    "MoveDirection",
    "QuotesStale",
    "SpreadBlowout",
    "SymbolMarket",
    "hurts",
    "is_trading",
    "observe_quote",
    "stale_quotes",
    "usual_spread",
]
