"""Payouts over fakes of our ports: the preview, the minimum, holds (fraud case, unresolved payout), a
retry paying nothing, a refund after payout carried, a gateway of unknown outcome resolved by an admin,
and admins only."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from core.domain.affiliates import Payout, PayoutStatus
from core.domain.affiliates.payouts import Blocked
from core.services.errors import Forbidden, InvalidInput, NotFound
from core.services.ports.ledger import PayoutFailed, PayoutUnknown
from tests.service.test_ledger_service import World, world

DAY = 86400


class Gateway:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[Payout] = []

    async def send(self, payout: Payout) -> str:
        self.sent.append(payout)
        if self.error is not None:
            raise self.error
        return f"bank:{payout.id}"


async def earned(w: World, *payments: int) -> None:
    """Bob pays months 1..n (30 days apart), ledgered; then time moves past the hold."""
    for n in payments:
        w.pay(n, 30 * (n - 1))
    await w.ledger.run_once()
    w.clock.advance(31 * DAY)


async def test_the_preview_says_who_is_paid_and_who_is_blocked_and_why() -> None:
    w = await world(minimum=Decimal(200))
    await earned(w, 1)

    preview = await w.payouts.preview(w.olga)

    assert preview.period == "2026-02"
    assert [(c.balance.name, c.balance.payable, c.blocked) for c in preview.candidates] == [
        ("Ann", Decimal(150), Blocked.BELOW_MINIMUM)
    ]
    assert await w.payouts.run_payouts() == []


async def test_a_payout_pays_the_payable_lines_once_and_a_retry_pays_nothing() -> None:
    gateway = Gateway()
    w = await world(gateway)
    await earned(w, 1)

    (payout,) = await w.payouts.run(w.olga, "2026-02")

    assert (payout.amount, payout.currency, payout.status, payout.reference) == (
        Decimal(150),
        "XTR",
        PayoutStatus.SENT,
        f"bank:{payout.id}",
    )
    assert await w.payouts.run_payouts() == [] and await w.payouts.run(w.olga) == []
    assert len(gateway.sent) == 1
    assert all(row["payout_id"] == payout.id for row in w.affiliates["lines"])
    (sent,) = w.alerts("payout_sent")
    assert sent["chat_id"] == 1001 and sent["params"]["amount"] == "150"
    assert [e.actor for e in w.audit("payout.created")] == ["user:900"]
    assert len(w.audit("payout.sent")) == 1


async def test_pending_lines_are_not_paid() -> None:
    w = await world()
    w.pay(1)
    await w.ledger.run_once()
    w.clock.advance(29 * DAY)

    assert await w.payouts.run_payouts() == []


async def test_a_refund_after_payout_is_carried_against_the_next_earnings() -> None:
    w = await world(minimum=Decimal(1))
    await earned(w, 1)
    await w.payouts.run_payouts()
    w.pay(9, 0, kind="refunded")
    await w.ledger.run_once()
    (alert,) = w.alerts("commission_reversed")
    assert alert["params"]["carried"] is True
    w.pay(2, 30)
    await w.ledger.run_once()
    w.clock.advance(31 * DAY)

    preview = await w.payouts.preview(w.olga)

    # month 2 became the first month that counts (30% of 500) less the carried -150
    assert [c.balance.payable for c in preview.candidates] == [Decimal(0)]
    assert preview.candidates[0].blocked is Blocked.NOTHING


async def test_an_open_fraud_case_holds_the_payout() -> None:
    w = await world()
    await earned(w, 1)
    w.affiliates["fraud_open"] = {w.ann.id}

    assert [c.blocked for c in (await w.payouts.preview(w.olga)).candidates] == [Blocked.FRAUD_CASE]
    assert await w.payouts.run_payouts() == []


async def test_an_unknown_outcome_blocks_the_next_until_an_admin_says_sent() -> None:
    w = await world(Gateway(PayoutUnknown("timeout")))
    await earned(w, 1)
    (payout,) = await w.payouts.run_payouts()
    assert payout.status is PayoutStatus.UNKNOWN
    w.pay(2, 30)
    await w.ledger.run_once()
    w.clock.advance(40 * DAY)

    preview = await w.payouts.preview(w.olga)
    assert [c.blocked for c in preview.candidates] == [Blocked.UNRESOLVED]
    assert [p.id for p in preview.unknown] == [payout.id]
    assert await w.payouts.run_payouts() == []

    resolved = await w.payouts.resolve(w.olga, payout.id, PayoutStatus.SENT)
    assert (resolved.status, resolved.reference) == (PayoutStatus.SENT, "admin:900")
    with pytest.raises(InvalidInput):
        await w.payouts.resolve(w.olga, payout.id, PayoutStatus.FAILED)  # resolved once
    assert len(w.alerts("payout_sent")) == 1


async def test_a_failed_payout_owes_its_amount_again_by_a_new_line() -> None:
    w = await world(Gateway(PayoutFailed("account closed")))
    await earned(w, 1)

    (payout,) = await w.payouts.run_payouts()

    assert payout.status is PayoutStatus.FAILED
    give_back = w.affiliates["lines"][-1]
    assert (give_back["dedupe_key"], give_back["amount"]) == (f"payout-failed:{payout.id}", Decimal(150))
    assert give_back["payout_id"] is None
    w.clock.advance(31 * DAY)  # next month: a new period key
    w.payouts.gateway = Gateway()
    (again,) = await w.payouts.run_payouts()
    assert (again.amount, again.period) == (Decimal(150), "2026-03")


async def test_an_admin_failing_an_unknown_payout_gives_its_amount_back() -> None:
    w = await world(Gateway(PayoutUnknown("timeout")))
    await earned(w, 1)
    (payout,) = await w.payouts.run_payouts()

    await w.payouts.resolve(w.olga, payout.id, PayoutStatus.FAILED)

    assert w.lines()[-1] == (f"payout-failed:{payout.id}", Decimal(150))
    assert w.alerts("payout_sent") == []


async def test_only_admins_preview_run_or_resolve_and_each_refusal_is_audited() -> None:
    w = await world()
    await earned(w, 1)

    for call in (
        w.payouts.preview(w.ann),
        w.payouts.run(w.ann),
        w.payouts.resolve(w.ann, 1, PayoutStatus.SENT),
    ):
        with pytest.raises(Forbidden):
            await call
    assert len(w.audit("admin.refused")) == 3
    assert w.affiliates.get("payouts", []) == []


@pytest.mark.parametrize(
    ("payout_id", "status", "error"),
    [(999, PayoutStatus.SENT, NotFound), (1, PayoutStatus.UNKNOWN, InvalidInput)],
)
async def test_bad_resolutions_are_refused_and_change_nothing(
    payout_id: int, status: PayoutStatus, error: type[Exception]
) -> None:
    w = await world(Gateway(PayoutUnknown("timeout")))
    await earned(w, 1)
    (payout,) = await w.payouts.run_payouts()

    with pytest.raises(error):
        await w.payouts.resolve(w.olga, payout.id if payout_id == 1 else payout_id, status)
    assert w.affiliates["payouts"][0].status is PayoutStatus.UNKNOWN


async def test_a_confirm_pressed_after_the_month_changed_pays_nothing() -> None:
    w = await world()
    await earned(w, 1)
    w.clock.advance(timedelta(days=31).total_seconds())

    with pytest.raises(InvalidInput):
        await w.payouts.run(w.olga, "2026-02")
    assert w.affiliates.get("payouts", []) == []


async def test_a_payout_left_pending_is_offered_for_resolution_once_it_looks_stuck() -> None:
    w = await world()
    now = w.clock()
    stuck = Payout(50, w.ann.id, "2026-01", Decimal(60), "XTR", PayoutStatus.PENDING, "scheduler", now)
    fresh = Payout(51, w.bob.id, "2026-01", Decimal(60), "XTR", PayoutStatus.PENDING, "scheduler", now)
    w.affiliates["payouts"] = [stuck]
    w.clock.advance(11 * 60)
    w.affiliates["payouts"].append(replace(fresh, created_at=w.clock()))

    assert [p.id for p in (await w.payouts.preview(w.olga)).unknown] == [50]
    assert (await w.payouts.resolve(w.olga, 50, PayoutStatus.SENT)).status is PayoutStatus.SENT
