"""Devices: the terminals (EAs) that report for an account, each with its sealed secret."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.models import Device
from db.tables import AccountRow, DeviceRow
from db.touched import touch_devices_of

# A device with the login@server of its account: Device's fields, in order.
DEVICES = select(
    DeviceRow.device_id,
    DeviceRow.account_id,
    AccountRow.login,
    AccountRow.server,
    DeviceRow.secret_encrypted,
    DeviceRow.revoked,
).join(AccountRow, AccountRow.id == DeviceRow.account_id)


class SqlDeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, device_id: str) -> Device | None:
        found = (await self.session.execute(DEVICES.where(DeviceRow.device_id == device_id))).first()
        return Device(*found) if found is not None else None

    async def of_account(self, account_id: int) -> Device | None:
        """The account's working device (earlier ones were revoked when the secret was rotated)."""
        working = DEVICES.where(DeviceRow.account_id == account_id, DeviceRow.revoked.is_(False))
        found = (await self.session.execute(working)).first()
        return Device(*found) if found is not None else None

    async def revoke_of_account(self, account_id: int, now: datetime) -> None:
        await self.session.execute(
            update(DeviceRow)
            .where(DeviceRow.account_id == account_id, DeviceRow.revoked.is_(False))
            .values(revoked=True, rotated_at=now)
        )
        touch_devices_of(self.session, account_id)

    async def add(self, device_id: str, account_id: int, secret_encrypted: bytes) -> None:
        self.session.add(
            DeviceRow(device_id=device_id, account_id=account_id, secret_encrypted=secret_encrypted)
        )
        await self.session.flush()
        touch_devices_of(self.session, account_id)
