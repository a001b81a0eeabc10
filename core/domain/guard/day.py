"""The trading day's opening balance: where the day's loss (DAILY_LOSS_LIMIT_PERCENT) is measured from.

It is the balance at the day's boundary (`DailyLossBase.BALANCE`, as FTMO: the floating profit of a
position held across the boundary is not protected), or the higher of balance and equity there
(`MAX_BALANCE_EQUITY`, as The5ers). The first snapshot of a day is seldom at the boundary: when the EA
was off overnight, the balance may have moved since, by trades closed and cash moved after midnight.
The balance at the boundary is then rebuilt from that snapshot's new deals (the EA sends every deal
not yet accepted), when they explain the whole move since the last snapshot. When they do not, and
the feed was silent at the boundary, the day is unknown: the day's loss is counted from this
snapshot and the trader and admins are told (`TradingDayOpenUnknown`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from core.domain.guard.config import DailyLossBase, GuardConfig, trading_day_start
from core.domain.guard.events import GuardEvent, TradingDayOpenUnknown
from core.domain.guard.rules import rescale_for_cash_flow
from core.domain.guard.state import BalanceDeal, GuardState, Observation
from core.domain.snapshot import Deal, DealType

ZERO = Decimal(0)


def balance_deals(deals: Iterable[Deal]) -> tuple[BalanceDeal, ...]:
    """`Observation.deals` from a snapshot's new deals (each ticket once): a trade moves the balance by
    its profit, commission and swap; a deposit or withdrawal by its amount; a credit moves equity only."""
    return tuple(
        BalanceDeal(
            time=deal.time,
            balance_change=ZERO
            if deal.type is DealType.CREDIT
            else deal.profit + deal.commission + deal.swap,
            cash_flow=deal.profit if deal.is_cash_flow else ZERO,
        )
        for deal in deals
    )


def day_base(balance: Decimal, equity: Decimal, config: GuardConfig) -> Decimal:
    """The day's opening balance from a balance and equity seen at the boundary."""
    if config.daily_loss_base is DailyLossBase.MAX_BALANCE_EQUITY:
        return max(balance, equity)
    return balance


def open_new_day(
    state: GuardState, obs: Observation, day_key: str, config: GuardConfig
) -> tuple[Decimal, list[GuardEvent]]:
    """The opening balance of trading day `day_key`, whose first snapshot is `obs`."""
    boundary = trading_day_start(day_key, config)
    live = not state.stale and boundary - state.last_snapshot_at <= timedelta(
        seconds=config.stale_feed_seconds
    )
    after = [deal for deal in obs.deals if deal.time >= boundary]
    if state.last_balance + sum((deal.balance_change for deal in obs.deals), ZERO) == obs.balance:
        balance_at = obs.balance - sum((deal.balance_change for deal in after), ZERO)
        flows_after = sum((deal.cash_flow for deal in after), ZERO)
    elif live:  # deals not told: the balance of the last snapshot, seconds before the boundary
        balance_at, flows_after = state.last_balance, obs.net_cash_flow
    else:
        return _unknown(state, obs, day_key, config)
    if config.daily_loss_base is DailyLossBase.MAX_BALANCE_EQUITY:
        if not live:  # the floating profit at the boundary is not in any deal
            return _unknown(state, obs, day_key, config, balance_at)
        flows_before = obs.net_cash_flow - flows_after
        balance_at = max(balance_at, state.last_equity + flows_before)
    return rescale_for_cash_flow(balance_at, obs.equity, flows_after), []


def _unknown(
    state: GuardState,
    obs: Observation,
    day_key: str,
    config: GuardConfig,
    balance_at: Decimal | None = None,
) -> tuple[Decimal, list[GuardEvent]]:
    day_open = balance_at if balance_at is not None else day_base(obs.balance, obs.equity, config)
    if config.daily_loss_limit_percent is None:  # nothing is measured from it: nothing to tell
        return day_open, []
    return day_open, [TradingDayOpenUnknown(day_key, day_open, state.last_snapshot_at)]
