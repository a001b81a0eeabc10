"""/halt and /resume through the real bot: admins only, a confirm button checked again on press, every
trader told once in their language, and the halt shown to admins and kept across a restart."""

from __future__ import annotations

from typing import Any

from core.config import Settings
from core.domain.commands import CommandRequest, CommandType
from core.domain.halt import TradingHalted
from sim.telegram import BotApiStandIn, SentMessage, SimUser
from tests.audit_sql import ACTOR
from tests.bot.conftest import ADMIN_ID, Stack, start_stack
from tests.bot.test_admin import REFUSED

HALT, RESUME, CANCEL = "halt:v1:halt", "halt:v1:resume", "halt:v1:no"
OPEN = CommandRequest(
    "open:sig_1:1", CommandType.OPEN_POSITION, "signal", {"symbol": "EURCHF", "side": "buy"}
)
HALTED_EN = "⏸ New trades are paused on every account since"
HALTED_ES = "⏸ Los administradores de TradeGuard han pausado las nuevas operaciones"
RESUMED_EN = "▶️ New trades are allowed again"
RESUMED_ES = "▶️ Se vuelven a permitir nuevas operaciones"


async def audit(stack: Stack, action: str) -> list[tuple[str, Any]]:
    rows = await stack.rows(
        f"SELECT {ACTOR} AS actor, details FROM audit_log WHERE action = :action ORDER BY id", action=action
    )
    return [(row.actor, row.details) for row in rows]


async def traders_and_admin(stack: Stack) -> tuple[SimUser, SimUser, SimUser]:
    ann, boris = stack.user(1001, "Ann", "en"), stack.user(1002, "Boris", "es")
    await stack.link(ann)
    await stack.link(boris, 6023456, "Other-Demo")
    return ann, boris, stack.user(ADMIN_ID, "Olga", "en")


async def told(stack: Stack, chat_id: int, start: str) -> list[str]:
    return [m.text for m in stack.standin.sent if m.chat_id == chat_id and m.text.startswith(start)]


async def issue_open_position(stack: Stack) -> str:
    """What any future issuer of open_position meets: the command repository, in one unit of work."""
    account_id = await stack.scalar("SELECT min(id) FROM accounts")
    async with stack.core.bot_services.users.uow() as uow:
        try:
            await uow.commands.issue(account_id, OPEN, stack.core.clock(), 60)
        except TradingHalted:
            return "refused"
        await uow.commit()
    return "issued"


async def ask_to_halt(stack: Stack, admin: SimUser, note: str = "SNB floor") -> SentMessage:
    confirm = await stack.ask(admin, f"/halt {note}")
    assert confirm.text.startswith("Halt new trades on every account?")
    assert confirm.text.endswith(f"Note: {note}")
    assert [b["callback_data"] for b in confirm.buttons] == [HALT, CANCEL]
    return confirm


async def test_a_trader_is_refused_halt_and_resume_and_each_attempt_is_audited(stack: Stack) -> None:
    ann, _, _ = await traders_and_admin(stack)

    answers = [await stack.ask(ann, command) for command in ("/halt stop it", "/resume")]

    assert [answer.text for answer in answers] == [REFUSED, REFUSED]
    assert await audit(stack, "admin.refused") == [
        ("user:1001", {"command": "halt"}),
        ("user:1001", {"command": "resume"}),
    ]
    assert await stack.scalar("SELECT count(*) FROM halts") == 0


