"""/report [days] [login[@server]]: a picture per account (PNG through sendPhoto): the equity curve from
the stored history, bot and manual closed trades marked, drawdown shaded, the guard's limit drawn."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import Context, current_user, reply, services, tr
from bot.i18n import Raw
from bot.render.chart import render_report_png_async
from bot.render.trades import period
from core.domain.account_key import AccountKey, BadAccountKey, parse_account_key
from core.services.attribution import parse_days
from core.services.errors import InvalidInput, NotFound

DAYS_DIGITS = 4  # a lone argument of up to 4 digits is days (1..3650); a login is named login@server then


def parse_report_arguments(args: list[str]) -> tuple[int | None, AccountKey | None]:
    """`[days] [login[@server]]`. Raises InvalidInput."""
    if len(args) > 2:
        raise InvalidInput("too many arguments")
    days_text: str | None = None
    key_text: str | None = None
    if len(args) == 2:
        days_text, key_text = args
    elif args and args[0].isascii() and args[0].isdigit() and len(args[0]) <= DAYS_DIGITS:
        days_text = args[0]
    elif args:
        key_text = args[0]
    try:
        key = parse_account_key(key_text) if key_text is not None else None
    except BadAccountKey as error:
        raise InvalidInput("account") from error
    return parse_days(days_text), key


async def report(update: Update, context: Context) -> None:
    t = tr(context)
    message = update.effective_message
    assert message is not None
    try:
        days, key = parse_report_arguments(list(context.args or []))
        histories = await services(context).attribution.history(current_user(context), key, days)
    except InvalidInput:
        await reply(update, t("report.usage"))
        return
    except NotFound:
        await reply(update, t("accounts.none") if key is None else t("report.not_yours", account=str(key)))
        return
    if not histories:
        await reply(update, t("accounts.none"))
    for history in histories:
        account = f"{history.login}@{history.server}"
        if not history.points:
            await reply(update, t("report.no_history", account=account))
            continue
        png = await render_report_png_async(history.points, history.trades, history.limit_equity, t=t)
        caption = t("report.caption", account=account, period=Raw(period(t, days)))
        name = f"report-{history.login}.png"
        await message.reply_photo(png, caption=caption, parse_mode="HTML", filename=name)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [CommandHandler("report", report)]
