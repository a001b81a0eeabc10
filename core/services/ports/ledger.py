"""Port: the commission ledger and payouts (issue 11, docs/affiliates.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class LedgerRepository(Protocol):
    async def reverse_unpaid(
        self, affiliate_user_id: int, rule_version: str, details: dict[str, Any], now: datetime
    ) -> int:
        """Add a reversal line for each of the affiliate's unpaid earning lines not yet reversed (a
        confirmed fraud case takes back what it held); the reversal matures with the line it reverses.
        Idempotent (`rev:<line id>`); returns how many lines were reversed now."""
        ...
