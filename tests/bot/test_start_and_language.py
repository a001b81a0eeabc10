"""/start, deep-link payloads and /language, as a Telegram user sees them."""

from __future__ import annotations

import pytest

from tests.bot.conftest import Stack

GREETINGS = {
    "en": "Hello, Ann! I am TradeGuard.",
    "es": "¡Hola, Ann! Soy TradeGuard.",
    "ru": "Здравствуйте, Ann! Я TradeGuard.",
}


@pytest.mark.parametrize(
    ("telegram_language", "greeting", "stored"),
    [
        ("en", GREETINGS["en"], "en"),
        ("es", GREETINGS["es"], "es"),
        ("es-AR", GREETINGS["es"], "es"),
        ("ru", GREETINGS["ru"], "ru"),
        ("de", GREETINGS["en"], "en"),
        (None, GREETINGS["en"], "en"),
    ],
)
async def test_start_greets_in_the_users_telegram_language_and_falls_back_to_english(
    stack: Stack, telegram_language: str | None, greeting: str, stored: str
) -> None:
    ann = stack.user(1001, "Ann", telegram_language)

    answer = await stack.ask(ann, "/start")

    assert answer.text.startswith(greeting)
    assert "20.00%" in answer.text or "20,00%" in answer.text  # the service limit, in the locale
    assert await stack.scalar("SELECT language FROM users WHERE telegram_id = 1001") == stored


async def test_start_escapes_a_hostile_first_name_and_shows_it_literally(stack: Stack) -> None:
    mallory = stack.user(1003, '<b>Mal</b> & "co"', "en")

    answer = await stack.ask(mallory, "/start")

    assert answer.text.startswith('Hello, <b>Mal</b> & "co"!')
    assert answer.entity_texts("bold")[0] == '<b>Mal</b> & "co"'


async def test_start_with_a_referral_payload_stores_it(stack: Stack) -> None:
    ann = stack.user(1001)

    answer = await stack.ask(ann, "/start ref_abc123")

    assert answer.text.startswith(GREETINGS["en"])
    assert await stack.scalar("SELECT start_payload FROM users WHERE telegram_id = 1001") == "ref_abc123"


async def test_a_second_start_payload_does_not_overwrite_the_first_referral(stack: Stack) -> None:
    ann = stack.user(1001)
    await stack.ask(ann, "/start ref_abc123")

    again = await stack.ask(ann, "/start ref_other")

    assert again.text.startswith(GREETINGS["en"])
    assert await stack.scalar("SELECT start_payload FROM users WHERE telegram_id = 1001") == "ref_abc123"


async def test_a_mangled_start_payload_still_gets_a_greeting_and_stores_nothing(stack: Stack) -> None:
    ann = stack.user(1001)

    answer = await stack.ask(ann, "/start ref_<script>")

    assert answer.text.startswith(GREETINGS["en"])
    assert await stack.scalar("SELECT start_payload FROM users WHERE telegram_id = 1001") is None


async def test_language_es_switches_and_the_next_replies_are_spanish(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "en")
    await stack.ask(ann, "/start")

    switched = await stack.ask(ann, "/language es")
    greeting = await stack.ask(ann, "/start")
    unknown = await stack.ask(ann, "/nonsense")

    assert switched.text == "Hecho: te hablaré en español."
    assert greeting.text.startswith(GREETINGS["es"])
    assert "20,00%" in greeting.text
    assert unknown.text.startswith("No conozco ese comando")
    assert await stack.scalar("SELECT language FROM users WHERE telegram_id = 1001") == "es"


async def test_the_chosen_language_outlives_the_users_telegram_language(stack: Stack) -> None:
    """A later update still carries `language_code: en`; the explicit choice must win over it."""
    ann = stack.user(1001, "Ann", "en")
    await stack.ask(ann, "/language ru")

    greeting = await stack.ask(ann, "/start")

    assert greeting.text.startswith(GREETINGS["ru"])


async def test_language_with_an_unknown_code_answers_the_usage_and_changes_nothing(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "en")

    answer = await stack.ask(ann, "/language xx")

    assert answer.text == "Usage: /language <code>, one of: en, es, ru"
    assert await stack.scalar("SELECT language FROM users WHERE telegram_id = 1001") == "en"


async def test_language_without_argument_offers_three_buttons_and_pressing_one_switches(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "en")

    menu = await stack.ask(ann, "/language")
    labels = {button["text"]: button["callback_data"] for button in menu.buttons}
    done = await stack.press(ann, menu, labels["Русский"])
    greeting = await stack.ask(ann, "/start")

    assert menu.text == "Choose your language:"
    assert set(labels) == {"English", "Español", "Русский"}
    assert done.text == "Готово: буду говорить с вами по-русски."
    assert greeting.text.startswith(GREETINGS["ru"])
    assert await stack.scalar("SELECT language FROM users WHERE telegram_id = 1001") == "ru"


async def test_every_trader_command_answers_a_new_user_without_an_error(stack: Stack) -> None:
    """The stand-in refuses HTML Telegram would refuse, so an unescaped value shows up here as an error."""
    ann = stack.user(1001, "Ann", "es")
    for command in ("/start", "/help", "/language", "/accounts", "/status", "/positions", "/settings"):
        answer = await stack.ask(ann, command)
        assert answer.parse_mode == "HTML", command
        assert "Algo falló" not in answer.text, command
        assert "No conozco ese comando" not in answer.text, command


async def test_help_names_every_trader_command_in_the_menu(stack: Stack) -> None:
    """A trader learns of /subscribe and /referral (issue 11) where they learn of the rest."""
    from bot.commands_menu import TRADER_COMMANDS

    answer = await stack.ask(stack.user(1001, "Ann", "ru"), "/help")

    missing = [
        name for name in TRADER_COMMANDS if f"/{name}" not in answer.text and name not in ("start", "help")
    ]
    assert missing == []
