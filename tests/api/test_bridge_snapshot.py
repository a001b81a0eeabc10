"""BRIDGE.md's happy paths as an EA author sees them: ping, snapshots, deals, commands and acks."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.app import Core
from core.domain.codec import encode_time
from tests.api.conftest import Bridge
from tests.api.state import deal_rows, stored
from tests.api.wire import (
    COMMANDS,
    ISO_UTC_MILLIS,
    PING,
    SNAPSHOT,
    accepted,
    account_id_of,
    add_command,
    as_device,
    refusal,
    second_device,
    snapshot,
    with_literals,
)

ACK_DONE: dict[str, Any] = {
    "status": "done",
    "results": [{"ticket": 123456, "closed_volume": "0.10", "price": "1.08390", "profit": "-16.00"}],
    "message": "",
}


def ack_path(command_id: str) -> str:
    return f"{COMMANDS}/{command_id}/ack"


# --- ping ---------------------------------------------------------------------------------------


async def test_ping_answers_ok_the_server_time_in_utc_and_the_linked_account(bridge: Bridge) -> None:
    answer = await accepted(await bridge.call("GET", PING))
    assert answer == {
        "ok": True,
        "server_time": encode_time(bridge.clock(), "milliseconds"),
        "login": bridge.device.login,
        "server": bridge.device.server,
    }
    assert ISO_UTC_MILLIS.match(answer["server_time"])


# --- snapshots ----------------------------------------------------------------------------------


async def test_an_accepted_snapshot_answers_accepted_its_seq_the_server_time_and_the_commands(
    bridge: Bridge,
) -> None:
    answer = await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1842)))
    assert answer == {
        "accepted": True,
        "seq": 1842,
        "server_time": encode_time(bridge.clock(), "milliseconds"),
        "commands": [],
    }
    assert ISO_UTC_MILLIS.match(answer["server_time"])


async def test_an_accepted_snapshot_becomes_the_accounts_latest_state(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=3)))
    after = await stored(core)
    state = after.only_state
    assert (state.last_seq, state.currency) == (3, "USD")
    assert state.equity == Decimal("9850.50")
    assert (state.balance, state.margin) == (Decimal("10000.00"), Decimal("120.00"))
    assert state.last_snapshot_at == datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
    assert state.received_at == bridge.clock()
    [position] = state.snapshot["positions"]
    assert position["ticket"] == 123456
    assert (position["side"], position["volume"], position["open_price"]) == ("buy", "0.10", "1.08550")
    assert state.snapshot["quotes"][0]["bid"] == "1.08400"
    assert (
        after.latest_in_redis[0] is not None and json.loads(after.latest_in_redis[0])["snapshot"]["seq"] == 3
    )


@pytest.mark.parametrize("resent_seq", [5, 4, 0], ids=["same-seq", "lower-seq", "seq-zero"])
async def test_a_snapshot_whose_seq_is_not_greater_is_a_duplicate_that_changes_nothing_even_if_it_differs(
    bridge: Bridge, core: Core, resent_seq: int
) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=5)))
    before = await stored(core)
    different = snapshot(seq=resent_seq, equity="9000.00", balance="9500.00")
    different["deals"][0]["ticket"] = 987999
    different["positions"] = []
    answer = await accepted(await bridge.call("POST", SNAPSHOT, different))
    assert answer["duplicate"] is True
    assert answer["accepted"] is True
    assert answer["seq"] == 5  # the last seq the server accepted
    assert answer["commands"] == []
    assert await stored(core) == before


async def test_a_higher_seq_after_a_duplicate_is_accepted_again(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=5)))
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=5)))
    answer = await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=6, equity="9800.00")))
    assert "duplicate" not in answer
    state = (await stored(core)).only_state
    assert (state.last_seq, state.equity) == (6, Decimal("9800.00"))


@pytest.mark.parametrize("value", ["9850.50", "9850.12345678", "1234567890.12345678"])
@pytest.mark.parametrize("form", ["json-number", "decimal-string"])
async def test_equity_is_stored_exactly_whether_sent_as_a_json_number_or_a_decimal_string(
    bridge: Bridge, core: Core, value: str, form: str
) -> None:
    literal = value if form == "json-number" else f'"{value}"'
    raw = with_literals(snapshot(equity="@equity"), equity=literal)
    await accepted(await bridge.call("POST", SNAPSHOT, raw=raw))
    state = (await stored(core)).only_state
    assert state.equity == Decimal(value)  # a float would have lost the last digits of the long one
    assert Decimal(state.snapshot["account"]["equity"]) == Decimal(value)


async def test_deal_prices_and_volumes_given_as_json_numbers_are_stored_exactly(
    bridge: Bridge, core: Core
) -> None:
    body = snapshot()
    body["deals"][0].update(volume="@volume", price="@price", profit="@profit", commission="@commission")
    raw = with_literals(body, volume="0.10", price="1.08551", profit="-12345678.87654321", commission="-0.7")
    await accepted(await bridge.call("POST", SNAPSHOT, raw=raw))
    [deal] = await deal_rows(core)
    assert (deal["volume"], deal["price"]) == (Decimal("0.10"), Decimal("1.08551"))
    assert (deal["profit"], deal["commission"]) == (Decimal("-12345678.87654321"), Decimal("-0.7"))


async def test_times_given_as_unix_seconds_are_accepted_and_stored_as_utc(bridge: Bridge, core: Core) -> None:
    moment = 1795813200  # 2026-11-27T21:00:00Z
    body = snapshot()
    body["time"] = moment
    body["positions"][0]["open_time"] = moment - 298
    body["deals"][0]["time"] = moment - 298
    body["quotes"][0]["time"] = moment
    await accepted(await bridge.call("POST", SNAPSHOT, body))
    state = (await stored(core)).only_state
    assert state.last_snapshot_at == datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
    assert state.snapshot["positions"][0]["open_time"] == "2026-11-27T20:55:02Z"
    [deal] = await deal_rows(core)
    assert deal["time"] == datetime(2026, 11, 27, 20, 55, 2, tzinfo=UTC)


# --- deals --------------------------------------------------------------------------------------


async def test_a_deal_resent_in_a_later_snapshot_is_stored_once(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    again = snapshot(seq=2)
    again["deals"].append(dict(again["deals"][0], ticket=987002, entry="out", profit="-16.00"))
    await accepted(await bridge.call("POST", SNAPSHOT, again))
    assert (await stored(core)).deal_tickets == ((1, 987001), (1, 987002))


async def test_a_resent_deal_keeps_what_was_first_stored(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    again = snapshot(seq=2)
    again["deals"][0]["profit"] = "999.00"
    await accepted(await bridge.call("POST", SNAPSHOT, again))
    [deal] = await deal_rows(core)
    assert deal["profit"] == Decimal("0.00")


async def test_a_deal_listed_twice_in_one_snapshot_is_stored_once(bridge: Bridge, core: Core) -> None:
    body = snapshot()
    body["deals"].append(dict(body["deals"][0]))
    await accepted(await bridge.call("POST", SNAPSHOT, body))
    assert (await stored(core)).deal_tickets == ((1, 987001),)


async def test_deal_tickets_are_unique_per_account_so_two_accounts_may_share_one(
    bridge: Bridge, core: Core
) -> None:
    other_device = await second_device(core)
    other = as_device(bridge, other_device)
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))
    await accepted(await other.call("POST", SNAPSHOT, snapshot(login=other_device.login)))
    assert (await stored(core)).deal_tickets == ((1, 987001), (2, 987001))


async def test_every_field_of_a_deal_is_stored_as_sent(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot()))
    [deal] = await deal_rows(core)
    assert {name: deal[name] for name in ("ticket", "position", "symbol", "type", "entry", "reason")} == {
        "ticket": 987001,
        "position": 123456,
        "symbol": "EURUSD",
        "type": "buy",
        "entry": "in",
        "reason": "expert",
    }
    assert (deal["volume"], deal["price"], deal["commission"]) == (
        Decimal("0.10"),
        Decimal("1.08550"),
        Decimal("-0.70"),
    )
    assert (deal["magic"], deal["comment"]) == (7300, "tg:sig_8f3a")


# --- the connected alert -------------------------------------------------------------------------


async def test_the_first_accepted_snapshot_queues_one_account_connected_alert_for_the_owner(
    bridge: Bridge, core: Core
) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    connected = [alert for alert in (await stored(core)).outbox if alert.kind == "account_connected"]
    assert len(connected) == 1
    assert connected[0].chat_id == bridge.device.telegram_id
    assert connected[0].params == {
        "login": 5012345,
        "server": "Broker-Live",
        "equity": "9850.50",
        "balance": "10000.00",
        "currency": "USD",
    }


async def test_later_snapshots_do_not_queue_another_connected_alert(bridge: Bridge, core: Core) -> None:
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=2, equity="9851.00")))
    await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=2)))  # a duplicate, too
    assert (await stored(core)).kinds().count("account_connected") == 1


async def test_concurrent_snapshots_keep_the_highest_seq_and_queue_one_connected_alert(
    bridge: Bridge, core: Core
) -> None:
    answers = await asyncio.gather(*(bridge.call("POST", SNAPSHOT, snapshot(seq=seq)) for seq in range(1, 9)))
    assert all(answer.status == 200 for answer in answers)
    for answer in answers:
        await answer.release()
    after = await stored(core)
    assert after.only_state.last_seq == 8
    assert after.kinds().count("account_connected") == 1
    assert after.deal_tickets == ((1, 987001),)


# --- commands and acks ----------------------------------------------------------------------------


async def test_get_commands_answers_an_empty_list_when_nothing_is_pending(bridge: Bridge) -> None:
    assert await accepted(await bridge.call("GET", COMMANDS)) == {"commands": []}


async def pending_pair(core: Core, bridge: Bridge) -> tuple[dict[str, Any], dict[str, Any]]:
    account_id = await account_id_of(core, bridge.device.login)
    now = bridge.clock()
    expires = now + timedelta(minutes=5)
    newer = await add_command(core, account_id, "cmd_newer", now - timedelta(seconds=5), expires)
    older = await add_command(core, account_id, "cmd_older", now - timedelta(seconds=9), expires)
    return older, newer


async def test_pending_commands_are_listed_oldest_first_by_get_commands_and_in_every_snapshot_answer(
    bridge: Bridge, core: Core
) -> None:
    older, newer = await pending_pair(core, bridge)
    assert await accepted(await bridge.call("GET", COMMANDS)) == {"commands": [older, newer]}
    answer = await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    assert answer["commands"] == [older, newer]
    duplicate = await accepted(await bridge.call("POST", SNAPSHOT, snapshot(seq=1)))
    assert duplicate["duplicate"] is True
    assert duplicate["commands"] == [older, newer]  # a client resending after a timeout still learns them


async def test_a_command_past_its_expiry_is_no_longer_listed(bridge: Bridge, core: Core) -> None:
    account_id = await account_id_of(core, bridge.device.login)
    now = bridge.clock()
    await add_command(core, account_id, "cmd_short", now, now + timedelta(seconds=60))
    assert len((await accepted(await bridge.call("GET", COMMANDS)))["commands"]) == 1
    bridge.clock.advance(61)
    assert await accepted(await bridge.call("GET", COMMANDS)) == {"commands": []}


async def test_a_device_never_sees_the_commands_of_another_device(bridge: Bridge, core: Core) -> None:
    other_device = await second_device(core)
    other = as_device(bridge, other_device)
    now = bridge.clock()
    theirs = await add_command(
        core, await account_id_of(core, other_device.login), "cmd_theirs", now, now + timedelta(minutes=5)
    )
    assert await accepted(await bridge.call("GET", COMMANDS)) == {"commands": []}
    assert await accepted(await other.call("GET", COMMANDS)) == {"commands": [theirs]}


async def test_an_ack_for_an_unknown_command_is_refused_with_404_unknown_command_and_changes_nothing(
    bridge: Bridge, core: Core
) -> None:
    await pending_pair(core, bridge)
    before = await stored(core)
    await refusal(await bridge.call("POST", ack_path("cmd_nosuch"), ACK_DONE), 404, "unknown_command")
    assert await stored(core) == before


async def test_an_ack_for_a_command_of_another_device_is_refused_with_404_and_leaves_it_pending(
    bridge: Bridge, core: Core
) -> None:
    other_device = await second_device(core)
    now = bridge.clock()
    account_id = await account_id_of(core, other_device.login)
    await add_command(core, account_id, "cmd_theirs", now, now + timedelta(minutes=5))
    before = await stored(core)
    await refusal(await bridge.call("POST", ack_path("cmd_theirs"), ACK_DONE), 404, "unknown_command")
    assert await stored(core) == before
    assert before.command("cmd_theirs").status == "pending"


@pytest.mark.parametrize(
    ("status", "settled_as"),
    [("done", "done"), ("failed", "failed"), ("partial", "pending")],
    ids=["done", "failed", "partial"],
)
async def test_an_acked_command_stops_being_repeated_unless_the_ack_says_partial(
    bridge: Bridge, core: Core, status: str, settled_as: str
) -> None:
    older, newer = await pending_pair(core, bridge)
    ack = dict(ACK_DONE, status=status, message="market closed" if status == "failed" else "")
    assert await accepted(await bridge.call("POST", ack_path("cmd_older"), ack)) == {"ok": True}
    listed = (await accepted(await bridge.call("GET", COMMANDS)))["commands"]
    # BRIDGE.md: after `partial` the command stays pending and the server repeats it
    assert listed == ([older, newer] if status == "partial" else [newer])
    recorded = (await stored(core)).command("cmd_older")
    assert recorded.status == settled_as
    assert recorded.ack == {
        "status": status,
        "results": [{"ticket": 123456, "closed_volume": "0.10", "price": "1.08390", "profit": "-16.00"}],
        "message": ack["message"],
    }
    assert recorded.acked_at == bridge.clock()


async def test_the_same_ack_again_answers_200_and_changes_nothing(bridge: Bridge, core: Core) -> None:
    await pending_pair(core, bridge)
    await accepted(await bridge.call("POST", ack_path("cmd_older"), ACK_DONE))
    before = await stored(core)
    assert before.command("cmd_older").status == "done"
    bridge.clock.advance(5)
    assert await accepted(await bridge.call("POST", ack_path("cmd_older"), ACK_DONE)) == {"ok": True}
    assert await stored(core) == before


@pytest.mark.parametrize(
    ("ack", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"results": []}, "status"),
        ({"status": "done", "results": [{"ticket": -1}]}, "results[0].ticket"),
        ({"status": "done", "results": [{"ticket": 1, "closed_volume": "lots"}]}, "results[0].closed_volume"),
        ([], "body"),
    ],
    ids=["unknown-status", "no-status", "negative-ticket", "volume-a-word", "a-json-array"],
)
async def test_a_malformed_ack_is_refused_with_400_invalid_payload_and_settles_nothing(
    bridge: Bridge, core: Core, ack: Any, field: str
) -> None:
    await pending_pair(core, bridge)
    before = await stored(core)
    message = await refusal(await bridge.call("POST", ack_path("cmd_older"), ack), 400, "invalid_payload")
    assert message.partition(": ")[0] == field
    assert await stored(core) == before
