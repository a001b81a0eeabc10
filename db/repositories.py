"""All SQL lives here. Each repository works inside one AsyncSession (one unit of work)."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.alerts import AlertBody, StoredAlert, UndecodableAlert, encode_alert, read_stored
from core.domain.commands import CommandRequest, CommandStatus, CommandType, IssuedCommand, wire_body
from core.domain.deals import distinct_deals
from core.domain.halt import halt_stops
from core.domain.models import (
    AccountView,
    Alert,
    AuditEntry,
    Device,
    LinkedAccount,
    PendingAlert,
    SnapshotContext,
    User,
)
from core.domain.snapshot import Deal, Snapshot
from db.halt import issue_unless_halted
from db.tables import (
    AccountRow,
    AccountStateRow,
    AuditRow,
    CommandRow,
    DealRow,
    DeviceRow,
    OutboxRow,
    UserRow,
)

JsonDict = dict[str, Any]
log = logging.getLogger(__name__)

# Hot-path writes are prebuilt Core statements executed with parameters: compiled once and cached,
# without the ORM's bulk-insert machinery (a third of a snapshot's CPU before this).
STATE = AccountStateRow.__table__
DEALS = DealRow.__table__
COMMANDS = CommandRow.__table__
OUTBOX = OutboxRow.__table__
AUDIT = AuditRow.__table__
STATE_FIELDS = (
    "last_seq", "seq_device_id", "last_snapshot_at", "received_at", "currency", "balance", "equity", "margin",
    "peak_equity", "snapshot", "guard", "guard_due_at",
)  # fmt: skip
_upsert_state = insert(STATE)
UPSERT_STATE = _upsert_state.on_conflict_do_update(
    index_elements=[STATE.c.account_id], set_={name: _upsert_state.excluded[name] for name in STATE_FIELDS}
)
ADD_DEALS = insert(DEALS).on_conflict_do_nothing().returning(DEALS.c.ticket)
ISSUE_COMMAND = (
    insert(COMMANDS).on_conflict_do_nothing(index_elements=[COMMANDS.c.dedupe_key]).returning(*COMMANDS.c)
)
ADD_ALERT = insert(OUTBOX).on_conflict_do_nothing(index_elements=[OUTBOX.c.dedupe_key]).returning(OUTBOX.c.id)
ADD_AUDIT = insert(AUDIT)


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        telegram_id=row.telegram_id,
        first_name=row.first_name,
        language=row.language,
        username=row.username,
        start_payload=row.start_payload,
        blocked_bot=row.blocked_bot,
    )


def _account(row: AccountRow, owner_telegram_id: int = 0) -> LinkedAccount:
    return LinkedAccount(
        id=row.id,
        user_id=row.user_id,
        login=row.login,
        server=row.server,
        linked_at=row.linked_at,
        owner_telegram_id=owner_telegram_id,
        shared=row.shared,
    )


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, telegram_id: int, first_name: str, username: str | None, language: str) -> User:
        statement = (
            insert(UserRow)
            .values(telegram_id=telegram_id, first_name=first_name, username=username, language=language)
            .on_conflict_do_update(
                index_elements=[UserRow.telegram_id],
                set_={"first_name": first_name, "username": username, "blocked_bot": False},
            )
            .returning(UserRow)
        )
        row = (await self.session.execute(statement)).scalar_one()
        return _user(row)

    async def by_telegram_id(self, telegram_id: int) -> User | None:
        row = await self.session.scalar(select(UserRow).where(UserRow.telegram_id == telegram_id))
        return _user(row) if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        await self.session.execute(update(UserRow).where(UserRow.id == user_id).values(language=language))

    async def set_start_payload(self, user_id: int, payload: str) -> None:
        await self.session.execute(update(UserRow).where(UserRow.id == user_id).values(start_payload=payload))

    async def mark_blocked(self, chat_id: int, blocked: bool) -> None:
        await self.session.execute(
            update(UserRow).where(UserRow.telegram_id == chat_id).values(blocked_bot=blocked)
        )


class SqlAccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, login: int, server: str | None = None) -> list[LinkedAccount]:
        """Every link of `login` (on `server` when given), by server then oldest first."""
        statement = (
            select(AccountRow, UserRow.telegram_id)
            .join(UserRow, UserRow.id == AccountRow.user_id)
            .where(AccountRow.login == login)
            .order_by(AccountRow.server, AccountRow.id)
        )
        if server is not None:
            statement = statement.where(AccountRow.server == server)
        return [_account(row, telegram_id) for row, telegram_id in (await self.session.execute(statement))]

    async def get(self, account_id: int) -> LinkedAccount | None:
        statement = (
            select(AccountRow, UserRow.telegram_id)
            .join(UserRow, UserRow.id == AccountRow.user_id)
            .where(AccountRow.id == account_id)
        )
        found = (await self.session.execute(statement)).first()
        return _account(*found) if found is not None else None

    async def lock_pair(self, login: int, server: str) -> None:
        """Serialise links of one login@server until the unit of work ends (the rows may not exist yet)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:pair, 0))"), {"pair": f"{login}@{server}"}
        )

    async def mark_shared(self, login: int, server: str) -> None:
        await self.session.execute(
            update(AccountRow)
            .where(AccountRow.login == login, AccountRow.server == server)
            .values(shared=True)
        )

    async def add(self, user_id: int, login: int, server: str) -> LinkedAccount:
        row = AccountRow(user_id=user_id, login=login, server=server)
        self.session.add(row)
        await self.session.flush()
        await self.session.refresh(row)
        return _account(row)

    async def of_user(self, user_id: int) -> list[LinkedAccount]:
        rows = await self.session.scalars(
            select(AccountRow).where(AccountRow.user_id == user_id).order_by(AccountRow.id)
        )
        return [_account(row) for row in rows]

    async def set_personal_limit(self, account_id: int, percent: Decimal | None) -> None:
        await self.session.execute(
            update(AccountRow)
            .where(AccountRow.id == account_id)
            .values(personal_max_drawdown_percent=percent)
        )

    async def personal_limit(self, account_id: int) -> Decimal | None:
        return await self.session.scalar(
            select(AccountRow.personal_max_drawdown_percent).where(AccountRow.id == account_id)
        )

    async def all_with_state(self, status: str | None, limit: int) -> list[AccountView]:
        statement = (
            (select(AccountRow.id).outerjoin(AccountStateRow, AccountStateRow.account_id == AccountRow.id))
            .order_by(AccountRow.login, AccountRow.server, AccountRow.id)
            .limit(limit)
        )
        if status:
            statement = statement.where(AccountStateRow.guard["status"].astext == status)
        ids = list((await self.session.scalars(statement)).all())
        views = [await SqlAccountStateRepository(self.session).view(account_id) for account_id in ids]
        return [view for view in views if view is not None]

    async def guard_ref(self, account_id: int) -> tuple[int, str, int, str | None]:
        statement = (
            select(AccountRow.login, AccountRow.server, UserRow.telegram_id, AccountStateRow.currency)
            .join(UserRow, UserRow.id == AccountRow.user_id)
            .outerjoin(AccountStateRow, AccountStateRow.account_id == AccountRow.id)
            .where(AccountRow.id == account_id)
        )
        login, server, chat_id, currency = (await self.session.execute(statement)).one()
        return int(login), str(server), int(chat_id), currency

    async def owner_chat_id(self, account_id: int) -> int:
        statement = (select(UserRow.telegram_id).join(AccountRow, AccountRow.user_id == UserRow.id)).where(
            AccountRow.id == account_id
        )
        return int((await self.session.execute(statement)).scalar_one())


class SqlDeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, device_id: str) -> Device | None:
        statement = (
            select(
                DeviceRow.device_id,
                DeviceRow.account_id,
                AccountRow.login,
                AccountRow.server,
                DeviceRow.secret_encrypted,
                DeviceRow.revoked,
            )
            .join(AccountRow, AccountRow.id == DeviceRow.account_id)
            .where(DeviceRow.device_id == device_id)
        )
        found = (await self.session.execute(statement)).first()
        return Device(*found) if found is not None else None

    async def of_account(self, account_id: int) -> Device | None:
        """The account's working device (earlier ones were revoked when the secret was rotated)."""
        device_id = await self.session.scalar(
            select(DeviceRow.device_id).where(
                DeviceRow.account_id == account_id, DeviceRow.revoked.is_(False)
            )
        )
        return await self.get(device_id) if device_id else None

    async def revoke_of_account(self, account_id: int, now: datetime) -> None:
        await self.session.execute(
            update(DeviceRow)
            .where(DeviceRow.account_id == account_id, DeviceRow.revoked.is_(False))
            .values(revoked=True, rotated_at=now)
        )

    async def add(self, device_id: str, account_id: int, secret_encrypted: bytes) -> None:
        self.session.add(
            DeviceRow(device_id=device_id, account_id=account_id, secret_encrypted=secret_encrypted)
        )
        await self.session.flush()


class SqlAccountStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_for_snapshot(self, account_id: int, device_id: str) -> SnapshotContext:
        """The account row locked first, then what judging a snapshot needs. Two statements: read in the
        locking one, the joined state could be the version from before the lock was granted."""
        await self.session.execute(select(AccountRow.id).where(AccountRow.id == account_id).with_for_update())
        statement = (
            select(
                AccountRow.login,
                AccountRow.server,
                AccountRow.personal_max_drawdown_percent,
                UserRow.telegram_id,
                AccountStateRow.last_seq,
                AccountStateRow.seq_device_id,
                AccountStateRow.guard,
            )
            .join(UserRow, UserRow.id == AccountRow.user_id)
            .outerjoin(AccountStateRow, AccountStateRow.account_id == AccountRow.id)
            .where(AccountRow.id == account_id)
        )
        found = (await self.session.execute(statement)).one()
        login, server, limit, chat_id, last_seq, seq_device_id, guard = found
        # seq belongs to the device that sent it: a new device (a rotated secret) starts its own
        device_seq = last_seq if seq_device_id == device_id else None
        has_state = last_seq is not None
        return SnapshotContext(account_id, login, server, chat_id, limit, device_seq, guard, has_state)

    async def save_snapshot(
        self,
        account_id: int,
        device_id: str,
        snapshot: Snapshot,
        snapshot_json: JsonDict,
        guard: JsonDict,
        due_at: datetime | None,
        now: datetime,
    ) -> None:
        account = snapshot.account
        values: JsonDict = {
            "last_seq": snapshot.seq,
            "seq_device_id": device_id,
            "last_snapshot_at": snapshot.time,
            "received_at": now,
            "currency": account.currency,
            "balance": account.balance,
            "equity": account.equity,
            "margin": account.margin,
            "peak_equity": Decimal(guard["peak_equity"]),
            "snapshot": snapshot_json,
            "guard": guard,
            "guard_due_at": due_at,
        }
        await self.session.execute(UPSERT_STATE, {"account_id": account_id, **values})

    async def guard(self, account_id: int) -> JsonDict | None:
        return await self.session.scalar(
            select(AccountStateRow.guard).where(AccountStateRow.account_id == account_id)
        )

    async def lock_guard(self, account_id: int, skip_locked: bool = False) -> JsonDict | None:
        """The guard state, with the account row locked until the unit of work ends (None when absent
        or, with `skip_locked`, when another transaction holds it). Every writer of an account's state
        locks the same `accounts` row first, so they queue instead of deadlocking."""
        locked = await self.session.scalar(
            select(AccountRow.id).where(AccountRow.id == account_id).with_for_update(skip_locked=skip_locked)
        )
        if locked is None:
            return None
        return await self.guard(account_id)

    async def save_guard(self, account_id: int, guard: JsonDict, due_at: datetime | None) -> None:
        await self.session.execute(
            update(AccountStateRow)
            .where(AccountStateRow.account_id == account_id)
            .values(guard=guard, peak_equity=Decimal(guard["peak_equity"]), guard_due_at=due_at)
        )

    async def due_for_tick(self, now: datetime, limit: int) -> list[int]:
        """Accounts whose guard has a deadline that has come (see core.domain.guard.next_deadline)."""
        statement = (
            select(AccountStateRow.account_id)
            .where(AccountStateRow.guard_due_at <= now)
            .order_by(AccountStateRow.guard_due_at)
            .limit(limit)
        )
        return list((await self.session.scalars(statement)).all())

    async def view(self, account_id: int) -> AccountView | None:
        statement = (
            select(AccountRow, AccountStateRow, UserRow.telegram_id)
            .join(UserRow, UserRow.id == AccountRow.user_id)
            .outerjoin(AccountStateRow, AccountStateRow.account_id == AccountRow.id)
            .where(AccountRow.id == account_id)
        )
        found = (await self.session.execute(statement)).first()
        if found is None:
            return None
        account, state, owner = found
        if state is None:
            return AccountView(
                account.id, account.login, account.server, None, None, None, None, None, None,
                personal_limit=account.personal_max_drawdown_percent, shared=account.shared,
                owner_telegram_id=owner,
            )  # fmt: skip
        return AccountView(
            account_id=account.id,
            login=account.login,
            server=account.server,
            currency=state.currency,
            balance=state.balance,
            equity=state.equity,
            margin=state.margin,
            peak_equity=state.peak_equity,
            last_snapshot_at=state.received_at,
            positions=tuple(state.snapshot.get("positions", ())),
            guard_status=(state.guard or {}).get("status"),
            guard_stale=bool((state.guard or {}).get("stale")),
            locked=bool((state.guard or {}).get("locked")),
            personal_limit=account.personal_max_drawdown_percent,
            shared=account.shared,
            owner_telegram_id=owner,
        )


class SqlDealRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_new(self, account_id: int, deals: tuple[Deal, ...]) -> list[Deal]:
        """Store the deals whose ticket this account has not stored before, one row per ticket, and
        return them once each: a ticket listed twice in one snapshot is one deal (the first copy)."""
        distinct = distinct_deals(deals)
        if distinct.conflicts:
            log.warning(
                "account %s: snapshot lists deal tickets %s twice with different content; kept the first",
                account_id,
                sorted({deal.ticket for deal in distinct.conflicts}),
            )
        if not distinct.new:
            return []
        rows = [
            {
                "account_id": account_id,
                "ticket": d.ticket,
                "position": d.position,
                "symbol": d.symbol,
                "type": d.type.value,
                "entry": d.entry.value,
                "reason": d.reason.value,
                "volume": d.volume,
                "price": d.price,
                "time": d.time,
                "profit": d.profit,
                "commission": d.commission,
                "swap": d.swap,
                "magic": d.magic,
                "comment": d.comment,
            }
            for d in distinct.new
        ]
        new_tickets = set((await self.session.scalars(ADD_DEALS, rows)).all())
        return [deal for deal in distinct.new if deal.ticket in new_tickets]


def _command(row: CommandRow) -> IssuedCommand:
    return IssuedCommand(
        row.id,
        row.account_id,
        CommandType(row.type),
        CommandStatus(row.status),
        row.body,
        row.ack,
        row.dedupe_key,
    )


class SqlCommandRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issue(
        self, account_id: int, request: CommandRequest, now: datetime, ttl_seconds: int
    ) -> IssuedCommand | None:
        """Insert once per dedupe key; None when that key was already issued. A type a halt stops raises
        TradingHalted while halted (core.domain.halt)."""
        command_id = "cmd_" + secrets.token_hex(10)
        body = wire_body(command_id, request, now, now + timedelta(seconds=ttl_seconds))
        params = {
            "id": command_id,
            "account_id": account_id,
            "dedupe_key": request.dedupe_key,
            "type": request.type.value,
            "body": body,
            "status": CommandStatus.PENDING.value,
            "created_at": now,
            "expires_at": now + timedelta(seconds=ttl_seconds),
        }
        if halt_stops(request.type):  # refused in the INSERT itself while halted (db.halt)
            row = await issue_unless_halted(self.session, params)
        else:
            row = (await self.session.execute(ISSUE_COMMAND, params)).first()
        return _command(row) if row is not None else None  # type: ignore[arg-type]

    async def get_for(self, command_id: str, account_id: int) -> IssuedCommand | None:
        row = await self.session.scalar(
            select(CommandRow)
            .where(CommandRow.id == command_id, CommandRow.account_id == account_id)
            .with_for_update()
        )
        return _command(row) if row is not None else None

    async def record_ack(self, command_id: str, status: CommandStatus, ack: JsonDict, now: datetime) -> None:
        await self.session.execute(
            update(CommandRow)
            .where(CommandRow.id == command_id)
            .values(status=status.value, ack=ack, acked_at=now)
        )

    async def with_key_prefix(self, account_id: int, prefix: str) -> list[IssuedCommand]:
        rows = await self.session.scalars(
            select(CommandRow)
            .where(CommandRow.account_id == account_id, CommandRow.dedupe_key.startswith(prefix))
            .order_by(CommandRow.created_at, CommandRow.issued)
        )
        return [_command(row) for row in rows]

    async def cancel_pending(self, account_id: int, key_prefix: str, now: datetime) -> int:
        result = await self.session.execute(
            update(CommandRow)
            .where(
                CommandRow.account_id == account_id,
                CommandRow.status == CommandStatus.PENDING.value,
                CommandRow.dedupe_key.startswith(key_prefix, autoescape=True),
            )
            .values(status=CommandStatus.CANCELLED.value, acked_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def pending_count(self, account_id: int, now: datetime) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    CommandRow.account_id == account_id,
                    CommandRow.status == CommandStatus.PENDING.value,
                    CommandRow.expires_at > now,
                )
            )
            or 0
        )

    async def pending(self, account_id: int, now: datetime) -> list[JsonDict]:
        bodies = await self.session.scalars(
            select(CommandRow.body)
            .where(
                CommandRow.account_id == account_id,
                CommandRow.status == CommandStatus.PENDING.value,  # never a cancelled or settled one
                CommandRow.expires_at > now,
            )
            .order_by(CommandRow.created_at, CommandRow.issued)
        )
        return list(bodies)


