"""The global halt (/halt, /resume): admins only, audited, and every trader is told once each way.

Authorisation is AdminService.require_admin, injected: one refusal rule (audited) for every admin use
case. The halt itself is enforced where commands are written (db.repositories.halt and migration 0006),
so whatever issues an open_position later cannot forget to ask.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.domain import halt as h
from core.domain.alerts import HaltEnded, HaltStarted
from core.domain.models import Alert, AuditEntry, User
from core.services.ports import Clock, Doorbell, UnitOfWork, UnitOfWorkFactory

RequireAdmin = Callable[[User, str], Awaitable[None]]
SUBJECT = "trading"  # the halts' own audit chain


@dataclass(frozen=True)
class HaltChange:
    """What a /halt or /resume did: the halt, how many traders are told, which orders were withdrawn."""

    halt: h.Halt
    traders_told: int
    withdrawn: tuple[str, ...] = ()


class HaltService:
    def __init__(
        self, uow: UnitOfWorkFactory, require_admin: RequireAdmin, doorbell: Doorbell, clock: Clock
    ) -> None:
        self.uow = uow
        self.require_admin = require_admin
        self.doorbell = doorbell
        self.clock = clock

    async def current(self) -> h.Halt | None:
        """The halt in force, if any (not secret: it concerns every account alike)."""
        async with self.uow() as uow:
            return await uow.halt.current()

    async def halt(self, actor: User, note: str = "") -> HaltChange:
        """Stop every new position from now on; raises AlreadyHalted (nothing changed) during a halt."""
        await self.require_admin(actor, "halt")
        now, who, note = self.clock(), f"admin:{actor.telegram_id}", h.halt_note(note)
        async with self.uow() as uow:
            h.check_can_halt(await uow.halt.lock())
            halt = await uow.halt.start(who, note, now)
            withdrawn = tuple(await uow.halt.withdraw_pending(h.STOPPED_BY_HALT, now))
            alert = HaltStarted(halt=halt.number, since=halt.since)
            told = await _tell_traders(uow, alert, h.halted_alert_key, halt)
            details = {"halt": halt.number, "note": note, "withdrawn": list(withdrawn), "traders_told": told}
            await uow.audit.append(AuditEntry(who, "admin.halt", SUBJECT, details), now)
            await uow.commit()
        await self.doorbell.ring()
        return HaltChange(halt, told, withdrawn)

    async def resume(self, actor: User) -> HaltChange:
        """End the halt in force; raises NotHalted (nothing changed) when there is none."""
        await self.require_admin(actor, "resume")
        now, who = self.clock(), f"admin:{actor.telegram_id}"
        async with self.uow() as uow:
            halt = await uow.halt.end(h.check_can_resume(await uow.halt.lock()), who, now)
            resumed = HaltEnded(halt=halt.number, since=halt.since, until=now)
            told = await _tell_traders(uow, resumed, h.resumed_alert_key, halt)
            details = {"halt": halt.number, "since": halt.since.isoformat(), "traders_told": told}
            await uow.audit.append(AuditEntry(who, "admin.resume", SUBJECT, details), now)
            await uow.commit()
        await self.doorbell.ring()
        return HaltChange(halt, told)


async def _tell_traders(
    uow: UnitOfWork, alert: HaltStarted | HaltEnded, key: Callable[[h.Halt, int], str], halt: h.Halt
) -> int:
    """One alert per trader with a linked account, keyed by the halt's number: told once each way."""
    told = 0
    for chat_id in await uow.halt.trader_chats():
        told += await uow.outbox.add(Alert(key(halt, chat_id), chat_id, alert))
    return told
