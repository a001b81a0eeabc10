"""What the stand-in received during the timed phase, and the table of metrics against their targets."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from bench.harness import Metric, percentile
from bench.phases import Breach, OutboxRows
from bot.i18n import catalog
from sim.telegram import BotApiStandIn

TELEGRAM_RATE = 30
CLOSE_ALL_SECONDS = 1.0
FLOOR_MARGIN = 1.10  # delivery may take at most 10% longer than N messages at 30/s
DIGEST_WINDOW = 10


def _marker(message_id: str) -> str:
    """The leading emoji of an English alert: how a trader's messages are told apart."""
    return catalog("en")[message_id].split()[0]


@dataclass
class Delivered:
    """Seconds after the first breaching send at which each trader chat got each kind of alert."""

    warnings: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    liquidated: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    unexpected: int = 0
    admin: list[float] = field(default_factory=list)
    trader_ids: frozenset[int] = frozenset()

    @classmethod
    def read(
        cls, standin: BotApiStandIn, mark: int, trader_ids: set[int], admin_id: int, started_wall: float
    ) -> Delivered:
        warning, liquidated = _marker("alert.liquidation_warning"), _marker("alert.liquidated")
        delivered = cls(trader_ids=frozenset(trader_ids))
        for message in standin.sent[mark:]:
            after = message.time - started_wall
            if message.chat_id == admin_id:
                delivered.admin.append(after)
            elif message.chat_id in trader_ids and message.text.startswith(warning):
                delivered.warnings[message.chat_id].append(after)
            elif message.chat_id in trader_ids and message.text.startswith(liquidated):
                delivered.liquidated[message.chat_id].append(after)
            else:
                delivered.unexpected += 1
        return delivered

    def exactly_one(self, kind: dict[int, list[float]]) -> int:
        return sum(1 for chat in self.trader_ids if len(kind.get(chat, [])) == 1)

    def lost(self, kind: dict[int, list[float]]) -> int:
        return sum(1 for chat in self.trader_ids if not kind.get(chat))

    @staticmethod
    def duplicates(kind: dict[int, list[float]]) -> int:
        return sum(len(times) - 1 for times in kind.values() if len(times) > 1)

    @staticmethod
    def times(kind: dict[int, list[float]]) -> list[float]:
        return [moment for times in kind.values() for moment in times]


def _last(values: list[float], complete: bool) -> float:
    return max(values) if values and complete else math.nan


def close_all_metrics(count: int, breach: Breach) -> list[Metric]:
    ms = [latency * 1000 for latency in breach.latencies]
    return [
        Metric(f"phase 1: close_all available for all {count:,}", breach.seconds, CLOSE_ALL_SECONDS, "s"),
        Metric("  close_all already in the snapshot answer", breach.in_answer, count, exact=True),
        Metric("  close_all found by GET /v1/bridge/commands", breach.verified_later),
        Metric("  breaching snapshots refused or failed", len(breach.errors), 0, exact=True),
        Metric("  snapshot latency p50", percentile(ms, 0.50), unit="ms"),
        Metric("  snapshot latency p95", percentile(ms, 0.95), unit="ms"),
        Metric("  snapshot latency max", max(ms, default=math.nan), unit="ms"),
        Metric("  snapshots per second (phase 1)", count / breach.seconds, unit="msg/s"),
        *_cpu_metrics("in phase 1", breach.service_cpu_share, breach.cpu_share),
    ]


def _cpu_metrics(when: str, service: float, bench: float) -> list[Metric]:
    """One line when the service ran in the benchmark's process; two when it ran in its own."""
    if math.isnan(service):
        return [Metric(f"  process CPU {when} (1 core = 100)", 100 * bench, unit="%")]
    return [
        Metric(f"  service CPU {when} (1 core = 100)", 100 * service, unit="%"),
        Metric(f"  bench CPU {when} (EAs, stand-in)", 100 * bench, unit="%"),
    ]


