"""The broker's side as trades: each position id with its open position (if still open) and its known
deals, and the facts reconciliation reads from them (filled volume and price, who closed it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain.signals import signal_id_from_comment
from core.domain.snapshot import Deal, DealEntry, DealType, Position, Side

ZERO = Decimal(0)
_SIDE_OF_DEAL = {DealType.BUY: Side.BUY, DealType.SELL: Side.SELL}


@dataclass(frozen=True, slots=True)
class BrokerTrade:
    """One position id as the broker shows it. `position` is None once it is closed (only its deals tell
    of it then). `ins` are its opening deals (entry `in`), `outs` its closing ones (`out`, `inout`,
    `out_by`), each in time order. `signal_ids`: the signals its comment and its opening deals name
    (`tg:<id>`)."""

    ticket: int
    symbol: str
    side: Side
    opened_at: datetime
    position: Position | None
    ins: tuple[Deal, ...]
    outs: tuple[Deal, ...]
    signal_ids: frozenset[str]

    @property
    def is_open(self) -> bool:
        return self.position is not None

    def net_volume(self) -> Decimal:
        """What the known deals leave open, on the trade's side (netting: every buy adds to a long)."""
        total = ZERO
        for deal in (*self.ins, *self.outs):
            total += deal.volume if _SIDE_OF_DEAL[deal.type] is self.side else -deal.volume
        return total


def broker_trades(positions: Iterable[Position], deals: Iterable[Deal]) -> dict[int, BrokerTrade]:
    """Trades by position ticket, from the open positions and the trading deals (cash flows and deals
    of no position left out). Deals are taken once per ticket (the first copy), in (time, ticket) order,
    so the result does not depend on the order of the inputs."""
    by_position: dict[int, dict[int, Deal]] = {}
    for deal in deals:
        if deal.position and deal.type in _SIDE_OF_DEAL:
            by_position.setdefault(deal.position, {}).setdefault(deal.ticket, deal)
    open_positions = {position.ticket: position for position in positions}
    trades: dict[int, BrokerTrade] = {}
    for ticket in open_positions.keys() | by_position.keys():
        trade = _trade(ticket, open_positions.get(ticket), by_position.get(ticket, {}))
        if trade is not None:
            trades[ticket] = trade
    return trades


def _trade(ticket: int, position: Position | None, deals: Mapping[int, Deal]) -> BrokerTrade | None:
    ordered = sorted(deals.values(), key=_time_order) if len(deals) > 1 else list(deals.values())
    ins = tuple(deal for deal in ordered if deal.entry is DealEntry.IN)
    outs = (
        tuple(deal for deal in ordered if deal.entry is not DealEntry.IN) if len(ins) < len(ordered) else ()
    )
    comments = {deal.comment for deal in ins}
    if position is not None:
        comments.add(position.comment)
    tags = frozenset(_signal_ids(comments))
    if position is not None:
        return BrokerTrade(
            ticket, position.symbol, position.side, position.open_time, position, ins, outs, tags
        )
    if ins:
        first = ins[0]
        return BrokerTrade(ticket, first.symbol, _SIDE_OF_DEAL[first.type], first.time, None, ins, outs, tags)
    return None  # only closing deals of a position opened before what we know: nothing to judge


def _signal_ids(comments: Iterable[str]) -> Iterator[str]:
    for comment in comments:
        signal_id = signal_id_from_comment(comment)
        if signal_id is not None:
            yield signal_id


def _time_order(deal: Deal) -> tuple[datetime, int]:
    return deal.time, deal.ticket


def average_price(deals: Iterable[Deal]) -> Decimal | None:
    """The volume-weighted price of the deals (one fill split over several deals is one price)."""
    volume = value = ZERO
    for deal in deals:
        volume += deal.volume
        value += deal.volume * deal.price
    return value / volume if volume else None


def total_volume(deals: Iterable[Deal]) -> Decimal:
    return sum((deal.volume for deal in deals), ZERO)


def value_per_price_unit(trade: BrokerTrade, entry: Decimal | None) -> Decimal | None:
    """Account currency per 1.0 of price per lot, read from what the broker says the trade is worth:
    the open position's profit over its price move, or a closing deal's profit over its move from the
    entry. This is the contract size times the conversion to the account currency, which the snapshot
    does not give; None when no move has been priced yet (price still at the open)."""
    sign = 1 if trade.side is Side.BUY else -1
    if trade.position is not None:
        move = (trade.position.price - trade.position.open_price) * sign
        if move and trade.position.volume and trade.position.profit:
            return trade.position.profit / move / trade.position.volume
    for deal in trade.outs:
        if entry is not None and deal.volume:
            move = (deal.price - entry) * sign
            if move and deal.profit:
                return deal.profit / move / deal.volume
    return None
