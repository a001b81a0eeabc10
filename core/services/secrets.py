"""Device secrets: generated here, shown once, kept only encrypted (Fernet, key derived from SECRET_KEY).

Keys rotate without downtime: SECRET_KEY seals, SECRET_KEY and every SECRET_KEY_PREVIOUS key open
(MultiFernet), and `SecretRotation` re-seals every stored secret under SECRET_KEY in batches.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, Self

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.services.errors import AuthenticationFailed


def new_device_id() -> str:
    return "dev_" + secrets.token_hex(12)


def new_device_secret() -> str:
    """256 bits, as 64 lowercase hex characters (BRIDGE.md)."""
    return secrets.token_hex(32)


def derive_key(secret_key: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"tradeguard:{purpose}".encode())
    return hkdf.derive(secret_key.encode())


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "device-secrets")))


class SecretUnreadable(AuthenticationFailed):
    """Sealed under a key that is neither SECRET_KEY nor in SECRET_KEY_PREVIOUS: to the device, that is
    a revoked link (401 unknown_device, never a 500); `tradeguard rotate-secrets` lists such devices."""

    def __init__(self) -> None:
        super().__init__("unknown_device", "unknown or revoked device")


class SecretBox:
    """Seals under the current key; opens what any of the current or previous keys sealed."""

    def __init__(self, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        self._current = _fernet(secret_key)
        self._fernet = MultiFernet([self._current, *(_fernet(key) for key in previous_keys)])

    def seal(self, secret_hex: str) -> bytes:
        return self._fernet.encrypt(secret_hex.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken:
            raise SecretUnreadable() from None

    def is_current(self, sealed: bytes) -> bool:
        try:
            self._current.decrypt(sealed)
        except InvalidToken:
            return False
        return True

    def reseal(self, sealed: bytes) -> bytes:
        """The same secret sealed under the current key (InvalidToken when no known key opens it)."""
        return self._fernet.rotate(sealed)

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"


class SealedSecretRepository(Protocol):
    async def batch_after(self, device_id: str, limit: int) -> list[tuple[str, bytes]]:
        """Up to `limit` (device id, sealed secret) pairs with ids after `device_id`, in id order."""
        ...

    async def replace(self, device_id: str, old: bytes, new: bytes) -> bool:
        """Store `new` only if the device still holds `old` (a /link meanwhile wins); True if stored."""
        ...


class RotationUnitOfWork(Protocol):
    sealed_secrets: SealedSecretRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...


@dataclass
class RotationReport:
    resealed: int = 0
    already_current: int = 0
    changed_meanwhile: int = 0
    unreadable: list[str] = field(default_factory=list)  # device ids no known key opens


class SecretRotation:
    """Re-seal every device secret under the current key, one short transaction per batch.

    Safe while the service runs: the service opens secrets with every key, and a secret /link
    replaced meanwhile is left alone (compare-and-set). Idempotent: secrets already under the
    current key are skipped, so a second run changes nothing.
    """

    def __init__(self, uow: Callable[[], RotationUnitOfWork], box: SecretBox, batch_size: int = 500) -> None:
        self.uow = uow
        self.box = box
        self.batch_size = batch_size

    async def run(self) -> RotationReport:
        report = RotationReport()
        after = ""
        while True:
            async with self.uow() as uow:
                batch = await uow.sealed_secrets.batch_after(after, self.batch_size)
                for device_id, sealed in batch:
                    await self._reseal_one(uow.sealed_secrets, device_id, sealed, report)
                await uow.commit()
            if len(batch) < self.batch_size:
                return report
            after = batch[-1][0]

    async def _reseal_one(
        self, repository: SealedSecretRepository, device_id: str, sealed: bytes, report: RotationReport
    ) -> None:
        if self.box.is_current(sealed):
            report.already_current += 1
            return
        try:
            resealed = self.box.reseal(sealed)
        except InvalidToken:
            report.unreadable.append(device_id)
            return
        if await repository.replace(device_id, sealed, resealed):
            report.resealed += 1
        else:
            report.changed_meanwhile += 1
