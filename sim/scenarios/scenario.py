"""What a scenario is, and the moves every scenario starts from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sim.scenarios.account import SimAccount
from sim.scenarios.market import MarketStep, Quote

ScenarioBuilder = Callable[[SimAccount, datetime], Iterator[MarketStep]]


@dataclass
class Scenario:
    name: str
    account: SimAccount
    steps: Iterator[MarketStep]


def quote_steps(symbol: str, prices: list[tuple[Decimal, Decimal]]) -> Iterator[MarketStep]:
    for bid, ask in prices:
        yield MarketStep((Quote(symbol, bid, ask),))


def open_before(account: SimAccount, now: datetime, quote: Quote, side: str, volume: str) -> None:
    """The trader's position from before the link: opened an hour ago at the given quote."""
    account.set_quote(quote)
    account.open(quote.symbol, side, Decimal(volume), now - timedelta(hours=1), reason="client")
