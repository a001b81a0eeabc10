"""Linking an MT5 account (login and server): a device id and a one-time secret. Linking again gives a new
device (the old one stops working at once, and its `seq` with it). A second user may link a login@server
that is already linked: nobody can lock an owner out by linking first; both links are flagged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.account_key import BadAccountKey, parse_login, parse_server
from core.domain.alerts import AccountShared
from core.domain.models import Alert, AuditEntry, LinkedAccount, User
from core.services.errors import InvalidInput
from core.services.ports import Clock, UnitOfWork, UnitOfWorkFactory, ViewCache
from core.services.queries import AccountQueries
from core.services.secrets import SecretBox, new_device_id, new_device_secret


@dataclass(frozen=True)
class LinkResult:
    login: int
    server: str
    device_id: str
    secret_hex: str
    rotated: bool
    shared: bool = False

    def __repr__(self) -> str:  # never let the secret reach a log line
        return f"LinkResult(login={self.login}, device_id={self.device_id!r}, rotated={self.rotated})"


def parse_link_arguments(args: list[str]) -> tuple[int, str]:
    """`/link <login> <server>`: the login in ASCII digits (no sign, no leading zero, at most 19)."""
    if len(args) < 2:
        raise InvalidInput("usage")
    try:
        return parse_login(args[0]), parse_server(" ".join(args[1:]))
    except BadAccountKey as error:
        raise InvalidInput(error.field) from None


class LinkService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        box: SecretBox,
        clock: Clock,
        cache: ViewCache,
        lists: AccountQueries | None = None,
    ) -> None:
        self.uow = uow
        self.box = box
        self.clock = clock
        self.cache = cache
        self.lists = lists or AccountQueries(uow, cache, 0)  # keeps each user's cached list of links

    async def link(self, user: User, login: int, server: str) -> LinkResult:
        secret = new_device_secret()
        sealed = self.box.seal(secret)
        device_id = new_device_id()
        now = self.clock()
        actor = f"user:{user.telegram_id}"
        async with self.uow() as uow:
            await uow.accounts.lock_pair(login, server)  # two users linking at once both see each other
            links = await uow.accounts.find(login, server)
            mine = next((link for link in links if link.user_id == user.id), None)
            others = [link for link in links if link.user_id != user.id]
            if mine is None:
                account = await uow.accounts.add(user.id, login, server, now)
                action = "account.linked"
            else:
                account = mine
                await uow.devices.revoke_of_account(account.id, now)
                action = "device.secret_rotated"
            await uow.devices.add(device_id, account.id, sealed)
            details = {"login": login, "server": server, "device_id": device_id}
            await uow.audit.append(AuditEntry(actor, action, f"account:{login}", details), now)
            if others and mine is None:
                await _flag_shared(uow, actor, account, others, now)
            await uow.commit()
        await self.lists.links_changed({user.id} | {other.user_id for other in others})  # a shared flag too
        return LinkResult(login, server, device_id, secret, rotated=mine is not None, shared=bool(others))


async def _flag_shared(
    uow: UnitOfWork, actor: str, account: LinkedAccount, others: list[LinkedAccount], now: datetime
) -> None:
    """Flag every link of the pair (admins and the fraud checks read it), tell the earlier owners."""
    await uow.accounts.mark_shared(account.login, account.server)
    for other in others:
        shared = AccountShared(login=account.login, server=account.server)
        key = f"shared:{other.id}:{account.id}"
        await uow.outbox.add(Alert(key, other.owner_telegram_id, shared))
    details = {
        "login": account.login,
        "server": account.server,
        "links": [other.id for other in others] + [account.id],
        "users": [other.owner_telegram_id for other in others],
    }
    entry = AuditEntry(actor, "account.shared_link", f"account:{account.login}", details)
    await uow.audit.append(entry, now)
