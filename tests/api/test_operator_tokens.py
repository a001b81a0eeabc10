"""Operator tokens expire, can be revoked (durably, in Postgres), and survive a SECRET_KEY rotation
while the old key is listed in SECRET_KEY_PREVIOUS (issue 6, item 9)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import Core, build_http_app, open_core
from core.api.operator import issue_token, operator_key
from core.services.tokens import OperatorTokens
from db.uow import unit_of_work_factory
from tests.api.conftest import Bridge, link_device
from tests.api.wire import accepted, refusal
from tests.conftest import FakeClock, clean_state, make_settings

STATUS = "/v1/accounts/5012345/status"
OLD_KEY = "the-old-secret-key-0123456789abcdef"
NEW_KEY = "the-new-secret-key-fedcba9876543210"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def status_with(bridge: Bridge, token: str) -> Any:
    return await bridge.client.get(STATUS, headers=bearer(token))


def another_process(core: Core) -> OperatorTokens:
    """What `tradeguard token --revoke` runs: the same database, a cache of its own."""
    return OperatorTokens(unit_of_work_factory(core.engine), [core.token_key], core.clock)


async def test_a_token_is_accepted_until_its_expiry_then_refused_with_401(
    bridge: Bridge, core: Core, clock: FakeClock
) -> None:
    token, _ = await core.tokens.issue("operator", timedelta(hours=1))
    await accepted(await status_with(bridge, token))
    clock.advance(3600)
    message = await refusal(await status_with(bridge, token), 401, "unauthorized")
    assert message == "token expired"


async def test_a_token_whose_expiry_is_in_the_past_is_refused_with_401(bridge: Bridge, core: Core) -> None:
    token = issue_token(core.token_key, "operator", core.clock() - timedelta(days=2), timedelta(days=1))
    assert await refusal(await status_with(bridge, token), 401, "unauthorized") == "token expired"


@pytest.mark.parametrize("missing", ["exp", "jti"])
async def test_a_token_without_an_expiry_or_an_id_as_issued_before_is_refused_with_401(
    bridge: Bridge, core: Core, missing: str
) -> None:
    now = int(core.clock().timestamp())
    claims = {"role": "operator", "iss": "tradeguard", "iat": now, "exp": now + 60, "jti": "abc"}
    del claims[missing]
    token = jwt.encode(claims, core.token_key, algorithm="HS256")
    message = await refusal(await status_with(bridge, token), 401, "unauthorized")
    assert missing in message


async def test_a_token_revoked_elsewhere_is_refused_once_the_revocation_cache_time_has_passed(
    bridge: Bridge, core: Core, clock: FakeClock
) -> None:
    token, record = await core.tokens.issue("operator")
    await accepted(await status_with(bridge, token))  # the API process now holds the revoked ids
    await another_process(core).revoke(record.jti)
    clock.advance(core.settings.operator_token_revocation_cache_seconds)
    message = await refusal(await status_with(bridge, token), 401, "unauthorized")
    assert message == "token revoked"


async def test_a_token_revoked_in_the_same_process_is_refused_at_once(bridge: Bridge, core: Core) -> None:
    token, record = await core.tokens.issue("operator")
    await accepted(await status_with(bridge, token))
    await core.tokens.revoke(record.jti)
    await refusal(await status_with(bridge, token), 401, "unauthorized")


async def test_revoking_one_token_leaves_every_other_token_working(
    bridge: Bridge, core: Core, clock: FakeClock
) -> None:
    revoked, record = await core.tokens.issue("operator")
    kept, _ = await core.tokens.issue("operator")
    await another_process(core).revoke(record.jti)
    clock.advance(core.settings.operator_token_revocation_cache_seconds)
    await refusal(await status_with(bridge, revoked), 401, "unauthorized")
    await accepted(await status_with(bridge, kept))


async def test_a_revocation_is_kept_in_postgres_so_a_restarted_service_still_refuses_the_token(
    core: Core, tmp_path: Path, clock: FakeClock
) -> None:
    token, record = await core.tokens.issue("operator")
    await core.tokens.revoke(record.jti)
    async with open_core(make_settings(tmp_path), clock) as restarted, served(restarted, clock) as bridge:
        await refusal(await status_with(bridge, token), 401, "unauthorized")


async def test_the_token_list_shows_each_tokens_state(core: Core, clock: FakeClock) -> None:
    _, active = await core.tokens.issue("operator", timedelta(days=30))
    _, short = await core.tokens.issue("operator", timedelta(minutes=5))
    _, revoked = await core.tokens.issue("operator")
    await core.tokens.revoke(revoked.jti)
    clock.advance(301)
    states = {record.jti: record.status(clock()) for record in await core.tokens.all()}
    assert states == {active.jti: "active", short.jti: "expired", revoked.jti: "revoked"}


@contextlib.asynccontextmanager
async def served(core: Core, clock: FakeClock) -> AsyncIterator[Bridge]:
    """The real HTTP app over `core`, with account 5012345 linked (linking again just rotates)."""
    async with TestClient(TestServer(build_http_app(core, None))) as client:
        yield Bridge(client, await link_device(core), clock)


@contextlib.asynccontextmanager
async def keyed_core(tmp_path: Path, clock: FakeClock, previous: tuple[str, ...]) -> AsyncIterator[Bridge]:
    settings = make_settings(tmp_path, secret_key=NEW_KEY, secret_key_previous=previous)
    async with open_core(settings, clock) as core, served(core, clock) as bridge:
        yield bridge


async def test_a_token_signed_with_a_previous_key_works_while_that_key_is_listed_and_fails_once_removed(
    tmp_path: Path, clock: FakeClock
) -> None:
    await clean_state()
    old_token = issue_token(operator_key(OLD_KEY), "operator", clock())
    new_token = issue_token(operator_key(NEW_KEY), "operator", clock())
    async with keyed_core(tmp_path, clock, previous=(OLD_KEY,)) as bridge:
        await accepted(await status_with(bridge, old_token))
        await accepted(await status_with(bridge, new_token))
    async with keyed_core(tmp_path, clock, previous=()) as bridge:
        await refusal(await status_with(bridge, old_token), 401, "unauthorized")
        await accepted(await status_with(bridge, new_token))


async def test_new_tokens_are_signed_with_the_current_key_not_a_previous_one(
    tmp_path: Path, clock: FakeClock
) -> None:
    await clean_state()
    settings = make_settings(tmp_path, secret_key=NEW_KEY, secret_key_previous=(OLD_KEY,))
    async with open_core(settings, clock) as core:
        token, _ = await core.tokens.issue("operator")
    claims = jwt.decode(token, operator_key(NEW_KEY), algorithms=["HS256"], issuer="tradeguard")
    assert claims["role"] == "operator"


async def test_a_token_is_refused_with_503_not_let_through_when_the_revocation_list_cannot_be_read(
    core: Core, clock: FakeClock
) -> None:
    token, _ = await core.tokens.issue("operator")
    nowhere = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/tradeguard")
    cut_off = dataclasses.replace(
        core, tokens=OperatorTokens(unit_of_work_factory(nowhere), [core.token_key], clock)
    )
    try:
        async with served(cut_off, clock) as bridge:
            response = await status_with(bridge, token)
            await refusal(response, 503, "unavailable")
            assert response.headers["Retry-After"]
    finally:
        await nowhere.dispose()
