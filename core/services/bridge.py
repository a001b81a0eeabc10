"""The server side of BRIDGE.md: who is calling, what their account holds, what they must do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.bridge.signing import NONCE_PATTERN, signature_matches
from core.domain.alerts import AccountConnected
from core.domain.commands import CommandStatus, CommandType
from core.domain.models import Alert, Device, SnapshotContext
from core.domain.snapshot import Snapshot, snapshot_to_json
from core.services.errors import AuthenticationFailed, InvalidInput, ReplayedNonce, UnknownCommand
from core.services.guard import GuardService
from core.services.market import MarketGuardService
from core.services.ports import (
    Clock,
    Doorbell,
    LatestSnapshots,
    NonceStore,
    UnitOfWork,
    UnitOfWorkFactory,
    ViewCache,
)
from core.services.secrets import SecretBox

TIMESTAMP_WINDOW_SECONDS = 30
NONCE_TTL_SECONDS = 600
# How far ahead a seq may run: a day's worth of milliseconds past the server clock in Unix milliseconds
# (clients that count in milliseconds, like the reference client, stay far inside it) or past the
# device's last accepted seq (clients that count snapshots). A single request can no longer push seq to
# 2**63-1 and make every later snapshot of its device a "duplicate" forever.
MAX_SEQ_AHEAD = 86_400_000


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
    latest: LatestSnapshots
    doorbell: Doorbell


class BridgeService:
    def __init__(
        self,
        ports: BridgePorts,
        box: SecretBox,
        guard: GuardService,
        clock: Clock,
        market: MarketGuardService | None = None,
    ) -> None:
        self.ports = ports
        self.box = box
        self.guard = guard
        self.clock = clock
        self.market = market

    async def authenticate(self, request: SignedRequest) -> Device:
        """BRIDGE.md's order: device, timestamp window, signature, then the nonce (only once verified)."""
        if not NONCE_PATTERN.match(request.nonce):
            raise AuthenticationFailed("missing_header", "X-TG-Nonce: 16 to 64 characters of [A-Za-z0-9_-]")
        if not request.device_id.isascii():  # device ids are ASCII; the driver cannot even encode some text
            raise AuthenticationFailed("unknown_device", "unknown or revoked device")
        async with self.ports.uow() as uow:
            device = await uow.devices.get(request.device_id)
        if device is None or device.revoked:
            raise AuthenticationFailed("unknown_device", "unknown or revoked device")
        self._check_timestamp(request.timestamp)
        secret = self.box.open(device.secret_encrypted)
        if not request.signature.isascii() or not signature_matches(
            secret,
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
        """Store, judge and answer in one transaction: the answer already carries any close commands."""
        _check_account_matches(device, snapshot)
        now = self.clock()
        async with self.ports.uow() as uow:
            context = await uow.states.lock_for_snapshot(device.account_id, device.device_id)
            last_seq = context.last_seq
            if last_seq is not None and snapshot.seq <= last_seq:
                return SnapshotAnswer(last_seq, True, await _pending_bodies(uow, device.account_id, now))
            _check_seq_ahead(last_seq, snapshot.seq, now)
            new_deals = await uow.deals.add_new(device.account_id, snapshot.deals)
            market = await self.market.judge(uow, context.server, snapshot) if self.market else None
            alarm = market.alarm if market else ()
            state, due_at, eventful = await self.guard.on_snapshot(
                uow, context, snapshot, new_deals, now, market_alarm=alarm
            )
            if market is not None and self.market is not None:
                eventful = await self.market.apply(uow, context, snapshot, market, state, now) or eventful
            stored = snapshot_to_json(snapshot)
            await uow.states.save_snapshot(
                device.account_id, device.device_id, snapshot, stored, state, due_at, now
            )
            first = not context.has_state
            if first:
                await uow.outbox.add(_connected_alert(context, snapshot))
            commands = await _pending_bodies(uow, device.account_id, now)
            await uow.commit()
        await self._after_commit(device.account_id, stored, ring=eventful or first)
        return SnapshotAnswer(snapshot.seq, False, commands)

    async def _after_commit(
        self, account_id: int, stored: dict[str, Any] | None = None, ring: bool = True
    ) -> None:
        await self.ports.cache.invalidate_account(account_id)
        if stored is not None:
            await self.ports.latest.put(account_id, stored)
        if ring:
            await self.ports.doorbell.ring()

    async def pending_commands(self, device: Device) -> list[dict[str, Any]]:
        async with self.ports.uow() as uow:
            return await _pending_bodies(uow, device.account_id, self.clock())

    async def acknowledge(self, device: Device, command_id: str, ack: dict[str, Any]) -> None:
        """Idempotent: an ack for a command already settled or cancelled (withdrawn by an admin's unlock,
        or replaced by a newer attempt), or the same ack again, answers 200 and changes nothing."""
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
        await self._after_commit(device.account_id)


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
