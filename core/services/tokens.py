"""Operator API tokens: JWTs (HS256) with an expiry and an id (`jti`), and a durable revocation list.

Tokens are signed with a key derived from SECRET_KEY and verified with it or any SECRET_KEY_PREVIOUS
key. Every issued token is recorded in Postgres; revoking one marks its row. The hot path (each
operator API call) checks the id against an in-process copy of the revoked ids, reloaded from Postgres
(one small indexed query) at most every `revocation_cache_seconds`: a revocation made anywhere takes
effect everywhere within that time.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

import jwt

from core.services.errors import NotFound
from core.services.secrets import derive_key

ROLES = ("operator",)
ISSUER = "tradeguard"
DEFAULT_TTL = timedelta(days=30)
MAX_TTL = timedelta(days=365)
TTL_PATTERN = re.compile(r"([0-9]{1,7})([smhdw])")
TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
REQUIRED_CLAIMS = ["exp", "iat", "iss", "jti", "role"]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class TokenRecord:
    jti: str
    role: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


class TokenRefused(Exception):
    """The token is not (or no longer) valid; the message says why, without echoing the token."""


class TokenRepository(Protocol):
    async def add(self, record: TokenRecord) -> None: ...
    async def revoke(self, jti: str, now: datetime) -> TokenRecord | None:
        """Mark the token revoked (keeping an earlier revocation time); None if no such token."""
        ...

    async def revoked_unexpired(self, now: datetime) -> set[str]: ...
    async def all(self) -> list[TokenRecord]: ...


class TokenUnitOfWork(Protocol):
    tokens: TokenRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...


def parse_ttl(text: str) -> timedelta:
    """`30d`, `12h`, `90m`, `3600s` or `2w`: more than nothing, at most MAX_TTL."""
    match = TTL_PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 30d, 12h or 90m")
    ttl = timedelta(seconds=int(match[1]) * TTL_UNITS[match[2]])
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError(f"a token lasts more than 0 and at most {MAX_TTL.days}d")
    return ttl


def token_key(secret_key: str) -> bytes:
    return derive_key(secret_key, "operator-tokens")


def sign_token(key: bytes, role: str, now: datetime, ttl: timedelta, jti: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError(f"a token lasts more than 0 and at most {MAX_TTL.days}d")
    claims = {
        "role": role,
        "iss": ISSUER,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, key, algorithm="HS256")


def new_jti() -> str:
    return secrets.token_hex(8)


def verified_claims(token: str, keys: Sequence[bytes]) -> dict[str, Any]:
    """The claims of a token signed with one of `keys`, every required claim present (time unchecked)."""
    for key in keys:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={
                    "require": REQUIRED_CLAIMS,
                    "verify_exp": False,  # checked against our clock, below
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as error:
            raise TokenRefused(f"invalid token: {error}") from None
        return claims
    raise TokenRefused("invalid token: signature does not match")


class RevokedIds:
    """The ids of revoked, unexpired tokens, reloaded when older than `max_age` seconds."""

    def __init__(self, uow: Callable[[], TokenUnitOfWork], clock: Clock, max_age: float) -> None:
        self.uow = uow
        self.clock = clock
        self.max_age = timedelta(seconds=max_age)
        self._ids: set[str] = set()
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def contains(self, jti: str) -> bool:
        if self._stale():
            async with self._lock:  # a burst of requests reloads once
                if self._stale():
                    await self._reload()
        return jti in self._ids

    def add(self, jti: str) -> None:
        self._ids.add(jti)

    def _stale(self) -> bool:
        now = self.clock()
        loaded = self._loaded_at
        return loaded is None or not loaded <= now < loaded + self.max_age

    async def _reload(self) -> None:
        now = self.clock()
        async with self.uow() as uow:
            self._ids = await uow.tokens.revoked_unexpired(now)
        self._loaded_at = now


class OperatorTokens:
    """Issue, verify, revoke and list operator API tokens."""

    def __init__(
        self,
        uow: Callable[[], TokenUnitOfWork],
        keys: Sequence[bytes],
        clock: Clock,
        revocation_cache_seconds: float = 5.0,
    ) -> None:
        if not keys:
            raise ValueError("at least one signing key is required")
        self.uow = uow
        self.keys = tuple(keys)
        self.clock = clock
        self.revoked = RevokedIds(uow, clock, revocation_cache_seconds)

    async def issue(self, role: str, ttl: timedelta = DEFAULT_TTL) -> tuple[str, TokenRecord]:
        issued = self.clock().replace(microsecond=0)  # as the token's whole-second claims say
        jti = new_jti()
        token = sign_token(self.keys[0], role, issued, ttl, jti)
        record = TokenRecord(jti, role, issued, issued + ttl)
        async with self.uow() as uow:
            await uow.tokens.add(record)
            await uow.commit()
        return token, record

    async def verify(self, token: str) -> dict[str, Any]:
        claims = verified_claims(token, self.keys)
        expires = claims["exp"]
        if not isinstance(expires, int | float) or expires <= self.clock().timestamp():
            raise TokenRefused("token expired")
        if not isinstance(claims["jti"], str) or await self.revoked.contains(claims["jti"]):
            raise TokenRefused("token revoked")
        return claims

    async def revoke(self, jti: str) -> TokenRecord:
        async with self.uow() as uow:
            record = await uow.tokens.revoke(jti, self.clock())
            if record is None:
                raise NotFound(f"no token with id {jti!r}")
            await uow.commit()
        self.revoked.add(jti)
        return record

    async def all(self) -> list[TokenRecord]:
        async with self.uow() as uow:
            return await uow.tokens.all()
