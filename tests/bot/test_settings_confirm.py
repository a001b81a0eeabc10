"""/settings limit: kept toward the stricter, and a limit that would close out an account at once waits
for the trader's confirmation, checked again when the button is pressed."""

from __future__ import annotations

from decimal import Decimal

from tests.bot.conftest import LOGIN, Credentials, Stack

LIMIT_SQL = "SELECT personal_max_drawdown_percent FROM accounts WHERE login = :login"
CONFIRM_12 = "lim:v1:12.00"
KEEP = "lim:v1:no"


async def twelve_percent_down(stack: Stack) -> Credentials:
    ann = stack.user(1001)
    creds = await stack.link(ann)
    await stack.connect(creds, equity="10000.00")
    await stack.send_snapshot(creds, 2, equity="8800.00")
    return creds


async def test_a_limit_with_more_decimals_is_kept_rounded_toward_the_stricter(stack: Stack) -> None:
    ann = stack.user(1001)
    await stack.link(ann)

    answer = await stack.ask(ann, "/settings limit 12.355")

    assert answer.text == "Your accounts will now be closed out at 12.35% below their peak."
    assert await stack.scalar(LIMIT_SQL, login=LOGIN) == Decimal("12.35")


async def test_a_limit_under_the_current_drawdown_asks_to_confirm_and_changes_nothing_yet(
    stack: Stack,
) -> None:
    await twelve_percent_down(stack)

    question = await stack.ask(stack.user(1001), "/settings limit 12")

    assert question.text == (
        "An account of yours is already 12.00% below its peak: a limit of 12.00% closes all its"
        " positions at its next update. Set it anyway?"
    )
    assert [button["callback_data"] for button in question.buttons] == [CONFIRM_12, KEEP]
    assert await stack.scalar(LIMIT_SQL, login=LOGIN) is None


async def test_confirming_sets_the_limit_and_the_next_snapshot_closes_the_account_out(stack: Stack) -> None:
    creds = await twelve_percent_down(stack)
    ann = stack.user(1001)
    question = await stack.ask(ann, "/settings limit 12")

    answer = await stack.press(ann, question, CONFIRM_12)
    await stack.send_snapshot(creds, 3, equity="8800.00")
    closing = await stack.standin.wait_for_message(1001, lambda m: m.text.startswith("🚨"))

    assert answer.text == "Your accounts will now be closed out at 12.00% below their peak."
    assert await stack.scalar(LIMIT_SQL, login=LOGIN) == Decimal("12.00")
    assert stack.standin.current_message(1001, question.message_id).get("reply_markup") is None
    assert "Drawdown 12.00%" in closing.text


async def test_keeping_the_limit_changes_nothing(stack: Stack) -> None:
    await twelve_percent_down(stack)
    ann = stack.user(1001)
    question = await stack.ask(ann, "/settings limit 12")

    answer = await stack.press(ann, question, KEEP)

    assert answer.text == "Nothing changed: your limit stays as it was."
    assert await stack.scalar(LIMIT_SQL, login=LOGIN) is None


async def test_the_press_applies_the_limit_to_the_accounts_of_that_moment(stack: Stack) -> None:
    await twelve_percent_down(stack)
    ann = stack.user(1001)
    question = await stack.ask(ann, "/settings limit 12")
    await stack.link(ann, login=LOGIN + 1)  # linked between the question and the press

    await stack.press(ann, question, CONFIRM_12)

    limits = await stack.rows("SELECT login, personal_max_drawdown_percent FROM accounts ORDER BY login")
    assert [tuple(row) for row in limits] == [(LOGIN, Decimal("12.00")), (LOGIN + 1, Decimal("12.00"))]


async def test_a_limit_above_the_current_drawdown_is_set_without_asking(stack: Stack) -> None:
    await twelve_percent_down(stack)

    answer = await stack.ask(stack.user(1001), "/settings limit 12.01")

    assert answer.text == "Your accounts will now be closed out at 12.01% below their peak."
