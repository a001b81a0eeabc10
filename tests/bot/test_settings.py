"""/settings limit: a trader may tighten the drawdown limit of their accounts, never loosen it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.bot.conftest import LOGIN, Stack

LIMIT_SQL = "SELECT personal_max_drawdown_percent FROM accounts WHERE login = :login"


async def test_a_stricter_limit_is_stored_shown_and_used_by_the_guard(stack: Stack) -> None:
    ann = stack.user(1001)
    creds = await stack.link(ann)
    await stack.connect(creds, equity="10000.00")

    answer = await stack.ask(ann, "/settings limit 15")
    shown = await stack.ask(ann, "/settings")
    await stack.send_snapshot(creds, 2, equity="8400.00")  # 16% below the peak: past 15, short of 20
    warned = await stack.standin.wait_for_message(1001, lambda m: m.text.startswith("🚨"))

    assert answer.text == "Your accounts will now be closed out at 15.00% below their peak."
    assert await stack.scalar(LIMIT_SQL, login=LOGIN) == Decimal("15.00")
    assert "Personal drawdown limit: 15.00% (service limit 20.00%)" in shown.text
    assert "Drawdown 16.00%" in warned.text
    commands = await stack.rows("SELECT type FROM commands ORDER BY type")
    assert [row.type for row in commands] == ["close_all", "lock"]


async def test_a_looser_limit_than_the_service_is_refused_and_changes_nothing(stack: Stack) -> None:
    ann = stack.user(1001)
    await stack.link(ann)
    await stack.ask(ann, "/settings limit 15")

    answer = await stack.ask(ann, "/settings limit 25")

    assert answer.text == "A personal limit can only be stricter than the service limit of 20.00%."
    assert await stack.scalar(LIMIT_SQL, login=LOGIN) == Decimal("15.00")


async def test_limit_off_clears_the_personal_limit(stack: Stack) -> None:
    ann = stack.user(1001)
    await stack.link(ann)
    await stack.ask(ann, "/settings limit 15")

    answer = await stack.ask(ann, "/settings limit off")
    shown = await stack.ask(ann, "/settings")

    assert answer.text == "Personal limit removed: the service limit of 20.00% applies."
    assert await stack.scalar(LIMIT_SQL, login=LOGIN) is None
    assert "Personal drawdown limit: none (service limit 20.00%)" in shown.text


@pytest.mark.parametrize(
    "value", ["abc", "0", "-5", "100", "NaN", "1e9", "1e1", "١٢", "１２", "12²", "9" * 400, "0.001"]
)
async def test_a_limit_that_is_not_a_percentage_answers_how_to_write_one(stack: Stack, value: str) -> None:
    ann = stack.user(1001)
    await stack.link(ann)

    answer = await stack.ask(ann, f"/settings limit {value}")

    assert answer.text.startswith("The limit must be a percentage between 0 and 20.00%")
    assert await stack.scalar(LIMIT_SQL, login=LOGIN) is None


async def test_the_limit_answer_is_in_the_traders_language(stack: Stack) -> None:
    boris = stack.user(1002, "Boris", "es")
    await stack.link(boris)

    answer = await stack.ask(boris, "/settings limit 12,5")

    assert answer.text == "Tus cuentas se liquidarán al 12,50% por debajo de su máximo."
    assert await stack.scalar(LIMIT_SQL, login=LOGIN) == Decimal("12.50")
