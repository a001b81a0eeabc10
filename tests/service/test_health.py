"""A loop whose service is down backs off (exponentially, with jitter, capped), says so once per outage
and once when it ends, and shows it (core.services.health, and bot.runner's periodic loops)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.runner import _every
from core.services.health import Health, HealthBoard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def health(jitter: float = 1.0, clock: Clock | None = None) -> Health:
    return Health("relay", base=0.5, cap=30.0, monotonic=clock or Clock(), jitter=lambda: jitter)


def test_the_wait_doubles_with_each_failure_in_a_row_up_to_the_cap() -> None:
    relay = health(jitter=1.0)
    waits = [relay.failed(ConnectionError("down")) for _ in range(10)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]


def test_jitter_takes_at_most_half_of_the_wait_off() -> None:
    assert [health(jitter=0.0).failed(OSError()) for _ in range(1)] == [0.25]
    relay = health(jitter=0.0)
    assert [relay.failed(OSError()) for _ in range(3)] == [0.25, 0.5, 1.0]


def test_an_outage_is_logged_once_when_it_begins_and_once_when_it_ends_with_its_length(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    relay = health(clock=clock)
    with caplog.at_level(logging.DEBUG, logger="core.services.health"):
        for _ in range(50):
            relay.failed(ConnectionError("Connection refused"))
        clock.now += 12.5
        relay.succeeded()
        relay.succeeded()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert warnings == ["relay degraded: ConnectionError: Connection refused (backing off, retrying)"]
    assert infos == ["relay recovered after 12.5 s (50 failed tries)"]


def test_after_a_recovery_the_next_outage_starts_again_from_the_shortest_wait_and_warns_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    relay = health()
    with caplog.at_level(logging.WARNING, logger="core.services.health"):
        relay.failed(OSError())
        relay.failed(OSError())
        relay.succeeded()
        assert relay.failed(OSError()) == 0.5
    assert len(caplog.records) == 2


def test_a_fallback_may_try_the_service_again_only_once_its_wait_is_over() -> None:
    clock = Clock()
    doorbell = health(clock=clock)
    assert doorbell.may_try()
    wait = doorbell.failed(ConnectionError())
    assert not doorbell.may_try()
    clock.now += wait
    assert doorbell.may_try()


def test_the_board_reports_each_loop_ok_or_degraded_since_and_exports_prometheus_metrics() -> None:
    board = HealthBoard()
    board.track("guard-monitor").succeeded()
    board.track("relay").failed(ConnectionError())
    board.track("doorbell")  # never tried: this process does not run it
    report = board.report()
    assert set(report) == {"guard-monitor", "relay"}
    assert report["guard-monitor"] == "ok"
    assert report["relay"].startswith("degraded since ")
    assert report["relay"].endswith("(ConnectionError, 1 failed tries)")
    metrics = {m.name: {s.labels["loop"]: s.value for s in m.samples} for m in board.collect()}
    assert metrics["tradeguard_loop_healthy"] == {"guard-monitor": 1.0, "relay": 0.0}
    assert metrics["tradeguard_loop_failures"] == {"guard-monitor": 0.0, "relay": 1.0}


async def test_a_periodic_loop_whose_work_keeps_failing_backs_off_instead_of_retrying_every_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tries = 0
    down = True

    async def work() -> None:
        nonlocal tries
        tries += 1
        if down:
            raise ConnectionError("database down")

    monitor = Health("guard-monitor", base=0.1, cap=1.0)
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO, logger="core.services.health"):
        loop = asyncio.create_task(_every(0.01, work, monitor, stop))
        await asyncio.sleep(2.0)
        failed_tries = tries
        down = False
        await asyncio.sleep(1.5)
        stop.set()
        await loop
    assert 3 <= failed_tries <= 8, failed_tries  # every 0.01 s it would have been ~200
    assert monitor.healthy
    messages = [(r.levelname, r.getMessage().split(":")[0]) for r in caplog.records]
    assert messages[0] == ("WARNING", "guard-monitor degraded")
    assert [m for m in messages if m[0] != "DEBUG"] == [
        ("WARNING", "guard-monitor degraded"),
        ("INFO", messages[-1][1]),
    ]
    assert messages[-1][1].startswith("guard-monitor recovered after")
