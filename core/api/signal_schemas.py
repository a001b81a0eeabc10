"""The body of `POST /v1/signals` (PRODUCT.md, Signals), validated strictly: an unknown field, a bad
symbol or id, a volume that is not positive, both or neither of volume and risk_percent are refused with
the first bad field named, before anything is stored."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.api.schemas import Time, Volume
from core.domain.codec import encode_optional_time
from core.domain.signals import DeliveryStatus, InvalidSignal, Signal, SignalMode, check_signal_id
from core.domain.snapshot import Side
from core.services.signals import Posted, was_reached

# MT5 symbol names: letters and digits, and the suffix marks brokers use (EURUSD.m, US30#, XAUUSD+).
SYMBOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._#+!-]{0,31}")
Positive = Volume  # an exact decimal > 0 (prices too)
Percent = Annotated[Volume, Field(le=100)]


class SignalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(strict=True)]
    symbol: Annotated[str, Field(strict=True)]
    side: Literal["buy", "sell"]
    volume: Positive | None = None
    risk_percent: Percent | None = None
    sl: Positive | None = None
    tp: Positive | None = None
    entry: Positive | None = None
    expires_at: Time | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        try:
            check_signal_id(value)
        except InvalidSignal as error:
            raise ValueError(str(error).removeprefix("id: ")) from None
        return value

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        if not SYMBOL.fullmatch(value):
            raise ValueError("1 to 32 of A-Z a-z 0-9 . _ # + ! -, starting with a letter or digit")
        return value

    @model_validator(mode="after")
    def _one_size(self) -> SignalIn:
        if (self.volume is None) == (self.risk_percent is None):
            raise ValueError("give exactly one of volume and risk_percent")
        return self


def to_signal(body: SignalIn, received_at: datetime) -> Signal:
    return Signal(
        id=body.id,
        symbol=body.symbol,
        side=Side(body.side),
        received_at=received_at,
        volume=body.volume,
        risk_percent=body.risk_percent,
        sl=body.sl,
        tp=body.tp,
        entry=body.entry,
        expires_at=body.expires_at,
    )


def _decimal(value: Decimal | None) -> str | None:
    """Exact, without the trailing zeros of the stored NUMERIC(24, 8): "0.1", not "0.10000000"."""
    return None if value is None else format(value.normalize(), "f")


def posted_json(posted: Posted) -> dict[str, Any]:
    """The stored signal and where it went: `accounts` it reached (queued at once or sent for approval),
    of which `auto` and `approve`, and every delivery status counted."""
    signal = posted.signal
    reached = [delivery for delivery in posted.deliveries if was_reached(delivery)]
    return {
        "signal": {
            "id": signal.id,
            "symbol": signal.symbol,
            "side": signal.side.value,
            "volume": _decimal(signal.volume),
            "risk_percent": _decimal(signal.risk_percent),
            "sl": _decimal(signal.sl),
            "tp": _decimal(signal.tp),
            "entry": _decimal(signal.entry),
            "expires_at": encode_optional_time(signal.expires_at),
            "received_at": encode_optional_time(signal.received_at),
        },
        "created": posted.created,
        "accounts": len(reached),
        "auto": sum(1 for delivery in reached if delivery.mode is SignalMode.AUTO),
        "approve": sum(1 for delivery in reached if delivery.mode is SignalMode.APPROVE),
        "deliveries": {status.value: posted.count(status) for status in DeliveryStatus},
    }
