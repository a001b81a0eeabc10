"""Issue 13: the "system degraded" message reaches an admin's chat through the real bot and the Bot API
stand-in, in the admin's language, as valid Telegram HTML; an admin who blocked the bot does not hold up
the others."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.monitoring import telegram_notify
from core.domain.alerts import SystemDegraded, SystemRecovered
from tests.bot.conftest import ADMIN_ID, Stack

SINCE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def test_an_admin_reads_degraded_then_recovered_in_their_language(stack: Stack) -> None:
    notify = telegram_notify(stack.running.application.bot)
    mark = stack.standin.mark()
    await notify(ADMIN_ID, "es", SystemDegraded(dependency="postgres", since=SINCE))
    degraded = await stack.standin.wait_for_message(ADMIN_ID, after=mark)
    assert degraded.text.startswith("🔴 TradeGuard funciona con fallos: PostgreSQL no responde desde")
    assert degraded.parse_mode == "HTML"

    mark = stack.standin.mark()
    back = SINCE.replace(minute=5)
    await notify(ADMIN_ID, "en", SystemRecovered(dependency="redis", since=SINCE, until=back))
    recovered = await stack.standin.wait_for_message(ADMIN_ID, after=mark)
    assert recovered.text.startswith("🟢 Redis is reachable again (unreachable from")


async def test_an_admin_who_blocked_the_bot_is_skipped_not_retried(stack: Stack) -> None:
    stack.standin.block(ADMIN_ID)
    notify = telegram_notify(stack.running.application.bot)
    await notify(ADMIN_ID, "en", SystemDegraded(dependency="redis", since=SINCE))  # no raise: not held
    assert not [sent for sent in stack.standin.messages_to(ADMIN_ID) if "Redis" in sent.text]
