"""Issue 13: admins hear once when a dependency has been down for a minute, and once when it is back;
on a fake clock, over fakes of our ports, with the messages rendered as the admins read them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from bot.i18n import translator
from bot.render import render_alert
from core.domain.alerts import AlertBody
from core.services.degraded import AdminLanguages, DegradedWatcher
from core.services.health import HealthBoard
from tests.conftest import FakeClock
from tests.service.fakes import FakeUnitOfWork, Store

OLGA, PABLO, NEW_ADMIN = 900, 901, 902


class World:
    def __init__(self) -> None:
        self.clock = FakeClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
        self.t = 0.0
        self.up = {"postgres": True, "redis": True, "telegram": True}
        self.store = [Store()]
        self.sent: list[tuple[int, str]] = []
        self.board = HealthBoard()
        self.watcher = DegradedWatcher(
            {name: self._probe(name) for name in self.up},
            self.board,
            self._notify,
            (OLGA, PABLO, NEW_ADMIN),
            AdminLanguages(self._uow, lambda: self.t),
            self.clock,
            monotonic=lambda: self.t,
        )

    def _probe(self, name: str) -> Callable[[], object]:
        async def probe() -> None:
            if not self.up[name]:
                raise ConnectionError(f"{name} unreachable")

        return probe

    def _uow(self) -> FakeUnitOfWork:
        if not self.up["postgres"]:
            raise ConnectionError("postgres unreachable")
        return FakeUnitOfWork(self.store)

    async def _notify(self, chat: int, language: str, alert: AlertBody) -> None:
        if not self.up["telegram"]:
            raise ConnectionError("telegram unreachable")
        self.sent.append((chat, render_alert(translator(language), alert)))

    async def add_admin(self, telegram_id: int, language: str) -> None:
        async with FakeUnitOfWork(self.store) as uow:
            await uow.users.upsert(telegram_id, "Admin", None, language)
            await uow.commit()

    async def run_for(self, seconds: float, step: float = 5.0) -> None:
        """Passes every `step` seconds for `seconds`, the first one now."""
        end = self.t + seconds
        while True:
            await self.watcher.run_once()
            if self.t + step > end:
                return
            self.t += step
            self.clock.advance(step)

    def told(self, chat: int) -> list[str]:
        return [text for to, text in self.sent if to == chat]


@pytest.fixture
async def world() -> World:
    w = World()
    await w.add_admin(OLGA, "ru")
    await w.add_admin(PABLO, "es")
    await w.run_for(0)  # the watcher's first pass learns the admins' languages
    return w


async def test_a_dependency_down_59_seconds_tells_nobody(world: World) -> None:
    world.up["redis"] = False
    await world.run_for(59, step=1)
    world.up["redis"] = True
    await world.run_for(120)
    assert world.sent == []


async def test_down_61_seconds_tells_each_admin_once_then_once_when_back(world: World) -> None:
    world.up["redis"] = False
    await world.run_for(61, step=1)
    assert world.told(OLGA) == [
        "🔴 TradeGuard работает со сбоями: <b>Redis</b> недоступен с 2 мар. 2026\u202fг., 10:00:00. "
        "Оповещения, команды и ликвидации могут задерживаться; сервис сам продолжает попытки. "
        "Когда он восстановится, придёт одно сообщение."
    ]
    assert world.told(PABLO)[0].startswith("🔴 TradeGuard funciona con fallos: <b>Redis</b> no responde")
    assert world.told(NEW_ADMIN)[0].startswith("🔴 TradeGuard is degraded: <b>Redis</b> has been unreachable")
    await world.run_for(300)  # still down: nothing more
    assert len(world.sent) == 3

    world.up["redis"] = True
    await world.run_for(60)
    assert len(world.told(OLGA)) == 2
    since = "2 мар. 2026\u202fг., 10:00:00"
    assert world.told(OLGA)[1].startswith(f"🟢 <b>Redis</b> снова доступен (был недоступен с {since} до")
    assert [text[:1] for text in world.told(NEW_ADMIN)] == ["🔴", "🟢"]
    await world.run_for(600)
    assert len(world.sent) == 6


async def test_a_flapping_dependency_is_one_outage_not_a_message_per_blip(world: World) -> None:
    world.up["postgres"] = False
    await world.run_for(65)
    for _ in range(20):  # ten seconds back, ten seconds gone, for almost seven minutes
        world.up["postgres"] = True
        await world.run_for(10)
        world.up["postgres"] = False
        await world.run_for(10)
    assert [text[:1] for text in world.told(OLGA)] == ["🔴"]
    world.up["postgres"] = True
    await world.run_for(60)
    assert [text[:1] for text in world.told(OLGA)] == ["🔴", "🟢"]


async def test_short_blips_never_add_up_to_a_message(world: World) -> None:
    for _ in range(30):
        world.up["redis"] = False
        await world.run_for(40)
        world.up["redis"] = True
        await world.run_for(5)
    assert world.sent == []


async def test_with_postgres_down_admins_are_told_in_the_language_they_chose(world: World) -> None:
    world.up["postgres"] = False
    await world.run_for(61)
    assert "<b>PostgreSQL</b> недоступен" in world.told(OLGA)[0]
    assert "<b>PostgreSQL</b> no responde" in world.told(PABLO)[0]


async def test_with_telegram_down_the_messages_wait_and_go_once_it_is_back(world: World) -> None:
    world.up["telegram"] = False
    await world.run_for(120)
    assert world.sent == []
    world.up["telegram"] = True
    await world.run_for(60)
    assert [text[:1] for text in world.told(OLGA)] == ["🔴", "🟢"]
    assert "<b>Telegram</b>" in world.told(OLGA)[0]
    await world.run_for(300)
    assert len(world.sent) == 6


async def test_prometheus_sees_the_dependency_down_and_for_how_long(world: World) -> None:
    registry = CollectorRegistry()
    registry.register(world.watcher)
    registry.register(world.board)
    world.up["redis"] = False
    await world.run_for(30)
    text = generate_latest(registry).decode()
    assert 'tradeguard_dependency_up{dependency="redis"} 0.0' in text
    assert 'tradeguard_dependency_up{dependency="postgres"} 1.0' in text
    assert 'tradeguard_dependency_down_seconds{dependency="redis"} 30.0' in text
    assert 'tradeguard_loop_healthy{loop="probe-redis"} 0.0' in text
