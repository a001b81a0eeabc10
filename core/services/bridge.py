"""The server side of BRIDGE.md: who is calling, what their account holds, what they must do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from core.bridge.signing import NONCE_PATTERN, signature_matches
from core.domain import guard as g
from core.domain.alerts import AccountConnected
from core.domain.commands import CommandStatus, CommandType
from core.domain.models import Alert, Device, SnapshotContext
from core.domain.snapshot import Snapshot, snapshot_to_json
from core.services.credentials import CredentialCache
from core.services.errors import AuthenticationFailed, InvalidInput, ReplayedNonce, UnknownCommand
from core.services.flusher import StateFlusher
from core.services.guard import GuardService, observation
from core.services.hot_accounts import HOLD_SECONDS, HotAccounts
from core.services.market import MarketGuardService, MarketJudgement
from core.services.ports import Clock, Doorbell, NonceStore, UnitOfWork, UnitOfWorkFactory, ViewCache
from core.services.ports.hot import HotAccount, HotContext, HotState, MarketMemory, StateFlush
from core.services.reconciliation import ReconciliationService
from core.services.secrets import SecretBox

TIMESTAMP_WINDOW_SECONDS = 30
NONCE_TTL_SECONDS = 600
# How far ahead a seq may run: a day's worth of milliseconds past the server clock in Unix milliseconds
# (clients that count in milliseconds, like the reference client, stay far inside it) or past the
# device's last accepted seq (clients that count snapshots). A single request can no longer push seq to
# 2**63-1 and make every later snapshot of its device a "duplicate" forever.
MAX_SEQ_AHEAD = 86_400_000
# A steady write that loses its compare-and-set to another process judges again, this often; then the
# snapshot takes the durable path (queued on the row lock), which always completes.
STEADY_ATTEMPTS = 3


@dataclass(frozen=True)
class SignedRequest:
    device_id: str
    timestamp: str
    nonce: str
    signature: str
    method: str
    path_qs: str
    body: bytes


@dataclass(frozen=True)
class SnapshotAnswer:
    seq: int
    duplicate: bool
    commands: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class BridgePorts:
    uow: UnitOfWorkFactory
    nonces: NonceStore
    cache: ViewCache
    doorbell: Doorbell
    hot: HotState
    market_memory: MarketMemory


class BridgeService:
    """A steady snapshot (no event, no new deal, no market event for the account, not the first) is
    judged and stored in the hot state alone: no Postgres statement (core.services.ports.hot has the
    rule). Anything durable takes the account's row lock and one transaction, as before."""

    def __init__(
        self,
        ports: BridgePorts,
        box: SecretBox,
        guard: GuardService,
        clock: Clock,
        market: MarketGuardService | None = None,
        credentials: CredentialCache | None = None,
        flusher: StateFlusher | None = None,
        reconciliation: ReconciliationService | None = None,
    ) -> None:
        self.ports = ports
        self.box = box
        self.guard = guard
        self.clock = clock
        self.market = market
        self.credentials = credentials or CredentialCache(ports.uow, box)
        self.flusher = flusher
        self.reconciliation = reconciliation
        self.accounts = HotAccounts(ports.uow, ports.hot, clock)

    async def authenticate(self, request: SignedRequest) -> Device:
        """BRIDGE.md's order: device, timestamp window, signature, then the nonce (only once verified)."""
        if not NONCE_PATTERN.match(request.nonce):
            raise AuthenticationFailed("missing_header", "X-TG-Nonce: 16 to 64 characters of [A-Za-z0-9_-]")
        if not request.device_id.isascii():  # device ids are ASCII; the driver cannot even encode some text
            raise AuthenticationFailed("unknown_device", "unknown or revoked device")
        found = await self.credentials.get(request.device_id)
        if found is None or found.secret is None:
            raise AuthenticationFailed("unknown_device", "unknown or revoked device")
        device = found.device
        self._check_timestamp(request.timestamp)
        if not request.signature.isascii() or not signature_matches(
            found.secret,
            request.method,
            request.path_qs,
            request.timestamp,
            request.nonce,
            request.body,
            request.signature,
        ):
            raise AuthenticationFailed("bad_signature", "signature does not match")
        if not await self.ports.nonces.remember(device.device_id, request.nonce, NONCE_TTL_SECONDS):
            raise ReplayedNonce("nonce already used")
        return device

    def _check_timestamp(self, timestamp: str) -> None:
        # isascii: str.isdigit() also accepts "²" and other digits int() refuses; 12 digits is year 33658
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            raise AuthenticationFailed("stale_timestamp", "X-TG-Timestamp: integer Unix seconds")
        # whole seconds on both sides: the header has no fraction, so 30 s means 30 s on the wire
        skew = abs(int(timestamp) - int(self.clock().timestamp()))
        if skew > TIMESTAMP_WINDOW_SECONDS:
            raise AuthenticationFailed("stale_timestamp", f"timestamp is {int(skew)} s from server time")

    async def accept_snapshot(self, device: Device, snapshot: Snapshot) -> SnapshotAnswer:
        """Judge and answer: the answer already carries any close commands (a breach is durable, and its
        transaction issues them before the answer is built)."""
        _check_account_matches(device, snapshot)
        now = self.clock()
        judged = _JudgedOnce(self._judge_market, device.server, snapshot)
        for _ in range(STEADY_ATTEMPTS):
            hot, held = await self.accounts.ready(device.account_id)
            if held or hot is None:
                break
            last_seq = hot.seqs.get(device.device_id)
            if last_seq is not None and snapshot.seq <= last_seq:
                return SnapshotAnswer(last_seq, True, hot.pending(now))
            _check_seq_ahead(last_seq, snapshot.seq, now)
            market = await judged()
            steady = self._steady(hot, device, snapshot, market, now)
            if steady is None:
                break
            after, due_at = steady
            if await self.ports.hot.write(device.account_id, after, hot.version):
                self._write_behind(device, snapshot, after, due_at, now)
                return SnapshotAnswer(snapshot.seq, False, after.pending(now))
        return await self._durable(device, snapshot, judged, now)

    async def _judge_market(self, server: str, snapshot: Snapshot) -> MarketJudgement | None:
        if self.market is None:
            return None
        return await self.market.judge(self.ports.market_memory, server, snapshot)

    def _steady(
        self,
        hot: HotAccount,
        device: Device,
        snapshot: Snapshot,
        market: MarketJudgement | None,
        now: datetime,
    ) -> tuple[HotAccount, datetime | None] | None:
        """The hot state after this snapshot, when nothing in it must last; None otherwise."""
        tickets = tuple(deal.ticket for deal in snapshot.deals)
        if hot.guard is None or not hot.knows_deals(tickets):
            return None
        if market is not None and market.concerns(snapshot.positions):
            return None
        config = self.guard.policy.config_for(hot.context.personal_limit)
        alarm = market.alarm if market else ()
        state, events = g.observe(hot.guard, observation(snapshot, [], now, alarm), config)
        if events:
            return None
        after = replace(
            hot,
            guard=state,
            rev=hot.rev + 1,
            seqs={**hot.seqs, device.device_id: snapshot.seq},
            snapshot=snapshot_to_json(snapshot),
            received_at=now,
        )
        return after, g.next_deadline(state, config)

    def _write_behind(
        self, device: Device, snapshot: Snapshot, after: HotAccount, due_at: datetime | None, now: datetime
    ) -> None:
        if self.flusher is None or after.guard is None or after.snapshot is None:
            return
        account = snapshot.account
        state = StateFlush(
            device.account_id, after.rev, device.device_id, snapshot.seq, snapshot.time, now,
            account.currency, account.balance, account.equity, account.margin, after.snapshot,
            after.guard, due_at,
        )  # fmt: skip
        self.flusher.note(state)

    async def _durable(
        self, device: Device, snapshot: Snapshot, judged: _JudgedOnce, now: datetime
    ) -> SnapshotAnswer:
        """Store, judge and answer in one transaction, under the account's row lock, holding the hot
        state meanwhile (steady writers queue here); the hot state is marked for refresh after."""
        account_id = device.account_id
        try:
            async with self.ports.uow() as uow:
                locked = await uow.states.lock_for_snapshot(account_id, device.device_id)
                await self.ports.hot.hold(account_id, HOLD_SECONDS)
                hot, _ = await self.ports.hot.read(account_id)
                pg_rev = await uow.states.rev(account_id)
                context = _newest(locked, hot, pg_rev, device.device_id)
                rev = max(pg_rev, hot.rev if hot else 0) + 1
                last_seq = context.last_seq
                if last_seq is not None and snapshot.seq <= last_seq:
                    return SnapshotAnswer(last_seq, True, await _pending_bodies(uow, account_id, now))
                _check_seq_ahead(last_seq, snapshot.seq, now)
                market = await judged()
                new_deals = await uow.deals.add_new(account_id, snapshot.deals)
                alarm = market.alarm if market else ()
                state, due_at, eventful = await self.guard.on_snapshot(
                    uow, context, snapshot, new_deals, now, market_alarm=alarm
                )
                if market is not None and self.market is not None:
                    eventful = await self.market.apply(uow, context, snapshot, market, state, now) or eventful
                stored = snapshot_to_json(snapshot)
                await uow.states.save_snapshot(
                    account_id, device.device_id, snapshot, stored, state, due_at, now, rev
                )
                first = not context.has_state
                reconcile = bool(new_deals) or first
                if first:
                    await uow.outbox.add(_connected_alert(context, snapshot))
                commands = await _pending_bodies(uow, account_id, now)
                await uow.commit()
            after = HotAccount(
                hot.context if hot else _hot_context(context), state, rev,
                {**(hot.seqs if hot else {}), device.device_id: snapshot.seq},
                hot.deal_tickets if hot else (), stored, now, tuple(commands),
            ).with_deals(tuple(deal.ticket for deal in snapshot.deals))  # fmt: skip
            await self.ports.hot.put_newer(account_id, after)
        finally:
            await self.ports.hot.refresh({account_id})
        self._note_point(device, snapshot, now)
        await self._after_commit(account_id, ring=eventful or first)
        if reconcile and self.reconciliation is not None:
            # After the commit, in its own transaction: a pass that fails can never cost the snapshot its
            # guard (the sweep retries it: the stored pass still judged the old positions). A snapshot
            # with no new deal leaves its positions to the sweep (RECONCILE_SWEEP_SECONDS).
            await self.reconciliation.pass_alone(account_id, now, snapshot.positions)
        return SnapshotAnswer(snapshot.seq, False, commands)

    def _note_point(self, device: Device, snapshot: Snapshot, now: datetime) -> None:
        if self.flusher is not None:
            account = snapshot.account
            self.flusher.note_point(device.account_id, now, account.equity, account.balance)

    async def _after_commit(self, account_id: int, ring: bool = True) -> None:
        await self.ports.cache.invalidate_account(account_id)
        if ring:
            await self.ports.doorbell.ring()

    async def pending_commands(self, device: Device) -> list[dict[str, Any]]:
        hot, held = await self.accounts.ready(device.account_id)
        if hot is not None and not held:
            return hot.pending(self.clock())
        async with self.ports.uow() as uow:
            return await _pending_bodies(uow, device.account_id, self.clock())

    async def acknowledge(self, device: Device, command_id: str, ack: dict[str, Any]) -> None:
        """Idempotent: an ack for a command already settled or cancelled (withdrawn by an admin's unlock,
        or replaced by a newer attempt), or the same ack again, answers 200 and changes nothing. The
        unit of work's after-commit news marks the hot state for refresh (its pending commands)."""
        now = self.clock()
        async with self.ports.uow() as uow:
            command = await uow.commands.get_for(command_id, device.account_id)
            if command is None:
                raise UnknownCommand(f"no command {command_id} for this device")
            if command.status is not CommandStatus.PENDING or command.ack == ack:
                return
            status = CommandStatus.PENDING if ack["status"] == "partial" else CommandStatus(ack["status"])
            await uow.commands.record_ack(command_id, status, ack, now)
            if command.type is CommandType.CLOSE_ALL:
                await self.guard.on_close_all_ack(
                    uow, device.account_id, ack["status"], command.breach_no, now
                )
            await uow.commit()
        await self.ports.hot.refresh({device.account_id})
        await self._after_commit(device.account_id)


