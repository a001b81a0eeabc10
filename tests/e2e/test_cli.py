"""The other `tradeguard` commands of PRODUCT.md: migrate and token."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.api.operator import operator_key
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, clean_state

pytestmark = pytest.mark.e2e
TRADEGUARD = Path(sys.executable).with_name("tradeguard")
SECRET = "cli-test-secret-key"


async def tradeguard(*args: str, cwd: Path) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": TEST_DATABASE_URL, "REDIS_URL": TEST_REDIS_URL, "SECRET_KEY": SECRET}
    process = await asyncio.create_subprocess_exec(
        str(TRADEGUARD), *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, output.decode()


async def test_migrate_brings_the_database_to_the_newest_schema(tmp_path: Path) -> None:
    await clean_state()
    code, output = await tradeguard("migrate", cwd=tmp_path)
    engine = create_async_engine(TEST_DATABASE_URL)
    async with engine.connect() as connection:
        version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    await engine.dispose()
    assert code == 0, output
    assert "migrations applied" in output
    assert version == "0004"


async def test_token_prints_an_operator_token_signed_with_the_secret_key(tmp_path: Path) -> None:
    code, output = await tradeguard("token", "--role", "operator", cwd=tmp_path)
    token = output.strip().splitlines()[-1]
    claims = jwt.decode(token, operator_key(SECRET), algorithms=["HS256"], issuer="tradeguard")
    assert code == 0
    assert claims["role"] == "operator"


async def test_token_refuses_an_unknown_role(tmp_path: Path) -> None:
    code, output = await tradeguard("token", "--role", "root", cwd=tmp_path)
    assert code == 2
    assert "invalid choice" in output
