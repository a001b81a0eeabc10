"""`tradeguard run`'s log: LOG_FORMAT=json lines, no bot token at any level, users' text only at DEBUG."""

from __future__ import annotations

import asyncio
import json

import pytest

from sim.telegram import BotApiStandIn
from tests.e2e.harness import TOKEN, Launch, converse

pytestmark = pytest.mark.e2e

PRIVATE = "Q7Z-my-private-words"


async def test_at_debug_in_json_every_line_parses_the_token_never_appears_and_user_text_stays_at_debug(
    standin: BotApiStandIn, launch: Launch
) -> None:
    service = await launch(LOG_LEVEL="DEBUG", LOG_FORMAT="json")
    ann = standin.user(1001, "Ann", "en")
    await converse(ann, "/start")
    await converse(ann, f"/help {PRIVATE}")
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Evil: a\x00b\r\n\r\n")
    assert (await asyncio.wait_for(reader.read(), 10)).startswith(b"HTTP/1.0 400")
    writer.close()
    assert await service.terminate() == 0

    records = [json.loads(line) for line in service.log().splitlines() if line.strip()]
    assert records and all({"asctime", "level", "logger", "message"} <= set(r) for r in records)
    assert TOKEN.partition(":")[2] not in service.log()
    assert any(PRIVATE in r["message"] for r in records if r["level"] == "DEBUG")  # DEBUG does show it
    assert not [r for r in records if r["level"] != "DEBUG" and PRIVATE in json.dumps(r)]
    malformed = [r for r in records if "refused malformed request" in r["message"]]
    assert len(malformed) == 1 and malformed[0]["level"] == "INFO" and "exc_info" not in malformed[0]
    assert "\x00" not in service.log()
