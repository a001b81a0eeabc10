"""README's first command: `tradeguard demo` works on a bare machine (embedded Postgres and Redis)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
TRADEGUARD = Path(sys.executable).with_name("tradeguard")


async def test_the_demo_tells_the_crash_to_the_end_and_exits_0(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "TELEGRAM_BOT_TOKEN")
    }
    process = await asyncio.create_subprocess_exec(
        str(TRADEGUARD), "demo", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    text = output.decode()
    assert process.returncode == 0, text[-3000:]
    for line in (
        "is connected and protected",
        "below its peak (warning level 15.00%)",  # one snapshot passes 10 and 15: one warning, the deepest
        "maximum drawdown reached",
        "close_all (max_drawdown) → closed 1 position(s), ack done",
        "has been closed out and trading is locked",
        "Lo siento, ese comando es solo para administradores",  # Boris's refused /liquidate
        "Сводка защиты",  # the admin's digest, in Russian
        "Demo finished: the crash ended in a verified liquidation.",
    ):
        assert line in text, f"demo output lacks {line!r}"
    assert "Traceback" not in text
    assert (tmp_path / ".tradeguard" / "demo" / "postgres").is_dir()
