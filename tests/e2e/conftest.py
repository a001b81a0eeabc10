"""Fixtures of the e2e tier: a clean world, the Bot API stand-in, and `tradeguard run` as a process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from sim.demo import free_port
from sim.telegram import BotApiStandIn
from tests.conftest import TEST_DATABASE_URL, clean_state
from tests.e2e.harness import TOKEN, Database, Launch, Service, service_env


@pytest.fixture
async def clean() -> None:
    await clean_state()


@pytest.fixture
async def standin(clean: None) -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=TOKEN, per_chat_per_minute=None) as server:
        yield server


@pytest.fixture
async def launch(standin: BotApiStandIn, tmp_path: Path) -> AsyncIterator[Launch]:
    """Start `tradeguard run` (settings overridable per call); every process is stopped afterwards.

    Each process must stop cleanly on SIGTERM (exit code 0) unless the test killed it itself.
    """
    started: list[Service] = []

    async def start(**overrides: str | int | None) -> Service:
        port = int(overrides.pop("port", None) or free_port())
        service = Service(
            env=service_env(standin, port, **overrides),
            port=port,
            workdir=tmp_path,
            log_path=tmp_path / f"tradeguard-run-{len(started)}.log",
        )
        started.append(service)
        await service.start()
        return service

    yield start
    exits = [(service, await service.terminate()) for service in started]
    for service, _ in exits:  # shown by pytest only when the test fails
        print(f"----- {service.log_path} -----\n{service.log()[-6000:]}")
    for service, code in exits:
        assert service.killed or code == 0, f"{service.log_path.name} exited {code} on SIGTERM"


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    engine = create_async_engine(TEST_DATABASE_URL)
    yield Database(engine)
    await engine.dispose()
