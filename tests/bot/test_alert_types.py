"""Every alert type, in every language, with hostile values: it has a message, its message names only
values its renderer gives, and what comes out is HTML Telegram accepts, split under Telegram's limit.

The alerts are built from their types' annotations (tests/unit/alert_samples.py), so a new type is
walked without being listed here; a type missing from the registry or the renderers fails the first test.
"""

from __future__ import annotations

import string
from typing import Any, get_args

import pytest

from bot.i18n import catalog, translator
from bot.render import RENDERERS, TELEGRAM_LIMIT, alert_values, render_alert, split_message
from bot.render.digest import ITEM_LINES
from core.domain.alerts import REGISTRY, AlertBody, AnyDigestItem
from core.services.users import SUPPORTED_LANGUAGES
from sim.telegram import parse_html, utf16_len
from tests.unit.alert_samples import ALERT_TYPES, LOGIN, PROFILES, VARIANTS, Profile, leaves, sample


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def cases() -> list[Any]:
    return [
        pytest.param(alert_type, profile, variant, id=f"{REGISTRY[alert_type].kind}-{profile.name}-{variant}")
        for alert_type in ALERT_TYPES
        for profile in PROFILES
        for variant in VARIANTS
    ]


def test_every_alert_type_is_registered_once_and_has_a_renderer() -> None:
    kinds = [spec.kind for spec in REGISTRY.values()]

    assert sorted(leaves(AlertBody), key=str) == sorted(REGISTRY, key=str)
    assert len(set(kinds)) == len(kinds)
    assert set(RENDERERS) == set(REGISTRY)
    assert set(ITEM_LINES) == set(get_args(AnyDigestItem))


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("alert_type", ALERT_TYPES, ids=lambda alert_type: REGISTRY[alert_type].kind)
def test_every_alert_type_has_its_message_in_every_language(alert_type: type, language: str) -> None:
    assert REGISTRY[alert_type].message_id in catalog(language)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize(("alert_type", "profile", "variant"), cases())
def test_every_alert_type_renders_in_every_language_as_html_telegram_accepts(
    alert_type: type, profile: Profile, variant: int, language: str
) -> None:
    alert = sample(alert_type, profile, variant)
    t = translator(language)
    message = catalog(language)[REGISTRY[alert_type].message_id]

    assert placeholders(message) <= set(alert_values(t, alert))
    text = render_alert(t, alert)

    shown = parse_html(text, strict=True).text
    if "login" in placeholders(message):
        assert str(LOGIN) in shown
    if "server" in placeholders(message):
        assert profile.text in shown  # escaped going in, literal coming out
    parts = split_message(text)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    for part in parts:
        assert utf16_len(part) <= TELEGRAM_LIMIT
        parse_html(part, strict=True)  # each part is sent on its own


def test_a_message_naming_a_value_its_renderer_lacks_is_caught() -> None:
    """The check above, shown to bite: a message asking for more than the renderer gives."""
    alert = sample(ALERT_TYPES[0], PROFILES[1], 0)
    given = set(alert_values(translator("en"), alert))

    assert not placeholders("{login} {no_such_value}") <= given
