"""The EA's JSON against the server's own validation (core/api/schemas.py) and the server's answers.

ea/shim/json_check.cpp builds snapshots and acks with the EA's Wire.mqh from hostile inputs (quotes,
backslashes, control characters, emoji, 64+ character comments, sl/tp 0, hedging and netting accounts,
balance deals without a symbol). Every one must pass the server's models unchanged, with every field
equal to what was meant and every decimal a string. Then the EA's parser reads answers the server writes.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.api.schemas import AckIn, SnapshotIn, parse_json, validate
from core.domain.commands import CommandRequest, CommandType, wire_body

T0 = datetime(2025, 12, 2, tzinfo=UTC)
HOSTILE = 'q"b\\s/t\tn\nr\rc\x01\x1f\x7f end'
C64 = "0123456789abcdef" * 4
DECIMAL_FIELDS = {
    "account": ("balance", "equity", "margin", "free_margin"),
    "positions": ("volume", "open_price", "price", "swap", "profit"),
    "deals": ("volume", "price", "profit", "commission", "swap"),
    "quotes": ("bid", "ask"),
}


def _iso(seconds_before: int) -> str:
    return (T0 - timedelta(seconds=seconds_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(keys: tuple[str, ...], words: str, comment: str) -> dict[str, Any]:
    """A wire object from its words ("-" is null, or "" for a symbol; `before` is seconds before T0)."""
    row: dict[str, Any] = {}
    for key, word in zip(keys, words.split(), strict=True):
        if key in ("ticket", "position", "magic"):
            row[key] = int(word)
        elif key == "before":
            row["open_time" if "open_price" in keys else "time"] = _iso(int(word))
        else:
            row[key] = ("" if key == "symbol" else None) if word == "-" else word
    return row | {"comment": comment}


POSITION = (
    "ticket",
    "symbol",
    "side",
    "volume",
    "open_price",
    "before",
    "sl",
    "tp",
    "price",
    "swap",
    "profit",
    "magic",
)
DEAL = ("ticket", "position", "symbol", "type", "entry", "reason", "volume", "price", "before", "profit",
        "commission", "swap", "magic")  # fmt: skip


def _position(words: str, comment: str = "") -> dict[str, Any]:
    return _row(POSITION, words, comment)


def _deal(words: str, comment: str = "") -> dict[str, Any]:
    return _row(DEAL, words, comment)


def _quote(symbol: str, bid: str, ask: str, before: int) -> dict[str, Any]:
    return {"symbol": symbol, "bid": bid, "ask": ask, "time": _iso(before)}


def _account(login: int, server: str, currency: str, money: str, leverage: int) -> dict[str, Any]:
    balance, equity, margin, free_margin = money.split()
    return {"login": login, "server": server, "currency": currency, "balance": balance, "equity": equity,
            "margin": margin, "free_margin": free_margin, "leverage": leverage}  # fmt: skip


MEANT: dict[str, dict[str, Any]] = {
    "snapshot hedging": {
        "seq": 1842,
        "time": _iso(0),
        "account": _account(5012345, "Broker-Live", "USD", "10000.00 9850.50 120.00 9730.50", 100),
        "positions": [
            _position(
                "123456 EURUSD buy 0.10 1.08550 300 1.08000 1.09500 1.08400 0.00 -15.00 7300", "tg:sig_8f3a"
            ),
            _position("123457 EURUSD sell 0.25 1.08510 200 - - 1.08410 -1.20 25.00 0"),
            _position('123458 EUR"USD\\.x buy 1.00 150.123 100 - 151.500 150.200 0.00 7.70 1', HOSTILE),
            _position(
                "123459 XAUUSD sell 0.01 2650.55 50 2700.00 - 2649.10 0.00 1.45 42", "emoji 😀 and € and é"
            ),
            _position("123460 US30.cash buy 2.5 44000.5 10 - - 44010.0 0.00 23.75 9", C64),
            _position(
                "123461 BTCUSD buy 0.005 97000.00 5 - - 96000.00 0.00 -5.00 0", C64
            ),  # 67 given, 64 sent
        ],
        "deals": [
            _deal("987001 123456 EURUSD buy in expert 0.10 1.08550 300 0.00 -0.70 0.00 7300", "tg:sig_8f3a"),
            _deal("987002 0 - balance in client 0.00 0 86400 10000.00 0.00 0.00 0", 'deposit "wire"'),
            _deal("987003 0 - balance in client 0.00 0 3600 -250.00 0.00 0.00 0"),
            _deal("987004 0 - credit in client 0.00 0 3000 50.00 0.00 0.00 0", "credit"),
            _deal("987005 0 - commission in client 0.00 0 2000 0.00 -3.50 0.00 0"),
            _deal("987006 123400 EURUSD sell out sl 0.30 1.07990 1000 -45.60 -2.10 -0.30 0", HOSTILE),
            _deal("987007 123401 EURUSD buy out_by so 0.10 1.08010 900 -1.00 0.00 0.00 0", "[so 12.5%]"),
            _deal("987008 123402 EURUSD buy inout other 0.10 1.08020 800 0.00 0.00 0.00 0"),
            _deal("987009 0 - other in other 0.00 0 700 0.12 0.00 0.00 0", "interest"),
        ],
        "quotes": [
            _quote("EURUSD", "1.08400", "1.08410", 0),
            _quote('EUR"USD\\.x', "150.200", "150.215", 0),
            _quote("XAUUSD", "2649.10", "2649.45", 1),
        ],
    },
    "snapshot netting": {
        "seq": 1764633600123,
        "time": _iso(0),
        "account": _account(77, "Брокер-Demo «ECN»", "EUR", "5000.00 4321.09 0.00 4321.09", 30),
        "positions": [
            _position(
                "5 USDJPY sell 1.50 155.432 7200 - - 156.001 -12.34 -548.71 0", "netting: one per symbol"
            ),
            _position("6 GER40 buy 0.1 19500.25 60 19400.00 - 19510.50 0.00 1.03 0"),
        ],
        "deals": [],
        "quotes": [_quote("USDJPY", "156.001", "156.013", 0), _quote("GER40", "19510.50", "19511.75", 0)],
    },
    "snapshot empty": {
        "seq": 0,
        "time": _iso(0),
        "account": _account(1, "S", "USD", "0.00 0.00 0.00 0.00", 1),
        "positions": [],
        "deals": [],
        "quotes": [],
    },
    "ack done": {
        "status": "done",
        "results": [
            {"ticket": 123456, "closed_volume": "0.10", "price": "1.08390", "profit": "-16.00"},
            {"ticket": 123457, "closed_volume": "0.25", "price": "1.08420", "profit": "22.50"},
        ],
        "message": "",
    },
    "ack partial": {
        "status": "partial",
        "results": [
            {"ticket": 123458, "closed_volume": "0.50", "price": "150.200"},
            {"ticket": 123459, "closed_volume": "0.00"},
        ],
        "message": "XAUUSD: market closed (10018)",
    },
    "ack failed": {
        "status": "failed",
        "results": [],
        "message": 'AutoTrading is off "in the terminal"\nretcode 10027 \\ é 😀',
    },
}


@pytest.fixture(scope="module")
def samples(ea_program: Callable[[str], Path]) -> dict[str, bytes]:
    result = subprocess.run(
        [str(ea_program("json_check")), "samples"], capture_output=True, timeout=60, check=True
    )
    out: dict[str, bytes] = {}
    for line in result.stdout.splitlines():
        kind, name, body = line.split(b" ", 2)
        out[f"{kind.decode()} {name.decode()}"] = body
    return out


def test_the_ea_prints_every_sample(samples: dict[str, bytes]) -> None:
    assert sorted(samples) == sorted(MEANT)


@pytest.mark.parametrize("name", sorted(MEANT))
def test_the_server_accepts_the_ea_json_and_reads_what_was_meant(
    name: str, samples: dict[str, bytes]
) -> None:
    body = samples[name]
    data = parse_json(body)  # what the server does with the bytes: no invalid_json
    model = SnapshotIn if name.startswith("snapshot") else AckIn
    validated = validate(model, data)  # no invalid_payload
    assert json.loads(body) == MEANT[name]  # every field there, with the very value meant
    assert validated.model_dump() == model.model_validate(MEANT[name]).model_dump()


@pytest.mark.parametrize("name", [name for name in sorted(MEANT) if name.startswith("snapshot")])
def test_decimals_travel_as_strings_and_absent_stops_as_null(name: str, samples: dict[str, bytes]) -> None:
    data = json.loads(samples[name])
    for field in DECIMAL_FIELDS["account"]:
        assert isinstance(data["account"][field], str)
    for part in ("positions", "deals", "quotes"):
        for item in data[part]:
            for field in DECIMAL_FIELDS[part]:
                assert isinstance(item[field], str), (part, field)
    for position in data["positions"]:
        assert position["sl"] is None or isinstance(position["sl"], str)
        assert position["tp"] is None or isinstance(position["tp"], str)


def test_a_comment_is_cut_to_64_code_points_and_no_control_byte_travels_raw(
    samples: dict[str, bytes],
) -> None:
    body = samples["snapshot hedging"]
    assert all(byte >= 0x20 for byte in body)
    comments = [p["comment"] for p in json.loads(body)["positions"]]
    assert max(len(comment) for comment in comments) == 64


def _parse(
    ea_program: Callable[[str], Path], tmp_path: Path, answer: bytes
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    path = tmp_path / "answer.json"
    path.write_bytes(answer)
    result = subprocess.run(
        [str(ea_program("json_check")), "parse", str(path)], capture_output=True, timeout=60, check=True
    )
    commands, answers = [], []
    for line in result.stdout.splitlines():
        kind, _, body = line.split(b" ", 2)
        (commands if kind == b"command" else answers).append(json.loads(body))
    assert len(answers) == 1
    return commands, answers[0]


def _command(command_id: str, kind: CommandType, reason: str, **fields: Any) -> dict[str, Any]:
    request = CommandRequest(dedupe_key=command_id, type=kind, reason=reason, fields=fields)
    return wire_body(command_id, request, T0, T0 + timedelta(hours=1))


def test_the_ea_reads_the_commands_the_server_writes(
    ea_program: Callable[[str], Path], tmp_path: Path
) -> None:
    sent = [
        _command("cmd_0123456789abcdef0123", CommandType.CLOSE_ALL, "max_drawdown"),
        _command("cmd_a", CommandType.CLOSE_POSITION, "admin", ticket=123456, volume="0.05"),
        _command("cmd_b", CommandType.CLOSE_POSITION, "admin", ticket=9007199254740993),
        _command(
            "cmd_c",
            CommandType.OPEN_POSITION,
            "signal",
            symbol='EUR"USD\\é',
            side="buy",
            volume=0.1,
            sl="1.08000",
            tp=None,
            signal_id="sig_😀\u0001",
        ),
        _command("cmd_d", CommandType.LOCK, "locked"),
        _command("cmd_e", CommandType.UNLOCK, "admin"),
    ]
    answer = {"accepted": True, "seq": 1842, "server_time": "2025-12-02T00:00:00.120Z", "commands": sent}
    # the server's own encoder (core/api/errors.py json_response): ASCII with \u escapes, surrogate pairs
    commands, summary = _parse(ea_program, tmp_path, json.dumps(answer, default=str).encode())
    assert summary == {
        "parsed": True,
        "commands": 6,
        "server_time": "2025-12-02T00:00:00.120Z",
        "server_time_ms": int(T0.timestamp()) * 1000 + 120,
        "error_code": "",
        "error_message": "",
    }
    assert [c["id"] for c in commands] == [c["id"] for c in sent]
    assert [c["type"] for c in commands] == [c["type"] for c in sent]
    assert [c["reason"] for c in commands] == [c["reason"] for c in sent]
    assert all(c["created_at"] == _iso(0) and c["expires_at"] == _iso(-3600) for c in commands)
    close_part, close_whole, open_ = commands[1], commands[2], commands[3]
    assert (close_part["ticket"], close_part["has_volume"], close_part["volume"]) == (
        123456,
        True,
        "0.05000000",
    )
    assert (close_whole["ticket"], close_whole["has_volume"]) == (9007199254740993, False)
    assert (open_["symbol"], open_["side"], open_["signal_id"]) == ('EUR"USD\\é', "buy", "sig_😀\u0001")
    assert (open_["volume_text"], Decimal(open_["volume"]), Decimal(open_["sl"]), Decimal(open_["tp"])) == (
        "0.1",
        Decimal("0.1"),
        Decimal("1.08"),
        Decimal(0),
    )


def test_the_ea_reads_an_error_body_and_refuses_broken_json(
    ea_program: Callable[[str], Path], tmp_path: Path
) -> None:
    error = {"error": {"code": "stale_timestamp", "message": 'timestamp 30 s "off" \u00e9'}}
    commands, summary = _parse(ea_program, tmp_path, json.dumps(error).encode())
    assert (commands, summary["commands"]) == ([], -1)
    assert (summary["error_code"], summary["error_message"]) == ("stale_timestamp", 'timestamp 30 s "off" é')
    for broken in (
        b"",
        b"{",
        b'{"commands": [}',
        b'{"commands": [1,]}',
        b"<html>502</html>",
        b'{"a":"\x01"}',
    ):
        commands, summary = _parse(ea_program, tmp_path, broken)
        assert (commands, summary["parsed"], summary["commands"], summary["error_code"]) == (
            [],
            False,
            -1,
            "",
        )
