"""The guard's reference levels never leave the range every amount has (under 10^16, 8 places)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.domain.guard.rules import MAX_AMOUNT, rescale_for_cash_flow
from tests.unit.guard_helpers import feed, snap

amounts = st.decimals(min_value=Decimal("-9999999999999999.99"), max_value=MAX_AMOUNT, places=2)


def test_a_huge_deposit_on_a_wiped_out_account_bounds_the_peak_and_the_day_open_and_still_breaches() -> None:
    state, _ = feed(
        [
            snap("10000", 0),
            snap("0.01", 1),
            snap("5000000000000000.01", 2, flows=["5000000000000000.00"]),
        ]
    )
    assert state.peak_equity == MAX_AMOUNT
    assert state.day_open_balance == MAX_AMOUNT
    assert state.drawdown_percent >= 50


@given(reference=amounts, equity=amounts, flow=amounts)
def test_a_rescaled_reference_is_never_negative_nor_past_the_largest_amount(
    reference: Decimal, equity: Decimal, flow: Decimal
) -> None:
    moved = rescale_for_cash_flow(max(reference, Decimal(0)), equity, flow)
    assert Decimal(0) <= moved <= MAX_AMOUNT
