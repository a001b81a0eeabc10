"""The service as a separate OS process: `tradeguard run`, as tests/e2e/harness.py launches it.

With the service in its own process, the simulated EAs' signing, JSON and HTTP work and the Bot API
stand-in (which stay in the benchmark's process) no longer share one core with the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

import aiohttp
import psutil  # type: ignore[import-untyped]

from core.config import Settings
from tests.e2e.harness import stop_gracefully, tradeguard_command

START_TIMEOUT = 60.0  # migrations + PTB start-up on a loaded 2-core machine
STOP_TIMEOUT = 30.0
# Settings the service reads from the environment: none may leak in from the developer's shell.
SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)
RATE_LIMIT_PREFIX = "bot.budget: Telegram asked to wait"  # bot/budget.py, one line per 429


def service_env(settings: Settings) -> dict[str, str]:
    """The environment that makes `tradeguard run` read the same settings as `settings`: every setting
    that differs from its default, in the form the environment gives it (lists comma-separated)."""
    values = settings.model_dump(exclude_defaults=True)
    env = {name: value for name, value in os.environ.items() if name not in SETTING_NAMES}
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **{name.upper(): _env_value(value) for name, value in values.items() if value is not None}}


def _env_value(value: object) -> str:
    if isinstance(value, tuple | list):
        return ",".join(str(item) for item in value)
    return str(value)


class ServiceProcess:
    """One `tradeguard run [--only PART]`; its output goes to `log_path`."""

    def __init__(self, settings: Settings, log_path: Path, only: str | None = None) -> None:
        self.settings = settings
        self.log_path = log_path
        self.only = only
        self.process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None
        self._psutil: psutil.Process | None = None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def url(self) -> str:
        return f"http://{self.settings.bridge_host}:{self.settings.bridge_port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self) -> None:
        self._log = self.log_path.open("ab")
        only = ["--only", self.only] if self.only else []
        self.process = await asyncio.create_subprocess_exec(
            *tradeguard_command(),
            "run",
            *only,
            env=service_env(self.settings),
            cwd=self.settings.data_dir,  # no .env from the project directory
            stdout=self._log,
            stderr=self._log,
        )
        self._psutil = psutil.Process(self.process.pid)

    async def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        """Poll GET /health until it answers 200 (the HTTP server starts after the bot and worker)."""
        assert self.process is not None
        try:
            async with aiohttp.ClientSession() as session, asyncio.timeout(timeout):
                while True:
                    if self.process.returncode is not None:
                        raise RuntimeError(
                            f"tradeguard run exited {self.process.returncode}:\n{self.log()[-4000:]}"
                        )
                    with contextlib.suppress(aiohttp.ClientError):
                        async with session.get(f"{self.url}/health") as answer:
                            if answer.status == 200:
                                return
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise RuntimeError(f"no healthy service within {timeout} s:\n{self.log()[-4000:]}") from None

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the service process has used so far."""
        assert self._psutil is not None
        times = self._psutil.cpu_times()
        return float(times.user + times.system)

    def cpu_mark(self) -> tuple[float, float]:
        return self.cpu_seconds(), time.perf_counter()

    def cpu_share(self, since: tuple[float, float]) -> float:
        """The service's CPU time over the wall time since `since`: 1.0 is one core kept busy."""
        cpu, wall = self.cpu_mark()
        return (cpu - since[0]) / max(wall - since[1], 1e-9)

    def rate_limit_log_lines(self) -> int:
        """429s the bot's Telegram budget waited out, as the service logged them."""
        return sum(1 for line in self.log().splitlines() if RATE_LIMIT_PREFIX in line)

    async def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then SIGKILL if it does not stop in time; the exit code (-9 when killed)."""
        assert self.process is not None
        code = await stop_gracefully(self.process, timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        return code


@contextlib.asynccontextmanager
async def service_process(
    settings: Settings, log_path: Path, only: str | None = None
) -> AsyncIterator[ServiceProcess]:
    """`tradeguard run` started and healthy; stopped with SIGTERM on exit."""
    service = ServiceProcess(settings, log_path, only)
    await service.start()
    try:
        await service.wait_healthy()
        yield service
    finally:
        code = await service.terminate()
        if code not in (0, -signal.SIGTERM):
            print(
                f"  WARNING: tradeguard run exited {code}; its log ends:\n{service.log()[-2000:]}", flush=True
            )
