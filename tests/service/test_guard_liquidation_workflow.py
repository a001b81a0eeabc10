"""The liquidation workflow over the fakes (issue 7): graces that never let a crash run, an unlock that
stops a liquidation, positions closed again, and every guard event with an effect."""

from __future__ import annotations

import copy
import dataclasses
import inspect
from decimal import Decimal

import pytest

from bot.i18n import translator
from bot.render import render_alert
from core.domain.account_key import AccountKey
from core.domain.guard import GuardConfig, GuardEvent, GuardState
from core.domain.guard import events as guard_events
from core.domain.models import User
from core.services.errors import InvalidInput
from core.services.guard import AccountRef, GuardEffects, GuardPolicy
from tests.service.test_guard_service import ADMIN, TICKET, World, world  # noqa: F401

ADMIN_USER = User(99, ADMIN, "Olga", "en")
DONE = {"status": "done", "results": [], "message": ""}


def with_grace(world: World, seconds: int) -> None:  # noqa: F811
    world.bridge.guard.policy = GuardPolicy(GuardConfig(grace_seconds=seconds), (ADMIN,))


def pending(world: World) -> list[str]:  # noqa: F811
    account_id = world.device.account_id
    return [
        c.type.value
        for c, expires, _ in world.store[0].commands.values()
        if c.account_id == account_id and c.status.value == "pending" and expires > world.clock()
    ]


async def test_with_a_10_s_grace_a_crash_is_closed_in_the_answer_to_that_snapshot_and_the_trader_told_why(
    world: World,  # noqa: F811
) -> None:
    with_grace(world, 10)
    await world.snapshot("10000")
    world.clock.advance(60)
    assert await world.snapshot("7900") == []  # 21 %: the grace runs
    world.clock.advance(3)

    commands = await world.snapshot("7400")  # 26 %: 5 points deeper than at the breach

    assert [(c["type"], c["reason"]) for c in commands] == [
        ("close_all", "max_drawdown"),
        ("lock", "max_drawdown"),
    ]
    (told,) = world.alerts("liquidation_now")
    text = render_alert(translator("en"), told["alert"])
    assert "NOW" in text and "deepened from 21.00% to 26.00%" in text
    assert "7,400.00" in text


async def test_a_fast_market_is_told_to_the_trader_once_and_to_the_admins_in_the_digest(
    world: World,  # noqa: F811
) -> None:
    await world.snapshot("10000")
    for equity in ("9700", "9400", "9100", "9050"):  # 9 points in 4 s, never at the limit
        world.clock.advance(1)
        await world.snapshot(equity)

    (told,) = world.alerts("fast_market")
    assert told["chat_id"] == 42 and told["params"]["episode"] == 1
    text = render_alert(translator("es"), told["alert"])
    assert "mercado rápido" in text
    (digest,) = world.alerts("admin_liquidation_digest")
    assert [item["event"] for item in digest["params"]["items"]] == ["fast_market"]


async def test_an_unlock_while_liquidating_withdraws_the_close_all_and_its_ack_changes_nothing(
    world: World,  # noqa: F811
) -> None:
    await world.snapshot("10000")
    close_all, _lock = await world.snapshot("7900")

    await world.admin.act(ADMIN_USER, AccountKey(5012345), "unlock")
    answer = await world.snapshot("7900")

    assert [c["type"] for c in answer] == ["unlock"]
    assert await world.bridge.pending_commands(world.device) == answer
    before = (len(world.store[0].audit), dict(world.store[0].outbox), world.store[0].states.copy())
    await world.bridge.acknowledge(
        world.device, close_all["id"], {"status": "done", "results": [], "message": ""}
    )
    assert (len(world.store[0].audit), dict(world.store[0].outbox), world.store[0].states) == before
    assert world.store[0].states[world.device.account_id]["guard"]["status"] == "normal"


