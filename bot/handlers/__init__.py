"""The one place that decides handler order: the gate first, the catch-all for unknown commands last."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.ext import Application

from bot.context import Context, reply
from bot.handlers import (
    accounts,
    admin,
    gate,
    imports,
    payouts,
    reconcile,
    report,
    settings,
    signals,
    start,
    trades,
)
from bot.handlers.audit import handlers as audit_handlers  # issue 13
from bot.handlers.fraud import handlers as fraud_handlers  # issue 11
from bot.handlers.privacy import handlers as privacy_handlers  # issue 13
from bot.handlers.referral import handlers as referral_handlers  # issue 11
from bot.handlers.subscribe import handlers as subscription_handlers
from bot.i18n import translator

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    # An exception's message may quote what a user typed (a Bot API error echoes the text it refused):
    # ERROR names the exception and where it was raised; the message and traceback only at DEBUG.
    error = context.error
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    where = " < ".join(f"{frame.name}:{frame.lineno}" for frame in reversed(frames[-4:])) or "?"
    log.error("handler failed: %s at %s", type(error).__name__, where)
    log.debug("handler failure in full", exc_info=error)
    if isinstance(update, Update) and update.effective_message is not None:
        user = (context.user_data or {}).get("user")
        await reply(update, translator(getattr(user, "language", None))("error.generic"))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handlers(gate.handlers(), group=-1)
    features = start.handlers() + accounts.handlers() + settings.handlers() + signals.handlers()
    features += reconcile.handlers()
    features += trades.handlers() + imports.handlers() + report.handlers()  # issue 10: attribution
    features += subscription_handlers()  # issue 11: Stars subscriptions, /refund's button
    features += fraud_handlers()  # issue 11: /fraud's buttons (the command is in admin.IMPLEMENTED)
    features += payouts.handlers()  # issue 11: /payouts' buttons (the command is admin.py's)
    features += referral_handlers()  # issue 11: /referral (/stats is in admin.IMPLEMENTED)
    features += privacy_handlers()  # issue 13: /privacy, its export and deletion
    features += audit_handlers()  # issue 13: /audit's ◀ ▶ (the command is in admin.IMPLEMENTED)
    features += admin.handlers()
    application.add_handlers(features + admin.fallback_handlers(), group=0)
    application.add_error_handler(on_error)
