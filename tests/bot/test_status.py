"""What a trader sees about their own account once its EA reports: the connected alert, /status,
/positions and /accounts, in their language, and nothing about anybody else's account."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal

from sim.ea.simulator import run_simulated_ea
from tests.bot.conftest import LOGIN, SERVER, Stack, is_connected_alert, is_reply, position

BOB_LOGIN, BOB_SERVER = 6023456, "Other-Demo"
AGO = {"en": r"\d+ seconds? ago", "es": r"hace \d+ segundos?", "ru": r"\d+ секунд[уы]? назад"}
LABELS = {
    "en": ("Equity", "Balance", "Floating P&L", "Peak equity", "Drawdown from peak", "Margin level"),
    "es": (
        "Capital",
        "Balance",
        "P&L flotante",
        "Capital máximo",
        "Caída desde el máximo",
        "Nivel de margen",
    ),
}
POSITIONS = [
    position(123456),
    position(
        123457,
        symbol="XAUUSD",
        side="sell",
        volume="1.50",
        open_price="2650.10",
        price="2648.35",
        profit="262.50",
    ),
]


def usd(value: str, language: str) -> str:
    return format_currency(Decimal(value), "USD", locale=language)


def number(value: str, language: str) -> str:
    return format_decimal(Decimal(value), format="#,##0.00", locale=language)


async def test_the_trader_receives_the_connected_alert_when_the_ea_first_reports(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "es")
    creds = await stack.link(ann)

    alert = await stack.connect(creds)

    assert alert.text == (
        f"✅ La cuenta {LOGIN} ({SERVER}) está conectada y protegida.\n"
        f"Capital {usd('9850.50', 'es')}, balance {usd('10000.00', 'es')}."
    )
    assert "9.850,50" in alert.text
    await stack.eventually("SELECT kind, status, chat_id FROM outbox", [("account_connected", "sent", 1001)])


async def test_the_connected_alert_comes_once_however_many_snapshots_the_ea_sends(stack: Stack) -> None:
    ann = stack.user(1001)
    creds = await stack.link(ann)

    result = await run_simulated_ea(
        stack.http_url,
        creds.device_id,
        creds.secret,
        "steady",
        login=LOGIN,
        server=SERVER,
        interval=0,
        steps=3,
    )
    await stack.standin.wait_for_message(1001, lambda m: is_connected_alert(m, LOGIN))
    await stack.eventually("SELECT kind, status FROM outbox", [("account_connected", "sent")])
    status = await stack.ask(ann, "/status")

    assert result.errors == [] and result.snapshots_sent == 4
    assert len([m for m in stack.standin.messages_to(1001) if is_connected_alert(m, LOGIN)]) == 1
    assert status.text.startswith(f"Account {LOGIN} ({SERVER})\nProtection: 🟢 protected\nEquity: $")


@pytest.mark.parametrize("language", ["en", "es", "ru"])
async def test_status_shows_equity_balance_pnl_peak_drawdown_margin_and_age_in_the_users_locale(
    stack: Stack, language: str
) -> None:
    ann = stack.user(1001, "Ann", language)
    creds = await stack.link(ann)
    await stack.connect(creds, equity="10250.00")
    await stack.send_snapshot(creds, 2)  # equity 9850.50, balance 10000.00, margin 120.00

    card = (await stack.ask(ann, "/status")).text

    assert usd("9850.50", language) in card  # equity
    assert usd("10000.00", language) in card  # balance
    assert usd("-149.50", language) in card  # floating P&L
    assert usd("10250.00", language) in card  # peak equity
    assert f"{number('3.90', language)}%" in card  # (10250 - 9850.50) / 10250
    assert f"{number('20.00', language)}%" in card  # the limit
    assert f"{number('8208.75', language)}%" in card  # margin level 9850.50 / 120
    assert re.search(AGO[language], card), card
    if language in LABELS:
        for label in LABELS[language]:
            assert f"{label}: " in card
    if language == "es":
        assert "9.850,50" in card and "10.250,00" in card
    if language == "ru":
        assert "9,850" not in card and "9.850" not in card  # a space-like separator, whatever Babel says


async def test_status_before_any_snapshot_says_there_is_no_data_yet(stack: Stack) -> None:
    ann = stack.user(1001)
    await stack.link(ann)

    answer = await stack.ask(ann, "/status")

    assert answer.text == f"Account {LOGIN} ({SERVER}): no data from MT5 yet. Is the EA running?"


async def test_positions_lists_ticket_symbol_side_volume_prices_and_pnl(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "en")
    creds = await stack.link(ann)
    await stack.connect(creds, positions=POSITIONS)

    answer = await stack.ask(ann, "/positions")

    lines = answer.text.split("\n")
    assert lines[0] == f"Account {LOGIN}: 2 open positions"
    assert lines[1] == "#123456 EURUSD buy 0.10 @ 1.08550 → 1.08400: -$15.00"
    assert lines[2] == "#123457 XAUUSD sell 1.50 @ 2,650.10 → 2,648.35: $262.50"


async def test_positions_in_spanish_uses_spanish_sides_and_numbers(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "es")
    creds = await stack.link(ann)
    await stack.connect(creds, positions=POSITIONS)

    answer = await stack.ask(ann, "/positions")

    assert "#123456 EURUSD" in answer.text and "0,10" in answer.text and "1,08550" in answer.text
    assert "2.650,10" in answer.text and usd("262.50", "es") in answer.text
    assert " buy " not in answer.text and " sell " not in answer.text


async def test_positions_with_nothing_open_says_so(stack: Stack) -> None:
    ann = stack.user(1001)
    creds = await stack.link(ann)
    await stack.connect(creds, positions=[])

    answer = await stack.ask(ann, "/positions")

    assert answer.text == f"Account {LOGIN}: no open positions."


async def test_accounts_lists_the_traders_linked_accounts(stack: Stack) -> None:
    ann = stack.user(1001)
    await stack.link(ann)
    await stack.link(ann, 5012399, "Broker-Demo")

    answer = await stack.ask(ann, "/accounts")

    assert answer.text == f"Your accounts\n• {LOGIN} — {SERVER}\n• 5012399 — Broker-Demo"


async def test_a_second_trader_sees_none_of_the_first_traders_accounts(stack: Stack) -> None:
    ann, bob = stack.user(1001, "Ann"), stack.user(1002, "Bob")
    ann_creds = await stack.link(ann)
    bob_creds = await stack.link(bob, BOB_LOGIN, BOB_SERVER)
    await stack.connect(ann_creds, positions=POSITIONS)
    await stack.connect(bob_creds, positions=[position(777001)], equity="5000.00", balance="5000.00")

    accounts = await stack.ask(bob, "/accounts")
    status = await stack.ask(bob, "/status")
    positions = await stack.ask(bob, "/positions")
    peek = await stack.ask(bob, f"/status {LOGIN}")

    for answer in (accounts, status, positions):
        assert str(BOB_LOGIN) in answer.text
        assert str(LOGIN) not in answer.text and SERVER not in answer.text
    assert "#777001" in positions.text and "#123456" not in positions.text and "XAUUSD" not in positions.text
    assert "9,850.50" not in status.text
    assert peek.text.startswith("No linked accounts yet")


async def test_positions_for_500_positions_arrive_as_several_messages_in_order(stack: Stack) -> None:
    ann = stack.user(1001)
    creds = await stack.link(ann)
    symbols = ["EURUSD", "€𝔼𝕌ℝ😀<&>" * 4]  # the EA may send any 32 characters; an emoji is 2 UTF-16 units
    many = [position(900_000 + n, symbol=symbols[n % 2][:32]) for n in range(500)]
    await stack.connect(creds, positions=many)
    mark = stack.standin.mark()

    await stack.ask(ann, "/positions")
    await stack.standin.wait_for_message(1001, lambda m: "#900499" in m.text, after=mark)

    answers = [m for m in stack.standin.sent[mark:] if m.chat_id == 1001 and is_reply(m)]
    assert len(answers) > 1
    assert answers[0].text.startswith(f"Account {LOGIN}: 500 open positions")
    tickets = [word for m in answers for word in m.text.split() if word.startswith("#")]
    assert tickets == [f"#{900_000 + n}" for n in range(500)]
