"""Commands for the terminals (BRIDGE.md): issued once per dedupe key, carried in every answer while
pending, settled by the EA's ack or withdrawn."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.commands import CommandRequest, CommandStatus, CommandType, IssuedCommand, wire_body
from core.domain.halt import halt_stops
from db.repositories.halt import issue_unless_halted
from db.tables import CommandRow
from db.touched import touch_accounts

COMMANDS = CommandRow.__table__
ISSUE_COMMAND = (
    insert(COMMANDS).on_conflict_do_nothing(index_elements=[COMMANDS.c.dedupe_key]).returning(*COMMANDS.c)
)


def _command(row: Any) -> IssuedCommand:
    """A `commands` row (an ORM row or a Core one: the same attributes) as the domain's command."""
    return IssuedCommand(
        row.id,
        row.account_id,
        CommandType(row.type),
        CommandStatus(row.status),
        row.body,
        row.ack,
        row.dedupe_key,
    )


class SqlCommandRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issue(
        self, account_id: int, request: CommandRequest, now: datetime, ttl_seconds: int
    ) -> IssuedCommand | None:
        """Insert once per dedupe key; None when that key was already issued. A type a halt stops raises
        TradingHalted while halted (core.domain.halt)."""
        command_id = "cmd_" + secrets.token_hex(10)
        body = wire_body(command_id, request, now, now + timedelta(seconds=ttl_seconds))
        params = {
            "id": command_id,
            "account_id": account_id,
            "dedupe_key": request.dedupe_key,
            "type": request.type.value,
            "body": body,
            "status": CommandStatus.PENDING.value,
            "created_at": now,
            "expires_at": now + timedelta(seconds=ttl_seconds),
        }
        if halt_stops(request.type):  # refused in the INSERT itself while halted (db.repositories.halt)
            row = await issue_unless_halted(self.session, params)
        else:
            row = (await self.session.execute(ISSUE_COMMAND, params)).first()
        touch_accounts(self.session, {account_id})
        return _command(row) if row is not None else None

    async def get_for(self, command_id: str, account_id: int) -> IssuedCommand | None:
        row = await self.session.scalar(
            select(CommandRow)
            .where(CommandRow.id == command_id, CommandRow.account_id == account_id)
            .with_for_update()
        )
        return _command(row) if row is not None else None

    async def record_ack(
        self, command_id: str, status: CommandStatus, ack: dict[str, Any], now: datetime
    ) -> None:
        result = await self.session.execute(
            update(CommandRow)
            .where(CommandRow.id == command_id)
            .values(status=status.value, ack=ack, acked_at=now)
            .returning(CommandRow.account_id)
        )
        touch_accounts(self.session, set(result.scalars()))

    async def with_key_prefix(self, account_id: int, prefix: str) -> list[IssuedCommand]:
        rows = await self.session.scalars(
            select(CommandRow)
            .where(CommandRow.account_id == account_id, CommandRow.dedupe_key.startswith(prefix))
            .order_by(CommandRow.created_at, CommandRow.issued)
        )
        return [_command(row) for row in rows]

    async def cancel_pending(self, account_id: int, key_prefix: str, now: datetime) -> int:
        result = await self.session.execute(
            update(CommandRow)
            .where(
                CommandRow.account_id == account_id,
                CommandRow.status == CommandStatus.PENDING.value,
                CommandRow.dedupe_key.startswith(key_prefix, autoescape=True),
            )
            .values(status=CommandStatus.CANCELLED.value, acked_at=now)
        )
        touch_accounts(self.session, {account_id})
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def pending_count(self, account_id: int, now: datetime) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    CommandRow.account_id == account_id,
                    CommandRow.status == CommandStatus.PENDING.value,
                    CommandRow.expires_at > now,
                )
            )
            or 0
        )

    async def pending(self, account_id: int, now: datetime) -> list[IssuedCommand]:
        """Plain rows, no ORM objects for the session to track: this runs in the answer to every
        snapshot."""
        rows = await self.session.execute(
            select(*COMMANDS.c)
            .where(
                COMMANDS.c.account_id == account_id,
                COMMANDS.c.status == CommandStatus.PENDING.value,  # never a cancelled or settled one
                COMMANDS.c.expires_at > now,
            )
            .order_by(COMMANDS.c.created_at, COMMANDS.c.issued)
        )
        return [_command(row) for row in rows]
