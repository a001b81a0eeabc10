"""The nonces each device has used (BRIDGE.md: a signed request is accepted once)."""

from __future__ import annotations

from typing import Protocol


class NonceStore(Protocol):
    async def remember(self, device_id: str, nonce: str, ttl_seconds: int) -> bool:
        """True when the nonce is new for this device (and is now remembered)."""
        ...
