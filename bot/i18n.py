"""gettext catalogs (locales/<lang>/LC_MESSAGES/tradeguard.po, read with Babel) and locale-aware numbers.

Message ids are symbolic (`status.card`); every dynamic value is HTML-escaped before it is placed, so a
rendered message is always valid Telegram HTML.

A message that shows a count has plural forms (`msgid_plural`, `msgstr[n]`), chosen by gettext's
`ngettext` with the catalog's `Plural-Forms` header (Russian has three). The .po files are the only
source: they are compiled in memory when first used, so there is no .mo file to build or forget.
"""

from __future__ import annotations

import gettext
import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_datetime, format_timedelta
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from core.services.users import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "tradeguard"

STARS = "XTR"  # ISO 4217-like code Telegram gives its Stars


@cache
def po_catalog(language: str) -> Catalog:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@cache
def catalog(language: str) -> dict[str, str]:
    """The messages without plural forms, by id."""
    return {
        str(m.id): str(m.string) for m in po_catalog(language) if m.id and m.string and not m.pluralizable
    }


@cache
def plural_catalog(language: str) -> dict[str, tuple[str, ...]]:
    """The messages with plural forms, by id: one text per form of the language, in gettext's order."""
    return {
        str(m.id[0]): tuple(str(form) for form in m.string)
        for m in po_catalog(language)
        if m.pluralizable and all(m.string)
    }


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The catalog as gettext reads it (compiled to .mo in memory), for `ngettext`."""
    compiled = BytesIO()
    write_mo(compiled, po_catalog(language))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Raw(str):
    """Already-safe HTML (e.g. a rendered fragment) that must not be escaped again."""


@dataclass(frozen=True)
class Translator:
    language: str

    def __call__(self, key: str, **params: object) -> str:
        text = catalog(self.language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
        return _fill(text, params)

    def plural(self, key: str, count: int, **params: object) -> str:
        """The form of message `key` for `count`, which it shows as `{count}`."""
        language = self.language if key in plural_catalog(self.language) else DEFAULT_LANGUAGE
        if key not in plural_catalog(language):
            raise KeyError(key)  # gettext would answer with the id itself
        return _fill(translations(language).ngettext(key, key, count), {**params, "count": count})

    def number(self, value: Decimal, digits: int = 2) -> str:
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, format=pattern, locale=self.language, decimal_quantization=True)

    def price(self, value: Decimal) -> str:
        """Prices keep the precision the broker quoted (1.08550 stays 1.08550)."""
        exponent = value.as_tuple().exponent
        digits = max(0, -exponent) if isinstance(exponent, int) else 5
        return self.number(value, digits)

    def money(self, value: Decimal, currency: str) -> str:
        if currency == STARS:  # Telegram Stars: whole units, a sign CLDR does not know
            return f"{self.number(value, 0)} ⭐"
        return format_currency(value, currency, locale=self.language)

    def percent(self, value: Decimal) -> str:
        return self.number(value, 2) + "%"

    def ago(self, delta: timedelta) -> str:
        return format_timedelta(delta, locale=self.language, add_direction=True, threshold=1.1)

    def moment(self, value: datetime) -> str:
        return format_datetime(value, format="medium", locale=self.language, tzinfo=value.tzinfo)


def _fill(text: str, params: dict[str, object]) -> str:
    safe = {
        name: value if isinstance(value, Raw) else html.escape(str(value)) for name, value in params.items()
    }
    return text.format(**safe)


def translator(language: str | None) -> Translator:
    return Translator(language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE)
