"""Payout fixes over fakes of our ports: after a failed payout the same month is paid again (once) and
the preview says so truthfully; a payout already made this month shows as such, not as "will pay"; a
pending payout still being handed over cannot be resolved; a failed payout's give-back is told and
audited, and a fraud confirm takes it back (alerted, audited)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.domain.affiliates import PayoutStatus
from core.domain.affiliates.payouts import Blocked
from core.services.errors import InvalidInput
from core.services.payouts import STUCK_AFTER
from core.services.ports.ledger import PayoutFailed
from tests.service.test_ledger_service import world
from tests.service.test_payouts_service import Gateway, earned


async def test_after_a_failed_payout_the_same_months_confirm_pays_again_once() -> None:
    w = await world(Gateway(PayoutFailed("account closed")))
    await earned(w, 1)
    (failed,) = await w.payouts.run(w.olga, "2026-02")
    w.payouts.gateway = Gateway()

    preview = await w.payouts.preview(w.olga)
    assert [(c.balance.payable, c.blocked) for c in preview.candidates] == [(Decimal(150), None)]
    (again,) = await w.payouts.run(w.olga, preview.period)
    assert await w.payouts.run(w.olga, preview.period) == []  # once

    assert (again.period, again.amount, again.status) == ("2026-02", Decimal(150), PayoutStatus.SENT)
    assert [p.status for p in w.affiliates["payouts"]] == [PayoutStatus.FAILED, PayoutStatus.SENT]
    [told] = w.alerts("payout_returned")
    assert told["chat_id"] == 1001 and told["params"]["period"] == "2026-02"
    [given_back] = w.audit("commission.given_back")
    assert given_back.details["amount"] == "150" and given_back.subject == f"user:{w.ann.id}"
    assert failed.status is PayoutStatus.FAILED


async def test_the_preview_says_this_months_payout_is_made_instead_of_promising_another() -> None:
    w = await world(Gateway())
    await earned(w, 1)
    await w.payouts.run_payouts()
    w.pay(2, 30, received_at=w.clock() - timedelta(days=31))
    await w.ledger.run_once()  # a line payable already (received a month ago), this month paid

    preview = await w.payouts.preview(w.olga)

    assert [c.blocked for c in preview.candidates] == [Blocked.PAID_THIS_MONTH]
    assert await w.payouts.run(w.olga, preview.period) == []


async def test_resolving_a_payout_still_being_handed_over_is_refused_and_changes_nothing() -> None:
    class Slow(Gateway):  # the hand-over has not returned yet when the admin presses Failed
        async def send(self, payout):  # type: ignore[no-untyped-def]
            with pytest.raises(InvalidInput, match="still being handed over"):
                await w.payouts.resolve(w.olga, payout.id, PayoutStatus.FAILED)
            return await super().send(payout)

    w = await world(Slow())
    await earned(w, 1)

    (payout,) = await w.payouts.run_payouts()

    assert payout.status is PayoutStatus.SENT  # the gateway's word, not a premature Failed
    assert not any(key.startswith("payout-failed:") for key, _ in w.lines())
    assert w.audit("payout.failed") == []
    assert STUCK_AFTER.total_seconds() == 600


async def test_a_fraud_confirm_takes_back_a_failed_payouts_give_back_and_tells_the_affiliate() -> None:
    w = await world(Gateway(PayoutFailed("account closed")))
    await earned(w, 1)
    (failed,) = await w.payouts.run_payouts()

    async with w.uow() as uow:
        assert await uow.ledger.reverse_unpaid(w.ann.id, "fraud:f1", {"fraud_case": 7}, w.clock()) == 1
        await uow.commit()

    assert w.lines()[-1] == (f"rev:{w.affiliates['lines'][-2]['id']}", Decimal(-150))
    assert w.affiliates["lines"][-2]["dedupe_key"] == f"payout-failed:{failed.id}"
    [told] = w.alerts("commission_reversed")
    assert told["chat_id"] == 1001 and Decimal(told["params"]["amount"]) == Decimal(-150)
    assert len(w.audit("commission.reversed")) == 1
