"""One Telegram budget for everything the bot sends, shared by priority.

Telegram allows about 30 messages a second overall, about one a second in a private chat and 20 a
minute in a group, and answers 429 with `retry_after` past that. Every send that names a chat waits
here for its turn: the next turn goes to the most urgent waiting send whose chat may receive now —
liquidation and market-guard alerts, then replies to a person waiting, then warnings, then digests
and broadcasts — in arrival order within a priority. Turns are spaced evenly (a burst would cross
the per-second line as soon as network delays vary). A 429 pauses every send for `retry_after`, and
the refused send keeps its place. Calls that name no chat (getMe, answerCallbackQuery …) are not
metered, as on Telegram.

The priority travels with each call as `rate_limit_args` (`bot.send_message(..., rate_limit_args=
"urgent")`); a call without one is a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.updates import reply_handed
from core.domain.alerts.registry import PRIORITIES, REPLY

log = logging.getLogger(__name__)
JSON = bool | dict[str, Any] | list[dict[str, Any]]
MAX_IDLE_CHATS = 10_000  # chat windows kept before the idle ones are dropped


@dataclass(frozen=True)
class ChatLimit:
    messages: int
    seconds: float


# About one a second in a private chat, as an average: a reply split in parts (a long /positions) or a
# liquidation's few alerts go out as a burst, which Telegram tolerates; a chat sent more waits.
PRIVATE_CHAT = ChatLimit(20, 20.0)
GROUP_CHAT = ChatLimit(20, 60.0)


@dataclass(eq=False)
class _Turn:
    chat: int | str
    priority: str
    granted: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class TelegramBudget(BaseRateLimiter[str]):
    def __init__(
        self,
        per_second: float = 29,
        max_retries: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = 1 / per_second
        self.max_retries = max_retries
        self.monotonic = monotonic
        self.waiting: dict[str, deque[_Turn]] = {priority: deque() for priority in PRIORITIES}
        self.sent: Counter[str] = Counter()  # turns granted per priority, for /metrics
        self.refusals = 0  # 429s seen
        self._chats: dict[int | str, deque[float]] = {}
        self._next_turn = 0.0
        self._paused_until = 0.0
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None

    async def initialize(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch(), name="telegram-budget")

    async def shutdown(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> JSON:
        reply_handed()  # the handler's first call to Telegram is its reply reaching the sender
        chat = data.get("chat_id")
        if chat is None:
            return await callback(*args, **kwargs)
        with contextlib.suppress(TypeError, ValueError):
            chat = int(chat)  # a numeric id given as a string is still that chat
        priority = rate_limit_args if rate_limit_args in self.waiting else REPLY
        for attempt in range(self.max_retries + 1):
            await self._turn(_Turn(chat, priority), first=attempt == 0)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == self.max_retries:
                    raise
                self._pause(error)
        raise AssertionError("unreachable")

    def depth(self) -> dict[str, int]:
        return {priority: len(turns) for priority, turns in self.waiting.items()}

    async def _turn(self, turn: _Turn, *, first: bool) -> None:
        queue = self.waiting[turn.priority]
        queue.append(turn) if first else queue.appendleft(turn)  # a retried send keeps its place
        self._wake.set()
        try:
            await turn.granted
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                queue.remove(turn)
            raise

    def _pause(self, error: RetryAfter) -> None:
        seconds = error.retry_after
        seconds = seconds.total_seconds() if hasattr(seconds, "total_seconds") else float(seconds)
        self.refusals += 1
        self._paused_until = max(self._paused_until, self.monotonic() + seconds)
        log.warning("Telegram asked to wait %.1f s: every send paused", seconds)

    async def _dispatch(self) -> None:
        while True:
            now = self.monotonic()
            wait = max(self._paused_until, self._next_turn) - now
            if wait <= 0:
                turn, wait = self._next_ready(now)
                if turn is not None:
                    self._grant(turn, now)
                    continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _next_ready(self, now: float) -> tuple[_Turn | None, float | None]:
        """The most urgent waiting turn whose chat may receive now; else how long until one may."""
        soonest: float | None = None
        for queue in self.waiting.values():
            for turn in queue:
                ready = self._chat_ready_at(turn.chat, now)
                if ready <= now:
                    queue.remove(turn)
                    return turn, None
                soonest = ready if soonest is None else min(soonest, ready)
        return None, None if soonest is None else soonest - now

    def _chat_ready_at(self, chat: int | str, now: float) -> float:
        limit = _limit_of(chat)
        sent = self._chats.get(chat)
        if sent is None:
            return now
        while sent and sent[0] <= now - limit.seconds:
            sent.popleft()
        return now if len(sent) < limit.messages else sent[0] + limit.seconds

    def _grant(self, turn: _Turn, now: float) -> None:
        self._next_turn = now + self.interval
        self._chats.setdefault(turn.chat, deque()).append(now)
        self.sent[turn.priority] += 1
        if not turn.granted.done():
            turn.granted.set_result(None)
        if len(self._chats) > MAX_IDLE_CHATS:
            self._forget_idle_chats(now)

    def _forget_idle_chats(self, now: float) -> None:
        for chat, sent in list(self._chats.items()):
            if not sent or sent[-1] <= now - _limit_of(chat).seconds:
                del self._chats[chat]


def _limit_of(chat: int | str) -> ChatLimit:
    """Private chats have positive ids; groups, supergroups and channels negative ids or @names."""
    return PRIVATE_CHAT if isinstance(chat, int) and chat > 0 else GROUP_CHAT
