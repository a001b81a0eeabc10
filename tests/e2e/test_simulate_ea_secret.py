"""`tradeguard simulate-ea` keeps the device secret off its command line (issue 6, item 11): it reads
it from TRADEGUARD_DEVICE_SECRET or --secret-file (`-` for standard input); `--secret` still works,
with a warning that every user of the machine can read it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.app import Core, build_http_app
from tests.api.conftest import LinkedDevice, link_device
from tests.e2e.harness import base_env, tradeguard_command

pytestmark = pytest.mark.e2e
TIMEOUT = 60


@dataclass
class Bridge:
    url: str
    device: LinkedDevice


@pytest.fixture
async def bridge(core: Core) -> AsyncIterator[Bridge]:
    """The real HTTP app on a loopback port, one device linked."""
    device = await link_device(core)
    server = TestServer(build_http_app(core, None), host="127.0.0.1")
    await server.start_server()
    try:
        yield Bridge(str(server.make_url("")).rstrip("/"), device)
    finally:
        await server.close()


async def start_ea(
    bridge: Bridge, *extra: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *tradeguard_command(), "simulate-ea", "--device", bridge.device.device_id, "--url", bridge.url,
        "--scenario", "steady", "--interval", "0.2", "--steps", "3", *extra,
        env={**base_env(), **(env or {})},
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def finish(process: asyncio.subprocess.Process, stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout=TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def command_line(process: asyncio.subprocess.Process) -> bytes:
    """What `ps` shows every user of the machine."""
    return Path(f"/proc/{process.pid}/cmdline").read_bytes()


async def test_the_secret_from_the_environment_never_appears_on_the_command_line(bridge: Bridge) -> None:
    secret = bridge.device.secret_hex
    process = await start_ea(bridge, env={"TRADEGUARD_DEVICE_SECRET": secret})
    assert process.stdout is not None
    first_line = await asyncio.wait_for(process.stdout.readline(), timeout=TIMEOUT)  # running, secret read
    seen = command_line(process)
    code, out, err = await finish(process)
    assert bridge.device.device_id.encode() in seen  # the right process
    assert secret.encode() not in seen
    assert code == 0, (first_line, out, err)  # every signed request was accepted
    assert "connected to" in first_line.decode()
    assert out.count("snapshot #") == 4, out  # the connect snapshot and three steps
    assert secret not in out + err + first_line.decode()


async def test_the_secret_can_come_from_a_file_and_from_standard_input(
    bridge: Bridge, tmp_path: Path
) -> None:
    secret = bridge.device.secret_hex
    path = tmp_path / "device-secret"
    path.write_text(secret + "\n")
    from_file = await start_ea(bridge, "--secret-file", str(path))
    from_stdin = await start_ea(bridge, "--secret-file", "-", stdin=b"")
    for process in (from_file, from_stdin):
        assert secret.encode() not in command_line(process)
    file_code, file_out, file_err = await finish(from_file)
    stdin_code, stdin_out, stdin_err = await finish(from_stdin, (secret + "\n").encode())
    assert (file_code, file_out.count("snapshot #")) == (0, 4), file_out + file_err
    assert (stdin_code, stdin_out.count("snapshot #")) == (0, 4), stdin_out + stdin_err


async def test_the_secret_on_the_command_line_still_works_but_warns_that_others_can_read_it(
    bridge: Bridge,
) -> None:
    process = await start_ea(bridge, "--secret", bridge.device.secret_hex)
    code, out, err = await finish(process)
    assert (code, out.count("snapshot #")) == (0, 4), out + err
    assert "warning: --secret" in err
    assert "TRADEGUARD_DEVICE_SECRET" in err


async def test_without_a_secret_the_error_says_where_to_put_it(bridge: Bridge) -> None:
    code, out, err = await finish(await start_ea(bridge, env={"TRADEGUARD_DEVICE_SECRET": ""}))
    assert (code, out) == (2, "")
    assert "TRADEGUARD_DEVICE_SECRET" in err and "--secret-file" in err


@pytest.mark.parametrize("bad", ["not-hex", "ab" * 31, "é" * 64])
async def test_a_malformed_secret_is_refused_without_echoing_it(
    bridge: Bridge, tmp_path: Path, bad: str
) -> None:
    path = tmp_path / "device-secret"
    path.write_text(bad)
    code, out, err = await finish(await start_ea(bridge, "--secret-file", str(path)))
    assert code == 2
    assert "64 hex characters" in err
    assert bad not in out + err


async def test_an_unreadable_secret_file_is_a_clear_error(bridge: Bridge, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    code, out, err = await finish(await start_ea(bridge, "--secret-file", str(missing)))
    assert (code, out) == (2, "")
    assert "cannot read the device secret" in err and str(missing) in err


def test_process_environments_are_private_to_their_owner() -> None:
    """Why the environment is a fit place: /proc/<pid>/environ, unlike cmdline, only its owner reads."""
    mode = os.stat(f"/proc/{os.getpid()}/environ").st_mode & 0o777
    assert mode & 0o077 == 0
