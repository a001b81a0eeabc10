"""The stand-in itself: a small facade that composes the parts and offers the control API."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sim.telegram.actions import UserActions
from sim.telegram.callbacks import CallbackQueries
from sim.telegram.chats import Chats
from sim.telegram.constants import JsonDict, bot_user
from sim.telegram.files import DocumentSender, FileStore
from sim.telegram.media import MediaMethods
from sim.telegram.messages import MessageMethods
from sim.telegram.params import Handler
from sim.telegram.payments import Checkout, Payments
from sim.telegram.polling import LongPolling
from sim.telegram.profile import BotProfile
from sim.telegram.ratelimit import FloodControl
from sim.telegram.records import AnsweredCallback, MessageCallback, SentMessage, UpdateCallback
from sim.telegram.server import ApiServer
from sim.telegram.transcript import Transcript
from sim.telegram.updates import UpdateQueue
from sim.telegram.users import SimUser
from sim.telegram.webhooks import Webhooks


class BotApiStandIn:
    """A loopback HTTP server speaking the Telegram Bot API, plus a control API for tests.

    Wire PTB to it with ``base_url=f"{standin.url}/bot"``: PTB requests
    ``{base_url}{token}/{method}``.  Everything runs on the caller's event loop; the control
    methods are plain Python and need no HTTP.

    ``global_rate`` caps sendMessage/editMessageText calls in any sliding second and
    ``per_chat_per_minute`` caps sendMessage calls to one chat in any sliding minute (``None``
    disables either).  ``clock`` (monotonic seconds) exists so rate limits can be tested
    deterministically.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        global_rate: int | None = 30,
        per_chat_per_minute: int | None = 20,
        strict_html: bool = True,
        webhook_retry_delay: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._chats = Chats()
        self._transcript = Transcript()
        self._queue = UpdateQueue()
        self._flood = FloodControl(global_rate, per_chat_per_minute, clock)
        self._profile = BotProfile()
        self._queries = CallbackQueries(self._transcript)
        self._messages = MessageMethods(self._chats, self._transcript, self._flood, strict_html=strict_html)
        self._webhooks = Webhooks(self._queue, webhook_retry_delay)
        self._polling = LongPolling(self._queue, self._webhooks)
        self._actions = UserActions(self._chats, self._queue, self._queries, self._user_of)
        self._files = FileStore()  # files: documents users send, photos and documents the bot sends
        self._media = MediaMethods(
            self._chats, self._transcript, self._flood, self._files, strict_html=strict_html
        )
        self._documents = DocumentSender(self._files, self._chats, self._queue, self._user_of)
        self.payments = Payments(self._chats, self._transcript, self._queue, self._user_of)  # Stars
        self._server = ApiServer(token, self._method_table(), self._files.download)
        self._url: str | None = None

    def _method_table(self) -> dict[str, Handler]:
        parts = (
            self._profile,
            self._polling,
            self._webhooks,
            self._messages,
            self._queries,
            self._files,
            self._media,
            self.payments,
        )
        return {name: handler for part in parts for name, handler in part.methods().items()}

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 picks a free port; read :attr:`url` afterwards)."""
        if self._server.running or self._queue.closing:
            raise RuntimeError("BotApiStandIn can be started once")
        self._url = await self._server.start(host, port)
        self._webhooks.start()

    async def stop(self) -> None:
        """Release long polls, stop webhook delivery and close the server.  Idempotent."""
        self._queue.close()
        self._transcript.wake()
        await self._webhooks.stop()
        await self._server.stop()
        await self._webhooks.close_session()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- what the stand-in is and holds -------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:54321``."""
        if self._url is None:
            raise RuntimeError("BotApiStandIn is not started")
        return self._url

    @property
    def token(self) -> str | None:
        """The only token accepted (``None``: any well-formed token)."""
        return self._server.token

    @property
    def strict_html(self) -> bool:
        """Whether a bare ``&`` is refused; see the ``sim.telegram`` docstring."""
        return self._messages.strict_html

    @strict_html.setter
    def strict_html(self, strict: bool) -> None:
        self._messages.strict_html = self._media.strict_html = strict

    @property
    def webhook_secret_token(self) -> str | None:
        """The secret_token of the current setWebhook (sent with every webhook POST), if any."""
        hook = self._webhooks.current
        return hook.secret_token if hook is not None else None

    @property
    def bot_user(self) -> JsonDict:
        """The bot's ``User`` object, as it appears in the ``from`` of its messages."""
        return bot_user()

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the bot sent or edited, oldest first (refused calls never appear)."""
        return self._transcript.sent

    @property
    def answered_callbacks(self) -> list[AnsweredCallback]:
        return self._transcript.answered_callbacks

    @property
    def deleted(self) -> list[tuple[int, int]]:
        """(chat id, message id) of every message the bot deleted."""
        return self._transcript.deleted

    @property
    def commands(self) -> dict[tuple[str, str], list[JsonDict]]:
        """setMyCommands by (:func:`scope_key`, language code)."""
        return self._profile.commands

    @property
    def menu_buttons(self) -> dict[int | None, JsonDict]:
        return self._profile.menu_buttons

    @property
    def downloads(self) -> list[str]:
        """The file paths the bot downloaded (``/file/bot<token>/<file_path>``), oldest first."""
        return list(self._files.downloaded)

    @property
    def rate_limited_count(self) -> int:
        """How many calls were answered 429."""
        return self._flood.refused

    @property
    def get_updates_calls(self) -> int:
        """How many getUpdates calls reached the server: lets tests know a long poll has."""
        return self._polling.calls

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates queued and not yet confirmed by the bot (copies)."""
        return self._queue.pending

    # -- control API: users and their actions ------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Ann",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> SimUser:
        """Create (or redefine) a simulated user whose private chat has id ``user_id``."""
        user = SimUser(self, user_id, first_name, language_code, username)
        self._chats.users[user_id] = user
        return user

    def _user_of(self, user_id: int) -> SimUser:
        return self._chats.users.get(user_id) or self.user(user_id)

    def block(self, chat_id: int) -> None:
        """From now on, sendMessage to ``chat_id`` answers 403 "bot was blocked by the user"."""
        self._chats.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._chats.blocked.discard(chat_id)

    async def send_text(self, user_id: int, text: str) -> int:
        """Queue a private message from ``user_id`` (registered on first use); returns the update id."""
        return await self._actions.send_text(user_id, text)

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str | None,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> int:
        """Queue a private message from ``user_id`` carrying a file (``message.document``); returns the
        update id. The bot fetches it with getFile and the download URL."""
        return await self._documents.send_document(user_id, data, file_name, caption, mime_type)

    async def press(self, user_id: int, message: SentMessage, callback_data: str) -> int:
        """Queue a callback_query for the inline button with ``callback_data`` on ``message``.

        The button must exist on the message's *current* inline keyboard (a real user cannot
        press anything else); the update carries the current message.  Returns the update id.
        """
        return await self._actions.press(user_id, message, callback_data)

    async def pay(
        self,
        user_id: int,
        invoice: SentMessage,
        *,
        payload: str | None = None,
        total_amount: int | None = None,
    ) -> int:
        """``user_id`` pays ``invoice`` (a sendInvoice): queues the pre_checkout_query; when the bot answers
        ok, a message with ``successful_payment`` follows. See :class:`sim.telegram.payments.Payments`."""
        return await self.payments.pay(user_id, invoice, payload=payload, total_amount=total_amount)

    async def wait_for_checkout_answer(self, update_id: int, timeout: float = 10.0) -> Checkout:
        return await self.payments.wait_for_checkout_answer(update_id, timeout)

    async def queue_update(self, update: JsonDict) -> int:
        """Queue an arbitrary update (its ``update_id`` is assigned here); returns the id."""
        return await self._actions.queue_update(update)

    # -- control API: what the bot did --------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Everything the bot sent or edited in ``chat_id``, oldest first."""
        return self._transcript.messages_to(chat_id)

    def current_message(self, chat_id: int, message_id: int) -> JsonDict | None:
        """The message as it stands now (after edits), or ``None`` if deleted or unknown."""
        message = self._chats.messages.get((chat_id, message_id))
        return copy.deepcopy(message) if message is not None else None

    def commands_for(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """What setMyCommands recorded for ``scope`` (default scope) and ``language_code``."""
        return self._profile.commands_for(scope, language_code)

    def mark(self) -> int:
        """A position in :attr:`sent`; pass it as ``after=`` to ignore what was sent before."""
        return self._transcript.mark()

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 10.0,
        after: int | float | None = None,
    ) -> SentMessage:
        """The first message recorded for ``chat_id`` that satisfies ``predicate``.

        ``after`` restricts the search to records at index >= ``after`` when it is an ``int``
        (see :meth:`mark`) or with ``time`` > ``after`` when it is a ``float`` (wall clock).
        Raises ``TimeoutError`` listing what *was* sent to the chat.
        """
        return await self._transcript.wait_for_message(chat_id, predicate, timeout, after)

    async def wait_for_callback_answer(self, update_id: int, timeout: float = 10.0) -> AnsweredCallback:
        """The bot's answerCallbackQuery for the press queued as ``update_id``."""
        return await self._transcript.wait_for_callback_answer(update_id, timeout)

    def on_message(self, callback: MessageCallback) -> Callable[[], None]:
        """Call ``callback`` (sync or async) with every recorded SentMessage; returns an unsubscriber."""
        return self._transcript.subscribers.add(callback)

    def on_update(self, callback: UpdateCallback) -> Callable[[], None]:
        """Call ``callback`` (sync or async) with every queued IncomingUpdate; returns an unsubscriber."""
        return self._queue.subscribers.add(callback)
