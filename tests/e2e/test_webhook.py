"""Webhook mode: Telegram pushes updates to the service's own HTTP server, signed with a secret."""

from __future__ import annotations

import aiohttp
import pytest

from sim.demo import free_port
from sim.telegram import SECRET_TOKEN_HEADER, BotApiStandIn
from tests.e2e.harness import TOKEN, Launch, converse

pytestmark = pytest.mark.e2e

SECRET = "s3cret"


def forged_update(user_id: int) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Mallory", "language_code": "en"}
    message = {
        "message_id": 1,
        "from": user,
        "chat": {"id": user_id, "type": "private", "first_name": "Mallory"},
        "date": 1_700_000_000,
        "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    return {"update_id": 990_000_001, "message": message}


async def test_in_webhook_mode_updates_arrive_by_post_and_need_the_secret(
    standin: BotApiStandIn, launch: Launch
) -> None:
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}/tg/webhook"
    service = await launch(port=port, TELEGRAM_WEBHOOK_URL=webhook_url, TELEGRAM_WEBHOOK_SECRET=SECRET)

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{standin.url}/bot{TOKEN}/getWebhookInfo") as answer:
            info = (await answer.json())["result"]
        assert info["url"] == webhook_url
        polls_before = standin.get_updates_calls

        ann = standin.user(1001, "Ann", "en")
        greeting = await converse(ann, "/start")
        assert greeting.text.startswith("Hello, Ann!")
        assert standin.get_updates_calls == polls_before == 0  # nobody long-polls in webhook mode

        mark = standin.mark()
        for headers in ({}, {SECRET_TOKEN_HEADER: "wrong"}, {SECRET_TOKEN_HEADER: SECRET.upper()}):
            async with session.post(webhook_url, json=forged_update(666), headers=headers) as answer:
                assert answer.status == 401, headers
                assert (await answer.json())["error"]["code"] == "unauthorized"

        # the refused updates produced nothing: a real update sent after them is answered first
        await converse(ann, "/help")
        assert [m.chat_id for m in standin.sent[mark:]] == [ann.chat_id]
        # and the very same update with the right secret is answered: the secret is what stopped it
        async with session.post(
            webhook_url, json=forged_update(666), headers={SECRET_TOKEN_HEADER: SECRET}
        ) as answer:
            assert answer.status == 200
        await standin.wait_for_message(666, lambda m: "Mallory" in m.text, timeout=20, after=mark)
    assert service.returncode is None
