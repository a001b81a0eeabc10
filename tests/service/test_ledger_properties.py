"""Properties of the ledger and payouts under any story of payments, refunds, time and payout runs: the
lines sum to paid + payable + pending at every moment, each payout equals the lines it took and is never
negative, and a line is never reversed twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain.affiliates import LineStatus, PayoutStatus
from core.services.ports.ledger import PayoutUnknown
from tests.service.fakes_ledger import _line
from tests.service.test_ledger_service import World, world
from tests.service.test_payouts_service import Gateway

STEP = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 5), st.sampled_from(["500", "999", "7"])),
    st.tuples(st.just("refund"), st.integers(0, 8), st.sampled_from(["refunded", "chargeback"])),
    st.tuples(st.just("wait"), st.integers(1, 45), st.just("")),
    st.tuples(st.just("payout"), st.booleans(), st.just("")),
    st.tuples(st.just("resolve"), st.booleans(), st.just("")),
)


async def play(steps: list[tuple[str, object, str]]) -> World:
    w = await world(minimum=Decimal(1))
    n, day = 0, 0
    for action, arg, text in steps:
        n += 1
        if action == "pay":
            day += 30 + int(arg)  # type: ignore[call-overload]
            w.pay(n, day, amount=text)
        elif action == "refund":
            w.pay(n, max(0, day - 30 * int(arg)), kind=text)  # type: ignore[call-overload]
        elif action == "wait":
            w.clock.advance(int(arg) * 86400)  # type: ignore[call-overload]
        elif action == "payout":
            w.payouts.gateway = Gateway(PayoutUnknown("timeout") if arg else None)
            await w.payouts.run_payouts()
        else:
            for payout in (await w.payouts.preview(w.olga)).unknown:
                await w.payouts.resolve(w.olga, payout.id, PayoutStatus.SENT if arg else PayoutStatus.FAILED)
        await w.ledger.run_once()
        check(w)
    return w


def check(w: World) -> None:
    now = w.clock()
    lines = [_line(row) for row in w.affiliates.get("lines", [])]
    by_status = Counter[LineStatus]()
    for line in lines:
        by_status[line.status(now)] += line.amount  # type: ignore[assignment]
    total = sum((line.amount for line in lines), Decimal(0))
    assert total == by_status[LineStatus.PAID] + by_status[LineStatus.PAYABLE] + by_status[LineStatus.PENDING]
    for payout in w.affiliates.get("payouts", []):
        assert payout.amount > 0
        assert payout.amount == sum(
            (line.amount for line in lines if line.payout_id == payout.id), Decimal(0)
        )
    reversed_ids = [line.reverses_line_id for line in lines if line.reverses_line_id is not None]
    assert len(reversed_ids) == len(set(reversed_ids))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, max_size=14))
def test_the_ledger_adds_up_and_never_pays_twice_or_negative(steps: list[tuple[str, object, str]]) -> None:
    asyncio.run(play(steps))
