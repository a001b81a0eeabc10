"""Reconciliation live over the real Postgres and Redis: what the broker holds (snapshots through the
bridge, so positions come from the hot state and deals from the deals table) against the trades the
signals made us expect. Each cause is stored and alerted once, critical ones reach the admins, a cause
that is gone is resolved, two passes at once make one row and one alert, and the sweep finds a signal
that was never filled once its window is over."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from bot.app import Core
from core.api.schemas import SnapshotIn, to_snapshot, validate
from core.domain.codec import encode_time
from core.domain.models import Device
from core.domain.signals import Signal
from core.domain.snapshot import Side, Snapshot
from tests.api.conftest import link_device
from tests.conftest import FakeClock

TRADER = 4242
ADMIN = 900001  # make_settings' ADMIN_TELEGRAM_IDS
SIGNAL = "sig_r1"


def position(ticket: int, opened: datetime, **overrides: Any) -> dict[str, Any]:
    body = {
        "ticket": ticket, "symbol": "EURUSD", "side": "buy", "volume": "0.10", "open_price": "1.08550",
        "open_time": encode_time(opened), "sl": None, "tp": None, "price": "1.08600", "swap": "0",
        "profit": "5.00", "magic": 0, "comment": "",
    }  # fmt: skip
    return body | overrides


def deal(ticket: int, position_ticket: int, at: datetime, **overrides: Any) -> dict[str, Any]:
    body = {
        "ticket": ticket, "position": position_ticket, "symbol": "EURUSD", "type": "buy", "entry": "in",
        "reason": "client", "volume": "0.10", "price": "1.08550", "time": encode_time(at), "profit": "0",
        "commission": "0", "swap": "0", "magic": 0, "comment": "",
    }  # fmt: skip
    return body | overrides


class Terminal:
    """One linked account's EA, pushing snapshots straight into the bridge service."""

    def __init__(self, core: Core, device: Device, clock: FakeClock) -> None:
        self.core, self.device, self.clock, self.seq = core, device, clock, 0

    async def push(self, positions: list[dict[str, Any]], deals: list[dict[str, Any]] | None = None) -> None:
        await self.core.bridge.accept_snapshot(self.device, self.snapshot(positions, deals))

    def snapshot(
        self, positions: list[dict[str, Any]], deals: list[dict[str, Any]] | None = None
    ) -> Snapshot:
        self.seq += 1
        body = {
            "seq": self.seq,
            "time": encode_time(self.clock()),
            "account": {
                "login": self.device.login, "server": self.device.server, "currency": "USD",
                "balance": "10000.00", "equity": "10000.00", "margin": "0", "free_margin": "10000.00",
                "leverage": 100,
            },
            "positions": positions,
            "deals": deals or [],
            "quotes": [],
        }  # fmt: skip
        return to_snapshot(validate(SnapshotIn, body))


async def terminal(core: Core, clock: FakeClock) -> Terminal:
    linked = await link_device(core, TRADER)
    found = await core.credentials.get(linked.device_id)
    assert found is not None
    return Terminal(core, found.device, clock)


async def rows(core: Core, sql: str) -> list[tuple[Any, ...]]:
    async with core.engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql))]


async def divergences(core: Core) -> list[tuple[Any, ...]]:
    return await rows(
        core, "SELECT kind, severity, ticket, resolved_at IS NULL FROM divergences ORDER BY kind"
    )


async def alerts(core: Core) -> list[tuple[Any, ...]]:
    return await rows(
        core, "SELECT kind, chat_id FROM outbox WHERE kind LIKE '%divergence' ORDER BY kind, chat_id"
    )


async def account_id(core: Core) -> int:
    return int((await rows(core, "SELECT id FROM accounts"))[0][0])


async def follow_auto(core: Core) -> None:
    async with core.engine.begin() as connection:
        await connection.execute(text("UPDATE users SET signal_mode = 'auto'"))


async def post_signal(core: Core, clock: FakeClock, **fields: Any) -> str:
    """An auto-mode signal: its open_position is queued at once; returns the command's id."""
    signal = Signal(SIGNAL, "EURUSD", Side.BUY, clock(), volume=Decimal("0.10"), **fields)
    posted = await core.bot_services.signals.post("operator", signal)
    command_id = posted.deliveries[0].command_id
    assert command_id is not None
    return command_id


