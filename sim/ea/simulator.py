"""A simulated MT5 terminal running the bridge Expert Advisor's loop (`tradeguard simulate-ea`).

It pushes a snapshot of its account after every market step of a scenario (and heartbeats once
the scenario ends), obeys the commands that come back, acknowledges each, and pushes a snapshot
at once after any trade (BRIDGE.md). A command is acted on once; if the server repeats it (a lost
ack) the same ack is sent again. Deals are resent until a snapshot carrying them is accepted.

How the terminal fills (slippage, a partial fill) and whether the trader closes a bot position by hand
some steps later is its `Execution` (sim/ea/execution.py); `run_simulated_ea` reads it from the scenario
name, e.g. `steady:slippage_points=60,fill_volume=0.06,close_by_hand_after=3`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from sim.ea.client import BridgeClient, BridgeError, JSONObject
from sim.ea.commands import CommandExecutor, Outcome
from sim.ea.execution import Execution, split_scenario
from sim.ea.wire import closure_wire, snapshot_payload
from sim.scenarios import Deal, MarketStep, SimAccount, build_scenario, money

# closure_wire and snapshot_payload are imported from here by the benchmark and the e2e tests.
__all__ = [
    "SimulatedEA",
    "SimulationResult",
    "closure_wire",
    "run_simulated_ea",
    "snapshot_payload",
    "utc_now",
]

Out = Callable[[str], None]
MAX_DEALS_PER_SNAPSHOT = 1000
MAX_FOLLOW_UPS = 5
MIN_HEARTBEAT_SECONDS = 0.1


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SimulationResult:
    snapshots_sent: int = 0
    commands_received: list[str] = field(default_factory=list)  # every receipt, repeats included
    commands_executed: list[str] = field(default_factory=list)  # each id once, whatever the outcome
    acks_sent: list[tuple[str, str]] = field(default_factory=list)  # (command id, status) answered 2xx
    final_balance: Decimal = Decimal("0.00")
    final_equity: Decimal = Decimal("0.00")
    peak_equity: Decimal = Decimal("0.00")  # the highest equity a sent snapshot showed (cash flows aside)
    errors: list[str] = field(default_factory=list)


class SimulatedEA:
    """One terminal: a SimAccount, its market steps, and a signed client to the server."""

    def __init__(
        self,
        client: BridgeClient,
        account: SimAccount,
        steps: Iterable[MarketStep],
        *,
        out: Out | None = None,
        now: Callable[[], datetime] = utc_now,
        first_seq: int | None = None,
        execution: Execution | None = None,
    ) -> None:
        self.client = client
        self.account = account
        self.result = SimulationResult()
        self._steps = iter(steps)
        self._out = out
        self._now = now
        # Milliseconds since the epoch: a restarted terminal still sends a greater seq.
        self._seq = (time.time_ns() // 1_000_000 if first_seq is None else first_seq) - 1
        self._outcomes: dict[str, Outcome] = {}
        self._executor = CommandExecutor(account, now, self._say, execution)

    @property
    def locked(self) -> bool:
        return self._executor.locked

    async def run(
        self, *, interval: float = 2.0, steps: int | None = None, linger: float = 0.0
    ) -> SimulationResult:
        """Connect, play `steps` market steps (all when None), then heartbeat for `linger` seconds."""
        await self._connect()
        await self.tick(None)
        for step in islice(self._steps, steps):
            await asyncio.sleep(interval)
            await self.tick(step)
        await self._heartbeat(interval, linger)
        self.result.final_balance = money(self.account.balance)
        self.result.final_equity = money(self.account.equity)
        return self.result

    async def tick(self, step: MarketStep | None) -> None:
        """Apply one market step (None: a heartbeat), send a snapshot and obey the answer."""
        if step is not None:
            self._report(self.account.apply(step, self._now()))
            for closure in self._executor.market_step():
                self._report_hand_close(closure.ticket)
        self._executor.enforce_lock()
        commands = await self._send_snapshot()
        for _ in range(MAX_FOLLOW_UPS):
            if not await self._obey(commands):
                return
            commands = await self._send_snapshot()

    async def _connect(self) -> None:
        answer = await self.client.ping()  # wrong credentials or clock: fail loudly, now
        self._say(f"connected to {self.client.base_url}{_clock_skew(answer)}")
        try:
            commands = await self.client.commands()
        except BridgeError as error:
            self._fail("GET commands", error)
            return
        await self._obey(commands)

    async def _heartbeat(self, interval: float, linger: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + linger
        while (remaining := deadline - loop.time()) > 0:
            await asyncio.sleep(min(max(interval, MIN_HEARTBEAT_SECONDS), remaining))
            await self.tick(None)

    async def _send_snapshot(self) -> list[JSONObject]:
        self._seq += 1
        deals = self.account.unsent_deals[:MAX_DEALS_PER_SNAPSHOT]
        try:
            answer = await self.client.snapshot(snapshot_payload(self.account, self._seq, self._now(), deals))
        except BridgeError as error:
            self._fail(f"snapshot seq {self._seq}", error)  # its deals stay unsent: the next one carries them
            return []
        self.result.snapshots_sent += 1
        self.result.peak_equity = max(self.result.peak_equity, money(self.account.equity))
        duplicate = answer.get("duplicate") is True
        if answer.get("accepted") is True and not duplicate:
            self.account.acknowledge_deals({deal.ticket for deal in deals})
        equity = f"{money(self.account.equity):,} {self.account.currency}"
        self._say(
            f"snapshot #{self.result.snapshots_sent} equity {equity}{' (duplicate)' if duplicate else ''}"
        )
        return self._command_list(answer.get("commands", []))

    def _command_list(self, commands: Any) -> list[JSONObject]:
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            self.result.errors.append(f"ignored a malformed command list: {commands!r}")
            return []
        return commands

    async def _obey(self, commands: list[JSONObject]) -> bool:
        """Act on each new command and ack it; re-ack repeated ones. True if anything traded."""
        traded = False
        for command in commands:
            command_id = str(command.get("id") or "")
            if not command_id:
                self.result.errors.append(f"ignored a command without an id: {command!r}")
                continue
            self.result.commands_received.append(command_id)
            outcome = self._outcomes.get(command_id)
            if outcome is None:
                outcome = self._act(command_id, command)
                traded = traded or outcome.traded
            else:
                self._say(f"{command.get('type')} {command_id} repeated → ack {outcome.status} again")
            await self._ack(command_id, outcome)
        return traded

    def _act(self, command_id: str, command: JSONObject) -> Outcome:
        outcome = self._executor.execute(command)
        self._outcomes[command_id] = outcome
        self.result.commands_executed.append(command_id)
        reason = f" ({command['reason']})" if command.get("reason") else ""
        failure = f": {outcome.message}" if outcome.message else ""
        self._say(f"{command.get('type')}{reason} → {outcome.summary}, ack {outcome.status}{failure}")
        return outcome

    async def _ack(self, command_id: str, outcome: Outcome) -> None:
        try:
            await self.client.ack(command_id, outcome.status, list(outcome.results), outcome.message)
        except BridgeError as error:
            self._fail(f"ack {command_id}", error)
            return
        self.result.acks_sent.append((command_id, outcome.status))

    def _report(self, deals: list[Deal]) -> None:
        for deal in deals:
            if deal.type == "balance":
                kind = "deposit" if deal.profit > 0 else "withdrawal"
                self._say(f"{kind} {deal.profit:,} {self.account.currency} (balance deal #{deal.ticket})")
            elif deal.reason == "so":
                self._say(f"stop-out: broker closed #{deal.position} at {deal.price}, profit {deal.profit:,}")
            elif deal.entry == "in":
                self._say(f"trader opened #{deal.position} {deal.symbol} {deal.type} {deal.volume}")

    def _report_hand_close(self, ticket: int) -> None:
        deal = self.account.history[-1]
        self._say(
            f"trader closed #{ticket} by hand ({deal.reason}) at {deal.price}: deal #{deal.ticket} "
            f"profit {deal.profit} swap {deal.swap} commission {deal.commission}"
        )

    def _say(self, text: str) -> None:
        if self._out is not None:
            self._out(f"EA {self.account.login}: {text}")

    def _fail(self, what: str, error: BridgeError) -> None:
        self.result.errors.append(f"{what}: {error}")
        self._say(f"error: {what}: {error}")


def _clock_skew(ping: JSONObject) -> str:
    try:
        server_time = datetime.fromisoformat(str(ping["server_time"]))
        skew = (server_time - utc_now()).total_seconds()
    except (KeyError, ValueError, TypeError):  # absent, malformed or without a time zone
        return ""
    return f", server clock {skew:+.1f} s from ours"


async def run_simulated_ea(
    url: str,
    device_id: str,
    secret_hex: str,
    scenario: str,
    *,
    login: int,
    server: str,
    interval: float = 2.0,
    steps: int | None = None,
    linger: float = 0.0,
    out: Out | None = None,
) -> SimulationResult:
    """Play a scenario (scenarios.SCENARIOS, optionally `:` and its execution options, see
    sim/ea/execution.py) as MT5 account `login` on `server` against the bridge."""
    name, execution = split_scenario(scenario)
    played = build_scenario(name, login=login, server=server, now=utc_now())
    async with BridgeClient(url, device_id, secret_hex) as client:
        ea = SimulatedEA(client, played.account, played.steps, out=out, execution=execution)
        return await ea.run(interval=interval, steps=steps, linger=linger)
