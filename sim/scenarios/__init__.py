"""A simulated MetaTrader 5 account and scripted, deterministic market scenarios.

- `market`: quotes, market steps, and MT5's rounding of money and prices.
- `account`: the simulated account (positions, deals, stop-out) and its P&L model.
- `scenario`: what a scenario is; `scripted`: hand-written markets; `replays`: real-data markets.
"""

from __future__ import annotations

from datetime import datetime

from sim.scenarios.account import (
    STOP_OUT_LEVEL,
    TG_MAGIC,
    Closure,
    Deal,
    Position,
    SimAccount,
)
from sim.scenarios.market import (
    CENT,
    CONTRACT_SIZES,
    DEFAULT_CONTRACT_SIZE,
    LOT_STEP,
    PIP,
    PRICE_DIGITS,
    ManualOrder,
    MarketStep,
    Quote,
    contract_size,
    money,
    price,
)
from sim.scenarios.replays import (
    GOLD_CLOSE_PATH,
    REPLAY_TICKS_PATH,
    crash_replay,
    gold_rollover,
    read_m1_bars,
    read_ticks,
)
from sim.scenarios.scenario import Scenario, ScenarioBuilder
from sim.scenarios.scripted import (
    BLEED_PIPS,
    CRASH_QUOTES,
    EURUSD_OPEN,
    STEADY_NOISE_PIPS,
    crash,
    deposit_listed_twice,
    slow_bleed,
    steady,
    withdrawal,
    withdrawal_listed_twice,
)

__all__ = [
    "BLEED_PIPS",
    "CENT",
    "CONTRACT_SIZES",
    "CRASH_QUOTES",
    "DEFAULT_CONTRACT_SIZE",
    "EURUSD_OPEN",
    "GOLD_CLOSE_PATH",
    "LOT_STEP",
    "PIP",
    "PRICE_DIGITS",
    "REPLAY_TICKS_PATH",
    "SCENARIOS",
    "STEADY_NOISE_PIPS",
    "STOP_OUT_LEVEL",
    "TG_MAGIC",
    "Closure",
    "Deal",
    "ManualOrder",
    "MarketStep",
    "Position",
    "Quote",
    "Scenario",
    "ScenarioBuilder",
    "SimAccount",
    "build_scenario",
    "contract_size",
    "crash",
    "crash_replay",
    "deposit_listed_twice",
    "gold_rollover",
    "money",
    "price",
    "read_m1_bars",
    "read_ticks",
    "slow_bleed",
    "steady",
    "withdrawal",
    "withdrawal_listed_twice",
]

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
