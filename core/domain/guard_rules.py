"""The guard's rules as plain arithmetic: cash flows, warning levels, breaches, retry back-off."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from core.domain.guard_config import GuardConfig
from core.domain.guard_events import BreachReason
from core.domain.guard_state import GuardState

REARM_MARGIN = Decimal(1)
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 60
# The largest amount the guard keeps, as every amount on the bridge: under 10^16 with 8 decimal places
# (BRIDGE.md's range; what is stored beside the guard's state holds exactly that much).
MAX_AMOUNT = Decimal("9999999999999999.99999999")


def bounded(amount: Decimal) -> Decimal:
    """`amount`, or MAX_AMOUNT when it is larger.

    Only a reference level moved for a cash flow gets there: a deposit many times the equity it lands
    on (a wiped-out account refilled) multiplies the peak by the same factor. Such an account is
    already far past any limit, and the bounded peak keeps it so (a drawdown of 90 % and more for any
    equity under 10^15); refusing the snapshot instead would refuse every resend of that real deposit
    and leave the account unguarded.
    """
    return min(amount, MAX_AMOUNT)


def rescale_for_cash_flow(reference: Decimal, equity: Decimal, flow: Decimal) -> Decimal:
    """Move a reference level (the peak, the day's opening balance) with a deposit or withdrawal.

    `equity` already includes `flow`. The reference moves in proportion to the equity
    (x equity / (equity - flow)), so how far equity is below it, in percent, is exactly what
    it would be without the flow: a withdrawal is not a loss and a deposit is not a gain,
    and neither can trigger or mask a breach. At the peak this is the same as moving the
    peak by the flow's amount. With no positive equity before the flow there is no
    proportion to keep, and the reference moves by the amount. Never past MAX_AMOUNT (see `bounded`).
    """
    if flow == 0:
        return reference
    before = equity - flow
    if before <= 0:
        return bounded(max(reference + flow, Decimal(0)))
    return bounded(max(reference * (equity / before), Decimal(0)))


def update_warnings(
    warned: tuple[Decimal, ...], drawdown: Decimal, levels: Iterable[Decimal]
) -> tuple[tuple[Decimal, ...], list[Decimal]]:
    """Re-arm the levels the drawdown has recovered from, then warn the newly crossed ones.

    A level stays warned until the drawdown is a full `REARM_MARGIN` point below it
    (warned at 10: re-armed when the drawdown is under 9), so a drawdown hovering around a
    level warns once, not on every snapshot. Returns the warned levels and the new ones.
    """
    kept = tuple(level for level in warned if drawdown >= level - REARM_MARGIN)
    crossed = [level for level in levels if drawdown >= level and level not in kept]
    return tuple(sorted(kept + tuple(crossed))), crossed


def find_breach(state: GuardState, config: GuardConfig) -> BreachReason | None:
    """The first limit the last snapshot breaches, in the order drawdown, daily loss, minimum equity."""
    if state.drawdown_percent >= config.effective_max_drawdown_percent:
        return BreachReason.MAX_DRAWDOWN
    if _daily_loss_breached(state, config.daily_loss_limit_percent):
        return BreachReason.DAILY_LOSS
    if state.min_equity_armed and state.last_equity < config.min_equity:  # disarmed by an admin's fresh start
        return BreachReason.MIN_EQUITY
    return None


def retry_delay(failed_attempts: int) -> timedelta:
    """Back-off before re-issuing a failed close_all: 5 s, 10 s, 20 s, 40 s, then every 60 s."""
    exponent = min(max(failed_attempts - 1, 0), 8)
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2**exponent, RETRY_MAX_SECONDS))


def _daily_loss_breached(state: GuardState, limit: Decimal | None) -> bool:
    """Breach when (day_open_balance - equity) / day_open_balance * 100 >= limit."""
    return limit is not None and state.daily_loss_percent >= limit