async def test_a_manual_position_is_one_divergence_and_one_alert_and_a_second_pass_changes_nothing(
    core: Core, clock: FakeClock
) -> None:
    ea = await terminal(core, clock)
    clock.advance(600)  # the trade is the trader's, opened after the account was linked
    opened = clock() - timedelta(minutes=5)
    await ea.push([position(5001, opened)], [deal(9001, 5001, opened)])

    # the snapshot brought a new deal: the bridge reconciled it once committed, no sweep needed
    assert await divergences(core) == [("manual_position", "info", 5001, True)]
    assert await alerts(core) == [("divergence", TRADER)]
    assert await core.reconciliation.run_once() == 0
    clock.advance(10)
    assert await core.reconciliation.run_once() == 0  # nothing changed: the sweep leaves it alone
    async with core.reconciliation.uow() as uow:  # and a forced pass finds the same, adds nothing
        recorded = await core.reconciliation.reconcile_account(uow, await account_id(core), clock())
        await uow.commit()
    assert not recorded.new and not recorded.changed
    assert await divergences(core) == [("manual_position", "info", 5001, True)]
    assert await alerts(core) == [("divergence", TRADER)]


async def test_a_bot_position_closed_by_a_stop_out_reaches_the_trader_and_the_admins(
    core: Core, clock: FakeClock
) -> None:
    ea = await terminal(core, clock)
    await follow_auto(core)
    command_id = await post_signal(core, clock)
    await core.bridge.acknowledge(
        ea.device,
        command_id,
        {"status": "done", "results": [{"ticket": 7001, "price": "1.08550"}], "message": ""},
    )
    opened = clock()
    clock.advance(120)
    tagged = {"magic": 7300, "comment": f"tg:{SIGNAL}", "reason": "expert"}
    stop_out = {"type": "sell", "entry": "out", "reason": "so", "price": "1.07000", "profit": "-155.00"}
    await ea.push([], [deal(9101, 7001, opened, **tagged), deal(9102, 7001, clock(), **stop_out)])

    await core.reconciliation.run_once()

    assert await divergences(core) == [("closed_externally", "critical", 7001, True)]
    assert await alerts(core) == [("admin_divergence", ADMIN), ("divergence", TRADER)]


async def test_a_divergence_that_is_gone_is_resolved_and_not_alerted_again(
    core: Core, clock: FakeClock
) -> None:
    ea = await terminal(core, clock)
    await follow_auto(core)
    command_id = await post_signal(core, clock, sl=Decimal("1.08000"))
    await core.bridge.acknowledge(
        ea.device, command_id, {"status": "done", "results": [{"ticket": 7002}], "message": ""}
    )
    tagged = {"magic": 7300, "comment": f"tg:{SIGNAL}"}
    opened = clock()
    clock.advance(60)
    await ea.push(
        [position(7002, opened, sl="1.07500", **tagged)],
        [deal(9201, 7002, opened, reason="expert", **tagged)],
    )
    await core.reconciliation.run_once()
    assert await divergences(core) == [("sl_tp_changed", "info", 7002, True)]

    clock.advance(5)
    await ea.push([position(7002, opened, sl="1.08000", **tagged)])  # the trader put the stop back
    await core.reconciliation.run_once()

    assert await divergences(core) == [("sl_tp_changed", "info", 7002, False)]
    assert await alerts(core) == [("divergence", TRADER)]
    view = (
        await core.reconciliation.of_user(await core.bot_services.users.resolve(TRADER, "Ann", None, "en"))
    )[0]
    assert view.reconciled_at == clock() and view.open == ()


async def test_two_passes_at_once_store_one_row_and_queue_one_alert(core: Core, clock: FakeClock) -> None:
    ea = await terminal(core, clock)
    clock.advance(600)  # the trade is the trader's, opened after the account was linked
    opened = clock() - timedelta(minutes=5)
    await ea.push([])  # the first snapshot is reconciled by the bridge: nothing to find yet
    await ea.push([position(5003, opened)])  # no new deal: left to a pass (the sweep's, here two)
    assert await divergences(core) == []
    account = await account_id(core)

    async def one_pass() -> bool:
        async with core.reconciliation.uow() as uow:
            recorded = await core.reconciliation.reconcile_account(uow, account, clock())
            await uow.commit()
        return bool(recorded.new)

    assert sorted(await asyncio.gather(one_pass(), one_pass())) == [False, True]
    assert await divergences(core) == [("manual_position", "info", 5003, True)]
    assert await alerts(core) == [("divergence", TRADER)]


