"""The Bot API stand-in, exercised through the real python-telegram-bot client.

Most tests talk to the stand-in with ``telegram.Bot`` exactly as production code does, so
they prove both that the stand-in behaves like Telegram and that PTB can de-serialize
everything it answers.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from sim.telegram import (
    BOT_FIRST_NAME,
    BOT_ID,
    BOT_USERNAME,
    SECRET_TOKEN_HEADER,
    BotApiStandIn,
    HtmlParseError,
    IncomingUpdate,
    SentMessage,
    compose_text,
    parse_html,
    utf16_len,
)

TOKEN = f"{BOT_ID}:AAStandInTestToken_0123456789-abc"
ANN = 5012345001


@asynccontextmanager
async def ptb_bot(standin: BotApiStandIn, token: str = TOKEN) -> AsyncIterator[Bot]:
    async with Bot(token, base_url=f"{standin.url}/bot") as client:
        yield client


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=TOKEN) as server:
        yield server


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    async with ptb_bot(standin) as client:
        yield client


@pytest.fixture
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns (an error here) when RetryAfter.retry_after is read as int; opt in to timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """Poll state that has no event to wait on (e.g. the stand-in's bookkeeping after a POST)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - nothing to await; bounded by the timeout
            await asyncio.sleep(0.01)


async def raw_call(standin: BotApiStandIn, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{standin.url}{path}", **kwargs) as response,
    ):
        return response.status, await response.json()


# --------------------------------------------------------------------------------------------
# identity and HTTP surface


async def test_get_me_reports_the_test_bot(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.first_name, me.is_bot) == (BOT_ID, BOT_USERNAME, BOT_FIRST_NAME, True)


async def test_unknown_method_answers_telegrams_404(standin: BotApiStandIn) -> None:
    status, body = await raw_call(standin, f"/bot{TOKEN}/sendPigeon", data={"chat_id": "1"})

    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


async def test_wrong_token_is_unauthorized_and_malformed_token_not_found(standin: BotApiStandIn) -> None:
    with pytest.raises(InvalidToken):
        async with ptb_bot(standin, token=f"{BOT_ID}:AAsomebodyElsesToken"):
            pass
    wrong = await raw_call(standin, f"/bot{BOT_ID}:AAsomebodyElsesToken/getMe")
    malformed = await raw_call(standin, "/botnot-a-token/getMe")

    assert wrong == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert malformed == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_json_and_form_bodies_are_both_accepted(standin: BotApiStandIn) -> None:
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    status_json, body_json = await raw_call(
        standin,
        f"/bot{TOKEN}/sendMessage",
        json={"chat_id": ANN, "text": "<b>json</b>", "parse_mode": "HTML", "reply_markup": markup},
    )
    status_form, body_form = await raw_call(
        standin,
        f"/bot{TOKEN}/sendMessage",
        data={"chat_id": str(ANN), "text": "form", "reply_markup": '{"inline_keyboard": []}'},
    )

    assert (status_json, status_form) == (200, 200)
    assert body_json["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert body_json["result"]["reply_markup"] == markup
    assert body_form["result"]["text"] == "form"


@pytest.mark.parametrize(
    ("kwargs", "description"),
    [
        ({"data": {"text": "hi"}}, "Bad Request: chat_id is empty"),
        ({"data": {"chat_id": "@nobody", "text": "hi"}}, "Bad Request: chat not found"),
        ({"data": {"chat_id": "1"}}, "Bad Request: message text is empty"),
        ({"data": {"chat_id": "1", "text": "x", "reply_markup": "{oops"}}, "reply keyboard markup"),
        ({"json": {"chat_id": [1], "text": "x"}}, "Bad Request: chat not found"),
        (
            {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
            "Bad Request: can't parse request body",
        ),
    ],
)
async def test_bad_input_is_a_400_never_a_500(
    standin: BotApiStandIn, kwargs: dict[str, Any], description: str
) -> None:
    status, body = await raw_call(standin, f"/bot{TOKEN}/sendMessage", **kwargs)

    assert status == 400
    assert body["ok"] is False and body["error_code"] == 400
    assert description in body["description"]


# --------------------------------------------------------------------------------------------
# HTML parsing and message limits


async def test_html_message_has_entities_ptb_can_resolve(bot: Bot, standin: BotApiStandIn) -> None:
    message = await bot.send_message(
        ANN,
        "<b>Linked</b> account <code>5012345</code> on &lt;Broker-Live&gt;",
        parse_mode=ParseMode.HTML,
    )

    assert message.text == "Linked account 5012345 on <Broker-Live>"
    assert list(message.parse_entities([MessageEntity.CODE]).values()) == ["5012345"]
    assert [entity.type for entity in message.entities] == [MessageEntity.BOLD, MessageEntity.CODE]
    (sent,) = standin.messages_to(ANN)
    assert (sent.method, sent.parse_mode, sent.entity_texts("code")) == ("sendMessage", "HTML", ["5012345"])


async def test_emoji_before_code_entity_counts_utf16_units(bot: Bot, standin: BotApiStandIn) -> None:
    message = await bot.send_message(
        ANN, "🔒 Account <code>5012345</code> 🔔 <b>ok</b>", parse_mode=ParseMode.HTML
    )

    code, bold = message.entities
    assert code.offset == utf16_len("🔒 Account ") == 11  # the emoji is a surrogate pair
    assert message.parse_entity(code) == "5012345"
    assert message.parse_entity(bold) == "ok"
    assert standin.sent[-1].entity_texts("code") == ["5012345"]
    assert standin.sent[-1].entity_texts("bold") == ["ok"]


@pytest.mark.parametrize(
    "source",
    [
        "<b>unclosed",
        "<b>mis-nested <i>tags</b></i>",
        "<blink>unknown</blink>",
        "1 < 2",
        "AT&T",
        "stray </b>",
        "<span>plain span</span>",
        '<a href="https://x.example>broken</a>',
    ],
)
async def test_malformed_html_is_refused_and_not_delivered(
    bot: Bot, standin: BotApiStandIn, source: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ANN, source, parse_mode=ParseMode.HTML)

    assert standin.sent == []


async def test_without_parse_mode_text_is_literal(bot: Bot) -> None:
    message = await bot.send_message(ANN, "1 < 2 & <b>not bold</b>")

    assert message.text == "1 < 2 & <b>not bold</b>"
    assert message.entities == ()


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("&lt;&gt;&amp;&quot;&#65;&#x42;&#128274;", '<>&"AB🔒', []),
        (
            "<B>loud</B> <em>e</em> <ins>u</ins> <del>s</del>",
            "loud e u s",
            ["bold", "italic", "underline", "strikethrough"],
        ),
        ('<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>', "ab", ["spoiler", "spoiler"]),
        (
            "<blockquote expandable>q</blockquote><blockquote>r</blockquote>",
            "qr",
            ["expandable_blockquote", "blockquote"],
        ),
        ("<code><b>inner bold is dropped</b></code>", "inner bold is dropped", ["code"]),
        ("<b></b>x", "x", []),
    ],
)
def test_parse_html_decodes_like_telegram(source: str, text: str, entities: list[str]) -> None:
    parsed = parse_html(source)

    assert parsed.text == text
    assert [entity["type"] for entity in parsed.entities] == entities


def test_parse_html_pre_with_language_and_links() -> None:
    pre = parse_html('<pre><code class="language-python">print(1)</code></pre>')
    link = parse_html('<a href="https://example.com">site</a> <a href="javascript:alert(1)">x</a>')

    assert pre.entities == [{"type": "pre", "offset": 0, "length": 8, "language": "python"}]
    assert link.entities == [{"type": "text_link", "offset": 0, "length": 4, "url": "https://example.com/"}]


def test_parse_html_reports_telegrams_reasons_with_byte_offsets() -> None:
    with pytest.raises(
        HtmlParseError, match=r'Unmatched end tag at byte offset 9, expected "</b>", found "</i>"'
    ):
        parse_html("🔒 <b>x</i>")  # the lock is 4 UTF-8 bytes
    with pytest.raises(HtmlParseError, match='Unsupported start tag "br/"'):
        parse_html("line<br/>")


def test_lenient_mode_keeps_a_bare_ampersand_like_telegram() -> None:
    assert parse_html("AT&T &nbsp;&amp", strict=False).text == "AT&T &nbsp;&"


def test_leading_and_trailing_whitespace_is_trimmed_and_entities_follow() -> None:
    formatted = compose_text("\n  <b>hi</b> there \n", "HTML", None, strict=True)

    assert formatted.text == "hi there"
    assert formatted.entities == [{"type": "bold", "offset": 0, "length": 2}]


async def test_message_length_limit_is_4096_utf16_units_after_parsing(bot: Bot) -> None:
    assert len((await bot.send_message(ANN, "x" * 4096)).text) == 4096
    assert await bot.send_message(ANN, f"<b>{'x' * 4096}</b>", parse_mode=ParseMode.HTML)
    assert await bot.send_message(ANN, "🔒" * 2048)  # 4096 UTF-16 units
    for too_long in ("x" * 4097, "🔒" * 2049):
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(ANN, too_long)


@pytest.mark.parametrize("text", ["<b></b>", "   \n "])
async def test_text_empty_after_parsing_is_refused(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(ANN, text, parse_mode=ParseMode.HTML)


# --------------------------------------------------------------------------------------------
# flood control and blocked users


async def test_burst_of_40_gets_retry_after_and_at_most_30_delivered(timedelta_retry_after: None) -> None:
    now = [1000.0]  # frozen clock: the whole burst falls into one second, deterministically
    async with BotApiStandIn(TOKEN, clock=lambda: now[0]) as server, ptb_bot(server) as client:
        results = await asyncio.gather(
            *(client.send_message(ANN + i, f"alert {i}") for i in range(40)), return_exceptions=True
        )
        delivered = [r for r in results if isinstance(r, Message)]
        refused = [r for r in results if isinstance(r, RetryAfter)]

        assert len(delivered) == 30 and len(refused) == 10
        assert all(exc.retry_after == dtm.timedelta(seconds=1) for exc in refused)
        assert server.rate_limited_count == 10
        assert len(server.sent) == 30  # refused calls are not recorded as delivered

        now[0] += 1.0
        assert await client.send_message(ANN, "after the window")


async def test_per_chat_limit_applies_per_chat_and_can_be_disabled(timedelta_retry_after: None) -> None:
    async with BotApiStandIn(TOKEN, per_chat_per_minute=3) as server, ptb_bot(server) as client:
        for i in range(3):
            await client.send_message(ANN, f"reply {i}")
        with pytest.raises(RetryAfter) as refused:
            await client.send_message(ANN, "one too many")
        assert await client.send_message(ANN + 1, "another chat is unaffected")

    assert dtm.timedelta(seconds=1) < refused.value.retry_after <= dtm.timedelta(seconds=60)
    async with BotApiStandIn(TOKEN, per_chat_per_minute=None) as server, ptb_bot(server) as client:
        for i in range(25):
            await client.send_message(ANN, f"reply {i}")
        assert len(server.messages_to(ANN)) == 25


async def test_blocked_user_is_forbidden_until_unblocked(bot: Bot, standin: BotApiStandIn) -> None:
    standin.block(ANN)

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ANN, "are you there?")
    assert standin.sent == []
    standin.unblock(ANN)
    assert await bot.send_message(ANN, "welcome back")


# --------------------------------------------------------------------------------------------
# updates: polling, callbacks, webhooks


async def test_get_updates_returns_user_message_and_honours_offset(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.user(ANN, first_name="Ann", username="ann_trader")
    first_id = await ann.send("/link 5012345 Broker-Live")

    (update,) = await bot.get_updates(timeout=0)
    message = update.message
    assert update.update_id == first_id
    assert (message.chat.id, message.chat.type, message.from_user.username) == (ANN, "private", "ann_trader")
    assert message.text == "/link 5012345 Broker-Live"
    assert list(message.parse_entities([MessageEntity.BOT_COMMAND]).values()) == ["/link"]

    second_id = await ann.send("hello")
    (again, newer) = await bot.get_updates(timeout=0)  # unconfirmed updates are re-delivered
    assert (again.update_id, newer.update_id) == (first_id, second_id)
    assert newer.message.message_id > message.message_id
    (only_newer,) = await bot.get_updates(offset=first_id + 1, timeout=0)
    assert only_newer.update_id == second_id
    assert await bot.get_updates(offset=second_id + 1, timeout=0) == ()


async def test_long_poll_waits_and_returns_as_soon_as_an_update_arrives(
    bot: Bot, standin: BotApiStandIn
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await eventually(lambda: standin.get_updates_calls == 1)
    await asyncio.sleep(0.05)
    assert not poll.done()  # it is waiting, not answering empty

    await standin.send_text(ANN, "ping")
    (update,) = await asyncio.wait_for(poll, timeout=2)

    assert update.message.text == "ping"
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(offset=update.update_id + 1, timeout=dtm.timedelta(seconds=0.2)) == ()
    assert loop.time() - started >= 0.15


async def test_allowed_updates_filters_and_persists_between_polls(bot: Bot, standin: BotApiStandIn) -> None:
    await standin.send_text(ANN, "a message nobody asked for")
    assert await bot.get_updates(timeout=0, allowed_updates=["callback_query"]) == ()
    assert standin.pending_updates == []  # updates of unwanted types are discarded

    await standin.send_text(ANN, "still unwanted: the filter is remembered")
    assert await bot.get_updates(timeout=0) == ()
    await standin.send_text(ANN, "wanted again")
    (update,) = await bot.get_updates(timeout=0, allowed_updates=[])  # [] restores the default
    assert update.message.text == "wanted again"


async def test_a_second_poller_terminates_the_first_with_conflict(standin: BotApiStandIn) -> None:
    poll = {"timeout": "5"}
    first = asyncio.create_task(raw_call(standin, f"/bot{TOKEN}/getUpdates", data=poll))
    await eventually(lambda: standin.get_updates_calls == 1)
    second = asyncio.create_task(raw_call(standin, f"/bot{TOKEN}/getUpdates", data=poll))

    status, body = await asyncio.wait_for(first, timeout=2)
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    await standin.send_text(ANN, "wake the second poller")
    status, body = await asyncio.wait_for(second, timeout=2)
    assert status == 200 and body["result"][0]["message"]["text"] == "wake the second poller"


async def test_callback_press_round_trip(bot: Bot, standin: BotApiStandIn) -> None:
    ann = standin.user(ANN)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Confirm", callback_data="link:5012345"),
                InlineKeyboardButton("No", callback_data="no"),
            ]
        ]
    )
    message = await bot.send_message(
        ANN, "Link account <code>5012345</code>?", parse_mode="HTML", reply_markup=keyboard
    )
    sent = standin.messages_to(ANN)[-1]
    assert message.reply_markup == keyboard
    assert [button["callback_data"] for button in sent.buttons] == ["link:5012345", "no"]

    update_id = await ann.press(sent, "link:5012345")
    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert (update.update_id, query.data, query.from_user.id) == (update_id, "link:5012345", ANN)
    assert query.message.message_id == message.message_id
    assert query.message.reply_markup == keyboard

    assert await query.answer("Linked") is True
    answer = await standin.wait_for_callback_answer(update_id, timeout=1)
    assert (answer.text, answer.data, answer.show_alert) == ("Linked", "link:5012345", False)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("twice")
    with pytest.raises(LookupError, match="available"):
        await ann.press(sent, "not-a-button")


