"""Device secrets: generated here, shown once, kept only encrypted (Fernet, key derived from SECRET_KEY)."""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def new_device_id() -> str:
    return "dev_" + secrets.token_hex(12)


def new_device_secret() -> str:
    """256 bits, as 64 lowercase hex characters (BRIDGE.md)."""
    return secrets.token_hex(32)


def derive_key(secret_key: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"tradeguard:{purpose}".encode())
    return hkdf.derive(secret_key.encode())


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "device-secrets")))

    def seal(self, secret_hex: str) -> bytes:
        return self._fernet.encrypt(secret_hex.encode())

    def open(self, sealed: bytes) -> str:
        return self._fernet.decrypt(sealed).decode()

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"