async def test_the_sweep_finds_a_signal_not_executed_once_its_window_is_over(
    core: Core, clock: FakeClock
) -> None:
    await terminal(core, clock)
    await follow_auto(core)
    await post_signal(core, clock)

    assert await core.reconciliation.run_once() == 1  # queued since the last pass: judged, too early
    assert await divergences(core) == []
    clock.advance(300 + 30 - 1)  # RECONCILE_FILL_WINDOW_SECONDS + RECONCILE_GRACE_SECONDS, less a second
    assert await core.reconciliation.run_once() == 0
    clock.advance(1)
    assert await core.reconciliation.run_once() == 1

    assert await divergences(core) == [("not_executed", "warning", None, True)]
    assert await alerts(core) == [("divergence", TRADER)]


async def test_a_pass_inside_the_snapshots_transaction_sees_the_deals_stored_in_it(
    core: Core, clock: FakeClock
) -> None:
    """As the bridge calls it: the snapshot's positions given, its new deals stored but not committed."""
    ea = await terminal(core, clock)
    await ea.push([])
    account = await account_id(core)
    clock.advance(600)  # opened after the account was linked
    opened = clock() - timedelta(minutes=5)
    snapshot = ea.snapshot(
        [position(5004, opened)], [deal(9401, 5004, opened, reason="mobile", volume="0.05")]
    )

    async with core.reconciliation.uow() as uow:
        await uow.deals.add_new(account, snapshot.deals)
        recorded = await core.reconciliation.reconcile_account(uow, account, clock(), snapshot.positions)
        await uow.commit()
    await core.reconciliation.after_commit(account, recorded)

    # the position holds 0.10 lots, the deal stored in this very transaction 0.05: it was read
    assert recorded.alerted
    assert [one.kind.value for one in recorded.new] == ["manual_position", "volume_mismatch"]
    assert await alerts(core) == [("divergence", TRADER), ("divergence", TRADER)]


async def test_a_failing_pass_never_costs_the_snapshot_and_the_sweep_takes_it_up(
    core: Core, clock: FakeClock, monkeypatch: Any, caplog: Any
) -> None:
    ea = await terminal(core, clock)
    clock.advance(600)  # the trade is the trader's, opened after the account was linked
    opened = clock() - timedelta(minutes=5)
    real = core.reconciliation.reconcile_account

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("reconciliation defect")

    monkeypatch.setattr(core.reconciliation, "reconcile_account", broken)
    await ea.push([position(5004, opened)], [deal(9401, 5004, opened)])  # accepted all the same

    assert await rows(core, "SELECT ticket FROM deals") == [(9401,)]
    assert await rows(core, "SELECT last_seq FROM account_state") == [(ea.seq,)]
    assert await divergences(core) == []
    assert "reconciliation of account" in caplog.text

    monkeypatch.setattr(core.reconciliation, "reconcile_account", real)
    assert await core.reconciliation.run_once() == 1  # the stored pass never judged these positions
    assert await divergences(core) == [("manual_position", "info", 5004, True)]
    assert await alerts(core) == [("divergence", TRADER)]


async def test_positions_held_before_the_account_was_linked_are_no_divergence(
    core: Core, clock: FakeClock
) -> None:
    """A trader links an account that already holds trades: nothing was opened while we watched, so
    nobody is told of a "manual trade"; one opened after the link is."""
    before = clock() - timedelta(hours=2)
    ea = await terminal(core, clock)
    await ea.push([position(5101, before)], [deal(9501, 5101, before)])
    clock.advance(600)
    after = clock() - timedelta(minutes=5)
    await ea.push([position(5101, before), position(5102, after)], [deal(9502, 5102, after)])

    assert await divergences(core) == [("manual_position", "info", 5102, True)]
    assert await alerts(core) == [("divergence", TRADER)]
