"""What an MT5 terminal reports about its account (BRIDGE.md, POST /v1/bridge/snapshot)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from core.domain.codec import encode_time


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class DealType(StrEnum):
    BUY = "buy"
    SELL = "sell"
    BALANCE = "balance"
    CREDIT = "credit"
    COMMISSION = "commission"
    OTHER = "other"


class DealEntry(StrEnum):
    IN = "in"
    OUT = "out"
    INOUT = "inout"
    OUT_BY = "out_by"


class DealReason(StrEnum):
    CLIENT = "client"
    MOBILE = "mobile"
    WEB = "web"
    EXPERT = "expert"
    SL = "sl"
    TP = "tp"
    SO = "so"
    OTHER = "other"


@dataclass(frozen=True)
class AccountInfo:
    login: int
    server: str
    currency: str
    balance: Decimal
    equity: Decimal
    margin: Decimal
    free_margin: Decimal
    leverage: int

    @property
    def floating_pnl(self) -> Decimal:
        return self.equity - self.balance

    @property
    def margin_level_percent(self) -> Decimal | None:
        """MT5's margin level; undefined (None) with no margin in use."""
        if self.margin <= 0:
            return None
        return self.equity / self.margin * 100


@dataclass(frozen=True)
class Position:
    ticket: int
    symbol: str
    side: Side
    volume: Decimal
    open_price: Decimal
    open_time: datetime
    price: Decimal
    profit: Decimal
    swap: Decimal = Decimal(0)
    sl: Decimal | None = None
    tp: Decimal | None = None
    magic: int = 0
    comment: str = ""


@dataclass(frozen=True)
class Deal:
    ticket: int
    position: int
    symbol: str
    type: DealType
    entry: DealEntry
    reason: DealReason
    volume: Decimal
    price: Decimal
    time: datetime
    profit: Decimal
    commission: Decimal = Decimal(0)
    swap: Decimal = Decimal(0)
    magic: int = 0
    comment: str = ""

    @property
    def is_cash_flow(self) -> bool:
        """A deposit (positive) or withdrawal (negative): never a trading gain or loss."""
        return self.type in (DealType.BALANCE, DealType.CREDIT)


@dataclass(frozen=True)
class Quote:
    symbol: str
    bid: Decimal
    ask: Decimal
    time: datetime


@dataclass(frozen=True)
class Snapshot:
    seq: int
    time: datetime
    account: AccountInfo
    positions: tuple[Position, ...] = ()
    deals: tuple[Deal, ...] = ()
    quotes: tuple[Quote, ...] = field(default=())


@lru_cache(maxsize=8192)
def _time_text(moment: datetime) -> str:
    """Positions' open times repeat in every snapshot: each is encoded once (equal instants encode alike)."""
    return encode_time(moment)


def position_to_json(position: Position) -> dict[str, object]:
    """As the codec writes it (`to_json`), spelt out: this runs for every position of every snapshot."""
    return {
        "ticket": position.ticket,
        "symbol": position.symbol,
        "side": position.side.value,
        "volume": str(position.volume),
        "open_price": str(position.open_price),
        "open_time": _time_text(position.open_time),
        "price": str(position.price),
        "profit": str(position.profit),
        "swap": str(position.swap),
        "sl": None if position.sl is None else str(position.sl),
        "tp": None if position.tp is None else str(position.tp),
        "magic": position.magic,
        "comment": position.comment,
    }


def snapshot_to_json(snapshot: Snapshot) -> dict[str, object]:
    """The snapshot as stored (latest state): decimals as strings, times as ISO 8601 UTC (the codec)."""
    account = snapshot.account
    return {
        "seq": snapshot.seq,
        "time": encode_time(snapshot.time),
        "account": {
            "login": account.login,
            "server": account.server,
            "currency": account.currency,
            "balance": str(account.balance),
            "equity": str(account.equity),
            "margin": str(account.margin),
            "free_margin": str(account.free_margin),
            "leverage": account.leverage,
        },
        "positions": [position_to_json(p) for p in snapshot.positions],
        "quotes": [
            {"symbol": q.symbol, "bid": str(q.bid), "ask": str(q.ask), "time": _time_text(q.time)}
            for q in snapshot.quotes
        ],
    }
