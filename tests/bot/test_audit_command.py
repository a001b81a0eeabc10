"""/audit through the stand-in: an admin pages the entries about an account or user (newest first, ten a
page, ◀ ▶ in place), each line who/what/when/why in their language; a trader is refused on the command
and on a press; bad input answers the usage and changes nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.domain.models import AuditEntry
from sim.telegram import SentMessage
from tests.audit_sql import ACTOR
from tests.bot.conftest import ADMIN_ID, LOGIN, SERVER, Stack

REFUSED = "Sorry, that command is for admins only. The attempt has been recorded."
USAGE = (
    "Usage: /audit <login|login@server|Telegram id|@username> [days], days from 1 to 365 (30 if left out)."
)


async def lock_notes(stack: Stack, count: int, ago: timedelta = timedelta(0)) -> None:
    """`count` admin locks of LOGIN, noted n0 … n<count-1> in the order written."""
    async with stack.core.bot_services.users.uow() as uow:
        for n in range(count):
            entry = AuditEntry(f"admin:{ADMIN_ID}", "admin.lock", f"account:{LOGIN}", {"note": f"n{n}"})
            await uow.audit.append(entry, stack.core.clock() - ago)
        await uow.commit()


def buttons(message: SentMessage | dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    markup = message.reply_markup if isinstance(message, SentMessage) else message.get("reply_markup")
    rows = (markup or {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


async def page_after(stack: Stack, message: SentMessage, data: str) -> dict:  # type: ignore[type-arg]
    """Press `data` as the admin and the message once edited in place."""
    before = stack.standin.current_message(message.chat_id, message.message_id)
    update_id = await stack.user(ADMIN_ID, "Olga").press(message, data)
    await stack.standin.wait_for_callback_answer(update_id)
    for _ in range(200):
        now = stack.standin.current_message(message.chat_id, message.message_id)
        if now != before:
            assert now is not None
            return now
        await asyncio.sleep(0.02)
    raise AssertionError("the page was not edited")


async def test_an_admin_pages_an_accounts_entries_newest_first_ten_a_page(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    await stack.link(ann)  # account.linked, by user 1001
    await lock_notes(stack, 21)
    await lock_notes(stack, 1, ago=timedelta(days=40))  # outside the default 30 days
    olga = stack.user(ADMIN_ID, "Olga")

    first = await stack.ask(olga, f"/audit {LOGIN}@{SERVER}")

    assert first.text.startswith(f"📜 Audit of {LOGIN}@{SERVER} · last 30 days: 22 entries (page 1 of 3)")
    assert first.text.count("Trading locked by an admin") == 10
    assert "why — note: n20" in first.text and "why — note: n11" in first.text
    assert first.text.index("n20") < first.text.index("n11") and "n10" not in first.text
    assert f"admin {ADMIN_ID}" in first.text
    assert [text for text, _ in buttons(first)] == ["▶"]

    second = await page_after(stack, first, buttons(first)[0][1])
    assert "(page 2 of 3)" in second["text"] and "n10" in second["text"] and "note: n0" not in second["text"]
    assert [text for text, _ in buttons(second)] == ["◀", "▶"]
    third = await page_after(stack, first, buttons(second)[1][1])
    assert "(page 3 of 3)" in third["text"] and "n0" in third["text"]
    assert "Account linked" in third["text"] and "user 1001" in third["text"]
    assert [text for text, _ in buttons(third)] == ["◀"]
    back = await page_after(stack, first, buttons(third)[0][1])
    assert back["text"] == second["text"]

    older = await stack.ask(olga, f"/audit {LOGIN} 60")  # a bare number: the login (and a user, if one)
    assert "last 60 days: 23 entries (page 1 of 3)" in older.text
    assert buttons(older)[0][1].startswith("au:v1:60:1:")  # short, versioned: au:v1:<days>:<page>:<target>
    assert "(page 2 of 3)" in (await page_after(stack, older, buttons(older)[0][1]))["text"]


async def test_a_user_is_named_by_telegram_id_or_username_and_shows_as_erased_once_erased(
    stack: Stack,
) -> None:
    ann = stack.standin.user(1001, "Ann", "es", username="ann_trades")
    await stack.link(ann)
    olga = stack.user(ADMIN_ID, "Olga", "es")

    by_name = await stack.ask(olga, "/audit @ann_trades")
    by_id = await stack.ask(olga, "/audit 1001")

    assert by_name.text.startswith(
        "📜 Auditoría de @ann_trades · último 1 día".replace("último 1 día", "últimos 30 días")
    )
    assert "Cuenta vinculada" in by_name.text and "usuario 1001" in by_name.text
    assert by_id.text.split("\n", 1)[1] == by_name.text.split("\n", 1)[1]
    async with stack.core.bot_services.users.uow() as uow:
        assert await uow.audit.erase_personal(1001, stack.core.clock()) >= 1
        await uow.commit()
    erased = await stack.ask(olga, "/audit 1001")
    assert "Cuenta vinculada" in erased.text and "una persona cuyos datos se borraron" in erased.text
    assert "usuario 1001" not in erased.text
    nobody = await stack.ask(olga, "/audit @nobody_here")
    assert nobody.text == "No hay ninguna cuenta ni usuario @nobody_here."


async def test_a_trader_is_refused_the_command_and_the_buttons_and_each_attempt_is_audited(
    stack: Stack,
) -> None:
    await lock_notes(stack, 12)
    olga = stack.user(ADMIN_ID, "Olga")
    page = await stack.ask(olga, f"/audit {LOGIN}")
    mallory = stack.user(1666, "Mallory")

    refused = await stack.ask(mallory, f"/audit {LOGIN}")
    update_id = await mallory.press(page, buttons(page)[0][1])
    answered = await stack.standin.wait_for_callback_answer(update_id)

    assert refused.text == REFUSED and "n11" not in refused.text
    assert answered.show_alert and answered.text == REFUSED
    current = stack.standin.current_message(page.chat_id, page.message_id)
    assert current is not None and "(page 1 of 2)" in current["text"]  # the admin's page stays
    rows = await stack.rows(
        f"SELECT {ACTOR} AS actor, details->>'command' AS command FROM audit_log"
        " WHERE action = 'admin.refused' ORDER BY id"
    )
    assert [(row.actor, row.command) for row in rows] == [
        ("user:1666", "audit")
    ] * 2  # the gate's, the press's


async def test_bad_input_answers_the_usage_and_changes_nothing(stack: Stack) -> None:
    olga = stack.user(ADMIN_ID, "Olga")
    await stack.ask(olga, "/start")
    before = await stack.scalar("SELECT count(*) FROM audit_log")

    for text in ("/audit", f"/audit {LOGIN} 0", f"/audit {LOGIN} 366", f"/audit {LOGIN} x", "/audit 0042",
                 f"/audit {LOGIN} 30 more", "/audit @ab"):  # fmt: skip
        assert (await stack.ask(olga, text)).text == USAGE, text

    assert await stack.scalar("SELECT count(*) FROM audit_log") == before
