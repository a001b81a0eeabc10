"""How people and scripts name an MT5 account: `<login>` or `<login>@<server>` (PRODUCT.md, Accounts).

One parser for every edge (bot arguments, operator URLs, admin commands), so no edge can read a name
differently: ASCII digits only (`str.isdigit` also takes "٣" and "²"), no leading zero (`0007` is not
`7`), at most 19 digits, below 2**63 (a BIGINT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ID = MAX_LOGIN = 2**63 - 1
ID_PATTERN = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)
SERVER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._\-]{0,63}", re.ASCII)


class BadAccountKey(ValueError):
    """The text does not name an account; `field` says which part is wrong (`login` or `server`)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@dataclass(frozen=True)
class AccountKey:
    login: int
    server: str | None = None

    def __str__(self) -> str:
        return f"{self.login}@{self.server}" if self.server else str(self.login)


def parse_id(text: str) -> int | None:
    """A positive BIGINT as people and scripts write it (a login, a Telegram id, a row id): ASCII digits,
    no sign, no leading zero, at most 2**63-1; None for anything else."""
    if not ID_PATTERN.fullmatch(text) or int(text) > MAX_ID:
        return None
    return int(text)


def parse_login(text: str) -> int:
    login = parse_id(text)
    if login is None:
        raise BadAccountKey("login")
    return login


def parse_server(text: str) -> str:
    if not SERVER_PATTERN.fullmatch(text):
        raise BadAccountKey("server")
    return text


def parse_account_key(text: str) -> AccountKey:
    """`5012345` or `5012345@Broker-Live`; anything else raises BadAccountKey."""
    login_text, at, server_text = text.partition("@")
    login = parse_login(login_text)
    return AccountKey(login, parse_server(server_text) if at else None)
