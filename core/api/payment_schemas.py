"""The body of `POST /v1/payments/events` (the operator's payment system), validated strictly: an unknown
field, a missing one, a bad type or value is refused with the first bad field named, before anything is
stored. The currency's own rules (ISO 4217 or XTR, its minor digits) are PaymentService's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.api.schemas import Dec, Time
from core.domain.affiliates import Payment, PaymentSource, PaymentType
from core.domain.codec import encode_optional_time

MAX_TELEGRAM_ID = 2**63 - 1

ExternalId = Annotated[str, Field(strict=True), StringConstraints(pattern=r"^[A-Za-z0-9._:@/+=-]{1,128}$")]
Currency = Annotated[str, Field(strict=True), StringConstraints(pattern=r"^[A-Z]{3}$")]
Amount = Annotated[Dec, Field(ge=0)]
Fingerprint = Annotated[str, Field(strict=True), StringConstraints(pattern=r"^[!-~]{1,128}$")]
Email = Annotated[str, Field(strict=True), StringConstraints(pattern=r"^[^\s@\x00]{1,64}@[^\s@\x00]{1,189}$")]


class PaymentEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    external_id: ExternalId
    telegram_id: Annotated[int, Field(strict=True, ge=1, le=MAX_TELEGRAM_ID)]
    type: Literal["paid", "renewed", "refunded", "chargeback"]
    amount: Amount
    currency: Currency
    period_start: Time
    period_end: Time
    payer_fingerprint: Fingerprint | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _period(self) -> PaymentEventIn:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self


def to_payment(body: PaymentEventIn, received_at: datetime) -> Payment:
    return Payment(
        id=0,
        source=PaymentSource.EXTERNAL,
        external_id=body.external_id,
        telegram_id=body.telegram_id,
        user_id=None,
        type=PaymentType(body.type),
        amount=body.amount,
        currency=body.currency,
        period_start=body.period_start,
        period_end=body.period_end,
        received_at=received_at,
        payer_fingerprint=body.payer_fingerprint,
        email=body.email,
    )


def payment_json(payment: Payment) -> dict[str, Any]:
    """As stored: the amount exact (no trailing zeros of NUMERIC(24, 8)), user_id null until /start."""
    return {
        "id": payment.id,
        "external_id": payment.external_id,
        "telegram_id": payment.telegram_id,
        "user_id": payment.user_id,
        "type": payment.type.value,
        "amount": format(payment.amount.normalize(), "f"),
        "currency": payment.currency,
        "period_start": encode_optional_time(payment.period_start),
        "period_end": encode_optional_time(payment.period_end),
        "payer_fingerprint": payment.payer_fingerprint,
        "email": payment.email,
        "received_at": encode_optional_time(payment.received_at),
    }
