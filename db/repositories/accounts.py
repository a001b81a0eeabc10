"""Accounts: each user's links to an MT5 login@server, and their personal drawdown limits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.models import AccountView, LinkedAccount
from core.services.ports import GuardRef
from db.repositories.account_state import VIEW_ROWS, to_view
from db.tables import AccountRow, AccountStateRow, UserRow
from db.touched import touch_accounts


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

    async def add(self, user_id: int, login: int, server: str, linked_at: datetime) -> LinkedAccount:
        row = AccountRow(user_id=user_id, login=login, server=server, linked_at=linked_at)
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
        touch_accounts(self.session, {account_id})

    async def personal_limit(self, account_id: int) -> Decimal | None:
        return await self.session.scalar(
            select(AccountRow.personal_max_drawdown_percent).where(AccountRow.id == account_id)
        )

    async def all_with_state(self, status: str | None, limit: int) -> list[AccountView]:
        """Every account's view in one statement (not one query per account), by login@server."""
        statement = VIEW_ROWS.order_by(AccountRow.login, AccountRow.server, AccountRow.id).limit(limit)
        if status:
            statement = statement.where(AccountStateRow.guard["status"].astext == status)
        return [to_view(*found) for found in (await self.session.execute(statement)).all()]

    async def guard_ref(self, account_id: int) -> GuardRef:
        statement = (
            select(AccountRow.login, AccountRow.server, UserRow.telegram_id, AccountStateRow.currency)
            .join(UserRow, UserRow.id == AccountRow.user_id)
            .outerjoin(AccountStateRow, AccountStateRow.account_id == AccountRow.id)
            .where(AccountRow.id == account_id)
        )
        login, server, chat_id, currency = (await self.session.execute(statement)).one()
        return GuardRef(int(login), str(server), int(chat_id), currency)

    async def owner_chat_id(self, account_id: int) -> int:
        statement = (select(UserRow.telegram_id).join(AccountRow, AccountRow.user_id == UserRow.id)).where(
            AccountRow.id == account_id
        )
        return int((await self.session.execute(statement)).scalar_one())
