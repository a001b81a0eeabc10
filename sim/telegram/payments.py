"""Telegram Stars payments: sendInvoice, the user paying (a pre_checkout_query the bot must answer, then
a message carrying ``successful_payment``), answerPreCheckoutQuery and refundStarPayment.

Only Stars (currency ``XTR``, whole units, one price, no provider token) are sold; any other currency is
refused as Telegram refuses one without a payment provider. Each accepted payment gets a charge id unique
in the stand-in; a charge is refunded once.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sim.telegram.chats import Chats
from sim.telegram.constants import JsonDict, bot_user
from sim.telegram.errors import bad_request
from sim.telegram.markup import inline_markup, reply_markup
from sim.telegram.params import Handler, Params
from sim.telegram.records import SentMessage
from sim.telegram.signals import Signal
from sim.telegram.transcript import Transcript
from sim.telegram.updates import UpdateQueue
from sim.telegram.users import SimUser

STARS = "XTR"
MAX_TITLE = 32
MAX_DESCRIPTION = 255
MAX_PAYLOAD_BYTES = 128
MAX_STARS = 10_000  # the most one Stars invoice may ask


@dataclass(frozen=True)
class Invoice:
    chat_id: int
    message_id: int
    title: str
    payload: str
    currency: str
    total_amount: int


@dataclass(frozen=True)
class Checkout:
    """A pre_checkout_query queued for the bot, and its answer once given."""

    query_id: str
    update_id: int
    user_id: int
    currency: str
    total_amount: int
    payload: str
    answered: bool = False
    ok: bool | None = None
    error_message: str | None = None
    charge_id: str | None = None  # set when the answer was ok and the payment went through


@dataclass(frozen=True)
class Charge:
    charge_id: str
    user_id: int
    currency: str
    total_amount: int
    payload: str
    refunded: bool = False


class Payments:
    """Invoices the bot sent, checkouts users started, and the charges (paid, refunded) they made."""

    def __init__(
        self,
        chats: Chats,
        transcript: Transcript,
        queue: UpdateQueue,
        user_of: Callable[[int], SimUser],
    ) -> None:
        self._chats = chats
        self._transcript = transcript
        self._queue = queue
        self._user_of = user_of
        self.invoices: dict[tuple[int, int], Invoice] = {}
        self.checkouts: dict[str, Checkout] = {}
        self.charges: dict[str, Charge] = {}
        self._signal = Signal()
        self._query_ids = itertools.count(7_000_000_000_000_000_001)

    def methods(self) -> dict[str, Handler]:
        return {
            "sendInvoice": self._send_invoice,
            "answerPreCheckoutQuery": self._answer_pre_checkout_query,
            "refundStarPayment": self._refund_star_payment,
        }

    # -- the bot's methods ---------------------------------------------------------------------

    async def _send_invoice(self, params: Params) -> JsonDict:
        chat_id = params.chat_id()
        title, description, payload = _invoice_texts(params)
        currency, amount = _stars_price(params)
        markup = reply_markup(params)
        invoice_json = {
            "title": title,
            "description": description,
            "start_parameter": params.string("start_parameter") or "",
            "currency": currency,
            "total_amount": amount,
        }
        message: JsonDict = {
            "message_id": self._chats.next_message_id(chat_id),
            "from": bot_user(),
            "chat": self._chats.chat_json(chat_id),
            "date": int(time.time()),
            "invoice": invoice_json,
        }
        if inline_markup(markup):
            message["reply_markup"] = markup
        self._chats.store(message)
        key = (chat_id, message["message_id"])
        self.invoices[key] = Invoice(chat_id, key[1], title, payload, currency, amount)
        await self._record(message, markup, f"{title}\n{description}")
        return copy.deepcopy(message)

    async def _record(self, message: JsonDict, markup: JsonDict | None, text: str) -> None:
        sent = SentMessage(
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=text,
            entities=[],
            reply_markup=copy.deepcopy(markup),
            parse_mode=None,
            method="sendInvoice",
            time=time.time(),
        )
        await self._transcript.record(sent)

    async def _answer_pre_checkout_query(self, params: Params) -> bool:
        query_id = params.string("pre_checkout_query_id") or ""
        checkout = self.checkouts.get(query_id)
        if checkout is None or checkout.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        ok = params.flag("ok")
        error_message = params.string("error_message")
        if not ok and not error_message:
            raise bad_request("ERROR_MESSAGE_EMPTY")
        answered = replace(checkout, answered=True, ok=ok, error_message=None if ok else error_message)
        if ok:
            answered = replace(answered, charge_id=await self._charge(checkout))
        self.checkouts[query_id] = answered
        self._signal.notify()
        return True

    async def _charge(self, checkout: Checkout) -> str:
        """The user's money moves: a charge, and the service message that tells the bot so."""
        charge_id = f"stxTG{secrets.token_urlsafe(24)}"
        self.charges[charge_id] = Charge(
            charge_id, checkout.user_id, checkout.currency, checkout.total_amount, checkout.payload
        )
        user = self._user_of(checkout.user_id)
        message: JsonDict = {
            "message_id": self._chats.next_message_id(user.chat_id),
            "from": user.to_json(),
            "chat": user.chat_json(),
            "date": int(time.time()),
            "successful_payment": {
                "currency": checkout.currency,
                "total_amount": checkout.total_amount,
                "invoice_payload": checkout.payload,
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": "",  # Stars have no provider
            },
        }
        self._chats.store(message)
        await self._queue.enqueue("message", copy.deepcopy(message), user.user_id, None)
        return charge_id

    async def _refund_star_payment(self, params: Params) -> bool:
        user_id = params.integer("user_id")
        if user_id is None:
            raise bad_request("user_id is empty")
        charge = self.charges.get(params.string("telegram_payment_charge_id") or "")
        if charge is None or charge.user_id != user_id:
            raise bad_request("CHARGE_NOT_FOUND")
        if charge.refunded:
            raise bad_request("CHARGE_ALREADY_REFUNDED")
        self.charges[charge.charge_id] = replace(charge, refunded=True)
        return True

    # -- the users' side (control API) ---------------------------------------------------------

    async def pay(
        self,
        user_id: int,
        invoice: SentMessage,
        *,
        payload: str | None = None,
        total_amount: int | None = None,
    ) -> int:
        """The user presses Pay on ``invoice``: a pre_checkout_query is queued for the bot; returns its
        update id. ``payload`` and ``total_amount`` stand in for a tampered or stale invoice."""
        found = self.invoices.get((invoice.chat_id, invoice.message_id))
        if found is None:
            raise LookupError(f"message {invoice.message_id} in chat {invoice.chat_id} is not an invoice")
        amount = found.total_amount if total_amount is None else total_amount
        payload = found.payload if payload is None else payload
        return await self.checkout(user_id, found.currency, amount, payload)

    async def checkout(self, user_id: int, currency: str, total_amount: int, payload: str) -> int:
        """Queue a pre_checkout_query as if ``user_id`` paid an invoice with these terms."""
        query_id = str(next(self._query_ids))
        query: JsonDict = {
            "id": query_id,
            "from": self._user_of(user_id).to_json(),
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
        }
        update_id = await self._queue.enqueue("pre_checkout_query", query, user_id, payload)
        self.checkouts[query_id] = Checkout(query_id, update_id, user_id, currency, total_amount, payload)
        return update_id

    async def wait_for_checkout_answer(self, update_id: int, timeout: float = 10.0) -> Checkout:
        """The bot's answer to the pre_checkout_query queued as ``update_id`` (with the charge if ok)."""

        def find() -> Checkout | None:
            return next((c for c in self.checkouts.values() if c.update_id == update_id and c.answered), None)

        try:
            async with asyncio.timeout(timeout):
                while (found := find()) is None:
                    await self._signal.wait()
                return found
        except TimeoutError:
            raise TimeoutError(f"pre_checkout_query {update_id} not answered within {timeout}s") from None


