"""The global halt on the real Postgres: the command repository and the database itself refuse an
open_position while halted, a halt and an order being issued never cross, and a restart keeps the halt."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.app import Core, open_core
from core.domain.commands import CommandRequest, CommandType, IssuedCommand
from core.domain.halt import TradingHalted, halt_stops
from core.domain.models import User
from tests.conftest import FakeClock, clean_state, make_settings

LINKED_AT = datetime(2026, 1, 1, tzinfo=UTC)

ADMIN = User(0, 900001, "Olga", "en")
OPEN = CommandRequest(
    "open:sig_1:1", CommandType.OPEN_POSITION, "signal", {"symbol": "EURUSD", "side": "buy"}
)
CLOSE = CommandRequest("close:1:1", CommandType.CLOSE_POSITION, "admin", {"ticket": 5})


async def linked_account(core: Core, telegram_id: int = 1001, login: int = 5012345) -> int:
    async with core.bot_services.users.uow() as uow:
        user = await uow.users.upsert(telegram_id, "Ann", None, "en")
        account = await uow.accounts.add(user.id, login, "Live", LINKED_AT)
        await uow.commit()
    return account.id


async def issue(core: Core, account_id: int, request: CommandRequest) -> IssuedCommand | None:
    async with core.bot_services.users.uow() as uow:
        issued = await uow.commands.issue(account_id, request, core.clock(), 60)
        await uow.commit()
    return issued


async def command_types(core: Core) -> list[str]:
    async with core.engine.connect() as connection:
        return list((await connection.execute(text("SELECT type FROM commands ORDER BY issued"))).scalars())


async def test_while_halted_the_repository_refuses_an_open_position_and_still_issues_a_close(
    core: Core,
) -> None:
    account_id = await linked_account(core)
    await core.bot_services.halt.halt(ADMIN, "SNB")

    with pytest.raises(TradingHalted) as refused:
        await issue(core, account_id, OPEN)
    closed = await issue(core, account_id, CLOSE)

    assert refused.value.current is not None and refused.value.current.note == "SNB"
    assert closed is not None
    assert await command_types(core) == ["close_position"]


async def test_after_resume_an_open_position_is_issued_once_per_dedupe_key(core: Core) -> None:
    account_id = await linked_account(core)
    await core.bot_services.halt.halt(ADMIN)
    await core.bot_services.halt.resume(ADMIN)

    first, again = await issue(core, account_id, OPEN), await issue(core, account_id, OPEN)

    assert first is not None and first.type is CommandType.OPEN_POSITION and again is None


@pytest.mark.parametrize("command_type", list(CommandType))
async def test_the_database_refuses_exactly_what_the_halt_rule_stops_whoever_writes_the_row(
    core: Core, command_type: CommandType
) -> None:
    account_id = await linked_account(core)
    await core.bot_services.halt.halt(ADMIN)
    insert = text(
        "INSERT INTO commands (id, account_id, dedupe_key, type, body, status, created_at, expires_at)"
        " VALUES ('cmd_raw', :account, 'raw', :type, '{}', 'pending', now(), now() + interval '1 minute')"
    )

    async with core.engine.connect() as connection:
        try:
            await connection.execute(insert, {"account": account_id, "type": command_type.value})
            refused = False
        except DBAPIError as error:
            assert "trading is halted" in str(error)
            refused = True

    assert refused is halt_stops(command_type)


async def test_a_halt_waits_for_an_order_being_issued_then_withdraws_it(core: Core) -> None:
    account_id = await linked_account(core)
    async with core.bot_services.users.uow() as issuing:
        issued = await issuing.commands.issue(account_id, OPEN, core.clock(), 60)
        halting = asyncio.create_task(core.bot_services.halt.halt(ADMIN))
        await asyncio.sleep(0.3)
        assert not halting.done()  # the halt waits for the order's transaction
        await issuing.commit()
    change = await asyncio.wait_for(halting, 5)

    assert issued is not None and change.withdrawn == (issued.id,)
    async with core.bot_services.users.uow() as uow:
        assert await uow.commands.pending(account_id, core.clock()) == []
        withdrawn = await uow.commands.get_for(issued.id, account_id)
    assert withdrawn is not None and withdrawn.status.value == "cancelled"  # its ack changes nothing


async def test_an_order_issued_while_a_halt_is_committing_waits_and_is_refused(core: Core) -> None:
    account_id = await linked_account(core)
    async with core.bot_services.users.uow() as halting:
        await halting.halt.lock()
        await halting.halt.start("admin:900001", "", core.clock())
        issuing = asyncio.create_task(issue(core, account_id, OPEN))
        await asyncio.sleep(0.3)
        assert not issuing.done()  # the order waits for the halt's transaction
        await halting.commit()

    with pytest.raises(TradingHalted):
        await asyncio.wait_for(issuing, 5)
    assert await command_types(core) == []


async def test_only_traders_with_a_linked_account_who_have_not_blocked_the_bot_are_told(core: Core) -> None:
    await linked_account(core, 1001, 5012345)
    await linked_account(core, 1002, 6023456)
    await linked_account(core, 1003, 7034567)
    async with core.bot_services.users.uow() as uow:
        await uow.users.upsert(1004, "No account", None, "en")
        await uow.users.mark_blocked(1003, True)
        await uow.commit()

    change = await core.bot_services.halt.halt(ADMIN)

    assert change.traders_told == 2
    async with core.engine.connect() as connection:
        chats = (await connection.execute(text("SELECT chat_id FROM outbox ORDER BY chat_id"))).scalars()
        assert list(chats) == [1001, 1002]


async def test_a_halt_survives_a_restart(tmp_path: Path) -> None:
    await clean_state()
    settings = make_settings(tmp_path)
    async with open_core(settings, FakeClock()) as before:
        account_id = await linked_account(before)
        await before.bot_services.halt.halt(ADMIN, "before the restart")

    async with open_core(settings, FakeClock()) as after:
        current = await after.bot_services.halt.current()
        with pytest.raises(TradingHalted):
            await issue(after, account_id, OPEN)

    assert current is not None and (current.number, current.note) == (1, "before the restart")
