"""A simulated MetaTrader 5 account: positions, deals and the broker's stop-out.

The P&L model is deliberately simple. One lot is 100,000 units of the base currency (100 ounces
for XAUUSD). A buy's profit is (bid − open price) × contract size × volume, a sell's is
(open price − ask) × contract size × volume, both taken as account currency at 1:1 whatever the
quote currency. Margin is volume × contract size × open price / leverage, also at 1:1. There is
no commission and no swap. When equity falls below half the margin the broker stops the account
out: it closes the biggest loser (reason `so`) until the margin level recovers, as MT5 does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from sim.scenarios.market import (
    LOT_STEP,
    MarketStep,
    Quote,
    contract_size,
    money,
    price,
)

TG_MAGIC = 7300  # the magic number of the orders the TradeGuard EA places
STOP_OUT_LEVEL = Decimal("0.5")  # margin level below which the broker closes positions


def _check_volume(volume: Decimal) -> None:
    """MT5 refuses a volume that is not a positive multiple of the symbol's step (0.01 lot here)."""
    if volume <= 0 or volume != volume.quantize(LOT_STEP):
        raise ValueError(f"invalid volume {volume}: must be a positive multiple of {LOT_STEP}")


@dataclass
class Position:
    ticket: int
    symbol: str
    side: str
    volume: Decimal
    open_price: Decimal
    open_time: datetime
    price: Decimal
    profit: Decimal = Decimal("0.00")
    swap: Decimal = Decimal("0.00")
    sl: Decimal | None = None
    tp: Decimal | None = None
    magic: int = 0
    comment: str = ""

    def profit_at(self, close_price: Decimal, volume: Decimal) -> Decimal:
        direction = 1 if self.side == "buy" else -1
        return money((close_price - self.open_price) * contract_size(self.symbol) * volume * direction)

    def reprice(self, quote: Quote) -> None:
        self.price = quote.bid if self.side == "buy" else quote.ask
        self.profit = self.profit_at(self.price, self.volume)


@dataclass(frozen=True)
class Deal:
    ticket: int
    position: int
    symbol: str
    type: str
    entry: str
    reason: str
    volume: Decimal
    price: Decimal
    time: datetime
    profit: Decimal = Decimal("0.00")
    commission: Decimal = Decimal("0.00")
    swap: Decimal = Decimal("0.00")
    magic: int = 0
    comment: str = ""


@dataclass(frozen=True)
class Closure:
    """What closing (part of) a position did: the per-ticket result of an ack."""

    ticket: int
    closed_volume: Decimal
    price: Decimal
    profit: Decimal


