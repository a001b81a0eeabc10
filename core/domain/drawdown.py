"""Drawdown, defined once: how far equity is below a reference (the peak, the day's opening balance), in
percent of it. The guard compares the exact value with its limits and shows the rounded one in its events
and alerts; /status and the operator API show the same rounded one.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

HUNDRED = Decimal(100)
PERCENT_QUANTUM = Decimal("1e-12")


def exact_percent_below(reference: Decimal, value: Decimal) -> Fraction:
    """How far `value` is below `reference`, in percent of it, exactly; 0 with no positive reference.

    Every limit and warning level is compared with this, never with a rounded percent: 19.9999999999996 %
    is short of 20 % however large the balance. (A reference moved for a cash flow is rounded toward the
    stricter side, see guard/rules.py `rescale_for_cash_flow`, so no rounding there carries a result
    across a limit.)
    """
    if reference <= 0:
        return Fraction(0)
    return (Fraction(reference) - Fraction(value)) / Fraction(reference) * 100


def percent_below(reference: Decimal, value: Decimal) -> Decimal:
    """`exact_percent_below` as a Decimal to show, rounded to 1e-12 % (half even, the context's rounding);
    negative when `value` is above `reference`. Nothing compares it with a limit; the fast-market rule
    compares two of them (guard/fast.py), so its rounding is part of the guard's decisions."""
    if reference <= 0:
        return Decimal(0)
    percent = (reference - value) / reference * HUNDRED
    if percent.adjusted() >= 12:  # absurdly deep (a tiny peak, a huge loss): too long to round
        return percent
    return percent.quantize(PERCENT_QUANTUM)
