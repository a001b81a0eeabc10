"""The global halt of new positions (core.domain.halt)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from core.domain.commands import CommandType
from core.domain.halt import Halt


class HaltRepository(Protocol):
    async def current(self) -> Halt | None: ...
    async def lock(self) -> Halt | None:
        """The halt in force; no command a halt stops is issued until the unit of work ends."""
        ...

    async def start(self, by: str, note: str, now: datetime) -> Halt: ...
    async def end(self, halt: Halt, by: str, now: datetime) -> Halt: ...
    async def withdraw_pending(self, types: Iterable[CommandType], now: datetime) -> list[str]: ...
    async def trader_chats(self) -> list[int]: ...
