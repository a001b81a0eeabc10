"""Admin commands: refused and audited for anyone else; a confirmed liquidation queues the EA's commands."""

from __future__ import annotations

from typing import Any

import pytest

from sim.ea.client import BridgeClient
from sim.ea.simulator import run_simulated_ea
from sim.telegram import SentMessage, SimUser
from tests.audit_sql import ACTOR
from tests.bot.conftest import ADMIN_ID, LOGIN, SERVER, Credentials, Stack

REFUSED = "Sorry, that command is for admins only. The attempt has been recorded."
CONFIRM = "liq:v1:1"  # the button names the link by its id: Ann's, the first in a clean database
BOB_LOGIN = 6023456


async def commands_of(stack: Stack, login: int = LOGIN) -> list[tuple[str, str]]:
    rows = await stack.rows(
        "SELECT c.type, c.status FROM commands c JOIN accounts a ON a.id = c.account_id"
        " WHERE a.login = :login ORDER BY c.created_at, c.type",
        login=login,
    )
    return [(row.type, row.status) for row in rows]


async def audit(stack: Stack, action: str) -> list[tuple[str, Any]]:
    rows = await stack.rows(
        f"SELECT {ACTOR} AS actor, details FROM audit_log WHERE action = :action ORDER BY id", action=action
    )
    return [(row.actor, row.details) for row in rows]


async def ea_commands(stack: Stack, creds: Credentials) -> list[dict[str, Any]]:
    async with BridgeClient(stack.http_url, creds.device_id, creds.secret, max_attempts=1) as client:
        return await client.commands()


async def trader_and_admin(stack: Stack) -> tuple[SimUser, SimUser, Credentials]:
    ann = stack.user(1001, "Ann", "en")
    admin = stack.user(ADMIN_ID, "Olga", "en")
    creds = await stack.link(ann)
    await stack.connect(creds)
    return ann, admin, creds


async def test_a_non_admin_is_refused_every_admin_command_and_each_attempt_is_audited(stack: Stack) -> None:
    ann, _, _ = await trader_and_admin(stack)

    answers = [
        await stack.ask(ann, command)
        for command in (f"/liquidate {LOGIN}", "/accounts_all", "/broadcast hi", f"/lock {LOGIN}")
    ]

    assert [answer.text for answer in answers] == [REFUSED] * 4
    assert await audit(stack, "admin.refused") == [
        ("user:1001", {"command": "liquidate"}),
        ("user:1001", {"command": "accounts_all"}),
        ("user:1001", {"command": "broadcast"}),
        ("user:1001", {"command": "lock"}),
    ]
    assert await commands_of(stack) == []


async def test_an_admin_refusal_is_in_the_users_language(stack: Stack) -> None:
    boris = stack.user(1002, "Boris", "es")

    answer = await stack.ask(boris, "/accounts_all")

    assert answer.text.startswith("Lo siento, ese comando es solo para administradores.")


async def ask_to_liquidate(stack: Stack, admin: SimUser) -> SentMessage:
    confirm = await stack.ask(admin, f"/liquidate {LOGIN} test")
    assert confirm.text == (
        f"Close out every position of account {LOGIN}@{SERVER} now and lock trading?\nNote: test"
    )
    assert [b["callback_data"] for b in confirm.buttons] == [CONFIRM, "liq:v1:no"]
    return confirm


async def test_the_admins_liquidate_asks_for_confirmation_and_queues_nothing_yet(stack: Stack) -> None:
    _, admin, _ = await trader_and_admin(stack)

    await ask_to_liquidate(stack, admin)

    assert await commands_of(stack) == []


async def test_confirming_a_liquidation_queues_close_all_and_lock_for_the_accounts_ea(stack: Stack) -> None:
    _, admin, creds = await trader_and_admin(stack)
    confirm = await ask_to_liquidate(stack, admin)
    mark = stack.standin.mark()

    done = await stack.press(admin, confirm, CONFIRM)
    warning = await stack.standin.wait_for_message(1001, lambda m: m.text.startswith("🚨"), after=mark)

    assert (
        done.text
        == f"Liquidation of account {LOGIN}@{SERVER} started: close_all and lock are queued for its EA."
    )
    assert stack.standin.current_message(ADMIN_ID, confirm.message_id).get("reply_markup") is None
    assert sorted(await commands_of(stack)) == [("close_all", "pending"), ("lock", "pending")]
    assert sorted(c["type"] for c in await ea_commands(stack, creds)) == ["close_all", "lock"]
    assert warning.text.startswith(f"🚨 Account {LOGIN} ({SERVER}): closed by an admin.")
    [(actor, details)] = await audit(stack, "admin.liquidate")
    assert actor == f"admin:{ADMIN_ID}" and details["note"] == "test"


