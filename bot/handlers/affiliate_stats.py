"""/stats (admins): the affiliate programme by ISO week, as text and a chart. The service checks that
the sender is an admin (the gate only answers early)."""

from __future__ import annotations

from telegram import Update

from bot.context import Context, current_user, reply, services, tr
from bot.render.affiliate_stats import render_stats, render_stats_png_async, stats_caption
from core.services.errors import Forbidden


async def stats(update: Update, context: Context) -> None:
    t = tr(context)
    message = update.effective_message
    assert message is not None
    try:
        summary = await services(context).affiliate_stats.for_admin(current_user(context))
    except Forbidden:
        await reply(update, t("admin.refused"))
        return
    await reply(update, render_stats(t, summary))
    png = await render_stats_png_async(summary, t=t)
    await message.reply_photo(png, caption=stats_caption(t, summary), parse_mode="HTML", filename="stats.png")
