"""Validation of bridge bodies: exact decimals, no NaN/Infinity, the first bad field named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from core.domain import snapshot as domain
from core.services.errors import InvalidInput

MAX_POSITIONS = 500
MAX_DEALS = 1000
MAX_QUOTES = 200
MAX_INT64 = 2**63 - 1  # tickets, seq and magic numbers are stored as BIGINT
MAX_ABS_DECIMAL = Decimal(10) ** 16  # money, prices and volumes are stored as NUMERIC(24, 8)
MAX_DECIMAL_PLACES = 100  # rounded to 8 when stored; beyond this the driver cannot even encode them


class InvalidJson(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not a number")


def parse_json(body: bytes) -> Any:
    """JSON numbers become exact Decimals; NaN and Infinity are refused."""
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # ValueError: bad UTF-8, bad JSON, a 4,300+ digit int
        raise InvalidJson(str(error)) from error


def _exact_decimal(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("must be a decimal string or number")
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except ArithmeticError as error:
            raise ValueError("must be a decimal number") from error
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("must be finite")
        if value.copy_abs() >= MAX_ABS_DECIMAL:  # copy_abs: no context, so no Overflow trap
            raise ValueError("out of range (at most 16 digits before the point)")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
            raise ValueError(f"at most {MAX_DECIMAL_PLACES} digits after the point")
        if round(value, 8).copy_abs() >= MAX_ABS_DECIMAL:  # stored rounded to 8 places: 9…9.999999999
            raise ValueError("out of range (at most 16 digits before the point)")
    return value


def _utc_time(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be ISO 8601 UTC or Unix seconds")
    if isinstance(value, int):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError) as error:
            raise ValueError("Unix seconds out of range") from error
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)  # 3.11 reads "Z"
        except ValueError as error:
            raise ValueError("must be ISO 8601 UTC or Unix seconds") from error
        if parsed.tzinfo is None:
            raise ValueError("must say UTC (Z)")
        try:
            return parsed.astimezone(UTC)
        except OverflowError as error:
            raise ValueError("out of range") from error
    raise ValueError("must be ISO 8601 UTC or Unix seconds")


Dec = Annotated[Decimal, BeforeValidator(_exact_decimal)]
Price = Annotated[Decimal, BeforeValidator(_exact_decimal), Field(ge=0)]
Volume = Annotated[Decimal, BeforeValidator(_exact_decimal), Field(gt=0)]
Time = Annotated[datetime, BeforeValidator(_utc_time)]
Ticket = Annotated[int, Field(strict=True, ge=0, le=MAX_INT64)]
Magic = Annotated[int, Field(strict=True, ge=0, le=MAX_INT64)]
Symbol = Annotated[str, Field(min_length=1, max_length=32)]
Comment = Annotated[str, Field(max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:  # Postgres text and JSONB cannot hold NUL
            raise ValueError("must not contain NUL characters")
        return value


class AccountIn(Strict):
    login: Annotated[int, Field(strict=True, gt=0)]
    server: Annotated[str, Field(min_length=1, max_length=64)]
    currency: Annotated[str, Field(min_length=3, max_length=8)]
    balance: Dec
    equity: Dec
    margin: Annotated[Decimal, BeforeValidator(_exact_decimal), Field(ge=0)]
    free_margin: Dec
    leverage: Annotated[int, Field(strict=True, ge=1)]


class PositionIn(Strict):
    ticket: Ticket
    symbol: Symbol
    side: Literal["buy", "sell"]
    volume: Volume
    open_price: Price
    open_time: Time
    price: Price
    profit: Dec
    swap: Dec = Decimal(0)
    sl: Price | None = None
    tp: Price | None = None
    magic: Magic = 0
    comment: Comment = ""


class DealIn(Strict):
    ticket: Ticket
    position: Ticket = 0
    symbol: Annotated[str, Field(max_length=32)] = ""
    type: Literal["buy", "sell", "balance", "credit", "commission", "other"]
    entry: Literal["in", "out", "inout", "out_by"]
    reason: Literal["client", "mobile", "web", "expert", "sl", "tp", "so", "other"]
    volume: Annotated[Decimal, BeforeValidator(_exact_decimal), Field(ge=0)]
    price: Price
    time: Time
    profit: Dec
    commission: Dec = Decimal(0)
    swap: Dec = Decimal(0)
    magic: Magic = 0
    comment: Comment = ""


class QuoteIn(Strict):
    symbol: Symbol
    bid: Annotated[Decimal, BeforeValidator(_exact_decimal), Field(gt=0)]
    ask: Annotated[Decimal, BeforeValidator(_exact_decimal), Field(gt=0)]
    time: Time


class SnapshotIn(Strict):
    seq: Annotated[int, Field(strict=True, ge=0, le=MAX_INT64)]
    time: Time
    account: AccountIn
    positions: Annotated[list[PositionIn], Field(max_length=MAX_POSITIONS)]
    deals: Annotated[list[DealIn], Field(max_length=MAX_DEALS)] = []
    quotes: Annotated[list[QuoteIn], Field(max_length=MAX_QUOTES)] = []


class AckResultIn(Strict):
    ticket: Ticket
    closed_volume: Annotated[Decimal, BeforeValidator(_exact_decimal), Field(ge=0)] = Decimal(0)
    price: Price | None = None
    profit: Dec | None = None


class AckIn(Strict):
    status: Literal["done", "partial", "failed"]
    results: Annotated[list[AckResultIn], Field(max_length=MAX_POSITIONS)] = []
    message: Annotated[str, Field(max_length=500)] = ""


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _message(error: Any) -> str:
    context = error.get("ctx") or {}
    if error["type"] == "greater_than":
        return f"must be > {context.get('gt')}"
    if error["type"] == "greater_than_equal":
        return f"must be >= {context.get('ge')}"
    if error["type"] == "less_than_equal":
        return f"must be <= {context.get('le')}"
    if error["type"] == "too_long":
        return f"at most {context.get('max_length')} items"
    if error["type"] == "missing":
        return "is required"
    return str(error["msg"]).removeprefix("Value error, ")


ModelT = TypeVar("ModelT", bound=BaseModel)


def validate(model: type[ModelT], data: Any) -> ModelT:
    if not isinstance(data, dict):
        raise InvalidInput("body: must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidInput(f"{_field_path(tuple(first['loc']))}: {_message(first)}") from None


def to_snapshot(body: SnapshotIn) -> domain.Snapshot:
    return domain.Snapshot(
        seq=body.seq,
        time=body.time,
        account=domain.AccountInfo(**body.account.model_dump()),
        positions=tuple(_position(p) for p in body.positions),
        deals=tuple(_deal(d) for d in body.deals),
        quotes=tuple(domain.Quote(**q.model_dump()) for q in body.quotes),
    )


def _position(p: PositionIn) -> domain.Position:
    data = p.model_dump()
    data["side"] = domain.Side(p.side)
    return domain.Position(**data)


def _deal(d: DealIn) -> domain.Deal:
    data = d.model_dump()
    data["type"] = domain.DealType(d.type)
    data["entry"] = domain.DealEntry(d.entry)
    data["reason"] = domain.DealReason(d.reason)
    return domain.Deal(**data)
