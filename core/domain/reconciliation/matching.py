"""Which broker trade each expected trade became.

First the sure links: the position ticket the EA's ack named, then the `tg:<signal_id>` comment the EA
gives every position it opens for us. Then, for what is left, the fallback: the same symbol (a broker's
suffix aside) and side, opened within the fill window of the queued command, the nearest in time first.
Everything is walked in a sorted order, so the result does not depend on the order of the inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.domain.reconciliation.broker import BrokerTrade
from core.domain.signals import ExpectedTrade
from core.domain.symbols import base_symbol


class MatchedBy(StrEnum):
    TICKET = "ticket"
    COMMENT = "comment"
    WINDOW = "window"


@dataclass(frozen=True)
class Match:
    """An expected trade and the trade it became (`trade` None: none yet). `extra` are further positions
    carrying the same signal: a duplicate execution."""

    expected: ExpectedTrade
    trade: BrokerTrade | None
    by: MatchedBy | None = None
    extra: tuple[BrokerTrade, ...] = ()


@dataclass(frozen=True)
class Matching:
    matches: tuple[Match, ...]
    unmatched: tuple[BrokerTrade, ...]  # trades no expected trade claims, by ticket


def match(
    expected: Iterable[ExpectedTrade], trades: Mapping[int, BrokerTrade], grace: timedelta, window: timedelta
) -> Matching:
    ordered = sorted(expected, key=lambda e: (e.queued_at, e.signal_id, e.command_id))
    tagged = _by_signal(trades.values())
    claimed: set[int] = set()
    matches: dict[str, Match] = {}
    for exp in ordered:
        found = sure_match(exp, trades, tagged.get(exp.signal_id, ()))
        if found.trade is not None:
            matches[exp.signal_id] = found
            claimed.add(found.trade.ticket)
            claimed.update(trade.ticket for trade in found.extra)
    waiting = [exp for exp in ordered if exp.signal_id not in matches]
    if waiting:
        expected_ids = {exp.signal_id for exp in ordered}
        spare = [
            trade
            for ticket, trade in sorted(trades.items())
            if ticket not in claimed and not (trade.signal_ids & expected_ids)
        ]
        for exp in waiting:
            found = _by_window(exp, spare, grace, window)
            if found.trade is not None:
                claimed.add(found.trade.ticket)
                spare.remove(found.trade)
            matches[exp.signal_id] = found
    unmatched = tuple(trades[ticket] for ticket in sorted(trades.keys() - claimed))
    return Matching(tuple(matches[exp.signal_id] for exp in ordered), unmatched)


def sure_match(exp: ExpectedTrade, trades: Mapping[int, BrokerTrade], tagged: Iterable[BrokerTrade]) -> Match:
    """By the acked ticket, else by the comment (the earliest tagged trade); every other trade tagged
    with the signal is an extra execution of it."""
    candidates = sorted(tagged, key=_age_order)
    by_ticket = trades.get(exp.ticket) if exp.ticket is not None else None
    if by_ticket is not None:
        extra = tuple(trade for trade in candidates if trade.ticket != by_ticket.ticket)
        return Match(exp, by_ticket, MatchedBy.TICKET, extra)
    if candidates:
        return Match(exp, candidates[0], MatchedBy.COMMENT, tuple(candidates[1:]))
    return Match(exp, None)


def _by_window(exp: ExpectedTrade, spare: list[BrokerTrade], grace: timedelta, window: timedelta) -> Match:
    earliest, latest = exp.queued_at - grace, exp.queued_at + window + grace
    symbol = base_symbol(exp.symbol)
    fits = [
        trade
        for trade in spare
        if trade.side is exp.side
        and earliest <= trade.opened_at <= latest
        and base_symbol(trade.symbol) == symbol
    ]
    if not fits:
        return Match(exp, None)
    nearest = min(fits, key=lambda trade: (_distance(trade.opened_at, exp.queued_at), trade.ticket))
    return Match(exp, nearest, MatchedBy.WINDOW)


def _by_signal(trades: Iterable[BrokerTrade]) -> dict[str, list[BrokerTrade]]:
    tagged: dict[str, list[BrokerTrade]] = {}
    for trade in trades:
        for signal_id in trade.signal_ids:
            tagged.setdefault(signal_id, []).append(trade)
    return tagged


def _age_order(trade: BrokerTrade) -> tuple[datetime, int]:
    return trade.opened_at, trade.ticket


def _distance(a: datetime, b: datetime) -> timedelta:
    return abs(a - b)
