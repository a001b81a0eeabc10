"""The rules each service is built with, read from the settings (the composition root's helpers)."""

from __future__ import annotations

from datetime import timedelta

from core.config import Settings
from core.domain.guard import DailyLossBase, GuardConfig
from core.domain.market import MarketConfig
from core.domain.reconciliation import ReconciliationConfig
from core.services.guard import GuardPolicy
from core.services.market import MarketPolicy
from core.services.reconciliation import ReconciliationPolicy


def guard_policy(settings: Settings) -> GuardPolicy:
    config = GuardConfig(
        max_drawdown_percent=settings.max_drawdown_percent,
        warn_percents=settings.drawdown_warn_percents,
        min_equity=settings.min_equity,
        daily_loss_limit_percent=settings.daily_loss_limit_percent,
        day_start_hour=settings.trading_day_start_hour,
        day_timezone=settings.trading_day_timezone,
        grace_seconds=settings.liquidation_grace_seconds,
        stale_feed_seconds=settings.stale_feed_seconds,
        verify_timeout_seconds=settings.liquidation_verify_seconds,
        fast_market_points=settings.fast_market_points,
        fast_market_window_seconds=settings.fast_market_window_seconds,
        warning_rearm_seconds=settings.warning_rearm_seconds,
        daily_loss_base=DailyLossBase(settings.daily_loss_base),
    )
    return GuardPolicy(config, settings.admin_telegram_ids)


def market_policy(settings: Settings) -> MarketPolicy:
    config = MarketConfig(
        gap_percent=settings.price_gap_alert_percent,
        spread_multiplier=settings.max_spread_multiplier,
        stale_quote_seconds=settings.stale_quote_seconds,
    )
    return MarketPolicy(config, settings.market_guard_action, settings.admin_telegram_ids)


def reconciliation_policy(settings: Settings) -> ReconciliationPolicy:
    config = ReconciliationConfig(
        grace=timedelta(seconds=settings.reconcile_grace_seconds),
        fill_window=timedelta(seconds=settings.reconcile_fill_window_seconds),
        default_slippage_points=settings.reconcile_slippage_points,
        default_sl_tp_points=settings.reconcile_sl_tp_points,
    )
    window = timedelta(hours=settings.reconcile_window_hours)
    return ReconciliationPolicy(config, window, settings.admin_telegram_ids, settings.cache_ttl_seconds)
