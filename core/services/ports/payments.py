"""Port: subscription payments: Stars and external events (issue 11)."""

from __future__ import annotations

from typing import Protocol


class PaymentRepository(Protocol):
    """Filled in by the feature that owns it (docs/affiliates.md)."""