async def test_edit_delete_and_not_modified(bot: Bot, standin: BotApiStandIn) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Refresh", callback_data="refresh")]])
    message = await bot.send_message(ANN, "Balance: 100", reply_markup=keyboard)

    edited = await bot.edit_message_text("Balance: <b>120</b>", ANN, message.message_id, parse_mode="HTML")
    assert isinstance(edited, Message) and edited.edit_date is not None
    assert edited.text == "Balance: 120" and edited.reply_markup is None  # no markup given: removed
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Balance: <b>120</b>", ANN, message.message_id, parse_mode="HTML")
    restored = await bot.edit_message_reply_markup(ANN, message.message_id, reply_markup=keyboard)
    assert restored.reply_markup == keyboard
    assert [sent.method for sent in standin.messages_to(ANN)] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]

    assert await bot.delete_message(ANN, message.message_id) is True
    assert standin.current_message(ANN, message.message_id) is None
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ANN, message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("gone", ANN, message.message_id)


async def test_webhook_delivers_with_secret_header(bot: Bot, standin: BotApiStandIn) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()
    failures_left = [1]

    async def receive(request: web.Request) -> web.Response:
        if failures_left[0]:  # the first attempt fails: Telegram retries and reports the error
            failures_left[0] -= 1
            return web.Response(status=500)
        received.put_nowait((request.headers.get(SECRET_TOKEN_HEADER), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        assert await bot.set_webhook(hook_url, secret_token="s3cret-Token_1")

        update_id = await standin.send_text(ANN, "/start")
        secret, payload = await asyncio.wait_for(received.get(), timeout=3)
        assert secret == "s3cret-Token_1"
        assert payload["update_id"] == update_id
        assert Update.de_json(payload, bot).message.text == "/start"
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=0)
        await eventually(lambda: standin.pending_updates == [])
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (hook_url, 0)
        assert info.last_error_message is not None and "500" in info.last_error_message

        await standin.send_text(ANN, "queued for the webhook, then dropped")
        assert await bot.delete_webhook(drop_pending_updates=True)
    finally:
        await runner.cleanup()
    await standin.send_text(ANN, "polling again")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message.text == "polling again"


# --------------------------------------------------------------------------------------------
# commands, waiting, hooks, shutdown


async def test_set_my_commands_is_recorded_per_scope_and_language(bot: Bot, standin: BotApiStandIn) -> None:
    default = [BotCommand("start", "Start"), BotCommand("link", "Link an MT5 account")]
    assert await bot.set_my_commands(default)
    assert await bot.set_my_commands(
        [BotCommand("start", "Старт")], scope=BotCommandScopeAllPrivateChats(), language_code="ru"
    )

    assert standin.commands_for() == [c.to_dict() for c in default]
    assert standin.commands_for({"type": "all_private_chats"}, "ru") == [
        {"command": "start", "description": "Старт"}
    ]
    assert len(standin.commands) == 2
    assert await bot.get_my_commands() == tuple(default)
    assert await bot.delete_my_commands()
    assert standin.commands_for() == []
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])


