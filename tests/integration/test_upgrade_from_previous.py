"""Upgrading from the previous release (docs/operations.md, "Upgrading"): a database at revision 0012 (the
last release before issue 11), holding what that release's code wrote, is migrated to head and served by
this code: the trader's /status and /trades, the EA's device secret and its pending command, the queued
alert. And no migration after 0012 drops or renames, outside its downgrade, what 0012's code reads."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.services.secrets import SecretBox
from db.migrate import MIGRATIONS, upgrade
from sim.telegram import BotApiStandIn
from tests.bot.conftest import TOKEN, Credentials, is_connected_alert, settings_for, start_stack
from tests.conftest import clean_state
from tests.integration.test_backup_restore import fresh_database

PREVIOUS_RELEASE = "0012"
LOGIN, SERVER, CHAT = 5012345, "Broker-Live", 1001
DEVICE, SECRET = "dev_" + "ab" * 12, "5e" * 32
HOUR = timedelta(hours=1)
ACCOUNT = "(SELECT id FROM accounts WHERE login = :login AND server = :server)"
VERSIONS = MIGRATIONS / "versions"
# What an upgrade step must leave for the previous release's processes, still running during a deploy.
DESTRUCTIVE = {"drop_table", "drop_column", "rename_table"}
DESTRUCTIVE_SQL = re.compile(r"\b(DROP\s+(TABLE|COLUMN)|RENAME\s+(TO|COLUMN))\b", re.IGNORECASE)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def write_as_release_0012(engine: AsyncEngine, secret_key: str) -> None:
    """Rows as 0012's code wrote them, in plain SQL: a user, a linked account and its device, a deal, a
    pending close_all, an alert waiting in the outbox."""
    now = datetime.now(UTC)
    body = {
        "id": "cmd_old_1",
        "type": "close_all",
        "reason": "admin",
        "created_at": iso(now),
        "expires_at": iso(now + HOUR),
    }
    connected = {
        "login": LOGIN,
        "server": SERVER,
        "currency": "USD",
        "equity": "10000.00",
        "balance": "10000.00",
    }
    statements = [
        ("INSERT INTO users (telegram_id, first_name, username, language, blocked_bot, signal_mode)"
         " VALUES (:chat, 'Ann', NULL, 'en', false, 'approve')", {}),
        ("INSERT INTO accounts (user_id, login, server, shared)"
         " SELECT id, :login, :server, false FROM users WHERE telegram_id = :chat", {}),
        ("INSERT INTO devices (device_id, account_id, secret_encrypted, secret_version, revoked)"
         f" VALUES (:device, {ACCOUNT}, :sealed, 1, false)", {"sealed": SecretBox(secret_key).seal(SECRET)}),
        ("INSERT INTO deals (account_id, ticket, position, symbol, type, entry, reason, volume, price, time,"
         " profit, commission, swap, magic, comment, source) VALUES"
         f" ({ACCOUNT}, 987001, 123456, 'EURUSD', 'buy', 'in', 'expert', 0.10, 1.0855, :opened, 0, -0.70,"
         " 0, 7300, 'tg:sig_8f3a', 'bridge'),"
         f" ({ACCOUNT}, 987002, 123456, 'EURUSD', 'sell', 'out', 'expert', 0.10, 1.0880, :when, 25.00,"
         " -0.70, 0, 7300, 'tg:sig_8f3a', 'bridge')", {"opened": now - timedelta(hours=2)}),
        ("INSERT INTO commands (id, account_id, dedupe_key, type, body, status, created_at, expires_at)"
         f" VALUES ('cmd_old_1', {ACCOUNT}, 'admin-close:1', 'close_all', CAST(:body AS jsonb), 'pending',"
         " :when, :expires)", {"body": json.dumps(body)}),
        ("INSERT INTO outbox (dedupe_key, chat_id, kind, params, status, attempts, next_attempt_at, version)"
         " VALUES ('connected:1', :chat, 'account_connected', CAST(:params AS jsonb), 'pending', 0, :when,"
         " 1)",
         {"params": json.dumps(connected)}),
    ]  # fmt: skip
    shared = {"chat": CHAT, "login": LOGIN, "server": SERVER, "device": DEVICE, "when": now}
    async with engine.begin() as connection:
        for sql, params in statements:
            await connection.execute(text(sql), shared | {"expires": now + HOUR} | params)


async def test_a_database_of_the_previous_release_is_migrated_and_served_by_this_code(tmp_path: Path) -> None:
    await clean_state()  # Redis too: the upgraded service starts with nothing cached
    async with (
        fresh_database("upgrade") as url,
        BotApiStandIn(token=TOKEN, per_chat_per_minute=None) as standin,
    ):
        settings = settings_for(tmp_path, standin).model_copy(update={"database_url": url})
        engine = create_async_engine(url)
        try:
            await upgrade(engine, PREVIOUS_RELEASE)
            await write_as_release_0012(engine, settings.secret_key or "")
            await upgrade(engine)  # this code's migrations, to head
        finally:
            await engine.dispose()

        async with start_stack(standin, settings) as stack:
            await standin.wait_for_message(CHAT, lambda m: is_connected_alert(m, LOGIN))  # the old row relays
            await stack.eventually("SELECT kind, status FROM outbox", [("account_connected", "sent")])
            ann = stack.user(CHAT)
            waiting = await stack.ask(ann, "/status")
            assert "Account 5012345 (Broker-Live): no data from MT5 yet" in waiting.text

            creds = Credentials(DEVICE, SECRET, LOGIN, SERVER, waiting)  # the EA keeps its old secret
            answer = await stack.send_snapshot(creds, 1, equity="9500.00")
            assert [command["id"] for command in answer["commands"]] == ["cmd_old_1"]
            status = await stack.ask(ann, "/status")
            assert "Equity: $9,500.00" in status.text
            trades = await stack.ask(ann, "/trades")
            assert "🤖 Bot: 1 trade · P&L $23.60" in trades.text  # 25.00 less two commissions of 0.70


def destructive_steps(source: str) -> list[str]:
    """Calls in a migration's non-downgrade functions that drop or rename a table or a column."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef) or function.name == "downgrade":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                renames = name == "alter_column" and any(k.arg == "new_column_name" for k in node.keywords)
                if name in DESTRUCTIVE or renames:
                    found.append(f"{function.name}: op.{name} (line {node.lineno})")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and DESTRUCTIVE_SQL.search(node.value)
            ):
                found.append(f"{function.name}: SQL {node.value[:60]!r} (line {node.lineno})")
    return found


def test_no_migration_after_the_previous_release_drops_or_renames_outside_its_downgrade() -> None:
    later = sorted(path for path in VERSIONS.glob("*.py") if path.name[:4] > PREVIOUS_RELEASE)
    assert later, "no migration after the previous release: this check proves nothing"
    offences = {path.name: destructive_steps(path.read_text()) for path in later}
    assert {name: steps for name, steps in offences.items() if steps} == {}


def test_the_check_sees_a_drop_in_an_upgrade_and_lets_a_downgrade_drop() -> None:
    migration = (
        "def upgrade():\n"
        "    op.drop_column('accounts', 'shared')\n"
        "    op.alter_column('users', 'language', new_column_name='locale')\n"
        "    op.execute('ALTER TABLE deals DROP COLUMN source')\n"
        "def downgrade():\n"
        "    op.drop_table('referrals')\n"
    )
    assert [step.split(" (")[0] for step in destructive_steps(migration)] == [
        "upgrade: op.drop_column",
        "upgrade: op.alter_column",
        "upgrade: SQL 'ALTER TABLE deals DROP COLUMN source'",
    ]
