"""The timed steps of the liquidation benchmark, and the outbox bookkeeping around them."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness import cpu_mark, cpu_share
from bench.traders import PING_PATH, BridgeLoad, Trader


async def drain_outbox(engine: AsyncEngine) -> tuple[dict[str, int], int]:
    """Mark every setup alert sent (no relay runs during setup); the kinds drained and the last row id."""
    async with engine.begin() as connection:
        kinds = await connection.scalars(
            text(
                "UPDATE outbox SET status = 'sent', sent_at = now()"
                " WHERE status IN ('pending', 'sending') RETURNING kind"
            )
        )
        drained = dict(Counter(kinds.all()))
        last_id = await connection.scalar(text("SELECT coalesce(max(id), 0) FROM outbox"))
    return drained, int(last_id)


async def wait_for(condition: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(every)
    return True


async def warm_up(load: BridgeLoad, traders: Sequence[Trader], rounds: int = 3) -> None:
    """Heartbeats from as many EAs as may be in flight: a running service has its HTTP keep-alive and
    database connections open already, so the timed phase should not pay for opening them."""
    pingers = list(traders[: load.in_flight])
    for _ in range(rounds):
        await asyncio.gather(*(load.call(trader, "GET", PING_PATH) for trader in pingers))


@dataclass
class Breach:
    started_wall: float  # time.time() of the first send: the stand-in stamps messages on this clock
    started: float  # time.perf_counter() of the first send
    seconds: float = math.nan  # first send → every close_all available (NaN if some never were)
    latencies: list[float] = field(default_factory=list)
    in_answer: int = 0
    verified_later: int = 0
    errors: list[str] = field(default_factory=list)
    cpu_share: float = math.nan  # this process (stand-in, load and, in-process, the service) busy
    service_cpu_share: float = math.nan  # the service's own process, when it runs in one (1.0 = one core)


async def breach_all(load: BridgeLoad, traders: Sequence[Trader]) -> Breach:
    """Every account sends its breaching snapshot; the accounts whose answer lacked a close_all ask
    GET /v1/bridge/commands for it (that time counts too)."""
    bodies = [trader.snapshot_body() for trader in traders]  # built before the clock starts
    breach = Breach(time.time(), time.perf_counter())
    cpu = cpu_mark()
    sent = await asyncio.gather(*(load.snapshot(t, *b) for t, b in zip(traders, bodies, strict=True)))
    breach.latencies = [s.latency for s in sent if s.error is None]
    breach.errors = [s.error for s in sent if s.error is not None]
    confirmed = [s.done_at for s in sent if s.error is None and s.trader.close_all_command()]
    breach.in_answer = len(confirmed)
    missing = [s.trader for s in sent if s.error is None and not s.trader.close_all_command()]
    checks = await asyncio.gather(*(load.pending_commands(trader) for trader in missing))
    later = [c.done_at for c in checks if c.error is None and c.trader.close_all_command()]
    breach.verified_later = len(later)
    if len(confirmed) + len(later) == len(traders):
        breach.seconds = max(confirmed + later) - breach.started
    breach.cpu_share = cpu_share(cpu)
    return breach


async def close_out_all(load: BridgeLoad, traders: Sequence[Trader], breach: Breach) -> tuple[float, int]:
    """Each EA closes everything, acks done and reports flat; seconds since the breach began, failures."""
    answers = await asyncio.gather(*(load.close_out(trader) for trader in traders))
    failures = sum(1 for sent in answers for s in sent if s.error is not None)
    failures += sum(1 for sent in answers if not sent)
    return time.perf_counter() - breach.started, failures


async def _outbox_backlog(engine: AsyncEngine, after_id: int) -> tuple[int, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT count(*) FILTER (WHERE status IN ('pending', 'sending')), count(*)"
                    " FROM outbox WHERE id > :after"
                ),
                {"after": after_id},
            )
        ).one()
    return int(row[0]), int(row[1])


async def wait_for_outbox(engine: AsyncEngine, after_id: int, timeout: float) -> bool:
    """Until every row written after `after_id` is settled (sent or given up), or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting, total = await _outbox_backlog(engine, after_id)
        if total and not waiting:
            return True
        await asyncio.sleep(0.25)
    return False


@dataclass(frozen=True)
class OutboxRows:
    by_status: dict[str, int]
    by_kind: dict[str, int]
    extra_attempts: int  # claims beyond the first: retries after a failure or an expired lease
    digest_rows: int
    digest_items: int


async def outbox_rows(engine: AsyncEngine, after_id: int) -> OutboxRows:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT kind, status, attempts,"
                    " CASE WHEN kind = 'admin_liquidation_digest'"
                    " THEN jsonb_array_length(params -> 'items') ELSE 0 END"
                    " FROM outbox WHERE id > :after"
                ),
                {"after": after_id},
            )
        ).all()
    digests = [row for row in rows if row[0] == "admin_liquidation_digest"]
    return OutboxRows(
        by_status=dict(Counter(row[1] for row in rows)),
        by_kind=dict(Counter(row[0] for row in rows)),
        extra_attempts=sum(max(0, row[2] - 1) for row in rows),
        digest_rows=len(digests),
        digest_items=sum(row[3] for row in digests),
    )


class RateLimitLog(logging.Handler):
    """Counts the 429s the bot's Telegram budget waited out (bot/budget.py logs each RetryAfter: every
    send pauses and the refused one keeps its place, so none is handed to the relay any more)."""

    LOGGER = "bot.budget"

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retried = 0
        self.handed_to_relay = 0

    @classmethod
    def attach(cls) -> RateLimitLog:
        handler = cls()
        logger = logging.getLogger(cls.LOGGER)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # counted here, not printed a thousand times
        logger.addHandler(handler)
        return handler

    def detach(self) -> None:
        logger = logging.getLogger(self.LOGGER)
        logger.removeHandler(self)
        logger.propagate = True

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Telegram asked to wait"):
            self.retried += 1

    @property
    def honoured(self) -> int:
        return self.retried + self.handed_to_relay
