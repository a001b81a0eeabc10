"""All settings, read from the environment or `.env`; built once in the composition root."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.api.app import WEBHOOK_SECRET_PATTERN
from core.domain.affiliates import Plan

DATA_DIR = Path(".tradeguard")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    admin_telegram_ids: Annotated[tuple[int, ...], NoDecode] = ()

    database_url: str | None = None
    redis_url: str | None = None
    bridge_host: str = "127.0.0.1"
    bridge_port: int = 8080
    public_bridge_url: str = "http://127.0.0.1:8080"
    secret_key: str | None = None
    # Keys that still open device secrets and verify operator tokens while SECRET_KEY rotates (README).
    secret_key_previous: Annotated[tuple[str, ...], NoDecode] = ()
    operator_token_revocation_cache_seconds: float = Field(default=5, ge=0, le=300)
    data_dir: Path = DATA_DIR

    max_drawdown_percent: Decimal = Field(default=Decimal(20), gt=0, le=100)
    drawdown_warn_percents: Annotated[tuple[Decimal, ...], NoDecode] = (Decimal(10), Decimal(15))
    min_equity: Decimal = Field(default=Decimal(100), ge=0)
    daily_loss_limit_percent: Decimal | None = Field(default=None, gt=0, le=100)
    liquidation_grace_seconds: int = Field(default=0, ge=0)
    liquidation_verify_seconds: int = Field(default=60, gt=0)
    trading_day_start_hour: int = Field(default=0, ge=0, le=23)
    trading_day_timezone: str = "UTC"
    stale_feed_seconds: int = Field(default=60, gt=0)
    price_gap_alert_percent: Decimal = Field(default=Decimal(5), gt=0)
    max_spread_multiplier: Decimal = Field(default=Decimal(10), gt=1)
    # issue 7, market guards: a held symbol's quote frozen this long while others move; what a gap or a
    # spread blow-out does to the exposed positions (close them, or only alert)
    stale_quote_seconds: int = Field(default=300, gt=0)
    market_guard_action: Literal["close", "alert"] = "close"
    # 0 turns the view cache off (reads then go to the hot state, or to Postgres when it has none)
    cache_ttl_seconds: int = Field(default=5, ge=0)
    # The hot path (README, "The hot path"): steady snapshots reach Postgres this far behind at most;
    # cached device credentials live this long while the device-news channel is down.
    peak_flush_seconds: float = Field(default=1, gt=0, le=60)
    device_cache_fallback_seconds: float = Field(default=5, gt=0, le=300)
    # The bot resolves the sender of every update from a per-process cache (0: from Postgres each time);
    # a change made in another process (the relay finding the bot blocked) is seen within this time.
    user_cache_seconds: float = Field(default=60, ge=0)
    # Redis copies kept in step by every write that changes them (issue 9): each user's record (0: none)
    # and, while CACHE_TTL_SECONDS > 0, each user's list of links, so a fresh process reads them too.
    user_cache_redis_seconds: int = Field(default=3600, ge=0, le=604800)
    # Updates of different chats handled at once (one chat's always in order).
    bot_concurrent_updates: int = Field(default=256, ge=1)
    # Long polling fetches no more while the updates in hand span this many ids: Telegram keeps the rest.
    bot_updates_in_hand: int = Field(default=100, ge=1, le=100)

    # Affiliates (issue 11, README "Affiliates"): commission rates as fractions of a paid period, the
    # smallest payout, how long a line stays pending (reversible), an optional rebate per bot-attributed
    # closed lot (0: off) in its currency, how often the worker runs the ledger and the scheduled payouts.
    affiliate_commission_tier_1: Decimal = Field(default=Decimal("0.30"), ge=0, le=1, allow_inf_nan=False)
    affiliate_commission_tier_2: Decimal = Field(default=Decimal("0.15"), ge=0, le=1, allow_inf_nan=False)
    affiliate_performance_bonus: Decimal = Field(default=Decimal("0.05"), ge=0, le=1, allow_inf_nan=False)
    affiliate_min_payout: Decimal = Field(default=Decimal(50), ge=0, allow_inf_nan=False)
    affiliate_hold_days: int = Field(default=30, ge=0, le=365)
    affiliate_rebate_per_lot: Decimal = Field(default=Decimal(0), ge=0, allow_inf_nan=False)
    affiliate_rebate_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    affiliate_ledger_sweep_seconds: float = Field(default=30, gt=0, le=86400)
    affiliate_payout_sweep_seconds: float = Field(default=3600, gt=0, le=86400)
    # Subscriptions sold with Telegram Stars: `code:days:stars`, comma-separated.
    subscription_plans: Annotated[tuple[Plan, ...], NoDecode] = (Plan("month", 30, 500),)
    # Fraud checks: a score at or over the threshold opens a case; a round trip held less than this is
    # short (wash trades); the worker's full scan every this many seconds.
    fraud_score_threshold: Decimal = Field(default=Decimal(60), gt=0, allow_inf_nan=False)
    fraud_wash_min_hold_seconds: int = Field(default=120, ge=1, le=86400)
    fraud_scan_seconds: float = Field(default=900, gt=0, le=86400)

    # The HTTP edge (README, "Slow clients and the reverse proxy"): a client that is too slow or holds
    # too many connections is dropped; 0 connections per IP turns the cap off (e.g. behind a proxy).
    http_header_timeout_seconds: float = Field(default=10, gt=0)
    http_body_timeout_seconds: float = Field(default=30, gt=0)
    http_keepalive_seconds: float = Field(default=75, gt=0)
    http_max_connections_per_ip: int = Field(default=64, ge=0)
    # Logs (README, "Logs"): DEBUG also logs users' messages; nothing above DEBUG does.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Fast markets (issue 7): a drawdown deepening this many points within this window is one; during
    # a grace it (or as many points since the breach) closes out at once.
    fast_market_points: Decimal = Field(default=Decimal(5), gt=0, le=100)
    fast_market_window_seconds: int = Field(default=10, ge=1, le=300)

    # Reconciliation (README, "Reconciliation"): the worker's sweep, the engine's windows (a position or
    # fill younger than the grace is not judged yet; a signal's fill counts within the fill window) and
    # tolerances in points of each symbol; closed trades are judged this many hours back.
    reconcile_sweep_seconds: float = Field(default=10, gt=0, le=3600)
    reconcile_grace_seconds: int = Field(default=30, ge=0, le=3600)
    reconcile_fill_window_seconds: int = Field(default=300, gt=0, le=86400)
    reconcile_slippage_points: Decimal = Field(default=Decimal(20), ge=0, allow_inf_nan=False)
    reconcile_sl_tp_points: Decimal = Field(default=Decimal(0), ge=0, allow_inf_nan=False)
    reconcile_window_hours: int = Field(default=24, gt=0, le=24 * 90)

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.split(",") if part.strip())
        return value

    @field_validator("secret_key_previous", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("drawdown_warn_percents", mode="before")
    @classmethod
    def _split_percents(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(sorted(Decimal(part.strip()) for part in value.split(",") if part.strip()))
        return value

    @field_validator("subscription_plans", mode="before")
    @classmethod
    def _parse_plans(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        plans = []
        for part in (p.strip() for p in value.split(",") if p.strip()):
            code, days, stars = [*part.split(":"), "", ""][:3]
            if not re.fullmatch(r"[a-z0-9_]{1,32}", code) or not days.isdigit() or not stars.isdigit():
                raise ValueError(f"plan {part!r}: write code:days:stars, e.g. month:30:500")
            if not 1 <= int(days) <= 3660 or not 1 <= int(stars) <= 100_000:
                raise ValueError(f"plan {part!r}: 1-3660 days and 1-100000 Stars")
            plans.append(Plan(code, int(days), int(stars)))
        if not plans or len({p.code for p in plans}) != len(plans):
            raise ValueError("at least one plan, each code once")
        return tuple(plans)

    @field_validator(
        "daily_loss_limit_percent", "telegram_webhook_url", "database_url", "redis_url", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("telegram_webhook_secret", mode="before")
    @classmethod
    def _webhook_secret_telegram_accepts(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str) and not WEBHOOK_SECRET_PATTERN.fullmatch(value):
            raise ValueError(
                "must be 1-256 characters of A-Z a-z 0-9 _ - (what Telegram accepts);"
                " leave it unset to have one derived from SECRET_KEY"
            )
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_in_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def is_admin(self, telegram_id: int) -> bool:
        return telegram_id in self.admin_telegram_ids

    # The guard's own rules (README, "The guard"): a warned drawdown level warns again only after the
    # drawdown stayed a full point below it this long; where the day's loss is measured from.
    warning_rearm_seconds: int = Field(default=60, ge=0)
    daily_loss_base: Literal["balance", "max_balance_equity"] = "balance"

    # Issue 13, privacy: snapshot history (equity_history) older than this is purged by the worker, every
    # RETENTION_SWEEP_SECONDS (README, "Privacy").
    retention_days: int = Field(default=365, ge=1)
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)
