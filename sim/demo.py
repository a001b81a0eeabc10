"""`tradeguard demo`: the real service, offline, on a fresh machine.

Embedded Postgres and Redis, the Bot API stand-in in place of Telegram, and simulated EAs: one trader
lives through the 15 January 2015 EURCHF crash, another withdraws 30% (which is not a loss) and holds
gold through a Friday close whose spread widens eightfold (which is not a market emergency). Everything
each person is sent is printed as it happens; the demo exits 0 when the crash ends in a liquidation and
the gold position rode through untouched. The guard runs with the product's defaults (no grace).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import textwrap
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

from bot.runner import running
from core.config import Settings
from sim.ea.simulator import SimulationResult, run_simulated_ea
from sim.telegram import BotApiStandIn, IncomingUpdate, SentMessage, SimUser

TOKEN = "7000000001:DEMO-not-a-real-token"
ADMIN_ID = 900001
DEMO_DIR = Path(".tradeguard") / "demo"
NAMES: dict[int | None, str] = {}  # None: an update no user sent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def say(line: str) -> None:
    print(line, flush=True)


def show_update(update: IncomingUpdate) -> None:
    who = NAMES.get(update.user_id, str(update.user_id))
    action = update.text if update.kind == "message" else f"[presses {update.payload}]"
    say(f"\n{who} ▶ {action}")


def show_message(message: SentMessage) -> None:
    who = NAMES.get(message.chat_id, str(message.chat_id))
    body = textwrap.indent(message.text, "    ")
    say(f"  bot → {who}:\n{body}")


def demo_settings(port: int, stand_in_url: str) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=f"{stand_in_url}/bot",
        admin_telegram_ids=(ADMIN_ID,),
        database_url=None,
        redis_url=None,
        data_dir=DEMO_DIR,
        bridge_host="127.0.0.1",
        bridge_port=port,
        public_bridge_url=f"http://127.0.0.1:{port}",
        liquidation_verify_seconds=20,
    )


async def converse(
    user: SimUser, standin: BotApiStandIn, text: str, expect: Callable[[SentMessage], bool] | None = None
) -> SentMessage:
    """Send a message and wait for the answer (the first one `expect` accepts, when given)."""
    mark = standin.mark()
    await user.send(text)
    return await standin.wait_for_message(user.user_id, expect, timeout=30, after=mark)


def has_credentials(message: SentMessage) -> bool:
    return len(message.entity_texts("code")) >= 2


async def link_and_run(
    user: SimUser,
    standin: BotApiStandIn,
    login: int,
    server: str,
    scenario: str,
    bridge_url: str,
    interval: float = 0.6,
) -> Callable[[], Awaitable[SimulationResult]]:
    answer = await converse(user, standin, f"/link {login} {server}", expect=has_credentials)
    device_id, secret = answer.entity_texts("code")[:2]

    def ea_out(line: str) -> None:
        say(f"  [EA {login}] {line}")

    async def run() -> SimulationResult:
        return await run_simulated_ea(
            bridge_url, device_id, secret, scenario, login=login, server=server, interval=interval, out=ea_out
        )

    return run


async def tour(standin: BotApiStandIn, bridge_url: str) -> bool:
    ann = standin.user(1001, "Ann", "en")
    boris = standin.user(1002, "Boris", "es")
    olga = standin.user(ADMIN_ID, "Olga", "ru")
    NAMES.update({1001: "Ann (trader, en)", 1002: "Boris (trader, es)", ADMIN_ID: "Olga (admin, ru)"})

    await converse(ann, standin, "/start ref_demo")
    await converse(boris, standin, "/start")
    await converse(olga, standin, "/start")
    crash = await link_and_run(ann, standin, 5012345, "Demo-Live", "crash", bridge_url)
    withdrawal = await link_and_run(boris, standin, 6023456, "Demo-Live", "withdrawal", bridge_url)
    gold = await link_and_run(boris, standin, 7034567, "Demo-Live", "gold_rollover", bridge_url, 0.25)
    await converse(boris, standin, "/liquidate 5012345")

    say("\n— the EAs start sending snapshots; EURCHF is pegged at 1.20 … until it is not —")
    results = await asyncio.gather(crash(), withdrawal(), gold())
    liquidated = await standin.wait_for_message(1001, lambda m: "closed out" in m.text, timeout=30)
    explain_the_close(results[0])
    gold_untouched = explain_the_gold(results[2])
    await converse(ann, standin, "/status")
    await converse(boris, standin, "/status")
    say("\n— the admins get one summary per 10-second window, however many accounts were liquidated —")
    await standin.wait_for_message(ADMIN_ID, lambda m: "5012345" in m.text, timeout=30)
    await converse(olga, standin, "/account 5012345")
    await converse(olga, standin, "/accounts_all")
    for result in results:
        say(
            f"\nEA: {result.snapshots_sent} snapshots sent, {len(result.commands_executed)} command(s) "
            f"executed, acks {[status for _, status in result.acks_sent]}, final equity {result.final_equity}"
        )
    return liquidated is not None and gold_untouched


def explain_the_close(result: SimulationResult) -> None:
    """Why the close is where it is: the guard judges each snapshot, and EURCHF fell further between two
    snapshots than the distance left to the limit."""
    peak = result.peak_equity
    drawdown = (peak - result.final_equity) / peak * 100 if peak else Decimal(0)
    say(
        f"\nAnn's account was closed out {drawdown:.2f}% below its peak of {peak}: the snapshot that showed "
        "the breach already carried close_all (no grace by default), and the EA closed at the price it "
        "had. It is past 20% because between the last snapshot under the limit and the first over it "
        "EURCHF fell further than the room left: no guard can close at a price the terminal never saw."
    )


def explain_the_gold(result: SimulationResult) -> bool:
    untouched = not result.commands_executed
    verdict = (
        "rode through untouched" if untouched else f"was sent {len(result.commands_executed)} command(s)"
    )
    say(
        f"Boris's gold position {verdict}: the spread widened from 16–20 to 146 points into the Friday close "
        "while the price barely moved, which the spread guard does not mistake for a crash."
    )
    return untouched


async def run_demo() -> int:
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(DEMO_DIR)
    say("TradeGuard demo — embedded Postgres and Redis, a Telegram stand-in, simulated MT5 terminals.\n")
    async with BotApiStandIn(token=TOKEN, per_chat_per_minute=None) as standin:
        standin.on_update(show_update)
        standin.on_message(show_message)
        port = free_port()
        async with running(demo_settings(port, standin.url), ("bot", "api", "worker")) as live:
            ok = await tour(standin, live.http_url or f"http://127.0.0.1:{port}")
    say("\nDemo finished: the crash ended in a verified liquidation." if ok else "\nDemo FAILED.")
    return 0 if ok else 1