async def test_halt_then_resume_tells_each_trader_once_each_way_and_gates_new_positions(stack: Stack) -> None:
    ann, boris, admin = await traders_and_admin(stack)
    confirm = await ask_to_halt(stack, admin)
    assert await stack.scalar("SELECT count(*) FROM halts") == 0  # asking changes nothing

    done = await stack.press(admin, confirm, HALT)
    await stack.standin.wait_for_message(ann.chat_id, lambda m: m.text.startswith(HALTED_EN))
    await stack.standin.wait_for_message(boris.chat_id, lambda m: m.text.startswith(HALTED_ES))
    menu = await stack.ask(admin, "/admin")
    again = await stack.ask(admin, "/halt twice")
    while_halted = await issue_open_position(stack)
    resume = await stack.ask(admin, "/resume")
    resumed = await stack.press(admin, resume, RESUME)
    await stack.standin.wait_for_message(ann.chat_id, lambda m: m.text.startswith(RESUMED_EN))
    await stack.standin.wait_for_message(boris.chat_id, lambda m: m.text.startswith(RESUMED_ES))
    after = await issue_open_position(stack)

    assert done.text == (
        "Halt #1 is in force: no new position is opened on any account. "
        "Traders told: 2; queued orders withdrawn: 0. /resume ends it."
    )
    assert stack.standin.current_message(ADMIN_ID, confirm.message_id).get("reply_markup") is None
    assert menu.text.startswith("Halt #1 ⏸ new trades halted since ")
    assert menu.text.split("\n")[0].endswith(f" by {ADMIN_ID}. Note: SNB floor")
    assert "/halt, /resume" in menu.text
    assert again.text.startswith("Trading is already halted (halt #1, since ") and again.buttons == []
    assert while_halted == "refused"
    assert resume.text.startswith("Resume new trades on every account (halt #1, since ")
    assert resumed.text == "Halt #1 has ended: new positions may be opened again. Traders told: 2."
    assert after == "issued"
    for chat_id in (ann.chat_id, boris.chat_id):
        assert len(await told(stack, chat_id, "⏸")) == 1 and len(await told(stack, chat_id, "▶️")) == 1
    [(halted_by, halted)] = await audit(stack, "admin.halt")
    [(resumed_by, resumed_details)] = await audit(stack, "admin.resume")
    assert halted_by == resumed_by == f"admin:{ADMIN_ID}"
    assert halted["note"] == "SNB floor" and halted["traders_told"] == 2 and resumed_details["halt"] == 1


async def test_a_non_admin_pressing_the_halt_button_changes_nothing_and_is_audited(stack: Stack) -> None:
    ann, _, admin = await traders_and_admin(stack)
    confirm = await ask_to_halt(stack, admin)
    mark = stack.standin.mark()

    update_id = await ann.press(confirm, HALT)
    answered = await stack.standin.wait_for_callback_answer(update_id)

    assert answered.user_id == ann.chat_id and answered.show_alert and answered.text == REFUSED
    assert stack.standin.sent[mark:] == []
    assert stack.standin.current_message(ADMIN_ID, confirm.message_id)["reply_markup"] is not None
    assert await stack.scalar("SELECT count(*) FROM halts") == 0
    assert await audit(stack, "admin.refused") == [("user:1001", {"command": f"press {HALT}"})]
    assert await issue_open_position(stack) == "issued"


async def test_cancelling_a_halt_does_nothing_and_resume_without_a_halt_says_so(stack: Stack) -> None:
    _, _, admin = await traders_and_admin(stack)
    confirm = await ask_to_halt(stack, admin)

    cancelled = await stack.press(admin, confirm, CANCEL)
    resume = await stack.ask(admin, "/resume")

    assert cancelled.text == "Cancelled: nothing was done."
    assert resume.text == "Trading is not halted: there is nothing to resume." and resume.buttons == []
    assert await stack.scalar("SELECT count(*) FROM halts") == 0
    assert await stack.scalar("SELECT count(*) FROM outbox WHERE kind = 'trading_halted'") == 0


async def test_a_halt_survives_a_restart_and_is_shown_at_the_top_of_accounts_all(
    fresh_state: None, standin: BotApiStandIn, bot_settings: Settings
) -> None:
    async with start_stack(standin, bot_settings) as before:
        _, _, admin = await traders_and_admin(before)
        await before.press(admin, await ask_to_halt(before, admin, "restart test"), HALT)

    async with start_stack(standin, bot_settings) as after:  # the process again, on the same database
        listing = await after.ask(admin, "/accounts_all")
        refused = await issue_open_position(after)

    assert listing.text.startswith("Halt #1 ⏸ new trades halted since ")
    assert "Note: restart test" in listing.text.split("\n")[0]
    assert listing.text.split("\n")[1] == "Accounts (2 accounts, state: *)"
    assert refused == "refused"
