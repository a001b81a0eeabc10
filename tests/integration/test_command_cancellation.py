"""Withdrawing commands on the real Postgres: only the pending ones under the exact key prefix."""

from __future__ import annotations

from bot.app import Core
from core.domain.commands import CommandRequest, CommandStatus, CommandType
from tests.api.conftest import link_device
from tests.api.wire import account_id_of
from tests.conftest import FakeClock


async def test_cancelling_a_breachs_commands_leaves_other_breaches_settled_ones_and_wildcards_alone(
    core: Core, clock: FakeClock
) -> None:
    await link_device(core)
    account_id = await account_id_of(core, 5012345)
    keys = [f"close_all:{account_id}:1:0", f"close_all:{account_id}:1:2", f"close_all:{account_id}:10:0"]
    keys += [f"closeXall:{account_id}:1:0", f"close_all:{account_id}:1:settled"]  # "_" is no wildcard
    async with core.bot_services.users.uow() as uow:
        issued = {
            key: await uow.commands.issue(
                account_id, CommandRequest(key, CommandType.CLOSE_ALL, "admin"), clock(), 3600
            )
            for key in keys
        }
        settled = issued[f"close_all:{account_id}:1:settled"]
        assert settled is not None
        await uow.commands.record_ack(settled.id, CommandStatus.DONE, {"status": "done"}, clock())
        withdrawn = await uow.commands.cancel_pending(account_id, f"close_all:{account_id}:1:", clock())
        await uow.commit()

    async with core.bot_services.users.uow() as uow:
        after = {
            key: (await uow.commands.get_for(c.id, account_id)).status.value for key, c in issued.items() if c
        }  # type: ignore[union-attr]
        still = [command.id for command in await uow.commands.pending(account_id, clock())]
    assert withdrawn == 2
    assert after == {
        f"close_all:{account_id}:1:0": "cancelled",
        f"close_all:{account_id}:1:2": "cancelled",
        f"close_all:{account_id}:10:0": "pending",
        f"closeXall:{account_id}:1:0": "pending",
        f"close_all:{account_id}:1:settled": "done",
    }
    assert sorted(still) == sorted([issued[keys[2]].id, issued[keys[3]].id])  # type: ignore[union-attr]
