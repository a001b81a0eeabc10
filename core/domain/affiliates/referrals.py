"""Referral rules (issue 11), pure: what a referral code looks like, the deep link that carries it, and
whether a first touch may be attributed (no self-referral, no cycle in the referrer chain)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

PAYLOAD_PREFIX = "ref_"
# `secrets.token_urlsafe(9)` gives 12 characters; a few more are accepted so the length may grow, but
# `ref_<code>` must stay within Telegram's 64-character start parameter.
CODE = re.compile(r"^[A-Za-z0-9_-]{8,60}$")
CODE_BYTES = 9


class Refusal(StrEnum):
    """Why a /start ref_<code> attributed nobody; each is logged, none is shown as an error."""

    NOT_A_REFERRAL = "not_a_referral"  # no ref_ payload, or a malformed code
    KNOWN_USER = "known_user"  # the bot had seen this user before this update: first touch only
    ALREADY_REFERRED = "already_referred"
    UNKNOWN_CODE = "unknown_code"
    BANNED_CODE = "banned_code"
    SELF = "self"
    CYCLE = "cycle"


def is_code(text: str) -> bool:
    return bool(CODE.match(text))


def code_of(payload: str) -> str | None:
    """The code in a /start payload `ref_<code>`, or None when the payload is no referral."""
    if not payload.startswith(PAYLOAD_PREFIX):
        return None
    code = payload.removeprefix(PAYLOAD_PREFIX)
    return code if is_code(code) else None


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={PAYLOAD_PREFIX}{code}"


def referrer_chain(start: int, referrer_of: Callable[[int], int | None]) -> list[int]:
    """`start`'s referrer, their referrer, and so on: each user once, however long the chain, and even
    when the stored chain already loops (a walk that met a user again stops there)."""
    chain: list[int] = []
    seen = {start}
    current = referrer_of(start)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = referrer_of(current)
    return chain


def refusal(referee_id: int, referrer_id: int, referrer_ancestors: set[int] | list[int]) -> Refusal | None:
    """Whether `referrer_id` may be recorded as `referee_id`'s referrer, given the referrer's own chain
    of referrers: not oneself, and not someone the referee (directly or through others) referred."""
    if referee_id == referrer_id:
        return Refusal.SELF
    if referee_id in referrer_ancestors:
        return Refusal.CYCLE
    return None


@dataclass(frozen=True)
class ReferralCode:
    """A trader's code, with their Telegram id (the chat a referral alert goes to)."""

    user_id: int
    telegram_id: int
    code: str
    banned: bool  # a banned code attributes nobody (the fraud checks set it)
