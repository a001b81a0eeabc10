"""An account's stored history, read for attribution and the /report picture, and the deals a trader
imports from a report (/import)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.domain.models import User
from core.domain.snapshot import Deal

EquityPoint = tuple[datetime, Decimal]


class HistoryRepository(Protocol):
    async def deals(self, account_id: int) -> list[Deal]:
        """Every stored deal of the account (bridge and imported), in time then ticket order."""
        ...

    async def bot_tickets(self, account_id: int) -> set[int]:
        """The position tickets the EA's acks of our `open_position` commands named (filled by us)."""
        ...

    async def equity(self, account_id: int, since: datetime | None) -> list[EquityPoint]:
        """The account's equity points (one a minute at most), oldest first, from `since` when given."""
        ...

    async def add_imported(self, account_id: int, deals: tuple[Deal, ...]) -> int:
        """Store the deals whose ticket the account has not stored (from the EA or an earlier import);
        return how many were new. Each ticket once (its first copy)."""
        ...

    async def user_named(self, username: str) -> User | None:
        """The user with this Telegram @username (any case, without the @), the latest one to take it."""
        ...
