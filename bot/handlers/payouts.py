"""/payouts (admins): the preview (who would be paid how much, who is held and why), a Confirm button,
and Sent / Failed buttons for payouts of unknown outcome. The service checks the admin on every call,
the press included (callback data `payouts:v1:<action>:<arg>`).

Also the affiliate services' wiring from the settings (`affiliate_services`), which the composition
root (bot/app.py) calls: the ledger pass and the payouts."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.context import Context, current_user, reply, services, tr
from bot.render.payouts import FAILED, RUN, SENT, render_preview, render_ran, render_resolved
from core.config import Settings
from core.domain.affiliates import PayoutStatus
from core.domain.affiliates.commission import CommissionRules
from core.services.errors import Forbidden, InvalidInput, NotFound
from core.services.halt import RequireAdmin
from core.services.ledger import LedgerPolicy, LedgerService
from core.services.payouts import ManualGateway, PayoutService
from core.services.ports import Clock, Doorbell, UnitOfWorkFactory


async def payouts(update: Update, context: Context) -> None:
    t = tr(context)
    try:
        preview = await services(context).payouts.preview(current_user(context))
    except Forbidden:
        await reply(update, t("admin.refused"))
        return
    text, keyboard = render_preview(t, preview.period, preview.candidates, preview.unknown)
    await reply(update, text, reply_markup=keyboard)


async def pressed(update: Update, context: Context) -> None:
    """Confirm, Sent or Failed: the service checks the presser is still an admin."""
    query = update.callback_query
    assert query is not None and query.data is not None
    t, presser, svc = tr(context), current_user(context), services(context).payouts
    data = query.data
    try:
        if data.startswith(RUN):
            done = render_ran(t, await svc.run(presser, data.removeprefix(RUN)))
        else:
            status = PayoutStatus.SENT if data.startswith(SENT) else PayoutStatus.FAILED
            payout_id = _number(data.removeprefix(SENT if data.startswith(SENT) else FAILED))
            done = render_resolved(t, await svc.resolve(presser, payout_id, status))
    except Forbidden:
        await query.answer(t("admin.refused"), show_alert=True)
        return
    except (InvalidInput, NotFound) as error:
        done = t("payouts.refused", error=str(error))
    await query.answer()
    await query.edit_message_reply_markup(None)
    await reply(update, done)


def _number(text: str) -> int:
    if not text.isdigit():
        raise InvalidInput(f"not a payout number: {text!r}")
    return int(text)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    """The command itself is bot/handlers/admin.py's (one list of admin commands); the presses are here."""
    return [CallbackQueryHandler(pressed, pattern=f"^({RUN}|{SENT}|{FAILED})")]


class AffiliateServices(TypedDict):
    ledger: LedgerService
    payouts: PayoutService


def affiliate_services(
    settings: Settings, uow: UnitOfWorkFactory, require_admin: RequireAdmin, doorbell: Doorbell, clock: Clock
) -> AffiliateServices:
    rules = CommissionRules(
        settings.affiliate_commission_tier_1,
        settings.affiliate_commission_tier_2,
        settings.affiliate_performance_bonus,
        settings.affiliate_hold_days,
        settings.affiliate_rebate_per_lot,
    )
    hold = timedelta(seconds=settings.fraud_wash_min_hold_seconds)
    policy = LedgerPolicy(rules, settings.affiliate_rebate_currency, hold)
    minimum = settings.affiliate_min_payout
    return AffiliateServices(
        ledger=LedgerService(uow, doorbell, clock, policy),
        payouts=PayoutService(uow, require_admin, ManualGateway(), doorbell, clock, minimum),
    )
