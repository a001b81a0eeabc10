"""In-memory LedgerRepository for service tests."""

from __future__ import annotations

from typing import Any


class FakeLedger:
    def __init__(self, store: Any) -> None:
        self.s = store
