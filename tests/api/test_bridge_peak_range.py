"""A deposit that would move the peak past what can be stored is accepted with the peak bounded, not a
500 on every resend (issue 6 item 8): the account stays guarded and the next snapshot is judged."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.app import Core
from core.config import Settings
from tests.api.conftest import Bridge
from tests.api.state import stored
from tests.api.test_bridge_cash_flow_once import balance_deal, with_deals
from tests.api.wire import SNAPSHOT, accepted, refusal, snapshot
from tests.conftest import make_settings

LARGEST_STORABLE = Decimal("9999999999999999.99999999")  # NUMERIC(24, 8)
HUGE = "5000000000000000.00"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, daily_loss_limit_percent=Decimal(5))


async def wiped_out_then_refilled(bridge: Bridge) -> dict[str, object]:
    """10,000 down to one cent, then a deposit of almost 5 * 10^15: the peak x 5 * 10^17."""
    await accepted(
        await bridge.call("POST", SNAPSHOT, snapshot(seq=1, balance="10000.00", equity="10000.00"))
    )
    deposit = balance_deal(777001, "4999999999999999.99")
    refilled = with_deals(snapshot(seq=2, balance=HUGE, equity=HUGE), deposit)
    return await accepted(await bridge.call("POST", SNAPSHOT, refilled))


async def test_a_deposit_that_would_push_the_peak_past_the_storable_range_is_accepted_with_it_bounded(
    bridge: Bridge, core: Core
) -> None:
    answer = await wiped_out_then_refilled(bridge)
    assert answer["accepted"] is True and answer["seq"] == 2
    state = (await stored(core)).only_state
    assert state.last_seq == 2 and state.equity == Decimal(HUGE)
    assert state.peak_equity == LARGEST_STORABLE
    assert state.guard is not None
    assert Decimal(state.guard["peak_equity"]) == LARGEST_STORABLE
    assert Decimal(state.guard["day_open_balance"]) <= LARGEST_STORABLE


async def test_the_refilled_account_is_still_judged_past_its_limit_not_reset_by_the_bound(
    bridge: Bridge, core: Core
) -> None:
    await wiped_out_then_refilled(bridge)
    guard = (await stored(core)).only_state.guard
    assert guard is not None and guard["breach_reason"] == "max_drawdown"  # 50 % below the bounded peak


async def test_the_next_snapshot_after_the_bounded_deposit_is_accepted_and_stored(
    bridge: Bridge, core: Core
) -> None:
    await wiped_out_then_refilled(bridge)
    more = with_deals(snapshot(seq=3, balance=HUGE, equity=HUGE), balance_deal(777002, "1.00"))
    answer = await accepted(await bridge.call("POST", SNAPSHOT, more))
    assert answer["seq"] == 3
    state = (await stored(core)).only_state
    assert state.last_seq == 3 and state.peak_equity == LARGEST_STORABLE


async def test_an_amount_that_only_rounding_to_8_places_takes_out_of_range_is_refused_and_stores_nothing(
    bridge: Bridge, core: Core
) -> None:
    before = await stored(core)
    body = snapshot(seq=1, balance="9999999999999999.999999999", equity="10.00")
    message = await refusal(await bridge.call("POST", SNAPSHOT, body), 400, "invalid_payload")
    assert message.startswith("account.balance:"), message
    assert await stored(core) == before
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    assert (await stored(core)).only_state.last_seq == 1
