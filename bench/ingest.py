"""Benchmark: signed snapshots accepted per second, driven by wrk from outside Python.

    .venv/bin/python -m bench.ingest [--devices 500] [--connections 64] [--threads 2] [--duration 10]

Setup (not timed): a scratch database and Redis database, the Bot API stand-in, N users and linked
accounts made through the services, each past a first snapshot holding 10 positions (bench/steady.py).
Then, with wrk on its own core (taskset) and the server on the other:

1. the bare handler (bench/bare.py, its own process): the same wrk, script and requests, for the ratio;
2. the service (`tradeguard run`, its own process, LIQUIDATION_GRACE_SECONDS=0): the same run, replaying
   snapshots pre-signed per BRIDGE.md (bench/presign.py says why pre-signed); half-way through, one
   fresh account sends a breaching snapshot, whose answer must carry its close_all; Postgres's
   transactions (pg_stat_database) over the run are divided by the snapshots accepted.

Then the machine's own ceilings for context (redis-benchmark, pgbench -S), and the table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/ingest.py`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench import presign, reads, reference, steady
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
from bench.ingest_table import Measured, metrics
from bench.liquidation import TOKEN, bench_settings
from bench.service import service_process
from bench.traders import Sent, Trader, bridge_load
from bench.wrk import Wrk, core_split, ensure_wrk, pin
from sim.demo import free_port
from sim.telegram import BotApiStandIn

PROJECT = Path(__file__).resolve().parent.parent
BARE_POOL = 20_000  # the bare handler checks nothing: a pool replayed in a loop will do
POOL_DIR = "pool"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.ingest", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--devices",
        type=int,
        default=500,
        help="linked accounts sending snapshots (default 500: BRIDGE.md allows 20 requests/s per device, "
        "so N devices can never be accepted faster than 20×N/s; 500 leaves 2× headroom over 5,000/s)",
    )
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (default 10)")
    parser.add_argument(
        "--pool-rate",
        type=int,
        default=12_000,
        help="signed requests made per second of --duration (default 12,000): a faster service runs the "
        "pool out, which the table reports",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip redis-benchmark and pgbench")
    parser.add_argument(
        "--reads",
        action="store_true",
        help="run the read-side benchmark instead (bench/reads.py: /status and /positions through the bot "
        "with snapshots running); the arguments after it are bench.reads's",
    )
    parser.add_argument("--database-url", help="use this database (its public schema is DROPPED and rebuilt)")
    parser.add_argument("--postgres-url", default=SERVER_URL, help=f"server (default {SERVER_URL})")
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"flushed at start (default {REDIS_URL})")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= presign.MAX_DURATION:
        parser.error(f"--duration must be 1..{presign.MAX_DURATION} s (the signed timestamps' window)")
    if args.devices < args.threads:
        parser.error("--devices must be at least --threads")
    return args


def say(line: str) -> None:
    print(line, flush=True)


@contextlib.asynccontextmanager
async def bare_process(cores: set[int] | None) -> AsyncIterator[str]:
    """bench/bare.py in its own process, on the server's cores; its URL once it answers."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.bare", str(port), cwd=PROJECT)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(30):
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{url}/health") as answer:
                        if answer.status == 200:
                            break
                await asyncio.sleep(0.1)
        pin(process.pid, cores)
        yield url
    finally:
        process.terminate()
        await process.wait()


