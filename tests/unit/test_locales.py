"""Every shipped language has every message, with the same placeholders as English."""

from __future__ import annotations

import string

import pytest

from bot.i18n import LOCALES_DIR, catalog
from core.services.users import SUPPORTED_LANGUAGES


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_supported_language_ships_a_catalog() -> None:
    shipped = {path.name for path in LOCALES_DIR.iterdir() if path.is_dir()}
    assert shipped == set(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize("language", [lang for lang in SUPPORTED_LANGUAGES if lang != "en"])
def test_a_translation_has_every_english_message(language: str) -> None:
    missing = set(catalog("en")) - set(catalog(language))
    assert not missing, f"{language} misses {sorted(missing)}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_a_translation_uses_exactly_the_english_placeholders(language: str) -> None:
    english = catalog("en")
    translated = catalog(language).items()
    wrong = {key for key, text in translated if placeholders(text) != placeholders(english[key])}
    assert not wrong, f"{language}: placeholders differ in {sorted(wrong)}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_no_translation_has_messages_english_lacks(language: str) -> None:
    assert set(catalog(language)) <= set(catalog("en"))


def test_every_fraud_rule_the_checks_score_has_words_in_english() -> None:
    """The affiliate is told which checks hold their commission by name (bot/render/fraud.rule_name), and
    the other languages follow English (above): a rule added to the checks without words fails here."""
    from core.domain.affiliates.fraud import WEIGHTS

    assert {f"fraud.rule.{rule}" for rule in WEIGHTS} <= set(catalog("en"))
