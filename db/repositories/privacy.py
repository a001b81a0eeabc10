"""What a trader controls (core.services.ports.privacy): their stored data read for /privacy's export,
erased or pseudonymised for its deletion, and the snapshot history purged past RETENTION_DAYS. All of it
runs on the unit of work's session, so a deletion is one transaction with the rest of the use case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.services.ports.privacy import Erased, PersonalData, Record
from core.services.ports.uow import UnitOfWork

ACCOUNTS = "SELECT id FROM accounts WHERE user_id = :user"
READS: dict[str, str] = {
    "links": "SELECT id, login, server, linked_at, personal_max_drawdown_percent, shared FROM accounts"
    " WHERE user_id = :user ORDER BY id",
    "account_state": "SELECT s.account_id, a.login, a.server, s.last_snapshot_at, s.received_at, s.currency,"
    " s.balance, s.equity, s.margin, s.peak_equity, s.snapshot, s.guard FROM account_state s"
    " JOIN accounts a ON a.id = s.account_id WHERE a.user_id = :user ORDER BY s.account_id",
    "equity_history": "SELECT h.account_id, h.minute, h.equity, h.balance FROM equity_history h"
    f" WHERE h.account_id IN ({ACCOUNTS}) ORDER BY h.account_id, h.minute",
    "deals": "SELECT account_id, ticket, position, symbol, type, entry, reason, volume, price, time, profit,"
    f" commission, swap, magic, comment, source FROM deals WHERE account_id IN ({ACCOUNTS})"
    " ORDER BY account_id, time, ticket",
    "alerts_sent": "SELECT id, kind, version, params, status, created_at, sent_at FROM outbox"
    " WHERE chat_id = :chat ORDER BY id",
    "referrals": "SELECT CASE WHEN referrer_user_id = :user THEN 'referrer' ELSE 'referee' END AS role,"
    " referrer_user_id, referee_user_id, code, created_at FROM referrals"
    " WHERE referrer_user_id = :user OR referee_user_id = :user ORDER BY created_at",
    "payments": "SELECT id, source, external_id, type, amount, currency, plan, period_start, period_end,"
    " payer_fingerprint, email, received_at FROM payments WHERE user_id = :user OR telegram_id = :chat"
    " ORDER BY id",
    "ledger_lines": "SELECT id, affiliate_user_id, referee_user_id, payment_id, kind, amount, currency,"
    " rule_version, details, earned_at, payable_at, payout_id FROM commission_lines"
    " WHERE affiliate_user_id = :user OR referee_user_id = :user ORDER BY id",
    # about them: what they did, what was done to them, and what happened to their own links (not what
    # another user of a shared login did, nor the entry that names the other users of the pair)
    "audit_entries": "SELECT l.id, l.at, l.actor, l.action, l.subject, l.details FROM audit_log l"
    " WHERE l.actor IN (:actor_user, :actor_admin) OR l.subject = :actor_user"
    " OR (l.subject IN (SELECT 'account:' || login FROM accounts WHERE user_id = :user)"
    "     AND (l.actor NOT LIKE 'user:%' OR l.actor = :actor_user) AND l.action <> 'account.shared_link'"
    "     AND (l.details->>'server' IS NULL OR l.details->>'server' IN"
    "          (SELECT server FROM accounts WHERE user_id = :user)))"
    " ORDER BY l.id",
}
PROFILE = (
    "SELECT id, telegram_id, first_name, username, language, start_payload, blocked_bot, created_at,"
    " signal_mode FROM users WHERE id = :user"
)
# Where a user's Telegram id or names can sit outside their own rows: actors written as `user:<id>` or
# `admin:<id>`, dedupe keys, and the JSON of alerts to other chats, fraud evidence, ledger details.
SCRUB_TEXT = (
    ("payouts", "created_by"),
    ("fraud_cases", "decided_by"),
    ("halts", "halted_by"),
    ("halts", "resumed_by"),
    ("outbox", "dedupe_key"),
    ("outbox", "last_error"),
    ("commands", "dedupe_key"),
    ("commission_lines", "dedupe_key"),
)
SCRUB_JSON = (
    ("outbox", "params"),
    ("fraud_cases", "signals"),
    ("commission_lines", "details"),
    ("divergences", "evidence"),
    ("commands", "body"),
)
QUOTED = "to_jsonb(CAST(:value AS text))::text"  # a string value as it is written in JSON, quotes included
ID_PATTERN = "(?<![0-9]){}(?![0-9])"  # the id as a whole number, never a part of a longer one


class SqlPrivacyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def personal_data(self, user_id: int) -> PersonalData:
        profile = await self._rows(PROFILE, user=user_id)
        if not profile:
            return PersonalData(profile={})
        chat = int(str(profile[0]["telegram_id"]))
        params = {"user": user_id, "chat": chat, "actor_user": f"user:{chat}", "actor_admin": f"admin:{chat}"}
        found = {name: await self._rows(sql, **params) for name, sql in READS.items()}
        return PersonalData(profile=profile[0], **found)  # type: ignore[arg-type]

    async def lock_user(self, user_id: int) -> None:
        await self.session.execute(
            text("SELECT id FROM users WHERE id = :user FOR UPDATE"), {"user": user_id}
        )

    async def erase_user(self, user_id: int, telegram_id: int, pseudonym: int, now: datetime) -> Erased:
        values = await self._personal_values(user_id, telegram_id)
        chat = {"chat": telegram_id, "pseudonym": pseudonym, "user": user_id, "now": now}
        alerts = await self._count(
            "UPDATE outbox SET chat_id = :pseudonym, params = '{}'::jsonb, last_error = 'erased',"
            " status = CASE WHEN status IN ('pending', 'sending') THEN 'undeliverable' ELSE status END"
            " WHERE chat_id = :chat",
            **chat,
        )
        payments = await self._count(
            "UPDATE payments SET email = NULL, payer_fingerprint = NULL, telegram_id = :pseudonym"
            " WHERE telegram_id = :chat OR user_id = :user",
            **chat,
        )
        banned = await self._count(
            "UPDATE referral_codes SET banned_at = :now, ban_reason = 'erased at the owner''s request'"
            " WHERE user_id = :user AND banned_at IS NULL",
            user=user_id,
            now=now,
        )
        await self._count(f"DELETE FROM bridge_sightings WHERE account_id IN ({ACCOUNTS})", user=user_id)
        await self._count(
            "UPDATE users SET telegram_id = :pseudonym, first_name = '', username = '', blocked_bot = true"
            " WHERE id = :user",
            **chat,
        )
        other = await self._scrub(telegram_id, pseudonym, values)
        return Erased(alerts=alerts, payments=payments, other_rows=other, referral_code_banned=banned > 0)

    async def purge_history(self, before: datetime, batch: int) -> int:
        return await self._count(
            "DELETE FROM equity_history WHERE ctid IN"
            " (SELECT ctid FROM equity_history WHERE minute < :before LIMIT :batch)",
            before=before,
            batch=batch,
        )

    async def _personal_values(self, user_id: int, telegram_id: int) -> list[str]:
        """The strings that name this user: names, @username, emails and payer fingerprints."""
        rows = await self._rows(
            "SELECT first_name AS v FROM users WHERE id = :user UNION SELECT username FROM users"
            " WHERE id = :user UNION SELECT '@' || username FROM users WHERE id = :user"
            " UNION SELECT email FROM payments WHERE user_id = :user OR telegram_id = :chat"
            " UNION SELECT payer_fingerprint FROM payments WHERE user_id = :user OR telegram_id = :chat",
            user=user_id,
            chat=telegram_id,
        )
        return sorted({str(row["v"]) for row in rows if row["v"] and len(str(row["v"])) > 1})

    async def _scrub(self, telegram_id: int, pseudonym: int, values: list[str]) -> int:
        """The Telegram id replaced by the pseudonym wherever it is written as a number, and JSON string
        values equal to one of the user's names, usernames, emails or fingerprints emptied."""
        pattern, changed = ID_PATTERN.format(telegram_id), 0
        columns = [(table, column, "") for table, column in SCRUB_TEXT]
        columns += [(table, column, "::jsonb") for table, column in SCRUB_JSON]
        for table, column, cast in columns:  # jsonb's text is valid JSON again with a number replaced
            changed += await self._count(
                f"UPDATE {table} SET {column} = regexp_replace({column}::text, :pattern, :pseudonym, 'g')"
                f"{cast} WHERE {column}::text ~ :pattern",
                pattern=pattern,
                pseudonym=str(pseudonym),
            )
        for (table, column), value in ((place, value) for place in SCRUB_JSON for value in values):
            changed += await self._count(
                f"UPDATE {table} SET {column} = replace({column}::text, {QUOTED}, '\"\"')::jsonb"
                f" WHERE strpos({column}::text, {QUOTED}) > 0",
                value=value,
            )
        return changed

    async def _rows(self, sql: str, **params: Any) -> list[Record]:
        result = await self.session.execute(text(sql), params)
        return [dict(row) for row in result.mappings().all()]

    async def _count(self, sql: str, **params: Any) -> int:
        result = await self.session.execute(text(sql), params)
        return int(getattr(result, "rowcount", 0) or 0)


def privacy_repository(uow: UnitOfWork) -> SqlPrivacyRepository:
    """The repository on a db.uow.SqlUnitOfWork's session (a PrivacyRepositoryFactory)."""
    session = getattr(uow, "session", None)
    assert isinstance(session, AsyncSession), "a db.uow.SqlUnitOfWork, entered"
    return SqlPrivacyRepository(session)
