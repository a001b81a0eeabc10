"""The one datetime codec, and the wire formats that went through their own encoders before it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.domain.codec import TimeSpec, decode_time, encode_time, to_json
from core.domain.commands import CommandRequest, CommandType, wire_body
from core.domain.snapshot import AccountInfo, Position, Side, Snapshot, snapshot_to_json

MOMENT = datetime(2026, 1, 14, 12, 0, 13, 125678, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "timespec", "text"),
    [
        (MOMENT, "auto", "2026-01-14T12:00:13.125678Z"),
        (MOMENT, "milliseconds", "2026-01-14T12:00:13.125Z"),  # the bridge's server_time
        (MOMENT, "seconds", "2026-01-14T12:00:13Z"),  # commands (BRIDGE.md)
        (MOMENT.replace(microsecond=0), "auto", "2026-01-14T12:00:13Z"),
        (MOMENT.astimezone(timezone(timedelta(hours=2))), "seconds", "2026-01-14T12:00:13Z"),  # told in UTC
    ],
)
def test_a_time_is_written_in_utc_with_a_z(moment: datetime, timespec: TimeSpec, text: str) -> None:
    assert encode_time(moment, timespec) == text
    assert decode_time(encode_time(moment)) == moment


def test_a_naive_time_is_neither_written_nor_read() -> None:
    with pytest.raises(ValueError):
        encode_time(datetime(2026, 1, 14))
    with pytest.raises(ValueError):
        decode_time("2026-01-14T12:00:13")


def test_an_enum_becomes_its_plain_value() -> None:
    assert type(to_json(Side.BUY)) is str
    assert to_json({"side": Side.SELL, "price": Decimal("1.10"), "at": MOMENT}) == {
        "side": "sell",
        "price": "1.10",
        "at": "2026-01-14T12:00:13.125678Z",
    }


def test_a_command_on_the_wire_keeps_whole_seconds() -> None:
    body = wire_body(
        "c1", CommandRequest("k", CommandType.CLOSE_ALL, "max_drawdown"), MOMENT, MOMENT + timedelta(hours=1)
    )

    assert (body["created_at"], body["expires_at"]) == ("2026-01-14T12:00:13Z", "2026-01-14T13:00:13Z")


def test_a_stored_snapshot_keeps_its_shape() -> None:
    account = AccountInfo(
        5012345, "Live", "USD", Decimal("10000.00"), Decimal("9850.50"), Decimal(120), Decimal(0), 100
    )
    position = Position(
        7, "XAUUSD", Side.BUY, Decimal("0.10"), Decimal(2650), MOMENT, Decimal("2651.5"), Decimal(15)
    )
    stored = snapshot_to_json(Snapshot(42, MOMENT.replace(microsecond=0), account, (position,)))

    assert json.dumps(stored, sort_keys=True) == json.dumps(
        {
            "seq": 42,
            "time": "2026-01-14T12:00:13Z",
            "account": {
                "login": 5012345, "server": "Live", "currency": "USD", "balance": "10000.00",
                "equity": "9850.50", "margin": "120", "free_margin": "0", "leverage": 100,
            },
            "positions": [
                {
                    "ticket": 7, "symbol": "XAUUSD", "side": "buy", "volume": "0.10", "open_price": "2650",
                    "open_time": "2026-01-14T12:00:13.125678Z", "price": "2651.5", "profit": "15",
                    "swap": "0", "sl": None, "tp": None, "magic": 0, "comment": "",
                }
            ],
            "quotes": [],
        },
        sort_keys=True,
    )  # fmt: skip
