"""The composition root: settings → adapters → services → the bot, the HTTP server and the worker.

Everything runs in one asyncio loop. PTB runs inside it (`async with application` + `start()`), which
skips post_init/post_shutdown, so start-up and shut-down work is called from here explicitly.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import redis.exceptions
import sqlalchemy.exc
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot import handlers
from bot.affiliates import add_affiliate_http, affiliate_services  # issue 11
from bot.audit import AuditMetrics, ready_report
from bot.budget import TelegramBudget
from bot.context import BotServices
from bot.metrics import BotMetrics, CacheMetrics
from bot.policies import guard_policy, market_policy, reconciliation_policy
from bot.privacy import privacy_service  # issue 13
from bot.updates import PerChatUpdateProcessor
from core.api.app import ApiDeps, InvalidUpdate, Webhook, create_app
from core.api.operator import (
    add_attribution_routes,
    add_reconciliation_routes,
    add_signal_routes,
    operator_key,
)
from core.api.server import HttpLimits
from core.config import Settings
from core.services.admin import AdminService, PreferenceService
from core.services.alerts import AlertDelivery
from core.services.attribution import AttributionService
from core.services.audit import AuditChain, AuditLog
from core.services.bridge import BridgePorts, BridgeService
from core.services.credentials import CredentialCache
from core.services.flusher import FLUSH_HEALTH, StateFlusher
from core.services.guard import GuardMonitor, GuardService
from core.services.halt import HaltService
from core.services.health import BEST_EFFORT_SECONDS, Health, HealthBoard
from core.services.linking import LinkService
from core.services.market import MarketGuardService
from core.services.queries import AccountQueries
from core.services.reconciliation import ReconciliationService
from core.services.secrets import SecretBox
from core.services.signals import SignalService
from core.services.tokens import OperatorTokens
from core.services.users import UserService
from db import embedded
from db.device_news import publish_device_news
from db.engine import make_engine, make_redis, ping_postgres, ping_redis
from db.hot_flush import SqlStateFlushWriter
from db.hot_market import RedisMarketMemory
from db.hot_state import RedisHotState
from db.migrate import upgrade
from db.redis_store import (
    CACHE_HEALTH,
    Keys,
    RedisDoorbell,
    RedisNonceStore,
    RedisRateLimiter,
    RedisViewCache,
)
from db.redis_users import RedisUserCache
from db.repositories.privacy import privacy_repository  # issue 13
from db.uow import unit_of_work_factory

log = logging.getLogger(__name__)
PARTS = ("bot", "api", "worker")
# Telegram allows about 30 messages a second overall. Sends are paced one at a time, just under that
# (bot/budget.py): a burst of 30 then 30/s puts 60 in the first second, and even an even 30/s crosses
# the line whenever one send's network delay is shorter than the send 30 before it; each 429 then
# pauses every send for a second.
TELEGRAM_MESSAGES_PER_SECOND = 29
RELAY_POOL_SIZE = 2
# PTB logs every Bot API call with its parameters and result at DEBUG: that would write each device
# secret /link shows into the logs of whoever runs at DEBUG. These loggers never go below INFO.
BOT_API_CALL_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot")
WEBHOOK_SECRET_LABEL = b"tradeguard telegram webhook secret v1"
UNAVAILABLE = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def secret_key(settings: Settings) -> str:
    """SECRET_KEY, or one generated on first start and kept (0600) under the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()


@dataclass
class Core:
    """Adapters and services, without any front end: what every part of the process shares."""

    settings: Settings
    engine: AsyncEngine
    redis: Redis
    clock: Callable[[], datetime]
    bot_services: BotServices
    bridge: BridgeService
    delivery: AlertDelivery
    guard: GuardService
    monitor: GuardMonitor
    token_key: bytes
    tokens: OperatorTokens
    health: HealthBoard
    credentials: CredentialCache
    flusher: StateFlusher
    reconciliation: ReconciliationService
    embedded: list[Any] = field(default_factory=list)
    monitoring: list[Collector] = field(default_factory=list)  # issue 13: the worker's (bot/monitoring.py)


@contextlib.asynccontextmanager
async def open_core(settings: Settings, clock: Callable[[], datetime] = utc_now) -> AsyncIterator[Core]:
    started: list[Any] = []
    database_url, redis_url = settings.database_url, settings.redis_url
    if database_url is None:
        database_url, server = embedded.start_postgres(settings.data_dir)
        started.append(server)
    if redis_url is None:
        redis_url, server = embedded.start_redis(settings.data_dir)
        started.append(server)
    engine = make_engine(database_url)
    # The relay has connections of its own: in a burst of bridge traffic the shared pool's queue is
    # seconds long, and a relay waiting in it to claim or to mark sent leaves Telegram's budget unused.
    relay_engine = make_engine(database_url, pool_size=RELAY_POOL_SIZE)
    redis_client = make_redis(redis_url)
    try:
        await upgrade(engine)
        yield _wire(settings, engine, relay_engine, redis_client, clock, started)
    finally:
        await redis_client.aclose()
        await relay_engine.dispose()
        await engine.dispose()


