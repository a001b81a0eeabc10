"""Signals in Telegram: the trader's mode (/settings signals), the signal alert with Approve then Skip,
and what a press does: only the owner's approval before expiry queues the order, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from core.api.operator import issue_token
from sim.telegram import SentMessage, SimUser
from tests.audit_sql import ACTOR
from tests.bot.conftest import Stack

SIGNAL = {
    "symbol": "EURUSD",
    "side": "buy",
    "volume": "0.10",
    "entry": "1.08550",
    "sl": "1.08000",
    "tp": "1.09500",
}


async def post_signal(stack: Stack, signal_id: str, **fields: Any) -> dict[str, Any]:
    token = issue_token(stack.core.token_key, "operator", stack.core.clock())
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{stack.http_url}/v1/signals",
            json={"id": signal_id, **SIGNAL, **fields},
            headers={"Authorization": f"Bearer {token}"},
        )
        body: dict[str, Any] = await response.json()
        assert response.status == 201, body
        return body


async def signal_alert(stack: Stack, user: SimUser, signal_id: str, **fields: Any) -> SentMessage:
    mark = stack.standin.mark()
    await post_signal(stack, signal_id, **fields)
    return await stack.standin.wait_for_message(
        user.chat_id, lambda m: m.text.startswith(f"📣 Signal {signal_id}"), 10.0, after=mark
    )


def buttons(message: SentMessage) -> list[tuple[str, str]]:
    return [(button["text"], button["callback_data"]) for button in message.buttons]


async def open_positions(stack: Stack) -> list[tuple[Any, ...]]:
    rows = await stack.rows("SELECT body->>'signal_id', body->>'volume' FROM commands ORDER BY issued")
    return [tuple(row) for row in rows]


async def test_the_signal_comes_with_approve_then_skip_and_approving_queues_the_order_once(
    stack: Stack,
) -> None:
    ann = stack.user(1001, "Ann", "en")
    creds = await stack.link(ann)
    await stack.connect(creds)

    alert = await signal_alert(stack, ann, "sig_ok")
    approve, skip = (data for _, data in buttons(alert))
    mark = stack.standin.mark()
    await ann.press(alert, approve)  # a double tap: both presses reach the bot before it answers
    await ann.press(alert, approve)
    first = await stack.standin.wait_for_message(
        ann.chat_id, lambda m: "approved" in m.text, 10.0, after=mark
    )
    second = await stack.standin.wait_for_message(
        ann.chat_id, lambda m: "already" in m.text, 10.0, after=mark
    )

    assert "Entry 1.0855 · SL 1.08 · TP 1.095" in alert.text and "0.10 lots" in alert.text
    assert [text for text, _ in buttons(alert)] == ["Approve", "Skip"]
    assert approve.startswith("sig:v1:a:") and skip.startswith("sig:v1:s:")
    assert first.text == "Signal sig_ok approved: the EURUSD order is on its way to your terminal."
    assert second.text == "Signal sig_ok was already answered (approved): nothing changed."
    assert await open_positions(stack) == [("sig_ok", "0.1")]
    assert stack.standin.current_message(ann.chat_id, alert.message_id).get("reply_markup") is None
    answer = await stack.send_snapshot(creds, 2)
    assert [(c["type"], c["signal_id"]) for c in answer["commands"]] == [("open_position", "sig_ok")]


async def test_skip_queues_nothing_and_an_expired_signal_says_so_on_approve(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "en")
    await stack.connect(await stack.link(ann))

    skipped = await signal_alert(stack, ann, "sig_skip")
    skip_answer = await stack.press(ann, skipped, buttons(skipped)[1][1])
    soon = datetime.now(UTC) + timedelta(seconds=1)
    expiring = await signal_alert(stack, ann, "sig_late", expires_at=soon.isoformat().replace("+00:00", "Z"))
    await asyncio.sleep((soon - datetime.now(UTC)).total_seconds() + 0.05)  # past its expiry
    late_answer = await stack.press(ann, expiring, buttons(expiring)[0][1])

    assert skip_answer.text == "Signal sig_skip skipped: nothing will be opened."
    assert late_answer.text.startswith("Signal sig_late expired at ") and late_answer.text.endswith(
        ": nothing was opened."
    )
    assert await open_positions(stack) == []
    statuses = await stack.rows("SELECT signal_id, status FROM signal_deliveries ORDER BY signal_id")
    assert [tuple(row) for row in statuses] == [("sig_late", "expired"), ("sig_skip", "skipped")]


async def test_only_the_owner_can_approve_anyone_else_is_told_no_and_audited(stack: Stack) -> None:
    ann, boris = stack.user(1001, "Ann", "en"), stack.user(1002, "Boris", "es")
    await stack.connect(await stack.link(ann))
    await stack.link(boris, 6023456, "Other-Demo")

    alert = await signal_alert(stack, ann, "sig_own")
    update_id = await boris.press(alert, buttons(alert)[0][1])
    answered = await stack.standin.wait_for_callback_answer(update_id)

    assert answered.user_id == boris.chat_id and answered.show_alert
    assert answered.text == "Esta señal no es para una cuenta tuya."
    assert await open_positions(stack) == []
    assert stack.standin.current_message(ann.chat_id, alert.message_id)["reply_markup"] is not None
    refused = await stack.rows(
        f"SELECT {ACTOR} AS actor, details->>'signal' FROM audit_log WHERE action = 'signal.refused'"
    )
    assert [tuple(row) for row in refused] == [("user:1002", "sig_own")]
    approved = await stack.press(ann, alert, buttons(alert)[0][1])
    assert approved.text.startswith("Signal sig_own approved")


async def test_settings_signals_auto_queues_at_once_without_asking_and_settings_shows_the_mode(
    stack: Stack,
) -> None:
    ann = stack.user(1001, "Ann", "en")
    await stack.connect(await stack.link(ann))

    before = await stack.ask(ann, "/settings")
    changed = await stack.ask(ann, "/settings signals auto")
    after = await stack.ask(ann, "/settings")
    wrong = await stack.ask(ann, "/settings signals sometimes")
    body = await post_signal(stack, "sig_auto")

    assert "Signals: approve (you approve each one)" in before.text
    assert changed.text == "Signals: auto (opened at once)."
    assert "Signals: auto (opened at once)" in after.text
    assert wrong.text.startswith("Use /settings signals auto")
    assert (body["accounts"], body["auto"], body["approve"]) == (1, 1, 0)
    assert await open_positions(stack) == [("sig_auto", "0.1")]
    assert await stack.scalar("SELECT count(*) FROM outbox WHERE kind = 'signal'") == 0
