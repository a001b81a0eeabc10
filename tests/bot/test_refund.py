"""/refund <charge id> (admins) against the stand-in: confirmed with a button, refunded at Telegram and
recorded as a `refunded` event for the same period; refused for a trader, an unknown charge, or a charge
refunded already, with nothing changed."""

from __future__ import annotations

from sim.telegram import SimUser
from tests.audit_sql import ACTOR
from tests.bot.conftest import ADMIN_ID, Stack
from tests.bot.test_subscribe import invoice_for, pay

ANN = 1001
REFUSED = "Sorry, that command is for admins only. The attempt has been recorded."


async def paid_charge(stack: Stack, user: SimUser) -> str:
    await pay(stack, user, await invoice_for(stack, user))
    charge = await stack.scalar("SELECT external_id FROM payments WHERE type = 'paid'")
    assert isinstance(charge, str)
    return charge


async def test_an_admin_refunds_a_stars_payment_after_confirming(stack: Stack) -> None:
    ann, olga = stack.user(ANN), stack.user(ADMIN_ID, "Olga")
    charge = await paid_charge(stack, ann)

    asked = await stack.ask(olga, f"/refund {charge}")
    assert "Refund 500 Stars to user 1001?" in asked.text
    done = await stack.press(olga, asked, asked.buttons[0]["callback_data"])

    assert done.text == "Refunded 500 Stars to user 1001; the refund is recorded."
    assert stack.standin.payments.charges[charge].refunded
    rows = await stack.rows("SELECT type, external_id, period_start, period_end FROM payments ORDER BY id")
    assert [(r.type, r.external_id) for r in rows] == [("paid", charge), ("refunded", f"refund:{charge}")]
    assert (rows[0].period_start, rows[0].period_end) == (rows[1].period_start, rows[1].period_end)
    audited = await stack.rows(f"SELECT {ACTOR} AS actor FROM audit_log WHERE action = 'payment.refunded'")
    assert [row.actor for row in audited] == [f"admin:{ADMIN_ID}"]


async def test_a_charge_refunded_already_is_refused_and_nothing_changes(stack: Stack) -> None:
    ann, olga = stack.user(ANN), stack.user(ADMIN_ID, "Olga")
    charge = await paid_charge(stack, ann)
    asked = await stack.ask(olga, f"/refund {charge}")
    await stack.press(olga, asked, asked.buttons[0]["callback_data"])

    again = await stack.ask(olga, f"/refund {charge}")

    assert again.text == f"The payment {charge} was refunded already. Nothing was changed."
    assert again.buttons == []
    assert await stack.scalar("SELECT count(*) FROM payments") == 2


async def test_an_unknown_charge_is_refused(stack: Stack) -> None:
    olga = stack.user(ADMIN_ID, "Olga")

    answer = await stack.ask(olga, "/refund stxNoSuchCharge")

    assert answer.text == "No Stars payment has the charge id stxNoSuchCharge. Nothing was changed."
    assert await stack.scalar("SELECT count(*) FROM payments") == 0


async def test_a_trader_may_not_refund_nor_press_the_admins_button(stack: Stack) -> None:
    ann, olga, mallory = stack.user(ANN), stack.user(ADMIN_ID, "Olga"), stack.user(1666, "Mallory")
    charge = await paid_charge(stack, ann)
    asked = await stack.ask(olga, f"/refund {charge}")

    refused = await stack.ask(mallory, f"/refund {charge}")
    update_id = await mallory.press(asked, asked.buttons[0]["callback_data"])
    pressed = await stack.standin.wait_for_callback_answer(update_id)

    assert refused.text == REFUSED
    assert pressed.text == REFUSED and pressed.show_alert
    assert not stack.standin.payments.charges[charge].refunded
    assert await stack.scalar("SELECT count(*) FROM payments WHERE type = 'refunded'") == 0
