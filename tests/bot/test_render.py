"""Rendering is pure: every message, in every language, with hostile values, is HTML Telegram accepts.

The stand-in's `parse_html(strict=True)` is the judge: it parses as Telegram does and also refuses a
bare `&`, which nearly always means an interpolated value was not escaped.
"""

from __future__ import annotations

import string
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot

from bot.i18n import Raw, Translator, catalog, plural_catalog, translator
from bot.render import SAFE_LIMIT, TELEGRAM_LIMIT, render_alert, render_positions, split_message
from core.domain.alerts import ClosedPosition, LiquidationWarning, UnknownAlert
from core.domain.guard.events import BreachReason
from core.domain.models import AccountView
from core.services.users import SUPPORTED_LANGUAGES
from sim.telegram import BotApiStandIn, parse_html, utf16_len
from tests.bot.conftest import TOKEN

LANGUAGES = list(SUPPORTED_LANGUAGES)
HOSTILE = [
    "<script>alert(1)</script>",
    "&",
    'a"b',
    "&amp; &lt;b&gt;",
    "</b></code><i>",
    "N" * 5000,
]
ENGLISH_KEYS = sorted(catalog("en"))


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def visible(text: str) -> str:
    return parse_html(text, strict=True).text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_english_message_with_the_same_placeholders(language: str) -> None:
    english, translated = catalog("en"), catalog(language)

    assert sorted(set(english) - set(translated)) == []
    wrong = {key: fields(translated[key]) ^ fields(english[key]) for key in english}
    assert {key: diff for key, diff in wrong.items() if diff} == {}


