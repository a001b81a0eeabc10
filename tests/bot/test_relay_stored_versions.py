"""Outbox rows written by another version of the service: a row in the shape alerts had before they were
typed still reaches its chat after the deploy; a row no alert type reads is marked undeliverable, with
the reason, and the relay goes on with the rest."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import text

from core.domain.alerts import TradingLocked
from core.domain.models import Alert
from tests.bot.conftest import LOGIN, SERVER, Stack

OLD_WARNING = {  # as the guard wrote a drawdown warning before alerts were typed (no version column)
    "login": LOGIN,
    "server": SERVER,
    "currency": "USD",
    "level": "15",
    "drawdown_percent": "16.40",
    "equity": "8358.00",
    "peak_equity": "9998.00",
}


async def write_row(
    stack: Stack, key: str, kind: str, params: dict[str, Any], version: int | None = None
) -> None:
    columns = "dedupe_key, chat_id, kind, params, status, attempts, next_attempt_at"
    values = ":key, 1001, :kind, CAST(:params AS jsonb), 'pending', 0, '2000-01-01T00:00:00Z'"
    if version is not None:
        columns, values = f"{columns}, version", f"{values}, :version"
    async with stack.core.engine.begin() as connection:
        await connection.execute(
            text(f"INSERT INTO outbox ({columns}) VALUES ({values})"),
            {"key": key, "kind": kind, "params": json.dumps(params), "version": version},
        )


async def test_an_old_row_is_still_sent_and_rows_nothing_reads_are_set_aside_without_stopping_the_relay(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.relay")
    mark = stack.standin.mark()
    await write_row(stack, "gone", "broadcast", {"text": "a kind this version no longer has"})
    await write_row(stack, "future", "trading_locked", {"login": LOGIN, "server": SERVER}, version=99)
    await write_row(stack, "old", "drawdown_warning", OLD_WARNING)
    await stack.add_alerts([Alert("new", 1001, TradingLocked(login=LOGIN, server=SERVER, currency="USD"))])

    await stack.eventually(
        "SELECT dedupe_key, status FROM outbox ORDER BY id",
        [("gone", "undeliverable"), ("future", "undeliverable"), ("old", "sent"), ("new", "sent")],
    )

    texts = [message.text for message in stack.standin.sent[mark:] if message.chat_id == 1001]
    assert len(texts) == 2
    assert texts[0].startswith(
        f"⚠️ Account {LOGIN} ({SERVER}) is 16.40% below its peak (warning level 15.00%)"
    )
    assert texts[1].startswith(f"🔒 Trading on account {LOGIN}")
    undeliverable = "SELECT dedupe_key, last_error FROM outbox WHERE status = 'undeliverable'"
    errors = {row.dedupe_key: row.last_error for row in await stack.rows(undeliverable)}
    assert "unknown alert kind 'broadcast'" in errors["gone"]
    assert "no payload version 99" in errors["future"]
    logged = [record.getMessage() for record in caplog.records if record.name == "bot.relay"]
    assert len([line for line in logged if "cannot be read" in line]) == 2, logged
