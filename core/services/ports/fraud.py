"""Port: fraud cases and what the fraud checks read (issue 11)."""

from __future__ import annotations

from typing import Protocol


class FraudRepository(Protocol):
    """Filled in by the feature that owns it (docs/affiliates.md)."""
