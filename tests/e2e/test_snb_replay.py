"""The SNB morning, tick by tick, through `tradeguard run` with a 10-second grace: the crash cuts the
grace short, the close reaches the EA well before the grace would have ended, and the trader is told why."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sim.telegram import BotApiStandIn, SentMessage
from tests.e2e.harness import Database, Launch, converse, link, simulate_ea

pytestmark = pytest.mark.e2e

LOGIN = 5012345
SERVER = "E2E-Live"
GRACE_SECONDS = 10
TICKS = 180  # 09:30:40 to 09:31:10: the floor goes at 09:30:47, 20% is passed within seconds


def is_breach(message: SentMessage) -> bool:
    return "maximum drawdown reached" in message.text


def is_closing_now(message: SentMessage) -> bool:
    return "being closed NOW" in message.text


async def test_the_snb_ticks_with_a_10_s_grace_are_closed_out_long_before_the_grace_ends(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    service = await launch(LIQUIDATION_GRACE_SECONDS=GRACE_SECONDS)
    ann = standin.user(1001, "Ann", "en")
    await converse(ann, "/start")
    creds = await link(ann, LOGIN, SERVER)
    mark = standin.mark()

    run = await simulate_ea(service, creds, "crash_replay", interval=0.1, steps=TICKS, timeout=90)

    assert run.returncode == 0, run.output
    breach = await ann.wait_for_message(is_breach, timeout=20, after=mark)
    now = await ann.wait_for_message(is_closing_now, timeout=20, after=mark)
    assert "the market is moving fast" in now.text, now.text
    (close_all,) = await db.commands(LOGIN, "close_all")
    guard = await db.guard(LOGIN)
    assert guard is not None
    breached_at = datetime.fromisoformat(guard["breach_at"])
    # the close came within a couple of snapshots of the breach, not at the grace's end
    assert close_all["created_at"] - breached_at < timedelta(seconds=3), (
        breached_at,
        close_all["created_at"],
    )
    assert close_all["status"] == "done", close_all
    assert len(run.lines("close_all (max_drawdown) → closed 1 position(s), ack done")) == 1, run.output
    sent = [m for m in standin.sent[mark:] if m.chat_id == ann.chat_id]
    assert sent.index(breach) <= sent.index(now)
