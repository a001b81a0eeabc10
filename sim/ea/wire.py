"""The wire form of the simulated account (BRIDGE.md, POST /v1/bridge/snapshot and the acks)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sim.ea.client import JSONObject
from sim.scenarios import LOT_STEP, Closure, Deal, Position, Quote, SimAccount, money, price


def snapshot_payload(account: SimAccount, seq: int, now: datetime, deals: Iterable[Deal]) -> JSONObject:
    return {
        "seq": seq,
        "time": now,
        "account": account_wire(account),
        "positions": [position_wire(position) for position in account.positions.values()],
        "deals": [deal_wire(deal) for deal in deals],
        "quotes": [quote_wire(quote, now) for quote in account.quotes.values()],
    }


def account_wire(account: SimAccount) -> JSONObject:
    return {
        "login": account.login,
        "server": account.server,
        "currency": account.currency,
        "balance": money(account.balance),
        "equity": money(account.equity),
        "margin": money(account.margin),
        "free_margin": money(account.free_margin),
        "leverage": account.leverage,
    }


def position_wire(position: Position) -> JSONObject:
    symbol = position.symbol
    return {
        "ticket": position.ticket,
        "symbol": symbol,
        "side": position.side,
        "volume": position.volume.quantize(LOT_STEP),
        "open_price": price(symbol, position.open_price),
        "open_time": position.open_time,
        "sl": None if position.sl is None else price(symbol, position.sl),
        "tp": None if position.tp is None else price(symbol, position.tp),
        "price": price(symbol, position.price),
        "swap": money(position.swap),
        "profit": money(position.profit),
        "magic": position.magic,
        "comment": position.comment,
    }


def deal_wire(deal: Deal) -> JSONObject:
    return {
        "ticket": deal.ticket,
        "position": deal.position,
        "symbol": deal.symbol,
        "type": deal.type,
        "entry": deal.entry,
        "reason": deal.reason,
        "volume": deal.volume.quantize(LOT_STEP),
        "price": price(deal.symbol, deal.price),
        "time": deal.time,
        "profit": money(deal.profit),
        "commission": money(deal.commission),
        "swap": money(deal.swap),
        "magic": deal.magic,
        "comment": deal.comment,
    }


def quote_wire(quote: Quote, now: datetime) -> JSONObject:
    return {
        "symbol": quote.symbol,
        "bid": price(quote.symbol, quote.bid),
        "ask": price(quote.symbol, quote.ask),
        "time": quote.time or now,  # a replay keeps its data's own spacing between quotes
    }


def closure_wire(closure: Closure) -> JSONObject:
    return {
        "ticket": closure.ticket,
        "closed_volume": closure.closed_volume.quantize(LOT_STEP),
        "price": closure.price,
        "profit": money(closure.profit),
    }
