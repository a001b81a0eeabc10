"""Issue 13's wiring: the worker's monitoring loops (core.services.degraded's watcher, which tells the
admins when a dependency has been down a minute, and core.services.ops_metrics's figures) and the
collectors they add to /metrics (registered by bot.app.build_http_app from `Core.monitoring`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, ExtBot

from bot.app import Core
from bot.i18n import translator
from bot.render import render_alert, split_message
from core.domain.alerts import AlertBody
from core.domain.alerts.registry import priority_of
from core.services.degraded import AdminLanguages, DegradedWatcher, Notify
from core.services.ops_metrics import OPS_STATS_SECONDS, OpsMetrics, OpsStatsReader

log = logging.getLogger(__name__)
WATCH_SECONDS = 5.0  # how often the worker probes Postgres, Redis and Telegram

Every = Callable[..., Awaitable[None]]  # bot.runner._every(seconds, work, health, stop)


def telegram_notify(bot: Bot) -> Notify:
    """Straight to the admin's chat, at the urgent priority of Telegram's budget; an admin who blocked
    the bot, or a message Telegram refuses, is logged and dropped (not retried for ever)."""

    async def notify(chat: int, language: str, alert: AlertBody) -> None:
        budget = {"rate_limit_args": priority_of(alert)} if isinstance(bot, ExtBot) else {}
        try:
            for part in split_message(render_alert(translator(language), alert)):
                await bot.send_message(chat, part, parse_mode="HTML", **budget)
        except (Forbidden, BadRequest) as error:
            log.error("system alert to %s refused by Telegram: %s", chat, error)

    return notify


def monitoring_loops(
    core: Core,
    application: Application,  # type: ignore[type-arg]
    probes: dict[str, Callable[[], Awaitable[object]]],
    reader: OpsStatsReader,
    every: Every,
    stop: asyncio.Event,
) -> list[asyncio.Task[None]]:
    """The watcher every WATCH_SECONDS and the figures every OPS_STATS_SECONDS, each on /ready."""
    settings = core.settings
    watcher = DegradedWatcher(
        probes | {"telegram": application.bot.get_me},
        core.health,
        telegram_notify(application.bot),
        settings.admin_telegram_ids,
        AdminLanguages(core.delivery.uow, time.monotonic),
        core.clock,
    )
    ops = OpsMetrics(reader, core.clock)
    core.monitoring += [watcher, ops]
    return [
        asyncio.create_task(
            every(WATCH_SECONDS, watcher.run_once, core.health.track("degraded-watch"), stop), name="degraded"
        ),
        asyncio.create_task(
            every(OPS_STATS_SECONDS, ops.refresh, core.health.track("ops-stats"), stop), name="ops-stats"
        ),
    ]
