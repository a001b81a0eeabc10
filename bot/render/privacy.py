"""/privacy in words (issue 13): what is stored, why and how long, with the buttons Export and Delete;
the deletion's confirmation and what was kept; the export's ZIP (one JSON file per kind of data, through
core.domain.codec, and a README.txt in the trader's language). Pure: no Application, no I/O."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from core.domain.codec import encode_time, to_json
from core.services.ports.privacy import PersonalData

PRIVACY_BUTTON = "pv:v1:"  # pv:v1:<action>, well under Telegram's 64 bytes
EXPORT, DELETE, CONFIRM, CANCEL = "export", "delete", "confirm", "cancel"
ACTIONS = (EXPORT, DELETE, CONFIRM, CANCEL)
# file name in the ZIP → PersonalData's field (its README line is `privacy.readme_<field>`)
EXPORT_FILES = {
    "profile.json": "profile",
    "links.json": "links",
    "account_state.json": "account_state",
    "equity_history.json": "equity_history",
    "deals.json": "deals",
    "alerts_sent.json": "alerts_sent",
    "referrals.json": "referrals",
    "payments.json": "payments",
    "ledger_lines.json": "ledger_lines",
    "audit_entries.json": "audit_entries",
}


def privacy_button(action: str) -> str:
    return f"{PRIVACY_BUTTON}{action}"


def parse_privacy_button(data: str) -> str | None:
    """The action of one of our buttons; None for anything else (old or forged)."""
    action = data.removeprefix(PRIVACY_BUTTON)
    return action if data.startswith(PRIVACY_BUTTON) and action in ACTIONS else None


def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=privacy_button(action)) for label, action in buttons]]
    )


def render_privacy(t: Translator, retention_days: int) -> tuple[str, InlineKeyboardMarkup]:
    text = t.plural("privacy.overview", retention_days)
    keyboard = _keyboard((t("privacy.button_export"), EXPORT), (t("privacy.button_delete"), DELETE))
    return text, keyboard


def render_confirm(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    keyboard = _keyboard((t("privacy.button_confirm"), CONFIRM), (t("privacy.button_cancel"), CANCEL))
    return t("privacy.confirm"), keyboard


def export_name(now: datetime) -> str:
    return f"tradeguard-export-{now.strftime('%Y%m%d-%H%M%S')}.zip"


def export_zip(t: Translator, data: PersonalData, now: datetime) -> bytes:
    """The export: one JSON file per kind of data (decimals as strings, times ISO 8601 Z), and a
    README.txt saying what each holds."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        readme = [t("privacy.readme_title", at=encode_time(now, "seconds")), ""]
        for name, attribute in EXPORT_FILES.items():
            body = to_json(getattr(data, attribute))
            archive.writestr(name, json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
            readme.append(f"{name}: {t(f'privacy.readme_{attribute}')}")
        archive.writestr("README.txt", "\n".join(readme) + "\n")
    return buffer.getvalue()
