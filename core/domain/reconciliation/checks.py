"""What is wrong with one matched bot trade, or with a trade nobody expected: each rule gives the
divergences it finds, with their evidence."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain.reconciliation.broker import (
    ZERO,
    BrokerTrade,
    average_price,
    total_volume,
    value_per_price_unit,
)
from core.domain.reconciliation.matching import Match
from core.domain.reconciliation.model import (
    CLOSED_HOW_BY_REASON,
    ClosedHow,
    Divergence,
    DivergenceKind,
    Evidence,
    ReconciliationConfig,
    VolumeCause,
    divergence,
)
from core.domain.signals import ExpectedTrade, signal_id_from_comment
from core.domain.snapshot import Deal, DealReason, Side
from core.domain.symbols import point_size

CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.00000001")
Kind = DivergenceKind


@dataclass(frozen=True)
class Context:
    account_id: int
    now: datetime
    config: ReconciliationConfig
    ours: Mapping[int, Decimal | None]  # closed by our commands: ticket → volume (None: all of it)


@dataclass(frozen=True)
class Closing:
    """A trade's closing deals split into ours (our close commands, through the EA) and the others."""

    ours: tuple[Deal, ...]
    external: tuple[Deal, ...]


def split_closing(trade: BrokerTrade, ours: Mapping[int, Decimal | None]) -> Closing:
    """Our closes come through the EA (reason `expert`), up to the volume our acks say we closed; a
    stop-out, a stop loss or a hand is never ours."""
    if trade.ticket not in ours:
        return Closing((), trade.outs)
    left = ours[trade.ticket]
    mine: list[Deal] = []
    others: list[Deal] = []
    for deal in trade.outs:
        if deal.reason is DealReason.EXPERT and (left is None or left > 0):
            mine.append(deal)
            left = None if left is None else left - deal.volume
        else:
            others.append(deal)
    return Closing(tuple(mine), tuple(others))


def check_match(found: Match, ctx: Context) -> Iterator[Divergence]:
    exp, trade = found.expected, found.trade
    if trade is None:
        yield from _missing(exp, ctx)
        return
    yield from _duplicates(found, ctx)
    closing = split_closing(trade, ctx.ours)
    ours, foreign = _own_fill(exp, trade)
    settled = _settled(trade, ctx.now, ctx.config)
    if settled and ours and not _netting_duplicate(exp, ours):
        filled = total_volume(ours)
        if filled != exp.volume:
            yield _volume(exp, trade, ctx, VolumeCause.PARTIAL_FILL, exp.volume, filled)
    if trade.position is None:
        yield from _closed(exp, trade, closing, ctx)
    else:
        if foreign:
            filled = total_volume(ours)
            yield _volume(exp, trade, ctx, VolumeCause.NETTING, filled, filled + total_volume(foreign))
        if closing.external:
            left = trade.position.volume + total_volume(closing.external)  # had nobody else closed
            how = CLOSED_HOW_BY_REASON[closing.external[-1].reason]
            yield _volume(exp, trade, ctx, VolumeCause.PARTIAL_CLOSE, left, trade.position.volume, how)
        if settled:
            yield from _deals_incomplete(trade, ctx, exp.signal_id)
        yield from _sl_tp(exp, trade, ctx)
    yield from _slippage(exp, trade, ours, ctx)


def check_unexpected(trade: BrokerTrade, ctx: Context) -> Iterator[Divergence]:
    """A trade no expected trade claims: the trader's own, once it is older than the grace window.
    One the EA opened for a signal (a `tg:` comment) that this pass was not given is not the trader's."""
    if trade.signal_ids or not _settled(trade, ctx.now, ctx.config):
        return
    evidence = Evidence(
        symbol=trade.symbol,
        side=trade.side,
        actual_volume=trade.position.volume if trade.position else total_volume(trade.ins),
        actual_price=trade.position.open_price if trade.position else average_price(trade.ins),
    )
    yield divergence(Kind.MANUAL_POSITION, ctx.account_id, None, trade.ticket, evidence)
    if trade.position is not None:
        yield from _deals_incomplete(trade, ctx, None)


