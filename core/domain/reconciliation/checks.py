"""What is wrong with one matched bot trade, or with a trade nobody expected: each rule gives the
divergences it finds, with their evidence."""

from __future__ import annotations

from collections.abc import Mapping
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
from core.domain.signals import ExpectedTrade
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
    watched_since: datetime | None = None  # trades opened before are the trader's holdings when linked


@dataclass(frozen=True)
class Closing:
    """A trade's closing deals split into ours (our close commands, through the EA) and the others."""

    ours: tuple[Deal, ...]
    external: tuple[Deal, ...]


NOT_CLOSED = Closing((), ())


def split_closing(trade: BrokerTrade, ours: Mapping[int, Decimal | None]) -> Closing:
    """Our closes come through the EA (reason `expert`), up to the volume our acks say we closed; a
    stop-out, a stop loss or a hand is never ours."""
    if trade.ticket not in ours:
        return Closing((), trade.outs) if trade.outs else NOT_CLOSED
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


@dataclass(frozen=True)
class Fill:
    """The opening deals of our fill (those tagged with the signal; all of them when none is, as when
    the match was by ticket or by time) and the others (netting: other trades merged into it)."""

    ours: tuple[Deal, ...]
    foreign: tuple[Deal, ...]
    tagged: bool
    volume: Decimal  # of ours

    def duplicated(self, exp: ExpectedTrade) -> bool:
        """A netting account merges a second fill of the signal into the same position: its tagged deals
        then hold at least twice the signal's volume (a partial fill's pieces add up to at most once).
        Untagged deals (a match by ticket or time) tell nothing of which order made them."""
        return self.tagged and len(self.ours) > 1 and self.volume >= 2 * exp.volume


def own_fill(exp: ExpectedTrade, trade: BrokerTrade) -> Fill:
    comment = exp.comment
    tagged = tuple(deal for deal in trade.ins if deal.comment == comment)
    if not tagged:
        return Fill(trade.ins, (), False, total_volume(trade.ins))
    foreign = (
        tuple(deal for deal in trade.ins if deal.comment != comment) if len(tagged) < len(trade.ins) else ()
    )
    return Fill(tagged, foreign, True, total_volume(tagged))


def check_match(found: Match, ctx: Context) -> list[Divergence]:
    exp, trade = found.expected, found.trade
    if trade is None:
        return _kept(_missing(exp, ctx))
    fill = own_fill(exp, trade)
    found_here = [_duplicates(found, fill, ctx)]
    settled = _settled(trade, ctx.now, ctx.config)
    if settled and fill.ours and not fill.duplicated(exp) and fill.volume != exp.volume:
        found_here.append(_volume(exp, trade, ctx, VolumeCause.PARTIAL_FILL, exp.volume, fill.volume))
    closing = split_closing(trade, ctx.ours)
    if trade.position is None:
        found_here.append(_closed(exp, trade, closing, ctx))
    else:
        if fill.foreign:
            mixed = fill.volume + total_volume(fill.foreign)
            found_here.append(_volume(exp, trade, ctx, VolumeCause.NETTING, fill.volume, mixed))
        if closing.external:
            left = trade.position.volume + total_volume(closing.external)  # had nobody else closed
            how = CLOSED_HOW_BY_REASON[closing.external[-1].reason]
            volume = trade.position.volume
            found_here.append(_volume(exp, trade, ctx, VolumeCause.PARTIAL_CLOSE, left, volume, how))
        if settled:
            found_here.append(_deals_incomplete(trade, ctx, exp.signal_id))
        found_here.append(_sl_tp(exp, trade, ctx))
    found_here.append(_slippage(exp, trade, fill.ours, ctx))
    return _kept(*found_here)


def check_unexpected(trade: BrokerTrade, ctx: Context) -> list[Divergence]:
    """A trade no expected trade claims: the trader's own, once it is older than the grace window.
    One the EA opened for a signal (a `tg:` comment) that this pass was not given is not the trader's."""
    if trade.signal_ids or not _settled(trade, ctx.now, ctx.config):
        return []
    if ctx.watched_since is not None and trade.opened_at < ctx.watched_since:
        return []  # held before the account was linked: nothing was opened while we watched
    evidence = Evidence(
        symbol=trade.symbol,
        side=trade.side,
        actual_volume=trade.position.volume if trade.position else total_volume(trade.ins),
        actual_price=trade.position.open_price if trade.position else average_price(trade.ins),
    )
    manual = divergence(Kind.MANUAL_POSITION, ctx.account_id, None, trade.ticket, evidence)
    return _kept(manual, _deals_incomplete(trade, ctx, None))


def _kept(*found: Divergence | None) -> list[Divergence]:
    return [one for one in found if one is not None]


def _missing(exp: ExpectedTrade, ctx: Context) -> Divergence | None:
    evidence = Evidence(symbol=exp.symbol, side=exp.side, expected_volume=exp.volume)
    if exp.ticket is not None:  # the ack named a position, which is gone with no closing deal seen
        if exp.ticket not in ctx.ours:
            gone = Evidence(symbol=exp.symbol, side=exp.side, how=ClosedHow.UNKNOWN)
            return divergence(Kind.CLOSED_EXTERNALLY, ctx.account_id, exp.signal_id, exp.ticket, gone)
    elif ctx.now >= exp.queued_at + ctx.config.fill_window + ctx.config.grace:
        return divergence(Kind.NOT_EXECUTED, ctx.account_id, exp.signal_id, None, evidence)
    return None


