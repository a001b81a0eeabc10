"""All settings, read from the environment or `.env`; built once in the composition root."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    liquidation_grace_seconds: int = Field(default=10, ge=0)
    liquidation_verify_seconds: int = Field(default=60, gt=0)
    trading_day_start_hour: int = Field(default=0, ge=0, le=23)
    trading_day_timezone: str = "UTC"
    stale_feed_seconds: int = Field(default=60, gt=0)
    price_gap_alert_percent: Decimal = Field(default=Decimal(5), gt=0)
    max_spread_multiplier: Decimal = Field(default=Decimal(10), gt=1)
    cache_ttl_seconds: int = Field(default=5, gt=0)

    affiliate_commission_tier_1: Decimal = Decimal("0.30")
    affiliate_commission_tier_2: Decimal = Decimal("0.15")
    affiliate_performance_bonus: Decimal = Decimal("0.05")
    affiliate_min_payout: Decimal = Decimal(50)
    affiliate_hold_days: int = 30

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

    @field_validator(
        "daily_loss_limit_percent", "telegram_webhook_url", "database_url", "redis_url", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    def is_admin(self, telegram_id: int) -> bool:
        return telegram_id in self.admin_telegram_ids
