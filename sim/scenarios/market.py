"""The simulated market: quotes, the steps a scenario plays, and MT5's rounding of money and prices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
LOT_STEP = Decimal("0.01")
PIP = Decimal("0.0001")
DEFAULT_CONTRACT_SIZE = Decimal(100_000)
CONTRACT_SIZES = {"XAUUSD": Decimal(100)}
PRICE_DIGITS = {"USDJPY": 3, "XAUUSD": 2}


def money(value: Decimal) -> Decimal:
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded if rounded else rounded.copy_abs()  # never "-0.00"


def price(symbol: str, value: Decimal) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-PRICE_DIGITS.get(symbol, 5)), rounding=ROUND_HALF_UP)


def contract_size(symbol: str) -> Decimal:
    return CONTRACT_SIZES.get(symbol, DEFAULT_CONTRACT_SIZE)


@dataclass(frozen=True)
class Quote:
    symbol: str
    bid: Decimal
    ask: Decimal
    time: datetime | None = None  # when the market quoted it; None: when the terminal sends it


@dataclass(frozen=True)
class ManualOrder:
    """A position the trader opens by hand (deal reason `client`) during a step."""

    symbol: str
    side: str
    volume: Decimal


@dataclass(frozen=True)
class MarketStep:
    quotes: tuple[Quote, ...] = ()
    balance_change: Decimal = Decimal(0)  # a deposit (> 0) or a withdrawal (< 0)
    orders: tuple[ManualOrder, ...] = ()
    list_twice: bool = False  # a faulty terminal: the balance deal goes out twice in one snapshot
