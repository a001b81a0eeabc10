"""The people who talk to the bot."""

from __future__ import annotations

from typing import Protocol

from core.domain.models import User


class UserRepository(Protocol):
    async def upsert(
        self, telegram_id: int, first_name: str, username: str | None, language: str
    ) -> User: ...
    async def by_telegram_id(self, telegram_id: int) -> User | None: ...
    async def set_language(self, user_id: int, language: str) -> None: ...
    async def set_start_payload(self, user_id: int, payload: str) -> None: ...
    async def mark_blocked(self, chat_id: int, blocked: bool) -> None: ...


class SharedUserCache(Protocol):
    """Every process's copy of the users (Redis), behind each process's own. Best effort: while it is down
    `get` answers None and the writes do nothing."""

    async def get(self, telegram_id: int) -> User | None:
        """The stored copy, or None (absent, unreadable, or the store is down)."""
        ...

    async def put(self, user: User, *, replace: bool) -> None:
        """`replace` after a commit that wrote the user; otherwise only where no copy is (a copy read
        from Postgres never overwrites a newer write)."""
        ...
