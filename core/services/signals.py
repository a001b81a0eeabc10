"""Signals (PRODUCT.md, Signals): an operator's signal fans out to every linked account, in the mode its
trader chose (`/settings signals auto|approve|off`, approve by default).

- auto: the `open_position` is queued at once (reason `signal`, one per signal and account).
- approve: the trader gets the signal with Approve and Skip; only the account's owner, before
  `expires_at`, queues the command by approving; a second press changes nothing.
- Locked, liquidated (as the guard's durable state says) or globally halted accounts get nothing: their
  delivery is recorded as refused, with the reason. The halt is also enforced where commands are written
  (db.repositories.halt), so an approval during a halt is refused too.

Every queued command records the trade it makes us expect (core.domain.signals.ExpectedTrade).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from core.domain.alerts import SignalReceived
from core.domain.commands import COMMAND_TTL_SECONDS, CommandRequest, CommandType
from core.domain.halt import Halt, TradingHalted
from core.domain.models import Alert, AuditEntry, User
from core.domain.signals import (
    Delivery,
    DeliveryStatus,
    ExpectedTrade,
    InvalidSignal,
    Signal,
    SignalMode,
    SkipReason,
    alert_key,
    check_signal,
    command_key,
    risk_volume,
)
from core.services.errors import Forbidden, InvalidInput, NotFound
from core.services.ports import Clock, Doorbell, Follower, UnitOfWork, UnitOfWorkFactory
from core.services.queries import AccountQueries

OPERATOR_ROLE = "operator"
SIGNAL_REASON = "signal"  # BRIDGE.md, the reason of an open_position from a signal


@dataclass(frozen=True)
class Posted:
    """What posting a signal did: the signal as stored, whether it is new, and where it went."""

    signal: Signal
    created: bool
    deliveries: tuple[Delivery, ...]

    def count(self, status: DeliveryStatus) -> int:
        return sum(1 for delivery in self.deliveries if delivery.status is status)


@dataclass(frozen=True)
class Decision:
    """What a press of Approve or Skip did; `changed` is False when it had been decided before."""

    delivery: Delivery
    signal: Signal
    changed: bool


class SignalService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        queries: AccountQueries,
        doorbell: Doorbell,
        clock: Clock,
        command_ttl_seconds: int = COMMAND_TTL_SECONDS,
    ) -> None:
        self.uow = uow
        self.queries = queries
        self.doorbell = doorbell
        self.clock = clock
        self.command_ttl_seconds = command_ttl_seconds

    async def post(self, role: str, signal: Signal) -> Posted:
        """A new signal fans out at once; the same id again changes nothing and returns the stored one.
        Raises Forbidden for a token of another role, InvalidInput (nothing stored) for a bad signal."""
        if role != OPERATOR_ROLE:
            raise Forbidden(f"role {role!r} may not post signals")
        try:
            check_signal(signal)
        except InvalidSignal as error:
            raise InvalidInput(str(error)) from None
        now = signal.received_at
        async with self.uow() as uow:
            if not await uow.signals.add(signal):
                stored = await uow.signals.get(signal.id)
                assert stored is not None
                return Posted(stored, False, tuple(await uow.signals.deliveries(signal.id)))
            halt = await uow.halt.current()
            deliveries = [
                await self._deliver(uow, signal, follower, halt, now)
                for follower in await uow.signals.followers()
            ]
            await uow.commit()
        await self.doorbell.ring()
        return Posted(signal, True, tuple(deliveries))

    async def _deliver(
        self, uow: UnitOfWork, signal: Signal, follower: Follower, halt: Halt | None, now: datetime
    ) -> Delivery:
        delivery = Delivery(signal.id, follower.account_id, follower.mode, DeliveryStatus.SKIPPED)
        refusal = _refusal(follower, halt)
        if follower.mode is SignalMode.OFF:
            delivery = replace(delivery, reason=SkipReason.MODE_OFF)
        elif refusal is not None:
            delivery = replace(delivery, status=DeliveryStatus.REFUSED, reason=refusal)
        else:
            volume = signal.volume if signal.volume is not None else await self._size(signal, follower)
            if isinstance(volume, SkipReason):
                delivery = replace(delivery, reason=volume)
            elif follower.mode is SignalMode.AUTO:
                delivery = await self._queue(uow, signal, replace(delivery, volume=volume), now)
            else:
                delivery = replace(delivery, status=DeliveryStatus.AWAITING_APPROVAL, volume=volume)
                await uow.outbox.add(_alert(signal, follower, volume))
        await uow.signals.add_delivery(delivery, now)
        return delivery

    async def _size(self, signal: Signal, follower: Follower) -> Decimal | SkipReason:
        """risk_percent → lots, from the account's latest equity and the entry (or latest quote)."""
        assert signal.risk_percent is not None
        try:
            equity = (await self.queries.view(follower.account_id)).equity
        except NotFound:
            equity = None
        price = signal.entry if signal.entry is not None else await self._quote(signal, follower.account_id)
        return risk_volume(signal.risk_percent, equity, price, signal.sl)

    async def _quote(self, signal: Signal, account_id: int) -> Decimal | None:
        """The price the account would fill at now: the ask for a buy, the bid for a sell."""
        hot = await self.queries.hot_state(account_id)
        if hot is None or hot.snapshot is None:
            return None
        side = "ask" if signal.side.value == "buy" else "bid"
        for quote in hot.snapshot.get("quotes", ()):
            if quote.get("symbol") == signal.symbol:
                return Decimal(str(quote[side]))
        return None

    async def _queue(self, uow: UnitOfWork, signal: Signal, delivery: Delivery, now: datetime) -> Delivery:
        """Issue the open_position and record the expected trade; refused (nothing issued) when halted."""
        assert delivery.volume is not None
        request = CommandRequest(
            command_key(signal.id, delivery.account_id),
            CommandType.OPEN_POSITION,
            SIGNAL_REASON,
            _command_fields(signal, delivery.volume),
        )
        try:
            issued = await uow.commands.issue(delivery.account_id, request, now, self._ttl(signal, now))
        except TradingHalted:
            return replace(delivery, status=DeliveryStatus.REFUSED, reason=SkipReason.HALTED)
        if issued is None:  # issued before under this key: that command stands
            issued = (await uow.commands.with_key_prefix(delivery.account_id, request.dedupe_key))[0]
        await uow.signals.add_expected(_expected(signal, delivery, issued.id, now))
        status = DeliveryStatus.QUEUED if delivery.mode is SignalMode.AUTO else DeliveryStatus.APPROVED
        return replace(delivery, status=status, command_id=issued.id)

    def _ttl(self, signal: Signal, now: datetime) -> int:
        """An order lives an hour (BRIDGE.md), and never past the signal's own expiry."""
        if signal.expires_at is None:
            return self.command_ttl_seconds
        return max(1, min(self.command_ttl_seconds, int((signal.expires_at - now).total_seconds())))

    async def decide(self, actor: User, signal_id: str, account_id: int, approve: bool) -> Decision:
        """Approve (queue the open_position) or skip a signal awaiting approval on one account. Only the
        account's owner may (Forbidden, audited, otherwise); after expires_at it expires instead."""
        now = self.clock()
        async with self.uow() as uow:
            follower = await uow.signals.follower(account_id)
            if follower is None or follower.owner_id != actor.id:
                await _audit_refusal(uow, actor, signal_id, account_id, now)
                raise Forbidden(f"account {account_id} is not {actor.telegram_id}'s")
            delivery = await uow.signals.lock_delivery(signal_id, account_id)
            signal = await uow.signals.get(signal_id)
            if delivery is None or signal is None:
                raise NotFound(f"signal {signal_id} on account {account_id}")
            if delivery.status is not DeliveryStatus.AWAITING_APPROVAL:
                return Decision(delivery, signal, changed=False)
            decided = await self._decision(uow, signal, delivery, follower, approve, now)
            await uow.signals.decide(decided, now)
            details = {"signal": signal_id, "status": decided.status.value, "command": decided.command_id}
            await uow.audit.append(
                AuditEntry(
                    f"user:{actor.telegram_id}", f"signal.{decided.status.value}", _subject(follower), details
                ),
                now,
            )
            await uow.commit()
        return Decision(decided, signal, changed=True)

    async def _decision(
        self,
        uow: UnitOfWork,
        signal: Signal,
        delivery: Delivery,
        follower: Follower,
        approve: bool,
        now: datetime,
    ) -> Delivery:
        if signal.expired(now):
            return replace(delivery, status=DeliveryStatus.EXPIRED)
        if not approve:
            return replace(delivery, status=DeliveryStatus.SKIPPED, reason=SkipReason.BY_TRADER)
        refusal = _refusal(follower, await uow.halt.current())
        if refusal is not None:
            return replace(delivery, status=DeliveryStatus.REFUSED, reason=refusal)
        return await self._queue(uow, signal, delivery, now)

    async def mode_of(self, actor: User) -> SignalMode:
        async with self.uow() as uow:
            return await uow.signals.mode(actor.id)

    async def set_mode(self, actor: User, text: str) -> SignalMode:
        """`auto`, `approve` or `off` for every account of `actor`; InvalidInput otherwise."""
        try:
            mode = SignalMode(text.strip().lower())
        except ValueError:
            raise InvalidInput("signals_mode") from None
        async with self.uow() as uow:
            await uow.signals.set_mode(actor.id, mode)
            await uow.commit()
        return mode


