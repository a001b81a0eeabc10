"""In-memory PaymentRepository for service tests."""

from __future__ import annotations

from typing import Any


class FakePayments:
    def __init__(self, store: Any) -> None:
        self.s = store
