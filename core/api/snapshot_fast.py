"""The snapshot body's happy path: msgspec decodes and checks a well-formed snapshot in one pass, with
the rules of core.api.schemas (the one place a bad body is judged and its error worded).

Whatever this path is not sure of (any decode or constraint failure, a decimal or a time it does not
vouch for), it hands back None and the caller runs the pydantic validator, which either accepts the
body or names the first bad field exactly as before. So this path may only refuse more, never
accept more, and what it accepts it turns into the same Snapshot (tests/integration/test_fast_decode.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.domain import snapshot as domain

MAX_INT64 = 2**63 - 1
# Sure-footed bounds, inside the validator's (16 digits before the point, after rounding to 8 places;
# at most 100 after the point): a decimal outside them is left to the validator.
SAFE_ABS = Decimal(10) ** 15
SAFE_CHARS = 30  # and no exponent: at most 28 places
ZERO = Decimal(0)
SIDES = {"buy": domain.Side.BUY, "sell": domain.Side.SELL}

Int64 = Annotated[int, Meta(ge=0, le=MAX_INT64)]
Symbol = Annotated[str, Meta(min_length=1, max_length=32)]
Comment = Annotated[str, Meta(max_length=64)]
Time = str | int


class _Account(msgspec.Struct):
    login: Annotated[int, Meta(gt=0)]
    server: Annotated[str, Meta(min_length=1, max_length=64)]
    currency: Annotated[str, Meta(min_length=3, max_length=8)]
    balance: Decimal
    equity: Decimal
    margin: Decimal
    free_margin: Decimal
    leverage: Annotated[int, Meta(ge=1)]


class _Position(msgspec.Struct):
    ticket: Int64
    symbol: Symbol
    side: Literal["buy", "sell"]
    volume: Decimal
    open_price: Decimal
    open_time: Time
    price: Decimal
    profit: Decimal
    swap: Decimal = ZERO
    sl: Decimal | None = None
    tp: Decimal | None = None
    magic: Int64 = 0
    comment: Comment = ""


class _Deal(msgspec.Struct):
    ticket: Int64
    type: Literal["buy", "sell", "balance", "credit", "commission", "other"]
    entry: Literal["in", "out", "inout", "out_by"]
    reason: Literal["client", "mobile", "web", "expert", "sl", "tp", "so", "other"]
    volume: Decimal
    price: Decimal
    time: Time
    profit: Decimal
    position: Int64 = 0
    symbol: Annotated[str, Meta(max_length=32)] = ""
    commission: Decimal = ZERO
    swap: Decimal = ZERO
    magic: Int64 = 0
    comment: Comment = ""


class _Quote(msgspec.Struct):
    symbol: Symbol
    bid: Decimal
    ask: Decimal
    time: Time


class _Snapshot(msgspec.Struct):
    seq: Int64
    time: Time
    account: _Account
    positions: Annotated[list[_Position], Meta(max_length=500)]
    deals: Annotated[list[_Deal], Meta(max_length=1000)] = []
    quotes: Annotated[list[_Quote], Meta(max_length=200)] = []


DECODER = msgspec.json.Decoder(_Snapshot)


class _Unsure(Exception):
    """Something the validator must judge (and word)."""


def fast_snapshot(body: bytes) -> domain.Snapshot | None:
    """The snapshot, or None when the validator must look at the body."""
    try:
        return _snapshot(DECODER.decode(body))
    except (msgspec.MsgspecError, _Unsure, ValueError, ArithmeticError, OSError):
        return None


def _snapshot(body: _Snapshot) -> domain.Snapshot:
    account, positions, deals, quotes = body.account, body.positions, body.deals, body.quotes
    _check_decimals(
        [account.balance, account.equity, account.margin, account.free_margin]
        + [v for p in positions for v in (p.volume, p.open_price, p.price, p.profit, p.swap)]
        + [v for p in positions for v in (p.sl, p.tp) if v is not None]
        + [v for d in deals for v in (d.volume, d.price, d.profit, d.commission, d.swap)]
        + [v for q in quotes for v in (q.bid, q.ask)],
        [account.margin]
        + [v for p in positions for v in (p.open_price, p.price, p.sl, p.tp) if v is not None]
        + [v for d in deals for v in (d.volume, d.price)],
        [p.volume for p in positions] + [v for q in quotes for v in (q.bid, q.ask)],
    )
    texts = [account.server, account.currency]
    texts += [t for p in positions for t in (p.symbol, p.comment)]
    texts += [t for d in deals for t in (d.symbol, d.comment)]
    texts += [q.symbol for q in quotes]
    if "\x00" in "".join(texts):  # Postgres text and JSONB cannot hold NUL
        raise _Unsure
    return domain.Snapshot(
        seq=body.seq,
        time=_time(body.time),
        account=domain.AccountInfo(
            account.login, account.server, account.currency, account.balance, account.equity,
            account.margin, account.free_margin, account.leverage,
        ),
        positions=tuple(
            domain.Position(
                p.ticket, p.symbol, SIDES[p.side], p.volume, p.open_price, _time(p.open_time), p.price,
                p.profit, p.swap, p.sl, p.tp, p.magic, p.comment,
            )
            for p in positions
        ),
        deals=tuple(
            domain.Deal(
                d.ticket, d.position, d.symbol, domain.DealType(d.type), domain.DealEntry(d.entry),
                domain.DealReason(d.reason), d.volume, d.price, _time(d.time), d.profit, d.commission,
                d.swap, d.magic, d.comment,
            )
            for d in deals
        ),
        quotes=tuple(domain.Quote(q.symbol, q.bid, q.ask, _time(q.time)) for q in quotes),
    )  # fmt: skip


def _check_decimals(every: list[Decimal], at_least_zero: list[Decimal], above_zero: list[Decimal]) -> None:
    """In bulk (min, max and str run in C): every decimal well inside the bounds, written with at most
    SAFE_CHARS characters and no exponent (so at most that many places); the signs the fields ask for.
    A NaN makes a comparison raise (InvalidOperation): unsure as well."""
    if at_least_zero and not min(at_least_zero) >= ZERO:
        raise _Unsure
    if above_zero and not min(above_zero) > ZERO:
        raise _Unsure
    if not (-SAFE_ABS < min(every) and max(every) < SAFE_ABS):
        raise _Unsure
    written = list(map(str, every))
    if max(map(len, written)) > SAFE_CHARS or "E" in "".join(written):
        raise _Unsure


def _time(value: str | int) -> datetime:
    """As core.api.schemas reads a time (Unix seconds, or ISO 8601 saying its zone), to UTC."""
    if isinstance(value, int):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise _Unsure
    return parsed.astimezone(UTC)