def was_reached(delivery: Delivery) -> bool:
    """Queued at once, or sent to the trader for approval (whatever the trader did with it since)."""
    if delivery.status in (DeliveryStatus.QUEUED, DeliveryStatus.AWAITING_APPROVAL, DeliveryStatus.APPROVED):
        return True
    return delivery.status is DeliveryStatus.EXPIRED or delivery.reason is SkipReason.BY_TRADER


def _refusal(follower: Follower, halt: Halt | None) -> SkipReason | None:
    if follower.liquidated:  # a liquidation locks too: say the bigger thing
        return SkipReason.LIQUIDATED
    if follower.locked:
        return SkipReason.LOCKED
    if halt is not None and halt.active:
        return SkipReason.HALTED
    return None


def _wire(value: Decimal) -> str:
    """An exact decimal string without the stored NUMERIC(24, 8)'s trailing zeros ("0.1", "1.085")."""
    return format(value.normalize(), "f")


def _command_fields(signal: Signal, volume: Decimal) -> dict[str, str]:
    fields = {"symbol": signal.symbol, "side": signal.side.value, "volume": _wire(volume)}
    levels = (("sl", signal.sl), ("tp", signal.tp))
    fields |= {name: _wire(value) for name, value in levels if value is not None}
    return fields | {"signal_id": signal.id}


