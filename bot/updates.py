"""Updates of different chats are handled at once; one chat's updates one after another, in order.

PTB's own concurrent processing (`concurrent_updates=N`) would run a trader's `/language es` and the
`/help` typed after it side by side, and the help could come back in the old language. Here each chat
keeps a chain: an update starts when the one before it in that chat is done, and at most
`concurrency` updates run at a time over all chats. Updates without a chat (none we handle yet) run
unordered."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own semaphore admits this many into do_process_update, where the order is taken: far above
# what is ever in hand (bot.polling bounds it), so admission never waits and never reorders.
ADMISSION_WINDOW = 100_000


@dataclass
class _Handling:
    """The update the running handler answers: when it was taken, and whether a reply has left yet."""

    update: object
    taken: float
    listeners: list[Callable[[object, float], None]]
    handed: bool = False


# Set while an update's handler runs; the bot's calls it makes (and tasks it starts) see it.
_HANDLING: ContextVar[_Handling | None] = ContextVar("tradeguard_handling", default=None)


def reply_handed() -> None:
    """Called by the Telegram budget when a call enters it: the first one an update's handler makes is
    its reply handed to the sender, and its time since the update was taken is reported once."""
    handling = _HANDLING.get()
    if handling is None or handling.handed:
        return
    handling.handed = True
    seconds = time.monotonic() - handling.taken
    for listener in handling.listeners:
        listener(handling.update, seconds)


def chat_of(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, concurrency: int = 256) -> None:
        super().__init__(ADMISSION_WINDOW)
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._tails: dict[int, asyncio.Future[None]] = {}
        self.in_hand = 0  # taken by the processor and not yet finished (waiting or running)
        self.running = 0
        # Told of each update once it is done, with the seconds since it was taken (its turn included).
        self.listeners: list[Callable[[object, float], None]] = []
        # Told of an update's first reply handed to the sender (the budget), with the seconds since the
        # update was taken: what the bot controls, before Telegram's 30 messages a second.
        self.handed_listeners: list[Callable[[object, float], None]] = []

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Everything up to the first await runs in the order PTB hands the updates over.
        chat = chat_of(update)
        before = self._tails.get(chat) if chat is not None else None
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if chat is not None:
            self._tails[chat] = done
        self.in_hand += 1
        taken = time.monotonic()
        started = False
        try:
            if before is not None:
                await asyncio.wait({before})  # not `await before`: cancelling us must not cancel it
            async with self._slots:
                started = True
                self.running += 1
                handling = _HANDLING.set(_Handling(update, taken, self.handed_listeners))
                try:
                    await coroutine
                finally:
                    _HANDLING.reset(handling)
                    self.running -= 1
        finally:
            self.in_hand -= 1
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting its turn
            done.set_result(None)
            if chat is not None and self._tails.get(chat) is done:
                del self._tails[chat]
            seconds = time.monotonic() - taken
            for listener in self.listeners:
                listener(update, seconds)
