"""The guard's rules as plain arithmetic: cash flows, warning levels, breaches, retry back-off."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal, localcontext
from fractions import Fraction

from core.domain.guard.config import GuardConfig
from core.domain.guard.events import BreachReason
from core.domain.guard.state import GuardState, GuardStatus

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

    The proportion is rounded up (a reference a hair higher, a loss a hair deeper): an account exactly
    on a limit before the flow stays on it after, so the rounding never carries a result across a limit
    toward the looser side.
    """
    if flow == 0:
        return reference
    before = equity - flow
    if before <= 0:
        return bounded(max(reference + flow, Decimal(0)))
    with localcontext() as exact_up:
        exact_up.rounding = ROUND_CEILING
        moved = reference * equity / before
    return bounded(max(moved, Decimal(0)))


Rearming = tuple[tuple[Decimal, datetime], ...]


def update_warnings(
    warned: tuple[Decimal, ...],
    rearming: Rearming,
    drawdown: Fraction,
    levels: Iterable[Decimal],
    now: datetime,
    rearm_after: timedelta,
) -> tuple[tuple[Decimal, ...], Rearming, list[Decimal]]:
    """Re-arm the levels the drawdown has recovered from, then find the newly crossed ones.

    A warned level re-arms only once the drawdown has stayed a full `REARM_MARGIN` point below it
    (warned at 10: under 9) for `rearm_after`, seen by a snapshot at each end: a drawdown that bounces
    around a level in a fast market warns once, not on every bounce. Any snapshot back within the point
    starts the wait again. Returns the warned levels, the levels waiting to re-arm (with since when),
    and the levels crossed now, lowest first.
    """
    since = dict(rearming)
    kept: list[Decimal] = []
    waiting: list[tuple[Decimal, datetime]] = []
    for level in warned:
        if drawdown >= Fraction(level - REARM_MARGIN):
            kept.append(level)
            continue
        start = since.get(level, now)
        if now - start < rearm_after:
            kept.append(level)
            waiting.append((level, start))
    crossed = [level for level in sorted(levels) if drawdown >= Fraction(level) and level not in kept]
    return tuple(sorted(kept + crossed)), tuple(waiting), crossed


def find_breach(state: GuardState, config: GuardConfig) -> BreachReason | None:
    """The first limit the last snapshot breaches, in the order drawdown, daily loss, minimum equity.

    Compared exactly (no rounded percent). An account not funded breaches nothing (`GuardState.funded`).
    """
    if not state.funded:
        return None
    if state.exact_drawdown >= Fraction(config.effective_max_drawdown_percent):
        return BreachReason.MAX_DRAWDOWN
    if _daily_loss_breached(state, config.daily_loss_limit_percent):
        return BreachReason.DAILY_LOSS
    if state.min_equity_armed and state.last_equity < config.min_equity:  # disarmed by an admin's fresh start
        return BreachReason.MIN_EQUITY
    return None


def breaches_at_once(state: GuardState, personal_limit: Decimal) -> bool:
    """Whether a personal drawdown limit set now would liquidate the account on its next snapshot (at the
    same equity): an account under watch and funded, already that far below its peak."""
    watching = state.status in (GuardStatus.NORMAL, GuardStatus.WARNING)
    return watching and state.funded and state.exact_drawdown >= Fraction(personal_limit)


def is_funded(equity: Decimal, config: GuardConfig) -> bool:
    """Money to guard: equity above 0 and at least the minimum equity."""
    return equity > 0 and equity >= config.min_equity


def still_funded(was_funded: bool, equity: Decimal, flow: Decimal, config: GuardConfig) -> bool:
    """Armed once funded; disarmed when a withdrawal, not a loss, takes the account below funded (a cash
    flow never triggers a breach: a trader who empties the account is not closed out for it)."""
    if not was_funded:
        return is_funded(equity, config)
    withdrawn_below = flow < 0 and not is_funded(equity, config) and is_funded(equity - flow, config)
    return not withdrawn_below


def retry_delay(failed_attempts: int) -> timedelta:
    """Back-off before re-issuing a failed close_all: 5 s, 10 s, 20 s, 40 s, then every 60 s."""
    exponent = min(max(failed_attempts - 1, 0), 8)
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2**exponent, RETRY_MAX_SECONDS))


def _daily_loss_breached(state: GuardState, limit: Decimal | None) -> bool:
    """Breach when (day_open_balance - equity) / day_open_balance * 100 >= limit, exactly."""
    return limit is not None and state.exact_daily_loss >= Fraction(limit)
