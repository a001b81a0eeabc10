"""Port: the commission ledger and payouts (issue 11)."""

from __future__ import annotations

from typing import Protocol


class LedgerRepository(Protocol):
    """Filled in by the feature that owns it (docs/affiliates.md)."""
