"""The rows bench/reads.py prints: the cache-on run judged against issue 9's read-side target, the
cache-off run beside it, and their ratio."""

from __future__ import annotations

import math

from bench.harness import Metric, percentile
from bench.reads_metrics import HANDED_SECONDS, Histogram, lookups, snapshots_by_status, update_seconds
from bench.reads_run import Run, Timing, Window

READS = ("status", "positions")
HANDLER_P99_MS = 25.0
# "No Postgres transaction on a read served from hot state": the figure is a difference of two windows
# of background work, so it carries a little noise either way; 0.01 per read is one in a hundred.
NO_TRANSACTION = 0.01
FEWER_TRANSACTIONS = 20.0
SNAPSHOT_SHARE = 0.95  # the background load held: at least 95% of the asked rate accepted
NOTE = (
    "handler time = tradeguard_bot_reply_handed_seconds (bot/metrics.py): from the update taken by the "
    "bot's update processor to its first reply handed to the sender (entering the bot's Telegram budget, "
    "bot/budget.py, 29/s), before it waits for its turn: issue 9's 'update in -> reply handed to the "
    "sender'. 'reply sent' = tradeguard_bot_update_seconds: to the handler done, the budget's queue "
    "included. Neither is the stand-in's delivery time (the 'reply delivered' rows: update queued at the "
    "stand-in -> reply received there). The stand-in enforces no rate limit in this run: the bot's own "
    "budget is the only limit on replies."
)


def handler(run: Run) -> Histogram:
    return update_seconds(run.readers_metrics, READS, HANDED_SECONDS)


def handled_reads(run: Run) -> float:
    """Reads the bot finished in c1 → c2, for the transactions of that window."""
    return update_seconds(run.reads.metrics, READS).count


def accepted(window: Window) -> float:
    return snapshots_by_status(window.metrics).get("200", 0.0)


def background_per_snapshot(run: Run) -> float:
    """Transactions of the snapshots-alone window per snapshot accepted in it (worker and flusher in)."""
    snapshots = accepted(run.baseline)
    return run.baseline.transactions / snapshots if snapshots else math.nan


def transactions_per_read(run: Run) -> float:
    """Postgres transactions of c1 → c2 beyond what as many snapshots alone cost (at the c0 → c1 cost per
    snapshot: a saturated service accepts fewer snapshots while it reads, and costs less for them), per
    read."""
    alone = background_per_snapshot(run) * accepted(run.reads)
    reads = handled_reads(run)
    per_read = (run.reads.transactions - alone) / reads if reads else math.nan
    # Below zero the background moved more than the reads added: not measured, so not passed either.
    return per_read if per_read >= 0 else math.nan


def ratio(off: Run, on: Run) -> float:
    """Cache off / cache on; infinite when the cache-on run measured no transaction at all."""
    per_on, per_off = transactions_per_read(on), transactions_per_read(off)
    if math.isnan(per_on) or math.isnan(per_off) or per_on == 0:
        return math.nan  # n/a, and a FAIL: the ratio was not measured
    return per_off / per_on


