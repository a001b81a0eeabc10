"""Redis flushed under a running service (docs/operations.md, "If Redis is lost"): nothing durable is lost.
The next snapshot is accepted (the hot state is rebuilt from Postgres), the pending commands are still
handed to the EA, /status still answers, the alerts queued before the flush are delivered by a worker
started after it. What a flush does allow, stated honestly: a request whose nonce only Redis remembered
can be replayed once, while its timestamp is inside the 30-second window; the replay is harmless (a
snapshot already stored is answered as a duplicate and changes nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from sim.ea.client import BridgeClient, decode_json, encode_json
from sim.telegram import BotApiStandIn
from tests.bot.conftest import TOKEN, Credentials, Stack, is_alert, settings_for, snapshot, start_stack
from tests.conftest import clean_state

PATH = "/v1/bridge/snapshot"
KINDS = "('account_connected', 'liquidation_warning')"
# The trader's (the admins' digest waits for its window, whatever Redis does)
TRADERS_ALERTS = "SELECT chat_id, kind, status FROM outbox WHERE chat_id = 1001 ORDER BY id"
COMMANDS = [("close_all", "pending"), ("lock", "pending")]


class CapturedRequest:
    """One signed snapshot request, kept byte for byte as an eavesdropper would keep it."""

    def __init__(self, stack: Stack, creds: Credentials, seq: int) -> None:
        self.url = stack.http_url + PATH
        self.body = encode_json(snapshot(creds.login, creds.server, seq, equity="7000.00"))
        signer = BridgeClient(stack.http_url, creds.device_id, creds.secret)
        self.headers = signer.signed_headers("POST", PATH, self.body)

    async def send(self) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as session:
            async with session.post(self.url, data=self.body, headers=self.headers) as response:
                return response.status, decode_json(await response.read())


async def counts(stack: Stack) -> tuple[int, int, int]:
    return (
        await stack.scalar("SELECT count(*) FROM commands"),
        await stack.scalar("SELECT count(*) FROM outbox"),
        await stack.scalar("SELECT last_seq FROM account_state"),
    )


async def test_a_redis_flush_under_a_running_service_loses_nothing_durable(tmp_path: Path) -> None:
    await clean_state()
    async with BotApiStandIn(token=TOKEN, per_chat_per_minute=None) as standin:
        settings = settings_for(tmp_path, standin)
        async with start_stack(standin, settings, ("bot", "api")) as front:  # no worker: alerts queue up
            ann = front.user(1001)
            creds = await front.link(ann)
            await front.send_snapshot(creds, 1, equity="10000.00")
            breach = await front.send_snapshot(creds, 2, equity="7000.00")
            assert [command["type"] for command in breach["commands"]] == ["close_all", "lock"]
            captured = CapturedRequest(front, creds, 3)
            assert (await captured.send())[0] == 200
            await front.core.flusher.flush()
            await front.eventually(  # the "connected" alert is recorded after the first snapshot's answer
                f"SELECT count(*) FROM outbox WHERE kind IN {KINDS}", [(2,)]
            )
            queued = await front.rows(TRADERS_ALERTS)
            assert {row.status for row in queued} == {"pending"}
            before = await counts(front)
            assert before[2] == 3

            assert await front.core.redis.dbsize() > 0
            await front.core.redis.flushdb()

            # The nonce was only in Redis: the same bytes are accepted once more, as a duplicate.
            status, answer = await captured.send()
            assert (status, answer["duplicate"]) == (200, True)
            assert await counts(front) == before
            status, answer = await captured.send()  # and now the nonce is remembered again
            assert (status, answer["error"]["code"]) == (409, "replayed_nonce")

            nxt = await front.send_snapshot(creds, 4, equity="7000.00")
            assert "duplicate" not in nxt  # a new snapshot, judged against the rebuilt hot state
            assert [command["type"] for command in nxt["commands"]] == ["close_all", "lock"]
            async with BridgeClient(front.http_url, creds.device_id, creds.secret, max_attempts=1) as ea:
                assert [command["type"] for command in await ea.commands()] == ["close_all", "lock"]
            await front.core.flusher.flush()
            assert await front.scalar("SELECT last_seq FROM account_state") == 4
            await front.eventually("SELECT type, status FROM commands ORDER BY issued", COMMANDS)

            status_reply = await front.ask(ann, "/status")
            assert "Account 5012345" in status_reply.text
            assert "Equity: $7,000.00" in status_reply.text and "Peak equity: $10,000.00" in status_reply.text

            async with start_stack(standin, settings, ("worker",)) as worker:  # a worker after the flush
                await worker.eventually(
                    TRADERS_ALERTS,
                    [(row.chat_id, row.kind, "sent") for row in queued],
                )
    alerts = [message for message in standin.messages_to(1001) if is_alert(message)]
    assert len(alerts) == len(queued)
    assert all("5012345" in message.text for message in alerts)
