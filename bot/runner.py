"""`tradeguard run`: the bot, the HTTP server and the worker in one loop, until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from telegram.ext import Application

from bot.app import Core, build_application, build_http_app, open_core, utc_now, webhook_secret
from bot.audit import AUDIT_CHECK_SECONDS, AUDIT_FIRST_CHECK_SECONDS
from bot.commands_menu import publish_command_menus
from bot.monitoring import monitoring_loops
from bot.polling import BoundedPoller
from bot.relay import AlertRelay
from bot.updates import PerChatUpdateProcessor
from core.api.app import mark_started
from core.api.server import serve_http
from core.config import Settings
from core.services.health import Health, HealthBoard
from db.device_news import listen_for_device_news
from db.engine import ping_postgres, ping_redis
from db.ops_stats import SqlOpsStats
from db.redis_store import RedisDoorbellListener

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 10.0
UPDATES_GRACE_SECONDS = 5.0  # on stop, updates in hand get this long to finish; Telegram keeps the rest


@contextlib.asynccontextmanager
async def telegram_front(
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    health: HealthBoard,
) -> AsyncIterator[None]:
    poller = None
    await application.start()
    if settings.telegram_webhook_url:
        if not settings.telegram_webhook_secret:
            log.info(
                "TELEGRAM_WEBHOOK_SECRET is not set: Telegram is given one derived from SECRET_KEY,"
                " and webhook requests without it are refused"
            )
        await application.bot.set_webhook(
            settings.telegram_webhook_url,
            secret_token=webhook_secret(settings),
            drop_pending_updates=False,
        )
    else:
        await application.bot.delete_webhook()
        poller = BoundedPoller(application, health.track("telegram-polling"), settings.bot_updates_in_hand)
        processor = application.update_processor
        if isinstance(processor, PerChatUpdateProcessor):
            processor.listeners.append(poller.handled)
        application.bot_data["metrics"].poller = poller
        await poller.start()
    await publish_command_menus(application.bot, settings.admin_telegram_ids)
    try:
        yield
    finally:
        if poller is not None:
            await poller.stop(UPDATES_GRACE_SECONDS)
        await application.stop()


async def _after(seconds: float, loop: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
    """`loop`, once `seconds` have passed (unless stopped first: then it is closed unstarted)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    if stop.is_set():
        loop.close()
        return
    await loop


async def _every(
    seconds: float, work: Callable[[], Awaitable[object]], health: Health, stop: asyncio.Event
) -> None:
    """`work` every `seconds`; after a failure, the health's back-off (never less than `seconds`)."""
    while not stop.is_set():
        try:
            await work()
        except Exception as error:  # a database blip must not stop the loop: the next pass retries
            wait = max(seconds, health.failed(error))
        else:
            health.succeeded()
            wait = seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)


@contextlib.asynccontextmanager
async def worker(core: Core, application: Application, tick_seconds: float = 1.0) -> AsyncIterator[None]:  # type: ignore[type-arg]
    doorbell = RedisDoorbellListener(core.redis)
    relay = AlertRelay(
        application.bot,
        core.delivery,
        doorbell,
        health=core.health,
        on_blocked=core.bot_services.users.forget,
    )
    monitor = core.health.track("guard-monitor")
    sweep = core.health.track("reconcile-sweep")
    sweep_seconds = core.settings.reconcile_sweep_seconds
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(relay.run(stop), name="alert-relay"),
        asyncio.create_task(_every(tick_seconds, core.monitor.run_once, monitor, stop), name="guard-monitor"),
        asyncio.create_task(
            _every(sweep_seconds, core.reconciliation.run_once, sweep, stop), name="reconcile-sweep"
        ),
    ]
    tasks += affiliate_loops(core, stop)  # issue 11: the ledger pass, the scheduled payouts, the fraud scan
    tasks += privacy_loops(core, stop)  # issue 13: snapshot history past RETENTION_DAYS purged
    probes = {"postgres": lambda: ping_postgres(core.engine), "redis": lambda: ping_redis(core.redis)}
    tasks += monitoring_loops(core, application, probes, SqlOpsStats(core.engine), _every, stop)  # issue 13
    audit = core.health.track("audit-chain")  # issue 13: the whole chain verified (bot.audit.AuditMetrics)
    # ... and its head anchored in the admins' chats once per UTC day (alert admin_audit_anchor)
    check = partial(core.bot_services.audit.check_and_anchor, core.settings.admin_telegram_ids, core.clock)
    audit_loop = _after(AUDIT_FIRST_CHECK_SECONDS, _every(AUDIT_CHECK_SECONDS, check, audit, stop), stop)
    tasks.append(asyncio.create_task(audit_loop, name="audit-chain"))
    try:
        yield
    finally:
        await _stop(stop, tasks)
        await doorbell.close()


