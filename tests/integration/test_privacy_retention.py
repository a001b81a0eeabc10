"""Retention on the real Postgres: the worker's pass deletes equity history older than RETENTION_DAYS, in
batches (each its own transaction), and keeps everything younger; a second pass finds nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from bot.app import Core
from core.services.privacy import RetentionPolicy
from tests.conftest import FakeClock


async def sql(core: Core, statement: str, **params: Any) -> list[Any]:
    async with core.engine.begin() as connection:
        result = await connection.execute(text(statement), params)
        return list(result.all()) if result.returns_rows else []


async def test_retention_purges_old_history_in_batches(core: Core, clock: FakeClock) -> None:
    async with core.bot_services.users.uow() as uow:
        user = await uow.users.upsert(4242, "Ann", None, "en")
        account = await uow.accounts.add(user.id, 5012345, "Broker-Live", clock.now)
        await uow.commit()
    minute = clock.now.replace(second=0, microsecond=0)
    ages = [400, 366, 366, 365.5, 364, 10, 0]  # days; RETENTION_DAYS is 365
    for n, age in enumerate(ages):
        at = minute - timedelta(days=age, minutes=n)
        await sql(
            core,
            "INSERT INTO equity_history (account_id, minute, equity, balance) VALUES (:a, :m, 100.5, 100)",
            a=account.id,
            m=at,
        )
    privacy = core.bot_services.privacy
    assert privacy is not None and privacy.retention.days == core.settings.retention_days == 365
    privacy.retention = replace(privacy.retention, batch=2)  # 4 old rows: batches of 2, 2, then 0

    assert await privacy.purge_history() == 4
    left = await sql(core, "SELECT minute FROM equity_history ORDER BY minute")
    cutoff = clock.now - timedelta(days=365)
    assert len(left) == 3 and all(row[0] >= cutoff for row in left)
    assert await privacy.purge_history() == 0


def test_retention_policy_defaults() -> None:
    assert RetentionPolicy(365).batch > 1000