def pool(directory: Path, devices: list[presign.Device], args: argparse.Namespace, size: int) -> Path:
    """A fresh pool, its timestamp in the middle of the run about to start."""
    directory.mkdir(exist_ok=True)
    presign.write_pool(directory, devices, args.threads, size, int(time.time()) + args.duration // 2)
    return directory


@dataclass
class Breach:
    sent: Sent | None = None
    close_all: bool = False


async def breach_under_load(url: str, trader: Trader, delay: float, breach: Breach) -> None:
    """Half-way through the run, the fresh account's breaching snapshot (grace 0)."""
    await asyncio.sleep(delay)
    async with bridge_load(url, 1) as load:
        breach.sent = await load.snapshot(trader, *trader.snapshot_body())
    breach.close_all = breach.sent.error is None and trader.close_all_command() is not None


async def measure(args: argparse.Namespace, database_url: str, standin_url: str, data_dir: Path) -> Measured:
    server_cores, load_cores = core_split()
    wrk = Wrk(ensure_wrk(), args.threads, args.connections, args.duration, load_cores)
    say(f"  server on CPU {sorted(server_cores or [])}, wrk on CPU {sorted(load_cores or [])} (taskset)")
    settings = bench_settings(args, database_url, data_dir, standin_url)
    accounts = await steady.set_up(settings, args.devices, say)
    say(f"  setup took {accounts.setup_seconds:.1f} s")

    say(f"bare aiohttp handler: wrk {args.duration} s, {args.connections} connections …")
    async with bare_process(server_cores) as url:
        bare_pool = pool(data_dir / POOL_DIR, accounts.devices, args, BARE_POOL)
        bare = await wrk.run(f"{url}/v1/bridge/snapshot", bare_pool, cycle=True)
    say(f"  {bare.accepted_per_second:,.0f} answers/s, p99 {bare.p99_ms:.1f} ms")

    settings = bench_settings(args, database_url, data_dir, standin_url)
    stats = reference.PgStats(database_url)
    try:
        await stats.prepare()
        async with service_process(settings, data_dir / "service.log") as service:
            pin(service.pid or 0, server_cores)
            say(
                f"service (pid {service.pid}): waiting {reference.STATS_WAIT_SECONDS:.0f} s "
                "for Postgres's counters to settle …"
            )
            before = await stats.read()
            say(f"service: wrk {args.duration} s, {args.connections} connections, {args.devices} devices …")
            service_pool = pool(data_dir / POOL_DIR, accounts.devices, args, args.pool_rate * args.duration)
            marks = service.cpu_mark(), cpu_mark()
            breach = Breach()
            breaching = asyncio.create_task(
                breach_under_load(service.url, accounts.breacher, args.duration / 2, breach)
            )
            result = await wrk.run(f"{service.url}/v1/bridge/snapshot", service_pool, cycle=False)
            await breaching
            service_cpu, bench_cpu = service.cpu_share(marks[0]), cpu_share(marks[1])
            say(
                f"  {result.accepted_per_second:,.0f} accepted/s, p99 {result.p99_ms:.1f} ms; "
                "reading Postgres's counters …"
            )
            postgres = (await stats.read()) - before
    finally:
        await stats.close()
    return Measured(
        args.devices,
        result,
        bare,
        breach.sent,
        breach.close_all,
        postgres,
        stats.statements_note,
        service_cpu,
        bench_cpu,
    )


async def run(args: argparse.Namespace) -> bool:
    say("TradeGuard benchmark — snapshot ingest (wrk outside Python)")
    say(machine_info())
    say(f"command: {command_line()}")
    say(
        f"scenario: {args.devices} devices × 10 positions; wrk {args.threads} threads, {args.connections} "
        f"connections, {args.duration} s, no warm-up; service in its own process (tradeguard run)\n"
    )
    await flush_redis(args.redis_url)
    async with (
        scratch_database(args.database_url, args.postgres_url) as database_url,
        BotApiStandIn(token=TOKEN, global_rate=30, per_chat_per_minute=None) as standin,
    ):
        with tempfile.TemporaryDirectory(prefix="tradeguard-ingest-") as data_dir:
            say("setup (not timed):")
            measured = await measure(args, database_url, standin.url, Path(data_dir))
    if not args.no_reference:
        say("reference: redis-benchmark and pgbench -S …")
        measured.redis = await reference.redis_benchmark(args.redis_url)
        measured.pgbench = await reference.pgbench_select_only(args.postgres_url)
    say("")
    passed = print_table(metrics(measured))
    say(measured.statements_note)
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "--reads" in arguments:  # the read side has a benchmark of its own, with its own options
        return reads.main([argument for argument in arguments if argument != "--reads"])
    asyncio.run(run(parse_args(arguments)))
    return 0  # a benchmark, not a test: the verdict is printed, the exit status stays 0


if __name__ == "__main__":
    sys.exit(main())
