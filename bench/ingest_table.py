"""The rows bench/ingest.py prints: the issue's ingest targets, with what was measured beside them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.harness import Metric
from bench.reference import PgCounters
from bench.traders import Sent
from bench.wrk import WrkResult

TARGET_RATE = 5_000  # accepted snapshots per second
TARGET_P99_MS = 20.0
TARGET_RATIO = 0.25  # of the bare handler's rate, same client, same run
DEVICE_LIMIT = 20  # BRIDGE.md: requests per second per device


@dataclass
class Measured:
    devices: int
    service: WrkResult
    bare: WrkResult
    breach: Sent | None
    close_all_in_answer: bool
    postgres: PgCounters
    statements_note: str
    service_cpu: float  # 1.0 = one core
    bench_cpu: float
    redis: dict[str, float] = field(default_factory=dict)
    pgbench: float | None = None


def _per(count: int | None, accepted: int) -> float:
    return math.nan if count is None or not accepted else count / accepted


def ingest_metrics(m: Measured) -> list[Metric]:
    run, bare = m.service, m.bare
    ratio = run.accepted_per_second / bare.accepted_per_second if bare.accepted else math.nan
    return [
        Metric(
            f"signed snapshots accepted/s (10 positions, {m.devices:,} devices)",
            run.accepted_per_second,
            TARGET_RATE,
            at_least=True,
        ),
        Metric("  latency p50", run.p50_ms, unit="ms"),
        Metric("  latency p99", run.p99_ms, TARGET_P99_MS, "ms"),
        Metric("  latency max", run.max_ms, unit="ms"),
        Metric(
            "  ratio to the bare handler's rate (same client, same run)",
            ratio,
            TARGET_RATIO,
            "x",
            at_least=True,
        ),
        Metric("  bare aiohttp handler: answers/s", bare.accepted_per_second),
        Metric("  bare aiohttp handler: latency p99", bare.p99_ms, unit="ms"),
        Metric("  wrk CPU, bare run (its own core: 100 = wrk is the limit)", 100 * bare.cpu, unit="%"),
        Metric("  wrk CPU, service run", 100 * run.cpu, unit="%"),
        Metric("  bare aiohttp handler: refused or failed", bare.refused + bare.socket_errors, 0, exact=True),
        Metric("  answers not 2xx (429, 4xx, 5xx) or failed", run.refused + run.socket_errors, 0, exact=True),
        Metric("    of which 429 rate_limited", run.status_429),
        Metric("    of which other 4xx (401, 409 … : the client's fault)", run.status_4xx),
        Metric("    of which 5xx", run.status_5xx),
        Metric("    of which socket errors and timeouts", run.socket_errors),
        Metric(
            "  answered duplicate: true (seq not newer: the client's fault)", run.duplicate, 0, exact=True
        ),
        Metric("  other 2xx answers (GET /health once a pool ran out)", run.other_2xx),
        Metric("  wrk threads that ran out of signed requests", run.exhausted_threads, 0, exact=True),
        Metric(f"  ceiling set by {DEVICE_LIMIT} requests/s per device", DEVICE_LIMIT * m.devices),
    ]


def breach_metrics(m: Measured) -> list[Metric]:
    latency = math.nan if m.breach is None else 1000 * m.breach.latency
    return [
        Metric(
            "breach → close_all in the answer under that load (grace 0)",
            int(m.close_all_in_answer),
            1,
            exact=True,
        ),
        Metric("  breaching snapshot latency", latency, unit="ms"),
    ]


def postgres_metrics(m: Measured) -> list[Metric]:
    pg, accepted = m.postgres, m.service.accepted
    statements = (
        [
            Metric(
                "  statements per accepted snapshot (pg_stat_statements)",
                _per(pg.statements, accepted),
                unit="x",
            )
        ]
        if pg.statements is not None
        else []
    )
    return [
        Metric(
            "Postgres transactions per accepted snapshot", _per(pg.commits + pg.rollbacks, accepted), unit="x"
        ),
        Metric("  transactions committed during the run", pg.commits),
        Metric("  transactions rolled back during the run", pg.rollbacks),
        Metric("  rows inserted per accepted snapshot", _per(pg.inserted, accepted), unit="x"),
        Metric("  rows updated per accepted snapshot", _per(pg.updated, accepted), unit="x"),
        *statements,
        Metric("  service CPU during the run (1 core = 100)", 100 * m.service_cpu, unit="%"),
        Metric(
            "  bench CPU during the run (breaching client; wrk not included)", 100 * m.bench_cpu, unit="%"
        ),
    ]


def reference_metrics(m: Measured) -> list[Metric]:
    rows = [Metric(f"reference: redis-benchmark {name} requests/s", rate) for name, rate in m.redis.items()]
    if m.pgbench is not None:
        rows.append(Metric("reference: pgbench -S (4 clients, 5 s) transactions/s", m.pgbench))
    return rows


def metrics(m: Measured) -> list[Metric]:
    return [*ingest_metrics(m), *breach_metrics(m), *postgres_metrics(m), *reference_metrics(m)]
