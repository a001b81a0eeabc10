"""How the stand-in's parts wake waiters and tell subscribers, without ever failing the API."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Signal:
    """Wakes every current waiter at once.  Lock-free, unlike Condition: waiters re-check state."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class Subscribers(Generic[T]):
    """Callbacks (sync or async) told of each new item, in the order they subscribed."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[T], Awaitable[None] | None]] = []

    def add(self, callback: Callable[[T], Awaitable[None] | None]) -> Callable[[], None]:
        """Subscribe ``callback``; returns the function that unsubscribes it."""
        self._callbacks.append(callback)
        return lambda: self._discard(callback)

    async def notify(self, item: T) -> None:
        """Call subscribers in order; a failing subscriber is logged and never breaks the API."""
        for callback in list(self._callbacks):
            try:
                result = callback(item)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("stand-in subscriber %r failed", callback)

    def _discard(self, callback: Callable[[T], Awaitable[None] | None]) -> None:
        with contextlib.suppress(ValueError):
            self._callbacks.remove(callback)
