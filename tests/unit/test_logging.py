"""LOG_LEVEL and LOG_FORMAT: one event per line, control characters escaped, secrets never written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import REDACTED, configure_logging

TOKEN = "123456:AAE-bot-token_SECRET"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """Where configure_logging writes in these tests; the root logger is restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield io.StringIO()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


def test_json_format_writes_one_json_object_per_line_with_the_traceback_inside(output: io.StringIO) -> None:
    configure_logging("INFO", "json", stream=output)
    log = logging.getLogger("tradeguard.test")
    log.info("line one\nline two")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("it failed")

    lines = output.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "INFO" and first["logger"] == "tradeguard.test"
    assert first["message"] == "line one\nline two"
    assert second["level"] == "ERROR" and "RuntimeError: boom" in second["exc_info"]


def test_text_format_escapes_control_characters_so_one_event_is_one_line(output: io.StringIO) -> None:
    configure_logging("INFO", "text", stream=output)
    logging.getLogger("tradeguard.test").info("header %s", "a\x00b\x1b[31mred\r\nX-Forged: 1")

    written = output.getvalue()
    assert written.count("\n") == 1
    assert "\x00" not in written and "\x1b" not in written and "\r" not in written
    assert r"a\x00b\x1b[31mred\r\nX-Forged: 1" in written


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_secret_is_redacted_from_messages_and_tracebacks(output: io.StringIO, log_format: str) -> None:
    configure_logging("DEBUG", log_format, secrets=[TOKEN], stream=output)
    log = logging.getLogger("tradeguard.test")
    log.debug("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError:
        log.exception("Telegram is unreachable")

    written = output.getvalue()
    assert TOKEN not in written and TOKEN.split(":")[1] not in written
    assert written.count(REDACTED) == 2


def test_the_level_applies_and_http_client_loggers_stay_at_warning_even_at_debug(output: io.StringIO) -> None:
    configure_logging("DEBUG", "text", stream=output)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot123:abc/getMe")
    logging.getLogger("tradeguard.test").debug("debug is on")
    assert "api.telegram.org" not in output.getvalue()
    assert "debug is on" in output.getvalue()

    configure_logging("WARNING", "text", stream=output)
    logging.getLogger("tradeguard.test").info("not written at WARNING")
    assert "not written" not in output.getvalue()
