"""Long polling that keeps Telegram the keeper of what we have not handled.

PTB's Updater confirms every update it fetches at its next getUpdates and then queues it in memory:
a backlog of thousands sits in the process, a restart loses it and a shutdown works through all of
it. Here the offset sent to Telegram is the oldest update still in hand, so Telegram confirms only
what has been handled (the update processor reports each one), and fetching pauses while the updates
in hand span `max_in_hand` ids: the rest waits at Telegram. On stop, fetching stops, what is in hand
is finished (for at most `grace` seconds) and only the handled ones are confirmed; an update still
unfinished then is fetched again by the next process.

While updates are in hand, Telegram answers a getUpdates at once with those it still keeps; a poll
that brings nothing new waits for one in hand to finish (or `busy_poll_seconds`) before the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from core.services.health import Health

log = logging.getLogger(__name__)
TELEGRAM_BATCH = 100  # getUpdates answers at most this many


class BoundedPoller:
    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        health: Health,
        max_in_hand: int = 100,
        timeout: int = 10,
        busy_poll_seconds: float = 0.2,
    ) -> None:
        self.application = application
        self.health = health
        self.max_in_hand = min(max_in_hand, TELEGRAM_BATCH)
        self.timeout = timeout
        self.busy_poll_seconds = busy_poll_seconds
        self.in_hand: set[int] = set()
        self.next_id = 0  # the first update id not fetched yet
        self._finished = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def offset(self) -> int:
        """What Telegram may forget: every update below the oldest one still in hand."""
        return min(self.in_hand) if self.in_hand else self.next_id

    def handled(self, update: object, _seconds: float = 0.0) -> None:
        if isinstance(update, Update):
            self.in_hand.discard(update.update_id)
            self._finished.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._poll(), name="telegram-polling")

    async def stop(self, grace: float) -> None:
        """Stop fetching, let what is in hand finish (at most `grace` s), confirm what was handled."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                while self.in_hand:
                    await self._next_finished(None)
        if self.in_hand:
            log.warning("stopping with %d updates unfinished: Telegram keeps them", len(self.in_hand))
        if self.next_id:
            try:
                await self.application.bot.get_updates(offset=self.offset, limit=1, timeout=0)
            except TelegramError as error:  # the next process confirms them instead (and skips none)
                log.warning("could not confirm the handled updates to Telegram: %s", error)

    async def _poll(self) -> None:
        while True:
            if len(self.in_hand) and self.next_id - self.offset >= self.max_in_hand:
                await self._next_finished(None)  # full: Telegram keeps the rest for now
                continue
            try:
                fresh = await self._fetch()
            except InvalidToken:
                raise
            except TelegramError as error:  # network, 409 conflict, 5xx: back off, log once per outage
                await asyncio.sleep(self.health.failed(error))
                continue
            self.health.succeeded()
            if not fresh and self.in_hand:
                await self._next_finished(self.busy_poll_seconds)

    async def _fetch(self) -> list[Update]:
        busy = bool(self.in_hand)  # Telegram answers at once with what we hold: do not long-poll then
        updates = await self.application.bot.get_updates(
            offset=self.offset, limit=TELEGRAM_BATCH, timeout=0 if busy else self.timeout
        )
        fresh = [update for update in updates if update.update_id >= self.next_id]
        for update in fresh:
            if len(self.in_hand) and update.update_id - self.offset >= self.max_in_hand:
                break  # past the bound: fetched again later, still unconfirmed
            self.in_hand.add(update.update_id)
            self.next_id = update.update_id + 1
            self.application.update_queue.put_nowait(update)
        return fresh

    async def _next_finished(self, timeout: float | None) -> None:
        self._finished.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._finished.wait(), timeout)
