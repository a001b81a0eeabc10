"""Expected trades, positions and deals for the reconciliation tests, with sensible defaults: a bot
trade of signal `sig_1` on EURUSD, queued at T0, filled a second later exactly as expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.domain.reconciliation import (
    Divergence,
    DivergenceKind,
    ReconciliationConfig,
    SettledClose,
    reconcile,
)
from core.domain.signals import BOT_MAGIC, ExpectedTrade
from core.domain.snapshot import Deal, DealEntry, DealReason, DealType, Position, Side

ACCOUNT = 41
T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)  # every window and grace long past


def D(value: str | int) -> Decimal:
    return Decimal(value)


def expect(
    signal_id: str = "sig_1",
    symbol: str = "EURUSD",
    side: Side = Side.BUY,
    volume: str = "0.10",
    entry: str | None = "1.08550",
    sl: str | None = "1.08000",
    tp: str | None = "1.09500",
    ticket: int | None = None,
    queued_at: datetime = T0,
    account_id: int = ACCOUNT,
) -> ExpectedTrade:
    return ExpectedTrade(
        signal_id=signal_id,
        account_id=account_id,
        command_id=f"cmd_{signal_id}",
        symbol=symbol,
        side=side,
        volume=D(volume),
        queued_at=queued_at,
        entry=None if entry is None else D(entry),
        sl=None if sl is None else D(sl),
        tp=None if tp is None else D(tp),
        ticket=ticket,
    )


def opening(
    ticket: int,
    position: int,
    exp: ExpectedTrade,
    volume: str | None = None,
    price: str | None = None,
    at: timedelta = timedelta(seconds=1),
    comment: str | None = None,
) -> Deal:
    return Deal(
        ticket=ticket,
        position=position,
        symbol=exp.symbol,
        type=DealType.BUY if exp.side is Side.BUY else DealType.SELL,
        entry=DealEntry.IN,
        reason=DealReason.EXPERT,
        volume=exp.volume if volume is None else D(volume),
        price=(exp.entry or D(1)) if price is None else D(price),
        time=exp.queued_at + at,
        profit=D(0),
        magic=BOT_MAGIC,
        comment=exp.comment if comment is None else comment,
    )


def closing(
    ticket: int, position: int, exp: ExpectedTrade, reason: DealReason, volume: str | None = None
) -> Deal:
    return Deal(
        ticket=ticket,
        position=position,
        symbol=exp.symbol,
        type=DealType.SELL if exp.side is Side.BUY else DealType.BUY,
        entry=DealEntry.OUT,
        reason=reason,
        volume=exp.volume if volume is None else D(volume),
        price=exp.entry or D(1),
        time=exp.queued_at + timedelta(minutes=10),
        profit=D("-5.00"),
    )


def held(
    ticket: int,
    exp: ExpectedTrade,
    volume: str | None = None,
    open_price: str | None = None,
    price: str | None = None,
    profit: str = "0",
    sl: str | None = "same",
    tp: str | None = "same",
    comment: str | None = None,
    magic: int = BOT_MAGIC,
    at: timedelta = timedelta(seconds=1),
    symbol: str | None = None,
) -> Position:
    entry = exp.entry or D(1)
    return Position(
        ticket=ticket,
        symbol=exp.symbol if symbol is None else symbol,
        side=exp.side,
        volume=exp.volume if volume is None else D(volume),
        open_price=entry if open_price is None else D(open_price),
        open_time=exp.queued_at + at,
        price=entry if price is None else D(price),
        profit=D(profit),
        sl=exp.sl if sl == "same" else None if sl is None else D(sl),
        tp=exp.tp if tp == "same" else None if tp is None else D(tp),
        magic=magic,
        comment=exp.comment if comment is None else comment,
    )


@dataclass
class Book:
    """One account's inputs, reconciled with `run()`."""

    expected: list[ExpectedTrade] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    closes: list[SettledClose] = field(default_factory=list)

    def copy_of(self, exp: ExpectedTrade, ticket: int) -> Book:
        """`exp` filled exactly as expected: one position and its opening deal."""
        self.expected.append(exp)
        return self.filled(exp, ticket)

    def filled(self, exp: ExpectedTrade, ticket: int) -> Book:
        """The broker's side of `exp` filled exactly: a position and its opening deal."""
        self.positions.append(held(ticket, exp))
        self.deals.append(opening(ticket * 10, ticket, exp))
        return self

    def run(
        self,
        now: datetime = LATER,
        config: ReconciliationConfig | None = None,
        watched_since: datetime | None = None,
    ) -> tuple[Divergence, ...]:
        settings = config or ReconciliationConfig()
        return reconcile(
            ACCOUNT, self.expected, self.positions, self.deals, self.closes, now, settings, watched_since
        )


def kinds(found: tuple[Divergence, ...]) -> list[DivergenceKind]:
    return [d.kind for d in found]


def only(found: tuple[Divergence, ...], kind: DivergenceKind) -> Divergence:
    matching = [d for d in found if d.kind is kind]
    assert len(matching) == 1, found
    return matching[0]
