"""Many simulated MT5 accounts, created through the services and driven over the real bridge protocol.

Each account holds one 1-lot EURUSD buy, so its equity follows the bid; each signs its requests with its
own device secret (BridgeClient.signed_headers), and all of them share one aiohttp session, as the
terminals of a busy broker share the server's listening socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp

from bot.app import Core
from sim.ea.client import BridgeClient, BridgeError, decode_json, encode_json
from sim.ea.simulator import closure_wire, snapshot_payload
from sim.scenarios import Quote, SimAccount, contract_size

FIRST_CHAT_ID = 200_000_001
FIRST_LOGIN = 70_000_001
SERVER_NAME = "Bench-Live"
SYMBOL = "EURUSD"
OPEN_BID = Decimal("1.10000")
SPREAD = Decimal("0.00002")
LOT = Decimal("1.00")
PING_PATH = "/v1/bridge/ping"
SNAPSHOT_PATH = "/v1/bridge/snapshot"
COMMANDS_PATH = "/v1/bridge/commands"


@dataclass
class Trader:
    chat_id: int
    account: SimAccount
    signer: BridgeClient  # only signs: the requests go over the shared session
    seq: int = 0
    commands: list[dict[str, Any]] = field(default_factory=list)
    secret_hex: str = ""  # the device secret, for clients that sign outside BridgeClient (bench/ingest.py)

    def snapshot_body(self) -> tuple[bytes, set[int]]:
        """The next snapshot (a new seq) and the deal tickets it carries."""
        self.seq += 1
        deals = list(self.account.unsent_deals)
        payload = snapshot_payload(self.account, self.seq, datetime.now(UTC), deals)
        return encode_json(payload), {deal.ticket for deal in deals}

    def open_position(self) -> None:
        self.account.open(SYMBOL, "buy", LOT, datetime.now(UTC), reason="client")

    def mark_to_equity(self, equity: Decimal) -> None:
        """Move the bid so that the open buy leaves the account at `equity`."""
        (position,) = self.account.positions.values()
        move = (equity - self.account.balance) / (contract_size(SYMBOL) * position.volume)
        bid = position.open_price + move
        self.account.set_quote(Quote(SYMBOL, bid, bid + SPREAD))

    def close_all_command(self) -> dict[str, Any] | None:
        return next((c for c in self.commands if c.get("type") == "close_all"), None)


async def link_traders(core: Core, count: int, concurrency: int = 25) -> list[Trader]:
    """Users and linked accounts straight through the services (no Telegram round trips)."""
    gate = asyncio.Semaphore(concurrency)
    users, links = core.bot_services.users, core.bot_services.links
    base_url = core.settings.public_bridge_url

    async def one(index: int) -> Trader:
        chat_id, login = FIRST_CHAT_ID + index, FIRST_LOGIN + index
        async with gate:
            user = await users.resolve(chat_id, f"Trader {index}", None, "en")
            linked = await links.link(user, login, SERVER_NAME)
        account = SimAccount(login, SERVER_NAME)
        account.set_quote(Quote(SYMBOL, OPEN_BID, OPEN_BID + SPREAD))
        signer = BridgeClient(base_url, linked.device_id, linked.secret_hex)
        return Trader(chat_id, account, signer, secret_hex=linked.secret_hex)

    return list(await asyncio.gather(*(one(index) for index in range(count))))


@dataclass
class Sent:
    trader: Trader
    latency: float  # seconds from the request leaving to its answer (client-side queueing excluded)
    done_at: float  # perf_counter when the answer arrived
    answer: Any = None
    error: str | None = None


class BridgeLoad:
    """Signed requests from many accounts over one session, at most `in_flight` at a time."""

    def __init__(self, url: str, session: aiohttp.ClientSession, in_flight: int) -> None:
        self.url = url.rstrip("/")
        self.session = session
        self.in_flight = in_flight
        self.gate = asyncio.Semaphore(in_flight)

    async def call(self, trader: Trader, method: str, path: str, body: bytes = b"") -> Sent:
        async with self.gate:
            started = time.perf_counter()
            headers = trader.signer.signed_headers(method, path, body)
            try:
                async with self.session.request(
                    method, self.url + path, data=body or None, headers=headers
                ) as response:
                    status, data = response.status, await response.read()
            except (aiohttp.ClientError, TimeoutError) as error:
                done = time.perf_counter()
                return Sent(trader, done - started, done, error=repr(error))
        done = time.perf_counter()
        if status != 200:
            return Sent(trader, done - started, done, error=f"{status} {data[:200]!r}")
        return Sent(trader, done - started, done, answer=decode_json(data))

    async def snapshot(self, trader: Trader, body: bytes, tickets: set[int]) -> Sent:
        sent = await self.call(trader, "POST", SNAPSHOT_PATH, body)
        if sent.error is None:
            trader.account.acknowledge_deals(tickets)
            trader.commands = list(sent.answer.get("commands", []))
        return sent

    async def snapshot_round(self, traders: Sequence[Trader]) -> list[Sent]:
        """Every trader sends its next snapshot, concurrently; failures raise (this is setup)."""
        bodies = [trader.snapshot_body() for trader in traders]
        sent = await asyncio.gather(*(self.snapshot(t, *b) for t, b in zip(traders, bodies, strict=True)))
        failed = [s.error for s in sent if s.error]
        if failed:
            raise BridgeError(0, "setup_failed", f"{len(failed)} snapshots refused, first: {failed[0]}")
        return sent

    async def pending_commands(self, trader: Trader) -> Sent:
        sent = await self.call(trader, "GET", COMMANDS_PATH)
        if sent.error is None:
            trader.commands = list(sent.answer.get("commands", []))
        return sent

    async def close_out(self, trader: Trader) -> list[Sent]:
        """What the EA does with a close_all: close every position, ack `done`, then a flat snapshot."""
        command = trader.close_all_command()
        if command is None:
            return []
        closures = trader.account.close_all(datetime.now(UTC), reason="expert")
        ack = {"status": "done", "results": [closure_wire(c) for c in closures], "message": ""}
        path = f"{COMMANDS_PATH}/{command['id']}/ack"
        acked = await self.call(trader, "POST", path, encode_json(ack))
        flat = await self.snapshot(trader, *trader.snapshot_body())
        return [acked, flat]


@contextlib.asynccontextmanager
async def bridge_load(url: str, in_flight: int) -> AsyncIterator[BridgeLoad]:
    connector = aiohttp.TCPConnector(limit=in_flight)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield BridgeLoad(url, session, in_flight)
