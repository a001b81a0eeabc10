"""Bridge sightings (issue 11): which address each account's EA reaches the bridge from, for the fraud
checks (same source address for a referrer and a referee). Best effort and off the answer's path: `note`
returns at once; the record is written in the background at most once an hour per (account, address),
gated by Redis, and an outage is logged once and never fails or slows a snapshot.

The address is the TCP peer (`request.remote`): behind a reverse proxy it is the proxy's, unless the
proxy passes the client's address as the peer (PROXY protocol, or run the bridge without a proxy).
X-Forwarded-For is not trusted: any client can write it."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Protocol

from core.services.health import BEST_EFFORT_SECONDS, Health
from core.services.ports import Clock, NonceStore, UnitOfWorkFactory

GATE_SECONDS = 3600
MAX_IN_FLIGHT = 256  # beyond this, sightings are dropped: they are samples, the next hour brings more


class SightingGate(Protocol):
    async def first_this_hour(self, account_id: int, ip: str) -> bool:
        """True once per (account, address) per GATE_SECONDS (SET NX EX)."""
        ...


class NonceGate:
    """The gate on the bridge's nonce store: "remember this once for a TTL" is SET NX EX in Redis, under
    the store's versioned keys (`sighting:<account id>` cannot be a device id, which are `dev_…`)."""

    def __init__(self, nonces: NonceStore, seconds: int = GATE_SECONDS) -> None:
        self.nonces = nonces
        self.seconds = seconds

    async def first_this_hour(self, account_id: int, ip: str) -> bool:
        return await self.nonces.remember(f"sighting:{account_id}", ip, self.seconds)


def normalised_ip(remote: str | None) -> str | None:
    """The peer's address in one spelling (IPv4-mapped IPv6 as IPv4); None when there is none."""
    try:
        address = ipaddress.ip_address((remote or "").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


class SightingRecorder:
    def __init__(self, uow: UnitOfWorkFactory, gate: SightingGate, clock: Clock, health: Health) -> None:
        self.uow = uow
        self.gate = gate
        self.clock = clock
        self.health = health
        self.in_flight: set[asyncio.Task[None]] = set()

    def note(self, account_id: int, remote: str | None) -> None:
        """Called on every authenticated bridge request; never waits and never raises."""
        ip = normalised_ip(remote)
        if ip is None or len(self.in_flight) >= MAX_IN_FLIGHT or not self.health.may_try():
            return
        task = asyncio.create_task(self.record(account_id, ip))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def record(self, account_id: int, ip: str) -> None:
        try:
            async with asyncio.timeout(BEST_EFFORT_SECONDS * 5):
                if not await self.gate.first_this_hour(account_id, ip):
                    return
                async with self.uow() as uow:
                    await uow.fraud.record_sighting(account_id, ip, self.clock())
                    await uow.commit()
        except Exception as error:  # a sighting is a sample: the outage is logged once, nothing fails
            self.health.failed(error)
        else:
            self.health.succeeded()

    async def drain(self) -> None:
        """Wait for the sightings in flight (tests, and a clean stop)."""
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)
