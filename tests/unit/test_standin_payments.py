"""The stand-in's Telegram Stars payments, through the real python-telegram-bot client: invoices refused
as Telegram refuses them, a user paying (pre-checkout, then successful_payment), and refunds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, LabeledPrice, Update
from telegram.error import BadRequest

from sim.telegram import BOT_ID, BotApiStandIn, SentMessage

TOKEN = f"{BOT_ID}:AAStandInPayments_0123456789-abc"
ANN = 5012345001


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=TOKEN) as server:
        server.user(ANN)
        yield server


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{standin.url}/bot") as client:
        yield client


async def invoice(bot: Bot, **overrides: Any) -> None:
    terms: dict[str, Any] = {
        "chat_id": ANN,
        "title": "Month",
        "description": "30 days of TradeGuard",
        "payload": "sub:v1:month:1",
        "currency": "XTR",
        "prices": [LabeledPrice("Month", 500)],
    }
    await bot.send_invoice(**(terms | overrides))


async def sent_invoice(bot: Bot, standin: BotApiStandIn) -> SentMessage:
    await invoice(bot)
    return next(m for m in standin.sent if m.method == "sendInvoice")


async def next_update(bot: Bot, offset: int = 0) -> Update:
    updates = await bot.get_updates(offset=offset, timeout=0)
    assert updates, "no update queued"
    return updates[-1]


async def test_an_invoice_in_stars_is_sent_and_recorded(bot: Bot, standin: BotApiStandIn) -> None:
    await invoice(bot)

    sent = standin.sent[-1]
    assert sent.method == "sendInvoice" and sent.chat_id == ANN
    message = standin.current_message(ANN, sent.message_id)
    assert message is not None
    assert message["invoice"]["currency"] == "XTR" and message["invoice"]["total_amount"] == 500


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"currency": "USD"}, "PAYMENT_PROVIDER_INVALID"),
        ({"provider_token": "284685063:TEST:abc"}, "PAYMENT_PROVIDER_INVALID"),
        ({"prices": [LabeledPrice("a", 1), LabeledPrice("b", 2)]}, "STARS_INVOICE_INVALID"),
        ({"prices": []}, "STARS_INVOICE_INVALID"),
        ({"prices": [LabeledPrice("Month", 0)]}, "CURRENCY_TOTAL_AMOUNT_INVALID"),
        ({"prices": [LabeledPrice("Month", 10_001)]}, "CURRENCY_TOTAL_AMOUNT_INVALID"),
        ({"payload": "x" * 129}, "INVOICE_PAYLOAD_INVALID"),
        ({"title": "t" * 33}, "TITLE_INVALID"),
        ({"description": "d" * 256}, "DESCRIPTION_INVALID"),
        ({"max_tip_amount": 10}, "STARS_INVOICE_INVALID"),
    ],
)
async def test_a_malformed_invoice_is_refused_and_not_sent(
    bot: Bot, standin: BotApiStandIn, overrides: dict[str, Any], error: str
) -> None:
    with pytest.raises(BadRequest, match=rf"(?i){error}"):
        await invoice(bot, **overrides)

    assert standin.sent == []


async def test_paying_asks_the_bot_first_then_delivers_the_payment_with_a_unique_charge_id(
    bot: Bot, standin: BotApiStandIn
) -> None:
    charges = []
    sent = await sent_invoice(bot, standin)
    for _ in range(2):
        update_id = await standin.pay(ANN, sent)
        query = (await next_update(bot, update_id)).pre_checkout_query
        assert query is not None and query.invoice_payload == "sub:v1:month:1"
        assert query.total_amount == 500 and query.from_user.id == ANN

        assert await query.answer(ok=True)

        answer = await standin.wait_for_checkout_answer(update_id)
        paid = (await next_update(bot, update_id + 1)).message
        assert paid is not None and paid.successful_payment is not None
        assert paid.successful_payment.currency == "XTR" and paid.successful_payment.total_amount == 500
        assert paid.successful_payment.telegram_payment_charge_id == answer.charge_id
        charges.append(answer.charge_id)
    assert len(set(charges)) == 2


async def test_a_refused_checkout_charges_nothing(bot: Bot, standin: BotApiStandIn) -> None:
    sent = await sent_invoice(bot, standin)
    update_id = await standin.pay(ANN, sent, total_amount=1)
    query = (await next_update(bot, update_id)).pre_checkout_query
    assert query is not None and query.total_amount == 1

    await query.answer(ok=False, error_message="The price changed.")

    answer = await standin.wait_for_checkout_answer(update_id)
    assert answer.ok is False and answer.error_message == "The price changed."
    assert standin.payments.charges == {}
    assert [u for u in standin.pending_updates if u["update_id"] > update_id] == []
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer(ok=True)


async def test_refusing_a_checkout_needs_an_error_message(bot: Bot, standin: BotApiStandIn) -> None:
    update_id = await standin.pay(ANN, await sent_invoice(bot, standin))
    query = (await next_update(bot, update_id)).pre_checkout_query
    assert query is not None

    with pytest.raises(BadRequest, match=r"(?i)ERROR_MESSAGE_EMPTY"):
        await query.answer(ok=False)


async def test_a_charge_is_refunded_once_and_only_to_its_payer(bot: Bot, standin: BotApiStandIn) -> None:
    update_id = await standin.pay(ANN, await sent_invoice(bot, standin))
    query = (await next_update(bot, update_id)).pre_checkout_query
    assert query is not None
    await query.answer(ok=True)
    charge_id = (await standin.wait_for_checkout_answer(update_id)).charge_id
    assert charge_id is not None

    with pytest.raises(BadRequest, match=r"(?i)CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(ANN + 1, charge_id)
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(ANN, "stxNoSuchCharge")
    assert await bot.refund_star_payment(ANN, charge_id)
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(ANN, charge_id)
    assert standin.payments.charges[charge_id].refunded
