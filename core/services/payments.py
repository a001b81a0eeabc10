"""Subscription payments (issue 11): Telegram Stars invoices sold by /subscribe, their refunds by an admin,
and the operator's external events (POST /v1/payments/events).

Every payment is one row, unique by (source, external_id): a retried event is stored once, the same event
again returns the stored one, a different body under a known id is a conflict. Recording writes the row
and an audit entry in one unit of work; after the commit `on_recorded` rings the ledger pass, which turns
payments into commission lines (this room never writes lines, nor `ledgered_at`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from babel.numbers import get_currency_precision, list_currencies

from core.domain.affiliates import Payment, PaymentSource, PaymentType, Plan
from core.domain.models import AuditEntry, User
from core.services.errors import Forbidden, InvalidInput, NotFound, ServiceError
from core.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.services.signals import OPERATOR_ROLE

STARS = "XTR"  # Telegram Stars: whole units
PAYLOAD_VERSION = "sub:v1"
REFUND_PREFIX = "refund:"
EXTERNAL_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}", re.ASCII)
CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
MAX_AMOUNT = Decimal(10) ** 16  # stored as NUMERIC(24, 8)
_PAYLOAD = re.compile(r"sub:v1:([a-z0-9_]{1,32}):([1-9][0-9]{0,18})", re.ASCII)

RequireAdmin = Callable[[User, str], Awaitable[None]]
OnRecorded = Callable[[], Awaitable[None]]


class PaymentConflict(ServiceError):
    """A known external_id with a different body: nothing changed."""

    code = "conflict"


class CheckoutRefused(ServiceError):
    """A pre-checkout that must be answered ok=false; `reason` names the catalogue message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AlreadyRefunded(ServiceError):
    code = "already_refunded"


class ChargeAlreadyRefunded(Exception):
    """Raised by a refund call when Telegram says the charge was refunded already (by an earlier try whose
    record was lost): the refund is recorded then, so the record catches up with Telegram."""


RefundCall = Callable[[int, str], Awaitable[None]]  # (Telegram user id, charge id)


@dataclass(frozen=True)
class Recorded:
    payment: Payment
    created: bool  # False: the same event was recorded before, and this is the stored one


def minor_digits(currency: str) -> int:
    """Digits after the point the currency allows (ISO 4217; Stars have none); InvalidInput if unknown."""
    if currency == STARS:
        return 0
    if not CURRENCY.fullmatch(currency) or currency not in list_currencies():
        raise InvalidInput("currency: an ISO 4217 code (3 upper-case letters) or XTR")
    return int(get_currency_precision(currency))


def check_event(payment: Payment) -> None:
    """What every recorded payment must be, whoever sends it; InvalidInput names the first bad field."""
    if not EXTERNAL_ID.fullmatch(payment.external_id):
        raise InvalidInput("external_id: 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -")
    if payment.telegram_id <= 0:
        raise InvalidInput("telegram_id: a Telegram user id")
    digits = minor_digits(payment.currency)
    if not payment.amount.is_finite() or payment.amount < 0 or payment.amount >= MAX_AMOUNT:
        raise InvalidInput("amount: a decimal >= 0")
    exponent = payment.amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits and payment.amount != round(payment.amount, digits):
        raise InvalidInput(f"amount: at most {digits} digits after the point in {payment.currency}")
    if payment.period_end <= payment.period_start:
        raise InvalidInput("period_end: must be after period_start")


def invoice_payload(plan: Plan, telegram_id: int) -> str:
    return f"{PAYLOAD_VERSION}:{plan.code}:{telegram_id}"


def parse_payload(payload: str) -> tuple[str, int] | None:
    """(plan code, payer's Telegram id) of `sub:v1:<plan>:<id>`, or None for anything else."""
    found = _PAYLOAD.fullmatch(payload)
    return None if found is None else (found.group(1), int(found.group(2)))


def paid_until(payments: list[Payment]) -> datetime | None:
    """The end of the latest period paid and not taken back (a refund or chargeback names its period)."""
    taken = [(p.period_start, p.period_end) for p in payments if p.type.takes_back]
    standing = []
    for payment in (p for p in payments if not p.type.takes_back):
        period = (payment.period_start, payment.period_end)
        if period in taken:
            taken.remove(period)
        else:
            standing.append(payment.period_end)
    return max(standing, default=None)


def same_event(stored: Payment, event: Payment) -> bool:
    """The fields a sender controls: received_at, id and the user link are ours."""

    def theirs(payment: Payment) -> Payment:
        return replace(payment, id=0, received_at=stored.received_at, user_id=None)

    return theirs(stored) == theirs(event)


