"""What the guard's own rules (issue 7) make the service do: one warning per snapshot naming the deepest
level, and an unknown trading day told to the trader and the admins, once per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.domain import guard as g
from core.domain.codec import encode_time
from core.services.guard import AccountRef, GuardEffects, GuardPolicy
from tests.service.fakes import FakeUnitOfWork, Store

TRADER, ADMIN = 42, 900
T0 = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
POLICY = GuardPolicy(g.GuardConfig(daily_loss_limit_percent=Decimal(5)), (ADMIN,))
REF = AccountRef(7, 5012345, "Live", TRADER, "USD")


def obs(equity: str, when: datetime, balance: str | None = None) -> g.Observation:
    return g.Observation(when, Decimal(equity), Decimal(balance or equity), (1,))


async def effects_of(*observations: g.Observation) -> Store:
    store = [Store()]
    state: g.GuardState | None = None
    for number, observation in enumerate(observations):
        state, events = g.observe(state, observation, POLICY.base)
        async with FakeUnitOfWork(store) as uow:
            await GuardEffects(uow, POLICY, REF, observation.time, f"seq{number}").apply(state, events)
            await uow.commit()
    return store[0]


async def test_a_snapshot_crossing_two_levels_sends_one_warning_naming_the_deepest() -> None:
    store = await effects_of(obs("10000", T0), obs("8400", T0 + timedelta(seconds=1)))

    warnings = [row for row in store.outbox.values() if row["kind"] == "drawdown_warning"]
    assert [(row["chat_id"], row["params"]["level"]) for row in warnings] == [(TRADER, "15")]


async def test_an_unknown_trading_day_is_told_to_the_trader_and_the_admins_once() -> None:
    morning = T0 + timedelta(hours=12)  # the EA was off over midnight UTC, and the balance moved
    store = await effects_of(obs("10000", T0), obs("9000", morning, "9400"), obs("9000", morning, "9400"))

    unknown = [row for row in store.outbox.values() if row["kind"] == "trading_day_unknown"]
    assert sorted(row["chat_id"] for row in unknown) == [TRADER, ADMIN]
    told = {name: unknown[0]["params"][name] for name in ("day", "day_open_balance", "last_contact")}
    assert told == {"day": "2026-11-28", "day_open_balance": "9400", "last_contact": encode_time(T0)}
