"""A simulated MetaTrader 5 account and scripted, deterministic market scenarios.

The P&L model is deliberately simple. One lot is 100,000 units of the base currency (100 ounces
for XAUUSD). A buy's profit is (bid − open price) × contract size × volume, a sell's is
(open price − ask) × contract size × volume, both taken as account currency at 1:1 whatever the
quote currency. Margin is volume × contract size × open price / leverage, also at 1:1. There is
no commission and no swap. When equity falls below half the margin the broker stops the account
out: it closes the biggest loser (reason `so`) until the margin level recovers, as MT5 does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate, cycle, islice, takewhile
from pathlib import Path

TG_MAGIC = 7300
CENT = Decimal("0.01")
LOT_STEP = Decimal("0.01")
PIP = Decimal("0.0001")
DEFAULT_CONTRACT_SIZE = Decimal(100_000)
CONTRACT_SIZES = {"XAUUSD": Decimal(100)}
PRICE_DIGITS = {"USDJPY": 3, "XAUUSD": 2}
STOP_OUT_LEVEL = Decimal("0.5")
REPLAY_TICKS_PATH = Path(__file__).parent.parent / "data" / "eurchf_2015-01-15_09h_ticks.csv"
GOLD_CLOSE_PATH = Path(__file__).parent.parent / "data" / "xauusd_m1_2026-02-20_close.csv"


def money(value: Decimal) -> Decimal:
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded if rounded else rounded.copy_abs()  # never "-0.00"


def price(symbol: str, value: Decimal) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-PRICE_DIGITS.get(symbol, 5)), rounding=ROUND_HALF_UP)


def contract_size(symbol: str) -> Decimal:
    return CONTRACT_SIZES.get(symbol, DEFAULT_CONTRACT_SIZE)


def _check_volume(volume: Decimal) -> None:
    """MT5 refuses a volume that is not a positive multiple of the symbol's step (0.01 lot here)."""
    if volume <= 0 or volume != volume.quantize(LOT_STEP):
        raise ValueError(f"invalid volume {volume}: must be a positive multiple of {LOT_STEP}")


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


# ---- scenarios -------------------------------------------------------------------------------

ScenarioBuilder = Callable[[SimAccount, datetime], Iterator[MarketStep]]


@dataclass
class Scenario:
    name: str
    account: SimAccount
    steps: Iterator[MarketStep]


def _quote_steps(symbol: str, prices: list[tuple[Decimal, Decimal]]) -> Iterator[MarketStep]:
    for bid, ask in prices:
        yield MarketStep((Quote(symbol, bid, ask),))


def _open_before(account: SimAccount, now: datetime, quote: Quote, side: str, volume: str) -> None:
    """The trader's position from before the link: opened an hour ago at the given quote."""
    account.set_quote(quote)
    account.open(quote.symbol, side, Decimal(volume), now - timedelta(hours=1), reason="client")


def _eurusd(bid: Decimal) -> tuple[Decimal, Decimal]:
    return bid, bid + PIP


EURUSD_OPEN = Quote("EURUSD", Decimal("1.08540"), Decimal("1.08550"))
STEADY_NOISE_PIPS = (0, 1, -1, 2, 0, -2, 1, -1, 3, 0, -1, 1, -2, 0, 2)


