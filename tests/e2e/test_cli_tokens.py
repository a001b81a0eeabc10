"""`tradeguard token` issues tokens that expire, lists and revokes them; `tradeguard rotate-secrets`
re-encrypts device secrets under a new SECRET_KEY (issue 6, item 9)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import jwt
import pytest
from sqlalchemy import text

from bot.app import open_core
from core.api.operator import operator_key
from core.services.secrets import SecretBox
from tests.api.conftest import link_device
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, FakeClock, clean_state, make_settings
from tests.e2e.harness import SECRET_KEY, Launch, Service, base_env, eventually, tradeguard_command

pytestmark = pytest.mark.e2e
OLD_KEY = "the-old-secret-key-0123456789abcdef"
NEW_KEY = "the-new-secret-key-fedcba9876543210"
TOKEN_ID = re.compile(r"token ([0-9a-f]{16}) \(operator\) expires")


async def tradeguard(*args: str, cwd: Path, **settings: str) -> tuple[int, str, str]:
    env = {
        **base_env(),
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "SECRET_KEY": SECRET_KEY,
        **settings,
    }
    process = await asyncio.create_subprocess_exec(
        *tradeguard_command(), *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def issue(cwd: Path, *extra: str) -> tuple[str, str]:
    """A token from the command line: the token alone on stdout, its id on stderr."""
    code, out, err = await tradeguard("token", "--role", "operator", *extra, cwd=cwd)
    assert code == 0, out + err
    found = TOKEN_ID.search(err)
    assert found is not None, err
    return out.strip(), found[1]


def claims_of(token: str) -> dict[str, object]:
    return dict(jwt.decode(token, operator_key(SECRET_KEY), algorithms=["HS256"], issuer="tradeguard"))


async def test_a_token_lasts_30_days_unless_told_otherwise(tmp_path: Path) -> None:
    await clean_state()
    token, jti = await issue(tmp_path)
    claims = claims_of(token)
    assert claims["jti"] == jti
    assert claims["exp"] == claims["iat"] + 30 * 86400  # type: ignore[operator]


@pytest.mark.parametrize(
    ("ttl", "seconds"), [("2h", 7200), ("90m", 5400), ("1w", 604800), ("365d", 31536000)]
)
async def test_token_ttl_sets_the_expiry(tmp_path: Path, ttl: str, seconds: int) -> None:
    await clean_state()
    token, _ = await issue(tmp_path, "--ttl", ttl)
    claims = claims_of(token)
    assert claims["exp"] == claims["iat"] + seconds  # type: ignore[operator]


@pytest.mark.parametrize("ttl", ["366d", "0s", "forever", "-5d", "1.5h", "99999999d"])
async def test_a_ttl_that_is_not_a_duration_up_to_a_year_is_refused(tmp_path: Path, ttl: str) -> None:
    code, out, err = await tradeguard("token", "--role", "operator", "--ttl", ttl, cwd=tmp_path)
    assert code == 2
    assert "--ttl" in err
    assert out == ""


async def test_the_token_list_shows_each_token_and_whether_it_was_revoked(tmp_path: Path) -> None:
    await clean_state()
    _, kept = await issue(tmp_path)
    _, revoked = await issue(tmp_path)
    code, out, err = await tradeguard("token", "--revoke", revoked, cwd=tmp_path)
    assert code == 0, out + err
    code, listing, err = await tradeguard("token", "--list", cwd=tmp_path)
    assert code == 0, err
    states = {line.split()[0]: line.split()[-1] for line in listing.splitlines()[1:]}
    assert states == {kept: "active", revoked: "revoked"}


async def test_revoking_an_unknown_token_id_fails_and_says_so(tmp_path: Path) -> None:
    await clean_state()
    code, out, err = await tradeguard("token", "--revoke", "0123456789abcdef", cwd=tmp_path)
    assert code != 0
    assert "no token with id" in err
    assert out == ""


async def operator_status(service: Service, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{service.url}/v1/accounts/5012345/status", headers=headers) as answer:
            return answer.status


async def test_a_token_revoked_on_the_command_line_is_refused_by_the_running_service_within_seconds(
    launch: Launch, tmp_path: Path
) -> None:
    service = await launch(OPERATOR_TOKEN_REVOCATION_CACHE_SECONDS=1)
    token, jti = await issue(tmp_path)
    assert await operator_status(service, token) == 404  # authorised: there is just no such account
    code, out, err = await tradeguard("token", "--revoke", jti, cwd=tmp_path)
    assert code == 0, out + err
    assert f"revoked {jti}" in out

    async def refused() -> bool:
        return await operator_status(service, token) == 401

    await eventually(refused, timeout=3)


async def test_rotate_secrets_re_encrypts_every_device_secret_under_the_new_key_once(tmp_path: Path) -> None:
    await clean_state()
    async with open_core(make_settings(tmp_path, secret_key=OLD_KEY), FakeClock()) as core:
        device = await link_device(core)
    keys = {"SECRET_KEY": NEW_KEY, "SECRET_KEY_PREVIOUS": OLD_KEY}
    first = await tradeguard("rotate-secrets", cwd=tmp_path, **keys)
    second = await tradeguard("rotate-secrets", cwd=tmp_path, **keys)
    async with open_core(make_settings(tmp_path, secret_key=NEW_KEY), FakeClock()) as core:
        async with core.engine.connect() as connection:
            sealed = (await connection.execute(text("SELECT secret_encrypted FROM devices"))).scalar_one()
    assert first[0] == 0 and "re-encrypted 1 device secrets" in first[1], first
    assert second[0] == 0 and "re-encrypted 0 device secrets" in second[1], second
    assert "1 already were" in second[1]
    assert SecretBox(NEW_KEY).open(bytes(sealed)) == device.secret_hex


async def test_rotate_secrets_reports_devices_no_known_key_opens_and_fails(tmp_path: Path) -> None:
    await clean_state()
    async with open_core(make_settings(tmp_path, secret_key=OLD_KEY), FakeClock()) as core:
        device = await link_device(core)
    code, out, err = await tradeguard("rotate-secrets", cwd=tmp_path, SECRET_KEY=NEW_KEY)
    assert code == 1, err
    assert f"sealed under an unknown key: {device.device_id}" in out
