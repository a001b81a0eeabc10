"""Issue 13: every metric deploy/prometheus/alerts.yml and deploy/grafana/tradeguard.json name is on
GET /metrics of a running service (bot, worker and API in one process), and the worker's figures for the
rules (dependencies, outbox, feeds, liquidations) carry values once it has run."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.bot.conftest import Stack
from tests.unit.test_monitoring_files import AWAITING_MERGE, metrics_used

SUFFIXES = {  # the names a family of each type puts in the exposition
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "gauge": ("",),
    "untyped": ("",),
}


async def exposition(stack: Stack) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{stack.http_url}/metrics") as answer:
        assert answer.status == 200
        return await answer.text()


def exported_names(text: str) -> set[str]:
    """From the `# TYPE` lines: a family is declared even before its first sample."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ", 3)
            stem = family.removesuffix("_total") if kind == "counter" else family
            names |= {stem + suffix for suffix in SUFFIXES[kind]}
    return names


async def test_every_metric_the_rules_and_the_dashboard_use_is_exported(stack: Stack) -> None:
    exported = exported_names(await exposition(stack))
    missing = {
        name: sorted(where) for name, where in metrics_used().items() if name not in exported | AWAITING_MERGE
    }
    assert missing == {}, f"not on /metrics: {missing}"


async def test_the_worker_reports_dependencies_outbox_feeds_and_liquidations(stack: Stack) -> None:
    wanted = (
        'tradeguard_dependency_up{dependency="postgres"} 1.0',
        'tradeguard_dependency_up{dependency="redis"} 1.0',
        'tradeguard_dependency_up{dependency="telegram"} 1.0',
        "tradeguard_outbox_open 0.0",
        "tradeguard_accounts_feed_stale 0.0",
        "tradeguard_liquidations_overdue 0.0",
    )
    async with asyncio.timeout(10):
        text = await exposition(stack)
        while not all(line in text for line in wanted):
            await asyncio.sleep(0.2)
            text = await exposition(stack)
    assert 'tradeguard_loop_healthy{loop="probe-postgres"} 1.0' in text