def steady(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A 0.10 lot EURUSD buy while the price wobbles a few pips around flat: 30 steps."""
    _open_before(account, now, EURUSD_OPEN, "buy", "0.10")
    noise = islice(cycle(STEADY_NOISE_PIPS), 30)
    return _quote_steps("EURUSD", [_eurusd(EURUSD_OPEN.bid + pips * PIP) for pips in noise])


BLEED_PIPS = (5, 8, 6, 10, 7, 9)


def slow_bleed(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A 1.00 lot EURUSD buy on 10,000: 5 to 10 pips (0.5–1% of equity) lost a step, to ~25% down."""
    _open_before(account, now, EURUSD_OPEN, "buy", "1.00")
    drops = takewhile(lambda fall: fall < 260, accumulate(cycle(BLEED_PIPS)))
    return _quote_steps("EURUSD", [_eurusd(EURUSD_OPEN.bid - fall * PIP) for fall in drops])


# Real EURCHF quotes of 15 January 2015 (Dukascopy), one every few seconds around 09:30 UTC.
CRASH_QUOTES = (
    ("1.20094", "1.20102"), ("1.20093", "1.20100"), ("1.20092", "1.20104"), ("1.20091", "1.20098"),
    ("1.20096", "1.20105"), ("1.20094", "1.20099"), ("1.20067", "1.20071"), ("1.19326", "1.19344"),
    ("1.18097", "1.18215"), ("1.16816", "1.17132"), ("1.15466", "1.15751"), ("1.14674", "1.14946"),
    ("1.09731", "1.10034"), ("1.16426", "1.16599"), ("1.11589", "1.11885"), ("1.03511", "1.03804"),
    ("1.00890", "1.01081"), ("0.99338", "0.99591"), ("0.92759", "0.92951"), ("0.88979", "0.89011"),
    ("1.03481", "1.03785"), ("1.02542", "1.02857"),
)  # fmt: skip


def crash(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A 0.50 lot EURCHF buy at 1.20100 when the SNB drops the floor: 10%, 15%, 20% down in 3 steps."""
    _open_before(account, now, Quote("EURCHF", Decimal("1.20092"), Decimal("1.20100")), "buy", "0.50")
    return _quote_steps("EURCHF", [(Decimal(bid), Decimal(ask)) for bid, ask in CRASH_QUOTES])


def withdrawal(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A flat market and a 30% withdrawal at the fourth step: equity drops, nothing is lost trading."""
    _open_before(account, now, EURUSD_OPEN, "buy", "0.10")
    flat = MarketStep((Quote("EURUSD", Decimal("1.08600"), Decimal("1.08610")),))
    withdraw = MarketStep(flat.quotes, balance_change=-money(account.balance * Decimal("0.30")))
    return iter([flat, flat, flat, withdraw, flat, flat, flat])


def deposit_listed_twice(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A flat market and a 5,000 deposit that the terminal lists twice in one snapshot."""
    _open_before(account, now, EURUSD_OPEN, "buy", "0.10")
    flat = MarketStep((Quote("EURUSD", Decimal("1.08600"), Decimal("1.08610")),))
    deposit = MarketStep(flat.quotes, balance_change=Decimal("5000.00"), list_twice=True)
    return iter([flat, flat, flat, deposit, flat, flat, flat])


def withdrawal_listed_twice(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A 1.00 lot EURUSD buy on 10,000 loses 21 % (210 pips) in the step where 3,000 is withdrawn, and
    the terminal lists the withdrawal twice in that snapshot: a real breach, whatever the listing."""
    _open_before(account, now, EURUSD_OPEN, "buy", "1.00")
    flat = MarketStep((EURUSD_OPEN,))
    fallen = (Quote("EURUSD", *_eurusd(EURUSD_OPEN.bid - 210 * PIP)),)
    withdraw = MarketStep(fallen, balance_change=Decimal("-3000.00"), list_twice=True)
    return iter([flat, flat, withdraw, MarketStep(fallen), MarketStep(fallen), MarketStep(fallen)])


def read_ticks(path: Path, since: str = "09:30:40") -> list[tuple[Decimal, Decimal]]:
    """(bid, ask) of each tick at or after `since` in a Dukascopy CSV (`date time,bid,ask,...`)."""
    ticks = []
    for line in path.read_text().splitlines():
        stamp, bid, ask = line.split(",")[:3]
        if stamp[11:19] >= since:
            ticks.append((Decimal(bid), Decimal(ask)))
    return ticks


def crash_replay(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """The crash, tick by tick from the real file (508 steps), a 0.50 lot buy at the first ask."""
    ticks = read_ticks(REPLAY_TICKS_PATH)
    _open_before(account, now, Quote("EURCHF", *ticks[0]), "buy", "0.50")
    return _quote_steps("EURCHF", ticks)


def read_m1_bars(path: Path, symbol: str) -> list[Quote]:
    """One quote per bar of an MT5 M1 export: the close as bid, the close plus the spread (points of
    0.01) as ask, at the bar's time (the export's server time, read as UTC)."""
    quotes = []
    for line in path.read_text().splitlines()[1:]:
        fields = line.split("\t")
        moment = datetime.strptime(f"{fields[0]} {fields[1]}", "%Y.%m.%d %H:%M:%S").replace(tzinfo=UTC)
        bid = Decimal(fields[5])
        quotes.append(Quote(symbol, bid, bid + Decimal(fields[8]) * Decimal("0.01"), moment))
    return quotes


def gold_rollover(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A 0.10 lot XAUUSD buy through a Friday close (88 real M1 bars): the spread widens from 16–20
    points to 146 while the price barely moves. Nothing here should be closed. The bars keep their own
    minute spacing, moved so the last one is quoted now, which lets the market guards learn the usual
    spread first, as they would have on the day."""
    bars = read_m1_bars(GOLD_CLOSE_PATH, "XAUUSD")
    shift = now - bars[-1].time if bars[-1].time else timedelta(0)
    quotes = [replace(bar, time=bar.time + shift if bar.time else None) for bar in bars]
    _open_before(account, now, replace(quotes[0], time=None), "buy", "0.10")
    return iter(MarketStep((quote,)) for quote in quotes)


SCENARIOS: dict[str, ScenarioBuilder] = {
    "steady": steady,
    "slow_bleed": slow_bleed,
    "crash": crash,
    "withdrawal": withdrawal,
    "deposit_listed_twice": deposit_listed_twice,
    "withdrawal_listed_twice": withdrawal_listed_twice,
    "crash_replay": crash_replay,
    "gold_rollover": gold_rollover,
}


def build_scenario(name: str, *, login: int, server: str, now: datetime) -> Scenario:
    """A fresh 10,000 USD account set up for the named scenario, and its market steps."""
    builder = SCENARIOS.get(name)
    if builder is None:
        raise ValueError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    account = SimAccount(login=login, server=server)
    return Scenario(name, account, builder(account, now))