def _missing(exp: ExpectedTrade, ctx: Context) -> Iterator[Divergence]:
    evidence = Evidence(symbol=exp.symbol, side=exp.side, expected_volume=exp.volume)
    if exp.ticket is not None:  # the ack named a position, which is gone with no closing deal seen
        if exp.ticket not in ctx.ours:
            gone = Evidence(symbol=exp.symbol, side=exp.side, how=ClosedHow.UNKNOWN)
            yield divergence(Kind.CLOSED_EXTERNALLY, ctx.account_id, exp.signal_id, exp.ticket, gone)
    elif ctx.now >= exp.queued_at + ctx.config.fill_window + ctx.config.grace:
        yield divergence(Kind.NOT_EXECUTED, ctx.account_id, exp.signal_id, None, evidence)


def _duplicates(found: Match, ctx: Context) -> Iterator[Divergence]:
    exp = found.expected
    tickets: tuple[int, ...] = ()
    if found.extra and found.trade is not None:
        tickets = tuple(sorted(trade.ticket for trade in (found.trade, *found.extra)))
    elif found.trade is not None:
        ours, _ = _own_fill(exp, found.trade)
        if _netting_duplicate(exp, ours):
            tickets = tuple(sorted(deal.ticket for deal in ours))
    if tickets:
        evidence = Evidence(symbol=exp.symbol, side=exp.side, expected_volume=exp.volume, tickets=tickets)
        yield divergence(Kind.DUPLICATE_EXECUTION, ctx.account_id, exp.signal_id, None, evidence)


def _own_fill(exp: ExpectedTrade, trade: BrokerTrade) -> tuple[tuple[Deal, ...], tuple[Deal, ...]]:
    """The opening deals of our fill (tagged with the signal; all of them when none is tagged, as when
    the match was by ticket or by time) and the others (netting: other trades merged into it)."""
    tagged = tuple(deal for deal in trade.ins if signal_id_from_comment(deal.comment) == exp.signal_id)
    if not tagged:
        return trade.ins, ()
    return tagged, tuple(deal for deal in trade.ins if deal not in tagged)


def _netting_duplicate(exp: ExpectedTrade, ours: tuple[Deal, ...]) -> bool:
    """A netting account merges a second fill of the signal into the same position: its deals tagged
    with the signal then hold at least twice the signal's volume (a partial fill's pieces add up to at
    most once). Untagged deals (a match by ticket or time) tell nothing of which order made them."""
    tagged = [deal for deal in ours if signal_id_from_comment(deal.comment) == exp.signal_id]
    return len(tagged) > 1 and total_volume(tagged) >= 2 * exp.volume


def _settled(trade: BrokerTrade, now: datetime, config: ReconciliationConfig) -> bool:
    """Older than the grace window, counted from its latest opening deal (more pieces of a fill, or a
    fill the snapshot has not caught yet, may still come)."""
    latest = max((deal.time for deal in trade.ins), default=trade.opened_at)
    return now - max(latest, trade.opened_at) >= config.grace


def _closed(exp: ExpectedTrade, trade: BrokerTrade, closing: Closing, ctx: Context) -> Iterator[Divergence]:
    if closing.external:
        how = CLOSED_HOW_BY_REASON[closing.external[-1].reason]
    elif closing.ours:
        return
    elif trade.ticket in ctx.ours:
        return  # we closed it; its closing deal has not reached us
    else:
        how = ClosedHow.UNKNOWN
    evidence = Evidence(
        symbol=trade.symbol,
        side=trade.side,
        how=how,
        actual_volume=total_volume(closing.external) or None,
        actual_price=closing.external[-1].price if closing.external else None,
    )
    yield divergence(Kind.CLOSED_EXTERNALLY, ctx.account_id, exp.signal_id, trade.ticket, evidence)


