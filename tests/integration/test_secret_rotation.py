"""SECRET_KEY rotation without downtime (issue 6, item 9): devices linked under the old key keep
authenticating while it is listed in SECRET_KEY_PREVIOUS, and `SecretRotation` re-seals every stored
secret under the new key, so the old key can then be dropped."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.app import Core, build_http_app, open_core
from core.services.secrets import RotationReport, SecretBox, SecretRotation
from db.repositories.sealed_secrets import SqlSealedSecretRepository
from db.uow import unit_of_work_factory
from tests.api.conftest import Bridge, LinkedDevice, link_device
from tests.api.wire import PING, accepted
from tests.conftest import FakeClock, clean_state, make_settings

OLD_KEY = "the-old-secret-key-0123456789abcdef"
NEW_KEY = "the-new-secret-key-fedcba9876543210"


@contextlib.asynccontextmanager
async def service(
    tmp_path: Path, clock: FakeClock, key: str, previous: tuple[str, ...] = ()
) -> AsyncIterator[Core]:
    settings = make_settings(tmp_path, secret_key=key, secret_key_previous=previous)
    async with open_core(settings, clock) as core:
        yield core


async def ping_as(core: Core, device: LinkedDevice, clock: FakeClock) -> str:
    """A bridge request signed with the device's secret, through the real HTTP app: "ok" when
    answered 200, else the (401) error code."""
    async with TestClient(TestServer(build_http_app(core, None))) as client:
        response = await Bridge(client, device, clock).call("GET", PING)
        if response.status == 200:
            await accepted(response)
            return "ok"
        return await refusal_code(response)


async def refusal_code(response: ClientResponse) -> str:
    body = await response.json()
    assert response.status == 401, body
    return str(body["error"]["code"])


async def sealed_secrets(core: Core) -> dict[str, bytes]:
    async with core.engine.connect() as connection:
        rows = await connection.execute(text("SELECT device_id, secret_encrypted FROM devices"))
        return {device_id: bytes(sealed) for device_id, sealed in rows}


async def rotate(core: Core, batch_size: int = 500) -> RotationReport:
    box = SecretBox(core.settings.secret_key or "", core.settings.secret_key_previous)
    return await SecretRotation(unit_of_work_factory(core.engine), box, batch_size).run()


async def link_under_old_key(tmp_path: Path, clock: FakeClock, count: int = 1) -> list[LinkedDevice]:
    await clean_state()
    async with service(tmp_path, clock, OLD_KEY) as core:
        return [await link_device(core, 4000 + n, 5000000 + n) for n in range(count)]


async def test_a_device_linked_under_the_old_key_authenticates_before_during_and_after_rotation(
    tmp_path: Path, clock: FakeClock
) -> None:
    [device] = await link_under_old_key(tmp_path, clock)
    async with service(tmp_path, clock, NEW_KEY, previous=(OLD_KEY,)) as core:
        before = await sealed_secrets(core)
        assert await ping_as(core, device, clock) == "ok"  # the old key still opens it
        report = await rotate(core)
        after = await sealed_secrets(core)
        assert await ping_as(core, device, clock) == "ok"
    assert report.resealed == 1
    assert after[device.device_id] != before[device.device_id]
    assert SecretBox(NEW_KEY).open(after[device.device_id]) == device.secret_hex
    async with service(tmp_path, clock, NEW_KEY) as core:  # the old key is gone for good
        assert await ping_as(core, device, clock) == "ok"


async def test_dropping_the_old_key_before_rotating_refuses_its_devices_with_401_not_500(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Why the rotation step matters: the key that sealed a secret is needed to read it."""
    [device] = await link_under_old_key(tmp_path, clock)
    async with service(tmp_path, clock, NEW_KEY) as core:
        assert await ping_as(core, device, clock) == "unknown_device"


async def test_rotating_again_changes_nothing(tmp_path: Path, clock: FakeClock) -> None:
    await link_under_old_key(tmp_path, clock, count=3)
    async with service(tmp_path, clock, NEW_KEY, previous=(OLD_KEY,)) as core:
        first = await rotate(core)
        resealed = await sealed_secrets(core)
        second = await rotate(core)
        assert await sealed_secrets(core) == resealed
    assert (first.resealed, first.already_current) == (3, 0)
    assert (second.resealed, second.already_current) == (0, 3)


async def test_rotation_reaches_every_device_across_many_batches(tmp_path: Path, clock: FakeClock) -> None:
    devices = await link_under_old_key(tmp_path, clock, count=7)
    async with service(tmp_path, clock, NEW_KEY, previous=(OLD_KEY,)) as core:
        report = await rotate(core, batch_size=2)
    assert report.resealed == 7
    async with service(tmp_path, clock, NEW_KEY) as core:
        for device in devices:
            assert await ping_as(core, device, clock) == "ok"


async def test_a_secret_changed_during_rotation_is_not_overwritten_with_a_stale_copy(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Two rotations at once (or any writer meanwhile): the slower one's stale copy is not written."""
    [device] = await link_under_old_key(tmp_path, clock)
    async with service(tmp_path, clock, NEW_KEY, previous=(OLD_KEY,)) as core:
        read_by_rotation = (await sealed_secrets(core))[device.device_id]
        await rotate(core)  # another rotation re-seals it meanwhile
        async with unit_of_work_factory(core.engine)() as uow:
            resealed = SecretBox(NEW_KEY, (OLD_KEY,)).reseal(read_by_rotation)
            stored = await SqlSealedSecretRepository(uow.session).replace(
                device.device_id, read_by_rotation, resealed
            )
            await uow.commit()
        assert not stored
        assert await ping_as(core, device, clock) == "ok"


async def test_a_device_relinked_during_rotation_keeps_working_and_the_old_one_stays_refused(
    tmp_path: Path, clock: FakeClock
) -> None:
    [device] = await link_under_old_key(tmp_path, clock)
    async with service(tmp_path, clock, NEW_KEY, previous=(OLD_KEY,)) as core:
        relinked = await link_device(core, device.telegram_id, device.login)  # /link again, meanwhile
        await rotate(core)
        assert await ping_as(core, relinked, clock) == "ok"
        assert await ping_as(core, device, clock) == "unknown_device"


async def test_a_secret_no_known_key_opens_is_reported_and_left_alone(
    tmp_path: Path, clock: FakeClock
) -> None:
    [device] = await link_under_old_key(tmp_path, clock)
    async with service(tmp_path, clock, NEW_KEY) as core:
        before = await sealed_secrets(core)
        report = await rotate(core)
        assert await sealed_secrets(core) == before
    assert report.unreadable == [device.device_id]
    assert report.resealed == 0
