"""The point of a symbol: its smallest price step as MT5 quotes it (`SYMBOL_POINT`).

Tolerances (slippage, a moved stop) are given in points of the symbol, because a price difference
means nothing alone: 0.03 is 3 points of gold (XAUUSD, point 0.01) and 30 points of USDJPY
(point 0.001), 3,000 of EURUSD (point 0.00001).

The snapshot does not carry the point (BRIDGE.md v1), so it comes from this table and, for a symbol
not in it, from a rule on its name:

- broker decorations are ignored: `EURUSD.m`, `EURUSDm`, `EURUSD-ECN`, `#US30`, `eurusd` are EURUSD;
- a six-letter pair of ISO currencies is a forex pair: 0.001 when one side is a low-value currency
  quoted with three digits (JPY, HUF), 0.00001 otherwise (the 5-digit pricing most brokers use);
- metals: gold and platinum/palladium 0.01, silver 0.001;
- indices: 0.01. US30 (Dow Jones) is 0.01 at the brokers most traders use (IC Markets, FXCM, Exness
  quote it with 2 digits); a broker quoting 1 digit (0.1) passes its own point as an override;
- anything else (shares, ETFs, crypto, energies): 0.01, a cent, the tick of most exchange-traded
  prices.

A broker may differ: a caller that knows the terminal's `SYMBOL_POINT` passes it in `overrides`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache

FIVE_DIGITS = Decimal("0.00001")
THREE_DIGITS = Decimal("0.001")
CENT = Decimal("0.01")

CURRENCIES = frozenset(
    "USD EUR GBP JPY CHF CAD AUD NZD SEK NOK DKK PLN HUF CZK TRY ZAR MXN SGD HKD CNH ILS RUB THB".split()
)
THREE_DIGIT_CURRENCIES = frozenset({"JPY", "HUF"})
METALS = {"XAU": CENT, "XAG": THREE_DIGITS, "XPT": CENT, "XPD": CENT}
INDICES = frozenset(
    "US30 US500 SPX500 US100 NAS100 USTEC DE40 GER40 DE30 GER30 UK100 FRA40 JP225 JPN225 AUS200 "
    "HK50 EU50 STOXX50 ESP35".split()
)
POINTS: Mapping[str, Decimal] = {
    "EURUSD": FIVE_DIGITS,
    "GBPUSD": FIVE_DIGITS,
    "USDJPY": THREE_DIGITS,
    "XAUUSD": CENT,
    "XAGUSD": THREE_DIGITS,
    "US30": CENT,
    "BTCUSD": CENT,
}
DECORATIONS = (".", "-", "_", "#", "!", "+")


@lru_cache(maxsize=4096)
def base_symbol(symbol: str) -> str:
    """The symbol without a broker's prefix or suffix: `#US30` → US30, `EURUSD.m` → EURUSD,
    `EURUSDm` → EURUSD (a lower-case tail after an upper-case name is a suffix)."""
    name = symbol.strip().lstrip("".join(DECORATIONS))
    for mark in DECORATIONS:
        name = name.split(mark, 1)[0]
    if name[:6].isupper() and len(name) > 6 and name[6:].islower():
        name = name[:6]
    return name.upper()


def point_size(symbol: str, overrides: Mapping[str, Decimal] | None = None) -> Decimal:
    """The symbol's point: `overrides` first (by the symbol as given, then its base name), the table,
    then the rule on the name described above."""
    if overrides:
        known = overrides.get(symbol) or overrides.get(base_symbol(symbol))
        if known is not None:
            return known
    return _point_by_name(base_symbol(symbol))


@lru_cache(maxsize=4096)
def _point_by_name(name: str) -> Decimal:
    if name in POINTS:
        return POINTS[name]
    if name[:3] in METALS:
        return METALS[name[:3]]
    if name in INDICES:
        return CENT
    if len(name) == 6 and name[:3] in CURRENCIES and name[3:] in CURRENCIES:
        return THREE_DIGITS if {name[:3], name[3:]} & THREE_DIGIT_CURRENCIES else FIVE_DIGITS
    return CENT


def price_to_points(
    symbol: str, price_difference: Decimal, overrides: Mapping[str, Decimal] | None = None
) -> Decimal:
    """A price difference in points of the symbol (signed as given)."""
    return price_difference / point_size(symbol, overrides)