def _run_rows(run: Run, timing: Timing, label: str) -> list[Metric]:
    hist = handler(run)
    probe = update_seconds(run.probe_metrics, READS, HANDED_SECONDS)
    sent = update_seconds(run.readers_metrics, READS)
    snapshots = snapshots_by_status(run.readers_metrics)
    accepted = snapshots.get("200", 0.0)
    refused = sum(snapshots.values()) - accepted
    alone = run.baseline.transactions / run.baseline.seconds
    scheduled = timing.snapshot_rate * run.wrk.seconds
    answered = run.log.delivery_seconds
    counted = run.readers_metrics

    def cache(kind: str, result: str) -> float:
        return lookups(counted, "tradeguard_read_cache_lookups_total", kind=kind, result=result)

    user_writes = lookups(counted, "tradeguard_user_writes_total")

    def user(result: str) -> float:
        return lookups(counted, "tradeguard_user_cache_lookups_total", result=result)

    resolved = user("hit") + user("redis_hit") + user("miss")
    misses = user("miss") + cache("accounts", "miss") + cache("view", "miss")
    from_postgres = misses / resolved if run.cache_ttl and resolved else math.nan

    return [
        Metric(
            f"{label}: handler p99, /status + /positions",
            _ms_of(hist, 0.99),
            HANDLER_P99_MS if run.cache_ttl else None,
            "ms",
        ),
        Metric("  handler p50", _ms_of(hist, 0.50), unit="ms"),
        Metric("  handled reads at or under 25 ms (%)", hist.share_within(0.025) * 100, unit="%"),
        Metric("  reply sent p99 (handler done, the budget's queue included)", _ms_of(sent, 0.99), unit="ms"),
        Metric("  reply sent p50", _ms_of(sent, 0.50), unit="ms"),
        *(
            Metric(
                f"  handler p99, /{command} alone",
                _ms_of(update_seconds(counted, (command,), HANDED_SECONDS), 0.99),
                unit="ms",
            )
            for command in READS
        ),
        Metric(
            f"  probe at {timing.probe_rate:,.0f} updates/s (under the budget): handler p99",
            _ms_of(probe, 0.99),
            unit="ms",
        ),
        Metric("  probe: handler p50", _ms_of(probe, 0.50), unit="ms"),
        Metric("  probe: reads handled", probe.count),
        Metric("  updates queued at the stand-in", run.log.asked),
        Metric("  reads the bot handled in the window", hist.count),
        Metric("  replies received by the stand-in in the window", run.replies_in_window),
        Metric("  replies received per second", run.replies_in_window / run.readers_seconds, unit="msg/s"),
        Metric("  reply delivered p50 (update queued → stand-in)", _ms(answered, 0.5), unit="ms"),
        Metric("  reply delivered p99", _ms(answered, 0.99), unit="ms"),
        Metric("  updates never answered before the service stopped", run.log.asked - run.log.answered),
        Metric(
            "  snapshots accepted/s during the reads",
            accepted / run.readers_seconds,
            timing.snapshot_rate * SNAPSHOT_SHARE,
            at_least=True,
        ),
        Metric("  snapshots refused (not 200) during the reads", refused, 0, exact=True),
        Metric("  Postgres transactions/s, snapshots alone", alone, unit="x"),
        Metric(
            "  Postgres transactions per snapshot accepted, snapshots alone",
            background_per_snapshot(run),
            unit="x",
        ),
        Metric("  Postgres transactions in the reads window (c1 → c2)", run.reads.transactions),
        Metric(
            "  Postgres transactions per read (reads window − snapshots alone)",
            transactions_per_read(run),
            NO_TRANSACTION if run.cache_ttl else None,
            "x",
        ),
        Metric(
            "  lookups answered by Postgres per read (user + list of links misses)", from_postgres, unit="x"
        ),
        Metric("  read cache, users' lists of links: hits", cache("accounts", "hit")),
        Metric("  read cache, users' lists of links: misses", cache("accounts", "miss")),
        Metric("  read cache, account views: hits", cache("view", "hit")),
        Metric("  read cache, account views: misses (no current hot state)", cache("view", "miss")),
        Metric("  user cache (per process): hits", user("hit")),
        Metric("  user cache (Redis, every process's): hits", user("redis_hit")),
        Metric("  user cache (per process): misses (a Postgres read each)", user("miss")),
        Metric("  users written by the reads (renamed or new)", user_writes, 0, exact=True),
        Metric("  service CPU during the reads (1 core = 100)", run.service_cpu * 100, unit="%"),
        Metric("  429s from the stand-in (its limits off)", run.rate_limited, 0, exact=True),
        Metric(
            "  wrk: requests sent / scheduled (slots missed are dropped)",
            run.wrk.requests / scheduled,
            unit="x",
        ),
        Metric("  wrk: snapshots accepted/s over its whole run", run.wrk.accepted / run.wrk.seconds),
        Metric("  wrk: refused 400/401/409 (the client's fault)", run.wrk.status_4xx, 0, exact=True),
        Metric(
            "  wrk: 429, 5xx and socket errors",
            run.wrk.status_429 + run.wrk.status_5xx + run.wrk.socket_errors,
        ),
    ]


def _ms_of(histogram: Histogram, fraction: float) -> float:
    return histogram.quantile(fraction) * 1000


def _ms(seconds: list[float], fraction: float) -> float:
    return percentile(seconds, fraction) * 1000


def metrics(on: Run, off: Run, timing: Timing) -> list[Metric]:
    return [
        *_run_rows(on, timing, f"cache on (CACHE_TTL_SECONDS={on.cache_ttl})"),
        *_run_rows(off, timing, "cache off (CACHE_TTL_SECONDS=0)"),
        Metric(
            "Postgres transactions per read, cache off / cache on",
            ratio(off, on),
            FEWER_TRANSACTIONS,
            "x",
            at_least=True,
        ),
    ]
