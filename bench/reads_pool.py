"""The background snapshots of bench/reads.py: wrk (outside Python, on its own core) sending a pool of
snapshots pre-signed per BRIDGE.md at a steady rate (bench/reads_paced.lua).

Why wrk and not a paced client in the benchmark's process: the benchmark's process already runs the
Telegram stand-in, which serves the bot's getUpdates and every reply, and injects the readers' updates;
500 signed HTTP requests a second from Python would take a good share of a core from it on this 2-core
machine, and the updates' timing with it. wrk's Lua only picks the next pre-signed request and asks
delay() for its slot, a few microseconds each.

Unlike bench/ingest.py's pool (one timestamp for a run of at most 50 s), a run here lasts about two
minutes, longer than BRIDGE.md's ±30 s window: each request carries the Unix time of its own slot, so
a paced run stays inside the window however long it is, as long as it does not fall 30 s behind.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.presign import SNAPSHOT_PATH, Device, tail


def write_paced_pool(
    directory: Path, devices: Sequence[Device], threads: int, rate: float, seconds: float, start: float
) -> list[Device]:
    """rate × seconds requests over `threads` files (thread t owns devices t, t + threads, … and sends
    them round robin, seq increasing), request n of a thread stamped with its slot's time, start +
    n × threads / rate; and `<directory>/pace`, the milliseconds between two requests of a thread.
    Returns the devices with `first_seq` moved past every seq the pool used, for the next pool."""
    directory.mkdir(exist_ok=True)
    per_thread = int(rate * seconds) // threads
    interval = threads / rate
    (directory / "pace").write_text(f"{interval * 1000:.3f}\n")
    used = {index: device.first_seq for index, device in enumerate(devices)}
    for thread in range(threads):
        owned = list(range(thread, len(devices), threads))
        lines = [f"D\t{i}\t{devices[i].device_id}\t{devices[i].prefix.decode()}" for i in owned]
        hashes = {i: hashlib.sha256(devices[i].prefix) for i in owned}
        keys = {i: bytes.fromhex(devices[i].secret_hex) for i in owned}
        for n in range(per_thread):
            index = owned[n % len(owned)]
            seq = devices[index].first_seq + n // len(owned)
            used[index] = max(used[index], seq + 1)
            stamp = int(start + n * interval)
            body_tail = tail(datetime.fromtimestamp(stamp, UTC), seq)
            digest = hashes[index].copy()
            digest.update(body_tail)
            nonce = secrets.token_urlsafe(18)
            message = "\n".join(("POST", SNAPSHOT_PATH, str(stamp), nonce, digest.hexdigest())).encode()
            signature = hmac.new(keys[index], message, hashlib.sha256).hexdigest()
            lines.append(f"R\t{index}\t{body_tail.decode()}\t{stamp}\t{nonce}\t{signature}")
        (directory / f"pool-{thread}.tsv").write_text("\n".join(lines) + "\n")
    return [
        Device(device.device_id, device.secret_hex, device.prefix, used[index])
        for index, device in enumerate(devices)
    ]
