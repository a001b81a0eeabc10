"""How the simulated terminal executes: fills with slippage or in part, and a trader who closes by hand.

An `Execution` is an option of the simulator (`SimulatedEA(..., execution=...)`, `run_simulated_ea(...,
execution=...)`, or from `tradeguard simulate-ea --scenario "steady:slippage_points=60,fill_volume=0.06,
close_by_hand_after=3"`: the scenario's name, a colon, then `name=value` pairs separated by commas).

- `slippage_points`: an `open_position` fills this many points of the symbol (0.00001 of EURUSD, 0.01 of
  XAUUSD) worse for the trader than the quote: a buy above the ask, a sell below the bid. The position's
  open price, its entry deal's price and the ack's `price` all show the slipped fill.
- `fill_volume`: the broker fills at most this volume of an `open_position` (0.10 asked, 0.06 filled).
  MT5 reports such a partial fill (an IOC market order, retcode 10010 `TRADE_RETCODE_DONE_PARTIAL`) as
  one entry deal of the filled volume; the position holds that volume and the rest of the order is
  cancelled. The ack is `done` (the command was carried out: `partial` would make the server repeat
  it and open a second position) with the filled volume in its result and the message saying so.
- `close_by_hand_after`: that many market steps after a fill, the trader closes the whole position by
  hand in the terminal: a deal with entry `out`, reason `hand_reason` (`client`, `mobile` or `web`),
  magic 0, and no command from the server. `close_swap` and `close_commission` are charged on that
  closing deal (account currency, usually negative), as a broker does on the exit.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sim.scenarios import PRICE_DIGITS, Closure, Position, Quote, SimAccount, money

HAND_REASONS = ("client", "mobile", "web")
RETCODE_DONE_PARTIAL = 10010


def point(symbol: str) -> Decimal:
    """The symbol's point: the last digit of its price."""
    return Decimal(1).scaleb(-PRICE_DIGITS.get(symbol, 5))


@dataclass(frozen=True)
class Execution:
    slippage_points: Decimal = Decimal(0)
    fill_volume: Decimal | None = None
    close_by_hand_after: int | None = None
    hand_reason: str = "mobile"
    close_swap: Decimal = Decimal("0.00")
    close_commission: Decimal = Decimal("0.00")

    def __post_init__(self) -> None:
        if not self.slippage_points.is_finite() or self.slippage_points != self.slippage_points.to_integral():
            raise ValueError(f"slippage_points must be a whole number of points, not {self.slippage_points}")
        if self.fill_volume is not None and not (self.fill_volume.is_finite() and self.fill_volume > 0):
            raise ValueError(f"fill_volume must be a positive volume, not {self.fill_volume}")
        if self.close_by_hand_after is not None and self.close_by_hand_after < 1:
            raise ValueError("close_by_hand_after must be at least 1 market step")
        if self.hand_reason not in HAND_REASONS:
            choices = ", ".join(HAND_REASONS)
            raise ValueError(f"hand_reason must be one of {choices}, not {self.hand_reason!r}")
        for charge in (self.close_swap, self.close_commission):
            if not charge.is_finite() or charge != money(charge):
                raise ValueError(f"close_swap and close_commission are amounts in cents, not {charge}")

    @classmethod
    def parse(cls, text: str) -> Execution:
        """`name=value` pairs separated by commas (the field names above); empty: the default."""
        known = {field.name for field in fields(cls)}
        values: dict[str, object] = {}
        for pair in filter(None, (part.strip() for part in text.split(","))):
            name, sep, value = pair.partition("=")
            name, value = name.strip(), value.strip()
            if not sep or name not in known:
                raise ValueError(f"unknown execution option {pair!r}; choose from {', '.join(sorted(known))}")
            values[name] = _typed(name, value)
        return cls(**values)  # type: ignore[arg-type]

    def filled(self, asked: Decimal) -> Decimal:
        """The volume the broker fills of an order for `asked`."""
        return asked if self.fill_volume is None else min(asked, self.fill_volume)


def split_scenario(spec: str) -> tuple[str, Execution]:
    """`steady` or `steady:slippage_points=60,fill_volume=0.06`: the scenario's name and its execution."""
    name, _, options = spec.partition(":")
    return name.strip(), Execution.parse(options)


def _typed(name: str, value: str) -> object:
    if name == "hand_reason":
        return value
    if name == "close_by_hand_after":
        if not value.isdigit():
            raise ValueError(f"close_by_hand_after must be a whole number of steps, not {value!r}")
        return int(value)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{name} must be a decimal number, not {value!r}") from None


def open_slipped(
    account: SimAccount,
    symbol: str,
    side: str,
    volume: Decimal,
    now: datetime,
    slippage_points: Decimal,
    *,
    magic: int,
    comment: str,
    sl: Decimal | None,
    tp: Decimal | None,
) -> Position:
    """Open at market, `slippage_points` worse than the quote; the quote itself is left as it was."""
    quote = account.quotes.get(symbol)
    if quote is None or not slippage_points:
        return account.open(
            symbol, side, volume, now, reason="expert", magic=magic, comment=comment, sl=sl, tp=tp
        )
    shift = slippage_points * point(symbol)
    account.set_quote(Quote(symbol, quote.bid - shift, quote.ask + shift))
    try:
        return account.open(
            symbol, side, volume, now, reason="expert", magic=magic, comment=comment, sl=sl, tp=tp
        )
    finally:
        account.set_quote(quote)
        account.quotes[symbol] = quote  # keep the quote's own time, which set_quote does not


def close_by_hand(account: SimAccount, ticket: int, now: datetime, execution: Execution) -> Closure:
    """The trader closes the whole position in the terminal: an `out` deal with the hand reason, magic 0,
    charged the execution's swap and commission (realised into the balance with the profit)."""
    closure = account.close(ticket, now, reason=execution.hand_reason)
    deal = account.history[-1]
    charged = replace(deal, swap=execution.close_swap, commission=execution.close_commission)
    account.history[-1] = charged
    account.unsent_deals[account.unsent_deals.index(deal)] = charged
    account.balance += execution.close_swap + execution.close_commission
    return closure
