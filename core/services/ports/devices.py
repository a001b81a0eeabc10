"""The terminals (EAs) that report for an account, each with its sealed secret."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.models import Device


class DeviceRepository(Protocol):
    async def get(self, device_id: str) -> Device | None: ...
    async def of_account(self, account_id: int) -> Device | None: ...
    async def add(self, device_id: str, account_id: int, secret_encrypted: bytes) -> None: ...
    async def revoke_of_account(self, account_id: int, now: datetime) -> None: ...
