"""The bridge and guard services over in-memory fakes of our ports: the liquidation workflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.domain.account_key import AccountKey
from core.domain.guard import GuardConfig
from core.domain.models import Device, User
from core.domain.snapshot import AccountInfo, Deal, DealEntry, DealReason, DealType, Position, Side, Snapshot
from core.services.admin import AdminService
from core.services.bridge import BridgePorts, BridgeService
from core.services.errors import InvalidInput
from core.services.guard import GuardMonitor, GuardPolicy, GuardService
from core.services.linking import LinkService
from core.services.secrets import SecretBox
from core.services.users import UserService
from tests.conftest import FakeClock
from tests.service.fakes import (
    FakeHotState,
    FakeMarketMemory,
    FakeUnitOfWork,
    MemoryNonces,
    NullCache,
    Recorder,
    Store,
)

ADMIN = 900
TICKET = 5001


@dataclass
class World:
    store: list[Store]
    clock: FakeClock
    bridge: BridgeService
    monitor: GuardMonitor
    admin: AdminService
    device: Device
    seq: int = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    async def snapshot(self, equity: str, positions: bool = True, deals: tuple[Deal, ...] = ()) -> list[dict]:  # type: ignore[type-arg]
        self.seq += 1
        balance = (
            Decimal(equity) if not positions else Decimal(10000) + sum((d.profit for d in deals), Decimal(0))
        )
        account = AccountInfo(5012345, "Live", "USD", balance, Decimal(equity), Decimal(100), Decimal(0), 100)
        opened = (
            Position(
                TICKET,
                "EURCHF",
                Side.BUY,
                Decimal("0.5"),
                Decimal("1.2"),
                self.clock(),
                Decimal("1.1"),
                Decimal(0),
            ),
        )
        answer = await self.bridge.accept_snapshot(
            self.device, Snapshot(self.seq, self.clock(), account, opened if positions else (), deals)
        )
        return answer.commands

    def commands(self, kind: str) -> list[dict]:  # type: ignore[type-arg]
        return [c.body for c, _, _ in self.store[0].commands.values() if c.type.value == kind]

    def alerts(self, kind: str) -> list[dict]:  # type: ignore[type-arg]
        return [row for row in self.store[0].outbox.values() if row["kind"] == kind]


@pytest.fixture
async def world() -> World:
    store = [Store()]
    clock = FakeClock(datetime(2026, 11, 27, 21, 0, tzinfo=UTC))

    hot = FakeHotState()

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store, hot)

    box = SecretBox("service-tier-key")
    recorder = Recorder()
    policy = GuardPolicy(GuardConfig(grace_seconds=0, verify_timeout_seconds=60), (ADMIN,))
    guard = GuardService(policy, hot)
    ports = BridgePorts(uow, MemoryNonces(), NullCache(), recorder, hot, FakeMarketMemory())
    bridge = BridgeService(ports, box, guard, clock)
    user = await UserService(uow).resolve(42, "Ann", None, "en")
    linked = await LinkService(uow, box, clock, NullCache()).link(user, 5012345, "Live")
    device = store[0].devices[linked.device_id]
    monitor = GuardMonitor(uow, guard, NullCache(), clock)
    admin = AdminService(uow, guard, NullCache(), recorder, (ADMIN,), clock)
    return World(store, clock, bridge, monitor, admin, device)


def cash_flow(ticket: int, amount: str, when: datetime) -> Deal:
    return Deal(
        ticket,
        0,
        "",
        DealType.BALANCE,
        DealEntry.IN,
        DealReason.CLIENT,
        Decimal(0),
        Decimal(0),
        when,
        Decimal(amount),
    )


async def test_the_answer_to_a_breaching_snapshot_carries_close_all_and_lock(world: World) -> None:
    await world.snapshot("10000")
    commands = await world.snapshot("7900")
    assert [c["type"] for c in commands] == ["close_all", "lock"]
    assert commands[0]["reason"] == "max_drawdown"
    assert [a["params"]["reason"] for a in world.alerts("liquidation_warning")] == ["max_drawdown"]


async def test_a_breach_reported_again_and_again_issues_one_close_all(world: World) -> None:
    await world.snapshot("10000")
    first = await world.snapshot("7900")
    for equity in ("7800", "7950", "8500"):
        again = await world.snapshot(equity)
        assert [c["id"] for c in again] == [c["id"] for c in first]
    assert len(world.commands("close_all")) == 1
    assert len(world.alerts("liquidation_warning")) == 1


async def test_a_done_ack_and_a_flat_snapshot_liquidate_and_tell_the_trader_what_was_closed(
    world: World,
) -> None:
    await world.snapshot("10000")
    close_all = (await world.snapshot("7900"))[0]
    result = {"ticket": TICKET, "closed_volume": "0.5", "price": "1.05", "profit": "-2100.00"}
    await world.bridge.acknowledge(
        world.device, close_all["id"], {"status": "done", "results": [result], "message": ""}
    )
    assert world.alerts("liquidated") == []  # not before the account is seen flat
    await world.snapshot("7900", positions=False)
    (liquidated,) = world.alerts("liquidated")
    assert liquidated["params"]["closed"] == [result]
    assert liquidated["params"]["realised"] == "-2100.00"
    assert world.store[0].states[world.device.account_id]["guard"]["status"] == "liquidated"


async def test_the_same_ack_twice_changes_nothing(world: World) -> None:
    await world.snapshot("10000")
    close_all = (await world.snapshot("7900"))[0]
    ack = {"status": "done", "results": [], "message": ""}
    await world.bridge.acknowledge(world.device, close_all["id"], ack)
    before = (len(world.store[0].audit), dict(world.store[0].outbox))
    await world.bridge.acknowledge(world.device, close_all["id"], ack)
    assert (len(world.store[0].audit), dict(world.store[0].outbox)) == before


async def test_a_failed_close_is_issued_again_after_the_backoff(world: World) -> None:
    await world.snapshot("10000")
    close_all = (await world.snapshot("7900"))[0]
    await world.bridge.acknowledge(
        world.device, close_all["id"], {"status": "failed", "results": [], "message": "market closed"}
    )
    await world.monitor.run_once()
    assert len(world.commands("close_all")) == 1
    world.clock.advance(6)
    await world.monitor.run_once()
    retries = world.commands("close_all")
    assert len(retries) == 2 and retries[1]["id"] != close_all["id"]
    assert world.alerts("liquidation_retrying")


async def test_an_unconfirmed_liquidation_alerts_the_admins_once(world: World) -> None:
    await world.snapshot("10000")
    await world.snapshot("7900")
    world.clock.advance(30)
    await world.snapshot("7900")
    world.clock.advance(31)
    await world.monitor.run_once()
    await world.monitor.run_once()
    (overdue,) = world.alerts("admin_liquidation_overdue")
    assert overdue["chat_id"] == ADMIN
    assert overdue["params"]["open_tickets"] == [TICKET]


async def test_a_thirty_percent_withdrawal_issues_nothing(world: World) -> None:
    await world.snapshot("10000")
    commands = await world.snapshot("7000", deals=(cash_flow(9001, "-3000", world.clock()),))
    assert commands == []
    assert world.alerts("drawdown_warning") == [] and world.alerts("liquidation_warning") == []


async def test_a_snapshot_for_another_account_is_refused_and_stores_nothing(world: World) -> None:
    await world.snapshot("10000")
    before = world.store[0].states.copy()
    other = Device("dev_x", world.device.account_id, 999, "Live", world.device.secret_encrypted)
    account = AccountInfo(5012345, "Live", "USD", Decimal(1), Decimal(1), Decimal(0), Decimal(0), 1)
    with pytest.raises(InvalidInput, match=r"account\.login"):
        await world.bridge.accept_snapshot(other, Snapshot(99, world.clock(), account))
    assert world.store[0].states == before


async def test_an_admin_liquidation_is_queued_at_once_and_audited_with_the_admin(world: World) -> None:
    await world.snapshot("10000")
    admin = User(99, ADMIN, "Olga", "en")
    await world.admin.act(admin, AccountKey(5012345), "liquidate", "risk desk")
    assert [c["reason"] for c in world.commands("close_all")] == ["admin"]
    actions = [(e.actor, e.action) for _, e in world.store[0].audit]
    assert ("admin:900", "admin.liquidate") in actions


async def test_an_account_going_silent_during_a_breach_alerts_the_admins_at_once(world: World) -> None:
    world.bridge.guard.policy = GuardPolicy(GuardConfig(grace_seconds=30), (ADMIN,))
    await world.snapshot("10000")
    await world.snapshot("7900")  # breach: 30 s of grace
    world.clock.advance(61)
    await world.monitor.run_once()
    (offline,) = world.alerts("admin_breach_offline")
    assert offline["chat_id"] == ADMIN and offline["params"]["reason"] == "max_drawdown"
    assert [a["chat_id"] for a in world.alerts("feed_stale")] == [42]


async def test_a_quiet_account_outside_a_breach_reaches_admins_only_in_the_digest(world: World) -> None:
    await world.snapshot("10000")
    world.clock.advance(61)
    await world.monitor.run_once()
    assert world.alerts("admin_breach_offline") == []
    (digest,) = world.alerts("admin_liquidation_digest")
    assert [item["event"] for item in digest["params"]["items"]] == ["stale"]
