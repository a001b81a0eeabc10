"""Device credentials cached in the process: device → account, login@server, the opened secret and
the revoked flag, read from Postgres (and the secret opened) once per device rather than per request.

A re-link (rotation) or a revocation commits in Postgres and then publishes the account on a Redis
channel (db.uow's after-commit news, db.device_news); every process's subscriber drops that account's
entries at once, so an old secret is refused everywhere within a round trip. While the channel is
down — or for entries loaded while it was — an entry lives at most FALLBACK_TTL_SECONDS, so staleness
stays bounded without the channel; entries loaded under a working subscription live until news or
CACHE_LIMIT evicts them (a reconnect starts a new generation: nothing heard before it is trusted).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from core.domain.models import Device
from core.services.ports import UnitOfWorkFactory
from core.services.secrets import SecretBox

FALLBACK_TTL_SECONDS = 5.0
CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class Credentials:
    device: Device
    secret: str | None  # None: revoked (no secret is opened for a device that may not speak)


@dataclass(frozen=True)
class _Entry:
    credentials: Credentials
    loaded_at: float
    generation: int | None  # the subscription it was loaded under; None: loaded without one


class CredentialCache:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        box: SecretBox,
        fallback_ttl_seconds: float = FALLBACK_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uow = uow
        self.box = box
        self.fallback_ttl_seconds = fallback_ttl_seconds
        self.monotonic = monotonic
        self.entries: dict[str, _Entry] = {}
        self.generation: int | None = None  # the live subscription, None while the channel is down
        self._subscriptions = 0
        self.news = 0  # how many times news was heard

    async def get(self, device_id: str) -> Credentials | None:
        entry = self.entries.get(device_id)
        if entry is not None and self._fresh(entry):
            return entry.credentials
        news, generation = self.news, self.generation
        async with self.uow() as uow:
            device = await uow.devices.get(device_id)
        if device is None:
            self.entries.pop(device_id, None)
            return None
        secret = None if device.revoked else self.box.open(device.secret_encrypted)
        credentials = Credentials(device, secret)
        if len(self.entries) >= CACHE_LIMIT:
            self.entries.clear()
        if news != self.news or generation != self.generation:  # news came while reading: trust it briefly
            generation = None
        self.entries[device_id] = _Entry(credentials, self.monotonic(), generation)
        return credentials

    def _fresh(self, entry: _Entry) -> bool:
        if entry.generation is not None and entry.generation == self.generation:
            return True
        return self.monotonic() - entry.loaded_at < self.fallback_ttl_seconds

    def forget_accounts(self, account_ids: set[int]) -> None:
        """News from any process: these accounts' devices changed. Every commit reports here, most with no
        device changed: that is no news (it would make loads in flight trust their entry only briefly)."""
        if not account_ids:
            return
        self.news += 1
        for device_id, entry in list(self.entries.items()):
            if entry.credentials.device.account_id in account_ids:
                del self.entries[device_id]

    def channel_up(self) -> None:
        """Subscribed (again): news is heard from now on; entries from before may have missed some."""
        self._subscriptions += 1
        self.generation = self._subscriptions

    def channel_down(self) -> None:
        self.generation = None
