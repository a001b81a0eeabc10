"""/audit in words (issue 13): one page of entries about an account or user, each line who, what, when and
why in the admin's language (a message per common action, a generic one for the rest), every value
escaped; ◀ ▶ buttons with short, versioned callback data."""

from __future__ import annotations

import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Raw, Translator
from bot.render.trades import period
from bot.render.values import Renderer, Values
from core.domain.alerts import AlertBody, AuditAnchor
from core.services.audit import DAYS_MAX, AuditPage, AuditTarget, parse_target_token
from core.services.ports.audit import AuditRecord

AUDIT_BUTTON = "au:v1:"  # au:v1:<days>:<page>:<a|u|e><login or Telegram id>, at most 39 bytes
BUTTON = re.compile(r"au:v1:([1-9][0-9]{0,2}):([0-9]{1,6}):([aue][1-9][0-9]{0,18})", re.ASCII)
# actions with words of their own (`audit.action.<action>`); any other is named by its code
KNOWN_ACTIONS = frozenset({
    "account.linked", "account.shared_link", "device.secret_rotated", "admin.refused", "admin.liquidate",
    "admin.lock", "admin.unlock", "admin.reset_peak", "admin.halt", "admin.resume",
    "settings.drawdown_limit", "signal.refused", "import.statement", "payment.refunded",
})  # fmt: skip
PERSON = re.compile(r"(user|admin|tg):(\d{1,19})")
WHY_KEYS = ("note", "reason", "command", "signal", "status", "percent")  # in this order, the first present
WHY_CHARS = 200


def audit_button(target: AuditTarget, days: int, page: int) -> str:
    return f"{AUDIT_BUTTON}{days}:{page}:{target.token}"


def parse_audit_button(data: str) -> tuple[AuditTarget, int, int] | None:
    """The target, days and page of one of our buttons; None for anything else (old or forged)."""
    if (found := BUTTON.fullmatch(data)) is None or int(found.group(1)) > DAYS_MAX:
        return None
    target = parse_target_token(found.group(3))
    return None if target is None else (target, int(found.group(1)), int(found.group(2)))


def audit_keyboard(view: AuditPage) -> InlineKeyboardMarkup | None:
    moves = [("◀", view.page - 1)] if view.page > 0 else []
    moves += [("▶", view.page + 1)] if view.page + 1 < view.pages else []
    buttons = [
        InlineKeyboardButton(label, callback_data=audit_button(view.target, view.days, page))
        for label, page in moves
    ]
    return InlineKeyboardMarkup([buttons]) if buttons else None


def render_audit_page(t: Translator, view: AuditPage) -> str:
    if not view.entries:
        return t("audit.empty", target=str(view.target), period=Raw(period(t, view.days)))
    header = t.plural(
        "audit.header", view.total, target=str(view.target), period=Raw(period(t, view.days)),
        page=view.page + 1, pages=view.pages,
    )  # fmt: skip
    return "\n\n".join([header, *(render_entry(t, record) for record in view.entries)])


def render_entry(t: Translator, record: AuditRecord) -> str:
    line = t(
        "audit.line",
        when=record.at.strftime("%Y-%m-%d %H:%M UTC"),
        who=Raw(who(t, record)),
        what=Raw(what(t, record.action)),
    )
    reason = why(record.details)
    return line + "\n" + t("audit.why", why=reason) if reason else line


def who(t: Translator, record: AuditRecord) -> str:
    """The person as the writer named them (from the row's personal values), `audit.who_erased` once those
    are erased, else the system actor's code."""
    values: dict[str, Any] = (record.personal or {}).get("values", {})
    named = values.get("actor", record.actor)
    if (person := PERSON.fullmatch(str(named))) is not None:
        kind = "admin" if person.group(1) == "admin" else "user"
        return t(f"audit.who_{kind}", id=person.group(2))
    if "#" in record.actor or record.actor.startswith("p:"):
        return t("audit.who_erased")
    return t("audit.who_system", actor=record.actor)


def what(t: Translator, action: str) -> str:
    if action in KNOWN_ACTIONS:
        return t(f"audit.action.{action}")
    return t("audit.action_other", action=action)


def why(details: dict[str, Any]) -> str:
    """The first of the details that says why (a note, a reason, the refused command …), else them all."""
    for key in WHY_KEYS:
        if details.get(key) not in (None, ""):
            text = f"{key}: {details[key]}"
            break
    else:
        text = ", ".join(f"{key}: {value}" for key, value in sorted(details.items()))
    return text if len(text) <= WHY_CHARS else text[: WHY_CHARS - 1] + "…"


def _anchor(t: Translator, alert: AuditAnchor) -> Values:
    return {
        "day": alert.at.strftime("%Y-%m-%d"),
        "entries": Raw(t.plural("audit.anchor_entries", alert.entries)),
        "head_id": alert.head_id,
        "head_hash": alert.head_hash,
    }


AUDIT_RENDERERS: dict[type[AlertBody], Renderer] = {AuditAnchor: _anchor}