def _duplicates(found: Match, fill: Fill, ctx: Context) -> Divergence | None:
    exp = found.expected
    if not found.extra and len(fill.ours) < 2:
        return None
    tickets: tuple[int, ...] = ()
    if found.extra and found.trade is not None:
        tickets = tuple(sorted(trade.ticket for trade in (found.trade, *found.extra)))
    elif fill.duplicated(exp):
        tickets = tuple(sorted(deal.ticket for deal in fill.ours))
    if tickets:
        evidence = Evidence(symbol=exp.symbol, side=exp.side, expected_volume=exp.volume, tickets=tickets)
        return divergence(Kind.DUPLICATE_EXECUTION, ctx.account_id, exp.signal_id, None, evidence)
    return None


def _settled(trade: BrokerTrade, now: datetime, config: ReconciliationConfig) -> bool:
    """Older than the grace window, counted from its latest opening deal (more pieces of a fill, or a
    fill the snapshot has not caught yet, may still come)."""
    latest = max(trade.ins[-1].time, trade.opened_at) if trade.ins else trade.opened_at  # ins: time order
    return now - latest >= config.grace


def _closed(exp: ExpectedTrade, trade: BrokerTrade, closing: Closing, ctx: Context) -> Divergence | None:
    if closing.external:
        how = CLOSED_HOW_BY_REASON[closing.external[-1].reason]
    elif closing.ours:
        return None
    elif trade.ticket in ctx.ours:
        return None  # we closed it; its closing deal has not reached us
    else:
        how = ClosedHow.UNKNOWN
    evidence = Evidence(
        symbol=trade.symbol,
        side=trade.side,
        how=how,
        actual_volume=total_volume(closing.external) or None,
        actual_price=closing.external[-1].price if closing.external else None,
    )
    return divergence(Kind.CLOSED_EXTERNALLY, ctx.account_id, exp.signal_id, trade.ticket, evidence)


def _deals_incomplete(trade: BrokerTrade, ctx: Context, signal_id: str | None) -> Divergence | None:
    """An open position whose known deals do not make its volume: a fill outside what we were told
    (before the window, a missed snapshot) or a broker that netted something we never saw."""
    if trade.position is None or not trade.ins:
        return None
    known = trade.net_volume()
    if known != trade.position.volume:
        evidence = Evidence(
            symbol=trade.symbol,
            side=trade.side,
            cause=VolumeCause.DEALS_INCOMPLETE,
            expected_volume=known,
            actual_volume=trade.position.volume,
        )
        return divergence(Kind.VOLUME_MISMATCH, ctx.account_id, signal_id, trade.ticket, evidence)
    return None


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


def _sl_tp(exp: ExpectedTrade, trade: BrokerTrade, ctx: Context) -> Divergence | None:
    position = trade.position
    assert position is not None
    actual_sl, actual_tp = _level(position.sl), _level(position.tp)
    if exp.sl == actual_sl and exp.tp == actual_tp:
        return None
    tolerance = ctx.config.sl_tp_tolerance(exp.symbol) * point_size(trade.symbol, ctx.config.points)
    if _differs(exp.sl, actual_sl, tolerance) or _differs(exp.tp, actual_tp, tolerance):
        evidence = Evidence(
            symbol=trade.symbol,
            side=trade.side,
            expected_sl=exp.sl,
            actual_sl=actual_sl,
            expected_tp=exp.tp,
            actual_tp=actual_tp,
        )
        return divergence(Kind.SL_TP_CHANGED, ctx.account_id, exp.signal_id, trade.ticket, evidence)
    return None


def _level(value: Decimal | None) -> Decimal | None:
    """MT5 reports no stop as 0."""
    return value if value else None


def _differs(expected: Decimal | None, actual: Decimal | None, tolerance: Decimal) -> bool:
    if expected is None or actual is None:
        return expected != actual
    return abs(actual - expected) > tolerance


def _fill_price(trade: BrokerTrade, ours: tuple[Deal, ...]) -> Decimal | None:
    """One deal's price, the volume-weighted price of a fill in pieces (to 8 places, as BRIDGE.md), or
    the position's open price when its deals are not known."""
    if len(ours) == 1:
        return ours[0].price
    if ours:
        average = average_price(ours)
        return None if average is None else average.quantize(PRICE_PLACES)
    return trade.position.open_price if trade.position else None


def _slippage(
    exp: ExpectedTrade, trade: BrokerTrade, ours: tuple[Deal, ...], ctx: Context
) -> Divergence | None:
    if exp.entry is None:
        return None
    fill = _fill_price(trade, ours)
    if fill is None:
        return None
    point = point_size(trade.symbol, ctx.config.points)
    against = (fill - exp.entry) if trade.side is Side.BUY else (exp.entry - fill)
    points = against / point
    tolerance = ctx.config.slippage_tolerance(exp.symbol)
    if abs(points) <= tolerance:
        return None
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
    return divergence(Kind.SLIPPAGE, ctx.account_id, exp.signal_id, trade.ticket, evidence)
