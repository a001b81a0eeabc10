"""Trade attribution: which closed trades the bot made and which the trader made by hand (issue 10).

Pure: deals in, closed trades and a summary per class out. A closed trade is one exit: each `out` (or
`out_by`, or the closing part of a netting `in/out`) deal closes part or all of its position, so a
position closed in three parts is three closed trades, as MT4 and MT5 count them in their reports.

A trade is `bot` when its position was opened by us: an entry deal with the EA's magic number
(`BOT_MAGIC`), a `tg:<signal_id>` comment, or a ticket our commands were acknowledged with
(`bot_tickets`: position or deal tickets). Everything else is `manual`.

P&L of a closed trade = its exit deal's profit + swap + commission, plus the share of the entry's
commission for the volume it closes (the last exit of a position takes what is left, so nothing is lost
to rounding). Slippage is measured against the expected entry of the signal that opened the trade, in
price units, positive when the fill was worse for the trader.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from core.domain.signals import BOT_MAGIC, ExpectedTrade, signal_id_from_comment
from core.domain.snapshot import Deal, DealEntry, DealReason, DealType, Side

HUNDRED = Decimal(100)
_CLOSING = (DealEntry.OUT, DealEntry.OUT_BY, DealEntry.INOUT)


class Origin(StrEnum):
    BOT = "bot"
    MANUAL = "manual"


@dataclass(frozen=True)
class ClosedTrade:
    position: int
    ticket: int  # the exit deal
    symbol: str
    side: Side  # the position's side
    volume: Decimal
    open_time: datetime | None  # None: opened before the history we have
    open_price: Decimal | None
    close_time: datetime
    close_price: Decimal
    profit: Decimal
    swap: Decimal
    commission: Decimal
    origin: Origin
    close_reason: DealReason
    signal_id: str | None = None
    slippage: Decimal | None = None

    @property
    def pnl(self) -> Decimal:
        return self.profit + self.swap + self.commission

    @property
    def won(self) -> bool:
        return self.pnl >= 0  # as MT4 and MT5 count "profit trades": break-even is not a loss


@dataclass(frozen=True)
class ClassSummary:
    origin: Origin
    count: int
    pnl: Decimal
    wins: int
    win_rate_percent: Decimal | None  # None with no trade
    average_slippage: Decimal | None  # None with no trade measured against an expected entry


@dataclass(frozen=True)
class Attribution:
    trades: tuple[ClosedTrade, ...]
    bot: ClassSummary
    manual: ClassSummary

    @property
    def pnl(self) -> Decimal:
        return self.bot.pnl + self.manual.pnl


@dataclass
class _Held:
    """A position as its deals built it so far."""

    side: Side
    volume: Decimal
    price: Decimal
    opened: datetime
    commission: Decimal  # entry commission not yet charged to an exit
    bot: bool
    signal_id: str | None
    entry_tickets: list[int] = field(default_factory=list)


def attribute(
    deals: Iterable[Deal],
    *,
    bot_tickets: Collection[int] = (),
    expected: Iterable[ExpectedTrade] = (),
    since: datetime | None = None,
) -> Attribution:
    """Closed trades (those closed at or after `since`, all when None) and the bot/manual summaries."""
    trades = [
        trade
        for trade in closed_trades(deals, bot_tickets=bot_tickets, expected=expected)
        if since is None or trade.close_time >= since
    ]
    return Attribution(tuple(trades), summarize(trades, Origin.BOT), summarize(trades, Origin.MANUAL))


def attribute_days(
    deals: Iterable[Deal],
    now: datetime,
    days: int,
    *,
    bot_tickets: Collection[int] = (),
    expected: Iterable[ExpectedTrade] = (),
) -> Attribution:
    """`/trades [days]`: the trades closed in the last `days` days up to `now` (days ≥ 1)."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a whole number of at least 1, got {days!r}")
    since = now - timedelta(days=days)
    return attribute(deals, bot_tickets=bot_tickets, expected=expected, since=since)


def closed_trades(
    deals: Iterable[Deal], *, bot_tickets: Collection[int] = (), expected: Iterable[ExpectedTrade] = ()
) -> list[ClosedTrade]:
    """Every exit among `deals` (taken in time order, each ticket once) as a closed trade."""
    unique = {deal.ticket: deal for deal in deals}
    ordered = sorted(unique.values(), key=lambda deal: (deal.time, deal.ticket))
    entries = _expected_entries(expected)
    bot = frozenset(bot_tickets)
    held: dict[int, _Held] = {}
    trades: list[ClosedTrade] = []
    for deal in ordered:
        if deal.type not in (DealType.BUY, DealType.SELL):
            continue
        if deal.entry in _CLOSING:
            trades.append(_close(held, deal, bot, entries))
        if deal.entry is DealEntry.IN:
            _open(held, deal, deal.volume, bot)
    return trades


