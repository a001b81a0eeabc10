"""Cache trouble never stops a guard pass: the database is the truth, the cache is best effort."""

from __future__ import annotations

import logging
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import Core, open_core
from core.api.schemas import SnapshotIn, to_snapshot, validate
from core.domain.account_key import AccountKey
from core.domain.models import Device
from core.services.guard import GuardMonitor
from db.uow import unit_of_work_factory
from tests.api.conftest import link_device
from tests.api.helpers import snapshot_body
from tests.conftest import FakeClock, make_settings

ACCOUNTS = 50
CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every Redis call fails


async def fifty_accounts_with_a_snapshot(core: Core) -> None:
    for n in range(ACCOUNTS):
        device = await link_device(core, telegram_id=70_000 + n, login=8_000_000 + n)
        body = snapshot_body(login=device.login, server=device.server)
        await core.bridge.accept_snapshot(
            await _device(core, device.device_id), to_snapshot(validate(SnapshotIn, body))
        )


async def _device(core: Core, device_id: str) -> Device:
    async with unit_of_work_factory(core.engine)() as uow:
        device = await uow.devices.get(device_id)
    assert device is not None
    return device


async def stale_alerts(core: Core) -> int:
    async with core.engine.connect() as connection:
        found = await connection.execute(text("SELECT count(*) FROM outbox WHERE kind = 'feed_stale'"))
        return int(found.scalar_one())


async def test_with_redis_down_one_monitor_pass_ticks_every_due_account_and_warns_once(
    core: Core, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await fifty_accounts_with_a_snapshot(core)
    clock.advance(61)  # past STALE_FEED_SECONDS: every account is due for its stale-feed alert
    settings = make_settings(tmp_path / "down", redis_url=CLOSED_PORT)
    async with open_core(settings, clock) as without_redis:
        with caplog.at_level(logging.INFO, logger="core.services.health"):
            started = time.monotonic()
            handled = await without_redis.monitor.run_once()
            took = time.monotonic() - started
        assert handled == ACCOUNTS
        assert await stale_alerts(without_redis) == ACCOUNTS  # every account ticked, in this one pass
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and warnings[0].startswith("redis-cache degraded"), warnings
        assert took < 15, f"one pass over {ACCOUNTS} accounts took {took:.1f} s"
        assert without_redis.health.report()["redis-cache"].startswith("degraded since")


class RaisingCache:
    """A view cache that breaks its port's promise and raises on every call."""

    def __init__(self) -> None:
        self.calls = 0

    async def invalidate_account(self, account_id: int) -> None:
        self.calls += 1
        raise ConnectionError("cache unreachable")


async def test_a_cache_that_raises_stops_no_monitor_pass_and_is_tried_again_only_after_a_back_off(
    core: Core, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await fifty_accounts_with_a_snapshot(core)
    clock.advance(61)
    cache = RaisingCache()
    monitor = GuardMonitor(core.monitor.uow, core.guard, cache, clock, core.health)
    with caplog.at_level(logging.WARNING, logger="core.services.health"):
        assert await monitor.run_once() == ACCOUNTS
    assert await stale_alerts(core) == ACCOUNTS
    assert 1 <= cache.calls < ACCOUNTS  # skipped while backing off, not tried 50 times
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and warnings[0].startswith("guard-monitor-cache degraded"), warnings
    assert core.health.report()["guard-monitor-cache"].startswith("degraded since")


async def test_with_redis_down_an_accounts_view_is_read_from_the_database(
    core: Core, clock: FakeClock, tmp_path: Path
) -> None:
    await fifty_accounts_with_a_snapshot(core)
    async with open_core(make_settings(tmp_path / "down", redis_url=CLOSED_PORT), clock) as without_redis:
        view = await without_redis.bot_services.queries.view_named(AccountKey(8_000_000))
    assert view.login == 8_000_000 and view.equity == Decimal("9850.50")
