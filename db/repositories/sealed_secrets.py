"""Device secrets as sealed at rest, for re-sealing them under a new key (core.services.secrets,
SecretRotation)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.tables import DeviceRow


class SqlSealedSecretRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def batch_after(self, device_id: str, limit: int) -> list[tuple[str, bytes]]:
        rows = await self.session.execute(
            select(DeviceRow.device_id, DeviceRow.secret_encrypted)
            .where(DeviceRow.device_id > device_id)
            .order_by(DeviceRow.device_id)
            .limit(limit)
        )
        return [(found_id, sealed) for found_id, sealed in rows]

    async def replace(self, device_id: str, old: bytes, new: bytes) -> bool:
        stored = await self.session.scalar(
            update(DeviceRow)
            .where(DeviceRow.device_id == device_id, DeviceRow.secret_encrypted == old)
            .values(secret_encrypted=new)
            .returning(DeviceRow.device_id)
        )
        return stored is not None
