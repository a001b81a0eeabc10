"""Replay an imported history through the real guard: when would it have closed the account out?

A statement has no tick equity, only what each close and cash flow did to the balance, so the guard sees
one observation per moment at which the balance moved, with equity = balance (open trades' floating
losses are invisible: the real guard, watching equity, would have fired at or before this moment, never
after). Deposits and withdrawals are passed as cash flows, so they move the peak as PRODUCT.md says
instead of counting as gains or losses.

    python -m core.statements.replay <report file>

prints the moment and the numbers behind it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from core.domain.guard import (
    DrawdownWarned,
    GuardConfig,
    GuardState,
    LiquidationTriggered,
    Observation,
    observe,
)
from core.domain.snapshot import Deal
from core.statements import parse_statement

REPLAY_CONFIG = GuardConfig(grace_seconds=0)


@dataclass(frozen=True)
class BalancePoint:
    time: datetime
    balance: Decimal
    cash_flow: Decimal  # deposits minus withdrawals at this moment (already in `balance`)


@dataclass(frozen=True)
class GuardReplay:
    points: tuple[BalancePoint, ...]
    warnings: tuple[tuple[datetime, Decimal], ...]  # (moment, level) of each drawdown warning
    breach: LiquidationTriggered | None
    breach_at: datetime | None
    balance_at_breach: Decimal | None
    peak_at_breach: Decimal | None  # the guard's peak (moved in proportion by each cash flow)


def balance_points(deals: Iterable[Deal]) -> list[BalancePoint]:
    """The balance after every moment at which deals moved it (each ticket once, in time order)."""
    moments: dict[datetime, tuple[Decimal, Decimal]] = {}
    for deal in {deal.ticket: deal for deal in deals}.values():
        change = deal.profit + deal.swap + deal.commission
        if change == 0:
            continue
        moved, flow = moments.get(deal.time, (Decimal(0), Decimal(0)))
        moments[deal.time] = (moved + change, flow + (change if deal.is_cash_flow else 0))
    points: list[BalancePoint] = []
    balance = Decimal(0)
    for moment in sorted(moments):
        moved, flow = moments[moment]
        balance += moved
        points.append(BalancePoint(moment, balance, flow))
    return points


def replay(deals: Iterable[Deal], config: GuardConfig = REPLAY_CONFIG) -> GuardReplay:
    """Feed the balance history to `core.domain.guard.observe` until its first liquidation."""
    points = balance_points(deals)
    state: GuardState | None = None
    warnings: list[tuple[datetime, Decimal]] = []
    for point in points:
        flows = (point.cash_flow,) if point.cash_flow and state is not None else ()
        obs = Observation(point.time, point.balance, point.balance, (), cash_flows=flows)
        state, events = observe(state, obs, config)
        warnings += [(point.time, e.level) for e in events if isinstance(e, DrawdownWarned)]
        breach = next((e for e in events if isinstance(e, LiquidationTriggered)), None)
        if breach is not None:
            return GuardReplay(
                tuple(points), tuple(warnings), breach, point.time, point.balance, state.peak_equity
            )
    return GuardReplay(tuple(points), tuple(warnings), None, None, None, None)


def describe(result: GuardReplay, currency: str) -> list[str]:
    lines = [f"{len(result.points)} balance changes replayed through the guard (equity = closed balance)"]
    lines += [
        f"warning at {level}% drawdown: {moment:%Y-%m-%d %H:%M:%S}" for moment, level in result.warnings
    ]
    if result.breach is None or result.breach_at is None:
        return [*lines, "the guard would not have liquidated this account"]
    peak = (result.peak_at_breach or Decimal(0)).quantize(Decimal("0.01"))
    return [
        *lines,
        f"the guard would have liquidated at {result.breach_at:%Y-%m-%d %H:%M:%S} (server time): "
        f"{result.breach.reason.value}, balance {result.balance_at_breach} {currency}, "
        f"peak {peak} {currency}, drawdown {result.breach.drawdown_percent}%",
    ]


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m core.statements.replay <report file>", file=sys.stderr)
        return 2
    statement = parse_statement(Path(argv[0]).read_bytes())
    account = statement.account
    print(f"account {account.login} ({account.currency}), {len(statement.deals)} deals")
    for line in describe(replay(statement.deals), account.currency):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
