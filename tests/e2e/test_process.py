"""The process itself: it refuses to start half-configured, reports readiness, and stops cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from sim.telegram import BotApiStandIn
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.e2e.harness import Launch, base_env, tradeguard_command

pytestmark = pytest.mark.e2e


async def test_run_without_a_bot_token_exits_non_zero_naming_the_variable(tmp_path: Path) -> None:
    env = {**base_env(), "DATABASE_URL": TEST_DATABASE_URL, "REDIS_URL": TEST_REDIS_URL}
    process = await asyncio.create_subprocess_exec(
        *tradeguard_command(), "run", env=env, cwd=tmp_path,  # cwd: no .env file to find a token in
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(30):
        stdout, stderr = await process.communicate()

    assert process.returncode not in (0, None)
    assert b"TELEGRAM_BOT_TOKEN" in stderr, (stdout, stderr)
    assert b"Traceback" not in stderr  # a clear message, not a crash


async def test_ready_reports_every_dependency_and_sigterm_stops_the_process_cleanly(
    standin: BotApiStandIn, launch: Launch
) -> None:
    service = await launch()

    async with aiohttp.ClientSession() as session, session.get(f"{service.url}/ready") as answer:
        status, body = answer.status, await answer.json()

    assert status == 200, body
    assert body["ready"] is True and body["down"] == []
    assert body["checks"] == {"postgres": "ok", "redis": "ok", "telegram": "ok"}
    assert await service.terminate() == 0
    log = service.log()
    assert "Traceback" not in log and " ERROR " not in log, log
