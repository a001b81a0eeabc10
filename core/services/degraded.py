"""Issue 13: "system degraded" in Telegram. The worker probes each dependency (Postgres, Redis, Telegram)
every few seconds, each probe a `Health` on the board (so an outage is logged once, shows on /ready and
as `tradeguard_loop_healthy{loop="probe-<name>"}`); a dependency down for DEGRADED_AFTER_SECONDS gets
the admins one "degraded" message, and one "recovered" once it has been back for
RECOVERED_AFTER_SECONDS (a link that flaps in between is still the same outage: no second pair).

Delivery: straight through the bot, not the outbox. The outbox lives in Postgres, and the outage the
admins most need to hear of is Postgres's own. The messages are sent best effort (each send given
SEND_SECONDS, through the bot's rate limiter at the urgent priority, never blocking another loop), and
what could not be sent (Telegram down, or slow) is held in memory and retried on the next pass, oldest
first, at most HELD_MAX of them (older ones are dropped and logged). A restart loses what is held: the
outage is logged, on /ready and in Prometheus meanwhile. The admins' languages are looked up while
Postgres answers and remembered for when it does not (English until first known).

`tradeguard_dependency_up{dependency}` and `tradeguard_dependency_down_seconds{dependency}` are this
watcher's view, for the Prometheus rules (deploy/prometheus/alerts.yml)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric

from core.domain.alerts import AlertBody, SystemDegraded, SystemRecovered
from core.services.health import Health, HealthBoard, best_effort
from core.services.ports import UnitOfWorkFactory
from core.services.users import DEFAULT_LANGUAGE

log = logging.getLogger(__name__)
DEGRADED_AFTER_SECONDS = 60.0
RECOVERED_AFTER_SECONDS = 30.0
PROBE_SECONDS = 2.0
SEND_SECONDS = 5.0
LANGUAGE_SECONDS = 300.0  # the admins' languages are looked up again after this
HELD_MAX = 100

Probe = Callable[[], Awaitable[object]]
Notify = Callable[[int, str, AlertBody], Awaitable[object]]  # chat id, language, alert


@dataclass
class OutageWatch:
    """One dependency's outage, from probes: which message, if any, an observation calls for."""

    dependency: str
    after: float = DEGRADED_AFTER_SECONDS
    recover: float = RECOVERED_AFTER_SECONDS
    down_since: float | None = None  # monotonic, the current outage's first failed probe
    down_at: datetime | None = None
    up_since: float | None = None  # back, but not yet for `recover` seconds
    up_at: datetime | None = None
    told: bool = False  # "degraded" was sent for the current outage

    @property
    def up(self) -> bool:
        return self.down_since is None or self.up_since is not None

    def down_for(self, now: float) -> float:
        return 0.0 if self.up or self.down_since is None else now - self.down_since

    def observe(self, up: bool, now: float, at: datetime) -> AlertBody | None:
        if not up:
            self.up_since = self.up_at = None
            if self.down_since is None:
                self.down_since, self.down_at = now, at
            if not self.told and now - self.down_since >= self.after and self.down_at is not None:
                self.told = True
                return SystemDegraded(dependency=self.dependency, since=self.down_at)
            return None
        if self.down_since is None:
            return None
        if not self.told:  # shorter than `after`: nobody was told, nobody needs to be
            self.down_since = self.down_at = None
            return None
        if self.up_since is None:
            self.up_since, self.up_at = now, at
        if now - self.up_since < self.recover or self.down_at is None or self.up_at is None:
            return None
        recovered = SystemRecovered(dependency=self.dependency, since=self.down_at, until=self.up_at)
        self.down_since = self.down_at = self.up_since = self.up_at = None
        self.told = False
        return recovered