class _JudgedOnce:
    """A snapshot's market judgement, made the first time a seq check finds the snapshot new and reused
    after (a lost compare-and-set, the durable path after the steady one): a duplicate's quotes never
    reach the market memory (BRIDGE.md: acknowledged and ignored), and no quote is judged twice."""

    def __init__(self, judge: Callable[[str, Snapshot], Awaitable[MarketJudgement | None]], server: str,
                 snapshot: Snapshot) -> None:  # fmt: skip
        self._judge = judge
        self._server = server
        self._snapshot = snapshot
        self._done = False
        self._judgement: MarketJudgement | None = None

    async def __call__(self) -> MarketJudgement | None:
        if not self._done:
            self._judgement = await self._judge(self._server, self._snapshot)
            self._done = True
        return self._judgement


def _newest(context: SnapshotContext, hot: HotAccount | None, pg_rev: int, device_id: str) -> SnapshotContext:
    """The locked context with what the hot state holds ahead of Postgres: the guard when its rev is
    higher, the device's seq when higher."""
    if hot is None:
        return context
    guard = hot.guard if hot.guard is not None and hot.rev > pg_rev else context.guard
    seqs = [seq for seq in (context.last_seq, hot.seqs.get(device_id)) if seq is not None]
    return replace(
        context,
        guard=guard,
        last_seq=max(seqs) if seqs else None,
        has_state=context.has_state or hot.has_state,
    )


