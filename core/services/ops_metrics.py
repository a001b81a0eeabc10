"""Issue 13: what the Prometheus rules watch that no loop counts by itself: the outbox's backlog and its
oldest open alert, stale feeds, liquidations in progress and overdue. Read from Postgres by the worker
every OPS_STATS_SECONDS (a scrape never waits for the database) and served from memory on /metrics;
the families are there (without samples) before the first read, and keep the last read through an
outage (`tradeguard_ops_stats_age_seconds` says how old it is)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily, Metric

OPS_STATS_SECONDS = 15.0


@dataclass(frozen=True)
class OpsStats:
    outbox_open: int  # alerts pending or being sent
    outbox_oldest_open_seconds: float  # 0 when none is open
    outbox_undeliverable: int  # given up (blocked chat, refused, out of attempts): grows, never shrinks
    accounts: int  # accounts with a guard state (they have reported at least once)
    feeds_stale: int
    liquidations_in_progress: int  # breach: liquidation pending or closing
    liquidations_overdue: int  # closing, and the EA has not confirmed within the overdue window


class OpsStatsReader(Protocol):
    async def read(self, now: datetime) -> OpsStats: ...


GAUGES: tuple[tuple[str, str, str], ...] = (
    ("tradeguard_outbox_open", "outbox_open", "Alerts in the outbox pending or being sent"),
    ("tradeguard_outbox_oldest_open_seconds", "outbox_oldest_open_seconds", "Age of the oldest open alert"),
    ("tradeguard_outbox_undeliverable", "outbox_undeliverable", "Alerts given up as undeliverable, ever"),
    ("tradeguard_accounts_guarded", "accounts", "Accounts with a guard state"),
    ("tradeguard_accounts_feed_stale", "feeds_stale", "Accounts whose EA has gone quiet (feed stale)"),
    ("tradeguard_liquidations_in_progress", "liquidations_in_progress", "Accounts in a breach, closing"),
    ("tradeguard_liquidations_overdue", "liquidations_overdue", "Liquidations not confirmed in time"),
)


class OpsMetrics:
    """A Prometheus collector of the latest `OpsStats`; `refresh` is the worker's loop."""

    def __init__(
        self,
        reader: OpsStatsReader,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.clock = clock
        self.monotonic = monotonic
        self.latest: OpsStats | None = None
        self.read_at = 0.0

    async def refresh(self) -> None:
        self.latest = await self.reader.read(self.clock())
        self.read_at = self.monotonic()

    def collect(self) -> Iterator[Metric]:
        for name, field, help_text in GAUGES:
            gauge = GaugeMetricFamily(name, help_text)
            if self.latest is not None:
                gauge.add_metric([], float(getattr(self.latest, field)))
            yield gauge
        age = GaugeMetricFamily(
            "tradeguard_ops_stats_age_seconds", "Seconds since the figures above were read"
        )
        if self.latest is not None:
            age.add_metric([], self.monotonic() - self.read_at)
        yield age
