"""Benchmark: 1,000 accounts breach the 20% drawdown limit in the same second.

    .venv/bin/python -m bench.liquidation [--accounts 1000] [--in-flight 100] [--ack] [--in-process]

Setup (not timed): a database and a Redis database of its own, the Bot API stand-in enforcing 30
messages/s, the service (API only, in-process) with LIQUIDATION_GRACE_SECONDS=0. N users and linked
accounts are made through the services; each account reports its peak (equity 10,000), then 8,400 (16%
down, which crosses both warning levels at once). Those setup alerts (connected + one warning per account) are
marked sent in the outbox, so the timed phase starts with an empty outbox. The timed phases then run the
whole service as a separate `tradeguard run` process (the default, --service-process), or in this
process and loop with --in-process.

Phase 1: every account sends a snapshot at equity 7,500 (25% down), at most --in-flight at a time;
timed from the first send to every account's close_all being available (in the snapshot's answer,
or else from GET /v1/bridge/commands). Phase 2: timed from that same first send to every trader's
liquidation warning being delivered to the stand-in; also 429s, lost or duplicate messages, outbox
rows not sent, and what the admin received (one digest per 10 s window, not N messages).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/liquidation.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import outcome, phases
from bench.harness import (
    REDIS_URL,
    SERVER_URL,
    command_line,
    cpu_mark,
    cpu_share,
    flush_redis,
    machine_info,
    print_table,
    scratch_database,
)
from bench.service import ServiceProcess, service_process
from bench.traders import Trader, bridge_load, link_traders
from bot.runner import running
from core.config import Settings
from sim.demo import free_port
from sim.telegram import BotApiStandIn

TOKEN = "7000000002:BENCH-not-a-real-token"
ADMIN_ID = 900001
PEAK_EQUITY = Decimal("10000.00")
WARNED_EQUITY = Decimal("8400.00")  # 16% down: both warning levels (10, 15) before the timed phase
BREACH_EQUITY = Decimal("7500.00")  # 25% down: past the 20% limit
TELEGRAM_RATE = 30
SETUP_ALERTS_PER_ACCOUNT = 3  # account_connected, one drawdown_warning (10 and 15 at once), fast_market


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.liquidation", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000, help="accounts that breach (default 1000)")
    parser.add_argument("--in-flight", type=int, default=100, help="bridge requests in flight (default 100)")
    parser.add_argument(
        "--ack",
        action="store_true",
        help="also ack each close_all and send a flat "
        "snapshot, and time the 'liquidated' alerts too (doubles the delivery phase)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--service-process",
        dest="in_process",
        action="store_false",
        help="the default: the timed phases run the service as its own OS process (`tradeguard run`), "
        "so the simulated EAs and the stand-in do not share its core",
    )
    where.add_argument(
        "--in-process",
        dest="in_process",
        action="store_true",
        help="run the service in the benchmark's own process and loop (bot.runner.running), "
        "sharing one core with the simulated EAs and the stand-in",
    )
    parser.set_defaults(in_process=False)
    parser.add_argument(
        "--api-processes",
        type=int,
        default=1,
        help="with the service in its own process: this many processes serve the bridge on one port "
        "(the full service plus N-1 `tradeguard run --only api`, sharing it with SO_REUSEPORT)",
    )
    parser.add_argument(
        "--database-url",
        help="use this database (its public schema is DROPPED and rebuilt) "
        "instead of creating tradeguard_bench_<pid>",
    )
    parser.add_argument(
        "--postgres-url", default=SERVER_URL, help=f"server for the scratch database (default {SERVER_URL})"
    )
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"flushed at start (default {REDIS_URL})")
    return parser.parse_args(argv)


def bench_settings(args: argparse.Namespace, database_url: str, data_dir: Path, bot_api: str) -> Settings:
    port = free_port()
    return Settings(
        _env_file=None,
        database_url=database_url,
        redis_url=args.redis_url,
        secret_key="bench-secret-key-0123456789abcdef",
        data_dir=data_dir,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=f"{bot_api}/bot",
        admin_telegram_ids=(ADMIN_ID,),
        bridge_host="127.0.0.1",
        bridge_port=port,
        public_bridge_url=f"http://127.0.0.1:{port}",
        liquidation_grace_seconds=0,
        # The simulated EAs send no heartbeats between phases and ack nothing unless --ack: without
        # these the monitor would add stale-feed and overdue alerts to the phase being measured.
        stale_feed_seconds=3600,
        liquidation_verify_seconds=3600,
        # Each simulated trader opened its EURUSD lot by hand after linking: reconciliation rightly tells
        # them of a manual trade once its grace is over, which is not what this benchmark times.
        reconcile_grace_seconds=3600,
        # One process plays every terminal from 127.0.0.1: no per-IP connection cap.
        http_max_connections_per_ip=0,
    )


def say(line: str) -> None:
    print(line, flush=True)


@dataclass
class Setup:
    traders: list[Trader]
    last_outbox_id: int
    drained: dict[str, int]
    seconds: float


async def set_up(settings: Settings, count: int, in_flight: int) -> Setup:
    """Accounts at their peak, then warned at 10% and 15%; their alerts marked sent (not timed)."""
    started = time.perf_counter()
    async with running(settings, ("api",)) as live:
        assert live.http_url is not None
        await live.core.bot_services.users.resolve(ADMIN_ID, "Admin", None, "en")
        traders = await link_traders(live.core, count)
        say(f"  {count} users and linked accounts created ({time.perf_counter() - started:.1f} s)")
        async with bridge_load(live.http_url, in_flight) as load:
            await load.snapshot_round(traders)  # the peak: one `account_connected` each
            for trader in traders:
                trader.open_position()
                trader.mark_to_equity(WARNED_EQUITY)
            await load.snapshot_round(traders)  # 16% down: the 10% and 15% warnings
        drained, last_id = await phases.drain_outbox(live.core.engine)
    return Setup(traders, last_id, drained, time.perf_counter() - started)


async def breach_phase(
    http_url: str,
    standin: BotApiStandIn,
    traders: list[Trader],
    args: argparse.Namespace,
    service: ServiceProcess | None = None,
) -> tuple[int, phases.Breach, float | None]:
    """Phase 1 (and the close-outs, with --ack): where the stand-in's record stood before, the breach,
    and when the close-outs were done (seconds after the first breaching send)."""
    await phases.wait_for(lambda: standin.get_updates_calls > 0, timeout=30)  # the bot is polling
    for trader in traders:
        trader.mark_to_equity(BREACH_EQUITY)
    mark = standin.mark()
    async with bridge_load(http_url, args.in_flight) as load:
        await phases.warm_up(load, traders)
        say(f"phase 1: {len(traders)} breaching snapshots, {args.in_flight} in flight …")
        service_cpu = service.cpu_mark() if service is not None else None
        breach = await phases.breach_all(load, traders)
        if service is not None and service_cpu is not None:
            breach.service_cpu_share = service.cpu_share(service_cpu)
        say(f"  close_all available for all after {breach.seconds:.2f} s")
        for error, count in Counter(breach.errors).most_common(3):  # why, when some were refused
            say(f"  {count} × {error[:200]}")
        if not args.ack:
            return mark, breach, None
        acked_at, failures = await phases.close_out_all(load, traders, breach)
        say(f"  close_all acked and flat snapshots sent after {acked_at:.2f} s ({failures} failed)")
        return mark, breach, acked_at


@dataclass
class Drained:
    settled: bool
    rows: phases.OutboxRows
    cpu: float  # this process busy while the outbox drained
    service_cpu: float = math.nan  # the service's process, when it runs in one


async def drain_phase(
    engine: AsyncEngine, setup: Setup, floor: float, service: ServiceProcess | None = None
) -> Drained:
    """Phase 2: until every timed outbox row has settled, then 1 s more for duplicates to show."""
    say(f"phase 2: delivering through the stand-in at {TELEGRAM_RATE}/s (floor {floor:.1f} s) …")
    draining = cpu_mark()
    service_draining = service.cpu_mark() if service is not None else None
    settled = await phases.wait_for_outbox(engine, setup.last_outbox_id, timeout=3 * floor + 60)
    cpu = cpu_share(draining)
    service_cpu = math.nan
    if service is not None and service_draining is not None:
        service_cpu = service.cpu_share(service_draining)
    await asyncio.sleep(1.0)  # anything sent twice would show up now
    rows = await phases.outbox_rows(engine, setup.last_outbox_id)
    return Drained(settled, rows, cpu, service_cpu)


async def timed_in_process(
    settings: Settings, standin: BotApiStandIn, setup: Setup, args: argparse.Namespace, floor: float
) -> tuple[int, phases.Breach, float | None, Drained, int]:
    rate_limit_log = phases.RateLimitLog.attach()
    try:
        async with running(settings, ("bot", "api", "worker")) as live:
            assert live.http_url is not None
            mark, breach, acked_at = await breach_phase(live.http_url, standin, setup.traders, args)
            drained = await drain_phase(live.core.engine, setup, floor)
    finally:
        rate_limit_log.detach()
    return mark, breach, acked_at, drained, rate_limit_log.honoured


async def timed_service_process(
    settings: Settings, standin: BotApiStandIn, setup: Setup, args: argparse.Namespace, floor: float
) -> tuple[int, phases.Breach, float | None, Drained, int]:
    assert settings.database_url is not None
    engine = create_async_engine(settings.database_url)  # only to read the outbox
    log_path = settings.data_dir / "service.log"
    try:
        async with service_process(settings, log_path) as service, contextlib.AsyncExitStack() as extra:
            say(f"  service process {service.pid} healthy at {service.url}")
            for n in range(1, args.api_processes):
                api_log = settings.data_dir / f"api-{n}.log"
                api = await extra.enter_async_context(service_process(settings, api_log, only="api"))
                say(f"  + API process {api.pid} on the same port")
            mark, breach, acked_at = await breach_phase(service.url, standin, setup.traders, args, service)
            drained = await drain_phase(engine, setup, floor, service)
            honoured = service.rate_limit_log_lines()
    finally:
        await engine.dispose()
    return mark, breach, acked_at, drained, honoured


async def timed(settings: Settings, standin: BotApiStandIn, setup: Setup, args: argparse.Namespace) -> bool:
    traders = setup.traders
    floor = len(traders) * (2 if args.ack else 1) / TELEGRAM_RATE
    run_timed = timed_in_process if args.in_process else timed_service_process
    mark, breach, acked_at, drained, honoured = await run_timed(settings, standin, setup, args, floor)
    chats = {trader.chat_id for trader in traders}
    observed = outcome.Observed(
        count=len(traders),
        breach=breach,
        delivered=outcome.Delivered.read(standin, mark, chats, ADMIN_ID, breach.started_wall),
        rows=drained.rows,
        rate_limited=standin.rate_limited_count,
        honoured=honoured,
        ack_seconds=acked_at,
        settled=drained.settled,
        delivery_cpu=drained.cpu,
        service_delivery_cpu=drained.service_cpu,
    )
    say("")
    return print_table(outcome.metrics(observed))


async def run(args: argparse.Namespace) -> bool:
    say("TradeGuard benchmark — liquidation storm")
    say(machine_info())
    say(f"command: {command_line()}")
    say(
        f"scenario: {args.accounts} accounts breach at once; grace 0 s; stand-in at {TELEGRAM_RATE} msg/s; "
        f"{args.in_flight} bridge requests in flight; ack={'yes' if args.ack else 'no'}; "
        f"service {'in-process' if args.in_process else 'in its own process (tradeguard run)'}\n"
    )
    await flush_redis(args.redis_url)
    async with (
        scratch_database(args.database_url, args.postgres_url) as database_url,
        BotApiStandIn(token=TOKEN, global_rate=TELEGRAM_RATE, per_chat_per_minute=None) as standin,
    ):
        with tempfile.TemporaryDirectory(prefix="tradeguard-bench-") as data_dir:
            say("setup (not timed):")
            setup = await set_up(
                bench_settings(args, database_url, Path(data_dir), standin.url), args.accounts, args.in_flight
            )
            drained = ", ".join(f"{count} {kind}" for kind, count in sorted(setup.drained.items()))
            say(f"  setup took {setup.seconds:.1f} s; setup alerts marked sent: {drained}")
            expected = SETUP_ALERTS_PER_ACCOUNT * args.accounts
            if sum(setup.drained.values()) != expected:
                say(f"  WARNING: expected {expected} setup alerts, found {sum(setup.drained.values())}")
            settings = bench_settings(args, database_url, Path(data_dir), standin.url)
            return await timed(settings, standin, setup, args)


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(run(parse_args(argv)))
    return 0  # a benchmark, not a test: the verdict is printed, the exit status stays 0


if __name__ == "__main__":
    sys.exit(main())