def _expected(signal: Signal, delivery: Delivery, command_id: str, now: datetime) -> ExpectedTrade:
    assert delivery.volume is not None
    return ExpectedTrade(
        signal_id=signal.id,
        account_id=delivery.account_id,
        command_id=command_id,
        symbol=signal.symbol,
        side=signal.side,
        volume=delivery.volume,
        queued_at=now,
        entry=signal.entry,
        sl=signal.sl,
        tp=signal.tp,
        expires_at=signal.expires_at,
    )


def _alert(signal: Signal, follower: Follower, volume: Decimal) -> Alert:
    body = SignalReceived(
        login=follower.login,
        server=follower.server,
        currency=follower.currency,
        account_id=follower.account_id,
        signal_id=signal.id,
        symbol=signal.symbol,
        side=signal.side,
        volume=volume,
        risk_percent=signal.risk_percent,
        entry=signal.entry,
        sl=signal.sl,
        tp=signal.tp,
        expires_at=signal.expires_at,
    )
    return Alert(alert_key(signal.id, follower.account_id), follower.owner_telegram_id, body)


def _subject(follower: Follower) -> str:
    return f"account:{follower.login}"  # the account's audit chain, as the admin actions name it


async def _audit_refusal(
    uow: UnitOfWork, actor: User, signal_id: str, account_id: int, now: datetime
) -> None:
    """A press on someone else's signal: refused and audited (committed on its own)."""
    details = {"signal": signal_id, "account_id": account_id}
    await uow.audit.append(AuditEntry(f"user:{actor.telegram_id}", "signal.refused", "signals", details), now)
    await uow.commit()
