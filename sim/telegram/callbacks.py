"""Callback queries: opened when a user presses an inline button, closed by answerCallbackQuery."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

from sim.telegram.errors import bad_request
from sim.telegram.params import Handler, Params
from sim.telegram.records import AnsweredCallback
from sim.telegram.transcript import Transcript


@dataclass(frozen=True)
class PendingQuery:
    update_id: int
    user_id: int
    data: str


class CallbackQueries:
    """Queries waiting for the bot's answer; each can be answered once."""

    def __init__(self, transcript: Transcript) -> None:
        self._transcript = transcript
        self._open: dict[str, PendingQuery] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)

    def methods(self) -> dict[str, Handler]:
        return {"answerCallbackQuery": self._answer_callback_query}

    def new_id(self) -> str:
        return str(next(self._query_ids))

    def open(self, query_id: str, query: PendingQuery) -> None:
        self._open[query_id] = query

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.string("callback_query_id")
        query = self._open.pop(query_id or "", None)
        if query is None:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        answer = AnsweredCallback(
            callback_query_id=query_id or "",
            update_id=query.update_id,
            user_id=query.user_id,
            data=query.data,
            text=params.string("text"),
            show_alert=params.flag("show_alert"),
            url=params.string("url"),
            cache_time=params.integer("cache_time"),
            time=time.time(),
        )
        self._transcript.record_answer(answer)
        return True
