"""The accounts of bench/ingest.py: N steady ones holding 10 positions each, and one that breaches.

Made through the real services (bench.traders.link_traders) in a setup that is not timed. Each account
sends a first snapshot (seq 1) there, so its deals, its peak and its `account_connected` alert are
behind it; the alerts are then marked sent (bench.phases.drain_outbox), so the timed run starts with an
empty outbox. The steady snapshots that follow repeat the same positions and quotes, with no deals:
nothing crosses a limit, so each is the plain "latest state" case the hot path is about.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bench.phases import drain_outbox
from bench.presign import Device, split_body
from bench.traders import BridgeLoad, Trader, bridge_load, link_traders
from bot.runner import running
from core.config import Settings
from sim.ea.client import encode_json
from sim.ea.simulator import snapshot_payload
from sim.scenarios import Quote

# Ten positions over five symbols, a buy and a sell of each: the equity does not move with the quotes.
SYMBOLS = {
    "EURUSD": Decimal("1.10000"),
    "GBPUSD": Decimal("1.27000"),
    "USDJPY": Decimal("150.000"),
    "AUDUSD": Decimal("0.66000"),
    "XAUUSD": Decimal("2000.00"),
}
SPREADS = {"USDJPY": Decimal("0.010"), "XAUUSD": Decimal("0.20")}
VOLUME = Decimal("0.10")
BREACH_EQUITY = Decimal("7500.00")  # 25% under the 10,000 peak: past the 20% limit
Say = Callable[[str], None]


def hold_ten_positions(trader: Trader) -> None:
    now = datetime.now(UTC)
    for symbol, bid in SYMBOLS.items():
        trader.account.set_quote(Quote(symbol, bid, bid + SPREADS.get(symbol, Decimal("0.00002"))))
        for side in ("buy", "sell"):
            trader.account.open(symbol, side, VOLUME, now, reason="client")


def steady_device(trader: Trader) -> Device:
    """The trader's next snapshot as a constant prefix (no deals) ending where its time begins."""
    payload: dict[str, Any] = snapshot_payload(trader.account, trader.seq + 1, datetime.now(UTC), [])
    ordered = {key: value for key, value in payload.items() if key not in ("time", "seq")}
    ordered["time"], ordered["seq"] = payload["time"], payload["seq"]  # last, so they form the tail
    return Device(
        trader.signer.device_id, trader.secret_hex, split_body(encode_json(ordered)), trader.seq + 1
    )


@dataclass
class Accounts:
    devices: list[Device]
    breacher: Trader  # holds 1 lot of EURUSD; its peak (10,000) is recorded
    setup_seconds: float


async def _first_snapshots(load: BridgeLoad, traders: list[Trader], batch: int = 200) -> None:
    for start in range(0, len(traders), batch):
        await load.snapshot_round(traders[start : start + batch])


async def set_up(settings: Settings, count: int, say: Say) -> Accounts:
    """`count` steady accounts and the breacher, linked and past their first snapshot (not timed)."""
    started = time.perf_counter()
    async with running(settings, ("api",)) as live:
        assert live.http_url is not None
        traders = await link_traders(live.core, count + 1)
        say(f"  {count + 1} users and linked accounts created ({time.perf_counter() - started:.1f} s)")
        *steady, breacher = traders
        for trader in steady:
            hold_ten_positions(trader)
        breacher.open_position()
        async with bridge_load(live.http_url, 50) as load:
            await _first_snapshots(load, traders)
        drained, _ = await drain_outbox(live.core.engine)
        say(f"  first snapshots sent; setup alerts marked sent: {sum(drained.values())}")
    breacher.mark_to_equity(BREACH_EQUITY)
    return Accounts([steady_device(trader) for trader in steady], breacher, time.perf_counter() - started)