# A new alert is due at once, whatever the clocks of the database and of the relay say.
DUE_AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, alert: Alert) -> bool:
        stored = encode_alert(alert.body)
        params = {
            "dedupe_key": alert.dedupe_key,
            "chat_id": alert.chat_id,
            "kind": stored.kind,
            "version": stored.version,
            "params": stored.payload,
            "next_attempt_at": DUE_AT_ONCE,
            "status": "pending",
            "attempts": 0,
        }
        return (await self.session.scalar(ADD_ALERT, params)) is not None

    async def add_to_digest(self, alert: Alert, deliver_at: datetime) -> bool:
        """Append the digest's `items` to the pending digest with this key (or start it); False when
        that digest is already being sent or was sent, or has another payload version (nothing is
        added: the caller picks another)."""
        stored = encode_alert(alert.body)
        appended = await self.session.scalar(
            text(
                "INSERT INTO outbox (dedupe_key, chat_id, kind, version, params, status, attempts,"
                " next_attempt_at) VALUES (:key, :chat, :kind, :version, CAST(:params AS jsonb), 'pending',"
                " 0, :at) ON CONFLICT (dedupe_key) DO UPDATE"
                " SET params = jsonb_set(outbox.params, '{items}',"
                " (outbox.params -> 'items') || (excluded.params -> 'items'))"
                " WHERE outbox.status = 'pending' AND outbox.version = excluded.version RETURNING id"
            ),
            {
                "key": alert.dedupe_key,
                "chat": alert.chat_id,
                "kind": stored.kind,
                "version": stored.version,
                "params": json.dumps(stored.payload),
                "at": deliver_at,
            },
        )
        return appended is not None

    async def claim_due(self, now: datetime, limit: int, lease_seconds: int) -> list[PendingAlert]:
        """Lease due rows (status `sending` until the lease ends): a relay that dies mid-send leaves them
        to be claimed again after the lease, and a digest being sent takes no more items."""
        due = (
            select(OutboxRow.id)
            .where(OutboxRow.status.in_(("pending", "sending")), OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await self.session.scalars(due)).all())
        if not ids:
            return []
        lease_until = now + timedelta(seconds=lease_seconds)
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids))
            .values(status="sending", next_attempt_at=lease_until, attempts=OutboxRow.attempts + 1)
        )
        statement = (
            select(OutboxRow, UserRow.language)
            .outerjoin(UserRow, UserRow.telegram_id == OutboxRow.chat_id)
            .where(OutboxRow.id.in_(ids))
            .order_by(OutboxRow.id)
        )
        return [
            PendingAlert(row.id, row.chat_id, _read_alert(row), language or "en", row.attempts)
            for row, language in (await self.session.execute(statement)).all()
        ]

    async def mark_sent(self, alert_id: int, now: datetime) -> None:
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == alert_id)
            .values(status="sent", sent_at=now, last_error=None)
        )

    async def mark_failed(self, alert_id: int, error: str, retry_at: datetime | None) -> None:
        values: JsonDict = {"last_error": error[:500]}
        if retry_at is None:
            values["status"] = "undeliverable"
        else:
            values |= {"status": "pending", "next_attempt_at": retry_at}
        await self.session.execute(update(OutboxRow).where(OutboxRow.id == alert_id).values(**values))

    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
        return {status: int(count) for status, count in rows.all()}


def _read_alert(row: OutboxRow) -> AlertBody | UndecodableAlert:
    """A row no alert type reads comes back as such: the relay marks it undeliverable, the rest go."""
    return read_stored(StoredAlert(row.kind, row.version, row.params))


GENESIS_HASH = "0" * 64


def audit_hash(prev_hash: str, at: datetime, entry: AuditEntry) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(), entry.actor, entry.action, entry.subject, entry.details],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


class SqlAuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, entry: AuditEntry, now: datetime) -> None:
        await self.append_many([entry], now)

    async def append_many(self, entries: list[AuditEntry], now: datetime) -> None:
        """Each subject (an account, a user) has its own hash chain: one writer per subject extends it
        (the lock is held until this transaction ends), and unrelated subjects never wait on each other."""
        rows: list[JsonDict] = []
        for subject in dict.fromkeys(entry.subject for entry in entries):
            prev_hash = await self._chain_end(subject)
            for entry in (e for e in entries if e.subject == subject):
                details = json.loads(json.dumps(entry.details, default=str))
                stored = AuditEntry(entry.actor, entry.action, entry.subject, details)
                digest = audit_hash(prev_hash, now, stored)
                rows.append(
                    {"at": now, "actor": entry.actor, "action": entry.action, "subject": subject,
                     "details": details, "prev_hash": prev_hash, "hash": digest}
                )  # fmt: skip
                prev_hash = digest
        if rows:
            await self.session.execute(ADD_AUDIT, rows)

    async def _chain_end(self, subject: str) -> str:
        await self.session.execute(select(func.pg_advisory_xact_lock(7301, func.hashtext(subject))))
        prev = await self.session.scalar(
            select(AuditRow.hash).where(AuditRow.subject == subject).order_by(AuditRow.id.desc()).limit(1)
        )
        return prev or GENESIS_HASH
