"""Formatting shared by the views and the alerts: money in its currency, lists of tickets."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from bot.i18n import Translator


def money(t: Translator, value: Decimal | None, currency: str | None) -> str:
    if value is None:
        return "—"
    return t.money(value, currency) if currency else t.number(value)


def tickets(numbers: Iterable[int]) -> str:
    return ", ".join(f"#{ticket}" for ticket in numbers) or "—"