async def test_after_an_unlock_the_identical_snapshot_breaches_nothing(world: World) -> None:  # noqa: F811
    config = GuardConfig(grace_seconds=0, daily_loss_limit_percent=Decimal(5))
    world.bridge.guard.policy = GuardPolicy(config, (ADMIN,))
    await world.snapshot("10000")
    assert [c["reason"] for c in await world.snapshot("9400") if c["type"] == "close_all"] == ["daily_loss"]

    await world.admin.act(ADMIN_USER, AccountKey(5012345), "unlock")
    answer = await world.snapshot("9400")  # balance 10,000, equity 9,400: exactly as before

    assert [c["type"] for c in answer] == ["unlock"]
    assert len(world.alerts("liquidation_warning")) == 1


async def test_a_position_seen_after_done_gets_a_new_close_all_and_the_audit_says_why(
    world: World,  # noqa: F811
) -> None:
    await world.snapshot("10000")
    close_all, _ = await world.snapshot("7900")
    await world.bridge.acknowledge(
        world.device, close_all["id"], {"status": "done", "results": [], "message": ""}
    )
    world.clock.advance(6)

    answer = await world.snapshot("7900")  # the position is still (or again) there

    closes = [c for c in answer if c["type"] == "close_all"]
    assert len(closes) == 1 and closes[0]["id"] != close_all["id"]
    retried = [e for _, e in world.store[0].audit if e.action == "guard.close_all_retry_due"]
    assert retried and retried[-1].details["open_tickets"] == [TICKET]


async def test_a_partial_ack_is_followed_by_a_new_close_all_that_replaces_it(world: World) -> None:  # noqa: F811
    await world.snapshot("10000")
    close_all, _ = await world.snapshot("7900")
    partial = {"status": "partial", "results": [], "message": "1 of 2 closed"}
    await world.bridge.acknowledge(world.device, close_all["id"], partial)
    assert world.alerts("liquidation_retrying")

    world.clock.advance(6)
    await world.monitor.run_once()

    ids = [c["id"] for c in await world.bridge.pending_commands(world.device) if c["type"] == "close_all"]
    assert len(ids) == 1 and ids[0] != close_all["id"]


async def test_an_unknown_admin_action_is_an_error_not_a_peak_reset(world: World) -> None:  # noqa: F811
    await world.snapshot("10000")
    now = world.clock()
    async with world.uow() as uow:
        with pytest.raises(ValueError, match="unknown admin action 'reset'"):
            await world.bridge.guard.admin_action(uow, world.device.account_id, "reset", "admin:900", "", now)


async def test_an_unknown_admin_action_is_refused_by_the_admin_service_and_changes_nothing(
    world: World,  # noqa: F811
) -> None:
    await world.snapshot("10000")
    store = world.store[0]
    before = copy.deepcopy((store.states, store.commands, store.outbox, store.audit))

    with pytest.raises(InvalidInput, match="unknown admin action 'reset': one of liquidate, lock, unlock"):
        await world.admin.act(ADMIN_USER, AccountKey(5012345), "reset")

    store = world.store[0]
    assert (store.states, store.commands, store.outbox, store.audit) == before


def every_guard_event_type() -> list[type[GuardEvent]]:
    return [
        kind
        for _, kind in inspect.getmembers(guard_events, inspect.isclass)
        if issubclass(kind, GuardEvent) and kind is not GuardEvent
    ]


@pytest.mark.parametrize("kind", every_guard_event_type(), ids=lambda kind: kind.__name__)
def test_every_guard_event_has_an_effect(kind: type[GuardEvent]) -> None:
    effects = GuardEffects(None, GuardPolicy(GuardConfig(), ()), AccountRef(1, 1, "S", 1, "USD"), None, "")  # type: ignore[arg-type]

    assert kind in effects.handlers()


async def test_an_event_without_an_effect_is_refused_rather_than_dropped(world: World) -> None:  # noqa: F811
    @dataclasses.dataclass(frozen=True)
    class Unheard(GuardEvent):
        pass

    await world.snapshot("10000")
    ref = AccountRef(world.device.account_id, 5012345, "Live", 42, "USD")
    async with world.uow() as uow:
        effects = GuardEffects(uow, GuardPolicy(GuardConfig(), ()), ref, world.clock(), "x")
        state = GuardState.from_dict(world.store[0].states[world.device.account_id]["guard"])
        with pytest.raises(TypeError, match="Unheard"):
            await effects.apply(state, [Unheard()])
