"""HaltService over fakes of our ports: admins only (refusals audited), traders told once each way, and
while halted no open_position is issued while closes still are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from core.domain.commands import CommandRequest, CommandType
from core.domain.guard import GuardConfig
from core.domain.halt import AlreadyHalted, NotHalted, TradingHalted
from core.domain.models import AuditEntry, User
from core.services.admin import AdminService
from core.services.errors import Forbidden
from core.services.guard import GuardPolicy, GuardService
from core.services.halt import HaltService
from core.services.linking import LinkService
from core.services.secrets import SecretBox
from core.services.users import UserService
from tests.conftest import FakeClock
from tests.service.fakes import FakeUnitOfWork, NullCache, Recorder, Store

ADMIN = 900
OPEN = CommandRequest("open:sig_1:1", CommandType.OPEN_POSITION, "signal", {"symbol": "EURUSD"})
CLOSE = CommandRequest("close:1:1", CommandType.CLOSE_POSITION, "admin", {"ticket": 5})


@dataclass
class World:
    store: list[Store]
    clock: FakeClock
    halts: HaltService
    doorbell: Recorder
    olga: User
    ann: User
    account_id: int

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    def audit(self, action: str) -> list[AuditEntry]:
        return [entry for _, entry in self.store[0].audit if entry.action == action]

    def alerts(self, kind: str) -> dict[str, int]:
        return {key: row["chat_id"] for key, row in self.store[0].outbox.items() if row["kind"] == kind}

    async def issue(self, request: CommandRequest) -> object:
        async with self.uow() as uow:
            issued = await uow.commands.issue(self.account_id, request, self.clock(), 60)
            await uow.commit()
        return issued


@pytest.fixture
async def world() -> World:
    store = [Store()]
    clock = FakeClock(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    users, doorbell = UserService(uow), Recorder()
    links = LinkService(uow, SecretBox("k"), clock, NullCache())
    ann = await users.resolve(1001, "Ann", None, "en")
    boris = await users.resolve(1002, "Boris", None, "es")
    await users.resolve(1003, "Carla, no account", None, "en")
    olga = await users.resolve(ADMIN, "Olga", None, "ru")
    device_id = (await links.link(ann, 5012345, "Live")).device_id
    await links.link(boris, 6023456, "Live")
    guard = GuardService(GuardPolicy(GuardConfig(grace_seconds=0), (ADMIN,)))
    admin = AdminService(uow, guard, NullCache(), doorbell, (ADMIN,), clock)
    account_id = store[0].devices[device_id].account_id
    halts = HaltService(uow, admin.require_admin, doorbell, clock)
    return World(store, clock, halts, doorbell, olga, ann, account_id)


async def test_a_trader_cannot_halt_or_resume_and_each_attempt_is_audited(world: World) -> None:
    with pytest.raises(Forbidden):
        await world.halts.halt(world.ann, "not mine to stop")
    await world.halts.halt(world.olga)
    with pytest.raises(Forbidden):
        await world.halts.resume(world.ann)

    refused = world.audit("admin.refused")
    assert [(entry.actor, entry.details) for entry in refused] == [
        ("user:1001", {"command": "halt"}),
        ("user:1001", {"command": "resume"}),
    ]
    assert await world.halts.current() is not None  # the trader's /resume changed nothing


async def test_a_halt_tells_every_trader_with_an_account_once_and_refuses_new_positions_only(
    world: World,
) -> None:
    change = await world.halts.halt(world.olga, "SNB removes the floor")

    assert change.halt.number == 1 and change.traders_told == 2
    assert world.alerts("trading_halted") == {"halt:1:started:1001": 1001, "halt:1:started:1002": 1002}
    assert world.doorbell.rings == 1
    with pytest.raises(TradingHalted):
        await world.issue(OPEN)
    assert await world.issue(CLOSE) is not None
    [entry] = world.audit("admin.halt")
    assert entry.actor == f"admin:{ADMIN}" and entry.subject == "trading"
    assert entry.details == {"halt": 1, "note": "SNB removes the floor", "withdrawn": [], "traders_told": 2}


async def test_halting_twice_changes_nothing_and_tells_nobody_again(world: World) -> None:
    await world.halts.halt(world.olga, "first")

    with pytest.raises(AlreadyHalted) as refused:
        await world.halts.halt(world.olga, "second")

    assert refused.value.current is not None and refused.value.current.note == "first"
    assert len(world.alerts("trading_halted")) == 2
    assert len(world.audit("admin.halt")) == 1


async def test_an_order_queued_before_the_halt_is_withdrawn_not_delivered(world: World) -> None:
    issued = await world.issue(OPEN)

    change = await world.halts.halt(world.olga)

    assert change.withdrawn == (issued.id,)  # type: ignore[attr-defined]
    async with world.uow() as uow:
        assert await uow.commands.pending(world.account_id, world.clock()) == []


async def test_resume_tells_every_trader_and_new_positions_are_issued_again(world: World) -> None:
    await world.halts.halt(world.olga)
    world.clock.advance(600)

    change = await world.halts.resume(world.olga)

    assert change.halt.resumed_by == f"admin:{ADMIN}" and change.traders_told == 2
    assert set(world.alerts("trading_resumed")) == {"halt:1:resumed:1001", "halt:1:resumed:1002"}
    assert await world.halts.current() is None
    assert await world.issue(OPEN) is not None
    with pytest.raises(NotHalted):
        await world.halts.resume(world.olga)


async def test_the_next_halt_has_its_own_number_so_traders_are_told_again(world: World) -> None:
    await world.halts.halt(world.olga)
    await world.halts.resume(world.olga)

    second = await world.halts.halt(world.olga)

    assert second.halt.number == 2
    assert set(world.alerts("trading_halted")) == {
        "halt:1:started:1001", "halt:1:started:1002", "halt:2:started:1001", "halt:2:started:1002",
    }  # fmt: skip
