"""A failing handler is logged at ERROR without the exception's message, which may quote a user's text."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from bot.handlers import on_error

USER_TEXT = "my card is 4111 1111 1111 1111"


def raised() -> BaseException:
    try:
        raise ValueError(f"Bad Request: can't parse {USER_TEXT}")
    except ValueError as error:
        return error


async def test_a_handler_failure_logs_its_kind_and_place_at_error_and_the_text_only_at_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    context: Any = SimpleNamespace(error=raised(), user_data={})
    with caplog.at_level(logging.DEBUG, logger="bot.handlers"):
        await on_error(object(), context)

    errors = [r for r in caplog.records if r.levelno >= logging.INFO]
    line = raised.__code__.co_firstlineno + 2  # the `raise` in raised()
    assert [r.getMessage() for r in errors] == [f"handler failed: ValueError at raised:{line}"]
    assert all(USER_TEXT not in r.getMessage() and r.exc_info is None for r in errors)
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 1 and debug[0].exc_info is not None
