"""Loops and best-effort calls that depend on a service (Postgres, Redis, Telegram): while it is down
they back off instead of spinning, say so once per outage instead of once per try, and show it.

One `Health` per loop (or per best-effort call site), all kept on one `HealthBoard`, which /ready
reports and Prometheus scrapes (`tradeguard_loop_healthy{loop=}`, `tradeguard_loop_failures_total`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import TypeVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from core.domain.codec import encode_time

log = logging.getLogger(__name__)
BEST_EFFORT_SECONDS = 1.0  # a best-effort call gives up after this (a client may retry for longer)
T = TypeVar("T")


class Health:
    """One dependant's view of its service.

    `failed()` after a failed try: a WARNING on the first failure of an outage (the rest at DEBUG),
    and the wait before the next try: `base` seconds doubled per consecutive failure, capped at
    `cap`, with jitter (a random half of it) so that many loops do not retry in step.
    `succeeded()` after a good try: an INFO, once, when an outage ends, saying how long it lasted.
    """

    def __init__(
        self,
        name: str,
        *,
        base: float = 0.5,
        cap: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.name = name
        self.base = base
        self.cap = cap
        self.monotonic = monotonic
        self.jitter = jitter
        self.used = False  # tried at least once: a loop this process never runs is not reported
        self.failures = 0  # every failed try since start, for the counter
        self.streak = 0  # consecutive failed tries: the current outage
        self.since: datetime | None = None  # when the current outage began
        self.since_monotonic = 0.0
        self.last_error = ""
        self.next_try = 0.0

    @property
    def healthy(self) -> bool:
        return self.streak == 0

    def may_try(self) -> bool:
        """False while the wait after the last failure runs (a loop with a fallback uses it meanwhile)."""
        return self.healthy or self.monotonic() >= self.next_try

    def failed(self, error: BaseException) -> float:
        self.used = True
        self.failures += 1
        self.streak += 1
        self.last_error = type(error).__name__
        if self.streak == 1:
            self.since = datetime.now(UTC)
            self.since_monotonic = self.monotonic()
            log.warning("%s degraded: %s: %s (backing off, retrying)", self.name, self.last_error, error)
            log.debug("%s: the failure that began the outage", self.name, exc_info=error)
        else:
            log.debug("%s still degraded (try %d): %s", self.name, self.streak, self.last_error)
        delay = self.delay()
        self.next_try = self.monotonic() + delay
        return delay

    def succeeded(self) -> None:
        self.used = True
        if self.streak == 0:
            return
        lasted = self.monotonic() - self.since_monotonic
        log.info("%s recovered after %.1f s (%d failed tries)", self.name, lasted, self.streak)
        self.streak = 0
        self.since = None
        self.next_try = 0.0

    def delay(self) -> float:
        full = min(self.cap, self.base * float(2 ** min(self.streak - 1, 30)))
        return full / 2 + full / 2 * self.jitter()

    def describe(self) -> str:
        if self.since is None:
            return "ok"
        since = encode_time(self.since, "seconds")
        return f"degraded since {since} ({self.last_error}, {self.streak} failed tries)"


class HealthBoard:
    """Every `Health` of the process, for /ready and as a Prometheus collector."""

    def __init__(self) -> None:
        self.entries: dict[str, Health] = {}

    def track(self, name: str, base: float = 0.5, cap: float = 30.0) -> Health:
        if name not in self.entries:
            self.entries[name] = Health(name, base=base, cap=cap)
        return self.entries[name]

    def report(self) -> dict[str, str]:
        return {name: health.describe() for name, health in sorted(self.entries.items()) if health.used}

    def collect(self) -> Iterator[Metric]:
        healthy = GaugeMetricFamily(
            "tradeguard_loop_healthy", "0 while the loop's service is down", labels=["loop"]
        )
        failures = CounterMetricFamily(
            "tradeguard_loop_failures", "Failed tries of the loop since the process started", labels=["loop"]
        )
        for name, health in sorted(self.entries.items()):
            if not health.used:
                continue
            healthy.add_metric([name], 1.0 if health.healthy else 0.0)
            failures.add_metric([name], float(health.failures))
        yield healthy
        yield failures


async def best_effort(
    health: Health,
    call: Callable[[], Awaitable[T]],
    fallback: T,
    seconds: float = BEST_EFFORT_SECONDS,
    *,
    quiet: bool = False,
) -> T:
    """`call()`, or `fallback` when it fails or takes longer than `seconds`, and at once while `health`
    backs off after a failure (so an outage costs one slow try per back-off, not one per call).
    `quiet`: a write-through after a commit reports a success only as a recovery, as after-commit news
    does, so a process that only writes lists no Redis loop on /ready."""
    if not health.may_try():
        return fallback
    try:
        async with asyncio.timeout(seconds):
            result = await call()
    except Exception as error:  # whatever the trouble, the caller goes on without it
        health.failed(error)
        return fallback
    if not quiet or not health.healthy:
        health.succeeded()
    return result
