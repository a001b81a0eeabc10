"""docs/operations.md's backup routine, run for real: a running service (the bot, the API and the worker)
is backed up with `pg_dump -Fc` into a file, restored with `pg_restore` into a fresh database, and a new
Core opened on the copy finds every user, account, device, command and alert, and serves the EA."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.app import open_core
from core.api.schemas import SnapshotIn, to_snapshot, validate
from sim.ea.client import decode_json, encode_json
from sim.telegram import BotApiStandIn
from tests.bot.conftest import TOKEN, Stack, settings_for, snapshot, start_stack
from tests.conftest import SERVER_URL, TEST_DATABASE_URL, TEST_REDIS_URL, clean_state, make_settings

pytestmark = pytest.mark.skipif(
    shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="needs the PostgreSQL client tools (Debian: postgresql-client)",
)

# What an operator must find again after a restore, each table in a stable order.
DURABLE = {
    "users": "SELECT id, telegram_id, first_name, language, signal_mode FROM users ORDER BY id",
    "accounts": "SELECT id, user_id, login, server, shared FROM accounts ORDER BY id",
    "devices": "SELECT device_id, account_id, secret_encrypted, revoked FROM devices ORDER BY device_id",
    "account_state": "SELECT account_id, last_seq, equity, peak_equity, guard FROM account_state ORDER BY 1",
    "commands": "SELECT id, account_id, dedupe_key, type, body, status FROM commands ORDER BY id",
    # An alert's status moves on while the service runs (pending, sending, sent), so it is checked apart.
    "outbox": "SELECT id, dedupe_key, chat_id, kind, params, version FROM outbox ORDER BY id",
    "audit_log": "SELECT * FROM audit_log ORDER BY 1",
}

KINDS = "('account_connected', 'liquidation_warning')"


def libpq_url(sqlalchemy_url: str) -> str:
    """The URL the PostgreSQL tools take (`postgresql://…`), from the service's DATABASE_URL."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def run_tool(*argv: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, f"{argv[0]} failed ({process.returncode}): {err.decode()}{out.decode()}"


async def on_server(statement: str) -> None:
    engine = create_async_engine(f"{SERVER_URL}/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@contextlib.asynccontextmanager
async def fresh_database(purpose: str) -> AsyncIterator[str]:
    """An empty database of this test run's own (its URL), dropped afterwards whatever happens."""
    name = f"tradeguard_{purpose}_{os.getpid()}"
    await on_server(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await on_server(f"CREATE DATABASE {name}")
    try:
        yield f"{SERVER_URL}/{name}"
    finally:
        await on_server(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def rows(engine: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(text(sql))).all()]


async def flush_redis() -> None:
    """A restored service starts with an empty Redis: nothing in it is part of the backup."""
    redis = Redis.from_url(TEST_REDIS_URL)
    await redis.flushdb()
    await redis.aclose()


async def a_day_of_service(stack: Stack) -> None:
    """A linked account, its snapshots, a guard breach (a close_all command and alerts in the outbox)."""
    ann = stack.user(1001)
    creds = await stack.link(ann)
    await stack.connect(creds, equity="10000.00")
    answer = await stack.send_snapshot(creds, 2, equity="7000.00")  # 30 % down: past the 20 % limit
    assert [command["type"] for command in answer["commands"]] == ["close_all", "lock"]
    await stack.eventually(
        "SELECT type, status FROM commands ORDER BY issued", [("close_all", "pending"), ("lock", "pending")]
    )
    await stack.core.flusher.flush()
    await stack.eventually(f"SELECT count(*) FROM outbox WHERE kind IN {KINDS}", [(2,)])


async def test_a_backup_of_a_running_service_restores_every_account_command_and_alert(
    tmp_path: Path,
) -> None:
    await clean_state()
    dump = tmp_path / "tradeguard.dump"
    async with BotApiStandIn(token=TOKEN, per_chat_per_minute=None) as standin:
        async with start_stack(standin, settings_for(tmp_path, standin)) as stack:
            await a_day_of_service(stack)
            await run_tool("pg_dump", "-Fc", "--no-owner", "-f", str(dump), libpq_url(TEST_DATABASE_URL))
            device_id = await stack.scalar("SELECT device_id FROM devices")
    assert dump.stat().st_size > 0

    original = create_async_engine(TEST_DATABASE_URL)
    async with fresh_database("restore") as restored_url:
        restore = ("pg_restore", "--no-owner", "--exit-on-error", "-d", libpq_url(restored_url), str(dump))
        await run_tool(*restore)
        restored = create_async_engine(restored_url)
        try:
            for table, sql in DURABLE.items():
                found, expected = await rows(restored, sql), await rows(original, sql)
                assert found == expected, f"{table} differs after the restore"
                assert table == "audit_log" or found, f"{table} was empty: the test proves nothing"
            # A row not yet sent at the dump is restored still due (a leased one once its lease ends): the
            # restored relay sends it, so an alert in flight during the dump may reach its chat twice.
            statuses = {row[0] for row in await rows(restored, "SELECT status FROM outbox")}
            assert statuses <= {"pending", "sending", "sent"}
        finally:
            await restored.dispose()
            await original.dispose()

        await flush_redis()
        settings = make_settings(tmp_path / "restored", database_url=restored_url)
        async with open_core(settings) as core:  # a new process on the copy (its migrations: a no-op)
            user = await core.bot_services.users.resolve(1001, "Ann", None, "en")
            (view,) = await core.bot_services.queries.views_of(user)
            assert (view.login, str(view.equity)) == (5012345, "7000.00000000")
            device = await core.credentials.get(device_id)
            assert device is not None and not device.device.revoked
            body = decode_json(encode_json(snapshot(seq=3, equity="7000.00")))  # as it comes off the wire
            answer = await core.bridge.accept_snapshot(device.device, to_snapshot(validate(SnapshotIn, body)))
            assert [command["type"] for command in answer.commands] == ["close_all", "lock"]
