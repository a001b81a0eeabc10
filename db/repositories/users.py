"""Users: who talks to the bot, in which language, and whether they blocked it."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.models import User
from db.tables import UserRow


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
