"""Reconciliation end to end, through `tradeguard run`: an operator posts a signal with an entry, a Spanish
trader approves it in Telegram, and the simulated EA fills it 60 points worse and only 0.06 of the 0.10
lots asked, then the trader closes it by hand on their phone. The trader hears of each divergence exactly
once, in Spanish, however many snapshots and sweeps follow; `/trades` counts the trade as the bot's with
the P&L of its closing deal, and `/reconcile` lists what is still open."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import aiohttp
import pytest

from core.api.operator import issue_token, operator_key
from sim.ea.client import BridgeClient
from sim.ea.execution import split_scenario
from sim.ea.simulator import SimulatedEA
from sim.scenarios import build_scenario
from sim.telegram import BotApiStandIn, SentMessage
from tests.e2e.harness import ADMIN_ID, SECRET_KEY, Database, Launch, converse, eventually, link

pytestmark = pytest.mark.e2e

LOGIN = 5012346
SERVER = "E2E-Live"
SIGNAL = {
    "id": "sig_rec_1",
    "symbol": "EURUSD",
    "side": "sell",  # steady's own position is a buy: no fallback match can confuse the two
    "volume": "0.10",
    "entry": "1.08540",  # steady's bid: a sell fills there without slippage
    "sl": "1.09000",
    "tp": "1.08000",
}
# 60 points worse than the quote (tolerance: 20), 0.06 of 0.10 filled, closed from the phone 3 steps on.
SCENARIO = (
    "steady:slippage_points=60,fill_volume=0.06,close_by_hand_after=3,hand_reason=mobile,"
    "close_swap=-0.12,close_commission=-0.30"
)
INTERVAL = 0.3
SWEEP_SECONDS = 0.5
# The Spanish texts (locales/es) that tell each divergence apart in an alert ("⚠️ Cuenta …").
KINDS = {
    "slippage": "deslizamiento de",
    "partial_fill": "se ejecutó en parte",
    "closed_by_hand": "se cerró a mano",
    "manual_position": "Se abrió una operación manual",
}


def es_decimal(value: Decimal) -> str:
    """A small number as the Spanish locale writes it (comma for the decimal point, no grouping)."""
    return format(value, "f").replace(".", ",")


def alerts(messages: list[SentMessage]) -> Counter[str]:
    """How many divergence alerts of each kind the chat holds."""
    found: Counter[str] = Counter()
    for message in messages:
        if message.text.startswith("⚠️ Cuenta"):
            kinds = [kind for kind, text in KINDS.items() if text in message.text]
            assert len(kinds) == 1, message.text
            found[kinds[0]] += 1
    return found


async def test_slippage_partial_fill_and_hand_close_are_told_once_and_attributed_to_the_bot(
    standin: BotApiStandIn, launch: Launch, db: Database
) -> None:
    service = await launch(RECONCILE_SWEEP_SECONDS=SWEEP_SECONDS, RECONCILE_GRACE_SECONDS=1)
    ana = standin.user(1002, "Ana", "es")
    await converse(ana, "/start")
    creds = await link(ana, LOGIN, SERVER)
    token = issue_token(operator_key(SECRET_KEY), "operator", datetime.now(UTC))

    # The operator posts the signal; Ana approves it in Telegram.
    mark = standin.mark()
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"{service.url}/v1/signals", json=SIGNAL, headers={"Authorization": f"Bearer {token}"}
        )
        posted = await response.json()
    assert response.status == 201 and posted["approve"] == 1, posted
    offer = await ana.wait_for_message(lambda m: m.text.startswith("📣 Señal sig_rec_1"), 20, after=mark)
    mark = standin.mark()
    await ana.press(offer, offer.buttons[0]["callback_data"])
    await ana.wait_for_message(lambda m: m.text.startswith("Señal sig_rec_1 aprobada"), 20, after=mark)

    # The terminal connects, gets the open_position, fills it badly and in part, and acks.
    name, execution = split_scenario(SCENARIO)
    played = build_scenario(name, login=LOGIN, server=SERVER, now=datetime.now(UTC))
    lines: list[str] = []
    async with BridgeClient(service.url, creds.device_id, creds.secret) as client:
        ea = SimulatedEA(client, played.account, played.steps, out=lines.append, execution=execution)
        await ea.run(interval=INTERVAL, steps=0)  # connect, obey the open_position, first snapshot
        [fill] = [deal for deal in ea.account.history if deal.comment == "tg:sig_rec_1"]
        assert (fill.entry, fill.volume, fill.price) == ("in", Decimal("0.06"), Decimal("1.08480")), lines
        [command] = await db.rows("SELECT status, ack FROM commands WHERE type = 'open_position'")
        assert command["status"] == "done", command
        assert command["ack"]["results"][0]["ticket"] == fill.position, command

        async def told(*kinds: str) -> bool:
            return all(alerts(ana.messages)[kind] >= 1 for kind in kinds)

        async def heartbeat_until(*kinds: str) -> None:
            async def check() -> bool:
                await ea.tick(None)
                return await told(*kinds)

            await eventually(check, what=f"alerts {kinds} in {[m.text for m in ana.messages]}")

        # The slippage is judged at once; the partial fill once its grace (1 s) has passed.
        await heartbeat_until("slippage", "partial_fill")
        for _ in range(6):  # more snapshots (no new deal) and several sweeps: nothing is told again
            await asyncio.sleep(INTERVAL)
            await ea.tick(None)
        await asyncio.sleep(3 * SWEEP_SECONDS)
        assert alerts(ana.messages) == {"slippage": 1, "partial_fill": 1}

        # Three market steps later Ana closes it on her phone: no command, a deal with reason `mobile`.
        for _ in range(3):
            await asyncio.sleep(INTERVAL)
            await ea.tick(next(played.steps))
        assert fill.position not in ea.account.positions, lines
        [close] = [
            deal for deal in ea.account.history if deal.position == fill.position and deal.entry == "out"
        ]
        assert (close.reason, close.magic, close.volume) == ("mobile", 0, Decimal("0.06")), close
        await heartbeat_until("closed_by_hand")
        for _ in range(4):
            await asyncio.sleep(INTERVAL)
            await ea.tick(None)
        await asyncio.sleep(3 * SWEEP_SECONDS)
    assert not ea.result.errors, lines

    told_ana = alerts(ana.messages)
    # the scenario's own position was held before the link: no "manual trade opened" for it
    assert told_ana == {"slippage": 1, "partial_fill": 1, "closed_by_hand": 1}
    texts = [m.text for m in ana.messages if m.text.startswith("⚠️ Cuenta")]
    [slipped] = [text for text in texts if KINDS["slippage"] in text]
    # Prices at the symbol's 5 digits (they are stored with 8), the cost from the EA's own numbers.
    cost = (Decimal(SIGNAL["entry"]) - fill.price) * fill.volume * 100_000
    slipped_at = f"se ejecutó a {es_decimal(fill.price)} en lugar de {es_decimal(Decimal(SIGNAL['entry']))}"
    assert slipped_at in slipped and f"coste {es_decimal(cost.quantize(Decimal('0.01')))}" in slipped, slipped
    [partial] = [text for text in texts if KINDS["partial_fill"] in text]
    filled = f"{es_decimal(fill.volume)} lotes en lugar de {es_decimal(Decimal(SIGNAL['volume']))}"
    assert filled in partial, partial
    assert not [m for m in standin.messages_to(ADMIN_ID) if "sig_rec_1" in m.text]  # none is critical
    stored = await db.rows("SELECT kind, resolved_at FROM divergences ORDER BY first_seen_at")
    assert Counter(row["kind"] for row in stored) == Counter(
        ["slippage", "volume_mismatch", "closed_externally"]
    ), stored

    # /trades: the hand-closed trade is the bot's, its P&L that of the closing deal the EA sent.
    pnl = close.profit + close.swap + close.commission
    answer = await converse(ana, "/trades", expect=lambda m: "Operaciones de" in m.text)
    [bot_line] = [line for line in answer.text.splitlines() if line.startswith("🤖 Bot:")]
    [manual_line] = [line for line in answer.text.splitlines() if line.startswith("✋ Manual:")]
    assert "1 operación" in bot_line and es_decimal(pnl) in bot_line, (answer.text, pnl)
    assert "0 operaciones" in manual_line, answer.text

    # /reconcile: the divergences still open, the closed one among them.
    still_open = [row for row in stored if row["resolved_at"] is None]
    answer = await converse(ana, "/reconcile", expect=lambda m: "Conciliación" in m.text)
    assert f"Divergencias abiertas: {len(still_open)}, críticas: 0." in answer.text, answer.text
    for kind in ("slippage", "partial_fill", "closed_by_hand"):
        assert KINDS[kind] in answer.text, (kind, answer.text)
