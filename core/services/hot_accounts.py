"""Reading an account's hot state ready to judge (core.services.ports.hot): loaded from Postgres on a
miss (the recovery after a Redis flush or a restart) or refreshed after a durable change elsewhere."""

from __future__ import annotations

from dataclasses import replace

from core.domain.guard.state import GuardState
from core.services.health import Health, best_effort
from core.services.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.services.ports.hot import HotAccount, HotSeed, HotState

# A durable writer holds an account this long at most (it releases it on commit): long enough for one
# transaction, short enough that a crashed process stalls no account's steady path for long.
HOLD_SECONDS = 5.0
READY_ATTEMPTS = 3


class HotAccounts:
    def __init__(self, uow: UnitOfWorkFactory, hot: HotState, clock: Clock) -> None:
        self.uow = uow
        self.hot = hot
        self.clock = clock

    async def ready(self, account_id: int) -> tuple[HotAccount | None, bool]:
        """The hot state and whether a durable writer holds the account (then the caller queues behind
        it in Postgres). (None, False): no such account; (None, True) also when others keep winning."""
        for _ in range(READY_ATTEMPTS):
            account, held = await self.hot.read(account_id)
            if held or (account is not None and not account.refresh):
                return account, held
            seeded = await self.seed(account_id, account)
            if seeded is None:
                return None, False
            expected = None if account is None else account.version
            if await self.hot.write(account_id, seeded, expected):
                return replace(seeded, version=(expected or 0) + 1), False
        return None, True

    async def seed(self, account_id: int, current: HotAccount | None) -> HotAccount | None:
        async with self.uow() as uow:
            seed = await uow.states.hot_seed(account_id)
            if seed is None:
                return None
            commands = await uow.commands.pending(account_id, self.clock())
        return merge(replace(seed, commands=tuple(command.body for command in commands)), current)


def merge(seed: HotSeed, hot: HotAccount | None) -> HotAccount:
    """Postgres's durable parts (context, pending commands) with whichever guard is newer (by rev), the
    higher seq of each device, the later snapshot, and the deal tickets the hot state knew."""
    if hot is None:
        return HotAccount(
            seed.context, seed.guard, seed.rev, dict(seed.seqs), (), seed.snapshot, seed.received_at,
            seed.commands,
        )  # fmt: skip
    guard, rev = (hot.guard, hot.rev) if hot.rev > seed.rev else (seed.guard, seed.rev)
    seqs = dict(seed.seqs)
    for device_id, seq in hot.seqs.items():
        seqs[device_id] = max(seq, seqs.get(device_id, seq))
    hot_is_later = hot.received_at is not None and (
        seed.received_at is None or hot.received_at >= seed.received_at
    )
    snapshot, received_at = (
        (hot.snapshot, hot.received_at) if hot_is_later else (seed.snapshot, seed.received_at)
    )
    return HotAccount(
        seed.context, guard, rev, seqs, hot.deal_tickets, snapshot, received_at, seed.commands, hot.version
    )


async def newest_guard(
    hot: HotState | None, uow: UnitOfWork, account_id: int, stored: GuardState, health: Health | None
) -> tuple[GuardState, int | None]:
    """For a durable writer outside the snapshot path, under the account's row lock: hold the hot state
    (steady writers queue), then the newer of the two guard states and the rev to store the result at.

    While Redis is down (no steady snapshot is accepted then: nonces need it) Postgres's state is used;
    the outage is logged once through `health`."""
    if hot is None:
        return stored, None
    found = await _held(hot, account_id, health)
    if found is None:
        return stored, None
    account, _ = found
    pg_rev = await uow.states.rev(account_id)
    if account is not None and account.guard is not None and account.rev > pg_rev:
        return account.guard, account.rev + 1
    return stored, max(pg_rev, account.rev if account else 0) + 1


async def _held(
    hot: HotState, account_id: int, health: Health | None
) -> tuple[HotAccount | None, bool] | None:
    async def hold_and_read() -> tuple[HotAccount | None, bool]:
        await hot.hold(account_id, HOLD_SECONDS)
        return await hot.read(account_id)

    if health is None:
        return await hold_and_read()
    return await best_effort(health, hold_and_read, None)