def delivery_metrics(count: int, delivered: Delivered, ack_seconds: float | None) -> list[Metric]:
    warnings = delivered.times(delivered.warnings)
    complete = delivered.lost(delivered.warnings) == 0
    floor = count / TELEGRAM_RATE
    first = min(warnings, default=math.nan)
    metrics = [
        Metric(
            f"phase 2: all {count:,} liquidation warnings delivered",
            _last(warnings, complete),
            FLOOR_MARGIN * floor,
            "s",
        ),
        Metric(f"  floor: {count:,} messages at {TELEGRAM_RATE}/s", floor, unit="s"),
        Metric("  first warning delivered", first, unit="s"),
        Metric("  median warning delivered", percentile(warnings, 0.5), unit="s"),
        Metric(
            "  delivery rate, first to last",
            _rate(warnings),
            TELEGRAM_RATE / FLOOR_MARGIN,
            "msg/s",
            at_least=True,
        ),
        Metric(
            "  chats with exactly one liquidation warning",
            delivered.exactly_one(delivered.warnings),
            count,
            exact=True,
        ),
        Metric("  liquidation warnings lost", delivered.lost(delivered.warnings), 0, exact=True),
        Metric("  liquidation warnings duplicated", delivered.duplicates(delivered.warnings), 0, exact=True),
    ]
    if ack_seconds is not None:
        everything = warnings + delivered.times(delivered.liquidated)
        done = complete and delivered.lost(delivered.liquidated) == 0
        metrics += [
            Metric("  (--ack) close_all acked + flat snapshot, all", ack_seconds, unit="s"),
            Metric(
                f"  (--ack) all {2 * count:,} trader alerts delivered",
                _last(everything, done),
                FLOOR_MARGIN * 2 * floor,
                "s",
            ),
            Metric("  (--ack) 'liquidated' alerts lost", delivered.lost(delivered.liquidated), 0, exact=True),
            Metric(
                "  (--ack) 'liquidated' alerts duplicated",
                delivered.duplicates(delivered.liquidated),
                0,
                exact=True,
            ),
        ]
    metrics.append(Metric("  other messages to trader chats", delivered.unexpected, 0, exact=True))
    return metrics


def _rate(times: list[float]) -> float:
    if len(times) < 2 or max(times) == min(times):
        return math.nan
    return (len(times) - 1) / (max(times) - min(times))


@dataclass(frozen=True)
class Observed:
    """Everything the timed phases left behind."""

    count: int
    breach: Breach
    delivered: Delivered
    rows: OutboxRows
    rate_limited: int  # 429s the stand-in answered
    honoured: int  # 429s PTB waited out, or handed to the relay to reschedule
    ack_seconds: float | None  # --ack: close-outs done, seconds after the first breaching send
    settled: bool  # the outbox emptied before the timeout
    delivery_cpu: float  # this process busy while the outbox drained after phase 1 (1.0 = one core)
    service_delivery_cpu: float = math.nan  # the service's own process, when it runs in one

    def digest_windows(self) -> int:
        """10 s windows the breaches (and close-outs) fell in: the admin may get a digest for each."""
        last_write = self.ack_seconds if self.ack_seconds is not None else self.breach.seconds
        span = 0.0 if math.isnan(last_write) else last_write
        start = self.breach.started_wall
        return int(start + span) // DIGEST_WINDOW - int(start) // DIGEST_WINDOW + 1


def honesty_metrics(observed: Observed) -> list[Metric]:
    rows, rate_limited = observed.rows, observed.rate_limited
    not_sent = sum(n for status, n in rows.by_status.items() if status != "sent")
    items_expected = sum(rows.by_kind.get(kind, 0) for kind in ("liquidation_warning", "liquidated"))
    admin_messages = len(observed.delivered.admin)
    return [
        Metric("  429 answers from the stand-in", rate_limited),
        Metric("  429s waited out (PTB retry / outbox retry)", observed.honoured, rate_limited, exact=True),
        Metric("  outbox rows retried (claims beyond the first)", rows.extra_attempts),
        Metric("  timed outbox rows not 'sent' (undeliverable…)", not_sent, 0, exact=True),
        Metric("  outbox settled before the timeout", 1 if observed.settled else 0, 1, exact=True),
        Metric(
            f"  admin messages (one digest per {DIGEST_WINDOW} s window)",
            admin_messages,
            observed.digest_windows(),
        ),
        Metric("  admin digest rows in the outbox", rows.digest_rows),
        Metric(
            "  items in the admin digest(s)", rows.digest_items, items_expected or observed.count, exact=True
        ),
        *_cpu_metrics("while the outbox drained", observed.service_delivery_cpu, observed.delivery_cpu),
    ]


def metrics(observed: Observed) -> list[Metric]:
    return [
        *close_all_metrics(observed.count, observed.breach),
        *delivery_metrics(observed.count, observed.delivered, observed.ack_seconds),
        *honesty_metrics(observed),
    ]
