"""/referral: the trader's own deep link and how their referrals are doing."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import Context, current_user, reply, services, tr
from bot.render.referral import render_referral
from core.domain.affiliates.referrals import deep_link


async def referral(update: Update, context: Context) -> None:
    svc = services(context)
    overview = await svc.referrals.overview(current_user(context))
    link = deep_link(context.bot.username, overview.code)
    await reply(update, render_referral(tr(context), link, overview, svc.settings.affiliate_min_payout))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("referral", referral)]
