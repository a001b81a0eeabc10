"""Authorisation lives in the use cases: every admin operation refuses a trader itself, on the record."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from core.domain.account_key import AccountKey
from core.domain.guard import GuardConfig
from core.domain.models import User
from core.services.admin import AdminService
from core.services.errors import Forbidden
from core.services.guard import GuardPolicy, GuardService
from core.services.linking import LinkService
from core.services.secrets import SecretBox
from core.services.users import UserService
from tests.conftest import FakeClock
from tests.service.fakes import FakeUnitOfWork, NullCache, Recorder, Store

ADMIN = 900
TRADER = 42
KEY = AccountKey(5012345, "Live")

Operation = Callable[[AdminService, User], Awaitable[Any]]
OPERATIONS: dict[str, Operation] = {
    "liquidate": lambda admin, who: admin.act(who, KEY, "liquidate", "because"),
    "lock": lambda admin, who: admin.act(who, KEY, "lock"),
    "unlock": lambda admin, who: admin.act(who, KEY, "unlock"),
    "reset_peak": lambda admin, who: admin.act(who, KEY, "reset_peak"),
    "account": lambda admin, who: admin.detail(who, KEY),
    "accounts_all": lambda admin, who: admin.accounts(who, None),
    "key_of": lambda admin, who: admin.key_of(who, 1),
}


@pytest.fixture
async def world() -> tuple[list[Store], AdminService, User]:
    store = [Store()]  # the fake unit of work replaces store[0] on commit
    clock = FakeClock(datetime(2026, 11, 27, 21, 0, tzinfo=UTC))

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    guard = GuardService(GuardPolicy(GuardConfig(grace_seconds=0), (ADMIN,)))
    trader = await UserService(uow).resolve(TRADER, "Ann", None, "en")
    await LinkService(uow, SecretBox("k"), clock, NullCache()).link(trader, KEY.login, "Live")
    return store, AdminService(uow, guard, NullCache(), Recorder(), (ADMIN,), clock), trader


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
async def test_every_admin_operation_refuses_a_trader_and_records_the_attempt(
    world: tuple[list[Store], AdminService, User], operation: str
) -> None:
    store, admin, trader = world
    before_commands = dict(store[0].commands)

    with pytest.raises(Forbidden):
        await OPERATIONS[operation](admin, trader)

    refusals = [entry for _, entry in store[0].audit if entry.action == "admin.refused"]
    assert len(refusals) == 1
    assert refusals[0].actor == f"user:{TRADER}"
    assert store[0].commands == before_commands


async def test_an_admin_passes_the_same_check(world: tuple[list[Store], AdminService, User]) -> None:
    store, admin, _ = world
    olga = User(7, ADMIN, "Olga", "ru")
    (detail,) = await admin.detail(olga, KEY)
    assert (detail.view.login, detail.view.server) == (KEY.login, KEY.server)
    assert not [entry for _, entry in store[0].audit if entry.action == "admin.refused"]
