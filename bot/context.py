"""What every handler needs: the services, the user behind the update, their translator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import Translator, translator
from bot.render import split_message
from core.config import Settings
from core.domain.models import User
from core.services.admin import AdminService, PreferenceService
from core.services.affiliate_stats import AffiliateStatsService
from core.services.attribution import AttributionService
from core.services.audit import AuditChain, AuditLog
from core.services.errors import Forbidden
from core.services.fraud import FraudService
from core.services.halt import HaltService
from core.services.ledger import LedgerService
from core.services.linking import LinkService
from core.services.payments import PaymentService
from core.services.payouts import PayoutService
from core.services.privacy import PrivacyService
from core.services.queries import AccountQueries
from core.services.reconciliation import ReconciliationService
from core.services.referrals import ReferralService
from core.services.signals import SignalService
from core.services.users import UserService

Context = ContextTypes.DEFAULT_TYPE


@dataclass(frozen=True)
class BotServices:
    settings: Settings
    users: UserService
    links: LinkService
    queries: AccountQueries
    admin: AdminService
    preferences: PreferenceService
    clock: Any
    halt: HaltService
    signals: SignalService
    reconciliation: ReconciliationService
    attribution: AttributionService  # /trades, /attribution, /import, /report
    payments: PaymentService  # /subscribe (Stars), /refund, POST /v1/payments/events
    ledger: LedgerService  # issue 11: the ledger pass (run_once after a payment is recorded)
    payouts: PayoutService  # issue 11: /payouts and the scheduled run
    fraud: FraudService  # issue 11: the fraud scan, /fraud
    referrals: ReferralService  # issue 11: /start ref_<code>, /referral
    affiliate_stats: AffiliateStatsService  # issue 11: /stats, GET /v1/affiliates/summary
    audit: AuditChain  # issue 13: tradeguard audit verify, the worker's check, /ready's head
    audit_log: AuditLog  # issue 13: /audit
    privacy: PrivacyService | None = None  # issue 13: /privacy's export and deletion, the retention pass

    def now(self) -> datetime:
        return cast(datetime, self.clock())


def services(context: Context) -> BotServices:
    return cast(BotServices, context.application.bot_data["services"])


def current_user(context: Context) -> User:
    return cast(User, context.user_data["user"])  # type: ignore[index]


def set_current_user(context: Context, user: User) -> None:
    context.user_data["user"] = user  # type: ignore[index]


def tr(context: Context) -> Translator:
    return translator(current_user(context).language)


async def reply(update: Update, text: str, **kwargs: Any) -> None:
    """HTML replies, split on line boundaries under Telegram's limit."""
    message = update.effective_message
    assert message is not None
    for part in split_message(text):
        await message.reply_html(part, disable_web_page_preview=True, **kwargs)
        kwargs.pop("reply_markup", None)


async def pressed_by_admin(update: Update, context: Context) -> str | None:
    """The data of a press on an admin's confirm button, once the presser is checked to be an admin still
    (the press answered, the buttons gone); None for anyone else, who is told privately and changes
    nothing (the admin's buttons stay). The attempt is audited by the check."""
    query = update.callback_query
    assert query is not None and query.data is not None
    try:
        await services(context).admin.require_admin(current_user(context), f"press {query.data}")
    except Forbidden:
        await query.answer(tr(context)("admin.refused"), show_alert=True)
        return None
    await query.answer()
    await query.edit_message_reply_markup(None)
    return query.data