async def _news(health: Health, call: Callable[[], Awaitable[object]]) -> None:
    """After-commit news to Redis, best effort: skipped while `health` backs off, a failure logged once
    per outage. A success is not reported: every commit sends news, and a process that runs no loop
    must not list the Redis cache among its loops on /ready for that."""
    if not health.may_try():
        return
    try:
        async with asyncio.timeout(BEST_EFFORT_SECONDS):
            await call()
    except Exception as error:
        health.failed(error)


def _wire(
    settings: Settings,
    engine: AsyncEngine,
    relay_engine: AsyncEngine,
    redis_client: Redis,
    clock: Callable[[], datetime],
    started: list[Any],
) -> Core:
    key = secret_key(settings)
    hot = RedisHotState(redis_client)
    box = SecretBox(key, settings.secret_key_previous)
    credentials: list[CredentialCache] = []

    async def after_commit(accounts: set[int], device_accounts: set[int]) -> None:
        """Postgres changed: the hot state is refreshed, every process forgets the changed devices
        (this one at once, the others when the news reaches them)."""
        credentials[0].forget_accounts(device_accounts)
        await _news(redis_cache, lambda: hot.refresh(accounts))
        if device_accounts:
            await _news(redis_cache, lambda: publish_device_news(redis_client, device_accounts))

    health = HealthBoard()
    # best-effort Redis: cache, doorbell, after-commit news, the hot state outside the snapshot path
    redis_cache = health.track(CACHE_HEALTH)
    uow = unit_of_work_factory(engine, after_commit)
    credentials.append(CredentialCache(uow, box, settings.device_cache_fallback_seconds))
    cache = RedisViewCache(redis_client, health=redis_cache)
    doorbell = RedisDoorbell(redis_client, redis_cache)
    market_memory = RedisMarketMemory(redis_client)
    ports = BridgePorts(uow, RedisNonceStore(redis_client), cache, doorbell, hot, market_memory)
    guard = GuardService(guard_policy(settings), hot, redis_cache)
    flusher = StateFlusher(
        SqlStateFlushWriter(engine), settings.peak_flush_seconds, health.track(FLUSH_HEALTH)
    )
    lists_ttl = settings.user_cache_redis_seconds  # every list write refreshes it: it may live long
    queries = AccountQueries(uow, cache, settings.cache_ttl_seconds, hot, redis_cache, lists_ttl)
    shared_users = RedisUserCache(redis_client, lists_ttl, redis_cache) if lists_ttl > 0 else None
    admin = AdminService(uow, guard, cache, doorbell, settings.admin_telegram_ids, clock, queries)
    reconciliation = ReconciliationService(
        uow, queries, cache, doorbell, clock, reconciliation_policy(settings), health
    )
    bot_services = BotServices(
        settings=settings,
        users=UserService(uow, settings.user_cache_seconds, shared=shared_users),
        links=LinkService(uow, box, clock, cache, queries),
        queries=queries,
        admin=admin,
        preferences=PreferenceService(uow, cache, settings.max_drawdown_percent, clock),
        clock=clock,
        halt=HaltService(uow, admin.require_admin, doorbell, clock),
        signals=SignalService(uow, queries, doorbell, clock),
        reconciliation=reconciliation,
        attribution=AttributionService(uow, admin.require_admin, clock, settings.max_drawdown_percent),
        **affiliate_services(settings, uow, admin.require_admin, doorbell, clock),  # issue 11
        audit=AuditChain(uow),  # issue 13
        audit_log=AuditLog(uow, admin.require_admin, clock),  # issue 13: /audit
    )
    drop_user = lambda telegram_id: redis_client.delete(Keys.user_record(telegram_id))  # noqa: E731
    privacy = privacy_service(
        settings, uow, clock, privacy_repository, drop_user, bot_services.users, queries
    )
    bot_services = replace(bot_services, privacy=privacy)  # issue 13
    return Core(
        settings=settings,
        engine=engine,
        redis=redis_client,
        clock=clock,
        bot_services=bot_services,
        bridge=BridgeService(
            ports,
            box,
            guard,
            clock,
            MarketGuardService(market_policy(settings)),
            credentials[0],
            flusher,
            reconciliation,
        ),
        guard=guard,
        monitor=GuardMonitor(uow, guard, cache, clock, health),
        delivery=AlertDelivery(unit_of_work_factory(relay_engine), clock),
        token_key=operator_key(key),
        tokens=OperatorTokens(
            uow,
            [operator_key(k) for k in (key, *settings.secret_key_previous)],
            clock,
            settings.operator_token_revocation_cache_seconds,
        ),
        health=health,
        credentials=credentials[0],
        flusher=flusher,
        reconciliation=reconciliation,
        embedded=started,
    )


