"""One way to find the accounts a name means, for every use case that takes `<login>[@<server>]`."""

from __future__ import annotations

from core.domain.account_key import AccountKey
from core.domain.models import LinkedAccount
from core.services.errors import AmbiguousAccount, NotFound
from core.services.ports import UnitOfWork


async def links_named(uow: UnitOfWork, key: AccountKey) -> list[LinkedAccount]:
    """The links of one login@server (several when users share it), oldest first.

    A login alone that exists on several servers is ambiguous (PRODUCT.md): the answer names them all.
    """
    links = await uow.accounts.find(key.login, key.server)
    if not links:
        raise NotFound(str(key))
    servers = sorted({link.server for link in links})
    if len(servers) > 1:
        raise AmbiguousAccount([f"{key.login}@{server}" for server in servers])
    return links
