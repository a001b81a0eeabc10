"""Shared fixtures: the real Postgres (schema from the migrations) and Redis, cleaned for every test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import Core, open_core
from core.config import Settings
from db.migrate import upgrade

# Each test run gets a database of its own (created from the server's `postgres` database, dropped at
# the end) and one of Redis's numbered databases, so two runs on one machine never disturb each other.
SERVER_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
TEST_DATABASE_NAME = f"tradeguard_test_{os.getpid()}"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", f"{SERVER_URL}/{TEST_DATABASE_NAME}")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}")
TABLES = (
    "market_symbols",
    "outbox", "commands", "deals", "account_state", "devices", "accounts", "users", "audit_log",
    "operator_tokens", "halts", "signals", "divergences", "reconciliation_passes",
    "referral_codes", "referrals", "payments", "commission_lines", "payouts", "fraud_cases",
    "bridge_sightings", "withheld_positions",
)  # fmt: skip


async def _server(statement: str) -> None:
    engine = create_async_engine(f"{SERVER_URL}/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def _create_and_migrate() -> None:
    if "TEST_DATABASE_URL" in os.environ:  # a database given by the caller: rebuild its schema
        engine = create_async_engine(TEST_DATABASE_URL)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    else:
        await _server(f"DROP DATABASE IF EXISTS {TEST_DATABASE_NAME} WITH (FORCE)")
        await _server(f"CREATE DATABASE {TEST_DATABASE_NAME}")
        engine = create_async_engine(TEST_DATABASE_URL)
    await upgrade(engine)
    await engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def migrated_schema() -> Iterator[None]:
    """The schema is built once per run, by the migrations themselves (so they are tested)."""
    asyncio.run(_create_and_migrate())
    yield
    if "TEST_DATABASE_URL" not in os.environ:
        asyncio.run(_server(f"DROP DATABASE IF EXISTS {TEST_DATABASE_NAME} WITH (FORCE)"))


async def clean_state() -> None:
    engine = create_async_engine(TEST_DATABASE_URL)
    async with engine.begin() as connection:
        # replica role skips the audit log's append-only trigger, for test cleanup only
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    redis = Redis.from_url(TEST_REDIS_URL)
    await redis.flushdb()
    await redis.aclose()


class FakeClock:
    """The clock is an edge we do not own: tests move it by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": TEST_DATABASE_URL,
        "redis_url": TEST_REDIS_URL,
        "secret_key": "test-secret-key-0123456789abcdef",
        "data_dir": tmp_path / ".tradeguard",
        "telegram_bot_token": "123456:TEST-TOKEN",
        "admin_telegram_ids": (900001,),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def core(settings: Settings, clock: FakeClock) -> AsyncIterator[Core]:
    await clean_state()
    async with open_core(settings, clock) as opened:
        yield opened
