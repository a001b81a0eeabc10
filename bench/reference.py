"""What Postgres did during a run (pg_stat_database, pg_stat_statements when loaded), and the machine's
own ceilings for context: redis-benchmark and a short pgbench select-only run."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# PostgreSQL 15 backends flush their counters at most once a second, and an idle backend holds what is
# pending for up to 10 s (PGSTAT_IDLE_INTERVAL): wait that long before each read.
STATS_WAIT_SECONDS = 11.0


@dataclass(frozen=True)
class PgCounters:
    commits: int
    rollbacks: int
    inserted: int
    updated: int
    deleted: int
    statements: int | None  # pg_stat_statements calls, when the extension is loaded

    def __sub__(self, other: PgCounters) -> PgCounters:
        statements = None
        if self.statements is not None and other.statements is not None:
            statements = self.statements - other.statements
        return PgCounters(
            self.commits - other.commits,
            self.rollbacks - other.rollbacks,
            self.inserted - other.inserted,
            self.updated - other.updated,
            self.deleted - other.deleted,
            statements,
        )


class PgStats:
    """Counters of one database, read from another one (`postgres`), so reading them adds nothing."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.name = url.database or ""
        self.engine: AsyncEngine = create_async_engine(
            url.set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        self.statements_note = ""

    async def prepare(self) -> None:
        """pg_stat_statements is used only when the server preloads it (it cannot be turned on here)."""
        async with self.engine.connect() as connection:
            preload = str(await connection.scalar(text("SHOW shared_preload_libraries")))
        if "pg_stat_statements" not in preload:
            self.statements_note = (
                "pg_stat_statements: not in shared_preload_libraries; statements not counted"
            )
            return
        async with self.engine.connect() as connection:
            await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
        self.statements_note = "pg_stat_statements: loaded; statements counted per database"

    async def read(self) -> PgCounters:
        await asyncio.sleep(STATS_WAIT_SECONDS)
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted"
                        " FROM pg_stat_database WHERE datname = :name"
                    ),
                    {"name": self.name},
                )
            ).one()
            statements = None
            if self.statements_note.endswith("per database"):
                statements = await connection.scalar(
                    text(
                        "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
                        " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = :name)"
                    ),
                    {"name": self.name},
                )
        return PgCounters(*(int(value) for value in row), None if statements is None else int(statements))

    async def close(self) -> None:
        await self.engine.dispose()


async def _output(*command: str, env: dict[str, str] | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env
    )
    output, _ = await process.communicate()
    return output.decode(errors="replace")


async def redis_benchmark(redis_url: str) -> dict[str, float]:
    """requests/s of SET and GET (`redis-benchmark -q -t set,get -n 100000`); empty when not installed."""
    if not shutil.which("redis-benchmark"):
        return {}
    url = urlsplit(redis_url)
    output = await _output(
        "redis-benchmark", "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379),
        "-q", "-t", "set,get", "-n", "100000",
    )  # fmt: skip
    found = re.findall(r"^\s*(SET|GET): ([\d.]+) requests per second", output.replace("\r", "\n"), re.M)
    return {name: float(rate) for name, rate in found}


async def pgbench_select_only(server_url: str, seconds: int = 5) -> float | None:
    """Transactions/s of `pgbench -S` (4 clients, 2 threads) on a scratch database; None without pgbench."""
    if not shutil.which("pgbench"):
        return None
    url = make_url(server_url)
    env = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432)}
    env["PGUSER"] = url.username or "postgres"
    if url.password:
        env["PGPASSWORD"] = url.password
    name = f"tradeguard_pgbench_{os.getpid()}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            await connection.execute(text(f"CREATE DATABASE {name}"))
        await _output("pgbench", "-i", "-q", "-s", "1", name, env=env)
        output = await _output("pgbench", "-S", "-n", "-c", "4", "-j", "2", "-T", str(seconds), name, env=env)
        found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
        return float(found.group(1)) if found else None
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()
