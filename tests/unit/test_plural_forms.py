"""Messages that show a count have plural forms (gettext `ngettext`): as many as the language has, all
with the English placeholders, and the right ones (Russian has three: 1 позиция, 2 позиции, 5 позиций)."""

from __future__ import annotations

import string

import pytest

from bot.i18n import Translator, plural_catalog, po_catalog
from core.services.users import SUPPORTED_LANGUAGES

FORMS = {"en": 2, "es": 2, "ru": 3}
RUSSIAN = {  # the three forms: 1 and 21 (not 11), 2–4 and 22–24 (not 12–14), the rest
    1: "1 открытая позиция",
    3: "3 открытые позиции",
    5: "5 открытых позиций",
    11: "11 открытых позиций",
    21: "21 открытая позиция",
    22: "22 открытые позиции",
    25: "25 открытых позиций",
}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_supported_language_says_how_many_plural_forms_it_has() -> None:
    assert {language: po_catalog(language).num_plurals for language in SUPPORTED_LANGUAGES} == FORMS
    assert "plural=(n%10==1 && n%100!=11 ? 0" in po_catalog("ru").plural_forms


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_plural_message_has_every_form_of_each_language_with_the_english_placeholders(
    language: str,
) -> None:
    english = plural_catalog("en")
    translated = plural_catalog(language)

    assert set(translated) == set(english)
    for key, forms in translated.items():
        assert len(forms) == FORMS[language], key
        expected = placeholders(english[key][0])
        assert all(placeholders(form) == expected for form in forms + english[key]), key
        assert "count" in expected, key


@pytest.mark.parametrize(("count", "shown"), sorted(RUSSIAN.items()))
def test_russian_counts_take_the_form_their_last_digits_ask_for(count: int, shown: str) -> None:
    header = Translator("ru").plural("positions.header", count, login=5012345)

    assert header == f"<b>Счёт 5012345</b>: {shown}"


@pytest.mark.parametrize(
    ("language", "one", "five"), [("en", "1 second", "5 seconds"), ("es", "1 segundo", "5 segundos")]
)
def test_english_and_spanish_have_a_singular_for_one_and_a_plural_for_the_rest(
    language: str, one: str, five: str
) -> None:
    t = Translator(language)

    assert (t.plural("unit.seconds", 1), t.plural("unit.seconds", 5), t.plural("unit.seconds", 0)) == (
        one,
        five,
        five.replace("5", "0"),
    )


def test_a_plural_message_no_catalog_has_is_an_error_not_its_id() -> None:
    with pytest.raises(KeyError):
        Translator("ru").plural("no.such.message", 3)
