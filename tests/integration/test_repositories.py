"""The repositories on the real Postgres: they hand back the domain objects they were given (the JSON
they store stays their business), and the operator's list of accounts is one statement however many
accounts there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from bot.app import Core
from core.domain.guard import GuardConfig, GuardState, Observation, observe
from core.domain.market import (
    GapDetected,
    MarketConfig,
    MoveDirection,
    QuotesStale,
    SpreadBlowout,
    SymbolMarket,
    observe_quote,
)
from core.domain.snapshot import AccountInfo, Quote, Snapshot, snapshot_to_json
from core.services.ports import GuardRef, SymbolMemory
from db.hot_market import RedisMarketMemory, memory_from_json

LINKED_AT = datetime(2026, 1, 1, tzinfo=UTC)

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


async def linked(core: Core, telegram_id: int, login: int, server: str = "Live") -> int:
    async with core.bot_services.users.uow() as uow:
        user = await uow.users.upsert(telegram_id, "Ann", None, "en")
        account = await uow.accounts.add(user.id, login, server, LINKED_AT)
        await uow.commit()
    return account.id


def guard_state(equity: str, peak: str) -> GuardState:
    """A state after two snapshots: a peak, then a fall from it (a warning, so not the default)."""
    state: GuardState | None = None
    for moment, value in ((T0, peak), (T0 + timedelta(seconds=5), equity)):
        observation = Observation(moment, Decimal(value), Decimal(peak), (1, 2))
        state, _ = observe(state, observation, GuardConfig())
    assert state is not None
    return state


async def reported(core: Core, account_id: int, login: int, state: GuardState, server: str = "Live") -> None:
    info = AccountInfo(
        login, server, "EUR", Decimal("10000.00"), state.last_equity, Decimal(0), Decimal(0), 100
    )
    snapshot = Snapshot(1, T0, info)
    async with core.bot_services.users.uow() as uow:
        await uow.states.save_snapshot(
            account_id, "dev_1", snapshot, snapshot_to_json(snapshot), state, None, core.clock()
        )
        await uow.commit()


@contextmanager
def statements(core: Core) -> Iterator[list[str]]:
    """The SQL statements sent to Postgres inside the block."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(core.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(core.engine.sync_engine, "before_cursor_execute", record)


async def test_a_guard_state_is_read_back_as_the_state_that_was_saved(core: Core) -> None:
    account_id = await linked(core, 1001, 5012345)
    state = guard_state("8800.00", "10000.00")
    await reported(core, account_id, 5012345, state)

    async with core.bot_services.users.uow() as uow:
        read = await uow.states.guard(account_id)
        locked = await uow.states.lock_guard(account_id)
        context = await uow.states.lock_for_snapshot(account_id, "dev_1")
        changed = GuardState.from_dict({**state.to_dict(), "locked": True})
        await uow.states.save_guard(account_id, changed, None)
        after = await uow.states.guard(account_id)

    assert read == locked == context.guard == state
    assert repr(read) == repr(state)  # Decimals keep their exponent, times their zone
    assert after == changed


async def test_an_account_without_a_snapshot_has_no_guard_state_and_no_currency(core: Core) -> None:
    account_id = await linked(core, 1001, 5012345)

    async with core.bot_services.users.uow() as uow:
        context = await uow.states.lock_for_snapshot(account_id, "dev_1")
        assert await uow.states.guard(account_id) is None
        assert await uow.states.lock_guard(account_id) is None
        ref = await uow.accounts.guard_ref(account_id)

    assert context.guard is None and not context.has_state
    assert ref == GuardRef(5012345, "Live", 1001, None)


async def test_the_accounts_list_is_one_statement_however_many_accounts_there_are(core: Core) -> None:
    ids = [await linked(core, 1001 + n, 5012345 + n) for n in range(5)]
    for n, account_id in enumerate(ids[:3]):
        await reported(core, account_id, 5012345 + n, guard_state("8800.00" if n else "10000.00", "10000.00"))

    async with core.bot_services.users.uow() as uow:
        with statements(core) as sent:
            every = await uow.accounts.all_with_state(None, 200)
            warned = await uow.accounts.all_with_state("warning", 200)
            first_two = await uow.accounts.all_with_state(None, 2)
        one_by_one = [await uow.states.view(account_id) for account_id in ids]

    assert len(sent) == 3
    assert every == one_by_one
    assert [view.account_id for view in warned] == ids[1:3]
    assert first_two == one_by_one[:2]


def market_memory() -> SymbolMemory:
    state: SymbolMarket | None = None
    for step in range(3):
        bid = Decimal("2650.10") + step
        quote = Quote("XAUUSD", bid, bid + Decimal("0.30"), T0 + timedelta(seconds=10 * step))
        state, _ = observe_quote(state, quote, MarketConfig())
    assert state is not None
    recent = (
        GapDetected(
            "XAUUSD", Decimal("2650.10"), T0, Decimal("2600.00"), T0, Decimal("-1.89"), MoveDirection.DOWN, 1
        ),
        SpreadBlowout("XAUUSD", Decimal("3.00"), Decimal("0.30"), Decimal("10.0"), None, T0, 2, Decimal("0")),
        QuotesStale("XAUUSD", T0 - timedelta(minutes=5), T0, 3),
    )  # fmt: skip
    return SymbolMemory(state, recent)


async def test_a_symbols_market_memory_is_read_back_as_it_was_saved(core: Core) -> None:
    memory = market_memory()
    memories = RedisMarketMemory(core.redis)
    await memories.update("Live", ["XAUUSD"], lambda stored: ({"XAUUSD": memory}, None))
    stored = await memories.update("Live", ["XAUUSD", "EURUSD"], lambda stored: ({}, stored))

    assert stored == {"XAUUSD": memory}
    assert repr(stored["XAUUSD"]) == repr(memory)


def test_market_memory_stored_before_the_repositories_returned_domain_objects_is_still_read() -> None:
    memory = market_memory()
    gap = {
        "kind": "gap", "symbol": "XAUUSD", "previous_bid": "2650.10", "previous_time": T0.isoformat(),
        "bid": "2600.00", "time": T0.isoformat(), "move_percent": "-1.89", "direction": "down", "episode": 1,
    }  # fmt: skip
    stored = {"state": memory.state.to_dict(), "recent": [gap]}

    assert memory_from_json(stored) == SymbolMemory(memory.state, memory.recent[:1])
    assert memory_from_json({"state": memory.state.to_dict()}) == SymbolMemory(memory.state)
