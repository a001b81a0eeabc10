"""The BRIDGE.md v1 request signature, shared by the server and the reference client."""

from __future__ import annotations

import hashlib
import hmac
import re

NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
HEADER_DEVICE = "X-TG-Device"
HEADER_TIMESTAMP = "X-TG-Timestamp"
HEADER_NONCE = "X-TG-Nonce"
HEADER_SIGNATURE = "X-TG-Signature"
SIGNED_HEADERS = (HEADER_DEVICE, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)


def canonical_string(method: str, path_qs: str, timestamp: str, nonce: str, body: bytes) -> str:
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path_qs, timestamp, nonce, body_hash))


def sign(secret_hex: str, method: str, path_qs: str, timestamp: str, nonce: str, body: bytes) -> str:
    key = bytes.fromhex(secret_hex)
    message = canonical_string(method, path_qs, timestamp, nonce, body).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def signature_matches(
    secret_hex: str, method: str, path_qs: str, timestamp: str, nonce: str, body: bytes, given: str
) -> bool:
    expected = sign(secret_hex, method, path_qs, timestamp, nonce, body)
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())
