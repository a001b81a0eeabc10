"""A balance deal listed twice is one cash flow: it neither liquidates a healthy account nor hides
a breach."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from bot.app import Core
from tests.api.conftest import Bridge
from tests.api.state import stored
from tests.api.wire import SNAPSHOT, accepted, snapshot


def balance_deal(ticket: int, profit: str) -> dict[str, Any]:
    return {
        "ticket": ticket,
        "position": 0,
        "symbol": "",
        "type": "balance",
        "entry": "in",
        "reason": "client",
        "volume": "0",
        "price": "0",
        "time": "2026-11-27T21:00:00Z",
        "profit": profit,
        "comment": "deposit" if not profit.startswith("-") else "withdrawal",
    }


def with_deals(body: dict[str, Any], *deals: dict[str, Any]) -> dict[str, Any]:
    return {**body, "deals": list(deals)}


async def start_at_10000(bridge: Bridge) -> None:
    first = snapshot(seq=1, balance="10000.00", equity="10000.00")
    await accepted(await bridge.call("POST", SNAPSHOT, first))


async def test_a_deposit_listed_twice_in_one_snapshot_does_not_liquidate_a_healthy_account(
    bridge: Bridge, core: Core
) -> None:
    await start_at_10000(bridge)
    deposit = balance_deal(555001, "5000.00")
    after = snapshot(seq=2, balance="15000.00", equity="15000.00")
    answer = await accepted(await bridge.call("POST", SNAPSHOT, with_deals(after, deposit, deposit)))
    assert answer["commands"] == []
    state = (await stored(core)).only_state
    assert state.guard is not None and state.guard["status"] == "normal"
    assert state.peak_equity == Decimal("15000.00")  # moved by the one deposit, not by two
    assert "liquidation_warning" not in (await stored(core)).kinds()


async def test_a_withdrawal_listed_twice_in_one_snapshot_does_not_hide_a_real_breach(
    bridge: Bridge, core: Core
) -> None:
    await start_at_10000(bridge)
    withdrawal = balance_deal(555002, "-3000.00")
    # 2,000 lost trading (20 %), then 3,000 withdrawn: equity 5,000
    after = snapshot(seq=2, balance="5000.00", equity="5000.00")
    await accepted(await bridge.call("POST", SNAPSHOT, with_deals(after, withdrawal, withdrawal)))
    state = (await stored(core)).only_state
    assert state.guard is not None and state.guard["breach_reason"] == "max_drawdown"
    assert state.guard["status"] == "liquidating"  # LIQUIDATION_GRACE_SECONDS defaults to 0: closed at once
    assert "liquidation_warning" in (await stored(core)).kinds()
    assert state.peak_equity == Decimal("6250.00")  # 10,000 x 5,000 / 8,000: 20 % below it


async def test_a_deposit_resent_in_the_next_snapshot_after_being_listed_twice_still_counts_once(
    bridge: Bridge, core: Core
) -> None:
    await start_at_10000(bridge)
    deposit = balance_deal(555003, "5000.00")
    after = snapshot(seq=2, balance="15000.00", equity="15000.00")
    await accepted(await bridge.call("POST", SNAPSHOT, with_deals(after, deposit, deposit)))
    again = snapshot(seq=3, balance="15000.00", equity="15000.00")
    answer = await accepted(await bridge.call("POST", SNAPSHOT, with_deals(again, deposit, deposit)))
    assert answer["commands"] == []
    assert (await stored(core)).only_state.peak_equity == Decimal("15000.00")
    assert [ticket for _, ticket in (await stored(core)).deal_tickets].count(555003) == 1


async def test_two_different_deals_under_one_ticket_keep_the_first_and_are_logged(
    bridge: Bridge, core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    await start_at_10000(bridge)
    first, forged = balance_deal(555004, "5000.00"), balance_deal(555004, "-9000.00")
    after = snapshot(seq=2, balance="15000.00", equity="15000.00")
    with caplog.at_level(logging.WARNING, logger="db.repositories.deals"):
        answer = await accepted(await bridge.call("POST", SNAPSHOT, with_deals(after, first, forged)))
    assert answer["commands"] == []
    assert (await stored(core)).only_state.peak_equity == Decimal("15000.00")
    warnings = [record.getMessage() for record in caplog.records if record.name == "db.repositories.deals"]
    assert len(warnings) == 1 and "555004" in warnings[0], warnings
