"""Redis down: the relay does not spin, says so once, still delivers from the outbox, and recovers.

The Redis here is a redis-server of the test's own on a spare port, so the test can stop and restart
it without disturbing anyone else's.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from telegram import Bot

from bot.relay import AlertRelay
from core.domain.alerts import TradingLocked
from core.domain.models import Alert
from core.services.alerts import AlertDelivery
from core.services.health import Health, HealthBoard
from db.engine import make_engine
from db.uow import unit_of_work_factory
from sim.demo import free_port
from sim.telegram import BotApiStandIn
from tests.bot.conftest import Stack, settings_for, start_stack
from tests.conftest import FakeClock

NEEDS_REDIS_SERVER = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")

LOCKED = TradingLocked(login=5012345, server="Broker-Live", currency="USD")
OUTAGE_SECONDS = 4.0


class OwnRedis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.workdir),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis.from_url(self.url)
        try:
            for _ in range(200):
                try:
                    await client.ping()
                    return
                except Exception:
                    await asyncio.sleep(0.02)
            raise AssertionError("redis-server did not start")
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 10)
            self.process = None


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    await server.start()
    yield server
    await server.stop()


def alert(key: str, chat_id: int) -> Alert:
    return Alert(key, chat_id, LOCKED)


async def record(stack: Stack, *alerts: Alert) -> None:
    """Into the outbox the way the services do; nobody rings (Redis is down, or is not needed)."""
    async with unit_of_work_factory(stack.core.engine)() as uow:
        for each in alerts:
            assert await uow.outbox.add(each)
        await uow.commit()


def counting(target: Any, name: str) -> list[int]:
    """Count calls of `target.name` (our own object, spied on, not faked)."""
    calls = [0]
    original: Callable[..., Awaitable[Any]] = getattr(target, name)

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return await original(*args, **kwargs)

    setattr(target, name, counted)
    return calls


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)


async def get_json(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.json()


async def get_text(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return await answer.text()


def logged(caplog: pytest.LogCaptureFixture, level: int, words: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "core.services.health" and r.levelno == level and words in r.getMessage()
    ]


@NEEDS_REDIS_SERVER
async def test_with_redis_down_the_relay_polls_the_outbox_without_spinning_warns_once_and_recovers_once(
    fresh_state: None,
    standin: BotApiStandIn,
    tmp_path: Path,
    own_redis: OwnRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for(tmp_path, standin).model_copy(update={"redis_url": own_redis.url})
    caplog.set_level(logging.INFO, logger="core.services.health")
    async with start_stack(standin, settings) as stack:
        doorbell: Health = stack.core.health.entries["doorbell"]
        claims = counting(stack.core.delivery, "claim")

        await own_redis.stop()
        mark = standin.mark()
        await record(stack, alert("outage:1", 1001))
        await standin.wait_for_message(1001, after=mark, timeout=5)  # polled: the outbox is the record

        failed_before, claims_before = doorbell.failures, claims[0]
        await asyncio.sleep(OUTAGE_SECONDS)
        # no spin: about one look at the outbox a second, and doorbell tries spaced by a growing back-off
        assert claims[0] - claims_before <= OUTAGE_SECONDS + 3, claims[0] - claims_before
        assert doorbell.failures - failed_before <= 4, doorbell.failures - failed_before
        assert len(logged(caplog, logging.WARNING, "doorbell degraded")) == 1, caplog.text

        status, ready = await get_json(f"{stack.http_url}/ready")
        assert status == 503 and ready["down"] == ["redis"]
        assert ready["loops"]["doorbell"].startswith("degraded since"), ready
        assert ready["loops"]["relay"] == "ok"  # Postgres is up: alerts still go out
        metrics = await get_text(f"{stack.http_url}/metrics")
        assert 'tradeguard_loop_healthy{loop="doorbell"} 0.0' in metrics, metrics
        assert 'tradeguard_loop_failures_total{loop="doorbell"}' in metrics, metrics

        mark = standin.mark()
        await record(stack, alert("outage:2", 1002))
        await standin.wait_for_message(1002, after=mark, timeout=5)

        await own_redis.start()
        await until(lambda: doorbell.healthy, timeout=40, what="the doorbell works again")
        assert len(logged(caplog, logging.INFO, "doorbell recovered")) == 1, caplog.text
        assert len(logged(caplog, logging.WARNING, "doorbell degraded")) == 1, caplog.text
        status, ready = await get_json(f"{stack.http_url}/ready")
        assert status == 200 and ready["loops"]["doorbell"] == "ok", ready


async def test_with_postgres_down_the_relay_backs_off_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nothing_listens_here")
    delivery = AlertDelivery(unit_of_work_factory(engine), FakeClock())
    claims = counting(delivery, "claim")
    board = HealthBoard()
    relay = AlertRelay(Bot("123456:TEST-TOKEN"), delivery, health=board, idle_seconds=0.01)
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO, logger="core.services.health"):
        running = asyncio.create_task(relay.run(stop))
        await asyncio.sleep(OUTAGE_SECONDS)
        stop.set()
        await running
    await engine.dispose()
    # backing off from 0.5 s doubling: a handful of tries in 4 s, where the old loop made thousands
    assert 2 <= claims[0] <= 6, claims[0]
    assert len(logged(caplog, logging.WARNING, "relay degraded")) == 1, caplog.text
    assert board.report()["relay"].startswith("degraded since")
