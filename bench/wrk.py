"""wrk (Debian's package) as the load generator, pinned to its own core, and what it reports.

wrk is a C program with an epoll loop per thread; bench/replay.lua only picks the next pre-signed
request and counts answers, so the client costs far less per request than any Python handler.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("replay.lua")
RESULT_PREFIX = "WRK-RESULT "


def ensure_wrk() -> str:
    """The path of wrk; installed from Debian's packages when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("  wrk is missing: apt-get install -y wrk …", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, env=env, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(
        "wrk is needed (the load generator must run outside Python): `sudo apt-get install wrk` on "
        "Debian/Ubuntu, `brew install wrk` on macOS, or build it from github.com/wg/wrk"
    )


def cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def core_split() -> tuple[set[int] | None, set[int] | None]:
    """(the server's cores, the load generator's cores): the last core for wrk, the rest for the server;
    None when there is a single core (nothing to pin)."""
    usable = cpus()
    if len(usable) < 2:
        return None, None
    return set(usable[:-1]), {usable[-1]}


def pin(pid: int, cores: set[int] | None) -> None:
    """Every thread of `pid` onto `cores` (threads made later inherit it)."""
    if cores is None or not hasattr(os, "sched_setaffinity"):
        return
    tasks = Path(f"/proc/{pid}/task")
    for task in tasks.iterdir() if tasks.exists() else []:
        try:
            os.sched_setaffinity(int(task.name), cores)
        except (ProcessLookupError, PermissionError):
            pass
    os.sched_setaffinity(pid, cores)


@dataclass(frozen=True)
class WrkResult:
    seconds: float
    requests: int
    accepted: int  # 2xx with "accepted": true (and not a duplicate)
    duplicate: int  # 2xx with "duplicate": true: a seq that was not newer (the client's fault)
    other_2xx: int  # e.g. GET /health sent after the pool ran out
    status_429: int
    status_4xx: int  # other than 429
    status_5xx: int
    socket_errors: int  # connect, read, write errors and timeouts
    filler: int
    exhausted_threads: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cpu: float = 0.0  # wrk's own CPU time over the run's wall time (1.0 = its core kept busy)

    @property
    def refused(self) -> int:
        return self.status_429 + self.status_4xx + self.status_5xx

    @property
    def accepted_per_second(self) -> float:
        return self.accepted / self.seconds

    @classmethod
    def parse(cls, output: str) -> WrkResult:
        line = next((line for line in output.splitlines() if line.startswith(RESULT_PREFIX)), None)
        if line is None:
            raise RuntimeError(f"wrk printed no result:\n{output[-3000:]}")
        data = json.loads(line.removeprefix(RESULT_PREFIX))
        return cls(
            seconds=data["duration_us"] / 1e6,
            requests=data["requests"],
            accepted=data["accepted"],
            duplicate=data["duplicate"],
            other_2xx=data["other_2xx"],
            status_429=data["status_429"],
            status_4xx=data["status_4xx"],
            status_5xx=data["status_5xx"],
            socket_errors=sum(data[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")),
            filler=data["filler"],
            exhausted_threads=data["exhausted_threads"],
            p50_ms=data["p50_us"] / 1000,
            p90_ms=data["p90_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            max_ms=data["max_us"] / 1000,
        )


@dataclass(frozen=True)
class Wrk:
    """How wrk runs: its path, threads, connections, seconds, and the cores it is pinned to."""

    path: str
    threads: int
    connections: int
    seconds: int
    cores: set[int] | None
    script: Path = SCRIPT  # bench/reads_paced.lua wraps replay.lua with a pace

    async def run(self, url: str, pool_dir: Path, *, cycle: bool) -> WrkResult:
        """One run against `url` replaying the pool (`cycle`: start it again when it runs out)."""
        command = [self.path, f"-t{self.threads}", f"-c{self.connections}", f"-d{self.seconds}s"]
        command += [
            "--timeout",
            "10s",
            "-s",
            str(self.script),
            url,
            "--",
            str(pool_dir),
            *(["cycle"] if cycle else []),
        ]
        if self.cores is not None and shutil.which("taskset"):
            command = ["taskset", "-c", ",".join(str(core) for core in sorted(self.cores)), *command]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped meanwhile
        result = WrkResult.parse(output.decode(errors="replace"))
        busy = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return dataclasses.replace(result, cpu=busy / result.seconds)