@contextlib.asynccontextmanager
async def hot_path(core: Core) -> AsyncIterator[None]:
    """The API process's side of the hot path: the write-behind flusher (flushed once more on the way
    out) and the listener for device news (core.services.credentials)."""
    stop = asyncio.Event()
    news = core.health.track("device-news")
    tasks = [
        asyncio.create_task(core.flusher.run(stop), name="state-flusher"),
        asyncio.create_task(
            listen_for_device_news(core.redis, core.credentials, news, stop), name="device-news"
        ),
    ]
    try:
        yield
    finally:
        await _stop(stop, tasks)
        await core.flusher.close()


@dataclass
class Running:
    core: Core
    application: Application  # type: ignore[type-arg]
    http_url: str | None


@contextlib.asynccontextmanager
async def running(
    settings: Settings, parts: tuple[str, ...], clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[Running]:
    """Everything `parts` asks for, started in this loop; stopped in reverse order on exit."""
    async with open_core(settings, clock) as core:
        application = build_application(settings, core.bot_services)
        talks_to_telegram = "bot" in parts or "worker" in parts
        async with contextlib.AsyncExitStack() as stack:
            if talks_to_telegram:  # an API-only process neither needs nor waits for Telegram
                await stack.enter_async_context(application)
            if "bot" in parts:
                await stack.enter_async_context(telegram_front(application, settings, core.health))
            if "worker" in parts:
                await stack.enter_async_context(worker(core, application))
            http_url = None
            if "api" in parts or ("bot" in parts and settings.telegram_webhook_url):
                await stack.enter_async_context(hot_path(core))
                http = build_http_app(core, application if talks_to_telegram else None)
                runner = await stack.enter_async_context(
                    serve_http(http, settings.bridge_host, settings.bridge_port)
                )
                host, port = runner.addresses[0][:2]
                http_url = f"http://{host}:{port}"
                mark_started(http)
            log.info("TradeGuard running: %s", ", ".join(parts))
            yield Running(core, application, http_url)


async def serve(settings: Settings, parts: tuple[str, ...], stop: asyncio.Event) -> None:
    async with running(settings, parts):
        await stop.wait()


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _stop(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    """Ask the loops to stop and let a pass in progress finish: a task cancelled in the middle of a
    COMMIT can leave its asyncpg connection (and so this shutdown) waiting forever. Cancelled only past
    the grace."""
    stop.set()
    _, late = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
    for task in late:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def affiliate_loops(core: Core, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """Issue 11: the ledger pass every AFFILIATE_LEDGER_SWEEP_SECONDS, the scheduled payout run every
    AFFILIATE_PAYOUT_SWEEP_SECONDS and the fraud scan every FRAUD_SCAN_SECONDS, each on /ready
    (core.health) and backing off after a failure."""
    settings, affiliates = core.settings, core.bot_services
    ledger, payouts = core.health.track("affiliate-ledger"), core.health.track("affiliate-payouts")
    scan = core.health.track("fraud-scan")
    return [
        asyncio.create_task(
            _every(settings.fraud_scan_seconds, affiliates.fraud.run_once, scan, stop), name="fraud-scan"
        ),
        asyncio.create_task(
            _every(settings.affiliate_ledger_sweep_seconds, affiliates.ledger.run_once, ledger, stop),
            name="affiliate-ledger",
        ),
        asyncio.create_task(
            _every(settings.affiliate_payout_sweep_seconds, affiliates.payouts.run_payouts, payouts, stop),
            name="affiliate-payouts",
        ),
    ]


def privacy_loops(core: Core, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """Issue 13: the retention pass every RETENTION_SWEEP_SECONDS, on /ready as `privacy-retention`."""
    privacy = core.bot_services.privacy
    if privacy is None:
        return []
    health, seconds = core.health.track("privacy-retention"), core.settings.retention_sweep_seconds
    return [
        asyncio.create_task(_every(seconds, privacy.purge_history, health, stop), name="privacy-retention")
    ]
