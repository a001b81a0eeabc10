"""Identifiers a person leaves behind (emails, payer fingerprints, MT5 logins, source addresses), in the one
normal form every check compares. Input is hostile: whatever arrives, the answer is a key or None."""

from __future__ import annotations

import unicodedata

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
# A quoted local part, whitespace or control characters: legal in RFC 5322 corners, never in a payment
# system's email field; refusing them beats guessing how a provider would deliver them.
_REFUSED = frozenset('"\\<>()[],;: ')


def normalise_email(raw: object) -> str | None:
    """The mailbox a person reads: lower-case, trimmed, `+tag` dropped on every domain, and for Gmail the
    dots of the local part dropped (googlemail.com is gmail.com). None for anything that is not an email.

    NFKC first, so full-width or compatibility look-alikes (`ａｌｉｃｅ＠gmail.com`) meet their plain form."""
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    if text.count("@") != 1 or any(c in _REFUSED or not c.isprintable() for c in text):
        return None
    local, domain = text.split("@")
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    if not local or not _is_domain(domain):
        return None
    return f"{local}@{domain}"


def _is_domain(domain: str) -> bool:
    labels = domain.split(".")
    return len(labels) >= 2 and all(labels)


def login_key(login: int, server: str) -> str:
    return f"{login}@{server}"  # as the EA reports it: one broker spells its server one way


# Prefixes of the identifier keys the cluster graph joins users through; a path shows them as they are.
LOGIN, IP, PAYER, EMAIL = "login", "ip", "payer", "email"
STRONG_KINDS = frozenset({LOGIN, PAYER, EMAIL})  # an address is shared by households; these are not


def identifier(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def kind_of(key: str) -> str:
    return key.split(":", 1)[0]
