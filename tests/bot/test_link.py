"""/link: credentials for the EA, shown once, stored only encrypted, rotated on request."""

from __future__ import annotations

import logging
import re

import pytest

from core.bridge.client import BridgeClient, BridgeError
from tests.bot.conftest import LOGIN, PUBLIC_BRIDGE_URL, SERVER, Credentials, Stack

SECRET = re.compile(r"^[0-9a-f]{64}$")


async def ping(stack: Stack, device_id: str, secret: str) -> dict[str, object]:
    async with BridgeClient(stack.http_url, device_id, secret, max_attempts=1) as client:
        return await client.ping()


async def counts(stack: Stack) -> tuple[int, int]:
    return (
        await stack.scalar("SELECT count(*) FROM accounts"),
        await stack.scalar("SELECT count(*) FROM devices"),
    )


async def test_link_answers_the_device_id_then_the_secret_as_the_first_two_code_entities(
    stack: Stack,
) -> None:
    ann = stack.user(1001)

    creds = await stack.link(ann)

    assert creds.device_id.startswith("dev_")
    assert SECRET.match(creds.secret)
    assert creds.answer.text.startswith(f"Account {LOGIN} ({SERVER}) is linked.")
    assert f"Device id: {creds.device_id}\nSecret: {creds.secret}" in creds.answer.text
    assert PUBLIC_BRIDGE_URL in creds.answer.text
    assert await stack.scalar("SELECT device_id FROM devices") == creds.device_id
    assert await ping(stack, creds.device_id, creds.secret)


async def test_the_device_secret_is_stored_only_encrypted(stack: Stack) -> None:
    ann = stack.user(1001)

    creds = await stack.link(ann)

    sealed = bytes(await stack.scalar("SELECT secret_encrypted FROM devices"))
    assert creds.secret.encode() not in sealed
    assert bytes.fromhex(creds.secret) not in sealed
    assert creds.secret.upper().encode() not in sealed
    for table in ("users", "accounts", "devices", "audit_log", "outbox"):
        dump = " ".join(row[0] for row in await stack.rows(f"SELECT t::text FROM {table} t"))
        assert creds.secret not in dump, table


async def test_the_device_secret_never_reaches_the_logs_even_at_debug_level(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    ann = stack.user(1001)
    caplog.set_level(logging.DEBUG)

    first = await stack.link(ann)
    second = await stack.link(ann)

    debug = [record for record in caplog.records if record.levelno == logging.DEBUG]
    assert debug, "no DEBUG record was captured: the check below would prove nothing"
    logged = "\n".join([caplog.text, *(repr(record.__dict__) for record in caplog.records)])
    for secret in (first.secret, second.secret):
        assert secret not in logged


async def test_linking_again_rotates_the_secret_keeps_the_device_and_the_old_secret_stops_working(
    stack: Stack,
) -> None:
    ann = stack.user(1001)
    first = await stack.link(ann)
    assert await ping(stack, first.device_id, first.secret)

    second = await stack.link(ann)

    assert second.device_id == first.device_id
    assert second.secret != first.secret and SECRET.match(second.secret)
    assert "new secret issued" in second.answer.text
    assert await counts(stack) == (1, 1)
    with pytest.raises(BridgeError) as refused:
        await ping(stack, first.device_id, first.secret)
    assert (refused.value.status, refused.value.code) == (401, "bad_signature")
    assert await ping(stack, second.device_id, second.secret)


@pytest.mark.parametrize(
    ("command", "answer_starts"),
    [
        ("/link", "Usage: /link <login> <server>"),
        ("/link 5012345", "Usage: /link <login> <server>"),
        ("/link abc Broker", "The login must be the number of your MT5 account"),
        ("/link -5 Broker", "The login must be the number of your MT5 account"),
        ("/link 0 Broker", "The login must be the number of your MT5 account"),
        ("/link 123 bad|server", "The server name must be 1 to 64 letters"),
        ("/link 123 <b>x</b>", "The server name must be 1 to 64 letters"),
        (f"/link 123 {'S' * 65}", "The server name must be 1 to 64 letters"),
    ],
)
async def test_link_with_bad_arguments_answers_how_to_use_it_and_creates_nothing(
    stack: Stack, command: str, answer_starts: str
) -> None:
    ann = stack.user(1001)

    answer = await stack.ask(ann, command)

    assert answer.text.startswith(answer_starts)
    assert answer.entity_texts("code") == []
    assert await counts(stack) == (0, 0)


async def test_another_user_linking_the_same_login_is_told_it_is_linked_elsewhere_and_nothing_changes(
    stack: Stack,
) -> None:
    ann, bob = stack.user(1001, "Ann"), stack.user(1002, "Bob")
    ann_creds: Credentials = await stack.link(ann)
    sealed_before = await stack.scalar("SELECT secret_encrypted FROM devices")

    answer = await stack.ask(bob, f"/link {LOGIN} {SERVER}")

    assert answer.text == (
        f"Account {LOGIN} is already linked to another Telegram user. If it is yours, ask an admin."
    )
    assert answer.entity_texts("code") == []
    assert await counts(stack) == (1, 1)
    assert await stack.scalar("SELECT secret_encrypted FROM devices") == sealed_before
    owner = await stack.scalar(
        "SELECT u.telegram_id FROM accounts a JOIN users u ON u.id = a.user_id WHERE a.login = :login",
        login=LOGIN,
    )
    assert owner == 1001
    assert await ping(stack, ann_creds.device_id, ann_creds.secret)
    assert (await stack.ask(bob, "/accounts")).text.startswith("No linked accounts yet")


async def test_relinking_with_a_different_server_name_is_refused_and_keeps_the_secret(stack: Stack) -> None:
    ann = stack.user(1001)
    creds = await stack.link(ann)

    answer = await stack.ask(ann, f"/link {LOGIN} Other-Server")

    assert answer.text.startswith(f"Account {LOGIN} is linked with another server name.")
    assert await ping(stack, creds.device_id, creds.secret)
