"""Admin commands. The gate (group −1) has already refused and audited non-admins; the services check
again, and a confirmation button is re-checked on press (the presser must still be an admin)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import Context, current_user, pressed_by_admin, reply, services, tr
from bot.handlers.affiliate_stats import stats  # issue 11
from bot.handlers.audit import audit_command  # issue 13
from bot.handlers.fraud import fraud_queue  # issue 11
from bot.handlers.gate import command_of
from bot.handlers.payouts import payouts
from bot.handlers.subscribe import refund
from bot.handlers.trades import attribution
from bot.i18n import Raw
from bot.render import guard_state, render_account_detail, render_accounts_all
from core.domain.account_key import AccountKey, BadAccountKey, parse_account_key, parse_id
from core.domain.guard import GuardActionRejected
from core.domain.halt import AlreadyHalted, Halt, NotHalted, halt_note
from core.domain.models import AccountView
from core.services.admin import GUARD_STATES, AccountDetail
from core.services.errors import AmbiguousAccount, Forbidden, InvalidInput, NotFound, ServiceError

LIQUIDATE = "liq:v1:"
CANCEL = "liq:v1:no"
DONE_KEYS = {"liquidate": "admin.liquidate_started", "lock": "admin.locked", "unlock": "admin.unlocked"}
HALT = "halt:v1:"
HALT_CONFIRM, RESUME_CONFIRM, HALT_CANCEL = f"{HALT}halt", f"{HALT}resume", f"{HALT}no"


async def admin_menu(update: Update, context: Context) -> None:
    await reply(update, "\n".join([*await _halt_banner(context), tr(context)("admin.menu")]))


def _halt_values(context: Context, halt: Halt) -> dict[str, object]:
    t = tr(context)
    by = halt.by.removeprefix("admin:")
    return {"number": halt.number, "since": t.moment(halt.since), "by": by, "note": halt.note or "—"}


async def _halt_banner(context: Context) -> list[str]:
    """The halt in force as the first line of the admin's views; nothing when trading is not halted."""
    halt = await services(context).halt.current()
    return [] if halt is None else [tr(context)("admin.halt_banner", **_halt_values(context, halt))]


def _confirm_keyboard(context: Context, confirm: str, cancel: str) -> InlineKeyboardMarkup:
    t = tr(context)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("admin.button_confirm"), callback_data=confirm),
                InlineKeyboardButton(t("admin.button_cancel"), callback_data=cancel),
            ]
        ]
    )


async def halt(update: Update, context: Context) -> None:
    """`/halt [note]`: asks first; the note waits in the admin's own data for their press."""
    t = tr(context)
    current = await services(context).halt.current()
    if current is not None:
        await reply(update, t("admin.already_halted", **_halt_values(context, current)))
        return
    note = halt_note(" ".join(context.args or []))
    context.user_data["halt_note"] = note  # type: ignore[index]
    keyboard = _confirm_keyboard(context, HALT_CONFIRM, HALT_CANCEL)
    await reply(update, t("admin.halt_confirm", note=note or "—"), reply_markup=keyboard)


async def resume(update: Update, context: Context) -> None:
    t = tr(context)
    current = await services(context).halt.current()
    if current is None:
        await reply(update, t("admin.not_halted"))
        return
    keyboard = _confirm_keyboard(context, RESUME_CONFIRM, HALT_CANCEL)
    await reply(update, t("admin.resume_confirm", **_halt_values(context, current)), reply_markup=keyboard)


async def halt_pressed(update: Update, context: Context) -> None:
    """Confirm or cancel of /halt and /resume: the presser must still be an admin (checked again by
    HaltService); anyone else changes nothing and is told privately."""
    if (data := await pressed_by_admin(update, context)) is None:
        return
    svc, t, presser = services(context), tr(context), current_user(context)
    try:
        if data == HALT_CONFIRM:
            note = (context.user_data or {}).pop("halt_note", "")
            change = await svc.halt.halt(presser, note)
            done = t("admin.halted", number=change.halt.number, told=change.traders_told,
                     withdrawn=len(change.withdrawn))  # fmt: skip
        elif data == RESUME_CONFIRM:
            change = await svc.halt.resume(presser)
            done = t("admin.resumed", number=change.halt.number, told=change.traders_told)
        else:
            done = t("admin.cancelled")
    except Forbidden:
        done = t("admin.refused")
    except AlreadyHalted as error:
        assert error.current is not None
        done = t("admin.already_halted", **_halt_values(context, error.current))
    except NotHalted:
        done = t("admin.not_halted")
    await reply(update, done)


async def _account_argument(update: Update, context: Context) -> AccountKey | None:
    try:
        return parse_account_key((context.args or [""])[0])
    except BadAccountKey:
        await reply(update, tr(context)("admin.usage_login", command="/" + (command_of(update) or "")))
        return None


async def _refused_or_missing(update: Update, context: Context, error: ServiceError, key: object) -> None:
    """What an admin use case refused, said in the admin's language (Forbidden is already audited)."""
    t = tr(context)
    if isinstance(error, Forbidden):
        await reply(update, t("admin.refused"))
    elif isinstance(error, AmbiguousAccount):
        login = key.login if isinstance(key, AccountKey) else key
        await reply(update, t("admin.ambiguous", login=login, candidates=", ".join(error.candidates)))
    else:
        await reply(update, t("admin.not_found", login=str(key)))


