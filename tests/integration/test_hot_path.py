"""The snapshot hot path (core.services.ports.hot): steady snapshots touch no Postgres, durable ones
stay exactly-once across processes and across a Redis flush, the write-behind survives an outage, and
a revoked secret is refused by every process."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from bot.app import Core, open_core
from core.api.schemas import SnapshotIn, to_snapshot, validate
from core.bridge.signing import sign
from core.domain.models import Device
from core.domain.snapshot import Snapshot
from core.services.bridge import SignedRequest
from core.services.errors import AuthenticationFailed
from core.services.health import Health
from db.device_news import listen_for_device_news
from tests.api.conftest import LinkedDevice, link_device
from tests.api.helpers import snapshot_body
from tests.conftest import FakeClock, make_settings

PATH = "/api/v1/snapshot"


def snapshot(seq: int, equity: str, balance: str = "10000.00") -> Snapshot:
    body = snapshot_body(seq=seq)
    body["account"] |= {"equity": equity, "balance": balance, "free_margin": equity}
    return to_snapshot(validate(SnapshotIn, body))


async def device_of(core: Core, linked: LinkedDevice) -> Device:
    found = await core.credentials.get(linked.device_id)
    assert found is not None
    return found.device


async def scalar(core: Core, sql: str) -> Any:
    async with core.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar_one()


async def close_alls(core: Core) -> int:
    return int(await scalar(core, "SELECT count(*) FROM commands WHERE type = 'close_all'"))


async def breach_alerts(core: Core) -> int:
    return int(await scalar(core, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'breach:%'"))


@contextlib.contextmanager
def counted_statements(core: Core) -> Any:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(core.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(core.engine.sync_engine, "before_cursor_execute", count)


@contextlib.asynccontextmanager
async def second_process(tmp_path: Path, clock: FakeClock, **settings: Any) -> AsyncIterator[Core]:
    async with open_core(make_settings(tmp_path / "second", **settings), clock) as other:
        yield other


async def test_a_steady_snapshot_runs_no_postgres_statement(core: Core) -> None:
    device = await device_of(core, await link_device(core))
    await core.bridge.accept_snapshot(device, snapshot(1, "10000.00"))  # the first one is durable
    await core.bridge.accept_snapshot(device, snapshot(2, "10010.00"))  # reloads the hot state
    with counted_statements(core) as statements:
        answer = await core.bridge.accept_snapshot(device, snapshot(3, "10020.00"))
    assert statements == []
    assert answer.seq == 3 and not answer.duplicate
    await core.flusher.flush()
    assert await scalar(core, "SELECT peak_equity FROM account_state") == Decimal("10020.00")
    assert await scalar(core, "SELECT last_seq FROM account_state") == 3


async def test_two_processes_racing_one_breaching_snapshot_issue_one_close_all_and_one_alert(
    core: Core, clock: FakeClock, tmp_path: Path
) -> None:
    device = await device_of(core, await link_device(core))
    await core.bridge.accept_snapshot(device, snapshot(1, "10000.00"))
    await core.bridge.accept_snapshot(device, snapshot(2, "10000.00"))
    async with second_process(tmp_path, clock) as other:
        breach = snapshot(3, "7000.00")  # 30 % down: past the 20 % limit
        first, second = await asyncio.gather(
            core.bridge.accept_snapshot(device, breach), other.bridge.accept_snapshot(device, breach)
        )
    for answer in (first, second):
        assert [command["type"] for command in answer.commands].count("close_all") == 1
    assert sorted([first.duplicate, second.duplicate]) == [False, True]
    assert await close_alls(core) == 1
    assert await breach_alerts(core) == 1


async def test_a_redis_flush_mid_stream_loses_no_breach_and_the_peak_at_most_one_flush(core: Core) -> None:
    device = await device_of(core, await link_device(core))
    await core.bridge.accept_snapshot(device, snapshot(1, "10000.00"))
    await core.bridge.accept_snapshot(device, snapshot(2, "11000.00"))
    await core.flusher.flush()  # the peak of 11,000 reached Postgres
    await core.bridge.accept_snapshot(device, snapshot(3, "11500.00"))  # not yet flushed
    await core.redis.flushdb()
    breach = await core.bridge.accept_snapshot(device, snapshot(4, "8000.00"))
    again = await core.bridge.accept_snapshot(device, snapshot(4, "8000.00"))
    assert [command["type"] for command in breach.commands].count("close_all") == 1
    assert again.duplicate and again.commands == breach.commands
    assert await close_alls(core) == 1
    assert await breach_alerts(core) == 1
    peak = await scalar(core, "SELECT peak_equity FROM account_state")
    assert peak in (Decimal("11000.00"), Decimal("11500.00"))  # at most the one unflushed snapshot behind


class FailingEngine:
    """Postgres restarting: every connection fails until `recover()`."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.down = True

    def begin(self) -> Any:
        if self.down:
            raise OperationalError("connect", {}, ConnectionRefusedError("the database is restarting"))
        return self.real.begin()


async def test_the_flushers_batch_survives_a_postgres_restart(core: Core) -> None:
    device = await device_of(core, await link_device(core))
    await core.bridge.accept_snapshot(device, snapshot(1, "10000.00"))
    await core.bridge.accept_snapshot(device, snapshot(2, "10000.00"))
    writer: Any = core.flusher.writer
    failing = FailingEngine(writer.engine)
    writer.engine = failing
    await core.bridge.accept_snapshot(device, snapshot(3, "12000.00"))
    with pytest.raises(OperationalError):
        await core.flusher.flush()
    await core.bridge.accept_snapshot(device, snapshot(4, "12500.00"))
    assert core.flusher.dirty > 0  # kept, with what came since
    failing.down = False
    await core.flusher.flush()
    assert core.flusher.dirty == 0
    assert await scalar(core, "SELECT peak_equity FROM account_state") == Decimal("12500.00")
    assert await scalar(core, "SELECT count(*) FROM equity_history") >= 1


def signed(device: LinkedDevice, clock: FakeClock) -> SignedRequest:
    timestamp, nonce, body = str(int(clock().timestamp())), secrets.token_hex(12), b"{}"
    signature = sign(device.secret_hex, "POST", PATH, timestamp, nonce, body)
    return SignedRequest(device.device_id, timestamp, nonce, signature, "POST", PATH, body)


async def test_a_relink_in_one_process_makes_every_other_refuse_the_old_secret(
    core: Core, clock: FakeClock, tmp_path: Path
) -> None:
    linked = await link_device(core)
    # the other process trusts its cache for a long time: only the news can make it refuse
    async with second_process(tmp_path, clock, device_cache_fallback_seconds=300) as other:
        stop = asyncio.Event()
        listening = asyncio.create_task(
            listen_for_device_news(other.redis, other.credentials, Health("news"), stop)
        )
        try:
            for _ in range(200):  # subscribed: news is heard from now on
                if other.credentials.generation is not None:
                    break
                await asyncio.sleep(0.01)
            assert (await other.bridge.authenticate(signed(linked, clock))).device_id == linked.device_id
            user = await core.bot_services.users.resolve(linked.telegram_id, "Ann", None, "en")
            await core.bot_services.links.link(user, linked.login, linked.server)  # a new secret
            for _ in range(200):
                if other.credentials.news:
                    break
                await asyncio.sleep(0.01)
            with pytest.raises(AuthenticationFailed):
                await other.bridge.authenticate(signed(linked, clock))
        finally:
            stop.set()
            await listening