@dataclass
class SimAccount:
    login: int
    server: str
    currency: str = "USD"
    balance: Decimal = Decimal("10000.00")
    leverage: int = 100
    positions: dict[int, Position] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
    history: list[Deal] = field(default_factory=list)
    unsent_deals: list[Deal] = field(default_factory=list)
    next_position_ticket: int = 100_001
    next_deal_ticket: int = 900_001

    @property
    def equity(self) -> Decimal:
        return self.balance + sum((p.profit for p in self.positions.values()), Decimal("0.00"))

    @property
    def margin(self) -> Decimal:
        return sum((self._margin_of(p) for p in self.positions.values()), Decimal("0.00"))

    @property
    def free_margin(self) -> Decimal:
        return self.equity - self.margin

    def _margin_of(self, position: Position) -> Decimal:
        notional = position.volume * contract_size(position.symbol) * position.open_price
        return money(notional / self.leverage)

    def apply(self, step: MarketStep, now: datetime) -> list[Deal]:
        """Move the market one step; the deals it caused (transfers, manual trades, stop-outs)."""
        first_new = len(self.history)
        for quote in step.quotes:
            self.set_quote(quote)
        if step.balance_change:
            deal = self.transfer(step.balance_change, now)
            if step.list_twice:
                self.unsent_deals.append(deal)
        for order in step.orders:
            self.open(order.symbol, order.side, order.volume, now, reason="client")
        self.stop_out_if_needed(now)
        return self.history[first_new:]

    def set_quote(self, quote: Quote) -> None:
        quote = Quote(quote.symbol, price(quote.symbol, quote.bid), price(quote.symbol, quote.ask))
        self.quotes[quote.symbol] = quote
        for position in self.positions.values():
            if position.symbol == quote.symbol:
                position.reprice(quote)

    def open(
        self,
        symbol: str,
        side: str,
        volume: Decimal,
        now: datetime,
        *,
        reason: str,
        magic: int = 0,
        comment: str = "",
        sl: Decimal | None = None,
        tp: Decimal | None = None,
    ) -> Position:
        """Open at market: a buy at the ask, a sell at the bid."""
        if side not in ("buy", "sell"):
            raise ValueError(f"side must be buy or sell, not {side!r}")
        _check_volume(volume)
        quote = self._quote(symbol)
        fill = quote.ask if side == "buy" else quote.bid
        ticket = self._take_position_ticket()
        position = Position(
            ticket, symbol, side, volume, fill, now, fill, sl=sl, tp=tp, magic=magic, comment=comment
        )
        position.reprice(quote)
        self.positions[ticket] = position
        self._record(
            Deal(0, ticket, symbol, side, "in", reason, volume, fill, now, magic=magic, comment=comment)
        )
        return position

    def close(self, ticket: int, now: datetime, *, reason: str, volume: Decimal | None = None) -> Closure:
        """Close a position, or `volume` of it, at market and realise the profit into the balance."""
        position = self.positions.get(ticket)
        if position is None:
            raise ValueError(f"no open position #{ticket}")
        if volume is not None:
            _check_volume(volume)
        quote = self._quote(position.symbol)
        fill = quote.bid if position.side == "buy" else quote.ask
        closed = position.volume if volume is None else min(volume, position.volume)
        profit = position.profit_at(fill, closed)
        self.balance += profit
        position.volume -= closed
        if position.volume <= 0:
            del self.positions[ticket]
        else:
            position.reprice(quote)
        side = "sell" if position.side == "buy" else "buy"
        magic = TG_MAGIC if reason == "expert" else 0
        self._record(
            Deal(0, ticket, position.symbol, side, "out", reason, closed, fill, now, profit, magic=magic)
        )
        return Closure(ticket, closed, fill, profit)

    def close_all(self, now: datetime, *, reason: str) -> list[Closure]:
        return [self.close(ticket, now, reason=reason) for ticket in list(self.positions)]

    def transfer(self, amount: Decimal, now: datetime) -> Deal:
        """A deposit (positive) or withdrawal (negative): a `balance` deal, no trading involved."""
        self.balance += money(amount)
        comment = "deposit" if amount > 0 else "withdrawal"
        nothing = Decimal("0.00")
        return self._record(
            Deal(0, 0, "", "balance", "in", "client", nothing, nothing, now, money(amount), comment=comment)
        )

    def stop_out_if_needed(self, now: datetime) -> None:
        while self.positions and self.equity < self.margin * STOP_OUT_LEVEL:
            worst = min(self.positions.values(), key=lambda p: p.profit)
            self.close(worst.ticket, now, reason="so")

    def acknowledge_deals(self, tickets: set[int]) -> None:
        """The server accepted a snapshot carrying these deals: stop resending them."""
        self.unsent_deals = [deal for deal in self.unsent_deals if deal.ticket not in tickets]

    def _quote(self, symbol: str) -> Quote:
        if symbol not in self.quotes:
            raise ValueError(f"no quote for {symbol}")
        return self.quotes[symbol]

    def _take_position_ticket(self) -> int:
        self.next_position_ticket += 1
        return self.next_position_ticket - 1

    def _record(self, deal: Deal) -> Deal:
        """Number the deal and add it to the history and to the deals the server has yet to accept."""
        deal = replace(deal, ticket=self.next_deal_ticket)
        self.next_deal_ticket += 1
        self.history.append(deal)
        self.unsent_deals.append(deal)
        return deal
