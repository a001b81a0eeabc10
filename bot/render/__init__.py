"""Pure rendering: a view or an alert and a locale in, Telegram HTML out. Tested without an Application.

One module per concern: status, positions and accounts (the views), alerts (one renderer per alert
type, market and digest alongside), split (Telegram's length limit)."""

from bot.render.accounts import render_accounts, render_accounts_all, render_link
from bot.render.alerts import RENDERERS, alert_values, render_alert
from bot.render.common import money
from bot.render.digest import DIGEST_LINES
from bot.render.positions import render_positions
from bot.render.signals import signal_keyboard
from bot.render.split import SAFE_LIMIT, TELEGRAM_LIMIT, split_message, utf16_units
from bot.render.status import (
    drawdown_bar,
    effective_limit,
    guard_state,
    render_account_detail,
    render_status,
)

__all__ = [
    "DIGEST_LINES",
    "RENDERERS",
    "SAFE_LIMIT",
    "TELEGRAM_LIMIT",
    "alert_values",
    "drawdown_bar",
    "effective_limit",
    "guard_state",
    "money",
    "render_account_detail",
    "render_accounts",
    "render_accounts_all",
    "render_alert",
    "render_link",
    "render_positions",
    "render_status",
    "signal_keyboard",
    "split_message",
    "utf16_units",
]
