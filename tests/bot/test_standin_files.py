"""Files in the Bot API stand-in, through the real python-telegram-bot client: a user's document, getFile
and the download URL (20 MB for bots), sendPhoto and sendDocument as multipart uploads (a caption of at
most 1,024 characters, a photo that must be an image), read back from the transcript."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from telegram import Bot, Message, Update
from telegram.error import BadRequest

from sim.telegram import BOT_ID, BotApiStandIn

TOKEN = f"{BOT_ID}:AAStandInFilesToken_0123456789"
ANN = 5012345002


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=TOKEN) as server:
        yield server


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{standin.url}/bot", base_file_url=f"{standin.url}/file/bot") as client:
        yield client


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


async def received(bot: Bot) -> Message:
    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 1
    message = Update.de_json(updates[0].to_dict(), bot).effective_message
    assert message is not None
    return message


async def test_a_document_a_user_sends_is_fetched_with_get_file_and_its_download_url(
    standin: BotApiStandIn, bot: Bot
) -> None:
    await standin.user(ANN).send_document(b"<html>report</html>", "Statement.htm", caption="/import")

    message = await received(bot)
    document = message.document
    assert document is not None and message.caption == "/import"
    assert (document.file_name, document.file_size) == ("Statement.htm", 19)
    assert message.caption_entities[0].type == "bot_command"
    content = await (await bot.get_file(document.file_id)).download_as_bytearray()
    assert bytes(content) == b"<html>report</html>"


async def test_get_file_refuses_a_file_over_twenty_megabytes_as_telegram_does(
    standin: BotApiStandIn, bot: Bot
) -> None:
    await standin.user(ANN).send_document(b"x" * (20 * 1024 * 1024 + 1), "huge.xlsx")
    message = await received(bot)
    assert message.document is not None and message.document.file_size == 20 * 1024 * 1024 + 1

    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(message.document.file_id)
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("no-such-file")


async def test_a_photo_is_uploaded_and_recorded_with_its_bytes_and_caption(
    standin: BotApiStandIn, bot: Bot
) -> None:
    picture = png(120, 80)

    sent = await bot.send_photo(ANN, picture, caption="<b>Equity</b> &amp; trades", parse_mode="HTML")

    assert sent.photo[-1].width == 120 and sent.photo[-1].height == 80
    assert sent.caption == "Equity & trades"
    record = standin.messages_to(ANN)[-1]
    assert (record.method, record.text, record.media) == ("sendPhoto", "Equity & trades", picture)
    assert record.entity_texts("bold") == ["Equity"]
    again = await bot.send_photo(ANN, sent.photo[-1].file_id)  # by file id, as Telegram allows
    assert standin.messages_to(ANN)[-1].media == picture and again.caption is None


async def test_a_photo_that_is_no_image_or_a_caption_over_1024_characters_is_refused(
    standin: BotApiStandIn, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(ANN, b"%PDF-1.4 not a picture")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(ANN, png(), caption="x" * 1025)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(ANN, b"data", filename="a.txt", caption="y" * 5000)

    await bot.send_photo(ANN, png(), caption="z" * 1024)  # exactly the limit is fine
    assert [m.method for m in standin.messages_to(ANN)] == ["sendPhoto"]


async def test_a_document_is_uploaded_and_recorded_with_its_name(standin: BotApiStandIn, bot: Bot) -> None:
    sent = await bot.send_document(ANN, b"a,b\n1,2\n", filename="trades.csv", caption="Your trades")

    assert sent.document is not None and sent.document.file_name == "trades.csv"
    record = standin.messages_to(ANN)[-1]
    assert (record.method, record.media, record.media_name) == ("sendDocument", b"a,b\n1,2\n", "trades.csv")
