"""In-memory FraudRepository for service tests."""

from __future__ import annotations

from typing import Any


class FakeFraud:
    def __init__(self, store: Any) -> None:
        self.s = store