async def test_cancelling_a_liquidation_queues_nothing(stack: Stack) -> None:
    _, admin, _ = await trader_and_admin(stack)
    confirm = await ask_to_liquidate(stack, admin)

    answer = await stack.press(admin, confirm, "liq:v1:no")

    assert answer.text == "Cancelled: nothing was done."
    assert await commands_of(stack) == []


async def test_a_non_admin_pressing_the_confirm_button_changes_nothing_and_is_audited(stack: Stack) -> None:
    ann, admin, _ = await trader_and_admin(stack)
    confirm = await ask_to_liquidate(stack, admin)
    mark = stack.standin.mark()

    update_id = await ann.press(confirm, CONFIRM)
    answered = await stack.standin.wait_for_callback_answer(update_id)

    assert answered.user_id == 1001 and answered.show_alert and answered.text == REFUSED
    assert stack.standin.sent[mark:] == []  # no edit of the admin's message, nothing said in their chat
    assert stack.standin.current_message(ADMIN_ID, confirm.message_id)["reply_markup"] is not None
    assert await commands_of(stack) == []
    assert await audit(stack, "admin.refused") == [("user:1001", {"command": f"press {CONFIRM}"})]
    assert await audit(stack, "admin.liquidate") == []
    # and the admin's own button still works
    done = await stack.press(admin, confirm, CONFIRM)
    assert done.text.startswith(f"Liquidation of account {LOGIN}@{SERVER} started")


async def test_a_forged_callback_from_a_non_admin_queues_nothing(stack: Stack) -> None:
    """A raw callback_query (no button on the user's screen) is checked like a press."""
    _, admin, _ = await trader_and_admin(stack)
    confirm = await ask_to_liquidate(stack, admin)
    mallory = stack.user(1666, "Mallory")
    message = stack.standin.current_message(ADMIN_ID, confirm.message_id)

    await stack.standin.queue_update(
        {
            "callback_query": {
                "id": "999001",
                "from": mallory.to_json(),
                "message": message,
                "chat_instance": "1",
                "data": CONFIRM,
            }
        }
    )
    await stack.eventually(
        f"SELECT {ACTOR} AS actor FROM audit_log WHERE action = 'admin.refused'", [("user:1666",)]
    )

    assert await commands_of(stack) == []


async def test_lock_and_unlock_queue_the_commands_and_tell_the_trader(stack: Stack) -> None:
    _, admin, creds = await trader_and_admin(stack)

    locked = await stack.ask(admin, f"/lock {LOGIN}")
    told_locked = await stack.standin.wait_for_message(1001, lambda m: m.text.startswith("🔒"))
    detail = await stack.ask(admin, f"/account {LOGIN}")
    unlocked = await stack.ask(admin, f"/unlock {LOGIN}")
    told_unlocked = await stack.standin.wait_for_message(1001, lambda m: m.text.startswith("🔓"))

    assert locked.text == f"Trading on account {LOGIN} is locked."
    assert told_locked.text == f"🔒 Trading on account {LOGIN} ({SERVER}) has been locked by an admin."
    assert "State: 🟢 protected · 🔒 trading locked" in detail.text
    assert "Pending commands: 1" in detail.text
    assert unlocked.text == f"Account {LOGIN} is unlocked; its guard starts a new episode."
    assert told_unlocked.text == f"🔓 Trading on account {LOGIN} ({SERVER}) has been unlocked by an admin."
    assert await commands_of(stack) == [("lock", "pending"), ("unlock", "pending")]
    assert [c["type"] for c in await ea_commands(stack, creds)] == ["lock", "unlock"]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/lock", "Usage: /lock <login> or /lock <login>@<server>"),
        ("/unlock abc", "Usage: /unlock <login> or /unlock <login>@<server>"),
        ("/liquidate", "Usage: /liquidate <login> or /liquidate <login>@<server>"),
        ("/account", "Usage: /account <login> or /account <login>@<server>"),
        ("/lock 999", "No linked account 999."),
        ("/account 999", "No linked account 999."),
    ],
)
async def test_admin_commands_with_a_missing_or_unknown_login_say_so(
    stack: Stack, command: str, answer: str
) -> None:
    admin = stack.user(ADMIN_ID, "Olga", "en")

    reply = await stack.ask(admin, command)

    assert reply.text == answer
    assert await stack.scalar("SELECT count(*) FROM commands") == 0


