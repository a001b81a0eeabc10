"""One timed run of bench/reads.py: the service in its own process, 500 snapshots/s from wrk, then the
readers through the stand-in; what Postgres and /metrics counted in each window.

    wrk starts ─ warm-up (every device seen once: the new process loads its credentials), ending with
    a probe of reads under the Telegram budget ─ c0 ─
    snapshots alone (--baseline s) ─ c1 ─ readers (--read-seconds) ─ r ─ settle ─ c2 ─ wrk ends

c0, c1, c2 read pg_stat_database (each after bench.reference's 11 s wait, so that idle backends have
reported) and scrape /metrics. Postgres's transactions owed to the reads are those of c1→c2 less what
snapshots alone cost at the c0→c1 rate over as long; they are divided by the reads the bot handled in
c1→c2 (the backlog the readers left is still being handled while c2 waits). Handler times and replies
are those of the readers' window c1→r.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench import reference
from bench.phases import wait_for
from bench.presign import Device
from bench.reads_metrics import Samples, delta, scrape
from bench.reads_pool import write_paced_pool
from bench.reads_readers import ReadLog, ask, register
from bench.reads_setup import Population
from bench.service import service_process
from bench.wrk import Wrk, WrkResult
from core.config import Settings
from sim.telegram import BotApiStandIn

POOL_LEAD_SECONDS = 2.0  # the first slot's timestamp is this far after the pool is written
PROBE_SETTLE_SECONDS = 2.0  # the probe's last replies go out before the counting starts
SLACK_SECONDS = 6.0  # wrk runs this much past the last read of the counters
Say = Callable[[str], None]


@dataclass(frozen=True)
class Timing:
    snapshot_rate: float
    read_rate: float
    warm_up: float
    baseline: float
    read_seconds: float
    probe_rate: float  # a short read phase under the Telegram budget, at the end of the warm-up
    probe_seconds: float

    @property
    def wrk_seconds(self) -> int:
        """wrk's -d: warm-up, c0's wait, the baseline, the readers, c2's wait, and some slack."""
        wait = reference.STATS_WAIT_SECONDS
        baseline = max(self.baseline, wait)
        return int(self.warm_up + 2 * wait + baseline + self.read_seconds + SLACK_SECONDS + 0.5)


@dataclass
class Window:
    seconds: float
    postgres: reference.PgCounters
    metrics: Samples

    @property
    def transactions(self) -> int:
        return self.postgres.commits + self.postgres.rollbacks


@dataclass
class Run:
    cache_ttl: int
    baseline: Window  # snapshots alone
    reads: Window  # c1 → c2: the readers' window and the settle after it
    readers_metrics: Samples  # c1 → r: the readers' window only
    readers_seconds: float
    probe_metrics: Samples  # the probe's reads: handler time without the budget's queue
    replies_in_window: int  # replies the stand-in received by the end of the readers' window
    log: ReadLog  # everything asked and answered, until the service stopped
    wrk: WrkResult
    service_cpu: float
    rate_limited: int  # 429s the stand-in answered
    devices: list[Device]  # the devices with their next seqs, for the next run


@dataclass
class _Mark:
    at: float
    postgres: reference.PgCounters
    metrics: Samples


async def _mark(stats: reference.PgStats, url: str) -> _Mark:
    postgres = await stats.read()  # waits STATS_WAIT_SECONDS first
    return _Mark(time.perf_counter(), postgres, await scrape(url))


def _window(start: _Mark, end: _Mark) -> Window:
    return Window(end.at - start.at, end.postgres - start.postgres, delta(end.metrics, start.metrics))


async def timed_run(
    settings: Settings,
    standin: BotApiStandIn,
    population: Population,
    wrk: Wrk,
    timing: Timing,
    say: Say,
) -> Run:
    register(standin, population.readers)
    assert settings.database_url is not None
    stats = reference.PgStats(settings.database_url)
    pool_dir = settings.data_dir / f"pool-ttl-{settings.cache_ttl_seconds}"
    try:
        async with service_process(settings, settings.data_dir / "service.log") as service:
            await wait_for(lambda: standin.get_updates_calls > 0, timeout=30)  # the bot is polling
            devices = write_paced_pool(
                pool_dir, population.devices, wrk.threads, timing.snapshot_rate,
                wrk.seconds + POOL_LEAD_SECONDS, time.time() + POOL_LEAD_SECONDS,
            )  # fmt: skip
            say(
                f"  service pid {service.pid}; wrk {wrk.seconds} s at {timing.snapshot_rate:,.0f} "
                f"snapshots/s; warm-up {timing.warm_up:.0f} s …"
            )
            paced = asyncio.create_task(wrk.run(f"{service.url}/v1/bridge/snapshot", pool_dir, cycle=False))
            await asyncio.sleep(max(0.0, timing.warm_up - timing.probe_seconds - PROBE_SETTLE_SECONDS))
            say(
                f"  probe: {timing.probe_rate:,.0f} updates/s for {timing.probe_seconds:.0f} s "
                "(under the Telegram budget) …"
            )
            before_probe = await scrape(service.url)
            await ask(standin, population.readers, timing.probe_rate, timing.probe_seconds, seed=90)
            await asyncio.sleep(PROBE_SETTLE_SECONDS)
            probe = delta(await scrape(service.url), before_probe)
            c0 = await _mark(stats, service.url)
            say(f"  snapshots alone for {timing.baseline:.0f} s …")
            await asyncio.sleep(max(0.0, timing.baseline - reference.STATS_WAIT_SECONDS))
            c1 = await _mark(stats, service.url)
            cpu = service.cpu_mark()
            say(f"  readers: {timing.read_rate:,.0f} updates/s for {timing.read_seconds:.0f} s …")
            log = await ask(standin, population.readers, timing.read_rate, timing.read_seconds, seed=9)
            service_cpu = service.cpu_share(cpu)
            replies = log.answered
            r = _Mark(time.perf_counter(), c1.postgres, await scrape(service.url))
            say(f"  {replies:,} replies in the window; settling …")
            c2 = await _mark(stats, service.url)
            result = await paced
    finally:
        await stats.close()
    return Run(
        settings.cache_ttl_seconds,
        _window(c0, c1),
        _window(c1, c2),
        delta(r.metrics, c1.metrics),
        r.at - c1.at,
        probe,
        replies,
        log,
        result,
        service_cpu,
        standin.rate_limited_count,
        devices,
    )
