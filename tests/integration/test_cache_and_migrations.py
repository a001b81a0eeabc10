"""The read-through cache (Redis) and the migrations (Alembic) on the real servers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.app import Core
from core.domain.models import AccountView
from db.migrate import alembic_config, upgrade
from db.redis_store import Keys, RedisViewCache


def view(account_id: int, equity: str) -> AccountView:
    """A view with every kind of field the cache has to carry: Decimals, a time, positions, flags."""
    return AccountView(
        account_id=account_id,
        login=5550001,
        server="Broker-Live",
        currency="USD",
        balance=Decimal("10000.00"),
        equity=Decimal(equity),
        margin=Decimal("0.00"),
        peak_equity=Decimal("10000.00"),
        last_snapshot_at=datetime(2026, 3, 2, 9, 30, 0, 125000, tzinfo=UTC),
        positions=({"ticket": 1, "symbol": "XAUUSD", "profit": "-12.50"},),
        guard_status="warning",
        locked=True,
        personal_limit=Decimal("12.5"),
        shared=True,
        owner_telegram_id=42,
    )


async def test_concurrent_misses_load_the_value_once(core: Core) -> None:
    cache = RedisViewCache(core.redis)
    loads = 0

    async def load() -> AccountView:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.1)
        return view(7, "1")

    results = await asyncio.gather(*(cache.account_view(7, 5, load) for _ in range(20)))
    assert loads == 1
    assert all(r == view(7, "1") for r in results)


async def test_an_invalidation_is_never_undone_by_a_slow_loader(core: Core) -> None:
    cache = RedisViewCache(core.redis)
    release = asyncio.Event()

    async def slow_old() -> AccountView:
        await release.wait()
        return view(8, "9000.00")

    async def fresh() -> AccountView:
        return view(8, "9500.00")

    loading = asyncio.create_task(cache.account_view(8, 5, slow_old))
    await asyncio.sleep(0.05)
    await cache.invalidate_account(8)
    release.set()
    assert (await loading) == view(8, "9000.00")
    assert (await cache.account_view(8, 5, fresh)) == view(8, "9500.00")


async def test_cache_entries_always_expire(core: Core) -> None:
    cache = RedisViewCache(core.redis)

    async def load() -> AccountView:
        return view(9, "1")

    await cache.account_view(9, 5, load)
    ttl = await core.redis.ttl(Keys.account_view(9, 0))
    assert 0 < ttl <= 5


async def test_the_migrations_are_at_head_and_running_them_again_changes_nothing(core: Core) -> None:
    async with core.engine.connect() as connection:
        before = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    await upgrade(core.engine)
    async with core.engine.connect() as connection:
        after = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        tables = set(
            (
                await connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            ).scalars()
        )
    assert before == after == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {
        "users",
        "accounts",
        "devices",
        "account_state",
        "deals",
        "commands",
        "outbox",
        "audit_log",
        "operator_tokens",
    } <= tables
