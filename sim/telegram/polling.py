"""getUpdates: long polling over the update queue, with Telegram's conflicts."""

from __future__ import annotations

import asyncio
import contextlib

from sim.telegram.constants import MAX_LONG_POLL_SECONDS, JsonDict
from sim.telegram.errors import ApiError
from sim.telegram.params import Handler, Params
from sim.telegram.updates import UpdateQueue, allowed_updates
from sim.telegram.webhooks import Webhooks

_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


class LongPolling:
    """Answers getUpdates at once when updates are queued, else when one arrives or time is up."""

    def __init__(self, queue: UpdateQueue, webhooks: Webhooks) -> None:
        self.calls = 0  # lets tests know a long poll has reached the server
        self._queue = queue
        self._webhooks = webhooks
        self._allowed: frozenset[str] | None = None
        self._generation = 0

    def methods(self) -> dict[str, Handler]:
        return {"getUpdates": self._get_updates}

    async def _get_updates(self, params: Params) -> list[JsonDict]:
        self.calls += 1
        if self._webhooks.current is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = params.integer("offset")
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = min(max(params.number("timeout") or 0.0, 0.0), MAX_LONG_POLL_SECONDS)
        allowed = allowed_updates(params)
        if allowed is not None:
            self._allowed = allowed  # Telegram remembers allowed_updates between calls
        self._queue.confirm(offset)
        self._generation += 1
        self._queue.signal.notify()  # an older long poll now answers 409, as on Telegram
        return await self._long_poll(self._generation, limit, timeout)

    async def _long_poll(self, generation: int, limit: int, timeout: float) -> list[JsonDict]:
        """Answer at once if updates are queued, else wait for one until ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._queue.take_allowed(self._allowed, limit)
            if batch or self._queue.closing or self._webhooks.current is not None:
                return batch
            if generation != self._generation:
                raise ApiError(409, _POLL_CONFLICT)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._queue.signal.wait()
