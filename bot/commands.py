"""What each `tradeguard` subcommand does; settings are built here, never at import time."""

from __future__ import annotations

import argparse
import asyncio

from bot.app import PARTS, open_core, secret_key, utc_now
from bot.runner import install_signal_handlers, serve
from core.api.operator import issue_token, operator_key
from core.config import Settings


async def run(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.telegram_bot_token:
        raise SystemExit(
            "TELEGRAM_BOT_TOKEN is required by `tradeguard run` (set it in the environment or .env)"
        )
    stop = asyncio.Event()
    install_signal_handlers(stop)
    parts = (args.only,) if args.only else PARTS
    await serve(settings, parts, stop)
    return 0


async def demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return await run_demo()


async def simulate_ea(args: argparse.Namespace) -> int:
    from core.bridge.client import BridgeClient
    from core.bridge.simulator import run_simulated_ea

    url = args.url or Settings().public_bridge_url
    login, server = args.login, args.server
    if login is None or server is None:  # the bridge knows which account this device was linked to
        async with BridgeClient(url, args.device, args.secret) as client:
            linked = await client.ping()
        login, server = login or int(linked["login"]), server or str(linked["server"])
    result = await run_simulated_ea(
        url, args.device, args.secret, args.scenario,
        login=login, server=server, interval=args.interval, steps=args.steps, out=print,
    )  # fmt: skip
    return 1 if result.errors else 0


async def migrate(args: argparse.Namespace) -> int:
    async with open_core(Settings()):
        print("migrations applied")
    return 0


async def token(args: argparse.Namespace) -> int:
    settings = Settings()
    print(issue_token(operator_key(secret_key(settings)), args.role, utc_now()))
    return 0
