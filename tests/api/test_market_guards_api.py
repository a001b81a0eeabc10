"""The market guards in the bridge's answer: a blow-out with the price running against a held position
closes it in the answer to the very snapshot that showed it, every account on the server holding the
symbol hears of it once per episode, and a wide spread alone (gold's Friday close) closes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.app import Core, build_http_app, open_core
from core.domain.market import MarketConfig, SymbolMarket, observe_quote
from core.domain.snapshot import Quote
from db.hot_market import symbol_key
from tests.api.conftest import Bridge, link_device
from tests.api.wire import SNAPSHOT, accepted, as_device
from tests.conftest import FakeClock, clean_state, make_settings

SERVER = "Broker-Live"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday morning: the market is open


async def prime_usual_spread(core: Core, symbol: str, bid: str, spread: str, count: int = 40) -> datetime:
    """What the service would have learnt from earlier snapshots: `count` quotes 10 s apart."""
    state: SymbolMarket | None = None
    moment = START
    for step in range(count):
        moment = START + timedelta(seconds=10 * step)
        quote = Quote(symbol, Decimal(bid), Decimal(bid) + Decimal(spread), moment)
        state, _ = observe_quote(state, quote, MarketConfig())
    assert state is not None
    await core.redis.set(symbol_key(SERVER, symbol), json.dumps({"state": state.to_dict()}))
    return moment


def holding(
    login: int, seq: int, symbol: str, ticket: int, side: str, bid: str, ask: str, at: datetime
) -> dict[str, Any]:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {
        "seq": seq,
        "time": stamp,
        "account": {
            "login": login, "server": SERVER, "currency": "USD", "balance": "10000.00",
            "equity": "9900.00", "margin": "600.00", "free_margin": "9300.00", "leverage": 100,
        },
        "positions": [
            {
                "ticket": ticket, "symbol": symbol, "side": side, "volume": "0.50", "open_price": ask,
                "open_time": "2026-11-25T08:00:00Z", "price": bid, "profit": "-100.00",
            }
        ],
        "deals": [],
        "quotes": [{"symbol": symbol, "bid": bid, "ask": ask, "time": stamp}],
    }  # fmt: skip


def closes(answer: dict[str, Any]) -> list[tuple[int, str]]:
    return [(c["ticket"], c["reason"]) for c in answer["commands"] if c["type"] == "close_position"]


async def market_alerts(core: Core) -> list[tuple[int, str, dict[str, Any]]]:
    async with core.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT chat_id, kind, params FROM outbox WHERE kind LIKE 'market_%' ORDER BY id")
        )
        return [(row.chat_id, row.kind, row.params) for row in rows]


async def test_a_blowout_against_a_long_closes_it_in_that_very_answer_and_tells_the_trader(
    bridge: Bridge, core: Core
) -> None:
    calm = await prime_usual_spread(core, "EURCHF", "1.20080", "0.00008")
    crash = calm + timedelta(seconds=5)

    answer = await accepted(
        await bridge.call(
            "POST", SNAPSHOT, holding(5012345, 1, "EURCHF", 777, "buy", "1.19114", "1.19218", crash)
        )
    )

    assert closes(answer) == [(777, "spread")]
    [(chat, kind, params)] = await market_alerts(core)
    assert (chat, kind, params["symbol"], params["action"]) == (4242, "market_spread", "EURCHF", "closed")
    assert params["closed_tickets"] == [777]


async def test_every_account_holding_the_symbol_hears_of_it_once_even_after_another_reported_it(
    bridge: Bridge, core: Core
) -> None:
    calm = await prime_usual_spread(core, "EURCHF", "1.20080", "0.00008")
    crash = calm + timedelta(seconds=5)
    other = await link_device(core, telegram_id=4343, login=5099999)
    first = holding(5012345, 1, "EURCHF", 777, "buy", "1.19114", "1.19218", crash)
    second = holding(5099999, 1, "EURCHF", 888, "buy", "1.19114", "1.19218", crash)  # the same quote

    ann = await accepted(await bridge.call("POST", SNAPSHOT, first))
    bob = await accepted(await as_device(bridge, other).call("POST", SNAPSHOT, second))
    again = await accepted(await as_device(bridge, other).call("POST", SNAPSHOT, {**second, "seq": 2}))

    assert closes(ann) == [(777, "spread")]
    assert closes(bob) == [(888, "spread")]
    assert closes(again) == [(888, "spread")]  # still pending, not issued twice
    assert [(chat, kind) for chat, kind, _ in await market_alerts(core)] == [
        (4242, "market_spread"),
        (4343, "market_spread"),
    ]


async def test_a_short_is_not_closed_by_a_move_in_its_favour(bridge: Bridge, core: Core) -> None:
    calm = await prime_usual_spread(core, "EURCHF", "1.20080", "0.00008")

    answer = await accepted(
        await bridge.call(
            "POST",
            SNAPSHOT,
            holding(5012345, 1, "EURCHF", 777, "sell", "1.19114", "1.19218", calm + timedelta(seconds=5)),
        )
    )

    assert closes(answer) == []
    assert await market_alerts(core) == []


async def test_gold_s_spread_widening_at_the_close_with_the_price_flat_closes_nothing(
    bridge: Bridge, core: Core
) -> None:
    calm = await prime_usual_spread(core, "XAUUSD", "5103.33", "0.18")

    answer = await accepted(
        await bridge.call(
            "POST",
            SNAPSHOT,
            holding(5012345, 1, "XAUUSD", 777, "buy", "5104.90", "5106.36", calm + timedelta(seconds=60)),
        )
    )

    assert closes(answer) == []
    assert await market_alerts(core) == []


async def test_a_gap_over_the_weekend_is_measured_from_fridays_last_quote(bridge: Bridge, core: Core) -> None:
    friday = datetime(2026, 11, 27, 20, 59, tzinfo=UTC)
    monday = datetime(2026, 11, 29, 23, 5, tzinfo=UTC)
    await accepted(
        await bridge.call(
            "POST", SNAPSHOT, holding(5012345, 1, "EURCHF", 777, "buy", "1.20080", "1.20090", friday)
        )
    )

    answer = await accepted(
        await bridge.call(
            "POST", SNAPSHOT, holding(5012345, 2, "EURCHF", 777, "buy", "1.13000", "1.13100", monday)
        )
    )

    assert closes(answer) == [(777, "market_gap")]
    [(_, kind, params)] = await market_alerts(core)
    assert kind == "market_gap" and Decimal(params["move_percent"]) < -5


async def test_in_alert_mode_a_blowout_is_told_and_nothing_is_closed(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with open_core(make_settings(tmp_path, market_guard_action="alert"), clock) as alerting:
        await clean_state()
        device = await link_device(alerting)
        calm = await prime_usual_spread(alerting, "EURCHF", "1.20080", "0.00008")
        body = holding(5012345, 1, "EURCHF", 777, "buy", "1.19114", "1.19218", calm + timedelta(seconds=5))
        async with TestClient(TestServer(build_http_app(alerting, None))) as client:
            answer = await accepted(await Bridge(client, device, clock).call("POST", SNAPSHOT, body))
        alerts = await market_alerts(alerting)

    assert closes(answer) == []
    [(_, kind, params)] = alerts
    assert (kind, params["action"], params["closed_tickets"]) == ("market_spread", "alerted", [])
