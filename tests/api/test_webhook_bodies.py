"""The webhook route: only Telegram update objects reach the bot; anything else is a 400 and delivers nothing.

The real PTB Application is built (not started): its update queue shows what was delivered.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram import Update
from telegram.ext import Application

from bot.app import Core, build_application, build_http_app, webhook_secret
from core.api.app import MAX_UPDATE_DEPTH, SECRET_TOKEN_HEADER, Webhook
from core.config import Settings
from tests.api.wire import refusal
from tests.conftest import make_settings

PATH = "/tg/webhook"


def update(update_id: object = 7, **fields: Any) -> dict[str, Any]:
    user = {"id": 1001, "is_bot": False, "first_name": "Ann"}
    message = {"message_id": 1, "from": user, "chat": {"id": 1001, "type": "private"}, "date": 1_700_000_000}
    return {"update_id": update_id, "message": {**message, "text": "/start"}, **fields}


def nested(depth: int) -> dict[str, Any]:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value}
    return {"update_id": 7, "extra": value}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, telegram_webhook_url=f"https://bot.example.org{PATH}")


@pytest.fixture
def application(settings: Settings, core: Core) -> Application:  # type: ignore[type-arg]
    return build_application(settings, core.bot_services)


@pytest.fixture
async def client(
    core: Core,
    application: Application,  # type: ignore[type-arg]
) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(build_http_app(core, application))) as client:
        yield client


async def post(client: TestClient, settings: Settings, body: bytes) -> Any:  # type: ignore[type-arg]
    headers = {SECRET_TOKEN_HEADER: webhook_secret(settings), "Content-Type": "application/json"}
    return await client.post(PATH, data=body, headers=headers)


async def test_an_update_with_the_secret_is_delivered_to_the_bot(
    client: TestClient,  # type: ignore[type-arg]
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
) -> None:
    answer = await post(client, settings, json.dumps(update()).encode())
    assert answer.status == 200
    delivered = application.update_queue.get_nowait()
    assert isinstance(delivered, Update) and delivered.update_id == 7
    assert delivered.message is not None and delivered.message.text == "/start"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"null", "invalid_update"),
        (b"[]", "invalid_update"),
        (b'[{"update_id": 7}]', "invalid_update"),
        (b"{}", "invalid_update"),
        (b'"an update"', "invalid_update"),
        (b"42", "invalid_update"),
        (b"true", "invalid_update"),
        (json.dumps(update("7")).encode(), "invalid_update"),
        (json.dumps(update(7.0)).encode(), "invalid_update"),
        (json.dumps(update(True)).encode(), "invalid_update"),
        (json.dumps(update(-1)).encode(), "invalid_update"),
        (json.dumps(update(2**64)).encode(), "invalid_update"),
        (json.dumps(update(None)).encode(), "invalid_update"),
        (json.dumps(update(message="hello")).encode(), "invalid_update"),
        (json.dumps(update(message={"text": "no chat, no sender"})).encode(), "invalid_update"),
        (json.dumps(update(callback_query=[1, 2])).encode(), "invalid_update"),
        (json.dumps(nested(MAX_UPDATE_DEPTH + 1)).encode(), "invalid_update"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),
        (b'{"update_id": 7,', "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b"", "invalid_json"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_a_body_that_is_not_an_update_object_is_a_400_and_delivers_nothing(
    client: TestClient,  # type: ignore[type-arg]
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    body: bytes,
    code: str,
) -> None:
    await refusal(await post(client, settings, body), 400, code)
    assert application.update_queue.empty()


async def test_a_huge_body_is_a_413_and_delivers_nothing(
    client: TestClient,  # type: ignore[type-arg]
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
) -> None:
    body = json.dumps(update(note="x" * 400_000)).encode()
    await refusal(await post(client, settings, body), 413, "payload_too_large")
    assert application.update_queue.empty()


async def test_an_update_nested_as_deep_as_allowed_is_still_delivered(
    client: TestClient,  # type: ignore[type-arg]
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
) -> None:
    answer = await post(client, settings, json.dumps(nested(MAX_UPDATE_DEPTH - 2)).encode())
    assert answer.status == 200
    assert application.update_queue.qsize() == 1


async def test_a_webhook_cannot_be_made_without_a_secret_telegram_accepts() -> None:
    async def deliver(update: dict[str, Any]) -> None:
        raise AssertionError("never called")

    for secret in ("", "has space", "x" * 257, "ünïcode"):
        with pytest.raises(ValueError, match="secret"):
            Webhook(PATH, secret, deliver)
