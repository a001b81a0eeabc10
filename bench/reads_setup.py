"""The population of bench/reads.py: N users, each with one linked account whose hot state is current.

Made through the real services in a setup that is not timed, with the API only (no bot, no relay):
users and links through `bench.traders.link_traders` (25 at a time), then two snapshots per account,
200 accounts at a time over 50 connections. The first carries the opening deal of a 1-lot EURUSD buy
and is durable (deals, the peak, `account_connected`); its after-commit news marks the hot state for a
refresh from Postgres. The second is a steady one: it takes that refresh, so afterwards every account's
hot state in Redis is current and `/status` can be served from it. The `account_connected` alerts are
then marked sent, so the timed runs start with an empty outbox and the bot's Telegram budget goes to
replies only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.phases import drain_outbox
from bench.presign import Device
from bench.steady import steady_device
from bench.traders import FIRST_CHAT_ID, BridgeLoad, Trader, bridge_load, link_traders
from bot.runner import running
from core.config import Settings

BATCH = 200
IN_FLIGHT = 50
Say = Callable[[str], None]


@dataclass(frozen=True)
class Reader:
    """A user as the Telegram stand-in must present them: the name the service stored, so that reading
    never looks like a rename (which would be a write)."""

    chat_id: int
    first_name: str


@dataclass
class Population:
    readers: list[Reader]
    devices: list[Device]
    setup_seconds: float


async def _rounds(load: BridgeLoad, traders: Sequence[Trader], say: Say, what: str) -> None:
    started = time.perf_counter()
    for start in range(0, len(traders), BATCH):
        await load.snapshot_round(traders[start : start + BATCH])
    elapsed = time.perf_counter() - started
    say(f"  {what}: {len(traders):,} snapshots in {elapsed:.1f} s ({len(traders) / elapsed:,.0f}/s)")


async def set_up(settings: Settings, count: int, say: Say) -> Population:
    started = time.perf_counter()
    async with running(settings, ("api",)) as live:
        assert live.http_url is not None
        traders = await link_traders(live.core, count)
        say(f"  {count:,} users and linked accounts created ({time.perf_counter() - started:.1f} s)")
        for trader in traders:
            trader.open_position()
        async with bridge_load(live.http_url, IN_FLIGHT) as load:
            await _rounds(load, traders, say, "first snapshots (durable: the opening deal)")
            await _rounds(load, traders, say, "second snapshots (steady: the hot state refreshed)")
        drained, _ = await drain_outbox(live.core.engine)
        say(f"  setup alerts marked sent: {sum(drained.values()):,}")
    readers = [Reader(t.chat_id, f"Trader {t.chat_id - FIRST_CHAT_ID}") for t in traders]
    return Population(readers, [steady_device(t) for t in traders], time.perf_counter() - started)