def build_application(settings: Settings, bot_services: BotServices) -> Application:  # type: ignore[type-arg]
    if not settings.telegram_bot_token:
        raise SystemExit(
            "TELEGRAM_BOT_TOKEN is required by `tradeguard run` (set it in the environment or .env)"
        )
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
        .concurrent_updates(PerChatUpdateProcessor(settings.bot_concurrent_updates))
        .rate_limiter(TelegramBudget(TELEGRAM_MESSAGES_PER_SECOND, max_retries=3))
    )
    # Updates arrive through our own HTTP server (webhook) or our own poller (bot/polling.py), which
    # confirms to Telegram only what was handled; PTB's Updater confirms what it fetched.
    builder = builder.updater(None)
    for name in BOT_API_CALL_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    application = builder.build()
    application.bot_data["services"] = bot_services
    handlers.register(application)
    metrics = BotMetrics(application, bot_services.users)
    application.bot_data["metrics"] = metrics
    if isinstance(application.update_processor, PerChatUpdateProcessor):
        application.update_processor.listeners.append(metrics.observe)
        application.update_processor.handed_listeners.append(metrics.observe_handed)
    return application


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, or one derived from SECRET_KEY: webhook mode never runs without one.

    Derived rather than random, so every process (and every restart) registers and expects the same
    one: 256 bits from HMAC-SHA256, base64url without padding (43 of the characters Telegram allows).
    """
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    digest = hmac.new(secret_key(settings).encode(), WEBHOOK_SECRET_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _webhook(settings: Settings, application: Application) -> Webhook:  # type: ignore[type-arg]
    async def deliver(data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, application.bot)
        except (AttributeError, KeyError, TypeError, ValueError, OverflowError, OSError) as error:
            raise InvalidUpdate("not a Telegram update") from error
        await application.update_queue.put(update)

    path = urlparse(settings.telegram_webhook_url).path or "/"
    return Webhook(path, webhook_secret(settings), deliver)


def build_http_app(core: Core, application: Application | None) -> web.Application:  # type: ignore[type-arg]
    settings = core.settings
    webhook = None
    if settings.telegram_webhook_url and application is not None:
        webhook = _webhook(settings, application)
    readiness = {"postgres": lambda: ping_postgres(core.engine), "redis": lambda: ping_redis(core.redis)}
    if application is not None:
        readiness["telegram"] = application.bot.get_me
    registry = CollectorRegistry()
    registry.register(core.health)  # tradeguard_loop_healthy{loop=}, tradeguard_loop_failures_total
    registry.register(CacheMetrics(core.bot_services.queries.cache.counts))  # read-cache hits, misses
    registry.register(AuditMetrics(core.bot_services.audit))  # issue 13: tradeguard_audit_chain_ok, entries
    if application is not None:  # per command, the user cache, Telegram's budget, updates in hand
        registry.register(application.bot_data["metrics"])
    for collector in core.monitoring:  # issue 13: dependencies up, the outbox, feeds, liquidations
        registry.register(collector)
    deps = ApiDeps(
        bridge=core.bridge,
        queries=core.bot_services.queries,
        clock=core.clock,
        tokens=core.tokens,
        rate_limit=RedisRateLimiter(core.redis),
        readiness=readiness,
        unavailable_errors=UNAVAILABLE,
        webhook=webhook,
        limits=HttpLimits(
            header_timeout=settings.http_header_timeout_seconds,
            body_timeout=settings.http_body_timeout_seconds,
            keepalive=settings.http_keepalive_seconds,
            max_connections_per_ip=settings.http_max_connections_per_ip,
        ),
        registry=registry,
        loops=core.health.report,
        ready_extras=ready_report(core.bot_services.audit),  # issue 13: the audit chain's head
    )
    app = create_app(deps)
    add_signal_routes(app, core.bot_services.signals)
    add_reconciliation_routes(app, core.reconciliation)
    add_attribution_routes(app, core.bot_services.attribution)
    add_affiliate_http(app, core)  # issue 11: payments, the affiliates summary, bridge sightings
    return app
