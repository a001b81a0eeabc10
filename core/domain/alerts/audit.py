"""Issue 13: the audit chain's daily anchor, to every admin: the head (id and hash) and the count, so a
later `tradeguard audit verify --anchor ID:HASH` proves no entry up to it was removed or changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.alerts.base import AlertBody


@dataclass(frozen=True, kw_only=True)
class AuditAnchor(AlertBody):
    head_id: int
    head_hash: str
    entries: int
    at: datetime
