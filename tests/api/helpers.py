"""Signing real requests per BRIDGE.md, and a canonical valid snapshot to mutate."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from core.bridge.signing import sign


def signed_headers(
    device_id: str,
    secret_hex: str,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
    nonce: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    stamp = str(timestamp if timestamp is not None else int(now.timestamp()))
    nonce = nonce or secrets.token_urlsafe(24)
    return {
        "Content-Type": "application/json",
        "X-TG-Device": device_id,
        "X-TG-Timestamp": stamp,
        "X-TG-Nonce": nonce,
        "X-TG-Signature": sign(secret_hex, method, path, stamp, nonce, body),
    }


def snapshot_body(
    login: int = 5012345, server: str = "Broker-Live", seq: int = 1, **account: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "seq": seq,
        "time": "2026-11-27T21:00:00Z",
        "account": {
            "login": login,
            "server": server,
            "currency": "USD",
            "balance": "10000.00",
            "equity": "9850.50",
            "margin": "120.00",
            "free_margin": "9730.50",
            "leverage": 100,
        },
        "positions": [
            {
                "ticket": 123456,
                "symbol": "EURUSD",
                "side": "buy",
                "volume": "0.10",
                "open_price": "1.08550",
                "open_time": "2026-11-27T20:55:02Z",
                "sl": "1.08000",
                "tp": "1.09500",
                "price": "1.08400",
                "swap": "0.00",
                "profit": "-15.00",
                "magic": 7300,
                "comment": "tg:sig_8f3a",
            }
        ],
        "deals": [
            {
                "ticket": 987001,
                "position": 123456,
                "symbol": "EURUSD",
                "type": "buy",
                "entry": "in",
                "reason": "expert",
                "volume": "0.10",
                "price": "1.08550",
                "time": "2026-11-27T20:55:02Z",
                "profit": "0.00",
                "commission": "-0.70",
                "swap": "0.00",
                "magic": 7300,
                "comment": "tg:sig_8f3a",
            }
        ],
        "quotes": [{"symbol": "EURUSD", "bid": "1.08400", "ask": "1.08410", "time": "2026-11-27T21:00:00Z"}],
    }
    body["account"].update(account)
    return body


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()
