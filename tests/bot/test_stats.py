"""/stats through the Bot API stand-in: an admin gets the last twelve ISO weeks as text and a PNG chart;
a trader is refused (by the gate, and by the service behind it)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import text

from core.services.affiliate_stats import iso_week, week_start
from core.services.errors import Forbidden
from sim.telegram import SentMessage
from tests.bot.conftest import ADMIN_ID, Stack

REFUSED = "Sorry, that command is for admins only. The attempt has been recorded."


def is_photo(message: SentMessage) -> bool:
    return message.method == "sendPhoto"


async def test_stats_gives_an_admin_twelve_weeks_and_a_chart(stack: Stack) -> None:
    olga = stack.user(ADMIN_ID, "Olga", "en")
    await stack.ask(stack.user(1001, "Ann"), "/start")
    now = datetime.now(UTC)
    async with stack.core.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO payments (source, external_id, telegram_id, type, amount, currency,"
                " period_start, period_end, received_at)"
                " VALUES ('stars', 'c1', 1001, 'paid', 500, 'XTR', :n, :e, :n)"
            ),
            {"n": now, "e": now + timedelta(days=30)},
        )
    mark = stack.standin.mark()

    answer = await stack.ask(olga, "/stats")
    picture = await stack.standin.wait_for_message(olga.chat_id, is_photo, after=mark)

    this_week = iso_week(week_start(now))
    assert "Affiliate programme, last 12 weeks" in answer.text
    assert answer.text.count("-W") == 12
    assert f"{this_week}: 2 (0) · 1 · 500 ⭐" in answer.text  # Olga and Ann; Ann paid
    assert picture.media is not None and picture.media.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(picture.media)) as image:
        assert image.size == (1200, 675)
    assert this_week in picture.text


async def test_stats_is_refused_to_a_trader_at_the_gate_and_in_the_service(stack: Stack) -> None:
    mallory = stack.user(1666, "Mallory")

    answer = await stack.ask(mallory, "/stats")
    user = await stack.core.bot_services.users.resolve(1666, "Mallory", None, "en")
    with pytest.raises(Forbidden):
        await stack.core.bot_services.affiliate_stats.for_admin(user)

    assert answer.text == REFUSED
    assert not [m for m in stack.standin.messages_to(mallory.chat_id) if is_photo(m)]
    assert await stack.scalar("SELECT count(*) FROM audit_log WHERE action = 'admin.refused'") == 2
