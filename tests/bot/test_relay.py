"""The outbox relay against Telegram's behaviour: blocked chats, restarts, flood limits, per-chat order."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.config import Settings
from core.domain.alerts import DrawdownWarning, TradingLocked
from core.domain.models import Alert
from sim.telegram import BotApiStandIn
from tests.bot.conftest import LOGIN, SERVER, TOKEN, Stack, is_connected_alert, settings_for, start_stack
from tests.conftest import TEST_DATABASE_URL


def locked_alert(key: str, chat_id: int, login: int = LOGIN) -> Alert:
    return Alert(key, chat_id, TradingLocked(login=login, server=SERVER, currency="USD"))


def warning(key: str, chat_id: int, level: int) -> Alert:
    alert = DrawdownWarning(
        login=LOGIN,
        server=SERVER,
        currency="USD",
        level=Decimal(level),
        drawdown_percent=Decimal(f"{level}.50"),
        equity=Decimal("9000.00"),
        peak_equity=Decimal("10000.00"),
    )
    return Alert(key, chat_id, alert)


async def delivered_probe(stack: Stack, key: str) -> None:
    """One more alert, to another chat, seen through: proves the relay made a pass after this point."""
    mark = stack.standin.mark()
    await stack.add_alerts([locked_alert(key, 4242, 4242)])
    await stack.standin.wait_for_message(4242, lambda m: "4242" in m.text, after=mark)


async def test_an_alert_to_a_chat_that_blocked_the_bot_marks_the_user_and_is_not_retried(
    stack: Stack,
) -> None:
    ann = stack.user(1001)
    await stack.ask(ann, "/start")
    stack.standin.block(1001)
    mark = stack.standin.mark()

    await stack.add_alerts([locked_alert("blocked:1", 1001)])
    await stack.eventually("SELECT status, attempts FROM outbox", [("undeliverable", 1)])
    await delivered_probe(stack, "probe:1")

    assert await stack.scalar("SELECT blocked_bot FROM users WHERE telegram_id = 1001") is True
    row = (
        await stack.rows("SELECT status, attempts, last_error FROM outbox WHERE dedupe_key = 'blocked:1'")
    )[0]
    assert (row.status, row.attempts) == ("undeliverable", 1)
    assert "blocked" in row.last_error
    assert [m for m in stack.standin.sent[mark:] if m.chat_id == 1001] == []


async def test_alerts_recorded_while_no_worker_runs_are_delivered_once_after_a_restart(
    fresh_state: None, standin: BotApiStandIn, bot_settings: Settings
) -> None:
    async with start_stack(standin, bot_settings, ("bot", "api")) as first:
        ann = first.user(1001)
        creds = await first.link(ann)
        await first.send_snapshot(creds, 1)
        await first.eventually("SELECT kind, status FROM outbox", [("account_connected", "pending")])
    assert not [m for m in standin.messages_to(1001) if is_connected_alert(m, LOGIN)]

    async with start_stack(standin, bot_settings) as second:
        await standin.wait_for_message(1001, lambda m: is_connected_alert(m, LOGIN))
        traders = "SELECT kind, status FROM outbox WHERE chat_id = 1001"
        await second.eventually(traders, [("account_connected", "sent")])
        await delivered_probe(second, "probe:restart")

    assert len([m for m in standin.messages_to(1001) if is_connected_alert(m, LOGIN)]) == 1


async def test_stopping_the_service_lets_the_alerts_being_sent_finish_instead_of_leaving_them_leased(
    fresh_state: None, standin: BotApiStandIn, bot_settings: Settings
) -> None:
    chats = list(range(22_001, 22_061))
    async with start_stack(standin, bot_settings) as stack:
        await stack.add_alerts([locked_alert(f"stop:{chat}", chat, chat) for chat in chats])
        await standin.wait_for_message(chats[0])  # the relay's pass (all 60 claimed) is under way
        started = time.monotonic()
    stopped_in = time.monotonic() - started

    engine = create_async_engine(TEST_DATABASE_URL)
    async with engine.connect() as connection:
        statuses = dict(
            (await connection.execute(text("SELECT status, count(*) FROM outbox GROUP BY 1"))).all()
        )
    await engine.dispose()
    assert statuses == {"sent": 60}
    assert Counter(m.chat_id for m in standin.sent if m.chat_id in chats) == Counter(chats)
    assert stopped_in < 10


async def test_a_burst_of_60_alerts_to_60_chats_is_paced_under_30_a_second_and_delivered_completely(
    stack: Stack,
) -> None:
    chats = list(range(20_001, 20_061))
    mark = stack.standin.mark()
    started = time.monotonic()

    await stack.add_alerts([locked_alert(f"burst:{chat}", chat, chat) for chat in chats])
    await stack.eventually("SELECT status, count(*) FROM outbox GROUP BY status", [("sent", 60)], timeout=30)

    elapsed = time.monotonic() - started
    received = Counter(m.chat_id for m in stack.standin.sent[mark:] if m.method == "sendMessage")
    assert received == Counter(chats)  # every chat exactly once: nothing lost, nothing doubled
    for chat in chats:
        [message] = stack.standin.messages_to(chat)
        assert str(chat) in message.text
    assert elapsed >= 1.0, "60 messages cannot pass Telegram's 30/s in under a second"


async def test_alerts_refused_with_429_are_sent_again_later_and_none_is_lost_or_doubled(
    fresh_state: None, tmp_path: Path
) -> None:
    """A stand-in stricter than PTB's own pacing (20/s against 30/s) answers 429 with retry_after."""
    chats = list(range(21_001, 21_061))
    async with BotApiStandIn(token=TOKEN, global_rate=20, per_chat_per_minute=None) as strict:
        async with start_stack(strict, settings_for(tmp_path, strict)) as stack:
            await stack.add_alerts([locked_alert(f"burst:{chat}", chat, chat) for chat in chats])
            await stack.eventually(
                "SELECT status, count(*) FROM outbox GROUP BY status", [("sent", 60)], timeout=30
            )

    assert strict.rate_limited_count > 0, "the stand-in never refused: this test proved nothing"
    received = Counter(m.chat_id for m in strict.sent if m.method == "sendMessage")
    assert received == Counter(chats)


async def test_one_chats_alerts_arrive_in_outbox_order_while_other_chats_are_served(stack: Stack) -> None:
    alerts: list[Alert] = []
    for level in range(1, 21):
        alerts.append(warning(f"order:{level}", 1001, level))
        alerts.append(locked_alert(f"other:{level}", 30_000 + level, 30_000 + level))

    await stack.add_alerts(alerts)
    await stack.eventually("SELECT status, count(*) FROM outbox GROUP BY status", [("sent", 40)], timeout=30)

    levels = [m.text.split("warning level ")[1].split("%")[0] for m in stack.standin.messages_to(1001)]
    assert levels == [f"{level}.00" for level in range(1, 21)]
    ids = [
        row.id for row in await stack.rows("SELECT id FROM outbox WHERE chat_id = 1001 ORDER BY sent_at, id")
    ]
    assert ids == sorted(ids)
