"""What a trade history report gives us, and why one is refused.

A report is the file a trader's terminal writes when asked for its history: MT5's Trade History Report
(`.xlsx` or `.html`) or MT4's Detailed Statement (`.htm`). Parsed, it is the account it names and its
deals as `core.domain.snapshot.Deal`s, Decimal everywhere, so the rest of the service (attribution, the
guard's replay, de-duplication by ticket) reads an imported history like one the bridge sent.

Times: a report writes the broker's server time with no zone. It is kept as written and tagged UTC (the
zone every domain time carries); a caller that knows the server's offset shifts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from core.domain.snapshot import Deal, DealReason

# A Telegram bot may download at most 20 MB; a year of a busy MT4 account is under 1 MB (the shared
# 1,783-trade statement is 0.9 MB). Anything past this is not a history we want to hold in memory.
MAX_STATEMENT_BYTES = 8 * 1024 * 1024
# An .xlsx is a zip: what it unpacks to is bounded too, so a small zip bomb is refused before openpyxl.
MAX_UNPACKED_XLSX_BYTES = 64 * 1024 * 1024


class StatementFormat(StrEnum):
    MT5_XLSX = "mt5_xlsx"
    MT5_HTML = "mt5_html"
    MT4_HTML = "mt4_html"


class Refusal(StrEnum):
    """Why a file was refused; the value is the message id the bot shows (locales/)."""

    NOT_A_REPORT = "import.not_a_report"
    TOO_BIG = "import.too_big"
    UNREADABLE = "import.unreadable"


class StatementError(ValueError):
    """A file that is not a history we can import. `refusal.value` is the message id for the user;
    the text (for the log) says what exactly was wrong."""

    def __init__(self, refusal: Refusal, detail: str) -> None:
        super().__init__(f"{refusal.value}: {detail}")
        self.refusal = refusal
        self.detail = detail

    @property
    def locale_key(self) -> str:
        return self.refusal.value


@dataclass(frozen=True)
class AccountIdentity:
    """The account a report names. MT4 statements name no server; `company` is the broker's name."""

    login: int
    currency: str
    server: str | None = None
    company: str | None = None
    netting: bool = False


@dataclass(frozen=True)
class Statement:
    format: StatementFormat
    account: AccountIdentity
    deals: tuple[Deal, ...]


_TIME = re.compile(r"^\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}(:\d{2})?$")


def is_report_time(text: str | None) -> bool:
    return text is not None and _TIME.match(text.strip()) is not None


def parse_time(text: str) -> datetime:
    """`2019.04.04 04:10:11` (or without seconds), server time, tagged UTC (see the module's note)."""
    text = text.strip()
    pattern = "%Y.%m.%d %H:%M:%S" if text.count(":") == 2 else "%Y.%m.%d %H:%M"
    try:
        return datetime.strptime(text, pattern).replace(tzinfo=UTC)
    except ValueError as error:
        raise StatementError(Refusal.UNREADABLE, f"not a report time: {text!r}") from error


def parse_money(text: str | None) -> Decimal:
    """A number as reports write it: `-1 680`, `100 000.00`, `0.01 / 0.01` (the first), empty as 0."""
    if text is None:
        return Decimal(0)
    cleaned = text.replace("\xa0", "").replace(" ", "").split("/")[0]
    if cleaned == "":
        return Decimal(0)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise StatementError(Refusal.UNREADABLE, f"not a number: {text!r}") from error
    if not value.is_finite():
        raise StatementError(Refusal.UNREADABLE, f"not a finite number: {text!r}")
    return value


def parse_ticket(text: str | None) -> int:
    cleaned = (text or "").strip()
    if not cleaned.isdigit():
        raise StatementError(Refusal.UNREADABLE, f"not a ticket: {text!r}")
    return int(cleaned)


def close_reason(comment: str) -> DealReason:
    """What closed a trade, from the marker the terminal writes in its comment (`[sl]`, `[tp/gap]`,
    `[sl 1.10000]`, `[so: …]`); a close with no marker is reported as `other` (MT4 does not say who)."""
    lowered = comment.lower()
    for marker, reason in (("[sl", DealReason.SL), ("[tp", DealReason.TP), ("[so", DealReason.SO)):
        if marker in lowered:
            return reason
    return DealReason.OTHER
