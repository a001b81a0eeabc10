"""Cache trouble never stops a guard pass: the database is the truth, the cache is best effort."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import Core, open_core
from core.api.schemas import SnapshotIn, to_snapshot, validate
from core.domain.models import Device
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


async def test_with_the_cache_down_one_monitor_pass_ticks_every_due_account_and_warns_once(
    core: Core, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await fifty_accounts_with_a_snapshot(core)
    clock.advance(61)  # past STALE_FEED_SECONDS: every account is due for its stale-feed alert
    settings = make_settings(tmp_path / "down", redis_url=CLOSED_PORT)
    async with open_core(settings, clock) as without_cache:
        with caplog.at_level(logging.INFO, logger="core.services.health"):
            started = time.monotonic()
            handled = await without_cache.monitor.run_once()
            took = time.monotonic() - started
        assert handled == ACCOUNTS
        assert await stale_alerts(without_cache) == ACCOUNTS  # every account ticked, in this one pass
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "guard-monitor-cache" in warnings[0].getMessage()
        assert took < 15, f"one pass over {ACCOUNTS} accounts took {took:.1f} s"
        assert without_cache.health.report()["guard-monitor-cache"].startswith("degraded since")
