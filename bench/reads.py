"""Benchmark: /status and /positions through the bot over 10,000 users, with 500 snapshots/s running.

    .venv/bin/python -m bench.reads [--users 10000] [--read-rate 200] [--snapshot-rate 500] [--cache-ttl 5]
    .venv/bin/python -m bench.ingest --reads [same options]

Setup (not timed, bench/reads_setup.py): a scratch database and Redis database, N users each with a
linked account (through the services), two snapshots per account so that each hot state is current.
Then twice, once with the read cache on (CACHE_TTL_SECONDS, default the service's 5) and once off
(CACHE_TTL_SECONDS=0), on the same data (bench/reads_run.py):

1. `tradeguard run` in its own process, against a Telegram stand-in in this process with its rate limits
   off, so that the bot's own Telegram budget (29 messages/s) is the only limit on replies;
2. wrk, outside Python on its own core, sending pre-signed snapshots at a steady 500/s over every device
   (bench/reads_pool.py, bench/reads_paced.lua);
3. after a warm-up and a window of snapshots alone, random users type /status or /positions (half each)
   at 200 updates/s for 30 s through the stand-in.

Reported: the handler time from the service's Prometheus histogram (delta of /metrics scraped before
and after), replies received, snapshots accepted meanwhile, and Postgres's transactions
(pg_stat_database, commits + rollbacks) owed to the reads per read; then the ratio cache off / cache on.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/reads.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    REDIS_URL,
    SERVER_URL,
    command_line,
    flush_redis,
    machine_info,
    print_table,
    scratch_database,
)
from bench.liquidation import TOKEN, bench_settings
from bench.reads_run import Run, Timing, timed_run
from bench.reads_setup import Population, set_up
from bench.reads_table import NOTE, metrics
from bench.wrk import Wrk, core_split, ensure_wrk
from sim.telegram import BotApiStandIn

PACED = Path(__file__).with_name("reads_paced.lua")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.reads", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000, help="users, one linked account each (10,000)")
    parser.add_argument("--read-rate", type=float, default=200, help="updates/s the readers send (200)")
    parser.add_argument("--read-seconds", type=float, default=30, help="seconds of reading (30)")
    parser.add_argument("--snapshot-rate", type=float, default=500, help="snapshots/s from wrk (500)")
    parser.add_argument(
        "--baseline", type=float, default=30, help="seconds of snapshots alone before the reads (30)"
    )
    parser.add_argument(
        "--warm-up",
        type=float,
        help="seconds of snapshots before any counting (default: one round of every device, + 5 s): a new "
        "process loads each device's credentials from Postgres once",
    )
    parser.add_argument(
        "--cache-ttl",
        type=int,
        default=5,
        help="CACHE_TTL_SECONDS of the cache-on run (5, the service's default)",
    )
    parser.add_argument(
        "--probe-rate",
        type=float,
        default=20,
        help="updates/s of a probe under the bot's 29/s budget, at the end of the warm-up (20): its handler "
        "time is the handling itself, without the budget's queue",
    )
    parser.add_argument("--probe-seconds", type=float, default=10, help="seconds of the probe (10)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--database-url", help="use this database (its public schema is DROPPED and rebuilt)")
    parser.add_argument("--postgres-url", default=SERVER_URL, help=f"server (default {SERVER_URL})")
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"flushed at start (default {REDIS_URL})")
    args = parser.parse_args(argv)
    if args.cache_ttl < 1:
        parser.error("--cache-ttl is the cache-on run's TTL: at least 1 (the second run is the 0)")
    if args.users < args.threads or min(args.read_rate, args.snapshot_rate, args.read_seconds) <= 0:
        parser.error("--users must be at least --threads; the rates and --read-seconds positive")
    if args.warm_up is None:
        args.warm_up = args.users / args.snapshot_rate + args.probe_seconds + 7
    return args


def say(line: str) -> None:
    print(line, flush=True)


async def one_run(
    args: argparse.Namespace, database_url: str, data_dir: Path, population: Population, ttl: int
) -> Run:
    timing = timing_of(args)
    _, load_cores = core_split()  # wrk on the last CPU; the service free to use either
    wrk = Wrk(ensure_wrk(), args.threads, args.connections, timing.wrk_seconds, load_cores, script=PACED)
    async with BotApiStandIn(token=TOKEN, global_rate=None, per_chat_per_minute=None) as standin:
        settings = bench_settings(args, database_url, data_dir, standin.url)
        settings = settings.model_copy(update={"cache_ttl_seconds": ttl})
        run = await timed_run(settings, standin, population, wrk, timing, say)
    population.devices = run.devices  # the next run's pool continues every device's seq
    return run


def timing_of(args: argparse.Namespace) -> Timing:
    return Timing(
        args.snapshot_rate,
        args.read_rate,
        args.warm_up,
        args.baseline,
        args.read_seconds,
        args.probe_rate,
        args.probe_seconds,
    )


async def run(args: argparse.Namespace) -> bool:
    say("TradeGuard benchmark — /status and /positions through the bot, with snapshots running")
    say(machine_info())
    say(f"command: {command_line()}")
    say(
        f"scenario: {args.users:,} users with one linked account each; {args.read_rate:,.0f} updates/s for "
        f"{args.read_seconds:.0f} s (random users, half /status, half /positions) through the Telegram "
        f"stand-in (its rate limits off: the bot's 29/s budget is the limit); {args.snapshot_rate:,.0f} "
        f"signed snapshots/s from wrk (outside Python, paced); service in its own process; run with "
        f"CACHE_TTL_SECONDS={args.cache_ttl}, then 0\n"
    )
    await flush_redis(args.redis_url)
    async with scratch_database(args.database_url, args.postgres_url) as database_url:
        with tempfile.TemporaryDirectory(prefix="tradeguard-reads-") as directory:
            data_dir = Path(directory)
            say("setup (not timed):")
            async with BotApiStandIn(token=TOKEN) as standin:
                settings = bench_settings(args, database_url, data_dir, standin.url)
                population = await set_up(settings, args.users, say)
            say(f"  setup took {population.setup_seconds:.1f} s")
            say(f"cache on (CACHE_TTL_SECONDS={args.cache_ttl}):")
            on = await one_run(args, database_url, data_dir, population, args.cache_ttl)
            say("cache off (CACHE_TTL_SECONDS=0):")
            off = await one_run(args, database_url, data_dir, population, 0)
    say("")
    passed = print_table(metrics(on, off, timing_of(args)))
    say(f"\n{NOTE}")
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    asyncio.run(run(parse_args(argv)))
    return 0  # a benchmark, not a test: the verdict is printed, the exit status stays 0


if __name__ == "__main__":
    sys.exit(main())
