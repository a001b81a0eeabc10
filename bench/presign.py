"""The pool of signed snapshots that wrk replays (bench/replay.lua), signed here, before the run. Why pre-
signed and not signed in Lua: the signature covers the SHA-256 of the body, and a 10-position body is about
2.5 KB (40 SHA-256 blocks); SHA-256 in LuaJIT would cost the load generator far more CPU per request than
the bare handler costs the server, so the client would become what is measured. Here each body is a per-
device constant prefix (account, positions, quotes, no deals) and a short tail (`time` and `seq`, which JSON
lets come last): the prefix is hashed once per device and each request only finishes the hash, signs with
HMAC-SHA256 (BRIDGE.md's five-line canonical string, as core.bridge.signing builds it) and draws a fresh
nonce. 100,000 requests take about a second and a few megabytes, since the prefix is stored once per device.
Timestamps: every request carries the same one, set to the middle of the run, so the whole run stays inside
BRIDGE.md's ±30 s window (hence the 50 s limit on --duration).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SNAPSHOT_PATH = "/v1/bridge/snapshot"
TIMESTAMP_WINDOW = 30
MAX_DURATION = 50


@dataclass(frozen=True)
class Device:
    device_id: str
    secret_hex: str
    prefix: bytes  # the snapshot body up to the value of "time": everything that does not change
    first_seq: int  # the first seq the pool may use (the last accepted one + 1)


def tail(moment: datetime, seq: int) -> bytes:
    return f'{moment.strftime("%Y-%m-%dT%H:%M:%SZ")}","seq":{seq}}}'.encode()


def split_body(body: bytes) -> bytes:
    """The prefix of a compact JSON object whose last members are "time" then "seq"."""
    marker = b'"time":"'
    cut = body.rindex(marker) + len(marker)
    if not body[cut:].startswith(b"20") or b'","seq":' not in body[cut:]:
        raise ValueError("the body must end with its time and seq")
    return body[:cut]


def write_pool(directory: Path, devices: Sequence[Device], threads: int, size: int, stamp: int) -> None:
    """`size` requests in all, split over `threads` files; thread t owns devices t, t + threads, …, and
    sends them round robin with seq increasing. All carry the Unix timestamp `stamp`."""
    timestamp = str(stamp)
    moment = datetime.fromtimestamp(stamp, UTC)
    for thread in range(threads):
        owned = list(range(thread, len(devices), threads))
        if not owned:
            raise ValueError(f"{threads} threads need at least as many devices")
        lines = [
            f"D\t{index}\t{devices[index].device_id}\t{devices[index].prefix.decode()}" for index in owned
        ]
        hashes = {index: hashlib.sha256(devices[index].prefix) for index in owned}
        keys = {index: bytes.fromhex(devices[index].secret_hex) for index in owned}
        per_thread = size // threads
        for n in range(per_thread):
            index = owned[n % len(owned)]
            seq = devices[index].first_seq + n // len(owned)
            body_tail = tail(moment, seq)
            digest = hashes[index].copy()
            digest.update(body_tail)
            nonce = secrets.token_urlsafe(18)  # 24 characters of [A-Za-z0-9_-]
            message = "\n".join(("POST", SNAPSHOT_PATH, timestamp, nonce, digest.hexdigest())).encode()
            signature = hmac.new(keys[index], message, hashlib.sha256).hexdigest()
            lines.append(f"R\t{index}\t{body_tail.decode()}\t{timestamp}\t{nonce}\t{signature}")
        (directory / f"pool-{thread}.tsv").write_text("\n".join(lines) + "\n")
