"""The ledger pass over fakes of our ports: a payment becomes its lines once, the affiliate is told and
it is audited; a refund reverses; an unreferred payer makes nothing; rebates once per referee and day."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from core.domain.affiliates import Payment, PaymentSource, PaymentType
from core.domain.affiliates.commission import CommissionRules
from core.domain.models import AuditEntry, User
from core.domain.snapshot import Deal, DealEntry, DealReason, DealType
from core.services.admin import AdminService
from core.services.ledger import LedgerPolicy, LedgerService
from core.services.payouts import ManualGateway, PayoutService
from core.services.ports.ledger import PayoutGateway
from tests.conftest import FakeClock
from tests.service.fakes import FakeUnitOfWork, NullCache, Recorder, Store

ADMIN = 900
START = datetime(2026, 1, 1, tzinfo=UTC)
RULES = CommissionRules(Decimal("0.30"), Decimal("0.15"), Decimal("0.05"), 30)


@dataclass
class World:
    store: list[Store]
    clock: FakeClock
    ledger: LedgerService
    payouts: PayoutService
    doorbell: Recorder
    ann: User  # the affiliate
    bob: User  # referred by Ann
    olga: User  # an admin

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    @property
    def affiliates(self) -> dict[str, Any]:
        return self.store[0].affiliates

    def lines(self) -> list[tuple[str, Decimal]]:
        return [(row["dedupe_key"], row["amount"]) for row in self.affiliates.get("lines", [])]

    def audit(self, action: str) -> list[AuditEntry]:
        return [entry for _, entry in self.store[0].audit if entry.action == action]

    def alerts(self, kind: str) -> list[dict[str, Any]]:
        return [row for row in self.store[0].outbox.values() if row["kind"] == kind]

    def pay(
        self, n: int, start_day: int = 0, kind: str = "paid", amount: str = "500", **more: Any
    ) -> Payment:
        start = START + timedelta(days=start_day)
        payment = Payment(
            n, PaymentSource.STARS, f"ch_{n}", self.bob.telegram_id, self.bob.id, PaymentType(kind),
            Decimal(amount), more.pop("currency", "XTR"), start, start + timedelta(days=30), self.clock(),
        )  # fmt: skip
        payment = replace(payment, **more)
        self.affiliates.setdefault("payments", []).append(payment)
        return payment


async def world(gateway: PayoutGateway | None = None, minimum: Decimal = Decimal(50)) -> World:
    store, clock, doorbell = [Store()], FakeClock(START), Recorder()
    async with FakeUnitOfWork(store) as uow:
        ann = await uow.users.upsert(1001, "Ann", None, "en")
        bob = await uow.users.upsert(1002, "Bob", None, "en")
        olga = await uow.users.upsert(ADMIN, "Olga", None, "en")
        await uow.commit()
    store[0].affiliates["referrals"] = {bob.id: ann.id}

    def factory() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    admin = AdminService(factory, None, NullCache(), doorbell, (ADMIN,), clock)  # type: ignore[arg-type]
    policy = LedgerPolicy(RULES, "USD", timedelta(minutes=2))
    ledger = LedgerService(factory, doorbell, clock, policy)
    payouts = PayoutService(
        factory, admin.require_admin, gateway or ManualGateway(), doorbell, clock, minimum
    )
    return World(store, clock, ledger, payouts, doorbell, ann, bob, olga)


async def test_a_payment_becomes_its_lines_once_the_affiliate_is_told_and_it_is_audited() -> None:
    w = await world()
    w.pay(1)

    assert await w.ledger.run_once() == 1
    assert await w.ledger.run_once() == 0  # ledgered: a second pass writes nothing

    assert w.lines() == [("pay:1:tier_1", Decimal(150))]
    (alert,) = w.alerts("commission_earned")
    assert alert["chat_id"] == 1001 and alert["params"]["amount"] == "150"
    assert alert["params"]["payable_at"].startswith("2026-01-31")
    (entry,) = w.audit("commission.earned")
    assert entry.subject == f"user:{w.ann.id}" and entry.details["rule_version"].startswith("c1:t1=0.30")
    assert w.doorbell.rings == 1


async def test_months_one_two_three_and_the_bonus_through_the_pass() -> None:
    w = await world()
    for n in (1, 2, 3):
        w.pay(n, 30 * (n - 1))
        w.clock.advance(60)
    await w.ledger.run_once()

    assert w.lines() == [
        ("pay:1:tier_1", Decimal(150)),
        ("pay:2:tier_2", Decimal(75)),
        ("pay:3:tier_2", Decimal(75)),
        ("pay:3:bonus", Decimal(25)),
    ]


async def test_a_payer_nobody_referred_is_ledgered_with_no_line() -> None:
    w = await world()
    w.affiliates["referrals"] = {}
    w.pay(1)

    assert await w.ledger.run_once() == 0
    assert w.lines() == [] and w.affiliates["ledgered"] == {1}


async def test_the_referee_is_found_by_telegram_id_when_the_payment_names_no_user() -> None:
    w = await world()
    w.pay(1, user_id=None)

    await w.ledger.run_once()

    assert w.lines() == [("pay:1:tier_1", Decimal(150))]


async def test_a_refund_before_payout_nets_to_zero_and_says_so() -> None:
    w = await world()
    w.pay(1)
    await w.ledger.run_once()
    w.clock.advance(86400)
    w.pay(2, 0, kind="refunded")

    await w.ledger.run_once()

    (line, reversal) = w.affiliates["lines"]
    assert reversal["dedupe_key"] == f"rev:{line['id']}" and reversal["amount"] == Decimal(-150)
    assert reversal["payable_at"] == line["payable_at"]  # matures with its line: nets to zero
    (alert,) = w.alerts("commission_reversed")
    assert alert["params"]["carried"] is False
    assert len(w.audit("commission.reversed")) == 1


def deal(ticket: int, entry: DealEntry, at: datetime, volume: str = "1", magic: int = 0) -> Deal:
    return Deal(
        ticket=ticket, position=ticket // 10, symbol="EURUSD", type=DealType.BUY, entry=entry,
        reason=DealReason.EXPERT, volume=Decimal(volume), price=Decimal("1.1"), time=at,
        profit=Decimal(0), commission=Decimal(0), swap=Decimal(0), magic=magic, comment="",
    )  # fmt: skip


async def test_rebates_once_per_referee_and_day_and_none_while_off() -> None:
    from core.domain.signals import BOT_MAGIC

    w = await world()
    day = START + timedelta(hours=10)
    bot_trades = (
        deal(10, DealEntry.IN, day, magic=BOT_MAGIC), deal(11, DealEntry.OUT, day + timedelta(hours=1)),
        deal(20, DealEntry.IN, day, magic=BOT_MAGIC), deal(21, DealEntry.OUT, day + timedelta(seconds=30)),
    )  # fmt: skip
    w.affiliates["deals"] = {w.bob.id: [(7, bot_trades)]}
    w.clock.advance(2 * 86400)
    assert await w.ledger.run_once() == 0  # the rate is 0: off

    w.ledger.policy = replace(w.ledger.policy, rules=replace(RULES, rebate_per_lot=Decimal("3")))
    await w.ledger.run_once()
    await w.ledger.run_once()

    assert [key for key, _ in w.lines()] == ["rebate:2:2026-01-01"]
    assert w.lines()[0][1] == Decimal("3.00")  # the 30-second round trip is withheld
