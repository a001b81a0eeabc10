"""Commands for the terminals (BRIDGE.md): issued once per dedupe key, acknowledged by the EA."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.commands import CommandRequest, CommandStatus, IssuedCommand
from core.services.ports.values import JsonDict


class CommandRepository(Protocol):
    async def pending(self, account_id: int, now: datetime) -> list[IssuedCommand]:
        """The commands the account's terminal still has to carry out, oldest first (each `body` is
        what goes on the wire)."""
        ...

    async def issue(
        self, account_id: int, request: CommandRequest, now: datetime, ttl_seconds: int
    ) -> IssuedCommand | None:
        """None when the dedupe key was issued before; raises core.domain.halt.TradingHalted (nothing
        issued) for a type a halt stops while halted."""
        ...

    async def get_for(self, command_id: str, account_id: int) -> IssuedCommand | None: ...
    async def record_ack(
        self, command_id: str, status: CommandStatus, ack: JsonDict, now: datetime
    ) -> None: ...
    async def with_key_prefix(self, account_id: int, prefix: str) -> list[IssuedCommand]: ...
    async def cancel_pending(self, account_id: int, key_prefix: str, now: datetime) -> int:
        """Withdraw the pending commands whose dedupe key starts with `key_prefix`: no answer carries
        them again and an ack of one changes nothing. Returns how many were withdrawn."""
        ...

    async def pending_count(self, account_id: int, now: datetime) -> int: ...
