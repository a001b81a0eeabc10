"""In-memory LedgerRepository for service tests: lines are dicts in `store.affiliates["lines"]`."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class FakeLedger:
    def __init__(self, store: Any) -> None:
        self.s = store

    @property
    def lines(self) -> list[dict[str, Any]]:
        return self.s.affiliates.setdefault("lines", [])  # type: ignore[no-any-return]

    async def reverse_unpaid(
        self, affiliate_user_id: int, rule_version: str, details: dict[str, Any], now: datetime
    ) -> int:
        reversed_ids = {line["reverses_line_id"] for line in self.lines if line.get("reverses_line_id")}
        taken = [
            line
            for line in self.lines
            if line["affiliate_user_id"] == affiliate_user_id
            and line.get("payout_id") is None
            and line["kind"] != "reversal"
            and line["id"] not in reversed_ids
        ]
        for line in taken:
            self.lines.append(
                {
                    **line,
                    "id": next(self.s.ids),
                    "dedupe_key": f"rev:{line['id']}",
                    "kind": "reversal",
                    "amount": -line["amount"],
                    "reverses_line_id": line["id"],
                    "rule_version": rule_version,
                    "details": details,
                    "earned_at": now,
                }
            )
        return len(taken)