class PaymentService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        plans: tuple[Plan, ...],
        require_admin: RequireAdmin,
        on_recorded: OnRecorded | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.plans = plans
        self.require_admin = require_admin
        self.on_recorded = on_recorded

    def plan(self, code: str) -> Plan | None:
        return next((plan for plan in self.plans if plan.code == code), None)

    # -- recording ------------------------------------------------------------------------------

    async def record(self, payment: Payment, actor: str) -> Recorded:
        """Store one payment event, idempotent by (source, external_id); rings the ledger once stored."""
        check_event(payment)
        async with self.uow() as uow:
            recorded = await self._store(uow, payment, actor)
            await uow.commit()
        if recorded.created and self.on_recorded is not None:
            await self.on_recorded()
        return recorded

    async def _store(self, uow: UnitOfWork, payment: Payment, actor: str) -> Recorded:
        stored = await uow.payments.by_external_id(payment.source, payment.external_id)
        if stored is None:
            user = await uow.users.by_telegram_id(payment.telegram_id)  # None: the payer is ahead of /start
            now = self.clock()
            linked = replace(payment, user_id=user.id if user else None, received_at=now)
            added = await uow.payments.add(linked)
            if added is not None:
                await uow.audit.append(_audit(actor, added), now)
                return Recorded(added, True)
            stored = await uow.payments.by_external_id(payment.source, payment.external_id)  # a twin won
            assert stored is not None
        if not same_event(stored, payment):
            raise PaymentConflict(f"external_id {payment.external_id!r} was recorded with another body")
        return Recorded(stored, False)

    async def record_external(self, role: str, payment: Payment) -> Recorded:
        """POST /v1/payments/events: the operator's payment system, a token of the operator role."""
        if role != OPERATOR_ROLE:
            raise Forbidden(f"role {role!r} may not record payments")
        return await self.record(replace(payment, source=PaymentSource.EXTERNAL), f"operator:{role}")

    # -- Telegram Stars ----------------------------------------------------------------------------

    def check_checkout(self, payer_id: int, payload: str, currency: str, total_amount: int) -> Plan:
        """Pre-checkout: the payload parses, its plan still exists at the same price in Stars, and the
        payer is the user it was made for; CheckoutRefused(reason) otherwise."""
        parsed = parse_payload(payload)
        if parsed is None or parsed[1] != payer_id:
            raise CheckoutRefused("subscribe.refused_invoice")
        plan = self.plan(parsed[0])
        if plan is None:
            raise CheckoutRefused("subscribe.refused_plan")
        if currency != STARS or total_amount != plan.stars:
            raise CheckoutRefused("subscribe.refused_price")
        return plan

    async def record_stars(self, payer_id: int, payload: str, total_amount: int, charge_id: str) -> Recorded:
        """A successful_payment: the period starts now, or where the payer's paid period ends if it is
        still running; `paid` the first time, `renewed` after. Telegram's charge id keeps it once."""
        parsed = parse_payload(payload)
        plan = self.plan(parsed[0]) if parsed else None
        if plan is None:  # paid for a plan removed since the pre-checkout: honour the price paid
            plan = Plan(parsed[0] if parsed else "unknown", 30, total_amount)
        async with self.uow() as uow:
            await uow.payments.lock_telegram_user(payer_id)
            stored = await uow.payments.by_external_id(PaymentSource.STARS, charge_id)
            if stored is not None:
                return Recorded(stored, False)
            earlier = await uow.payments.of_telegram_user(payer_id)
            now = self.clock()
            until = paid_until(earlier)
            start = until if until is not None and until > now else now
            kind = PaymentType.RENEWED if until is not None else PaymentType.PAID
            payment = Payment(0, PaymentSource.STARS, charge_id, payer_id, None, kind, Decimal(total_amount),
                              STARS, start, start + timedelta(days=plan.days), now, plan.code)  # fmt: skip
            recorded = await self._store(uow, payment, f"user:{payer_id}")
            await uow.commit()
        if recorded.created and self.on_recorded is not None:
            await self.on_recorded()
        return recorded

    async def refundable(self, admin: User, charge_id: str) -> Payment:
        """The Stars payment `/refund <charge id>` names, if an admin asks and it is not refunded yet."""
        await self.require_admin(admin, "refund")
        async with self.uow() as uow:
            return await _refundable(uow, charge_id)

    async def stars_charge(self, admin: User, payment_id: int) -> str:
        """The charge id of the Stars payment a /refund button names (by id: charge ids are long)."""
        await self.require_admin(admin, "refund")
        async with self.uow() as uow:
            payment = await uow.payments.get(payment_id)
        if payment is None or payment.source is not PaymentSource.STARS or payment.type.takes_back:
            raise NotFound("no such Stars payment")
        return payment.external_id

    async def refund(self, admin: User, charge_id: str, call: RefundCall) -> Recorded:
        """Refund through Telegram (`call`), then record a `refunded` event for the same period."""
        await self.require_admin(admin, "refund")
        async with self.uow() as uow:
            paid = await _refundable(uow, charge_id)
        try:
            await call(paid.telegram_id, charge_id)
        except ChargeAlreadyRefunded:
            pass  # refunded at Telegram by an earlier try whose record was lost: record it now
        refund = replace(paid, external_id=f"{REFUND_PREFIX}{charge_id}", type=PaymentType.REFUNDED)
        return await self.record(refund, f"admin:{admin.telegram_id}")


async def _refundable(uow: UnitOfWork, charge_id: str) -> Payment:
    if charge_id.startswith(REFUND_PREFIX) or not EXTERNAL_ID.fullmatch(charge_id):
        raise NotFound("no such Stars payment")
    paid = await uow.payments.by_external_id(PaymentSource.STARS, charge_id)
    if paid is None or paid.type.takes_back:
        raise NotFound("no such Stars payment")
    if await uow.payments.by_external_id(PaymentSource.STARS, f"{REFUND_PREFIX}{charge_id}") is not None:
        raise AlreadyRefunded("this payment was refunded already")
    return paid


def _audit(actor: str, payment: Payment) -> AuditEntry:
    details = {
        "payment_id": payment.id,
        "source": payment.source.value,
        "external_id": payment.external_id,
        "type": payment.type.value,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "period_start": payment.period_start.isoformat(),
        "period_end": payment.period_end.isoformat(),
    }
    return AuditEntry(actor, f"payment.{payment.type.value}", f"user:{payment.telegram_id}", details)
