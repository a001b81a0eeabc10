"""/subscribe against the stand-in: the plans with a button each, an invoice in Stars, paying records a
payment and thanks the payer, a tampered invoice is refused at pre-checkout, a renewal extends the period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.handlers import subscribe as subscribe_handlers
from sim.telegram import SentMessage, SimUser
from tests.bot.conftest import REPLY_TIMEOUT, Stack

ANN = 1001


async def invoice_for(stack: Stack, user: SimUser) -> SentMessage:
    plans = await stack.ask(user, "/subscribe")
    mark = stack.standin.mark()
    await user.press(plans, "plan:v1:month")
    return await stack.standin.wait_for_message(
        user.chat_id, lambda m: m.method == "sendInvoice", REPLY_TIMEOUT, after=mark
    )


async def pay(stack: Stack, user: SimUser, invoice: SentMessage) -> SentMessage:
    mark = stack.standin.mark()
    update_id = await stack.standin.pay(user.user_id, invoice)
    answer = await stack.standin.wait_for_checkout_answer(update_id)
    assert answer.ok, answer.error_message
    return await stack.standin.wait_for_message(
        user.chat_id, lambda m: m.text.startswith("Thank you"), REPLY_TIMEOUT, after=mark
    )


async def test_subscribe_lists_the_plans_with_a_button_each(stack: Stack) -> None:
    plans = await stack.ask(stack.user(ANN), "/subscribe")

    assert "month: 30 days for 500 Stars" in plans.text
    assert [button["callback_data"] for button in plans.buttons] == ["plan:v1:month"]


async def test_pressing_a_plan_sends_a_stars_invoice(stack: Stack) -> None:
    invoice = await invoice_for(stack, stack.user(ANN))

    message = stack.standin.current_message(ANN, invoice.message_id)
    assert message is not None
    assert message["invoice"]["currency"] == "XTR" and message["invoice"]["total_amount"] == 500
    assert stack.standin.payments.invoices[(ANN, invoice.message_id)].payload == f"sub:v1:month:{ANN}"


async def test_paying_records_the_payment_and_thanks_the_payer(stack: Stack) -> None:
    ann = stack.user(ANN)
    thanks = await pay(stack, ann, await invoice_for(stack, ann))

    rows = await stack.rows(
        "SELECT p.source, p.type, p.amount, p.currency, p.plan, p.external_id, p.period_end - p.period_start"
        " AS length, p.ledgered_at, u.telegram_id FROM payments p JOIN users u ON u.id = p.user_id"
    )
    assert len(rows) == 1
    row = rows[0]
    assert (row.source, row.type, row.amount) == ("stars", "paid", 500)
    assert (row.currency, row.plan) == ("XTR", "month")
    assert row.external_id in stack.standin.payments.charges
    assert row.length == timedelta(days=30) and row.telegram_id == ANN  # ledgered_at: the ledger's (rung)
    assert "paid until" in thanks.text
    assert await stack.scalar("SELECT count(*) FROM audit_log WHERE action = 'payment.paid'") == 1


async def test_a_renewal_extends_the_running_period(stack: Stack) -> None:
    ann = stack.user(ANN)
    await pay(stack, ann, await invoice_for(stack, ann))
    await pay(stack, ann, await invoice_for(stack, ann))

    rows = await stack.rows("SELECT type, period_start, period_end FROM payments ORDER BY period_start")
    assert [row.type for row in rows] == ["paid", "renewed"]
    assert rows[1].period_start == rows[0].period_end
    assert rows[1].period_end - rows[0].period_start == timedelta(days=60)


async def test_a_tampered_invoice_is_refused_at_checkout_and_nothing_is_recorded(stack: Stack) -> None:
    ann, eve = stack.user(ANN), stack.user(1666, "Eve")
    invoice = await invoice_for(stack, ann)
    await stack.ask(eve, "/start")

    cheap = await stack.standin.pay(ANN, invoice, total_amount=1)
    forged = await stack.standin.pay(ANN, invoice, payload="sub:v1:month:1666")
    not_hers = await stack.standin.pay(1666, invoice)

    answers = [await stack.standin.wait_for_checkout_answer(u) for u in (cheap, forged, not_hers)]
    assert [a.ok for a in answers] == [False, False, False]
    changed = "The price of this plan has changed. Open /subscribe for a new invoice."
    assert answers[0].error_message == changed
    assert answers[1].error_message == "This invoice is not valid for you. Open /subscribe for a new one."
    assert stack.standin.payments.charges == {}
    assert await stack.scalar("SELECT count(*) FROM payments") == 0


async def test_the_checkout_refusal_is_in_the_payers_language(stack: Stack) -> None:
    olga = stack.user(2002, "Olga", "ru")
    invoice = await invoice_for(stack, olga)

    answer = await stack.standin.wait_for_checkout_answer(
        await stack.standin.pay(2002, invoice, total_amount=499)
    )

    assert answer.error_message == "Цена тарифа изменилась. Откройте /subscribe, чтобы получить новый счёт."


async def test_a_payment_is_recorded_through_a_short_outage_and_logged_for_an_operator_after_a_long_one(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram never sends a successful_payment twice: a database blip must not lose the payment."""
    monkeypatch.setattr(subscribe_handlers, "RECORD_RETRY_SECONDS", (0.01, 0.01, 0.01))
    payments = stack.core.bot_services.payments
    real, failures = payments.record_stars, {"left": 2}

    async def flaky(*args: object) -> object:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionError("database restarting")
        return await real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(payments, "record_stars", flaky)
    ann, boris = stack.user(ANN), stack.user(1002, "Boris")

    thanks = await pay(stack, ann, await invoice_for(stack, ann))

    assert await stack.scalar("SELECT count(*) FROM payments") == 1 and "Thank you" in thanks.text
    failures["left"] = 99
    invoice = await invoice_for(stack, boris)
    mark = stack.standin.mark()
    answer = await stack.standin.wait_for_checkout_answer(await stack.standin.pay(boris.user_id, invoice))
    assert answer.ok
    told = await stack.standin.wait_for_message(
        boris.chat_id, lambda m: "could not record it" in m.text, REPLY_TIMEOUT, after=mark
    )
    charge = told.entity_texts("code")[0]
    assert await stack.scalar("SELECT count(*) FROM payments") == 1  # not recorded: logged instead
    assert any(charge in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
