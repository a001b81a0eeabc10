"""PaymentService over fakes: events stored once by external id (conflicts refused), Stars periods that
renew from the end of the running one, pre-checkout checks, refunds by admins only, and the ledger rung
after each new payment, never for a replay."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.affiliates import Payment, PaymentSource, PaymentType, Plan
from core.domain.models import AuditEntry, User
from core.services.errors import Forbidden, InvalidInput, NotFound
from core.services.payments import (
    AlreadyRefunded,
    ChargeAlreadyRefunded,
    CheckoutRefused,
    PaymentConflict,
    PaymentService,
    invoice_payload,
)
from core.services.users import UserService
from tests.conftest import FakeClock
from tests.service.fakes import FakeUnitOfWork, Store

ADMIN, ANN, STRANGER = 900, 1001, 5555
START = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
MONTH = Plan("month", 30, 500)


@dataclass
class World:
    store: list[Store]
    clock: FakeClock
    payments: PaymentService
    rings: list[int]
    ann: User
    olga: User

    def stored(self) -> list[Payment]:
        return list(self.store[0].affiliates.get("payments", []))

    def audit(self, action: str) -> list[AuditEntry]:
        return [entry for _, entry in self.store[0].audit if entry.action == action]


@pytest.fixture
async def world() -> World:
    store, clock, rings = [Store()], FakeClock(START), []

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    async def require_admin(user: User, operation: str) -> None:
        if user.telegram_id != ADMIN:
            raise Forbidden("admins only")

    async def ring() -> None:
        rings.append(1)

    users = UserService(uow)
    ann, olga = await users.resolve(ANN, "Ann", None, "en"), await users.resolve(ADMIN, "Olga", None, "en")
    service = PaymentService(uow, clock, (MONTH, Plan("year", 365, 5000)), require_admin, ring)
    return World(store, clock, service, rings, ann, olga)


def event(**overrides: object) -> Payment:
    values: dict[str, object] = {
        "id": 0,
        "source": PaymentSource.EXTERNAL,
        "external_id": "inv_1001",
        "telegram_id": ANN,
        "user_id": None,
        "type": PaymentType.PAID,
        "amount": Decimal("9.99"),
        "currency": "USD",
        "period_start": START,
        "period_end": START + timedelta(days=30),
        "received_at": START,
    }
    return Payment(**(values | overrides))  # type: ignore[arg-type]


async def test_an_external_event_is_stored_once_and_rings_the_ledger_once(world: World) -> None:
    first = await world.payments.record_external("operator", event())
    again = await world.payments.record_external("operator", event())

    assert first.created and not again.created and again.payment == first.payment
    assert first.payment.user_id == world.ann.id
    assert len(world.stored()) == 1 and world.rings == [1]
    assert [entry.subject for entry in world.audit("payment.paid")] == [f"user:{ANN}"]


async def test_a_different_body_under_a_known_external_id_is_a_conflict(world: World) -> None:
    await world.payments.record_external("operator", event())

    with pytest.raises(PaymentConflict):
        await world.payments.record_external("operator", event(amount=Decimal("19.99")))

    assert [p.amount for p in world.stored()] == [Decimal("9.99")]


async def test_a_payer_the_bot_has_not_met_is_stored_without_a_user(world: World) -> None:
    recorded = await world.payments.record_external("operator", event(telegram_id=STRANGER))

    assert recorded.created and recorded.payment.user_id is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"external_id": "has space"}, "external_id"),
        ({"external_id": "x" * 129}, "external_id"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "ABC"}, "currency"),
        ({"amount": Decimal("-1")}, "amount"),
        ({"amount": Decimal("1.001")}, "amount"),
        ({"amount": Decimal("1.5"), "currency": "JPY"}, "amount"),
        ({"amount": Decimal("NaN")}, "amount"),
        ({"period_end": START}, "period_end"),
    ],
)
async def test_a_bad_event_is_refused_and_nothing_is_stored(
    world: World, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}:"):
        await world.payments.record_external("operator", event(**overrides))

    assert world.stored() == [] and world.rings == []


async def test_only_the_operator_role_records_external_payments(world: World) -> None:
    with pytest.raises(Forbidden):
        await world.payments.record_external("signals", event())

    assert world.stored() == []


async def test_a_stars_payment_starts_now_and_a_renewal_extends_the_running_period(world: World) -> None:
    payload = invoice_payload(MONTH, ANN)

    first = await world.payments.record_stars(ANN, payload, 500, "stx1")
    world.clock.advance(86400 * 10)
    second = await world.payments.record_stars(ANN, payload, 500, "stx2")

    assert (first.payment.type, first.payment.period_start) == (PaymentType.PAID, START)
    assert first.payment.amount == Decimal(500) and first.payment.currency == "XTR"
    assert second.payment.type is PaymentType.RENEWED
    assert second.payment.period_start == first.payment.period_end
    assert second.payment.period_end == START + timedelta(days=60)


async def test_a_renewal_after_the_period_ended_starts_now(world: World) -> None:
    payload = invoice_payload(MONTH, ANN)
    await world.payments.record_stars(ANN, payload, 500, "stx1")
    world.clock.advance(86400 * 45)

    renewed = await world.payments.record_stars(ANN, payload, 500, "stx2")

    assert renewed.payment.type is PaymentType.RENEWED and renewed.payment.period_start == world.clock()


async def test_the_same_charge_twice_is_one_payment(world: World) -> None:
    payload = invoice_payload(MONTH, ANN)
    first = await world.payments.record_stars(ANN, payload, 500, "stx1")
    again = await world.payments.record_stars(ANN, payload, 500, "stx1")

    assert again == replace(first, created=False) and len(world.stored()) == 1 and world.rings == [1]


@pytest.mark.parametrize(
    ("payer", "payload", "amount", "reason"),
    [
        (ANN, "sub:v1:month:1001", 1, "subscribe.refused_price"),
        (ANN, "sub:v1:week:1001", 500, "subscribe.refused_plan"),
        (ANN, "sub:v1:month:1002", 500, "subscribe.refused_invoice"),
        (ANN, "sub:v2:month:1001", 500, "subscribe.refused_invoice"),
        (ANN, "garbage", 500, "subscribe.refused_invoice"),
    ],
)
def test_a_tampered_checkout_is_refused_with_its_reason(
    world: World, payer: int, payload: str, amount: int, reason: str
) -> None:
    with pytest.raises(CheckoutRefused) as refused:
        world.payments.check_checkout(payer, payload, "XTR", amount)

    assert refused.value.reason == reason


def test_an_honest_checkout_names_its_plan(world: World) -> None:
    assert world.payments.check_checkout(ANN, "sub:v1:month:1001", "XTR", 500) == MONTH


async def test_an_admin_refund_calls_telegram_and_records_the_same_period(world: World) -> None:
    paid = (await world.payments.record_stars(ANN, invoice_payload(MONTH, ANN), 500, "stx1")).payment
    calls: list[tuple[int, str]] = []

    async def call(user_id: int, charge_id: str) -> None:
        calls.append((user_id, charge_id))

    refund = (await world.payments.refund(world.olga, "stx1", call)).payment

    assert calls == [(ANN, "stx1")]
    assert refund.type is PaymentType.REFUNDED and refund.external_id == "refund:stx1"
    assert (refund.period_start, refund.period_end, refund.amount) == (
        paid.period_start,
        paid.period_end,
        paid.amount,
    )
    assert [entry.actor for entry in world.audit("payment.refunded")] == [f"admin:{ADMIN}"]
    with pytest.raises(AlreadyRefunded):
        await world.payments.refund(world.olga, "stx1", call)
    assert len(calls) == 1


async def test_a_refund_telegram_already_made_is_recorded(world: World) -> None:
    await world.payments.record_stars(ANN, invoice_payload(MONTH, ANN), 500, "stx1")

    async def already(user_id: int, charge_id: str) -> None:
        raise ChargeAlreadyRefunded

    assert (await world.payments.refund(world.olga, "stx1", already)).created


async def test_a_refund_is_refused_to_a_trader_and_for_an_unknown_charge(world: World) -> None:
    await world.payments.record_stars(ANN, invoice_payload(MONTH, ANN), 500, "stx1")

    async def call(user_id: int, charge_id: str) -> None:
        raise AssertionError("Telegram must not be called")

    with pytest.raises(Forbidden):
        await world.payments.refund(world.ann, "stx1", call)
    with pytest.raises(NotFound):
        await world.payments.refund(world.olga, "stxNope", call)
    assert [p.type for p in world.stored()] == [PaymentType.PAID]


async def test_a_refunded_period_does_not_count_when_renewing(world: World) -> None:
    payload = invoice_payload(MONTH, ANN)
    await world.payments.record_stars(ANN, payload, 500, "stx1")

    async def call(user_id: int, charge_id: str) -> None:
        return None

    await world.payments.refund(world.olga, "stx1", call)
    world.clock.advance(3600)

    again = (await world.payments.record_stars(ANN, payload, 500, "stx2")).payment

    assert again.type is PaymentType.PAID and again.period_start == world.clock()
