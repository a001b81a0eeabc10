"""/import: the trader sends the report their terminal wrote (MT5 Trade History Report .xlsx/.html, MT4
Detailed Statement .htm) as a document, with or without /import as its caption.

The size is judged from the document's `file_size` before anything is downloaded; the file is parsed in
a worker thread (it is CPU-bound), and the service stores its deals only on the sender's own link that
the report names."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import Context, current_user, reply, services, tr
from bot.render.trades import render_imported
from core.services.errors import AmbiguousAccount, NotFound
from core.statements import MAX_STATEMENT_BYTES, Refusal, StatementError, parse_statement

log = logging.getLogger(__name__)


async def import_usage(update: Update, context: Context) -> None:
    """`/import` typed without a file: say how to send one."""
    await reply(update, tr(context)("import.usage"))


async def import_document(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    t, document = tr(context), message.document
    if document.file_size is not None and document.file_size > MAX_STATEMENT_BYTES:
        await reply(update, t(Refusal.TOO_BIG.value))
        return
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
    except TelegramError as error:  # Telegram refuses files over 20 MB to bots: "file is too big"
        log.info("import: document not downloaded: %s", error)
        key = Refusal.TOO_BIG.value if "too big" in str(error).lower() else "import.download_failed"
        await reply(update, t(key))
        return
    try:
        statement = await asyncio.to_thread(parse_statement, data)
    except StatementError as error:
        log.info("import refused: %s", error)
        await reply(update, t(error.locale_key))
        return
    named = statement.account
    try:
        imported = await services(context).attribution.import_deals(
            current_user(context), named.login, named.server, statement.deals, statement.format.value
        )
    except NotFound:
        account = f"{named.login}@{named.server}" if named.server else str(named.login)
        await reply(update, t("import.not_your_account", account=account))
        return
    except AmbiguousAccount as error:
        await reply(update, t("import.ambiguous", login=named.login, candidates=", ".join(error.candidates)))
        return
    await reply(update, render_imported(t, imported))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    return [
        MessageHandler(filters.Document.ALL, import_document),
        CommandHandler("import", import_usage),
    ]
