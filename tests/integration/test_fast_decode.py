"""The snapshot's fast decoder (core.api.snapshot_fast) against the validator (core.api.schemas): on
every body, valid or not, it either hands the body to the validator (None) or gives exactly the
Snapshot the validator gives; it never accepts what the validator refuses. The bodies are the
canonical snapshot with each field in turn set to each of a list of awkward values."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from core.api.schemas import InvalidJson, SnapshotIn, parse_json, to_snapshot, validate
from core.api.snapshot_fast import fast_snapshot
from core.domain.snapshot import Snapshot
from core.services.errors import InvalidInput
from tests.api.helpers import snapshot_body

AWKWARD: list[Any] = [
    None, True, 0, -1, 1, 2**63 - 1, 2**63, 2**70, 1.5, 1e300, "", "x", " 1.5 ", "1_000", "NaN", "-Infinity",
    "1e400", "1E+2", "-0", "0", "0.000000001", "1." + "0" * 120, "9999999999999999.999999995",
    "9999999999999999.99999999", "999999999999999", "1000000000000000", "a\x00b", "x" * 33, "x" * 65,
    "buy", "sell", "BUY", "balance", "out_by", "so", "2026-11-27T21:00:00Z", "2026-11-27T21:00:00",
    "2026-11-27T23:00:00+02:00", "2026-11-27 21:00:00.1234567Z", "9999-12-31T23:59:59-05:00", 1764273600,
    10**12, [], {}, ["x"],
]  # fmt: skip
NUMBERS = [
    "1.08550", "1e-101", "1E2", "-0.0", "0.1E-2", "123456789012345678901234567890.5", "1e400", "00", "1.",
]  # fmt: skip


def canonical() -> dict[str, Any]:
    body = snapshot_body(seq=5)
    body["positions"].append({**body["positions"][0], "ticket": 7, "side": "sell", "sl": None})
    body["quotes"] = [
        {"symbol": "EURUSD", "bid": "1.08400", "ask": "1.08410", "time": "2026-11-27T21:00:00Z"}
    ]
    return body


def paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*path, key)
        yield from paths(item, (*path, key))


def with_value(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target: Any = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def validated(raw: bytes) -> Snapshot | str:
    try:
        return to_snapshot(validate(SnapshotIn, parse_json(raw)))
    except (InvalidInput, InvalidJson) as error:
        return f"refused: {error}"


def bodies() -> Iterator[bytes]:
    body = canonical()
    yield json.dumps(body).encode()
    for path in list(paths(body)):
        for value in AWKWARD:
            yield json.dumps(with_value(body, path, value)).encode()
        marker = "\u2603"
        for number in NUMBERS:  # bare JSON numbers, as the client wrote them
            yield json.dumps(with_value(body, path, marker)).replace(f'"{marker}"', number).encode()
    for removed in ("deals", "quotes", "positions", "seq"):
        yield json.dumps({k: v for k, v in body.items() if k != removed}).encode()
    raw = json.dumps(body).encode()
    yield b"\xef\xbb\xbf" + raw
    yield raw + b" x"
    yield raw.replace(b'"seq": 5', b'"seq": 5, "seq": 6')
    yield raw.replace(b'"seq": 5', b'"seq": 5, "extra": [NaN]')
    yield raw.replace(b'"EURUSD"', b'"EUR\\ud800"', 1)
    yield b"[]"


def test_the_fast_decoder_accepts_only_what_the_validator_accepts_and_gives_the_same_snapshot() -> None:
    checked = accepted = 0
    for raw in bodies():
        fast = fast_snapshot(raw)
        slow = validated(raw)
        checked += 1
        if fast is not None:
            accepted += 1
            assert fast == slow, raw
            assert isinstance(slow, Snapshot)
            assert [type(p.volume) for p in fast.positions] == [Decimal] * len(fast.positions)
    assert checked > 3000 and accepted > 300  # the happy path is taken, not only the validator


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (("positions", 1, "volume"), "0", "positions[1].volume: must be > 0"),
        (("account", "margin"), "-1", "account.margin: must be >= 0"),
        (("quotes", 0, "time"), "2026-11-27T21:00:00", "quotes[0].time: must say UTC (Z)"),
        (("positions", 0, "symbol"), "a\x00b", "positions[0].symbol: must not contain NUL characters"),
    ],
)
def test_a_bad_body_is_still_worded_by_the_validator(
    field: tuple[Any, ...], value: Any, message: str
) -> None:
    raw = json.dumps(with_value(canonical(), field, value)).encode()
    assert fast_snapshot(raw) is None
    assert validated(raw) == f"refused: {message}"