async def _named_details(update: Update, context: Context) -> list[AccountDetail]:
    """The links the first argument names, or none (after saying why) for a bad or unknown name."""
    key = await _account_argument(update, context)
    if key is None:
        return []
    try:
        return await services(context).admin.detail(current_user(context), key)
    except (Forbidden, NotFound, AmbiguousAccount) as error:
        await _refused_or_missing(update, context, error, key)
        return []


async def liquidate(update: Update, context: Context) -> None:
    details = await _named_details(update, context)  # resolved now: the button names one login@server
    if not details:
        return
    note = " ".join((context.args or [])[1:])[:200]
    account_id = details[0].view.account_id
    context.user_data.setdefault("liquidation_notes", {})[account_id] = note  # type: ignore[union-attr]
    t = tr(context)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("admin.button_confirm"), callback_data=f"{LIQUIDATE}{account_id}"),
                InlineKeyboardButton(t("admin.button_cancel"), callback_data=CANCEL),
            ]
        ]
    )
    shown = _name(details[0].view)
    await reply(update, t("admin.liquidate_confirm", login=shown, note=note or "—"), reply_markup=keyboard)


def _name(view: AccountView) -> str:
    return f"{view.login}@{view.server}"


async def liquidate_pressed(update: Update, context: Context) -> None:
    if (data := await pressed_by_admin(update, context)) is None:
        return
    svc, presser = services(context), current_user(context)
    if data == CANCEL:
        await reply(update, tr(context)("admin.cancelled"))
        return
    account_id = _callback_account_id(data)
    try:
        key = await svc.admin.key_of(presser, account_id) if account_id is not None else None
    except (Forbidden, NotFound) as error:
        await _refused_or_missing(update, context, error, account_id)
        return
    if key is None:
        await reply(update, tr(context)("admin.cancelled"))
        return
    note = (context.user_data or {}).get("liquidation_notes", {}).pop(account_id, "")
    await _act(update, context, key, "liquidate", note)


def _callback_account_id(data: str) -> int | None:
    """`liq:v1:<account id>`; anything else (an old or forged button) is None."""
    return parse_id(data.removeprefix(LIQUIDATE))


async def _act(update: Update, context: Context, key: AccountKey, action: str, note: str = "") -> None:
    svc = services(context)
    t = tr(context)
    try:
        states = await svc.admin.act(current_user(context), key, action, note)
    except (Forbidden, NotFound, AmbiguousAccount) as error:
        await _refused_or_missing(update, context, error, key)
    except GuardActionRejected:
        await reply(update, t("admin.rejected", login=str(key), why=Raw(await _why_not(context, key))))
    else:
        assert states
        await reply(update, t(DONE_KEYS.get(action, "admin.done"), login=str(key)))


async def _why_not(context: Context, key: AccountKey) -> str:
    """An action the account's state does not allow: say the state, in the admin's language."""
    t = tr(context)
    view = (await services(context).admin.detail(current_user(context), key))[0].view
    return guard_state(t, view) if view.has_data else t("admin.no_data_yet")


async def lock(update: Update, context: Context) -> None:
    key = await _account_argument(update, context)
    if key is not None:
        await _act(update, context, key, "lock")


async def unlock(update: Update, context: Context) -> None:
    key = await _account_argument(update, context)
    if key is not None:
        await _act(update, context, key, "unlock")


async def account(update: Update, context: Context) -> None:
    svc = services(context)
    t = tr(context)
    for detail in await _named_details(update, context):
        await reply(update, render_account_detail(t, detail, svc.now(), svc.settings.max_drawdown_percent))


async def accounts_all(update: Update, context: Context) -> None:
    status = (context.args or [None])[0]
    try:
        views = await services(context).admin.accounts(current_user(context), status)
    except Forbidden as error:
        await _refused_or_missing(update, context, error, None)
        return
    except InvalidInput:
        await reply(update, tr(context)("admin.accounts_usage", states=", ".join(GUARD_STATES)))
        return
    banner = await _halt_banner(context)
    await reply(update, "\n".join([*banner, render_accounts_all(tr(context), views, status)]))


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
    "halt": halt,
    "resume": resume,
    "attribution": attribution,
    "refund": refund,  # issue 11: bot/handlers/subscribe.py
    "fraud": fraud_queue,
    "stats": stats,  # issue 11
}
IMPLEMENTED["payouts"] = payouts  # issue 11
IMPLEMENTED["audit"] = audit_command  # issue 13


# The rest of bot/commands_menu.py's ADMIN_COMMANDS: announced, answered "not available yet".
NOT_YET = ("broadcast",)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        *(CommandHandler(name, callback) for name, callback in IMPLEMENTED.items()),
        CallbackQueryHandler(liquidate_pressed, pattern=f"^{LIQUIDATE}"),
        CallbackQueryHandler(halt_pressed, pattern=f"^{HALT}"),
        CommandHandler(NOT_YET, not_yet),
    ]


def fallback_handlers() -> list[BaseHandler[Update, Context, None]]:
    return [MessageHandler(filters.COMMAND, unknown_command)]
