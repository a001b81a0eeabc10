"""Driving `tradeguard run` as a separate process, like a user and an MT5 terminal would.

The test process plays everyone outside the service: Telegram (the Bot API stand-in on loopback),
the traders and admins typing into it, and the terminals (`tradeguard simulate-ea` subprocesses or
a signed client). Postgres is read directly to check what the service recorded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.config import Settings
from sim.telegram import BOT_ID, BotApiStandIn, SentMessage, SimUser
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL

TOKEN = f"{BOT_ID}:E2E-stand-in-token"
ADMIN_ID = 900001
SECRET_KEY = "e2e-secret-key-0123456789abcdef0123"
START_TIMEOUT = 45.0  # migrations + PTB start-up on a loaded 2-core runner
STOP_TIMEOUT = 20.0
REPLY_TIMEOUT = 20.0
# Settings the service reads from the environment: none may leak in from the developer's shell.
SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)


def tradeguard_command() -> list[str]:
    script = Path(sys.executable).with_name("tradeguard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


async def stop_gracefully(process: asyncio.subprocess.Process, timeout: float) -> int:
    """SIGTERM, then SIGKILL if it does not stop in time; the exit code (-9 when killed)."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode


def base_env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in SETTING_NAMES}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def service_env(standin: BotApiStandIn, port: int, **overrides: str | int | None) -> dict[str, str]:
    """The whole service on `port`, talking to the stand-in; an override of None removes a setting."""
    settings: dict[str, str | int | None] = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{standin.url}/bot",
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "BRIDGE_HOST": "127.0.0.1",
        "BRIDGE_PORT": port,
        "PUBLIC_BRIDGE_URL": f"http://127.0.0.1:{port}",
        "SECRET_KEY": SECRET_KEY,
        "ADMIN_TELEGRAM_IDS": ADMIN_ID,
        "LIQUIDATION_GRACE_SECONDS": 2,
        "LIQUIDATION_VERIFY_SECONDS": 30,
        "STALE_FEED_SECONDS": 60,
        "CACHE_TTL_SECONDS": 1,
    }
    settings.update(overrides)
    return {**base_env(), **{name: str(value) for name, value in settings.items() if value is not None}}


@dataclass
class Service:
    """One `tradeguard run` process; its stdout and stderr go to `log_path`."""

    env: dict[str, str]
    port: int
    workdir: Path
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    killed: bool = False  # by the test itself, on purpose
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    def _open_log(self) -> IO[bytes]:
        self._log = self.log_path.open("ab")
        return self._log

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self) -> None:
        log = self._open_log()
        self.process = await asyncio.create_subprocess_exec(
            *tradeguard_command(), "run", env=self.env, cwd=self.workdir, stdout=log, stderr=log
        )
        await self.wait_healthy()

    async def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        """Poll GET /health until it answers 200 (the HTTP server starts after the bot and worker)."""
        assert self.process is not None
        try:
            async with aiohttp.ClientSession() as session, asyncio.timeout(timeout):
                while True:
                    if self.process.returncode is not None:
                        raise AssertionError(
                            f"tradeguard run exited {self.process.returncode}:\n{self.log()[-4000:]}"
                        )
                    try:
                        async with session.get(f"{self.url}/health") as answer:
                            if answer.status == 200:
                                return
                    except aiohttp.ClientError:
                        pass  # not listening yet
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"no healthy service within {timeout} s:\n{self.log()[-4000:]}") from None

    async def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then SIGKILL if it does not stop in time; the exit code (-9 when killed)."""
        assert self.process is not None
        code = await stop_gracefully(self.process, timeout)
        self._close_log()
        return code

    async def kill(self) -> int:
        """SIGKILL: the process gets no chance to finish anything."""
        assert self.process is not None
        self.killed = True
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self._close_log()
        assert self.process.returncode is not None
        return self.process.returncode

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


Launch = Callable[..., Awaitable[Service]]


@dataclass(frozen=True)
class Credentials:
    device_id: str
    secret: str
    login: int
    server: str


@dataclass(frozen=True)
class EaRun:
    returncode: int
    output: str

    def lines(self, containing: str) -> list[str]:
        return [line for line in self.output.splitlines() if containing in line]


async def converse(
    user: SimUser, text: str, expect: Callable[[SentMessage], bool] | None = None
) -> SentMessage:
    """Type `text` and wait for the bot's answer (the first one `expect` accepts, when given)."""
    mark = user.standin.mark()
    await user.send(text)
    return await user.wait_for_message(expect, timeout=REPLY_TIMEOUT, after=mark)


