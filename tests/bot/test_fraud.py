"""/fraud through the real bot against the Bot API stand-in (issue 11), with a stand-in for the pure
checks: the admin sees the queue and one case with its evidence and buttons, a trader is refused (even
pressing an admin's button), and the affiliate hears of the hold and the outcome in their language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from core.domain.affiliates import FraudSignal
from core.domain.affiliates.fraud import Assessment, FraudConfig, FraudInputs
from core.services import fraud as fraud_module
from core.services.fraud import FraudService
from sim.telegram import SentMessage
from tests.bot.conftest import ADMIN_ID, REPLY_TIMEOUT, Stack

REFUSED = "Sorry, that command is for admins only. The attempt has been recorded."
SHARED = FraudSignal(
    "shared_login", Decimal(85), {"login": 5012345, "server": "Broker-Live", "users": [1, 2]}
)
BUTTONS = ["fr:v1:confirm:1", "fr:v1:confirm_ban:1", "fr:v1:clear:1", "fr:v1:later:1"]


@pytest.fixture
def found(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Assessment]]:
    """What the stand-in scan finds (the real checks arrive with branch i11-fraud)."""
    assessments: list[Assessment] = []

    def stand_in(inputs: FraudInputs, now: datetime, config: FraudConfig) -> tuple[Assessment, ...]:
        return tuple(assessments)

    monkeypatch.setattr(fraud_module, "scan", stand_in)
    yield assessments


def fraud(stack: Stack) -> FraudService:
    service = stack.core.bot_services.fraud
    assert service is not None
    return service


async def flag(stack: Stack, found: list[Assessment], telegram_id: int) -> None:
    user_id = await stack.scalar("SELECT id FROM users WHERE telegram_id = :t", t=telegram_id)
    found[:] = [Assessment(user_id, Decimal(85), (SHARED,), ("shared_login <b>5012345@Broker-Live</b>",))]
    assert await fraud(stack).run_once() == 1


async def pushed(stack: Stack, chat_id: int, mark: str) -> SentMessage:
    return await stack.standin.wait_for_message(chat_id, lambda m: m.text.startswith(mark), REPLY_TIMEOUT)


async def test_an_admin_reviews_the_case_and_clearing_it_tells_the_affiliate_in_spanish(
    stack: Stack, found: list[Assessment]
) -> None:
    ana, olga = stack.user(1001, "Ana", "es"), stack.user(ADMIN_ID, "Olga", "en")
    await stack.ask(ana, "/help")
    await stack.ask(olga, "/help")
    await flag(stack, found, 1001)

    hold = await pushed(stack, ana.chat_id, "⏸")
    flagged = await pushed(stack, olga.chat_id, "🚨")
    case = await stack.ask(olga, "/fraud")

    assert hold.text.startswith("⏸ Tu comisión de afiliado queda retenida")
    assert "la misma cuenta MT5 vinculada" in hold.text and "5012345" not in hold.text
    assert "case #1" in flagged.text and "shared_login <b>5012345@Broker-Live</b>" in flagged.text
    assert case.text.startswith("1 case waits for review.\nCase #1 · Ana (id 1001) · score 85.00")
    assert '"login": 5012345' in case.text  # the evidence, readable and escaped
    assert [button["callback_data"] for button in case.buttons] == BUTTONS

    cleared = await stack.press(olga, case, "fr:v1:clear:1")
    told = await pushed(stack, ana.chat_id, "📣")

    assert cleared.text == "Case #1 cleared: the hold is released."
    assert told.text == "📣 Revisión del caso n.º 1: todo en orden, la comisión retenida queda liberada."
    assert await stack.scalar("SELECT status FROM fraud_cases WHERE id = 1") == "cleared"
    empty = await stack.standin.wait_for_message(
        olga.chat_id, lambda m: m.text == "No fraud cases wait for review.", REPLY_TIMEOUT
    )
    assert empty.buttons == []


async def test_a_trader_is_refused_the_queue_and_the_buttons_and_nothing_changes(
    stack: Stack, found: list[Assessment]
) -> None:
    boris, mallory, olga = (
        stack.user(1002, "Борис", "ru"),
        stack.user(1666, "Mallory"),
        stack.user(ADMIN_ID, "Olga"),
    )
    await stack.ask(boris, "/help")
    await stack.ask(olga, "/help")
    await flag(stack, found, 1002)
    case = await stack.ask(olga, "/fraud")

    refused = await stack.ask(mallory, "/fraud")
    update_id = await mallory.press(case, "fr:v1:confirm:1")
    answered = await stack.standin.wait_for_callback_answer(update_id)

    assert refused.text == REFUSED
    assert answered.show_alert and answered.text == REFUSED
    assert await stack.scalar("SELECT status FROM fraud_cases WHERE id = 1") == "open"
    hold = await pushed(stack, boris.chat_id, "⏸")
    assert hold.text.startswith(
        "⏸ Ваша партнёрская комиссия удержана, пока сотрудник проверяет ваших рефералов"
    )
    assert "5012345" not in hold.text


async def test_later_keeps_the_case_open_and_shows_it_again(stack: Stack, found: list[Assessment]) -> None:
    ana, olga = stack.user(1001, "Ana", "es"), stack.user(ADMIN_ID, "Olga", "en")
    await stack.ask(ana, "/help")
    await stack.ask(olga, "/help")
    await flag(stack, found, 1001)
    case = await stack.ask(olga, "/fraud")

    later = await stack.press(olga, case, "fr:v1:later:1")
    again = await stack.standin.wait_for_message(
        olga.chat_id,
        lambda m: m.text.startswith("1 case waits") and m.message_id > later.message_id,
        REPLY_TIMEOUT,
    )

    assert later.text == "Case #1 stays open, at the back of the queue."
    assert [button["callback_data"] for button in again.buttons] == BUTTONS
    assert await stack.scalar("SELECT status FROM fraud_cases WHERE id = 1") == "open"
