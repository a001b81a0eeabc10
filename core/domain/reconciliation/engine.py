"""One reconciliation pass of one account: what we expected against what the broker holds.

Pure: the caller gives the account's expected trades, its open positions, the deals it needs (every
stored deal of the positions tied to expected trades, and the deals of the recent window), the closes
our commands settled, the time and the settings; it gets the divergences, each with an id that is the
same however often the same cause is found (so it is stored and reported once). The order of the inputs
does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from core.domain.reconciliation.broker import broker_trades
from core.domain.reconciliation.checks import Context, check_match, check_unexpected
from core.domain.reconciliation.matching import match
from core.domain.reconciliation.model import (
    Divergence,
    DivergenceKind,
    ReconciliationConfig,
    SettledClose,
)
from core.domain.signals import ExpectedTrade
from core.domain.snapshot import Deal, Position

DEFAULT_CONFIG = ReconciliationConfig()
_KIND_ORDER = {kind: index for index, kind in enumerate(DivergenceKind)}


class ReconciliationInputError(ValueError):
    """The inputs contradict themselves (another account's trade, one signal expected twice, one
    ticket open twice); the message names the first problem. Nothing is judged."""


def reconcile(
    account_id: int,
    expected: Iterable[ExpectedTrade],
    positions: Iterable[Position],
    deals: Iterable[Deal],
    closes: Iterable[SettledClose],
    now: datetime,
    config: ReconciliationConfig = DEFAULT_CONFIG,
    watched_since: datetime | None = None,
) -> tuple[Divergence, ...]:
    """`watched_since`: when the account was linked; a trade opened before it is what the trader held
    then, not a manual trade opened while we watched (it stays manual for attribution)."""
    expected, positions = tuple(expected), tuple(positions)
    _validate(account_id, expected, positions, now)
    ctx = Context(account_id, now, config, _our_closes(closes), watched_since)
    trades = broker_trades(positions, deals)
    matching = match(expected, trades, config.grace, config.fill_window)
    found: dict[str, Divergence] = {}
    for one in matching.matches:
        found.update((d.id, d) for d in check_match(one, ctx))
    for trade in matching.unmatched:
        found.update((d.id, d) for d in check_unexpected(trade, ctx))
    return tuple(sorted(found.values(), key=_report_order))


def _validate(
    account_id: int, expected: tuple[ExpectedTrade, ...], positions: tuple[Position, ...], now: datetime
) -> None:
    if now.tzinfo is None:
        raise ReconciliationInputError("now: must carry a time zone (UTC)")
    signals: set[str] = set()
    for index, exp in enumerate(expected):
        if exp.account_id != account_id:
            raise ReconciliationInputError(
                f"expected[{index}].account_id: {exp.account_id} is not the account reconciled ({account_id})"
            )
        if exp.signal_id in signals:
            raise ReconciliationInputError(
                f"expected[{index}].signal_id: {exp.signal_id!r} is expected twice"
            )
        if not exp.volume > 0:
            raise ReconciliationInputError(f"expected[{index}].volume: must be > 0, not {exp.volume}")
        signals.add(exp.signal_id)
    tickets: set[int] = set()
    for index, position in enumerate(positions):
        if position.ticket in tickets:
            raise ReconciliationInputError(f"positions[{index}].ticket: {position.ticket} is listed twice")
        tickets.add(position.ticket)


def _our_closes(closes: Iterable[SettledClose]) -> dict[int, Decimal | None]:
    """Closed volume per ticket over every settled close of ours; None once one closed it whole."""
    ours: dict[int, Decimal | None] = {}
    for close in closes:
        if close.volume is not None and not (close.volume.is_finite() and close.volume > 0):
            raise ReconciliationInputError(f"closes: ticket {close.ticket} closed volume {close.volume}")
        before = ours.get(close.ticket, Decimal(0))
        ours[close.ticket] = None if before is None or close.volume is None else before + close.volume
    return ours


def _report_order(found: Divergence) -> tuple[int, str, int, str]:
    return _KIND_ORDER[found.kind], found.signal_id or "", found.ticket or 0, found.id