def _hot_context(context: SnapshotContext) -> HotContext:
    return HotContext(context.login, context.server, context.chat_id, context.personal_limit)


async def _pending_bodies(uow: UnitOfWork, account_id: int, now: datetime) -> list[dict[str, Any]]:
    """The pending commands as BRIDGE.md puts them in an answer: each one's body as issued."""
    return [command.body for command in await uow.commands.pending(account_id, now)]


def _check_seq_ahead(last_seq: int | None, seq: int, now: datetime) -> None:
    base = max(last_seq or 0, int(now.timestamp() * 1000))
    if seq > base + MAX_SEQ_AHEAD:
        raise InvalidInput(
            f"seq: {seq} runs too far ahead (at most {MAX_SEQ_AHEAD} past the larger of this device's last "
            "accepted seq and the server's Unix time in milliseconds)"
        )


def _check_account_matches(device: Device, snapshot: Snapshot) -> None:
    if snapshot.account.login != device.login:
        raise InvalidInput(
            f"account.login: {snapshot.account.login} is not the linked account {device.login}"
        )
    if snapshot.account.server != device.server:
        raise InvalidInput(f"account.server: {snapshot.account.server!r} is not the linked server")


def _connected_alert(ref: SnapshotContext, snapshot: Snapshot) -> Alert:
    account = snapshot.account
    connected = AccountConnected(
        login=ref.login,
        server=ref.server,
        currency=account.currency,
        equity=account.equity,
        balance=account.balance,
    )
    return Alert(f"connected:{ref.account_id}", ref.chat_id, connected)
