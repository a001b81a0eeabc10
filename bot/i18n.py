"""gettext catalogs (locales/<lang>/LC_MESSAGES/tradeguard.po, read with Babel) and locale-aware numbers.

Message ids are symbolic (`status.card`); every dynamic value is HTML-escaped before it is placed, so a
rendered message is always valid Telegram HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_datetime, format_timedelta
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from core.services.users import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "tradeguard"


@cache
def catalog(language: str) -> dict[str, str]:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in parsed if m.id and m.string}


class Raw(str):
    """Already-safe HTML (e.g. a rendered fragment) that must not be escaped again."""


@dataclass(frozen=True)
class Translator:
    language: str

    def __call__(self, key: str, **params: object) -> str:
        text = catalog(self.language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
        safe = {
            name: value if isinstance(value, Raw) else html.escape(str(value))
            for name, value in params.items()
        }
        return text.format(**safe)

    def number(self, value: Decimal, digits: int = 2) -> str:
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, format=pattern, locale=self.language, decimal_quantization=True)

    def price(self, value: Decimal) -> str:
        """Prices keep the precision the broker quoted (1.08550 stays 1.08550)."""
        exponent = value.as_tuple().exponent
        digits = max(0, -exponent) if isinstance(exponent, int) else 5
        return self.number(value, digits)

    def money(self, value: Decimal, currency: str) -> str:
        return format_currency(value, currency, locale=self.language)

    def percent(self, value: Decimal) -> str:
        return self.number(value, 2) + "%"

    def ago(self, delta: timedelta) -> str:
        return format_timedelta(delta, locale=self.language, add_direction=True, threshold=1.1)

    def moment(self, value: datetime) -> str:
        return format_datetime(value, format="medium", locale=self.language, tzinfo=value.tzinfo)


def translator(language: str | None) -> Translator:
    return Translator(language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE)
