"""What the bot did, in order, and waiting for it: the record tests and the demo read."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sim.telegram.records import AnsweredCallback, SentMessage
from sim.telegram.signals import Signal, Subscribers

T = TypeVar("T")


class Transcript:
    """Messages the bot sent or edited, callbacks it answered and messages it deleted."""

    def __init__(self) -> None:
        self.sent: list[SentMessage] = []
        self.answered_callbacks: list[AnsweredCallback] = []
        self.deleted: list[tuple[int, int]] = []
        self.subscribers: Subscribers[SentMessage] = Subscribers()
        self._signal = Signal()

    async def record(self, sent: SentMessage) -> None:
        self.sent.append(sent)
        self._signal.notify()
        await self.subscribers.notify(sent)

    def record_answer(self, answer: AnsweredCallback) -> None:
        self.answered_callbacks.append(answer)
        self._signal.notify()

    def wake(self) -> None:
        """Let every waiter look again (the stand-in is stopping)."""
        self._signal.notify()

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Everything the bot sent or edited in ``chat_id``, oldest first."""
        return [sent for sent in self.sent if sent.chat_id == chat_id]

    def mark(self) -> int:
        """A position in :attr:`sent`; pass it as ``after=`` to ignore what was sent before."""
        return len(self.sent)

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 10.0,
        after: int | float | None = None,
    ) -> SentMessage:
        """See :meth:`BotApiStandIn.wait_for_message`."""

        def find() -> SentMessage | None:
            for index, sent in enumerate(self.sent):
                if sent.chat_id != chat_id or not _is_after(index, sent, after):
                    continue
                if predicate is None or predicate(sent):
                    return sent
            return None

        def explain() -> str:
            wanted = f" matching {getattr(predicate, '__name__', predicate)}" if predicate else ""
            sent = [f"  [{i}] {m.summary()}" for i, m in enumerate(self.sent) if m.chat_id == chat_id]
            listing = "\n".join(sent) if sent else "  (nothing)"
            return (
                f"no message to chat {chat_id}{wanted} (after={after}) within {timeout}s; "
                f"sent to that chat:\n{listing}"
            )

        return await self._wait_until(find, timeout, explain)

    async def wait_for_callback_answer(self, update_id: int, timeout: float = 10.0) -> AnsweredCallback:
        """The bot's answerCallbackQuery for the press queued as ``update_id``."""

        def find() -> AnsweredCallback | None:
            return next((a for a in self.answered_callbacks if a.update_id == update_id), None)

        def explain() -> str:
            return f"callback query of update {update_id} was not answered within {timeout}s"

        return await self._wait_until(find, timeout, explain)

    async def _wait_until(
        self, find: Callable[[], T | None], timeout: float, explain: Callable[[], str]
    ) -> T:
        try:
            async with asyncio.timeout(timeout):
                while (found := find()) is None:
                    await self._signal.wait()
                return found
        except TimeoutError:
            raise TimeoutError(explain()) from None


def _is_after(index: int, sent: SentMessage, after: int | float | None) -> bool:
    if after is None:
        return True
    if isinstance(after, int):
        return index >= after
    return sent.time > after