async def test_account_shows_state_peak_drawdown_pending_commands_and_last_contact(stack: Stack) -> None:
    ann = stack.user(1001)
    admin = stack.user(ADMIN_ID, "Olga", "en")
    creds = await stack.link(ann)
    await stack.connect(creds, equity="10250.00")
    await stack.send_snapshot(creds, 2)

    detail = await stack.ask(admin, f"/account {LOGIN}")

    lines = detail.text.split("\n")
    assert lines[0] == f"Account {LOGIN} ({SERVER})"
    assert lines[1:8] == [
        "State: 🟢 protected",
        "Breach: —",
        "Equity: $9,850.50",
        "Peak equity: $10,250.00",
        "Drawdown: 3.90% of 20.00%",
        "Open positions: 1",
        "Pending commands: 0",
    ]
    assert lines[8].startswith("Last EA contact: ") and lines[8].endswith(" ago")


async def test_accounts_all_filters_by_guard_state_and_refuses_an_unknown_state(stack: Stack) -> None:
    _, admin, creds = await trader_and_admin(stack)
    bob = stack.user(1002, "Bob")
    bob_creds = await stack.link(bob, BOB_LOGIN, "Other-Demo")
    await stack.connect(bob_creds)
    confirm = await ask_to_liquidate(stack, admin)
    await stack.press(admin, confirm, CONFIRM)
    ea = await run_simulated_ea(
        stack.http_url,
        creds.device_id,
        creds.secret,
        "steady",
        login=LOGIN,
        server=SERVER,
        interval=0,
        steps=0,
    )
    await stack.standin.wait_for_message(1001, lambda m: m.text.startswith("🛑"))

    everything = await stack.ask(admin, "/accounts_all")
    liquidated = await stack.ask(admin, "/accounts_all liquidated")
    normal = await stack.ask(admin, "/accounts_all normal")
    pending = await stack.ask(admin, "/accounts_all liquidation_pending")
    bogus = await stack.ask(admin, "/accounts_all bogus")

    assert ea.errors == []
    assert everything.text.startswith("Accounts (2 accounts, state: *)")
    assert str(LOGIN) in everything.text and str(BOB_LOGIN) in everything.text
    assert liquidated.text.startswith("Accounts (1 account, state: liquidated)")
    assert f"• {LOGIN} {SERVER} — ⛔ liquidated, trading locked" in liquidated.text
    assert str(BOB_LOGIN) not in liquidated.text
    assert normal.text.startswith("Accounts (1 account, state: normal)") and str(LOGIN) not in normal.text
    assert pending.text == "No accounts match."
    assert bogus.text == (
        "Usage: /accounts_all [state], state one of: "
        "normal, warning, liquidation_pending, liquidating, liquidated"
    )


async def test_an_action_the_account_state_forbids_is_refused_naming_the_state(stack: Stack) -> None:
    _, admin, _ = await trader_and_admin(stack)
    confirm = await stack.ask(admin, f"/liquidate {LOGIN}")
    await stack.press(admin, confirm, CONFIRM)
    commands_before = await commands_of(stack)

    again = await stack.ask(admin, f"/liquidate {LOGIN}")
    refused = await stack.press(admin, again, CONFIRM)

    assert refused.text == f"Not done for account {LOGIN}@{SERVER}: 🔴 closing positions · 🔒 trading locked"
    assert await commands_of(stack) == commands_before


async def test_an_action_on_an_account_without_data_says_so_in_the_admins_language(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "en")
    admin = stack.user(ADMIN_ID, "Olga", "es")
    await stack.link(ann)

    answer = await stack.ask(admin, f"/lock {LOGIN}")

    assert answer.text == f"No se hizo para la cuenta {LOGIN}: aún no hay datos de su EA"
    assert await commands_of(stack) == []
