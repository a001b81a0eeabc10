"""FraudService over fakes: a score over the threshold opens one case per affiliate (a re-scan updates
it), a cleared case is reopened only by new evidence, and admins (only they) confirm, clear or put off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.domain.affiliates import CaseStatus, FraudCase, FraudSignal
from core.domain.affiliates.fraud import Assessment, FraudConfig, FraudInputs, Withheld
from core.domain.guard import GuardConfig
from core.domain.models import AuditEntry, User
from core.services import fraud as fraud_module
from core.services.admin import AdminService
from core.services.errors import Forbidden, NotFound
from core.services.fraud import AlreadyDecided, Decision, FraudPolicy, FraudService
from core.services.guard import GuardPolicy, GuardService
from core.services.users import UserService
from tests.conftest import FakeClock
from tests.service.fakes import FakeUnitOfWork, NullCache, Recorder, Store

ADMIN = 900
SHARED = FraudSignal("shared_login", Decimal(70), {"login": 5012345, "server": "Live", "users": [2, 3]})
SAME_IP = FraudSignal("same_ip", Decimal(40), {"ip": "203.0.113.7"})


@dataclass
class World:
    store: list[Store]
    clock: FakeClock
    fraud: FraudService
    doorbell: Recorder
    olga: User
    ann: User
    bob: User
    found: list[Assessment]

    def audit(self, action: str) -> list[AuditEntry]:
        return [entry for _, entry in self.store[0].audit if entry.action == action]

    def alerts(self, kind: str) -> dict[str, Any]:
        return {key: row for key, row in self.store[0].outbox.items() if row["kind"] == kind}

    @property
    def cases(self) -> list[FraudCase]:
        return sorted(self.store[0].affiliates.get("cases", {}).values(), key=lambda c: c.id)

    def assess(self, *signals: FraudSignal, score: int = 80) -> None:
        reasons = tuple(f"{s.rule}: {s.evidence}" for s in signals)
        self.found[:] = [Assessment(self.ann.id, Decimal(score), signals, reasons)]

    def add_line(self, amount: str, payout_id: int | None = None) -> None:
        line = {"id": next(self.store[0].ids), "affiliate_user_id": self.ann.id, "kind": "tier_1",
                "amount": Decimal(amount), "payout_id": payout_id}  # fmt: skip
        self.store[0].affiliates.setdefault("lines", []).append(line)


@pytest.fixture
async def world(monkeypatch: pytest.MonkeyPatch) -> World:
    store = [Store()]
    clock = FakeClock(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    users, doorbell = UserService(uow), Recorder()
    ann = await users.resolve(1001, "Ann", None, "es")
    bob = await users.resolve(1002, "Bob", None, "en")
    olga = await users.resolve(ADMIN, "Olga", None, "ru")
    guard = GuardService(GuardPolicy(GuardConfig(), (ADMIN,)))
    admin = AdminService(uow, guard, NullCache(), doorbell, (ADMIN,), clock)
    policy = FraudPolicy(FraudConfig(threshold=Decimal(60)), (ADMIN,))
    found: list[Assessment] = []

    def stand_in(inputs: FraudInputs, now: datetime, config: FraudConfig) -> tuple[Assessment, ...]:
        return tuple(found)

    monkeypatch.setattr(fraud_module, "scan", stand_in)
    service = FraudService(uow, admin.require_admin, doorbell, clock, policy)
    return World(store, clock, service, doorbell, olga, ann, bob, found)


async def test_a_score_over_the_threshold_opens_a_case_alerts_admins_and_the_affiliate_and_is_audited(
    world: World,
) -> None:
    world.assess(SHARED)

    assert await world.fraud.run_once() == 1

    [case] = world.cases
    assert (case.affiliate_user_id, case.status, case.score) == (world.ann.id, CaseStatus.OPEN, Decimal(80))
    flagged = world.alerts("admin_fraud_flagged")
    assert [row["chat_id"] for row in flagged.values()] == [ADMIN]
    assert next(iter(flagged.values()))["alert"].reasons == case.reasons
    [hold] = world.alerts("fraud_hold").values()
    assert hold["chat_id"] == 1001 and hold["alert"].rules == ("shared_login",)
    assert "5012345" not in str(hold["params"])  # the affiliate is not shown the evidence (other users)
    assert [e.details["case"] for e in world.audit("fraud.opened")] == [case.id]
    assert world.doorbell.rings == 1


async def test_a_score_under_the_threshold_opens_nothing(world: World) -> None:
    world.assess(SAME_IP, score=40)

    assert await world.fraud.run_once() == 0
    assert world.cases == [] and world.store[0].outbox == {}


async def test_a_rescan_updates_the_open_case_instead_of_opening_another(world: World) -> None:
    world.assess(SHARED)
    await world.fraud.run_once()
    world.clock.advance(900)
    world.assess(SHARED, SAME_IP, score=95)

    assert await world.fraud.run_once() == 0

    [case] = world.cases
    assert case.score == Decimal(95) and [s.rule for s in case.signals] == ["shared_login", "same_ip"]
    assert case.updated_at == world.clock() and case.opened_at < case.updated_at
    assert len(world.alerts("fraud_hold")) == 1  # told once


@pytest.mark.parametrize("decision", [Decision.CLEAR, Decision.CONFIRM])
async def test_a_decided_case_is_not_reopened_by_the_same_reasons_but_is_by_new_evidence(
    world: World, decision: Decision
) -> None:
    world.assess(SHARED)
    await world.fraud.run_once()
    await world.fraud.decide(world.olga, world.cases[0].id, decision)
    world.store[0].outbox.clear()

    assert await world.fraud.run_once() == 0  # no new hold, no alert, nothing back in /fraud
    assert [c.status for c in world.cases] == [decision.status]
    assert world.store[0].outbox == {} and await world.fraud.next_case(world.olga) is None

    world.assess(SHARED, SAME_IP)
    assert await world.fraud.run_once() == 1
    assert [c.status for c in world.cases] == [decision.status, CaseStatus.OPEN]


async def test_confirm_reverses_the_held_commission_and_tells_the_affiliate(world: World) -> None:
    world.add_line("150")
    world.add_line("40", payout_id=7)  # already paid: not held, not reversed here
    world.assess(SHARED)
    await world.fraud.run_once()

    done = await world.fraud.decide(world.olga, world.cases[0].id, Decision.CONFIRM)

    assert done.reversed_lines == 1 and not done.code_banned
    reversals = [line for line in world.store[0].affiliates["lines"] if line["kind"] == "reversal"]
    assert [line["amount"] for line in reversals] == [Decimal(-150)]
    assert world.cases[0].status is CaseStatus.CONFIRMED
    [told] = world.alerts("fraud_decided").values()
    assert told["chat_id"] == 1001 and told["params"]["outcome"] == "confirmed"
    [entry] = world.audit("fraud.confirm")
    assert entry.actor == f"admin:{ADMIN}" and entry.details["rule_version"] == "f1"


async def test_confirm_and_ban_bans_the_affiliates_code(world: World) -> None:
    world.store[0].affiliates["codes"] = {world.ann.id: {"code": "ann_x", "banned_at": None}}
    world.assess(SHARED)
    await world.fraud.run_once()

    done = await world.fraud.decide(world.olga, world.cases[0].id, Decision.CONFIRM_BAN)

    assert done.code_banned
    assert world.store[0].affiliates["codes"][world.ann.id]["banned_at"] == world.clock()


async def test_clear_releases_the_hold_and_reverses_nothing(world: World) -> None:
    world.add_line("150")
    world.assess(SHARED)
    await world.fraud.run_once()

    done = await world.fraud.decide(world.olga, world.cases[0].id, Decision.CLEAR)

    assert done.reversed_lines == 0 and world.cases[0].status is CaseStatus.CLEARED
    assert [line["kind"] for line in world.store[0].affiliates["lines"]] == ["tier_1"]
    [told] = world.alerts("fraud_decided").values()
    assert told["params"]["outcome"] == "cleared"


async def test_later_keeps_the_case_open_and_puts_it_behind_the_others(world: World) -> None:
    world.assess(SHARED)
    await world.fraud.run_once()
    world.clock.advance(60)
    world.found[:] = [Assessment(world.bob.id, Decimal(75), (SAME_IP,), ("same_ip",))]
    await world.fraud.run_once()
    first = world.cases[0].id

    await world.fraud.decide(world.olga, first, Decision.LATER)

    view = await world.fraud.next_case(world.olga)
    assert view is not None and view.case.affiliate_user_id == world.bob.id and view.waiting == 2
    assert world.cases[0].status is CaseStatus.OPEN
    assert world.alerts("fraud_decided") == {}


async def test_a_trader_cannot_review_or_decide_and_each_attempt_is_audited(world: World) -> None:
    world.assess(SHARED)
    await world.fraud.run_once()

    with pytest.raises(Forbidden):
        await world.fraud.next_case(world.bob)
    with pytest.raises(Forbidden):
        await world.fraud.decide(world.bob, world.cases[0].id, Decision.CLEAR)

    assert [e.details["command"] for e in world.audit("admin.refused")] == ["fraud", "fraud clear"]
    assert world.cases[0].status is CaseStatus.OPEN


async def test_a_second_decision_on_a_decided_case_answers_already_decided_and_changes_nothing(
    world: World,
) -> None:
    world.add_line("150")
    world.assess(SHARED)
    await world.fraud.run_once()
    case_id = world.cases[0].id
    await world.fraud.decide(world.olga, case_id, Decision.CLEAR)

    with pytest.raises(AlreadyDecided) as refused:
        await world.fraud.decide(world.olga, case_id, Decision.CONFIRM)

    assert refused.value.case.status is CaseStatus.CLEARED
    assert world.cases[0].decision == "clear"
    assert [line["kind"] for line in world.store[0].affiliates["lines"]] == ["tier_1"]


async def test_an_unknown_case_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.fraud.decide(world.olga, 4242, Decision.CLEAR)


async def test_an_empty_queue_has_no_next_case(world: World) -> None:
    assert await world.fraud.next_case(world.olga) is None


def test_the_scan_window_is_a_month_by_default() -> None:
    assert FraudPolicy(FraudConfig()).trades_window == timedelta(days=30)


async def test_every_scan_withholds_the_wash_positions_even_under_the_threshold_once_each(
    world: World,
) -> None:
    flat = (Withheld(30, 1, "wash_flat_pnl"), Withheld(30, 2, "wash_flat_pnl"))
    world.found[:] = [Assessment(world.ann.id, Decimal(20), (), (), withheld=flat)]
    first = world.clock()

    assert await world.fraud.run_once() == 0
    world.clock.advance(900)
    world.found[:] = [
        Assessment(world.ann.id, Decimal(20), (), (), withheld=(Withheld(30, 1, "wash_mirror"),)),
        Assessment(world.bob.id, Decimal(20), (), (), withheld=(Withheld(40, 9, "wash_net_flat"),)),
    ]
    await world.fraud.run_once()

    assert world.cases == []
    assert world.store[0].affiliates["withheld"] == {
        (30, 1): ("wash_flat_pnl", first),  # the first finding kept: a rescan changes nothing
        (30, 2): ("wash_flat_pnl", first),
        (40, 9): ("wash_net_flat", world.clock()),
    }
