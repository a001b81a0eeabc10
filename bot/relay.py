"""The outbox relay: claims due alerts, renders them in the recipient's language, sends, records.

Pacing (≈30 messages/s overall, ≈1/s per chat) and RetryAfter are handled by the Bot's rate limiter
(bot/budget.py), which replies share: each alert goes with its type's priority (a liquidation before
a waiting reply, a warning after it). This loop sends to different chats in parallel so the limiter,
not this loop, sets the pace, and to one chat one alert at a time, in order (several relays, one per
worker, never share a chat: core.services.alerts claims per chat).

The outbox table is the record and the doorbell only a wake-up: while Redis is down the relay polls
the table every `idle_seconds` and tries the doorbell again after a back-off; while Postgres is down
it backs off; while Telegram is unreachable each alert is retried later with its own back-off. Each
outage is logged once and shown on /ready and /metrics (core.services.health).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.i18n import translator
from bot.render import render_alert, signal_keyboard, split_message
from core.domain.alerts import UndecodableAlert
from core.domain.alerts.registry import priority_of
from core.domain.models import PendingAlert
from core.services.alerts import LEASE_SECONDS, AlertDelivery
from core.services.health import HealthBoard

log = logging.getLogger(__name__)
DOORBELL_GRACE_SECONDS = 1.0


class AlertRelay:
    def __init__(
        self,
        bot: Bot,
        delivery: AlertDelivery,
        wait_for_doorbell: Callable[[float], Awaitable[None]] | None = None,
        batch: int = 200,
        concurrency: int = 64,
        idle_seconds: float = 1.0,
        health: HealthBoard | None = None,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.bot = bot
        self.delivery = delivery
        self.wait_for_doorbell = wait_for_doorbell
        self.batch = batch
        self.sending = asyncio.Semaphore(concurrency)
        self.idle_seconds = idle_seconds
        self.on_blocked = on_blocked  # the user cache forgets the chat's user: talking again unblocks
        board = health or HealthBoard()
        self.health = board.track("relay")
        self.doorbell_health = board.track("doorbell")
        self.telegram_health = board.track("telegram-send")  # logged and shown; the backoff is per alert

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Until `stop` is set; a pass in progress is finished, not cancelled (a task cancelled in the
        middle of a COMMIT can leave its asyncpg connection waiting forever, and shutdown with it)."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                sent = await self.drain_once()
            except Exception as error:  # the database is down: the rows wait for us, we wait for it
                await _first_of(asyncio.sleep(self.health.failed(error)), stop.wait())
                continue
            self.health.succeeded()
            if sent == 0:
                await _first_of(self._idle(), stop.wait())

    async def _idle(self) -> None:
        """Until the doorbell rings or `idle_seconds` pass; a plain wait (polling) without a doorbell."""
        if self.wait_for_doorbell is None or not self.doorbell_health.may_try():
            await asyncio.sleep(self.idle_seconds)
            return
        started = asyncio.get_running_loop().time()
        try:  # a live doorbell answers within idle_seconds; a client retrying a dead one takes longer
            async with asyncio.timeout(self.idle_seconds + DOORBELL_GRACE_SECONDS):
                await self.wait_for_doorbell(self.idle_seconds)
        except Exception as error:  # Redis is down: poll until the back-off lets us try it again
            self.doorbell_health.failed(error)
            waited = asyncio.get_running_loop().time() - started
            await asyncio.sleep(max(0.0, self.idle_seconds - waited))
            return
        self.doorbell_health.succeeded()

    async def drain_once(self) -> int:
        """Chats are served in parallel; one chat's alerts go one after another, in id order (a 10%
        warning before 15%, a warning before the liquidation), each sent only once the one before it was
        delivered or given up. The claim is per chat, so no other relay sends this chat's alerts."""
        claimed = await self.delivery.claim(self.batch)
        claimed_at = asyncio.get_running_loop().time()
        by_chat: dict[int, list[PendingAlert]] = defaultdict(list)
        for alert in claimed:
            by_chat[alert.chat_id].append(alert)
        await asyncio.gather(*(self._deliver_in_order(alerts, claimed_at) for alerts in by_chat.values()))
        return len(claimed)

    async def _deliver_in_order(self, alerts: list[PendingAlert], claimed_at: float) -> None:
        """Stop at an alert that failed (it holds the chat until its retry) or when half the lease has
        gone (another relay may take the chat once it ends): the rest are given back, unsent."""
        queue = sorted(alerts, key=lambda a: a.id)
        loop = asyncio.get_running_loop()
        while queue and loop.time() - claimed_at < LEASE_SECONDS / 2:
            if not await self._deliver(queue.pop(0)):
                break
        await self.delivery.release(queue)

    async def _deliver(self, alert: PendingAlert) -> bool:
        """True once the alert is delivered or given up; False when the chat must wait (a retry later,
        or a chat that blocked the bot and has nothing owed any more)."""
        if isinstance(alert.body, UndecodableAlert):  # written by another version, or damaged
            log.error("alert %s cannot be read: %s", alert.id, alert.body.reason)
            await self.delivery.undeliverable(alert, alert.body.reason)
            return True
        async with self.sending:
            try:
                t = translator(alert.language)
                text, markup = render_alert(t, alert.body), signal_keyboard(t, alert.body)
                budget = {"rate_limit_args": priority_of(alert.body)} if isinstance(self.bot, ExtBot) else {}
                parts = split_message(text)
                for number, part in enumerate(parts, 1):  # buttons under the last part
                    buttons = markup if number == len(parts) else None
                    await self.bot.send_message(
                        alert.chat_id, part, parse_mode="HTML", reply_markup=buttons, **budget
                    )
            except Forbidden as error:
                await self.delivery.recipient_blocked(alert, str(error))
                if self.on_blocked is not None:
                    await self.on_blocked(alert.chat_id)
                return False
            except RetryAfter as error:
                await self.delivery.retry_later(alert, str(error), _seconds(error.retry_after))
                return False
            except BadRequest as error:
                log.error("alert %s refused by Telegram: %s", alert.id, error)
                await self.delivery.undeliverable(alert, str(error))
            except (NetworkError, TelegramError) as error:  # each chat backs off on its failed alert
                self.telegram_health.failed(error)
                await self.delivery.retry_later(alert, str(error))
                return False
            except (LookupError, ValueError) as error:
                log.error("alert %s cannot be rendered: %r", alert.id, error)
                await self.delivery.undeliverable(alert, repr(error))
            else:
                self.telegram_health.succeeded()
                await self.delivery.delivered(alert)
            return True


async def _first_of(*waits: Awaitable[object]) -> None:
    """Wait until one of `waits` is done; cancel the others."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _seconds(retry_after: object) -> float:
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)  # type: ignore[arg-type]
