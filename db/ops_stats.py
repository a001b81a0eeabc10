"""Issue 13: the figures core.services.ops_metrics serves on /metrics, in two statements: the outbox's
open rows through its (status, next_attempt_at) index, and one pass over account_state (a row per
account) for the guards' flags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.services.ops_metrics import OpsStats

OUTBOX = text(
    "SELECT count(*) FILTER (WHERE status IN ('pending', 'sending')),"
    " min(created_at) FILTER (WHERE status IN ('pending', 'sending')),"
    " count(*) FILTER (WHERE status = 'undeliverable')"
    " FROM outbox WHERE status IN ('pending', 'sending', 'undeliverable')"
)
GUARDS = text(
    "SELECT count(*),"
    " count(*) FILTER (WHERE (guard->>'stale')::boolean),"
    " count(*) FILTER (WHERE guard->>'status' IN ('liquidation_pending', 'liquidating')),"
    " count(*) FILTER (WHERE guard->>'status' = 'liquidating' AND (guard->>'overdue_reported')::boolean)"
    " FROM account_state"
)


class SqlOpsStats:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def read(self, now: datetime) -> OpsStats:
        async with self.engine.connect() as connection:
            open_, oldest, undeliverable = (await connection.execute(OUTBOX)).one()
            accounts, stale, closing, overdue = (await connection.execute(GUARDS)).one()
        age = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        return OpsStats(
            outbox_open=int(open_),
            outbox_oldest_open_seconds=age,
            outbox_undeliverable=int(undeliverable),
            accounts=int(accounts),
            feeds_stale=int(stale),
            liquidations_in_progress=int(closing),
            liquidations_overdue=int(overdue),
        )
