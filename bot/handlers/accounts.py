"""/link, /accounts, /status and /positions: a trader sees only their own accounts."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.context import Context, current_user, reply, services, tr
from bot.handlers.gate import command_of
from bot.render import render_accounts, render_link, render_positions, render_status
from core.domain.account_key import BadAccountKey, parse_account_key
from core.domain.models import AccountView
from core.services.errors import InvalidInput
from core.services.linking import parse_link_arguments

LINK_ERRORS = {"usage": "link.usage", "login": "link.bad_login", "server": "link.bad_server"}


async def link(update: Update, context: Context) -> None:
    svc = services(context)
    t = tr(context)
    try:
        login, server = parse_link_arguments(list(context.args or []))
        result = await svc.links.link(current_user(context), login, server)
    except InvalidInput as error:
        await reply(update, t(LINK_ERRORS.get(str(error), "link.usage")))
        return
    await reply(update, render_link(t, result, svc.settings.public_bridge_url))


async def accounts(update: Update, context: Context) -> None:
    found = await services(context).queries.accounts_of(current_user(context))
    await reply(update, render_accounts(tr(context), found))


async def _views(update: Update, context: Context) -> list[AccountView]:
    """The caller's accounts, or the ones named by `/status <login>[@<server>]` if they are theirs."""
    key = None
    if context.args:
        try:
            key = parse_account_key(context.args[0])
        except BadAccountKey:
            await reply(update, tr(context)("accounts.usage", command="/" + (command_of(update) or "")))
            return []
    views = await services(context).queries.views_of(current_user(context))
    if key is not None:
        views = [v for v in views if v.login == key.login and key.server in (None, v.server)]
    if not views:
        await reply(update, tr(context)("accounts.none"))
    return views


async def status(update: Update, context: Context) -> None:
    svc = services(context)
    for view in await _views(update, context):
        await reply(update, render_status(tr(context), view, svc.now(), svc.settings.max_drawdown_percent))


async def positions(update: Update, context: Context) -> None:
    for view in await _views(update, context):
        await reply(update, render_positions(tr(context), view))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        CommandHandler("link", link),
        CommandHandler("accounts", accounts),
        CommandHandler("status", status),
        CommandHandler("positions", positions),
    ]
