"""/payouts through the real bot: an admin sees the preview (who is paid, who is held and why), confirms
once (a second press pays nothing), resolves a payout of unknown outcome; a trader is refused, and a
trader pressing a forged button changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.i18n import Translator, catalog
from bot.render.payouts import render_preview
from core.config import Settings
from core.domain.affiliates.payouts import Balance, Blocked, Candidate
from sim.telegram import BotApiStandIn
from tests.bot.conftest import ADMIN_ID, Stack, start_stack
from tests.bot.test_admin import REFUSED


@pytest.fixture
async def bot_only(fresh_state: None, standin: BotApiStandIn, bot_settings: Settings) -> AsyncIterator[Stack]:
    """No worker: the scheduled payout run must not pay before the admin does."""
    async with start_stack(standin, bot_settings, ("bot",)) as started:
        yield started


def period() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


async def earned(stack: Stack, telegram_id: int, name: str, amount: str, currency: str = "USD") -> int:
    async with stack.core.bot_services.users.uow() as uow:
        user = await uow.users.upsert(telegram_id, name, None, "en")
        await uow.commit()
    past = datetime.now(UTC) - timedelta(days=40)
    async with stack.core.engine.begin() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO commission_lines (dedupe_key, affiliate_user_id, kind, amount, currency,"
            " rule_version, details, earned_at, payable_at) VALUES ($1, $2, 'tier_1', $3, $4, 'c1', '{}',"
            " $5, $6)",
            (f"pay:{telegram_id}:tier_1", user.id, Decimal(amount), currency, past, past + timedelta(30)),
        )
    return user.id


async def test_an_admin_previews_and_confirms_once_and_the_button_goes(bot_only: Stack) -> None:
    stack = bot_only
    await earned(stack, 1001, "Ann", "120.50")
    await earned(stack, 1002, "<b>Bob</b>", "20")
    olga = stack.user(ADMIN_ID, "Olga", "en")

    preview = await stack.ask(olga, "/payouts")

    assert preview.text.startswith(f"Payouts for {period()}")
    assert "Ann (1001): $120.50 — will be paid" in preview.text
    assert "<b>Bob</b> (1002): $20.00 — below the minimum payout" in preview.text  # escaped, not bold
    assert "Bob" not in preview.entity_texts("bold")
    assert "Confirm to pay 1 affiliate." in preview.text
    confirm = f"payouts:v1:run:{period()}"
    assert [b["callback_data"] for b in preview.buttons] == [confirm]
    assert await stack.scalar("SELECT count(*) FROM payouts") == 0  # a preview changes nothing

    done = await stack.press(olga, preview, confirm)
    again = await stack.ask(olga, "/payouts")

    assert done.text.startswith("1 payout made:") and "$120.50, sent" in done.text
    assert stack.standin.current_message(ADMIN_ID, preview.message_id).get("reply_markup") is None
    assert "Ann" not in again.text and again.buttons == []  # paid: nothing left to confirm
    assert await stack.scalar("SELECT count(*) FROM payouts WHERE status = 'sent'") == 1


async def test_an_admin_resolves_a_payout_of_unknown_outcome(bot_only: Stack) -> None:
    stack = bot_only
    ann = await earned(stack, 1001, "Ann", "75")
    async with stack.core.engine.begin() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO payouts (affiliate_user_id, period, amount, currency, status, created_by,"
            " created_at) VALUES ($1, '2026-01', 60, 'USD', 'unknown', 'scheduler', now())",
            (ann,),
        )
    payout_id = await stack.scalar("SELECT id FROM payouts")
    olga = stack.user(ADMIN_ID, "Olga", "en")

    preview = await stack.ask(olga, "/payouts")

    assert "held: an earlier payout is not resolved" in preview.text
    assert f"#{payout_id}: user {ann}, $60.00 for 2026-01" in preview.text
    sent = f"payouts:v1:sent:{payout_id}"
    assert [b["callback_data"] for b in preview.buttons] == [sent, f"payouts:v1:failed:{payout_id}"]
    done = await stack.press(olga, preview, sent)
    assert done.text == f"Payout #{payout_id} is now sent."
    assert await stack.scalar("SELECT reference FROM payouts") == f"admin:{ADMIN_ID}"


async def test_a_trader_is_refused_payouts_and_a_forged_press_changes_nothing(bot_only: Stack) -> None:
    stack = bot_only
    await earned(stack, 1001, "Ann", "500")
    ann, olga = stack.user(1001, "Ann", "en"), stack.user(ADMIN_ID, "Olga", "en")

    refused = await stack.ask(ann, "/payouts")
    preview = await stack.ask(olga, "/payouts")
    update_id = await ann.press(preview, f"payouts:v1:run:{period()}")
    answered = await stack.standin.wait_for_callback_answer(update_id)

    assert refused.text == REFUSED
    assert answered.show_alert and answered.text == REFUSED
    assert await stack.scalar("SELECT count(*) FROM payouts") == 0
    refusals = await stack.scalar("SELECT count(*) FROM audit_log WHERE action = 'admin.refused'")
    assert refusals == 2


@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_every_reason_a_payout_waits_is_said_in_every_language(language: str) -> None:
    t = Translator(language)
    candidates = [
        Candidate(Balance(n, 1000 + n, "Ann", "XTR", Decimal(150)), why) for n, why in enumerate(Blocked)
    ]

    text, _ = render_preview(t, "2026-02", candidates, [])

    assert all(catalog(language).get(f"payouts.blocked_{why.value}") for why in Blocked)
    assert "payouts.blocked_" not in text
