"""/reconcile through the Bot API stand-in: the trader is told of a manual trade once, in their words,
and /reconcile shows the account's latest check and that open divergence; another user sees none of it
(the service checks who asks), whatever account they name."""

from __future__ import annotations

from sqlalchemy import text

from tests.bot.conftest import LOGIN, Stack, is_alert, position


async def test_a_manual_trade_is_alerted_once_and_listed_by_reconcile_for_its_owner_only(
    stack: Stack,
) -> None:
    ann = stack.user(1001)
    creds = await stack.link(ann)
    async with stack.core.engine.begin() as connection:  # linked days ago: the trade is a new one
        await connection.execute(text("UPDATE accounts SET linked_at = '2026-11-20T00:00:00Z'"))
    await stack.connect(creds, positions=[position(5551, comment="", magic=0)])
    mark = stack.standin.mark()

    await stack.core.reconciliation.run_once()
    alert = await stack.standin.wait_for_message(
        ann.chat_id, lambda m: is_alert(m) and "manual trade" in m.text, after=mark
    )
    answer = await stack.ask(ann, "/reconcile")
    stranger = await stack.ask(stack.user(2002, "Eve"), f"/reconcile {LOGIN}")

    assert "#5551" in alert.text and "EURUSD" in alert.text and str(LOGIN) in alert.text
    assert "Reconciliation" in answer.text and "Open divergences: 1, critical: 0." in answer.text
    assert "A manual trade was opened" in answer.text and "#5551" in answer.text
    assert "No linked accounts yet" in stranger.text
    await stack.core.reconciliation.run_once()
    manual_alerts = [
        m for m in stack.standin.messages_to(ann.chat_id) if is_alert(m) and "manual trade" in m.text
    ]
    assert len(manual_alerts) == 1


async def test_reconcile_with_a_malformed_account_says_how_to_name_one(stack: Stack) -> None:
    ann = stack.user(1001)
    await stack.link(ann)

    answer = await stack.ask(ann, "/reconcile 05012345")

    assert "/reconcile" in answer.text and "login" in answer.text