async def test_wait_for_message_honours_after_and_explains_timeouts(bot: Bot, standin: BotApiStandIn) -> None:
    await bot.send_message(ANN, "first reply")
    mark = standin.mark()

    waiter = asyncio.create_task(standin.wait_for_message(ANN, after=mark, timeout=2))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    await bot.send_message(ANN, "second reply")
    assert (await waiter).text == "second reply"

    def mentions_third(sent: SentMessage) -> bool:
        return "third" in sent.text

    with pytest.raises(TimeoutError) as timeout:
        await standin.wait_for_message(ANN, mentions_third, timeout=0.05)
    assert "mentions_third" in str(timeout.value)
    assert "'first reply'" in str(timeout.value) and "'second reply'" in str(timeout.value)


async def test_subscribers_see_the_conversation_and_cannot_break_it(
    bot: Bot, standin: BotApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    outgoing: list[str] = []
    incoming: list[IncomingUpdate] = []

    async def record_incoming(update: IncomingUpdate) -> None:
        incoming.append(update)

    def broken(_: SentMessage) -> None:
        raise RuntimeError("subscriber bug")

    unsubscribe = standin.on_message(lambda sent: outgoing.append(sent.text))
    standin.on_update(record_incoming)
    standin.on_message(broken)

    await standin.user(ANN).send("/status")
    assert await bot.send_message(ANN, "All accounts protected")
    unsubscribe()
    await bot.send_message(ANN, "not seen")

    assert outgoing == ["All accounts protected"]
    assert [(u.user_id, u.kind, u.text) for u in incoming] == [(ANN, "message", "/status")]
    assert "subscriber bug" in caplog.text


async def test_stop_releases_long_polls_promptly() -> None:
    server = BotApiStandIn()
    await server.start()
    poll = asyncio.create_task(raw_call(server, f"/bot{TOKEN}/getUpdates", data={"timeout": "30"}))
    await eventually(lambda: server.get_updates_calls == 1)

    await asyncio.wait_for(server.stop(), timeout=3)

    assert await asyncio.wait_for(poll, timeout=1) == (200, {"ok": True, "result": []})


# --------------------------------------------------------------------------------------------
# the full PTB Application round trip


async def test_ptb_application_round_trip(standin: BotApiStandIn) -> None:
    async def link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        account, server = context.args or ["?", "?"]
        await update.effective_message.reply_html(
            f"🔒 Linked <code>{html.escape(account)}</code> on <b>{html.escape(server)}</b>"
        )

    app = ApplicationBuilder().token(TOKEN).base_url(f"{standin.url}/bot").build()
    app.add_handler(CommandHandler("link", link))
    ann = standin.user(ANN)

    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            mark = standin.mark()
            await ann.send("/link 5012345 Broker-Live")
            reply = await ann.wait_for_message(after=mark, timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()

    assert reply.text == "🔒 Linked 5012345 on Broker-Live"
    assert reply.entity_texts("code") == ["5012345"]
    assert reply.entity_texts("bold") == ["Broker-Live"]
    assert standin.pending_updates == []  # the updater confirmed what it processed