def _deals_incomplete(trade: BrokerTrade, ctx: Context, signal_id: str | None) -> Iterator[Divergence]:
    """An open position whose known deals do not make its volume: a fill outside what we were told
    (before the window, a missed snapshot) or a broker that netted something we never saw."""
    if trade.position is None or not trade.ins:
        return
    known = trade.net_volume()
    if known != trade.position.volume:
        evidence = Evidence(
            symbol=trade.symbol,
            side=trade.side,
            cause=VolumeCause.DEALS_INCOMPLETE,
            expected_volume=known,
            actual_volume=trade.position.volume,
        )
        yield divergence(Kind.VOLUME_MISMATCH, ctx.account_id, signal_id, trade.ticket, evidence)


def _volume(
    exp: ExpectedTrade,
    trade: BrokerTrade,
    ctx: Context,
    cause: VolumeCause,
    expected: Decimal,
    actual: Decimal,
    how: ClosedHow | None = None,
) -> Divergence:
    evidence = Evidence(
        symbol=trade.symbol,
        side=trade.side,
        how=how,
        cause=cause,
        expected_volume=expected,
        actual_volume=actual,
    )
    return divergence(Kind.VOLUME_MISMATCH, ctx.account_id, exp.signal_id, trade.ticket, evidence)


def _sl_tp(exp: ExpectedTrade, trade: BrokerTrade, ctx: Context) -> Iterator[Divergence]:
    position = trade.position
    assert position is not None
    tolerance = ctx.config.sl_tp_tolerance(exp.symbol) * point_size(trade.symbol, ctx.config.points)
    actual_sl, actual_tp = _level(position.sl), _level(position.tp)
    if _differs(exp.sl, actual_sl, tolerance) or _differs(exp.tp, actual_tp, tolerance):
        evidence = Evidence(
            symbol=trade.symbol,
            side=trade.side,
            expected_sl=exp.sl,
            actual_sl=actual_sl,
            expected_tp=exp.tp,
            actual_tp=actual_tp,
        )
        yield divergence(Kind.SL_TP_CHANGED, ctx.account_id, exp.signal_id, trade.ticket, evidence)


def _level(value: Decimal | None) -> Decimal | None:
    """MT5 reports no stop as 0."""
    return value if value else None


def _differs(expected: Decimal | None, actual: Decimal | None, tolerance: Decimal) -> bool:
    if expected is None or actual is None:
        return expected != actual
    return abs(actual - expected) > tolerance


def _slippage(
    exp: ExpectedTrade, trade: BrokerTrade, ours: tuple[Deal, ...], ctx: Context
) -> Iterator[Divergence]:
    fill = average_price(ours) if ours else trade.position.open_price if trade.position else None
    if exp.entry is None or fill is None:
        return
    fill = fill.quantize(PRICE_PLACES)  # BRIDGE.md: at most 8 decimal places
    point = point_size(trade.symbol, ctx.config.points)
    against = (fill - exp.entry) if trade.side is Side.BUY else (exp.entry - fill)
    points = against / point
    tolerance = ctx.config.slippage_tolerance(exp.symbol)
    if abs(points) <= tolerance:
        return
    volume = total_volume(ours) if ours else trade.position.volume if trade.position else ZERO
    per_unit = value_per_price_unit(trade, fill)
    cost = None if per_unit is None else (against * volume * per_unit).quantize(CENT)
    evidence = Evidence(
        symbol=trade.symbol,
        side=trade.side,
        expected_price=exp.entry,
        actual_price=fill,
        expected_volume=exp.volume,
        actual_volume=volume,
        points=points.quantize(Decimal("0.1")),
        tolerance_points=tolerance,
        cost=cost,
    )
    yield divergence(Kind.SLIPPAGE, ctx.account_id, exp.signal_id, trade.ticket, evidence)
