"""The bot tier: the real PTB Application long-polling the Bot API stand-in on loopback, with the real
Postgres, Redis, bridge/operator HTTP server and outbox relay, all in the test's own event loop.

Tests talk to the bot as Telegram users do (`stack.ask(user, "/status")`) and look at what the stand-in
accepted, then at the database when the promise is about what was stored.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, text

from bot.app import Core
from bot.runner import Running, running
from core.config import Settings
from core.domain.models import Alert
from db.redis_store import RedisDoorbell
from db.uow import unit_of_work_factory
from sim.ea.client import BridgeClient
from sim.telegram import BotApiStandIn, SentMessage, SimUser
from tests.api.helpers import snapshot_body
from tests.conftest import clean_state, make_settings

TOKEN = "7000000001:BOT-TIER-test-token"
ADMIN_ID = 900001
PUBLIC_BRIDGE_URL = "https://bridge.tradeguard.test:8443"
LOGIN = 5012345
SERVER = "Broker-Live"
ALL_PARTS = ("bot", "api", "worker")
REPLY_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 20.0


def has_credentials(message: SentMessage) -> bool:
    return len(message.entity_texts("code")) >= 2


ALERT_MARKS = (
    "✅",
    "⚠",
    "🚨",
    "❗",
    "🛑",
    "⏰",
    "📵",
    "🔒",
    "🔓",
    "📣",
    "⏸",
    "▶",
    "❔",
    "⚡",
    "💰",
    "↩",
)  # how every alert starts


def is_alert(message: SentMessage) -> bool:
    return message.text.startswith(ALERT_MARKS)


def is_reply(message: SentMessage) -> bool:
    """A new message that is not a pushed alert (which may land in the chat at any moment)."""
    return message.method == "sendMessage" and not is_alert(message)


def is_connected_alert(message: SentMessage, login: int) -> bool:
    return message.text.startswith("✅") and str(login) in message.text


@dataclass(frozen=True)
class Credentials:
    device_id: str
    secret: str
    login: int
    server: str
    answer: SentMessage


def position(ticket: int = 123456, **overrides: Any) -> dict[str, Any]:
    """One open position as the EA reports it (BRIDGE.md): decimals as strings, times in UTC."""
    body: dict[str, Any] = {
        "ticket": ticket,
        "symbol": "EURUSD",
        "side": "buy",
        "volume": "0.10",
        "open_price": "1.08550",
        "open_time": "2026-11-27T20:55:02Z",
        "sl": None,
        "tp": None,
        "price": "1.08400",
        "swap": "0.00",
        "profit": "-15.00",
        "magic": 7300,
        "comment": "tg:sig_8f3a",
    }
    return body | overrides


def snapshot(
    login: int = LOGIN,
    server: str = SERVER,
    seq: int = 1,
    *,
    positions: list[dict[str, Any]] | None = None,
    **account: Any,
) -> dict[str, Any]:
    """A valid snapshot taken now; `account` overrides the account block (equity, balance, …)."""
    body = snapshot_body(login, server, seq, **account)
    body |= {"time": datetime.now(UTC), "deals": [], "quotes": []}
    body["positions"] = [position()] if positions is None else positions
    return body


@dataclass
class Stack:
    """The running service as a test sees it: the stand-in (Telegram), the core, the bridge URL."""

    standin: BotApiStandIn
    running: Running
    settings: Settings

    @property
    def core(self) -> Core:
        return self.running.core

    @property
    def http_url(self) -> str:
        assert self.running.http_url is not None, "the api part is not running"
        return self.running.http_url

    def user(self, user_id: int, name: str = "Ann", lang: str | None = "en") -> SimUser:
        return self.standin.user(user_id, name, lang)

    async def ask(
        self,
        user: SimUser,
        text_: str,
        expect: Callable[[SentMessage], bool] | None = None,
        timeout: float = REPLY_TIMEOUT,
    ) -> SentMessage:
        """Send `text_` as `user` and return the bot's first reply (the first `expect` accepts)."""
        mark = self.standin.mark()
        await user.send(text_)
        return await self.standin.wait_for_message(user.chat_id, expect or is_reply, timeout, after=mark)

    async def press(
        self,
        user: SimUser,
        message: SentMessage,
        data: str,
        expect: Callable[[SentMessage], bool] | None = None,
    ) -> SentMessage:
        """Press the button `data` on `message` as `user`; the first new sendMessage in `message`'s chat."""
        mark = self.standin.mark()
        await user.press(message, data)
        return await self.standin.wait_for_message(
            message.chat_id,
            lambda m: is_reply(m) and (expect is None or expect(m)),
            REPLY_TIMEOUT,
            after=mark,
        )

    async def link(self, user: SimUser, login: int = LOGIN, server: str = SERVER) -> Credentials:
        answer = await self.ask(user, f"/link {login} {server}", expect=has_credentials)
        device_id, secret = answer.entity_texts("code")[:2]
        return Credentials(device_id, secret, login, server, answer)

    async def send_snapshot(self, creds: Credentials, seq: int = 1, **kwargs: Any) -> dict[str, Any]:
        """Push one signed snapshot for the linked device, as its EA would."""
        async with BridgeClient(self.http_url, creds.device_id, creds.secret, max_attempts=1) as client:
            return await client.snapshot(snapshot(creds.login, creds.server, seq, **kwargs))

    async def connect(self, creds: Credentials, **kwargs: Any) -> SentMessage:
        """The EA's first snapshot, and the "connected" alert it earns (so it cannot pass for a reply)."""
        mark = self.standin.mark()
        await self.send_snapshot(creds, 1, **kwargs)
        return await self.standin.wait_for_message(
            creds.answer.chat_id, lambda m: is_connected_alert(m, creds.login), REPLY_TIMEOUT, after=mark
        )

    async def eventually(
        self, sql: str, expected: Any, timeout: float = REPLY_TIMEOUT, **params: Any
    ) -> None:
        """Poll `sql` until its rows (as tuples) equal `expected`: the relay records after it sends."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = [tuple(row) for row in await self.rows(sql, **params)]
            if found == expected:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{sql!r} still gives {found!r}, not {expected!r}")
            await asyncio.sleep(0.02)

    async def rows(self, sql: str, **params: Any) -> list[Row[Any]]:
        async with self.core.engine.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.core.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()

    async def add_alerts(self, alerts: list[Alert]) -> None:
        """Record alerts in the outbox the way the services do (one unit of work), then ring the bell."""
        async with unit_of_work_factory(self.core.engine)() as uow:
            for alert in alerts:
                assert await uow.outbox.add(alert)
            await uow.commit()
        await RedisDoorbell(self.core.redis).ring()


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=TOKEN, per_chat_per_minute=None) as server:
        yield server


@pytest.fixture
def bot_settings(tmp_path: Path, standin: BotApiStandIn) -> Settings:
    return settings_for(tmp_path, standin)


def settings_for(tmp_path: Path, standin: BotApiStandIn) -> Settings:
    return make_settings(
        tmp_path,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=f"{standin.url}/bot",
        bridge_port=0,
        public_bridge_url=PUBLIC_BRIDGE_URL,
        liquidation_grace_seconds=0,
    )


@contextlib.asynccontextmanager
async def start_stack(
    standin: BotApiStandIn, settings: Settings, parts: tuple[str, ...] = ALL_PARTS
) -> AsyncIterator[Stack]:
    """`running(settings, parts)`, whose shutdown must finish: a hang fails the test instead."""
    async with contextlib.AsyncExitStack() as exits:
        live = await exits.enter_async_context(running(settings, parts))
        try:
            yield Stack(standin, live, settings)
        finally:
            async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                await exits.aclose()


@pytest.fixture
async def fresh_state() -> None:
    await clean_state()


@pytest.fixture
async def stack(fresh_state: None, standin: BotApiStandIn, bot_settings: Settings) -> AsyncIterator[Stack]:
    async with start_stack(standin, bot_settings) as started:
        yield started
