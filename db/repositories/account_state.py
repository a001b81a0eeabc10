"""An account's latest snapshot and its guard's state (one `account_state` row per account), and the
view /status and the operator API show of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.guard.state import GuardState
from core.domain.models import AccountView, SnapshotContext
from core.domain.snapshot import Snapshot
from core.services.ports.hot import HotContext, HotSeed
from db.tables import AccountRow, AccountStateRow, UserRow
from db.touched import touch_accounts

JsonDict = dict[str, Any]
STATE = AccountStateRow.__table__
STATE_FIELDS = (
    "last_seq", "seq_device_id", "last_snapshot_at", "received_at", "currency", "balance", "equity", "margin",
    "peak_equity", "snapshot", "guard", "guard_due_at", "rev",
)  # fmt: skip
_upsert_state = insert(STATE)
UPSERT_STATE = _upsert_state.on_conflict_do_update(
    index_elements=[STATE.c.account_id], set_={name: _upsert_state.excluded[name] for name in STATE_FIELDS}
)
# Every account with its owner and its state (none before the first snapshot): what `to_view` reads.
VIEW_ROWS = (
    select(AccountRow, AccountStateRow, UserRow.telegram_id)
    .join(UserRow, UserRow.id == AccountRow.user_id)
    .outerjoin(AccountStateRow, AccountStateRow.account_id == AccountRow.id)
)


def to_view(account: AccountRow, state: AccountStateRow | None, owner: int) -> AccountView:
    """One row of VIEW_ROWS as the domain's view of the account."""
    if state is None:
        return AccountView(
            account.id, account.login, account.server, None, None, None, None, None, None,
            personal_limit=account.personal_max_drawdown_percent, shared=account.shared,
            owner_telegram_id=owner,
        )  # fmt: skip
    guard = state.guard or {}
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
        guard_status=guard.get("status"),
        guard_stale=bool(guard.get("stale")),
        locked=bool(guard.get("locked")),
        personal_limit=account.personal_max_drawdown_percent,
        shared=account.shared,
        owner_telegram_id=owner,
    )


def _guard_state(stored: JsonDict | None) -> GuardState | None:
    return GuardState.from_dict(stored) if stored else None


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
        return SnapshotContext(
            account_id, login, server, chat_id, limit, device_seq, _guard_state(guard), has_state
        )

    async def save_snapshot(
        self,
        account_id: int,
        device_id: str,
        snapshot: Snapshot,
        snapshot_json: JsonDict,
        guard: GuardState,
        due_at: datetime | None,
        now: datetime,
        rev: int = 0,
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
            "peak_equity": guard.peak_equity,
            "snapshot": snapshot_json,
            "guard": guard.to_dict(),
            "guard_due_at": due_at,
            "rev": rev,
        }
        await self.session.execute(UPSERT_STATE, {"account_id": account_id, **values})

    async def guard(self, account_id: int) -> GuardState | None:
        stored = await self.session.scalar(
            select(AccountStateRow.guard).where(AccountStateRow.account_id == account_id)
        )
        return _guard_state(stored)

    async def lock_guard(self, account_id: int, skip_locked: bool = False) -> GuardState | None:
        """The guard state, with the account row locked until the unit of work ends (None when absent
        or, with `skip_locked`, when another transaction holds it). Every writer of an account's state
        locks the same `accounts` row first, so they queue instead of deadlocking."""
        locked = await self.session.scalar(
            select(AccountRow.id).where(AccountRow.id == account_id).with_for_update(skip_locked=skip_locked)
        )
        if locked is None:
            return None
        return await self.guard(account_id)

    async def save_guard(
        self, account_id: int, guard: GuardState, due_at: datetime | None, rev: int | None = None
    ) -> None:
        """`rev` None: one above the stored one (core.services.ports.hot orders guard states by it)."""
        await self.session.execute(
            update(AccountStateRow)
            .where(AccountStateRow.account_id == account_id)
            .values(
                guard=guard.to_dict(),
                peak_equity=guard.peak_equity,
                guard_due_at=due_at,
                rev=AccountStateRow.rev + 1 if rev is None else rev,
            )
        )
        touch_accounts(self.session, {account_id})

    async def rev(self, account_id: int) -> int:
        found = await self.session.scalar(
            select(AccountStateRow.rev).where(AccountStateRow.account_id == account_id)
        )
        return int(found or 0)

    async def hot_seed(self, account_id: int) -> HotSeed | None:
        """What the hot state of an account is built from (None: no such account)."""
        statement = (
            select(AccountRow, AccountStateRow, UserRow.telegram_id)
            .join(UserRow, UserRow.id == AccountRow.user_id)
            .outerjoin(AccountStateRow, AccountStateRow.account_id == AccountRow.id)
            .where(AccountRow.id == account_id)
        )
        found = (await self.session.execute(statement)).first()
        if found is None:
            return None
        account, state, chat_id = found
        context = HotContext(
            account.login, account.server, chat_id, account.personal_max_drawdown_percent, account.shared
        )
        if state is None:
            return HotSeed(context, None, 0, {}, None, None, ())
        seqs = {state.seq_device_id: state.last_seq} if state.seq_device_id else {}
        return HotSeed(
            context, _guard_state(state.guard), state.rev, seqs, state.snapshot, state.received_at, ()
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
        found = (await self.session.execute(VIEW_ROWS.where(AccountRow.id == account_id))).first()
        return to_view(*found) if found is not None else None
