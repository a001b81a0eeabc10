"""Scripted markets: a few hand-written steps each, deterministic, short enough for the demo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from itertools import accumulate, cycle, islice, takewhile

from sim.scenarios.account import SimAccount
from sim.scenarios.market import PIP, MarketStep, Quote, money
from sim.scenarios.scenario import open_before, quote_steps


def _eurusd(bid: Decimal) -> tuple[Decimal, Decimal]:
    return bid, bid + PIP


EURUSD_OPEN = Quote("EURUSD", Decimal("1.08540"), Decimal("1.08550"))
STEADY_NOISE_PIPS = (0, 1, -1, 2, 0, -2, 1, -1, 3, 0, -1, 1, -2, 0, 2)


def steady(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A 0.10 lot EURUSD buy while the price wobbles a few pips around flat: 30 steps."""
    open_before(account, now, EURUSD_OPEN, "buy", "0.10")
    noise = islice(cycle(STEADY_NOISE_PIPS), 30)
    return quote_steps("EURUSD", [_eurusd(EURUSD_OPEN.bid + pips * PIP) for pips in noise])


BLEED_PIPS = (5, 8, 6, 10, 7, 9)


def slow_bleed(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A 1.00 lot EURUSD buy on 10,000: 5 to 10 pips (0.5–1% of equity) lost a step, to ~25% down."""
    open_before(account, now, EURUSD_OPEN, "buy", "1.00")
    drops = takewhile(lambda fall: fall < 260, accumulate(cycle(BLEED_PIPS)))
    return quote_steps("EURUSD", [_eurusd(EURUSD_OPEN.bid - fall * PIP) for fall in drops])


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
    open_before(account, now, Quote("EURCHF", Decimal("1.20092"), Decimal("1.20100")), "buy", "0.50")
    return quote_steps("EURCHF", [(Decimal(bid), Decimal(ask)) for bid, ask in CRASH_QUOTES])


def withdrawal(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A flat market and a 30% withdrawal at the fourth step: equity drops, nothing is lost trading."""
    open_before(account, now, EURUSD_OPEN, "buy", "0.10")
    flat = MarketStep((Quote("EURUSD", Decimal("1.08600"), Decimal("1.08610")),))
    withdraw = MarketStep(flat.quotes, balance_change=-money(account.balance * Decimal("0.30")))
    return iter([flat, flat, flat, withdraw, flat, flat, flat])


def deposit_listed_twice(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A flat market and a 5,000 deposit that the terminal lists twice in one snapshot."""
    open_before(account, now, EURUSD_OPEN, "buy", "0.10")
    flat = MarketStep((Quote("EURUSD", Decimal("1.08600"), Decimal("1.08610")),))
    deposit = MarketStep(flat.quotes, balance_change=Decimal("5000.00"), list_twice=True)
    return iter([flat, flat, flat, deposit, flat, flat, flat])


def withdrawal_listed_twice(account: SimAccount, now: datetime) -> Iterator[MarketStep]:
    """A 1.00 lot EURUSD buy on 10,000 loses 21 % (210 pips) in the step where 3,000 is withdrawn, and
    the terminal lists the withdrawal twice in that snapshot: a real breach, whatever the listing."""
    open_before(account, now, EURUSD_OPEN, "buy", "1.00")
    flat = MarketStep((EURUSD_OPEN,))
    fallen = (Quote("EURUSD", *_eurusd(EURUSD_OPEN.bid - 210 * PIP)),)
    withdraw = MarketStep(fallen, balance_change=Decimal("-3000.00"), list_twice=True)
    return iter([flat, flat, withdraw, MarketStep(fallen), MarketStep(fallen), MarketStep(fallen)])
