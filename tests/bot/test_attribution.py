"""Attribution through the real bot, bridge and operator API: a trade our signal's open_position filled
(known by the ticket of the EA's ack, without magic or comment) is the bot's, with its slippage against
the signal's entry; the trader's own trade is manual. /trades, the admin's /attribution and
GET /v1/users/{telegram_id}/attribution give the same numbers; a trader is refused /attribution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from core.api.operator import issue_token
from core.services.errors import Forbidden
from sim.ea.client import BridgeClient
from sim.telegram import SimUser
from tests.audit_sql import ACTOR
from tests.bot.conftest import ADMIN_ID, LOGIN, SERVER, Credentials, Stack, snapshot
from tests.bot.test_signals import post_signal

REFUSED = "Sorry, that command is for admins only. The attempt has been recorded."
BOT_POSITION, MANUAL_POSITION = 777001, 777002
BOT_LINE = "🤖 Bot: 1 trade · P&L $13.00 · won 100.00% · average slippage 0.00020"


def ago(hours: int) -> str:
    """A deal time three days (and `hours`) back: within /trades 30, outside ?days=1."""
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3, hours=hours)
    return moment.isoformat().replace("+00:00", "Z")


CLOSED_AT = ago(hours=2)
MANUAL_LINE = "✋ Manual: 1 trade · P&L -$5.50 · won 0.00% · average slippage —"


def deal(ticket: int, position: int, kind: str, entry: str, price: str, **fields: Any) -> dict[str, Any]:
    body = {"ticket": ticket, "position": position, "symbol": "EURUSD", "type": kind, "entry": entry,
            "reason": "client", "volume": "0.10", "price": price, "time": ago(hours=3),
            "profit": "0.00", "commission": "0.00", "swap": "0.00", "magic": 0, "comment": ""}  # fmt: skip
    return body | fields


async def trade_a_signal_and_by_hand(stack: Stack, ann: SimUser) -> Credentials:
    """The signal sig_attr (entry 1.08550) filled at 1.08570 and closed +13.00; a manual sell -5.50."""
    creds = await stack.link(ann)
    await stack.connect(creds)
    await stack.ask(ann, "/settings signals auto")
    await post_signal(stack, "sig_attr")
    async with BridgeClient(stack.http_url, creds.device_id, creds.secret, max_attempts=1) as client:
        (command,) = await client.commands()
        await client.ack(command["id"], "done", [{"ticket": BOT_POSITION, "price": "1.08570"}])
        deals = [
            deal(880001, BOT_POSITION, "buy", "in", "1.08570", reason="expert"),
            deal(880002, BOT_POSITION, "sell", "out", "1.08700", profit="13.00", time=CLOSED_AT),
            deal(880003, MANUAL_POSITION, "sell", "in", "1.08600", commission="-0.50"),
            deal(880004, MANUAL_POSITION, "buy", "out", "1.08650", profit="-5.00", time=ago(hours=1)),
        ]
        await client.snapshot(snapshot(LOGIN, SERVER, 2, positions=[]) | {"deals": deals})
    return creds


async def get_attribution(stack: Stack, path: str, token: str | None = None) -> tuple[int, Any]:
    token = token or issue_token(stack.core.token_key, "operator", stack.core.clock())
    headers = {"Authorization": f"Bearer {token}"} if token != "-" else {}
    async with aiohttp.ClientSession() as session:
        response = await session.get(f"{stack.http_url}{path}", headers=headers)
        return response.status, await response.json()


async def test_a_filled_signal_is_the_bots_trade_and_every_front_end_gives_the_same_numbers(
    stack: Stack,
) -> None:
    ann = stack.standin.user(1001, "Ann", "en", "ann_trader")
    olga = stack.user(ADMIN_ID, "Olga")
    await trade_a_signal_and_by_hand(stack, ann)

    trades = await stack.ask(ann, "/trades")
    by_username = await stack.ask(olga, "/attribution @Ann_Trader")
    by_id = await stack.ask(olga, "/attribution 1001 3650")
    status, body = await get_attribution(stack, "/v1/users/1001/attribution")

    assert trades.text.splitlines()[1:] == [BOT_LINE, MANUAL_LINE, "Total: 2 trades · P&L $7.50"]
    assert by_username.text.splitlines()[0] == "Attribution of @Ann_Trader (Telegram id 1001)"
    assert by_username.text.endswith(trades.text)  # the trader's own /trades, under the admin's heading
    assert "last 3650 days" in by_id.text and BOT_LINE in by_id.text
    assert status == 200 and (body["telegram_id"], body["days"]) == (1001, None)
    (account,) = body["accounts"]
    assert (account["login"], account["server"], account["currency"], account["pnl"]) == (
        LOGIN,
        SERVER,
        "USD",
        "7.5",
    )
    assert account["bot"] == {
        "count": 1, "wins": 1, "pnl": "13", "win_rate_percent": "100.00", "average_slippage": "0.0002"
    }  # fmt: skip
    assert account["manual"] == {
        "count": 1, "wins": 0, "pnl": "-5.5", "win_rate_percent": "0.00", "average_slippage": None
    }  # fmt: skip
    bot, manual = account["trades"]
    assert (bot["origin"], bot["position"], bot["open_price"], bot["close_price"]) == (
        "bot", BOT_POSITION, "1.0857", "1.087"
    )  # fmt: skip
    assert (bot["pnl"], bot["slippage"], bot["close_time"]) == ("13", "0.0002", CLOSED_AT)
    assert (manual["origin"], manual["side"], manual["pnl"], manual["commission"]) == (
        "manual",
        "sell",
        "-5.5",
        "-0.5",
    )


async def test_a_trader_is_refused_attribution_and_the_attempt_is_audited(stack: Stack) -> None:
    mallory = stack.user(1666, "Mallory")
    await trade_a_signal_and_by_hand(stack, stack.user(1001, "Ann"))

    refused = await stack.ask(mallory, "/attribution 1001")
    user = await stack.core.bot_services.users.resolve(1666, "Mallory", None, "en")
    with pytest.raises(Forbidden):  # the use case itself refuses, not only the bot's gate
        await stack.core.bot_services.attribution.of_user(user, "1001", None)

    assert refused.text == REFUSED
    rows = await stack.rows(
        f"SELECT {ACTOR} AS actor, details->>'command' FROM audit_log"
        " WHERE action = 'admin.refused' ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [("user:1666", "attribution"), ("user:1666", "attribution")]


async def test_the_admin_is_told_what_is_wrong_with_the_user_or_the_days(stack: Stack) -> None:
    olga = stack.user(ADMIN_ID, "Olga")

    usage = await stack.ask(olga, "/attribution")
    bad_days = await stack.ask(olga, "/attribution 1001 0")
    bad_user = await stack.ask(olga, "/attribution no/such")
    unknown = await stack.ask(olga, "/attribution @nobody_here")

    assert usage.text == bad_days.text == bad_user.text
    assert usage.text.startswith("Usage: /attribution")
    assert unknown.text == "I know no user @nobody_here."


async def test_the_operator_endpoint_refuses_bad_input_unknown_users_and_other_tokens(stack: Stack) -> None:
    await trade_a_signal_and_by_hand(stack, stack.user(1001, "Ann"))
    before = await stack.rows("SELECT count(*) FROM deals UNION ALL SELECT count(*) FROM audit_log")

    for path in (
        "/v1/users/1001/attribution?days=0",
        "/v1/users/1001/attribution?days=3651",
        "/v1/users/1001/attribution?days=abc",
        "/v1/users/1001/attribution?days=-1",
        "/v1/users/1001/attribution?days=%D9%A3",  # an Arabic-Indic 3: digits are ASCII only
        "/v1/users/abc/attribution",
        "/v1/users/0/attribution",
        "/v1/users/99999999999999999999/attribution",
    ):
        status, body = await get_attribution(stack, path)
        assert (status, body["error"]["code"]) == (400, "invalid_payload"), path
    unknown = await get_attribution(stack, "/v1/users/424242/attribution")
    anonymous = await get_attribution(stack, "/v1/users/1001/attribution", token="-")
    forged = await get_attribution(
        stack, "/v1/users/1001/attribution", issue_token(b"k" * 32, "operator", stack.core.clock())
    )
    recent = await get_attribution(stack, "/v1/users/1001/attribution?days=1")

    assert (unknown[0], unknown[1]["error"]["code"]) == (404, "not_found")
    assert (anonymous[0], anonymous[1]["error"]["code"]) == (401, "unauthorized")
    assert (forged[0], forged[1]["error"]["code"]) == (401, "unauthorized")
    assert recent[0] == 200 and recent[1]["days"] == 1 and recent[1]["accounts"][0]["trades"] == []
    assert await stack.rows("SELECT count(*) FROM deals UNION ALL SELECT count(*) FROM audit_log") == before
