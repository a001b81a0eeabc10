"""What each `tradeguard` subcommand does; settings are built here, never at import time."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.app import PARTS, open_core, secret_key
from bot.runner import install_signal_handlers, serve
from core.config import Settings
from core.services.errors import NotFound
from core.services.secrets import SecretBox, SecretRotation
from core.services.tokens import DEFAULT_TTL, TokenRecord
from db.uow import unit_of_work_factory

DEVICE_SECRET_ENV = "TRADEGUARD_DEVICE_SECRET"
DEVICE_SECRET = re.compile(r"[0-9a-fA-F]{64}")
SECRET_ON_COMMAND_LINE = (
    "warning: --secret puts the device secret in the process list (/proc/<pid>/cmdline, ps), where "
    f"every user of this machine can read it; set {DEVICE_SECRET_ENV} or use --secret-file instead"
)


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
    from sim.demo import run_demo

    return await run_demo()


async def simulate_ea(args: argparse.Namespace) -> int:
    from sim.ea.client import BridgeClient
    from sim.ea.simulator import run_simulated_ea

    secret = device_secret(args)
    url = args.url or Settings().public_bridge_url
    login, server = args.login, args.server
    if login is None or server is None:  # the bridge knows which account this device was linked to
        async with BridgeClient(url, args.device, secret) as client:
            linked = await client.ping()
        login, server = login or int(linked["login"]), server or str(linked["server"])
    result = await run_simulated_ea(
        url, args.device, secret, args.scenario,
        login=login, server=server, interval=args.interval, steps=args.steps, out=print,
    )  # fmt: skip
    return 1 if result.errors else 0


def device_secret(args: argparse.Namespace) -> str:
    """From --secret-file, --secret (warned: anyone can read a command line) or TRADEGUARD_DEVICE_SECRET."""
    if args.secret_file is not None:
        source = "standard input" if args.secret_file == "-" else args.secret_file
        try:
            text = sys.stdin.read() if args.secret_file == "-" else Path(args.secret_file).read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise SystemExit(f"cannot read the device secret from {source}: {error}") from None
    elif args.secret is not None:
        print(SECRET_ON_COMMAND_LINE, file=sys.stderr)
        source, text = "--secret", args.secret
    else:
        source, text = DEVICE_SECRET_ENV, os.environ.get(DEVICE_SECRET_ENV, "")
        if not text:
            raise SystemExit(
                f"the device secret is required: set {DEVICE_SECRET_ENV}, or use --secret-file PATH "
                "('-' reads it from standard input)"
            )
    secret = text.strip()
    if not DEVICE_SECRET.fullmatch(secret):
        raise SystemExit(f"the device secret from {source} must be 64 hex characters, as /link showed it")
    return secret


async def migrate(args: argparse.Namespace) -> int:
    async with open_core(Settings()):
        print("migrations applied")
    return 0


async def token(args: argparse.Namespace) -> int:
    if args.ttl is not None and args.role is None:
        raise SystemExit("--ttl applies only when issuing a token (--role)")
    async with open_core(Settings()) as core:
        if args.list:
            _print_tokens(await core.tokens.all(), core.clock)
        elif args.revoke is not None:
            try:
                record = await core.tokens.revoke(args.revoke)
            except NotFound as error:
                raise SystemExit(str(error)) from None
            seconds = core.settings.operator_token_revocation_cache_seconds
            print(
                f"revoked {record.jti}; the API refuses it within {seconds:g} s "
                "(OPERATOR_TOKEN_REVOCATION_CACHE_SECONDS)"
            )
        else:
            issued, record = await core.tokens.issue(args.role, args.ttl or DEFAULT_TTL)
            print(
                f"token {record.jti} ({record.role}) expires {record.expires_at.isoformat()}; "
                f"revoke it with: tradeguard token --revoke {record.jti}",
                file=sys.stderr,
            )
            print(issued)
    return 0


def _print_tokens(records: list[TokenRecord], clock: Callable[[], datetime]) -> None:
    now = clock()
    print(f"{'id':<18}{'role':<10}{'issued':<27}{'expires':<27}state")
    for record in records:
        issued, expires = record.issued_at.isoformat(), record.expires_at.isoformat()
        print(f"{record.jti:<18}{record.role:<10}{issued:<27}{expires:<27}{record.status(now)}")


async def rotate_secrets(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.secret_key_previous:
        print("SECRET_KEY_PREVIOUS is empty: only secrets already under SECRET_KEY can be read")
    async with open_core(settings) as core:
        box = SecretBox(secret_key(settings), settings.secret_key_previous)
        report = await SecretRotation(unit_of_work_factory(core.engine), box).run()
    print(
        f"re-encrypted {report.resealed} device secrets under SECRET_KEY; "
        f"{report.already_current} already were; {report.changed_meanwhile} changed meanwhile by /link"
    )
    if report.unreadable:
        print(f"{len(report.unreadable)} devices sealed under an unknown key: {', '.join(report.unreadable)}")
        return 1
    return 0