def has_credentials(message: SentMessage) -> bool:
    return len(message.entity_texts("code")) >= 2


async def link(user: SimUser, login: int, server: str) -> Credentials:
    """/link, as a trader would: the device id and the secret are the first two `code` entities."""
    answer = await converse(user, f"/link {login} {server}", expect=has_credentials)
    device_id, secret = answer.entity_texts("code")[:2]
    return Credentials(device_id, secret, login, server)


async def simulate_ea(
    service: Service,
    creds: Credentials,
    scenario: str,
    *,
    interval: float,
    steps: int | None = None,
    timeout: float = 60.0,
) -> EaRun:
    """`tradeguard simulate-ea` to the end of its scenario; its output and exit code."""
    args = [
        *tradeguard_command(), "simulate-ea", "--device", creds.device_id,  # the secret: in the env
        "--url", service.url,  # PRODUCT.md's form: the login and server come from the bridge
        "--scenario", scenario, "--interval", str(interval),
        *(["--steps", str(steps)] if steps is not None else []),
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *args,
        env={**base_env(), "TRADEGUARD_DEVICE_SECRET": creds.secret},
        cwd=service.workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(timeout):
            output, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        raise AssertionError(f"simulate-ea did not finish in {timeout} s:\n{output.decode()}") from None
    assert process.returncode is not None
    return EaRun(process.returncode, output.decode(errors="replace"))


@dataclass
class Database:
    """Read-only look at what the service recorded, straight from Postgres."""

    engine: AsyncEngine

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.engine.connect() as connection:
            result = await connection.execute(text(sql), params)
            return [dict(row._mapping) for row in result]

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()

    async def account_id(self, login: int) -> int:
        found = await self.scalar("SELECT id FROM accounts WHERE login = :login", login=login)
        assert found is not None, f"account {login} is not linked"
        return int(found)

    async def guard(self, login: int) -> dict[str, Any] | None:
        guard: dict[str, Any] | None = await self.scalar(
            "SELECT s.guard FROM account_state s JOIN accounts a ON a.id = s.account_id"
            " WHERE a.login = :login",
            login=login,
        )
        return guard

    async def commands(self, login: int, kind: str | None = None) -> list[dict[str, Any]]:
        return await self.rows(
            "SELECT c.* FROM commands c JOIN accounts a ON a.id = c.account_id"
            " WHERE a.login = :login AND (CAST(:kind AS text) IS NULL OR c.type = :kind)"
            " ORDER BY c.created_at",
            login=login,
            kind=kind,
        )

    async def outbox(self, chat_id: int, kind: str | None = None) -> list[dict[str, Any]]:
        return await self.rows(
            "SELECT * FROM outbox WHERE chat_id = :chat_id"
            " AND (CAST(:kind AS text) IS NULL OR kind = :kind) ORDER BY id",
            chat_id=chat_id,
            kind=kind,
        )

    async def undelivered(self) -> int:
        return int(await self.scalar("SELECT count(*) FROM outbox WHERE status <> 'sent'"))


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = REPLY_TIMEOUT, what: str = "condition"
) -> None:
    """Poll state that has no event to wait on (rows another process commits), bounded by `timeout`."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():  # noqa: ASYNC110 - another process commits it; bounded
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"{what} not reached within {timeout} s") from None
