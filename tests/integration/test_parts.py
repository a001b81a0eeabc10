"""`tradeguard run --only api` scales out without Telegram: it neither needs nor waits for it."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.runner import running
from tests.conftest import FakeClock, clean_state, make_settings


async def test_an_api_only_process_serves_the_bridge_with_telegram_unreachable(tmp_path: Path) -> None:
    await clean_state()
    settings = make_settings(tmp_path, telegram_api_base_url="http://127.0.0.1:9/bot", bridge_port=0)
    async with running(settings, ("api",), FakeClock()) as live, aiohttp.ClientSession() as http:
        async with http.get(f"{live.http_url}/health") as health:
            assert health.status == 200
        async with http.get(f"{live.http_url}/ready") as ready:
            body = await ready.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"postgres", "redis"}
