"""`POST /v1/payments/events` (operator token): the operator's payment system records subscription
payments. 201 for a new event, 200 with the stored one for the same event again, 409 for a different body
under a known external_id; bad input 400 with nothing stored. A payer the bot has not met yet is stored
with no user (the payment system may be ahead of /start)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from core.api.errors import HttpError, json_response
from core.api.operator import operator_post
from core.api.payment_schemas import PaymentEventIn, payment_json, to_payment
from core.api.schemas import validate
from core.domain.affiliates import Payment
from core.services.payments import PaymentConflict, PaymentService

PAYMENTS = web.AppKey("payments", PaymentService)


async def post_payment_event(request: web.Request) -> web.Response:
    def parse(data: object, now: datetime) -> Payment:
        return to_payment(validate(PaymentEventIn, data), now)

    try:
        recorded = await operator_post(request, parse, request.app[PAYMENTS].record_external)
    except PaymentConflict as error:
        raise HttpError(409, "conflict", str(error)) from None
    return json_response({"payment": payment_json(recorded.payment), "created": recorded.created},
                         status=201 if recorded.created else 200)  # fmt: skip


def add_payment_routes(app: web.Application, payments: PaymentService) -> None:
    app[PAYMENTS] = payments
    app.router.add_post("/v1/payments/events", post_payment_event)
