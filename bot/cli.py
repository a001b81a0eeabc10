"""The `tradeguard` command: run, demo, simulate-ea, migrate, token, rotate-secrets, audit."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import timedelta

from pydantic import ValidationError

from bot.app import PARTS
from bot.audit import add_audit_command
from bot.logs import configure_logging
from core.config import Settings
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
    add_audit_command(sub)  # issue 13
    return parser


def _duration(text: str) -> timedelta:
    try:
        return parse_ttl(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def settings_problems(error: ValidationError) -> str:
    """Which settings are wrong and why, without echoing their values (one may be a secret)."""
    problems = [
        f"{'.'.join(str(part) for part in problem['loc']).upper() or 'settings'}: {problem['msg']}"
        for problem in error.errors(include_url=False, include_input=False)
    ]
    return "invalid settings: " + "; ".join(problems)


def _secrets(settings: Settings) -> tuple[str, ...]:
    """What no log line may show: the bot token (also its part after the bot id) and the other secrets."""
    token = settings.telegram_bot_token or ""
    configured = (token, token.partition(":")[2], settings.telegram_webhook_secret, settings.secret_key)
    return tuple(secret for secret in configured if secret)


async def audit_command(args: argparse.Namespace) -> int:
    from bot.app import open_core
    from bot.audit import verify

    async with open_core(Settings()) as core:
        code, line = await verify(core.bot_services.audit, args.anchor)
    print(line, file=sys.stdout if code == 0 else sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"tradeguard: {settings_problems(error)}", file=sys.stderr)
        return 2
    level = settings.log_level
    if args.command in ("demo", "simulate-ea", "token", "audit"):  # these print their own story
        level = max(level, "WARNING", key=logging.getLevelName)
    configure_logging(level, settings.log_format, secrets=_secrets(settings))
    from bot import commands

    handler = {
        "run": commands.run,
        "demo": commands.demo,
        "simulate-ea": commands.simulate_ea,
        "migrate": commands.migrate,
        "token": commands.token,
        "rotate-secrets": commands.rotate_secrets,
        "audit": audit_command,
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
