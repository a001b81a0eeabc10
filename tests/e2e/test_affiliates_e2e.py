"""The affiliate programme end to end (issue 11), through the whole service in one process (bot, API and
worker, as `tradeguard run` wires them) against the Bot API stand-in, with a clock the test moves.

Ann refers Boris through her deep link; Boris pays a Stars invoice; the worker's ledger pass earns Ann her
first-month commission, pending for the hold; the clock moves past the hold and an admin's `/payouts` pays
Ann once, a second run (the admin's or the scheduled one) pays nothing; the admin refunds Boris after the
payout and Ann is left a negative carry. Then Ann refers herself through a second Telegram account that
links her own MT5 login: the worker's fraud scan flags her, holds her commission, tells her and the
admins, and the case waits in `/fraud` with its evidence; Confirm takes the held commission back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.runner import running
from sim.telegram import BotApiStandIn, SentMessage, SimUser
from tests.bot.conftest import ADMIN_ID, ALL_PARTS, PUBLIC_BRIDGE_URL, TOKEN, Stack, is_alert
from tests.conftest import clean_state, make_settings

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https://t\.me/tradeguard_test_bot\?start=(ref_([A-Za-z0-9_-]+))")
LOGIN, SERVER = 5012399, "Affiliate-Live"
WAIT = 15.0


@dataclass
class MovableClock:
    """Real time that flows, plus whatever the test has moved it on by (the clock is an edge we fake)."""

    offset: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[tuple[Stack, MovableClock]]:
    await clean_state()
    clock = MovableClock()
    async with BotApiStandIn(token=TOKEN, per_chat_per_minute=None) as standin:
        settings = make_settings(
            tmp_path,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=f"{standin.url}/bot",
            bridge_port=0,
            public_bridge_url=PUBLIC_BRIDGE_URL,
            affiliate_ledger_sweep_seconds=0.2,
            affiliate_payout_sweep_seconds=3600,  # at start, then not again in this test: the admin pays
            fraud_scan_seconds=0.3,
        )
        async with running(settings, ALL_PARTS, clock) as live:
            yield Stack(standin, live, settings), clock


async def pushed(stack: Stack, user: SimUser, saying: str, after: int) -> SentMessage:
    """The alert to `user` whose text says `saying`, sent after the mark `after`."""

    def wanted(message: SentMessage) -> bool:
        return is_alert(message) and saying in message.text

    return await stack.standin.wait_for_message(user.chat_id, wanted, WAIT, after=after)


async def subscribe(stack: Stack, user: SimUser) -> SentMessage:
    """/subscribe, the month plan's button, the invoice paid in the stand-in; the payer's thanks."""
    plans = await stack.ask(user, "/subscribe")
    mark = stack.standin.mark()
    await user.press(plans, "plan:v1:month")
    invoice = await stack.standin.wait_for_message(
        user.chat_id, lambda m: m.method == "sendInvoice", WAIT, after=mark
    )
    mark = stack.standin.mark()
    answer = await stack.standin.wait_for_checkout_answer(await stack.standin.pay(user.user_id, invoice))
    assert answer.ok, answer.error_message
    return await stack.standin.wait_for_message(
        user.chat_id, lambda m: m.text.startswith(("Thank you", "¡Gracias")), WAIT, after=mark
    )


async def lines(stack: Stack, telegram_id: int) -> list[tuple[str, Decimal, bool]]:
    rows = await stack.rows(
        "SELECT l.kind, l.amount, l.payout_id IS NOT NULL AS paid FROM commission_lines l"
        " JOIN users u ON u.id = l.affiliate_user_id WHERE u.telegram_id = :t ORDER BY l.id",
        t=telegram_id,
    )
    return [(row.kind, row.amount, row.paid) for row in rows]


async def eventually(check: Callable[[], object], timeout: float = WAIT) -> None:
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():  # type: ignore[misc]
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.05)


async def test_a_referral_pays_once_a_refund_carries_and_a_self_referral_is_held(
    service: tuple[Stack, MovableClock],
) -> None:
    stack, clock = service
    ann, boris, olga = stack.user(1001, "Ann"), stack.user(1002, "Boris", "es"), stack.user(ADMIN_ID, "Olga")
    await stack.ask(olga, "/help")

    # Ann's link: an opaque code, not her Telegram id.
    card = await stack.ask(ann, "/referral")
    found = LINK.search(card.text)
    assert found is not None, card.text
    payload, code = found.groups()
    assert "1001" not in code and len(payload) <= 64

    # Boris, new to the bot, opens it: he is Ann's referral and Ann hears of it.
    mark = stack.standin.mark()
    await stack.ask(boris, f"/start {payload}")
    signed_up = await pushed(stack, ann, "joined TradeGuard", mark)
    assert "Boris" in signed_up.text

    # Boris pays 500 Stars; the worker's ledger earns Ann 30% of his first month, pending for the hold.
    mark = stack.standin.mark()
    await subscribe(stack, boris)
    earned = await pushed(stack, ann, "You earned a commission", mark)
    assert "150" in earned.text
    assert await lines(stack, 1001) == [("tier_1", Decimal(150), False)]

    # Past the hold, an admin's /payouts pays Ann once; the next run, the admin's or the worker's, nothing.
    clock.advance(timedelta(days=31))
    preview = await stack.ask(olga, "/payouts")
    assert "Ann (1001)" in preview.text and "will be paid" in preview.text
    mark = stack.standin.mark()
    done = await stack.press(olga, preview, preview.buttons[0]["callback_data"])
    assert done.text.startswith("1 payout made:")
    assert "150" in (await pushed(stack, ann, "Your payout of", mark)).text
    again = await stack.ask(olga, "/payouts")
    assert "Ann" not in again.text and again.buttons == []
    assert await stack.core.bot_services.payouts.run_payouts() == []  # the scheduled run, once more
    assert await stack.rows("SELECT amount, currency, status FROM payouts") == [(Decimal(150), "XTR", "sent")]

    # The admin refunds Boris after the payout: Ann keeps what was paid and carries -150 into the future.
    charge = await stack.scalar("SELECT external_id FROM payments WHERE type = 'paid'")
    asked = await stack.ask(olga, f"/refund {charge}")
    mark = stack.standin.mark()
    await stack.press(olga, asked, asked.buttons[0]["callback_data"])
    carried = await pushed(stack, ann, "A commission was taken back", mark)
    assert "150" in carried.text
    assert await lines(stack, 1001) == [("tier_1", Decimal(150), True), ("reversal", Decimal(-150), False)]
    standing = await stack.ask(ann, "/referral")
    assert "-150" in standing.text or "−150" in standing.text, standing.text

    # Ann refers herself through a second Telegram account that links her own MT5 login.
    await stack.link(ann, LOGIN, SERVER)
    ann_again = stack.user(1003, "Ann", "en")
    mark = stack.standin.mark()
    await stack.ask(ann_again, f"/start {payload}")
    await pushed(stack, ann, "joined TradeGuard", mark)
    await stack.link(ann_again, LOGIN, SERVER)
    await subscribe(stack, ann_again)  # her second account pays twice: Ann earns 150 + 75, held
    await subscribe(stack, ann_again)

    held = await pushed(stack, ann, "is on hold while a person reviews", mark)
    flagged = await pushed(stack, olga, "Fraud check", mark)
    assert "the same MT5 account" in held.text and str(LOGIN) not in held.text  # no evidence to her
    assert "shared_login" in flagged.text
    case = await stack.ask(olga, "/fraud")
    assert "Ann (id 1001)" in case.text and "shared_login" in case.text and str(LOGIN) in case.text
    standing = await stack.ask(ann, "/referral")
    assert "on hold" in standing.text

    async def earned_again() -> bool:
        return len(await lines(stack, 1001)) == 4

    await eventually(earned_again)
    clock.advance(timedelta(days=62))
    blocked = await stack.ask(olga, "/payouts")
    assert "Ann (1001)" in blocked.text and "held: open fraud case" in blocked.text  # 150 + 75 - 150
    assert blocked.buttons == []

    # Confirm: the held commission is taken back; the paid line and the carry stay as they are.
    confirmed = await stack.press(olga, case, case.buttons[0]["callback_data"])
    assert "confirmed" in confirmed.text.lower()
    assert await lines(stack, 1001) == [
        ("tier_1", Decimal(150), True),  # paid, stays paid
        ("reversal", Decimal(-150), False),  # the refund's carry
        ("tier_1", Decimal(150), False),  # the self-referral's: taken back
        ("tier_2", Decimal(75), False),
        ("reversal", Decimal(-150), False),
        ("reversal", Decimal(-75), False),
    ]
    assert await stack.scalar("SELECT count(*) FROM payouts") == 1
