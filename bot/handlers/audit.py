"""/audit <login|login@server|user> [days] (admins): the entries about an account or user, newest first,
ten a page with ◀ ▶. The gate stops traders first; the service checks again, on the command and on
every press (the presser must still be an admin)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.context import Context, current_user, reply, services, tr
from bot.render import split_message
from bot.render.audit import AUDIT_BUTTON, audit_keyboard, parse_audit_button, render_audit_page
from core.services.audit import AuditPage, parse_audit_days, parse_audit_target
from core.services.errors import Forbidden, InvalidInput, NotFound


async def audit_command(update: Update, context: Context) -> None:
    t, args = tr(context), list(context.args or [])
    try:
        if not 1 <= len(args) <= 2:
            raise InvalidInput("/audit <login|login@server|user> [days]")
        target = parse_audit_target(args[0])
        days = parse_audit_days(args[1] if len(args) == 2 else None)
        view = await services(context).audit_log.page(current_user(context), target, days)
    except Forbidden:
        await reply(update, t("admin.refused"))
        return
    except InvalidInput:
        await reply(update, t("audit.usage"))
        return
    except NotFound:
        await reply(update, t("audit.not_found", target=args[0]))
        return
    await _send(update, context, view)


async def _send(update: Update, context: Context, view: AuditPage) -> None:
    """Split under Telegram's limit; the buttons go with the last part."""
    parts = split_message(render_audit_page(tr(context), view))
    message = update.effective_message
    assert message is not None
    for part in parts[:-1]:
        await message.reply_html(part, disable_web_page_preview=True)
    await message.reply_html(parts[-1], disable_web_page_preview=True, reply_markup=audit_keyboard(view))


async def audit_pressed(update: Update, context: Context) -> None:
    """◀ ▶: the page again from the log (entries written since show), in place when it fits one message."""
    query = update.callback_query
    assert query is not None and query.data is not None
    t, parsed = tr(context), parse_audit_button(query.data)
    if parsed is None:
        await query.answer(t("admin.refused"), show_alert=True)
        return
    target, days, page = parsed
    try:
        view = await services(context).audit_log.page(current_user(context), target, days, page)
    except Forbidden:  # the refusal goes to the presser; the admin's buttons stay
        await query.answer(t("admin.refused"), show_alert=True)
        return
    except (NotFound, InvalidInput):
        await query.answer()
        await reply(update, t("audit.not_found", target=str(target)))
        return
    await query.answer()
    parts = split_message(render_audit_page(t, view))
    if len(parts) == 1:
        await query.edit_message_text(parts[0], parse_mode="HTML", reply_markup=audit_keyboard(view))
        return
    await query.edit_message_reply_markup(None)
    await _send(update, context, view)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CallbackQueryHandler(audit_pressed, pattern=f"^{AUDIT_BUTTON}")]
