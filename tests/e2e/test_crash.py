"""The reason TradeGuard exists: the SNB drops the EURCHF floor and the account is closed out."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from sim.telegram import BotApiStandIn, SentMessage
from tests.e2e.harness import ADMIN_ID, Database, Launch, converse, link, simulate_ea

pytestmark = pytest.mark.e2e

LOGIN = 5012345
SERVER = "E2E-Live"
GRACE_SECONDS = 2


def drawdown_warning(level: int) -> Callable[[SentMessage], bool]:
    def matches(message: SentMessage) -> bool:
        return re.search(rf"\(warning level {level}(\.0+)?%\)", message.text) is not None

    matches.__name__ = f"drawdown_warning_{level}"
    return matches


def is_liquidation_warning(message: SentMessage) -> bool:
    return "maximum drawdown reached" in message.text


def is_closing_now(message: SentMessage) -> bool:
    return "being closed NOW" in message.text


def is_liquidated(message: SentMessage) -> bool:
    return "has been closed out" in message.text


def is_admin_liquidated(message: SentMessage) -> bool:
    return f"{LOGIN} ({SERVER}): closed out" in message.text


async def test_a_crash_warns_once_naming_the_deepest_level_then_closes_out_the_account_once(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    service = await launch(LIQUIDATION_GRACE_SECONDS=GRACE_SECONDS)
    ann = standin.user(1001, "Ann", "en")
    olga = standin.user(ADMIN_ID, "Olga", "en")
    await converse(ann, "/start")
    await converse(olga, "/start")
    creds = await link(ann, LOGIN, SERVER)
    mark = standin.mark()

    run = await simulate_ea(service, creds, "crash", interval=0.5)

    assert run.returncode == 0, run.output
    warn_15 = await ann.wait_for_message(drawdown_warning(15), timeout=20, after=mark)
    warning = await ann.wait_for_message(is_liquidation_warning, timeout=20, after=mark)
    liquidated = await ann.wait_for_message(is_liquidated, timeout=30, after=mark)
    sent = [m for m in standin.sent[mark:] if m.chat_id == ann.chat_id]
    order = [sent.index(m) for m in (warn_15, warning, liquidated)]
    assert order == sorted(order), [m.summary() for m in sent]
    # the first snapshot of the crash is past 10 % and 15 % at once: one warning, naming 15 %
    assert not any(drawdown_warning(10)(m) for m in sent), [m.summary() for m in sent]

    assert "maximum drawdown reached" in warning.text
    # 10 %, 15 %, 20 % a step apart is a fast market: the grace is skipped, and the trader told why
    assert "being closed now" in warning.text
    now = await ann.wait_for_message(is_closing_now, timeout=20, after=mark)
    assert "the market is moving fast" in now.text

    # the EA closed everything when told to, and said so
    executed = run.lines("close_all (max_drawdown) → closed 1 position(s), ack done")
    assert len(executed) == 1, run.output
    closed_lines = [line for line in liquidated.text.splitlines() if line.startswith("• #")]
    assert len(closed_lines) == 1, liquidated.text
    assert "Realised P&L:" in liquidated.text

    # admins hear of liquidations in a digest (one per 10 s window), so allow for the window
    admin = await olga.wait_for_message(is_admin_liquidated, timeout=30, after=mark)
    assert admin.text.startswith("🛑")

    close_all = await db.commands(LOGIN, "close_all")
    assert len(close_all) == 1, close_all
    command = close_all[0]
    assert command["status"] == "done" and command["ack"]["status"] == "done"
    guard = await db.guard(LOGIN)
    assert guard is not None and guard["status"] == "liquidated"
    grace_until = datetime.fromisoformat(guard["grace_until"])
    assert command["created_at"] < grace_until, (command["created_at"], grace_until)  # well before
    assert command["acked_at"] >= command["created_at"]
    (result,) = command["ack"]["results"]  # what the EA reported closing, with price and P&L
    profit = f"{abs(Decimal(result['profit'])):,.2f}"
    assert f"#{result['ticket']} closed 0.50 at {result['price']}: -${profit}" == closed_lines[0][2:]
    assert f"Realised P&L: -${profit}" in liquidated.text
    assert len(await db.outbox(ann.chat_id, "liquidated")) == 1
    assert len(await db.outbox(ann.chat_id, "liquidation_warning")) == 1
    assert len(await db.outbox(ann.chat_id, "drawdown_warning")) == 1
    sent = [m for m in standin.sent[mark:] if m.chat_id == ann.chat_id]
    assert [m for m in sent if is_liquidation_warning(m)] == [warning]
    assert [m for m in sent if is_liquidated(m)] == [liquidated]
