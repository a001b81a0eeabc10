"""The readers of bench/reads.py: random users typing `/status` or `/positions` through the Telegram
stand-in at a steady rate, and the replies the stand-in received for them.

Each update is queued at its slot (rate per second; a late loop catches up, so the count holds), by a
user drawn at random from the population, half `/status` and half `/positions` (a seeded generator, so
a run and its cache-off twin ask the same users the same things). A reply is matched to the oldest
unanswered update of its chat; its delivery time (update queued → message received by the stand-in)
includes the Telegram budget's queue, which is the point of reporting it next to the handler time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.harness import percentile
from bench.reads_setup import Reader
from sim.telegram import BotApiStandIn, SentMessage

COMMANDS = ("/status", "/positions")


@dataclass
class ReadLog:
    """What was asked and answered: per chat, the monotonic times of updates not answered yet."""

    asked: int = 0
    answered: int = 0
    delivery_seconds: list[float] = field(default_factory=list)
    waiting: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    other_messages: int = 0  # to a reader's chat with nothing asked (a reply split in parts, an alert)

    def on_message(self, message: SentMessage) -> None:
        queue = self.waiting.get(message.chat_id)
        if not queue:
            self.other_messages += 1
            return
        self.answered += 1
        self.delivery_seconds.append(time.monotonic() - queue.popleft())

    def delivery(self, fraction: float) -> float:
        return percentile(self.delivery_seconds, fraction)


def register(standin: BotApiStandIn, readers: Sequence[Reader]) -> None:
    """The stand-in presents each user as the service stored them (a new name would be a write)."""
    for reader in readers:
        standin.user(reader.chat_id, first_name=reader.first_name, language_code="en")


async def ask(
    standin: BotApiStandIn, readers: Sequence[Reader], rate: float, seconds: float, seed: int
) -> ReadLog:
    """rate × seconds updates, one per slot; the log keeps filling as replies arrive after the return."""
    log = ReadLog()
    standin.on_message(log.on_message)
    pick = random.Random(seed)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for n in range(int(rate * seconds)):
        slot = started + n / rate
        if slot > loop.time():
            await asyncio.sleep(slot - loop.time())
        reader = readers[pick.randrange(len(readers))]
        log.waiting[reader.chat_id].append(time.monotonic())
        await standin.send_text(reader.chat_id, COMMANDS[n % 2])
        log.asked += 1
    return log