@pytest.mark.parametrize("hostile", HOSTILE, ids=["script", "amp", "quote", "entities", "tags", "5000"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_with_hostile_values_is_html_telegram_accepts_and_shows_them_literally(
    language: str, hostile: str
) -> None:
    t = Translator(language)
    for key in ENGLISH_KEYS:
        names = fields(catalog("en")[key])
        text = t(key, **dict.fromkeys(names, hostile))

        shown = visible(text)

        if names:
            assert hostile.strip() in shown, key


@pytest.mark.parametrize("hostile", HOSTILE, ids=["script", "amp", "quote", "entities", "tags", "5000"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_message_with_hostile_values_is_html_telegram_accepts_in_each_of_its_forms(
    language: str, hostile: str
) -> None:
    t = Translator(language)
    for key, forms in plural_catalog("en").items():
        names = set().union(*map(fields, forms)) - {"count"}
        for count in (0, 1, 2, 5, 21, 123456789012345):
            text = t.plural(key, count, **dict.fromkeys(names, hostile))

            shown = visible(text)

            assert str(count) in shown, key
            if names:
                assert hostile.strip() in shown, key


def test_a_value_that_is_no_registered_alert_type_is_refused_rather_than_sent_half_rendered() -> None:
    with pytest.raises(UnknownAlert, match="not a registered alert type"):
        render_alert(translator("en"), ClosedPosition(1))  # type: ignore[arg-type]


lines_strategy = st.lists(
    st.text(
        alphabet=st.characters(blacklist_characters="\n", blacklist_categories=["Cs"]),
        min_size=1,
        max_size=900,
    ),
    min_size=1,
    max_size=40,
)


@given(lines_strategy)
def test_split_message_keeps_every_part_under_the_limit_and_splits_only_between_lines(
    lines: list[str],
) -> None:
    text = "\n".join(lines)

    parts = split_message(text)

    assert all(0 < utf16_len(part) <= TELEGRAM_LIMIT for part in parts)
    assert "\n".join(parts) == text  # nothing lost, nothing added, in order
    boundaries = {sum(len(line) + 1 for line in lines[:i]) for i in range(len(lines) + 1)}
    offset = 0
    for part in parts[:-1]:
        offset += len(part) + 1
        assert offset in boundaries


def test_split_message_leaves_a_short_message_alone() -> None:
    assert split_message("one\n\ntwo") == ["one\n\ntwo"]


def test_split_message_cuts_a_single_line_longer_than_the_limit_and_keeps_the_order() -> None:
    line = "x" * (SAFE_LIMIT * 2 + 10)

    parts = split_message(f"head\n{line}\ntail")

    assert parts[0] == "head"
    assert all(len(part) <= TELEGRAM_LIMIT for part in parts)
    assert "".join(parts).replace("\n", "") == f"head{line}tail"


def test_split_message_counts_as_telegram_does_in_utf16_units_and_never_splits_a_character() -> None:
    emoji_line = "😀" * 3000  # 3,000 characters, 6,000 UTF-16 units
    lines = "\n".join(["€𝔼😀 line"] * 1500)

    for text in (emoji_line, lines):
        parts = split_message(text)

        assert len(parts) > 1
        assert all(utf16_len(part) <= TELEGRAM_LIMIT for part in parts)
        assert all(part.encode("utf-8") for part in parts)  # a lone surrogate would not encode
        assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def many_positions(count: int, symbol: str = "EURUSD") -> AccountView:
    positions = tuple(
        {
            "ticket": 10_000_000 + n,
            "symbol": symbol,
            "side": "buy" if n % 2 else "sell",
            "volume": "1.25",
            "open_price": "1.08550",
            "price": "1.08400",
            "profit": f"-{n}.25",
        }
        for n in range(count)
    )
    return AccountView(
        1, 5012345, "Broker-Live", "USD", Decimal("10000"), Decimal("9000"), Decimal("100"), Decimal("10000"),
        datetime.now(UTC), positions,
    )  # fmt: skip


@pytest.fixture
async def standin_bot() -> AsyncIterator[tuple[BotApiStandIn, Bot]]:
    async with BotApiStandIn(token=TOKEN, per_chat_per_minute=None, global_rate=None) as standin:
        async with Bot(TOKEN, base_url=f"{standin.url}/bot") as bot:
            yield standin, bot


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("symbol", ["EURUSD", "<&>\"'" * 6, "€𝔼𝕌ℝ😀" * 6])
async def test_a_positions_answer_for_500_positions_arrives_as_several_messages_telegram_accepts(
    standin_bot: tuple[BotApiStandIn, Bot], language: str, symbol: str
) -> None:
    standin, bot = standin_bot
    view = many_positions(500, symbol[:32])

    parts = split_message(render_positions(translator(language), view))
    for part in parts:
        await bot.send_message(1001, part, parse_mode="HTML")

    sent = standin.messages_to(1001)
    assert len(parts) > 1 and len(sent) == len(parts)
    assert all(utf16_len(message.text) <= TELEGRAM_LIMIT for message in sent)
    tickets = [word for message in sent for word in message.text.split() if word.startswith("#")]
    assert tickets == [f"#{10_000_000 + n}" for n in range(500)]  # all of them, in order, once


def test_raw_fragments_are_placed_as_they_are_and_everything_else_is_escaped() -> None:
    t = Translator("en")

    text = t("positions.line", ticket=1, symbol="<b>", side=Raw("<i>buy</i>"), volume="1", open_price="2",
             price="3", profit="&")  # fmt: skip

    assert text == "#1 &lt;b&gt; <i>buy</i> 1 @ 2 → 3: <b>&amp;</b>"


def breach(grace_seconds: int) -> LiquidationWarning:
    return LiquidationWarning(
        login=5012345,
        server="Broker-Live",
        currency="USD",
        breach_no=1,
        reason=BreachReason.MAX_DRAWDOWN,
        drawdown_percent=Decimal("21.5"),
        equity=Decimal("7850.00"),
        grace_until=datetime(2026, 11, 27, 21, tzinfo=UTC),
        grace_seconds=grace_seconds,
    )


@pytest.mark.parametrize(
    ("grace", "says"),
    [(0, "being closed now"), (1, "will be closed in 1 second "), (10, "will be closed in 10 seconds")],
)
def test_a_breach_without_a_grace_says_the_positions_are_being_closed_now(grace: int, says: str) -> None:
    text = visible(render_alert(translator("en"), breach(grace)))

    assert says in text
    assert "in 0 s" not in text
