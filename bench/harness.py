"""What every benchmark needs: a database and a Redis database of its own, a free port, the results table."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import shlex
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


async def _on_server(server_url: str, statement: str) -> None:
    engine = create_async_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@contextlib.asynccontextmanager
async def scratch_database(database_url: str | None, server_url: str = SERVER_URL) -> AsyncIterator[str]:
    """`tradeguard_bench_<pid>` created on the server and dropped at the end (as tests/conftest.py does);
    or the database given, whose public schema is rebuilt: it must be one you can throw away."""
    if database_url:
        engine = create_async_engine(database_url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        yield database_url
        return
    name = f"tradeguard_bench_{os.getpid()}"
    await _on_server(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await _on_server(server_url, f"CREATE DATABASE {name}")
    try:
        yield f"{server_url}/{name}"
    finally:
        await _on_server(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def flush_redis(url: str) -> None:
    client = Redis.from_url(url)
    await client.flushdb()
    await client.aclose()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p50 of 1..100 is 50); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass(frozen=True)
class Metric:
    """One line of the table. `target` None: reported, not judged; `exact`: must equal the target,
    otherwise must not exceed it (`at_least` turns that round)."""

    name: str
    measured: float
    target: float | None = None
    unit: str = ""
    exact: bool = False
    at_least: bool = False

    @property
    def passed(self) -> bool | None:
        if self.target is None or math.isnan(self.measured):
            return None if self.target is None else False
        if self.exact:
            return self.measured == self.target
        return self.measured >= self.target if self.at_least else self.measured <= self.target

    def row(self) -> tuple[str, str, str, str, str]:
        sign = "=" if self.exact else "≥" if self.at_least else "≤"
        target = "—" if self.target is None else f"{sign} {_value(self.target, self.unit)}"
        ratio = "—" if not self.target else f"{self.measured / self.target:.2f}"
        verdict = {True: "PASS", False: "FAIL", None: "info"}[self.passed]
        return self.name, _value(self.measured, self.unit), target, ratio, verdict


def _value(number: float, unit: str) -> str:
    if math.isnan(number):
        return "n/a"
    if unit == "s":
        return f"{number:.2f} s"
    if unit == "ms":
        return f"{number:.1f} ms"
    if unit == "msg/s":
        return f"{number:.1f} msg/s"
    if unit == "%":
        return f"{number:.0f} %"
    if unit == "x":  # a count per something, e.g. transactions per snapshot
        return f"{number:.2f}"
    return f"{number:,.0f}"


def print_table(metrics: Sequence[Metric]) -> bool:
    """The table, then the verdict; True when every judged metric passed."""
    header = ("metric", "measured", "target", "ratio", "pass/fail")
    rows = [header, *(metric.row() for metric in metrics)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    line = "-+-".join("-" * width for width in widths)
    for index, row in enumerate(rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print(line)
    failed = [metric.name for metric in metrics if metric.passed is False]
    print(f"\nVERDICT: {'PASS' if not failed else 'FAIL'}", end="")
    print(f" — {len(failed)} target(s) missed: {'; '.join(failed)}" if failed else " — every target met")
    return not failed


def machine_info() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0]
    busy = " — the machine is busy, expect slower numbers" if load > 0.5 * (os.cpu_count() or 1) else ""
    return (
        f"machine: {os.cpu_count()} CPUs ({usable} usable), {platform.machine()}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; load average {load:.2f} at start{busy}"
    )


def cpu_mark() -> tuple[float, float]:
    """Now, as (this process's CPU seconds, wall seconds), for `cpu_share`."""
    return time.process_time(), time.perf_counter()


def cpu_share(since: tuple[float, float]) -> float:
    """This process's CPU time over the wall time since `since`: 1.0 is one core kept busy."""
    cpu, wall = cpu_mark()
    return (cpu - since[0]) / max(wall - since[1], 1e-9)


def command_line() -> str:
    return shlex.join(sys.orig_argv)
