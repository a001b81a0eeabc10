"""SignalService over fakes of our ports: who may post and decide (checked in the use case, whatever the
edge did), what each mode and guard state gives, and the sizing rule of risk_percent."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.domain.halt import Halt
from core.domain.models import AuditEntry, User
from core.domain.signals import (
    Delivery,
    DeliveryStatus,
    ExpectedTrade,
    Signal,
    SignalMode,
    SkipReason,
    risk_volume,
)
from core.domain.snapshot import Side
from core.services.errors import Forbidden, InvalidInput, NotFound
from core.services.ports import Follower
from core.services.signals import SignalService
from tests.conftest import FakeClock
from tests.service.fakes import FakeUnitOfWork, Recorder, Store

LINKED_AT = datetime(2026, 1, 1, tzinfo=UTC)

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@dataclass
class SignalStore:
    signals: dict[str, Signal] = field(default_factory=dict)
    deliveries: dict[tuple[str, int], Delivery] = field(default_factory=dict)
    expected: list[ExpectedTrade] = field(default_factory=list)
    modes: dict[int, SignalMode] = field(default_factory=dict)
    guards: dict[int, tuple[bool, bool]] = field(default_factory=dict)  # account → (locked, liquidated)


class FakeSignals:
    def __init__(self, store: Store, signals: SignalStore) -> None:
        self.s, self.g = store, signals

    async def add(self, signal: Signal) -> bool:
        return self.g.signals.setdefault(signal.id, signal) is signal

    async def get(self, signal_id: str) -> Signal | None:
        return self.g.signals.get(signal_id)

    async def followers(self) -> list[Follower]:
        return [f for f in [await self.follower(a) for a in sorted(self.s.accounts)] if f is not None]

    async def follower(self, account_id: int) -> Follower | None:
        account = self.s.accounts.get(account_id)
        if account is None:
            return None
        owner = next(u for u in self.s.users.values() if u.id == account.user_id)
        locked, liquidated = self.g.guards.get(account_id, (False, False))
        mode = self.g.modes.get(owner.id, SignalMode.APPROVE)
        return Follower(account_id, account.login, account.server, owner.id, owner.telegram_id, mode,
                        "USD", locked, liquidated)  # fmt: skip

    async def add_delivery(self, delivery: Delivery, now: datetime) -> None:
        self.g.deliveries.setdefault((delivery.signal_id, delivery.account_id), delivery)

    async def lock_delivery(self, signal_id: str, account_id: int) -> Delivery | None:
        return self.g.deliveries.get((signal_id, account_id))

    async def decide(self, delivery: Delivery, now: datetime) -> None:
        self.g.deliveries[(delivery.signal_id, delivery.account_id)] = delivery

    async def deliveries(self, signal_id: str) -> list[Delivery]:
        return [d for (s, _), d in sorted(self.g.deliveries.items()) if s == signal_id]

    async def add_expected(self, trade: ExpectedTrade) -> None:
        self.g.expected.append(trade)

    async def expected(self, account_id: int) -> list[ExpectedTrade]:
        return [t for t in self.g.expected if t.account_id == account_id]

    async def mode(self, user_id: int) -> SignalMode:
        return self.g.modes.get(user_id, SignalMode.APPROVE)

    async def set_mode(self, user_id: int, mode: SignalMode) -> None:
        self.g.modes[user_id] = mode


class SignalUnitOfWork(FakeUnitOfWork):
    def __init__(self, shared: list[Store], signals: list[SignalStore]) -> None:
        super().__init__(shared)
        self.signal_shared = signals

    async def __aenter__(self) -> SignalUnitOfWork:
        await super().__aenter__()
        self.signal_work = copy.deepcopy(self.signal_shared[0])
        self.signals = FakeSignals(self.work, self.signal_work)
        return self

    async def commit(self) -> None:
        await super().commit()
        self.signal_shared[0] = self.signal_work


class NoViews:
    """The read port with no account data: risk sizing finds no equity."""

    async def view(self, account_id: int) -> Any:
        raise NotFound(str(account_id))

    async def hot_state(self, account_id: int) -> None:
        return None


@dataclass
class World:
    store: list[Store]
    signals: list[SignalStore]
    service: SignalService
    clock: FakeClock
    ann: User
    boris: User
    ann_account: int
    boris_account: int

    def delivery(self, signal_id: str, account_id: int) -> Delivery:
        return self.signals[0].deliveries[(signal_id, account_id)]

    def commands(self) -> list[dict[str, Any]]:
        return [command.body for command, _, _ in self.store[0].commands.values()]

    def audit(self, action: str) -> list[AuditEntry]:
        return [entry for _, entry in self.store[0].audit if entry.action == action]


@pytest.fixture
async def world() -> World:
    store, signals, clock = [Store()], [SignalStore()], FakeClock(NOW)
    async with FakeUnitOfWork(store) as uow:
        ann = await uow.users.upsert(1001, "Ann", None, "en")
        boris = await uow.users.upsert(1002, "Boris", None, "es")
        ann_account = (await uow.accounts.add(ann.id, 5012345, "Live", LINKED_AT)).id
        boris_account = (await uow.accounts.add(boris.id, 6023456, "Live", LINKED_AT)).id
        await uow.commit()
    service = SignalService(lambda: SignalUnitOfWork(store, signals), NoViews(), Recorder(), clock)  # type: ignore[arg-type]
    return World(store, signals, service, clock, ann, boris, ann_account, boris_account)


def signal(signal_id: str = "sig_1", **changes: Any) -> Signal:
    base = Signal(signal_id, "EURUSD", Side.BUY, NOW, volume=Decimal("0.10"), sl=Decimal("1.08"))
    return replace(base, **changes)


async def test_only_the_operator_role_may_post_and_a_bad_signal_stores_nothing(world: World) -> None:
    with pytest.raises(Forbidden):
        await world.service.post("payments", signal())
    with pytest.raises(InvalidInput, match="expires_at: must be in the future"):
        await world.service.post("operator", signal(expires_at=NOW - timedelta(seconds=1)))
    with pytest.raises(InvalidInput, match="sl: must be below entry for a buy"):
        await world.service.post("operator", signal(entry=Decimal("1.07")))

    assert world.signals[0].signals == {} and world.commands() == []


async def test_each_mode_and_guard_state_gets_what_the_rules_say(world: World) -> None:
    await world.service.set_mode(world.ann, "auto")
    posted = await world.service.post("operator", signal())
    world.signals[0].guards[world.ann_account] = (True, False)

    second = await world.service.post("operator", signal("sig_2"))

    assert [d.status for d in posted.deliveries] == [DeliveryStatus.QUEUED, DeliveryStatus.AWAITING_APPROVAL]
    assert [(c["type"], c["signal_id"], c["volume"]) for c in world.commands()] == [
        ("open_position", "sig_1", "0.1")
    ]
    assert [(d.status, d.reason) for d in second.deliveries] == [
        (DeliveryStatus.REFUSED, SkipReason.LOCKED), (DeliveryStatus.AWAITING_APPROVAL, None),
    ]  # fmt: skip


async def test_someone_elses_decision_is_refused_in_the_use_case_and_audited(world: World) -> None:
    await world.service.post("operator", signal())

    with pytest.raises(Forbidden):
        await world.service.decide(world.ann, "sig_1", world.boris_account, approve=True)

    assert world.delivery("sig_1", world.boris_account).status is DeliveryStatus.AWAITING_APPROVAL
    assert world.commands() == [] and [e.actor for e in world.audit("signal.refused")] == ["user:1001"]


async def test_an_approval_counts_once_and_only_before_expiry(world: World) -> None:
    await world.service.post("operator", signal(expires_at=NOW + timedelta(minutes=5)))
    await world.service.post("operator", signal("sig_2", expires_at=NOW + timedelta(minutes=5)))

    first = await world.service.decide(world.boris, "sig_1", world.boris_account, approve=True)
    again = await world.service.decide(world.boris, "sig_1", world.boris_account, approve=False)
    world.clock.advance(300)
    late = await world.service.decide(world.boris, "sig_2", world.boris_account, approve=True)

    assert (first.changed, first.delivery.status) == (True, DeliveryStatus.APPROVED)
    assert (again.changed, again.delivery.status) == (False, DeliveryStatus.APPROVED)
    assert (late.changed, late.delivery.status) == (True, DeliveryStatus.EXPIRED)
    assert [c["signal_id"] for c in world.commands()] == ["sig_1"]
    [trade] = world.signals[0].expected
    assert (trade.signal_id, trade.account_id, trade.comment) == ("sig_1", world.boris_account, "tg:sig_1")


async def test_an_approval_during_a_halt_is_refused_and_opens_nothing(world: World) -> None:
    await world.service.post("operator", signal())
    world.store[0].halts.append(Halt(1, NOW, "admin:900"))

    decision = await world.service.decide(world.boris, "sig_1", world.boris_account, approve=True)

    assert (decision.delivery.status, decision.delivery.reason) == (DeliveryStatus.REFUSED, SkipReason.HALTED)
    assert world.commands() == []


@pytest.mark.parametrize(
    ("risk", "equity", "price", "sl", "expected"),
    [
        ("1", "10000", "1.08550", "1.08050", Decimal("0.20")),  # 100 USD over 500 USD a lot
        ("1", "9850.50", "1.08550", "1.08050", Decimal("0.19")),  # rounded down, never up
        ("2", "10000", "1.08050", "1.08550", Decimal("0.40")),  # a sell: the distance counts, not its sign
        ("0.001", "10000", "1.08550", "1.08050", SkipReason.TOO_SMALL),
        ("1", "10000", "1.08550", None, SkipReason.NO_SL),
        ("1", None, "1.08550", "1.08050", SkipReason.NO_EQUITY),
        ("1", "-5", "1.08550", "1.08050", SkipReason.NO_EQUITY),
        ("1", "10000", None, "1.08050", SkipReason.NO_PRICE),
        ("1", "10000", "1.08050", "1.08050", SkipReason.NO_PRICE),
    ],
)
def test_risk_percent_sizing(
    risk: str, equity: str | None, price: str | None, sl: str | None, expected: object
) -> None:
    def dec(text: str | None) -> Decimal | None:
        return Decimal(text) if text is not None else None

    assert risk_volume(Decimal(risk), dec(equity), dec(price), dec(sl)) == expected
