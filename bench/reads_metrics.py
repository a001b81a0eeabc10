"""What bench/reads.py reads from the service's GET /metrics: scraped before and after a window, the
difference is what happened in it.

- `tradeguard_bot_update_seconds{command}` (bot/metrics.py): seconds from an update taken by the bot's
  update processor to its handler done. Its replies are handed to PTB's Bot, whose rate limiter is the
  Telegram budget (bot/budget.py): a reply waiting for its turn is inside the handler, so this time
  includes the budget's queue (as its docstring says: "as the person waiting sees it").
- `tradeguard_bot_reply_handed_seconds{command}`: from the update taken to its first reply entering the
  budget, before its turn: issue 9's "update in → reply handed to the sender", the target row.
  Quantiles are estimated from the delta buckets as Prometheus's histogram_quantile does (linear
  within a bucket); the share at or under 25 ms is exact, 0.025 being a bucket bound.
- `tradeguard_http_requests_total{route="/v1/bridge/snapshot",status}`: snapshots answered, by status.
- `tradeguard_read_cache_lookups_total{kind,result}` and `tradeguard_user_cache_lookups_total{result}`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
UPDATE_SECONDS = "tradeguard_bot_update_seconds"
HANDED_SECONDS = "tradeguard_bot_reply_handed_seconds"
SNAPSHOT_ROUTE = "/v1/bridge/snapshot"


async def scrape(url: str) -> Samples:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as answer:
        body = await answer.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def delta(after: Samples, before: Samples) -> Samples:
    return {key: value - before.get(key, 0.0) for key, value in after.items()}


@dataclass(frozen=True)
class Histogram:
    """Cumulative counts at each upper bound (the last is +Inf)."""

    buckets: tuple[tuple[float, float], ...]

    @property
    def count(self) -> float:
        return self.buckets[-1][1] if self.buckets else 0.0

    def quantile(self, q: float) -> float:
        """Seconds; NaN without observations; the last finite bound when it falls in +Inf."""
        if not self.count:
            return math.nan
        rank = q * self.count
        lower, below = 0.0, 0.0
        for bound, cumulative in self.buckets:
            if cumulative >= rank:
                if math.isinf(bound):
                    return lower
                share = (rank - below) / (cumulative - below) if cumulative > below else 1.0
                return lower + (bound - lower) * share
            lower, below = bound, cumulative
        return lower

    def share_within(self, seconds: float) -> float:
        """The fraction of observations at or under `seconds` (a bucket bound)."""
        found = [cumulative for bound, cumulative in self.buckets if bound == seconds]
        return found[0] / self.count if found and self.count else math.nan


def update_seconds(samples: Samples, commands: Iterable[str], metric: str = UPDATE_SECONDS) -> Histogram:
    """The handler-time histogram (or `metric`'s, e.g. HANDED_SECONDS) of `commands` together."""
    wanted = set(commands)
    totals: dict[float, float] = {}
    for (name, labels), value in samples.items():
        label = dict(labels)
        if name == f"{metric}_bucket" and label.get("command") in wanted:
            bound = float(label["le"])
            totals[bound] = totals.get(bound, 0.0) + value
    return Histogram(tuple(sorted(totals.items())))


def snapshots_by_status(samples: Samples) -> dict[str, float]:
    found: dict[str, float] = {}
    for (name, labels), value in samples.items():
        label = dict(labels)
        if name == "tradeguard_http_requests_total" and label.get("route") == SNAPSHOT_ROUTE:
            found[label["status"]] = found.get(label["status"], 0.0) + value
    return found


def lookups(samples: Samples, name: str, **labels: str) -> float:
    wanted = tuple(sorted(labels.items()))
    return samples.get((name, wanted), 0.0)
