"""Linking an MT5 account: a device id and a one-time secret; linking again rotates the secret."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.domain.models import AuditEntry, User
from core.services.errors import AccountLinkedElsewhere, InvalidInput
from core.services.ports import Clock, UnitOfWorkFactory
from core.services.secrets import SecretBox, new_device_id, new_device_secret

SERVER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._\-]{0,63}$")
MAX_LOGIN = 2**63 - 1


@dataclass(frozen=True)
class LinkResult:
    login: int
    server: str
    device_id: str
    secret_hex: str
    rotated: bool

    def __repr__(self) -> str:  # never let the secret reach a log line
        return f"LinkResult(login={self.login}, device_id={self.device_id!r}, rotated={self.rotated})"


def parse_link_arguments(args: list[str]) -> tuple[int, str]:
    if len(args) < 2:
        raise InvalidInput("usage")
    login_text, server = args[0], " ".join(args[1:])
    if not login_text.isdigit() or not 0 < int(login_text) <= MAX_LOGIN:
        raise InvalidInput("login")
    if not SERVER_NAME.match(server):
        raise InvalidInput("server")
    return int(login_text), server


class LinkService:
    def __init__(self, uow: UnitOfWorkFactory, box: SecretBox, clock: Clock) -> None:
        self.uow = uow
        self.box = box
        self.clock = clock

    async def link(self, user: User, login: int, server: str) -> LinkResult:
        secret = new_device_secret()
        sealed = self.box.seal(secret)
        now = self.clock()
        async with self.uow() as uow:
            account = await uow.accounts.by_login(login)
            if account is not None and account.user_id != user.id:
                raise AccountLinkedElsewhere(str(login))
            if account is not None and account.server != server:
                raise InvalidInput("server_mismatch")
            device = await uow.devices.of_account(account.id) if account else None
            if account is None:
                account = await uow.accounts.add(user.id, login, server)
            if device is None:
                device_id = new_device_id()
                await uow.devices.add(device_id, account.id, sealed)
                action = "account.linked"
            else:
                device_id = device.device_id
                await uow.devices.rotate(device_id, sealed, now)
                action = "device.secret_rotated"
            details = {"login": login, "server": server, "device_id": device_id}
            await uow.audit.append(
                AuditEntry(f"user:{user.telegram_id}", action, f"account:{login}", details), now
            )
            await uow.commit()
        return LinkResult(login, server, device_id, secret, rotated=action == "device.secret_rotated")
