"""/link: credentials for the EA, shown once, stored only encrypted, rotated on request."""

from __future__ import annotations

import logging
import re

import pytest

from sim.ea.client import BridgeClient, BridgeError
from tests.audit_sql import ACTOR
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


async def test_linking_again_gives_a_new_device_and_the_old_one_stops_working_at_once(stack: Stack) -> None:
    ann = stack.user(1001)
    first = await stack.link(ann)
    assert await ping(stack, first.device_id, first.secret)

    second = await stack.link(ann)

    assert second.device_id != first.device_id
    assert second.secret != first.secret and SECRET.match(second.secret)
    assert "new secret issued" in second.answer.text
    assert await counts(stack) == (1, 2)
    assert await stack.scalar("SELECT count(*) FROM devices WHERE NOT revoked") == 1
    with pytest.raises(BridgeError) as refused:
        await ping(stack, first.device_id, first.secret)
    assert (refused.value.status, refused.value.code) == (401, "unknown_device")
    assert await ping(stack, second.device_id, second.secret)


async def test_a_new_device_starts_its_own_seq_so_a_frozen_one_is_cured_by_linking_again(
    stack: Stack,
) -> None:
    """A snapshot with seq 2**63-1 used to make every later one a duplicate, even after /link."""
    ann = stack.user(1001)
    first = await stack.link(ann)
    await stack.connect(first)
    with pytest.raises(BridgeError) as refused:
        await stack.send_snapshot(first, 2**63 - 1)
    assert (refused.value.status, refused.value.code) == (400, "invalid_payload")
    assert "seq" in str(refused.value)
    answer = await stack.send_snapshot(first, 2)
    assert answer.get("duplicate") is None and answer["seq"] == 2

    second = await stack.link(ann)
    fresh = await stack.send_snapshot(second, 1)  # below the old device's seq: still new

    assert fresh.get("duplicate") is None and fresh["seq"] == 1
    assert await stack.scalar("SELECT last_seq FROM account_state") == 1


@pytest.mark.parametrize(
    ("command", "answer_starts"),
    [
        ("/link", "Usage: /link <login> <server>"),
        ("/link 5012345", "Usage: /link <login> <server>"),
        ("/link abc Broker", "The login must be the number of your MT5 account"),
        ("/link -5 Broker", "The login must be the number of your MT5 account"),
        ("/link 0 Broker", "The login must be the number of your MT5 account"),
        ("/link 0005012345 Broker", "The login must be the number of your MT5 account"),
        ("/link ٥٠١٢٣٤٥ Broker", "The login must be the number of your MT5 account"),
        ("/link 5012345² Broker", "The login must be the number of your MT5 account"),
        ("/link ５０１２３４５ Broker", "The login must be the number of your MT5 account"),
        (f"/link {'9' * 20} Broker", "The login must be the number of your MT5 account"),
        (f"/link {2**63} Broker", "The login must be the number of your MT5 account"),
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


async def test_another_user_may_link_the_same_login_and_server_and_each_sees_only_their_own_data(
    stack: Stack,
) -> None:
    """A squatter who links first cannot lock the owner out; the first user is told, both are flagged."""
    ann, bob = stack.user(1001, "Ann"), stack.user(1002, "Bob")
    ann_creds: Credentials = await stack.link(ann)
    await stack.connect(ann_creds, equity="10500.00")
    sealed_before = await stack.scalar("SELECT secret_encrypted FROM devices")

    bob_creds = await stack.link(bob)
    told = await stack.standin.wait_for_message(1001, lambda m: "Another Telegram user" in m.text)
    await stack.connect(bob_creds, equity="7000.00")

    assert bob_creds.device_id != ann_creds.device_id
    assert await counts(stack) == (2, 2)
    assert f"account {LOGIN} ({SERVER}) too" in told.text
    assert await stack.scalar("SELECT count(*) FROM accounts WHERE shared") == 2
    ann_sealed = "SELECT secret_encrypted FROM devices WHERE device_id = :d"
    assert await stack.scalar(ann_sealed, d=ann_creds.device_id) == sealed_before
    assert await ping(stack, ann_creds.device_id, ann_creds.secret)
    ann_status = (await stack.ask(ann, "/status")).text
    bob_status = (await stack.ask(bob, "/status")).text
    assert "$10,500.00" in ann_status and "$7,000.00" not in ann_status
    assert "$7,000.00" in bob_status and "$10,500.00" not in bob_status
    flagged = await stack.rows(
        f"SELECT {ACTOR} AS actor, details, personal->'values'->'details'->'users' AS users FROM audit_log"
        " WHERE action = 'account.shared_link'"
    )
    assert [row.actor for row in flagged] == ["user:1002"]
    assert flagged[0].users == [1001] and "users" not in flagged[0].details  # a personal value, erasable


async def test_the_same_login_on_another_server_is_another_account(stack: Stack) -> None:
    ann = stack.user(1001)
    creds = await stack.link(ann)

    other = await stack.link(ann, LOGIN, "Other-Server")

    assert other.answer.text.startswith(f"Account {LOGIN} (Other-Server) is linked.")
    assert await counts(stack) == (2, 2)
    assert await ping(stack, creds.device_id, creds.secret)
    assert (await ping(stack, other.device_id, other.secret))["server"] == "Other-Server"
