"""The bot's numbers for /metrics: how long updates take per command, the user cache, Telegram's budget
by priority and the updates in hand. Registered on the registry /metrics serves (bot/app.py), in a
process that runs the bot next to the HTTP server. `CacheMetrics`: the read cache's hits and misses, in
every process that serves /metrics."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.budget import TelegramBudget
from bot.handlers.gate import command_of
from bot.polling import BoundedPoller
from bot.updates import PerChatUpdateProcessor
from core.services.ports.views import CacheCounts
from core.services.users import UserService

# tradeguard_bot_update_seconds: from the update being taken to its handler done (its replies handed to
# Telegram): a reply waiting for the budget counts, as the person waiting sees it.
# tradeguard_bot_reply_handed_seconds: from the update being taken to its first reply entering the budget
# (bot.budget), before it waits for a turn: the bot's own work, which the budget cannot hide.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class BotMetrics(Collector):
    def __init__(self, application: Application, users: UserService) -> None:  # type: ignore[type-arg]
        self.users = users
        self.budget = application.bot.rate_limiter
        self.processor = application.update_processor
        self.poller: BoundedPoller | None = None  # set when the bot long-polls
        self.commands = frozenset(
            command
            for group in application.handlers.values()
            for handler in group
            if isinstance(handler, CommandHandler)
            for command in handler.commands
        )
        self.update_seconds = Histogram(
            "tradeguard_bot_update_seconds",
            "Seconds from an update taken to its handler done, by command",
            ["command"],
            buckets=BUCKETS,
            registry=None,
        )

        self.handed_seconds = Histogram(
            "tradeguard_bot_reply_handed_seconds",
            "Seconds from an update taken to its first reply handed to the Telegram sender, by command",
            ["command"],
            buckets=BUCKETS,
            registry=None,
        )

    def observe(self, update: object, seconds: float) -> None:
        self.update_seconds.labels(self._label(update)).observe(seconds)

    def observe_handed(self, update: object, seconds: float) -> None:
        self.handed_seconds.labels(self._label(update)).observe(seconds)

    def _label(self, update: object) -> str:
        """A known command, `button` or `other`: what users type never becomes a label of its own."""
        if not isinstance(update, Update):
            return "other"
        if update.callback_query is not None:
            return "button"
        command = command_of(update)
        return command if command in self.commands else "other"

    def collect(self) -> Iterator[Metric]:
        yield from self.update_seconds.collect()
        yield from self.handed_seconds.collect()
        yield from self._users()
        if isinstance(self.budget, TelegramBudget):
            yield from self._budget(self.budget)
        yield from self._in_hand()

    def _users(self) -> Iterator[Metric]:
        lookups = CounterMetricFamily(
            "tradeguard_user_cache_lookups",
            "Users resolved for an update: this process's copy (hit), every process's (redis_hit), Postgres",
            labels=["result"],
        )
        lookups.add_metric(["hit"], self.users.counts.hits)
        lookups.add_metric(["redis_hit"], self.users.counts.shared_hits)
        lookups.add_metric(["miss"], self.users.counts.misses)
        yield lookups
        yield CounterMetricFamily(
            "tradeguard_user_writes",
            "Users stored: new, renamed, or back after blocking",
            value=self.users.counts.writes,
        )

    def _budget(self, budget: TelegramBudget) -> Iterator[Metric]:
        sent = CounterMetricFamily(
            "tradeguard_telegram_sends", "Sends given a turn, by priority", labels=["priority"]
        )
        waiting = GaugeMetricFamily(
            "tradeguard_telegram_waiting", "Sends waiting for a turn", labels=["priority"]
        )
        for priority, depth in budget.depth().items():
            sent.add_metric([priority], budget.sent[priority])
            waiting.add_metric([priority], depth)
        yield sent
        yield waiting
        yield CounterMetricFamily(
            "tradeguard_telegram_retry_after", "429 answers: every send paused", value=budget.refusals
        )

    def _in_hand(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("tradeguard_bot_updates", "Updates in hand, by stage", labels=["stage"])
        if self.poller is not None:
            gauge.add_metric(["fetched"], len(self.poller.in_hand))
        if isinstance(self.processor, PerChatUpdateProcessor):
            gauge.add_metric(["waiting"], self.processor.in_hand - self.processor.running)
            gauge.add_metric(["running"], self.processor.running)
        yield gauge


class CacheMetrics(Collector):
    """`tradeguard_read_cache_lookups_total{kind=view|accounts,result=hit|miss}`: the account views and
    users' lists of links the read side answered from Redis, or loaded from Postgres (a view served
    from the hot state is neither: it never asks this cache)."""

    KINDS = ("view", "accounts")

    def __init__(self, counts: CacheCounts) -> None:
        self.counts = counts

    def collect(self) -> Iterator[Metric]:
        lookups = CounterMetricFamily(
            "tradeguard_read_cache_lookups",
            "Read-cache lookups by kind of entry, answered from Redis (hit) or loaded (miss)",
            labels=["kind", "result"],
        )
        for kind in self.KINDS:
            lookups.add_metric([kind, "hit"], self.counts.hits[kind])
            lookups.add_metric([kind, "miss"], self.counts.misses[kind])
        yield lookups
