"""The gate and the handlers agree on what a command is, and the admin use cases check who asks anyway:
however a trader dresses up an admin command, they see no one's account and the attempt is on record."""

from __future__ import annotations

import pytest

from sim.telegram import BOT_USERNAME
from tests.audit_sql import ACTOR, NAMES_A_PERSON
from tests.bot.conftest import ADMIN_ID, LOGIN, SERVER, Stack

REFUSED = "Sorry, that command is for admins only. The attempt has been recorded."
OTHER_LOGIN = 6023456


async def refusals(stack: Stack) -> list[tuple[str, str]]:
    rows = await stack.rows(
        f"SELECT {ACTOR} AS actor, details->>'command' AS command FROM audit_log"
        " WHERE action = 'admin.refused'"
    )
    return [(row.actor, row.command) for row in rows]


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/accounts_all,", "accounts_all"),
        ("/accounts_all.", "accounts_all"),
        ("/accounts_all!!", "accounts_all"),
        ("/accounts_all:liquidated", "accounts_all"),
        ("/ACCOUNTS_ALL", "accounts_all"),
        (f"/accounts_all@{BOT_USERNAME}", "accounts_all"),
        (f"/account, {OTHER_LOGIN}", "account"),
        (f"/account; {OTHER_LOGIN}", "account"),
        (f"/account@{BOT_USERNAME}, {OTHER_LOGIN}", "account"),
        (f"/liquidate, {OTHER_LOGIN}", "liquidate"),
        (f"/lock) {OTHER_LOGIN}", "lock"),
    ],
)
async def test_an_admin_command_followed_by_punctuation_is_still_refused_to_a_trader(
    stack: Stack, text: str, command: str
) -> None:
    bob = stack.user(1002, "Bob")
    bob_creds = await stack.link(bob, OTHER_LOGIN, "Other-Demo")
    await stack.connect(bob_creds, equity="12345.67")
    mallory = stack.user(1666, "Mallory")

    answer = await stack.ask(mallory, text)

    assert answer.text == REFUSED
    assert str(OTHER_LOGIN) not in answer.text and "12,345.67" not in answer.text
    assert await refusals(stack) == [("user:1666", command)]
    assert await stack.scalar(NAMES_A_PERSON) == 0  # stored pseudonymously, read back above
    assert await stack.scalar("SELECT count(*) FROM commands") == 0


async def test_an_admin_gets_the_same_command_with_punctuation(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    await stack.connect(await stack.link(ann))
    admin = stack.user(ADMIN_ID, "Olga", "en")

    listing = await stack.ask(admin, "/accounts_all,")
    detail = await stack.ask(admin, f"/account, {LOGIN}")

    assert listing.text.startswith("Accounts (1 account, state: *)")
    assert detail.text.startswith(f"Account {LOGIN} ({SERVER})")


async def test_a_login_on_two_servers_asks_the_admin_to_name_one(stack: Stack) -> None:
    ann, bob = stack.user(1001, "Ann"), stack.user(1002, "Bob")
    await stack.connect(await stack.link(ann, LOGIN, "Alpha-Live"))
    await stack.connect(await stack.link(bob, LOGIN, "Beta-Live"))
    admin = stack.user(ADMIN_ID, "Olga", "en")

    ambiguous = await stack.ask(admin, f"/lock {LOGIN}")
    named = await stack.ask(admin, f"/account {LOGIN}@Beta-Live")

    assert ambiguous.text == (
        f"Login {LOGIN} is linked on several servers: {LOGIN}@Alpha-Live, {LOGIN}@Beta-Live. "
        "Name one as <login>@<server>."
    )
    assert await stack.scalar("SELECT count(*) FROM commands") == 0
    assert named.text.startswith(f"Account {LOGIN} (Beta-Live)")


async def test_admins_see_a_login_and_server_linked_by_two_users_flagged(stack: Stack) -> None:
    ann, mallory = stack.user(1001, "Ann"), stack.user(1666, "Mallory")
    await stack.connect(await stack.link(mallory))  # the squatter first
    await stack.connect(await stack.link(ann))
    admin = stack.user(ADMIN_ID, "Olga", "en")

    listing = await stack.ask(admin, "/accounts_all")
    details = await stack.ask(admin, f"/account {LOGIN}@{SERVER}", expect=lambda m: "1001" in m.text)

    assert listing.text.count("⚑ shared") == 2
    assert "This link belongs to Telegram user 1001" in details.text


async def test_a_locked_shared_pair_is_locked_through_every_link(stack: Stack) -> None:
    ann, mallory = stack.user(1001, "Ann"), stack.user(1666, "Mallory")
    await stack.connect(await stack.link(mallory))
    await stack.connect(await stack.link(ann))
    admin = stack.user(ADMIN_ID, "Olga", "en")

    locked = await stack.ask(admin, f"/lock {LOGIN}")

    assert locked.text == f"Trading on account {LOGIN} is locked."
    assert await stack.scalar("SELECT count(DISTINCT account_id) FROM commands WHERE type = 'lock'") == 2


@pytest.mark.parametrize(
    "argument", ["٥٠١٢٣٤٥", "5012345²", "0005012345", "9" * 20, "5012345@", "5012345@bad|server"]
)
async def test_status_with_a_malformed_login_answers_the_usage(stack: Stack, argument: str) -> None:
    ann = stack.user(1001, "Ann")
    await stack.connect(await stack.link(ann))

    answer = await stack.ask(ann, f"/status {argument}")

    assert answer.text == "Usage: /status [<login> or <login>@<server>], e.g. /status 5012345"