def summarize(trades: Sequence[ClosedTrade], origin: Origin) -> ClassSummary:
    mine = [trade for trade in trades if trade.origin is origin]
    wins = sum(1 for trade in mine if trade.won)
    slips = [trade.slippage for trade in mine if trade.slippage is not None]
    return ClassSummary(
        origin=origin,
        count=len(mine),
        pnl=sum((trade.pnl for trade in mine), Decimal(0)),
        wins=wins,
        win_rate_percent=Decimal(wins) * HUNDRED / len(mine) if mine else None,
        average_slippage=sum(slips, Decimal(0)) / len(slips) if slips else None,
    )


def _open(held: dict[int, _Held], deal: Deal, volume: Decimal, bot: frozenset[int]) -> None:
    side = Side.BUY if deal.type is DealType.BUY else Side.SELL
    is_bot = deal.magic == BOT_MAGIC or signal_id_from_comment(deal.comment) is not None
    is_bot = is_bot or deal.ticket in bot or deal.position in bot
    position = held.get(deal.position)
    if position is None or position.volume <= 0:
        held[deal.position] = _Held(
            side, volume, deal.price, deal.time, deal.commission, is_bot, signal_id_from_comment(deal.comment)
        )
        held[deal.position].entry_tickets.append(deal.ticket)
        return
    total = position.volume + volume  # adding to a position (netting, or several fills of one order)
    position.price = (position.price * position.volume + deal.price * volume) / total
    position.volume = total
    position.commission += deal.commission
    position.bot = position.bot or is_bot
    position.signal_id = position.signal_id or signal_id_from_comment(deal.comment)
    position.entry_tickets.append(deal.ticket)


def _close(
    held: dict[int, _Held], deal: Deal, bot: frozenset[int], entries: dict[object, Decimal]
) -> ClosedTrade:
    position = held.get(deal.position)
    closing_side = Side.SELL if deal.type is DealType.BUY else Side.BUY
    closed_volume = deal.volume
    commission_share = Decimal(0)
    if position is not None and position.volume > 0:
        closed_volume = min(deal.volume, position.volume)
        commission_share = _commission_share(position, closed_volume)
        position.volume -= closed_volume
    is_bot = position.bot if position is not None else _deal_is_bot(deal, bot)
    signal_id = position.signal_id if position is not None else signal_id_from_comment(deal.comment)
    open_price = position.price if position is not None else None
    trade = ClosedTrade(
        position=deal.position,
        ticket=deal.ticket,
        symbol=deal.symbol,
        side=position.side if position is not None else closing_side,
        volume=closed_volume,
        open_time=position.opened if position is not None else None,
        open_price=open_price,
        close_time=deal.time,
        close_price=deal.price,
        profit=deal.profit,
        swap=deal.swap,
        commission=deal.commission + commission_share,
        origin=Origin.BOT if is_bot else Origin.MANUAL,
        close_reason=deal.reason,
        signal_id=signal_id,
        slippage=_slippage(deal.position, signal_id, position, entries),
    )
    reversed_by = deal.volume - closed_volume
    if deal.entry is DealEntry.INOUT and reversed_by > 0:  # a netting reversal opens the other side
        _open(held, deal, reversed_by, bot)
        held[deal.position].commission = Decimal(0)
    return trade


def _commission_share(position: _Held, volume: Decimal) -> Decimal:
    if volume >= position.volume:
        share = position.commission
    else:
        share = position.commission * volume / position.volume
        share = share.quantize(position.commission) if position.commission else Decimal(0)
    position.commission -= share
    return share


def _deal_is_bot(deal: Deal, bot: frozenset[int]) -> bool:
    return deal.position in bot or deal.ticket in bot or signal_id_from_comment(deal.comment) is not None


def _expected_entries(expected: Iterable[ExpectedTrade]) -> dict[object, Decimal]:
    """Expected entry prices by position ticket (int) and by signal id (str)."""
    entries: dict[object, Decimal] = {}
    for trade in expected:
        if trade.entry is None:
            continue
        if trade.ticket is not None:
            entries[trade.ticket] = trade.entry
        entries.setdefault(trade.signal_id, trade.entry)
    return entries


def _slippage(
    ticket: int, signal_id: str | None, position: _Held | None, entries: dict[object, Decimal]
) -> Decimal | None:
    if position is None:
        return None
    entry = entries.get(ticket)
    if entry is None and signal_id is not None:
        entry = entries.get(signal_id)
    if entry is None:
        return None
    return position.price - entry if position.side is Side.BUY else entry - position.price
