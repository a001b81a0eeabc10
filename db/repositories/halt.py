"""SQL for the global halt (core.services.halt) and the gate every command a halt stops goes through.

Halting and issuing are serialised by one advisory lock: a halt holds it exclusively until it commits,
each open_position holds it shared. So a command is either committed before the halt (and the halt
withdraws it while pending) or inserted after it (and refused). The trigger of migration 0006 checks
again inside the database, for any writer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.commands import CommandStatus, CommandType
from core.domain.halt import Halt, TradingHalted
from db.tables import AccountRow, CommandRow, HaltRow, UserRow
from db.touched import touch_accounts

HALTS = HaltRow.__table__
COMMANDS = CommandRow.__table__
HALT_LOCK = (7307, 1)  # the trigger of migration 0006 takes it too
OPEN_HALT = select(HaltRow).where(HaltRow.resumed_at.is_(None))
COMMAND_COLUMNS = ("id", "account_id", "dedupe_key", "type", "body", "status", "created_at", "expires_at")
ISSUE_UNLESS_HALTED = (
    pg_insert(COMMANDS)
    .from_select(
        COMMAND_COLUMNS,
        select(*(bindparam(name, type_=COMMANDS.c[name].type) for name in COMMAND_COLUMNS)).where(
            ~exists(select(HALTS.c.id).where(HALTS.c.resumed_at.is_(None)))
        ),
    )
    .on_conflict_do_nothing(index_elements=[COMMANDS.c.dedupe_key])
    .returning(*COMMANDS.c)
)


def _halt(row: HaltRow) -> Halt:
    return Halt(row.id, row.halted_at, row.halted_by, row.note, row.resumed_at, row.resumed_by)


async def _open_halt(session: AsyncSession) -> Halt | None:
    row = await session.scalar(OPEN_HALT)
    return _halt(row) if row is not None else None


async def issue_unless_halted(session: AsyncSession, params: dict[str, Any]) -> Row[Any] | None:
    """Insert a command a halt stops, unless a halt is open (checked in the INSERT itself); None when its
    dedupe key was issued before. Raises TradingHalted, and nothing is inserted, while halted."""
    await session.execute(select(func.pg_advisory_xact_lock_shared(*HALT_LOCK)))
    row = (await session.execute(ISSUE_UNLESS_HALTED, params)).first()
    if row is None:
        current = await _open_halt(session)
        if current is not None:
            raise TradingHalted(current)
    return row


class SqlHaltRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current(self) -> Halt | None:
        """The halt in force, if any."""
        return await _open_halt(self.session)

    async def lock(self) -> Halt | None:
        """Wait for every open_position being issued to commit, hold off new ones until this unit of
        work ends, and return the halt in force."""
        await self.session.execute(select(func.pg_advisory_xact_lock(*HALT_LOCK)))
        return await _open_halt(self.session)

    async def start(self, by: str, note: str, now: datetime) -> Halt:
        row = (
            await self.session.execute(
                insert(HaltRow).values(halted_at=now, halted_by=by, note=note).returning(HaltRow)
            )
        ).scalar_one()
        return _halt(row)

    async def end(self, halt: Halt, by: str, now: datetime) -> Halt:
        row = (
            await self.session.execute(
                update(HaltRow)
                .where(HaltRow.id == halt.number)
                .values(resumed_at=now, resumed_by=by)
                .returning(HaltRow)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one()
        return _halt(row)

    async def withdraw_pending(self, types: Iterable[CommandType], now: datetime) -> list[str]:
        """Commands of these types issued before the halt and not yet acknowledged are cancelled: an
        order queued before a halt must not open a position during it, nor a stale one after it (a
        cancelled command is in no answer, and its ack changes nothing)."""
        statement = (
            update(CommandRow)
            .where(
                CommandRow.type.in_([kind.value for kind in types]),
                CommandRow.status == CommandStatus.PENDING.value,
                CommandRow.expires_at > now,
            )
            .values(status=CommandStatus.CANCELLED.value, acked_at=now)
            .returning(CommandRow.id, CommandRow.account_id)
            .execution_options(synchronize_session=False)
        )
        rows = list((await self.session.execute(statement)).all())
        touch_accounts(self.session, {account_id for _, account_id in rows})
        return sorted(command_id for command_id, _ in rows)

    async def trader_chats(self) -> list[int]:
        """The chat of every user with a linked account who has not blocked the bot."""
        found = await self.session.scalars(
            select(UserRow.telegram_id)
            .where(UserRow.blocked_bot.is_(False), exists().where(AccountRow.user_id == UserRow.id))
            .order_by(UserRow.telegram_id)
        )
        return list(found)
