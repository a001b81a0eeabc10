"""What the server has stored, captured so a test can prove a refused request changed nothing.

`await stored(core)` reads Postgres (through `core.engine`) and the Redis copy of the latest
snapshot; two captures compare equal exactly when nothing a client or a trader could observe
has changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from bot.app import Core
from db.hot_state import hot_key


@dataclass(frozen=True)
class AccountState:
    """One `account_state` row: what the bot and the operator API show for the account."""

    account_id: int
    last_seq: int
    equity: Decimal
    balance: Decimal
    margin: Decimal
    peak_equity: Decimal
    currency: str
    last_snapshot_at: datetime
    received_at: datetime
    snapshot: dict[str, Any]
    guard: dict[str, Any] | None


@dataclass(frozen=True)
class Command:
    id: str
    account_id: int
    status: str
    ack: dict[str, Any] | None
    acked_at: datetime | None


@dataclass(frozen=True)
class Outboxed:
    dedupe_key: str
    chat_id: int
    kind: str
    params: dict[str, Any]


@dataclass(frozen=True)
class StoredState:
    states: tuple[AccountState, ...]
    deal_tickets: tuple[tuple[int, int], ...]  # (account_id, ticket)
    outbox: tuple[Outboxed, ...]
    commands: tuple[Command, ...]
    audit_rows: int
    latest_in_redis: tuple[str | None, ...]  # the Redis copy of each account's latest snapshot

    def kinds(self) -> list[str]:
        return [alert.kind for alert in self.outbox]

    def command(self, command_id: str) -> Command:
        return next(command for command in self.commands if command.id == command_id)

    def state_of(self, account_id: int = 1) -> AccountState | None:
        return next((state for state in self.states if state.account_id == account_id), None)

    @property
    def only_state(self) -> AccountState:
        assert len(self.states) == 1, self.states
        return self.states[0]


async def stored(core: Core) -> StoredState:
    await core.flusher.flush()  # what steady snapshots wrote behind
    async with core.engine.connect() as connection:
        states = (
            await connection.execute(
                text(
                    "SELECT account_id, last_seq, equity, balance, margin, peak_equity, currency,"
                    " last_snapshot_at, received_at, snapshot, guard FROM account_state ORDER BY account_id"
                )
            )
        ).all()
        deals = (await connection.execute(text("SELECT account_id, ticket FROM deals ORDER BY 1, 2"))).all()
        outbox = (
            await connection.execute(text("SELECT dedupe_key, chat_id, kind, params FROM outbox ORDER BY id"))
        ).all()
        commands = (
            await connection.execute(
                text("SELECT id, account_id, status, ack, acked_at FROM commands ORDER BY created_at, id")
            )
        ).all()
        audit_rows = (await connection.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
        account_ids = (await connection.execute(text("SELECT id FROM accounts ORDER BY id"))).scalars().all()
    latest = tuple([await core.redis.hget(hot_key(account_id), "data") for account_id in account_ids])
    return StoredState(
        states=tuple(AccountState(*row) for row in states),
        deal_tickets=tuple((row.account_id, row.ticket) for row in deals),
        outbox=tuple(Outboxed(*row) for row in outbox),
        commands=tuple(Command(*row) for row in commands),
        audit_rows=int(audit_rows),
        latest_in_redis=latest,
    )


async def deal_rows(core: Core) -> list[dict[str, Any]]:
    async with core.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM deals ORDER BY account_id, ticket"))).mappings()
        return [dict(row) for row in rows]