def _invoice_texts(params: Params) -> tuple[str, str, str]:
    title, description = params.string("title") or "", params.string("description") or ""
    payload = params.string("payload") or ""
    if not 1 <= len(title) <= MAX_TITLE:
        raise bad_request("TITLE_INVALID")
    if not 1 <= len(description) <= MAX_DESCRIPTION:
        raise bad_request("DESCRIPTION_INVALID")
    if not 1 <= len(payload.encode()) <= MAX_PAYLOAD_BYTES:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    return title, description, payload


def _stars_price(params: Params) -> tuple[str, int]:
    """XTR, no provider token, exactly one LabeledPrice of 1..MAX_STARS, no tips: (currency, amount)."""
    currency = params.string("currency") or ""
    if currency != STARS or params.string("provider_token"):
        raise bad_request("PAYMENT_PROVIDER_INVALID")  # this stand-in has no payment provider but Stars
    prices = params.json("prices", "prices")
    if not isinstance(prices, list) or not all(_is_labeled_price(price) for price in prices):
        raise bad_request("can't parse prices JSON object")
    if len(prices) != 1 or params.integer("max_tip_amount") or params.json("suggested_tip_amounts", "tips"):
        raise bad_request("STARS_INVOICE_INVALID")
    amount = prices[0]["amount"]
    if not 1 <= amount <= MAX_STARS:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    return currency, amount


def _is_labeled_price(price: Any) -> bool:
    return (
        isinstance(price, dict)
        and isinstance(price.get("label"), str)
        and isinstance(price.get("amount"), int)
        and not isinstance(price.get("amount"), bool)
    )
