"""Issue 13: the figures the Prometheus rules watch (db/ops_stats.py) on the real Postgres: open alerts
and the oldest one's age, stale feeds, liquidations in progress and overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot.app import Core
from core.services.ops_metrics import OpsStats
from db.ops_stats import SqlOpsStats
from tests.conftest import FakeClock
from tests.integration.test_monitor_without_cache import ACCOUNTS, fifty_accounts_with_a_snapshot

OVERDUE = (
    'UPDATE account_state SET guard = guard || \'{"status": "liquidating", "overdue_reported": true}\''
    " WHERE account_id IN (SELECT account_id FROM account_state ORDER BY account_id LIMIT 2)"
)
CLOSING = (
    'UPDATE account_state SET guard = guard || \'{"status": "liquidation_pending"}\''
    " WHERE account_id = (SELECT max(account_id) FROM account_state)"
)


async def test_an_empty_service_reads_all_zeros(core: Core) -> None:
    assert await SqlOpsStats(core.engine).read(datetime.now(UTC)) == OpsStats(0, 0.0, 0, 0, 0, 0, 0)


async def test_the_figures_follow_stale_feeds_open_alerts_and_liquidations(
    core: Core, clock: FakeClock
) -> None:
    await fifty_accounts_with_a_snapshot(core)
    await core.flusher.close()  # the hot path's states written behind, as the worker would find them
    reader = SqlOpsStats(core.engine)
    fresh = await reader.read(datetime.now(UTC))
    assert (fresh.accounts, fresh.feeds_stale, fresh.liquidations_overdue) == (ACCOUNTS, 0, 0)

    clock.advance(61)  # past STALE_FEED_SECONDS: every feed goes stale, each trader is owed an alert
    await core.monitor.run_once()
    async with core.engine.begin() as connection:
        await connection.execute(text(OVERDUE))
        await connection.execute(text(CLOSING))
        await connection.execute(text("UPDATE outbox SET status = 'undeliverable' WHERE id % 10 = 0"))
    later = await reader.read(datetime.now(UTC) + timedelta(seconds=90))

    assert later.feeds_stale == ACCOUNTS
    assert later.outbox_open + later.outbox_undeliverable >= ACCOUNTS
    assert later.outbox_undeliverable >= 1
    assert 89 <= later.outbox_oldest_open_seconds < 150
    assert (later.liquidations_in_progress, later.liquidations_overdue) == (3, 2)