class AdminLanguages:
    """Each admin's language, looked up while Postgres answers and remembered for when it does not."""

    def __init__(self, uow: UnitOfWorkFactory, monotonic: Callable[[], float]) -> None:
        self.uow = uow
        self.monotonic = monotonic
        self.known: dict[int, str] = {}
        self.looked_up = -LANGUAGE_SECONDS

    async def refresh(self, admin_ids: tuple[int, ...]) -> None:
        if self.monotonic() - self.looked_up < LANGUAGE_SECONDS:
            return
        async with self.uow() as uow:
            for admin in admin_ids:
                user = await uow.users.by_telegram_id(admin)
                if user is not None:
                    self.known[admin] = user.language
        self.looked_up = self.monotonic()

    def of(self, admin: int) -> str:
        return self.known.get(admin, DEFAULT_LANGUAGE)


class DegradedWatcher:
    """`run_once` every few seconds in the worker; a Prometheus collector of what it saw."""

    def __init__(
        self,
        probes: Mapping[str, Probe],
        board: HealthBoard,
        notify: Notify,
        admin_ids: tuple[int, ...],
        languages: AdminLanguages,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.probes = probes
        self.health = {name: _track(board, f"probe-{name}", monotonic) for name in probes}
        self.watches = {name: OutageWatch(name) for name in probes}
        self.notify = notify
        self.admin_ids = admin_ids
        self.languages = languages
        self.clock = clock
        self.monotonic = monotonic
        self.held: deque[tuple[int, AlertBody]] = deque()

    async def run_once(self) -> None:
        names = list(self.probes)
        results = await asyncio.gather(*(self._probe(name) for name in names))
        now, at = self.monotonic(), self.clock()
        for name, up in zip(names, results, strict=True):
            alert = self.watches[name].observe(up, now, at)
            if alert is not None:
                self._hold(alert)
        postgres = self.watches.get("postgres")
        if postgres is None or postgres.up:
            await self._languages()
        await self._send_held()

    async def _probe(self, name: str) -> bool:
        return await best_effort(self.health[name], self._succeeding(self.probes[name]), False, PROBE_SECONDS)

    @staticmethod
    def _succeeding(probe: Probe) -> Callable[[], Awaitable[bool]]:
        async def call() -> bool:
            await probe()
            return True

        return call

    async def _languages(self) -> None:
        """Best effort: an admin whose language is not known yet is told in English meanwhile."""
        try:
            async with asyncio.timeout(PROBE_SECONDS):
                await self.languages.refresh(self.admin_ids)
        except Exception as error:  # retried on the next pass
            log.debug("admins' languages not looked up: %s", type(error).__name__)

    def _hold(self, alert: AlertBody) -> None:
        log.warning("system %s: telling %d admins", type(alert).__name__, len(self.admin_ids))
        for admin in self.admin_ids:
            self.held.append((admin, alert))
        while len(self.held) > HELD_MAX:
            dropped = self.held.popleft()
            log.error("system alert for %s dropped unsent: %s", dropped[0], dropped[1])

    async def _send_held(self) -> None:
        """Oldest first; stop at the first failure (Telegram is down or slow: the rest wait with it)."""
        while self.held:
            admin, alert = self.held[0]
            try:
                async with asyncio.timeout(SEND_SECONDS):
                    await self.notify(admin, self.languages.of(admin), alert)
            except Exception as error:  # whatever went wrong, it is retried on the next pass
                log.info("system alert to %s not sent yet: %s", admin, type(error).__name__)
                return
            self.held.popleft()

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "tradeguard_dependency_up",
            "0 while the worker's probe of the dependency fails",
            labels=["dependency"],
        )
        down = GaugeMetricFamily(
            "tradeguard_dependency_down_seconds",
            "How long the dependency has been unreachable (0 while up)",
            labels=["dependency"],
        )
        now = self.monotonic()
        for name, watch in sorted(self.watches.items()):
            up.add_metric([name], 1.0 if watch.up else 0.0)
            down.add_metric([name], watch.down_for(now))
        yield up
        yield down


def _track(board: HealthBoard, name: str, monotonic: Callable[[], float]) -> Health:
    """A probe's Health on the board, on the watcher's clock (a back-off of at most 5 s: a dependency
    that is back is seen within a pass or two)."""
    return board.entries.setdefault(name, Health(name, base=1.0, cap=5.0, monotonic=monotonic))
