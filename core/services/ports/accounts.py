"""The links between users and MT5 accounts (login@server), and their settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.domain.models import AccountView, LinkedAccount


@dataclass(frozen=True)
class GuardRef:
    """How the guard names an account in its alerts and whom it tells; `currency` is None until the
    account's first snapshot."""

    login: int
    server: str
    chat_id: int
    currency: str | None


class AccountRepository(Protocol):
    async def find(self, login: int, server: str | None = None) -> list[LinkedAccount]:
        """Every link of `login` (on `server` when given), by server then oldest first."""
        ...

    async def get(self, account_id: int) -> LinkedAccount | None: ...
    async def lock_pair(self, login: int, server: str) -> None:
        """Serialise links of one login@server until the unit of work ends."""
        ...

    async def mark_shared(self, login: int, server: str) -> None: ...
    async def add(self, user_id: int, login: int, server: str, linked_at: datetime) -> LinkedAccount: ...
    async def of_user(self, user_id: int) -> list[LinkedAccount]: ...
    async def owner_chat_id(self, account_id: int) -> int: ...
    async def guard_ref(self, account_id: int) -> GuardRef: ...
    async def set_personal_limit(self, account_id: int, percent: Decimal | None) -> None: ...
    async def personal_limit(self, account_id: int) -> Decimal | None: ...
    async def all_with_state(self, status: str | None, limit: int) -> list[AccountView]: ...
