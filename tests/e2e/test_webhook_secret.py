"""Webhook mode never runs unauthenticated: with no secret configured, one is derived and required."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from sim.demo import free_port
from sim.telegram import SECRET_TOKEN_HEADER, BotApiStandIn
from tests.e2e.harness import ADMIN_ID, Launch, converse, link, service_env, tradeguard_command

pytestmark = pytest.mark.e2e

LOGIN = 5012345


def admin_command(text: str) -> dict[str, object]:
    """What an attacker who knows an admin's Telegram id would POST to the webhook."""
    admin = {"id": ADMIN_ID, "is_bot": False, "first_name": "Mallory", "language_code": "en"}
    command = text.split()[0]
    message = {
        "message_id": 1,
        "from": admin,
        "chat": {"id": ADMIN_ID, "type": "private", "first_name": "Mallory"},
        "date": 1_700_000_000,
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
    }
    return {"update_id": 990_000_001, "message": message}


async def test_without_a_configured_secret_a_forged_admin_command_is_refused_and_never_runs(
    standin: BotApiStandIn, launch: Launch
) -> None:
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}/tg/webhook"
    service = await launch(port=port, TELEGRAM_WEBHOOK_URL=webhook_url, TELEGRAM_WEBHOOK_SECRET=None)

    registered = standin.webhook_secret_token
    assert registered is not None and re.fullmatch(r"[A-Za-z0-9_-]{32,256}", registered)
    ann = standin.user(1001, "Ann", "en")
    await converse(ann, "/start")  # Telegram (the stand-in) delivers with the secret it was given
    await link(ann, LOGIN, "E2E-Live")

    mark = standin.mark()
    forged = admin_command("/accounts_all")
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {SECRET_TOKEN_HEADER: ""}, {SECRET_TOKEN_HEADER: registered[:-1]}):
            async with session.post(webhook_url, json=forged, headers=headers) as answer:
                assert answer.status == 401, headers
                assert (await answer.json())["error"]["code"] == "unauthorized"
        # the refused command never ran: a real message sent after it is the only one answered
        await converse(ann, "/help")
        assert [m.chat_id for m in standin.sent[mark:]] == [ann.chat_id]

        # the secret Telegram was given is the one required: with it, the same update is an admin's
        async with session.post(
            webhook_url, json=forged, headers={SECRET_TOKEN_HEADER: registered}
        ) as answer:
            assert answer.status == 200
    listing = await standin.wait_for_message(ADMIN_ID, lambda m: str(LOGIN) in m.text, after=mark)
    assert listing.chat_id == ADMIN_ID
    log = service.log()
    assert "TELEGRAM_WEBHOOK_SECRET is not set" in log
    assert registered not in log


async def test_a_webhook_secret_telegram_would_refuse_stops_start_up_with_a_clear_message(
    standin: BotApiStandIn,
) -> None:
    port = free_port()
    env = service_env(
        standin,
        port,
        TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/tg/webhook",
        TELEGRAM_WEBHOOK_SECRET="not allowed!",
    )
    process = await asyncio.create_subprocess_exec(
        *tradeguard_command(), "run", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(30):
        _, stderr = await process.communicate()

    assert process.returncode == 2
    message = stderr.decode()
    assert "TELEGRAM_WEBHOOK_SECRET" in message and "A-Z a-z 0-9 _ -" in message
    assert "not allowed!" not in message  # a setting's value may be a secret: never echoed
    assert "Traceback" not in message
    assert standin.webhook_secret_token is None  # nothing was registered with Telegram
