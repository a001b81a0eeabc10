"""One drawdown: the guard's rounding, pinned, and the account view showing the very same number."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from core.domain.drawdown import exact_percent_below, percent_below
from core.domain.models import AccountView


@pytest.mark.parametrize(
    ("reference", "value", "shown", "exact"),
    [
        ("10000", "8000", "20.000000000000", Fraction(20)),  # always 12 places
        ("10000.00", "7900", "21.000000000000", Fraction(21)),
        ("10000", "10000", "0E-12", Fraction(0)),
        ("3", "2", "33.333333333333", Fraction(100, 3)),
        ("3", "1", "66.666666666667", Fraction(200, 3)),
        ("7", "1", "85.714285714286", Fraction(600, 7)),
        ("10000", "10150.25", "-1.502500000000", Fraction(-601, 400)),  # above the reference: negative
        ("200000000000000", "199999999999999", "0E-12", Fraction(1, 2 * 10**12)),  # half to even: down
        ("200000000000000", "199999999999997", "2E-12", Fraction(3, 2 * 10**12)),  # half to even: up
        ("0.000001", "-1000000000", "100000000000000100", Fraction(100000000000000100)),  # too deep to round
        ("0", "5", "0", Fraction(0)),  # no positive reference: no drawdown
        ("-10", "5", "0", Fraction(0)),
    ],
)
def test_the_percent_below_a_reference_is_rounded_as_the_guard_always_rounded_it(
    reference: str, value: str, shown: str, exact: Fraction
) -> None:
    assert str(percent_below(Decimal(reference), Decimal(value))) == shown
    assert exact_percent_below(Decimal(reference), Decimal(value)) == exact


def view(peak: str | None, equity: str | None) -> AccountView:
    amount = None if equity is None else Decimal(equity)
    return AccountView(
        account_id=1, login=5012345, server="Live", currency="USD", balance=amount, equity=amount,
        margin=None, peak_equity=None if peak is None else Decimal(peak),
        last_snapshot_at=datetime(2026, 1, 14, 12, tzinfo=UTC),
    )  # fmt: skip


@pytest.mark.parametrize(("peak", "equity"), [("10000", "8000"), ("3", "2"), ("7", "1"), ("9850.50", "9000")])
def test_the_account_view_shows_the_guards_drawdown(peak: str, equity: str) -> None:
    assert str(view(peak, equity).drawdown_percent) == str(percent_below(Decimal(peak), Decimal(equity)))


@pytest.mark.parametrize(
    ("peak", "equity", "shown"),
    [
        ("10000", "10000", "0"),
        ("10000", "10150.25", "0"),
        (None, "10000", None),
        ("0", "10", None),
        ("10", None, None),
    ],
)
def test_the_account_view_shows_no_negative_drawdown_and_none_without_a_peak_or_equity(
    peak: str | None, equity: str | None, shown: str | None
) -> None:
    drawdown = view(peak, equity).drawdown_percent

    assert (None if drawdown is None else str(drawdown)) == shown
