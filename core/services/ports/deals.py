"""The deals (trades and cash flows) each account has reported, once per ticket."""

from __future__ import annotations

from typing import Protocol

from core.domain.snapshot import Deal


class DealRepository(Protocol):
    async def add_new(self, account_id: int, deals: tuple[Deal, ...]) -> list[Deal]:
        """Store deals not seen before (by ticket); return only those that were new."""
        ...
