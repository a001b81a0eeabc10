"""Admin commands. The gate (group −1) has already refused and audited non-admins; the services check
again, and a confirmation button is re-checked on press (the presser must still be an admin)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotServices, Context, current_user, reply, services, tr
from bot.handlers.gate import ADMIN_COMMANDS, command_of
from bot.i18n import Raw, Translator
from bot.render import guard_state, render_account_detail, render_accounts_all
from core.domain.guard import GuardActionRejected
from core.services.admin import GUARD_STATES, parse_login
from core.services.errors import Forbidden, InvalidInput, NotFound

LIQUIDATE = "liq:v1:"
CANCEL = "liq:v1:no"
DONE_KEYS = {"liquidate": "admin.liquidate_started", "lock": "admin.locked", "unlock": "admin.unlocked"}


async def admin_menu(update: Update, context: Context) -> None:
    await reply(update, tr(context)("admin.menu"))


async def _login_argument(update: Update, context: Context) -> int | None:
    try:
        return parse_login((context.args or [""])[0])
    except InvalidInput:
        await reply(update, tr(context)("admin.usage_login", command="/" + (command_of(update) or "")))
        return None


async def liquidate(update: Update, context: Context) -> None:
    login = await _login_argument(update, context)
    if login is None:
        return
    note = " ".join((context.args or [])[1:])[:200]
    context.user_data.setdefault("liquidation_notes", {})[login] = note  # type: ignore[union-attr]
    t = tr(context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("admin.button_confirm"), callback_data=f"{LIQUIDATE}{login}"),
                InlineKeyboardButton(t("admin.button_cancel"), callback_data=CANCEL),
            ]
        ]
    )
    await reply(update, t("admin.liquidate_confirm", login=login, note=note or "—"), reply_markup=keyboard)


async def liquidate_pressed(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None and query.from_user is not None
    svc = services(context)
    if not svc.settings.is_admin(query.from_user.id):
        # Changes nothing: the admin's buttons stay, and the refusal goes to the presser, not the chat.
        await svc.users.audit_refused_admin_attempt(query.from_user.id, f"press {query.data}")
        await query.answer(tr(context)("admin.refused"), show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if query.data == CANCEL:
        await reply(update, tr(context)("admin.cancelled"))
        return
    login = int(query.data.removeprefix(LIQUIDATE))
    note = (context.user_data or {}).get("liquidation_notes", {}).pop(login, "")
    await _act(update, context, query.from_user.id, login, "liquidate", note)


async def _act(
    update: Update, context: Context, admin_id: int, login: int, action: str, note: str = ""
) -> None:
    svc = services(context)
    t = tr(context)
    try:
        await svc.admin.act(admin_id, login, action, note)
    except Forbidden:
        await svc.users.audit_refused_admin_attempt(admin_id, f"{action} {login}")
        await reply(update, t("admin.refused"))
    except NotFound:
        await reply(update, t("admin.not_found", login=login))
    except GuardActionRejected:
        await reply(update, t("admin.rejected", login=login, why=Raw(await _why_not(svc, t, login))))
    else:
        await reply(update, t(DONE_KEYS.get(action, "admin.done"), login=login))


async def _why_not(svc: BotServices, t: Translator, login: int) -> str:
    """An action the account's state does not allow: say the state, in the admin's language."""
    view = (await svc.admin.detail(login)).view
    return guard_state(t, view) if view.has_data else t("admin.no_data_yet")


async def lock(update: Update, context: Context) -> None:
    login = await _login_argument(update, context)
    if login is not None:
        await _act(update, context, current_user(context).telegram_id, login, "lock")


async def unlock(update: Update, context: Context) -> None:
    login = await _login_argument(update, context)
    if login is not None:
        await _act(update, context, current_user(context).telegram_id, login, "unlock")


async def account(update: Update, context: Context) -> None:
    login = await _login_argument(update, context)
    if login is None:
        return
    svc = services(context)
    try:
        detail = await svc.admin.detail(login)
    except NotFound:
        await reply(update, tr(context)("admin.not_found", login=login))
        return
    await reply(
        update, render_account_detail(tr(context), detail, svc.now(), svc.settings.max_drawdown_percent)
    )


async def accounts_all(update: Update, context: Context) -> None:
    status = (context.args or [None])[0]
    try:
        views = await services(context).admin.accounts(status)
    except InvalidInput:
        await reply(update, tr(context)("admin.accounts_usage", states=", ".join(GUARD_STATES)))
        return
    await reply(update, render_accounts_all(tr(context), views, status))


async def not_yet(update: Update, context: Context) -> None:
    await reply(update, tr(context)("admin.not_yet", command="/" + (command_of(update) or "")))


async def unknown_command(update: Update, context: Context) -> None:
    await reply(update, tr(context)("error.unknown_command"))


IMPLEMENTED = {
    "admin": admin_menu,
    "liquidate": liquidate,
    "lock": lock,
    "unlock": unlock,
    "account": account,
    "accounts_all": accounts_all,
}


def handlers() -> list[BaseHandler[Update, Context, None]]:
    later = sorted(ADMIN_COMMANDS - set(IMPLEMENTED))
    return [
        *(CommandHandler(name, callback) for name, callback in IMPLEMENTED.items()),
        CallbackQueryHandler(liquidate_pressed, pattern=f"^{LIQUIDATE}"),
        CommandHandler(later, not_yet),
    ]


def fallback_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [MessageHandler(filters.COMMAND, unknown_command)]
