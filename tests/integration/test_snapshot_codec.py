"""The stored snapshot's JSON is spelt out field by field for speed (core.domain.snapshot); it must stay
exactly what the one codec (core.domain.codec.to_json) writes, whatever decimals and times it carries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from core.api.schemas import SnapshotIn, to_snapshot, validate
from core.domain.codec import encode_time, to_json
from core.domain.snapshot import Snapshot, snapshot_to_json
from tests.api.helpers import snapshot_body


def generic(snapshot: Snapshot) -> object:
    return {
        "seq": snapshot.seq,
        "time": encode_time(snapshot.time),
        "account": to_json(snapshot.account),
        "positions": to_json(snapshot.positions),
        "quotes": to_json(snapshot.quotes),
    }


def test_the_stored_snapshot_json_is_what_the_codec_writes() -> None:
    body = snapshot_body(seq=7)
    body["positions"].append(
        {**body["positions"][0], "ticket": 9, "side": "sell", "volume": 2, "sl": None, "tp": "1E+2",
         "profit": "-0.000", "open_time": 1764273600, "comment": "ünïcode"}
    )  # fmt: skip
    body["quotes"].append(
        {"symbol": "XAUUSD", "bid": Decimal("5103.3"), "ask": "5103.50", "time": "2026-11-27T21:00:00.5Z"}
    )
    snapshot = to_snapshot(validate(SnapshotIn, body))
    shifted = datetime(2026, 11, 27, 23, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    snapshot = replace(snapshot, time=shifted, account=replace(snapshot.account, balance=Decimal("1.5E-7")))

    assert snapshot_to_json(snapshot) == generic(snapshot)
    assert snapshot_to_json(snapshot)["time"] == "2026-11-27T21:00:00.123456Z"
    assert datetime.fromisoformat(str(snapshot_to_json(snapshot)["quotes"][1]["time"])) == datetime(  # type: ignore[index]
        2026, 11, 27, 21, 0, 0, 500000, tzinfo=UTC
    )
