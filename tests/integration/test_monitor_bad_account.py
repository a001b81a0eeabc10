"""One account whose guard state cannot be read does not hold up the monitor's pass over the others."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from bot.app import Core
from tests.conftest import FakeClock
from tests.integration.test_monitor_without_cache import (
    ACCOUNTS,
    fifty_accounts_with_a_snapshot,
    stale_alerts,
)


async def break_one_guard_state(core: Core) -> None:
    async with core.engine.begin() as connection:
        await connection.execute(
            text(
                'UPDATE account_state SET guard = \'{"status": "no-such-state"}\'::jsonb'
                " WHERE account_id = (SELECT min(account_id) FROM account_state)"
            )
        )


async def test_a_corrupt_account_is_skipped_logged_once_and_every_other_account_is_ticked(
    core: Core, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await fifty_accounts_with_a_snapshot(core)
    await break_one_guard_state(core)
    clock.advance(61)  # every account is due for its stale-feed alert

    with caplog.at_level(logging.ERROR, logger="core.services.guard"):
        await core.monitor.run_once()
        clock.advance(1)
        assert await core.monitor.run_once() == 1  # only the broken one is still due: no raise, no log

    assert await stale_alerts(core) == ACCOUNTS - 1
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1 and "failed" in errors[0], errors
