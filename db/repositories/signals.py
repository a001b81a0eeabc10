"""SQL for signals (core.services.signals): the signals, their deliveries, the expected trades and the
users' signal modes. The ticket of an expected trade is read from its command's stored ack, so the ack
path needs no hook: the EA's ack of the open_position names the position it opened."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, cast, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.commands import CommandStatus
from core.domain.guard.state import GuardStatus
from core.domain.signals import Delivery, DeliveryStatus, ExpectedTrade, Signal, SignalMode, SkipReason
from core.domain.snapshot import Side
from core.services.ports.signals import Follower
from db.tables import (
    AccountRow,
    AccountStateRow,
    CommandRow,
    ExpectedTradeRow,
    SignalDeliveryRow,
    SignalRow,
    UserRow,
)

OUT_OF_TRADING = (GuardStatus.LIQUIDATION_PENDING, GuardStatus.LIQUIDATING, GuardStatus.LIQUIDATED)
FOLLOWERS = (
    select(
        AccountRow.id,
        AccountRow.login,
        AccountRow.server,
        UserRow.id.label("owner_id"),
        UserRow.telegram_id,
        UserRow.signal_mode,
        AccountStateRow.currency,
        AccountStateRow.guard,
    )
    .join(UserRow, UserRow.id == AccountRow.user_id)
    .outerjoin(AccountStateRow, AccountStateRow.account_id == AccountRow.id)
    .order_by(AccountRow.id)
)
# The position the EA opened, as its ack of the open_position names it (BRIDGE.md, ack `results`).
ACKED_TICKET = cast(CommandRow.ack["results"][0]["ticket"].astext, BigInteger).label("acked_ticket")


def _follower(row: Any) -> Follower:
    guard = row.guard or {}
    return Follower(
        account_id=row.id,
        login=row.login,
        server=row.server,
        owner_id=row.owner_id,
        owner_telegram_id=row.telegram_id,
        mode=SignalMode(row.signal_mode),
        currency=row.currency or "",
        locked=bool(guard.get("locked")),
        liquidated=guard.get("status") in OUT_OF_TRADING,
    )


def _signal(row: SignalRow) -> Signal:
    return Signal(
        id=row.id,
        symbol=row.symbol,
        side=Side(row.side),
        received_at=row.received_at,
        volume=row.volume,
        risk_percent=row.risk_percent,
        sl=row.sl,
        tp=row.tp,
        entry=row.entry,
        expires_at=row.expires_at,
    )


def _delivery(row: SignalDeliveryRow) -> Delivery:
    return Delivery(
        signal_id=row.signal_id,
        account_id=row.account_id,
        mode=SignalMode(row.mode),
        status=DeliveryStatus(row.status),
        reason=SkipReason(row.reason) if row.reason else None,
        volume=row.volume,
        command_id=row.command_id,
    )


def _expected(row: ExpectedTradeRow, acked_ticket: int | None) -> ExpectedTrade:
    return ExpectedTrade(
        signal_id=row.signal_id,
        account_id=row.account_id,
        command_id=row.command_id,
        symbol=row.symbol,
        side=Side(row.side),
        volume=row.volume,
        queued_at=row.queued_at,
        entry=row.entry,
        sl=row.sl,
        tp=row.tp,
        expires_at=row.expires_at,
        ticket=row.ticket if row.ticket is not None else acked_ticket,
    )


class SqlSignalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, signal: Signal) -> bool:
        statement = (
            insert(SignalRow)
            .values(
                id=signal.id,
                symbol=signal.symbol,
                side=signal.side.value,
                volume=signal.volume,
                risk_percent=signal.risk_percent,
                sl=signal.sl,
                tp=signal.tp,
                entry=signal.entry,
                expires_at=signal.expires_at,
                received_at=signal.received_at,
            )
            .on_conflict_do_nothing(index_elements=[SignalRow.id])
            .returning(SignalRow.id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def get(self, signal_id: str) -> Signal | None:
        row = await self.session.scalar(select(SignalRow).where(SignalRow.id == signal_id))
        return _signal(row) if row is not None else None

    async def followers(self) -> list[Follower]:
        return [_follower(row) for row in await self.session.execute(FOLLOWERS)]

    async def follower(self, account_id: int) -> Follower | None:
        row = (await self.session.execute(FOLLOWERS.where(AccountRow.id == account_id))).first()
        return _follower(row) if row is not None else None

    async def add_delivery(self, delivery: Delivery, now: datetime) -> None:
        await self.session.execute(
            insert(SignalDeliveryRow)
            .values(**_delivery_values(delivery), created_at=now)
            .on_conflict_do_nothing(
                index_elements=[SignalDeliveryRow.signal_id, SignalDeliveryRow.account_id]
            )
        )

    async def lock_delivery(self, signal_id: str, account_id: int) -> Delivery | None:
        row = await self.session.scalar(
            select(SignalDeliveryRow)
            .where(SignalDeliveryRow.signal_id == signal_id, SignalDeliveryRow.account_id == account_id)
            .with_for_update()
        )
        return _delivery(row) if row is not None else None

    async def decide(self, delivery: Delivery, now: datetime) -> None:
        await self.session.execute(
            update(SignalDeliveryRow)
            .where(
                SignalDeliveryRow.signal_id == delivery.signal_id,
                SignalDeliveryRow.account_id == delivery.account_id,
            )
            .values(**_delivery_values(delivery), decided_at=now)
            .execution_options(synchronize_session=False)
        )

    async def deliveries(self, signal_id: str) -> list[Delivery]:
        rows = await self.session.scalars(
            select(SignalDeliveryRow)
            .where(SignalDeliveryRow.signal_id == signal_id)
            .order_by(SignalDeliveryRow.account_id)
        )
        return [_delivery(row) for row in rows]

    async def add_expected(self, trade: ExpectedTrade) -> None:
        await self.session.execute(
            insert(ExpectedTradeRow)
            .values(
                command_id=trade.command_id,
                signal_id=trade.signal_id,
                account_id=trade.account_id,
                symbol=trade.symbol,
                side=trade.side.value,
                volume=trade.volume,
                entry=trade.entry,
                sl=trade.sl,
                tp=trade.tp,
                expires_at=trade.expires_at,
                queued_at=trade.queued_at,
                ticket=trade.ticket,
            )
            .on_conflict_do_nothing()
        )

    async def expected(self, account_id: int) -> list[ExpectedTrade]:
        done = (CommandRow.status == CommandStatus.DONE.value).label("done")
        rows = await self.session.execute(
            select(ExpectedTradeRow, ACKED_TICKET, done)
            .join(CommandRow, CommandRow.id == ExpectedTradeRow.command_id)
            .where(ExpectedTradeRow.account_id == account_id)
            .order_by(ExpectedTradeRow.queued_at, ExpectedTradeRow.command_id)
        )
        return [_expected(row, acked_ticket if is_done else None) for row, acked_ticket, is_done in rows]

    async def mode(self, user_id: int) -> SignalMode:
        found = await self.session.scalar(select(UserRow.signal_mode).where(UserRow.id == user_id))
        return SignalMode(found) if found else SignalMode.APPROVE

    async def set_mode(self, user_id: int, mode: SignalMode) -> None:
        await self.session.execute(
            update(UserRow).where(UserRow.id == user_id).values(signal_mode=mode.value)
        )


def _delivery_values(delivery: Delivery) -> dict[str, object]:
    volume: Decimal | None = delivery.volume
    return {
        "signal_id": delivery.signal_id,
        "account_id": delivery.account_id,
        "mode": delivery.mode.value,
        "status": delivery.status.value,
        "reason": delivery.reason.value if delivery.reason else None,
        "volume": volume,
        "command_id": delivery.command_id,
    }
