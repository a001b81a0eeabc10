"""The flusher's writes (core.services.flusher): one multi-row INSERT … ON CONFLICT DO UPDATE per table
and batch, in one transaction. A state replaces the stored row only where its rev is higher, so a
write behind never undoes a durable transition committed meanwhile.

Each statement is built once and executed with the batch's rows as parameters: SQLAlchemy's
"insertmanyvalues" (enabled by RETURNING) renders the multi-row VALUES from the cached compiled form,
instead of compiling a new statement of N × 14 bound values every flush (measured: a tenth of the API
process's CPU at 400 snapshots/s)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.services.ports.hot import EquityPoint, StateFlush
from db.tables import AccountStateRow, EquityHistoryRow

STATE = AccountStateRow.__table__
HISTORY = EquityHistoryRow.__table__
# asyncpg takes at most 32,767 parameters per statement: 14 a row leaves room for 2,000 rows
ROWS_PER_STATEMENT = 2000


def _state_row(state: StateFlush) -> dict[str, Any]:
    return {
        "account_id": state.account_id,
        "last_seq": state.seq,
        "seq_device_id": state.device_id,
        "last_snapshot_at": state.snapshot_time,
        "received_at": state.received_at,
        "currency": state.currency,
        "balance": state.balance,
        "equity": state.equity,
        "margin": state.margin,
        "peak_equity": state.guard.peak_equity,
        "snapshot": state.snapshot,
        "guard": state.guard.to_dict(),
        "guard_due_at": state.due_at,
        "rev": state.rev,
    }


STATE_FIELDS = (
    "last_seq", "seq_device_id", "last_snapshot_at", "received_at", "currency", "balance", "equity",
    "margin", "peak_equity", "snapshot", "guard", "guard_due_at", "rev",
)  # fmt: skip


def _upsert_states() -> Any:
    statement = insert(STATE)
    return statement.on_conflict_do_update(
        index_elements=[STATE.c.account_id],
        set_={name: statement.excluded[name] for name in STATE_FIELDS},
        where=STATE.c.rev < statement.excluded.rev,
    ).returning(STATE.c.account_id)


def _upsert_points() -> Any:
    statement = insert(HISTORY)
    return statement.on_conflict_do_update(
        index_elements=[HISTORY.c.account_id, HISTORY.c.minute],
        set_={"equity": statement.excluded.equity, "balance": statement.excluded.balance},
    ).returning(HISTORY.c.account_id)


UPSERT_STATES = _upsert_states()
UPSERT_POINTS = _upsert_points()


class SqlStateFlushWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def write(self, states: list[StateFlush], points: list[EquityPoint]) -> None:
        state_rows = [_state_row(state) for state in sorted(states, key=lambda s: s.account_id)]
        point_rows = [
            {"account_id": p.account_id, "minute": p.minute, "equity": p.equity, "balance": p.balance}
            for p in sorted(points, key=lambda p: (p.account_id, p.minute))
        ]
        async with self.engine.begin() as connection:
            for start in range(0, len(state_rows), ROWS_PER_STATEMENT):
                await connection.execute(UPSERT_STATES, state_rows[start : start + ROWS_PER_STATEMENT])
            for start in range(0, len(point_rows), ROWS_PER_STATEMENT):
                await connection.execute(UPSERT_POINTS, point_rows[start : start + ROWS_PER_STATEMENT])
