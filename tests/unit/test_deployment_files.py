"""docker-compose.yml stays simple, standard and consistent with the settings."""

from __future__ import annotations

import re
from pathlib import Path

from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = (ROOT / "docker-compose.yml").read_text()


def _service_block(name: str) -> str:
    match = re.search(rf"^  {name}:\n((?:    .*\n|\n)+)", COMPOSE, re.MULTILINE)
    assert match, f"no service {name}"
    return match.group(1)


def test_compose_runs_postgres_15_and_redis_7_with_health_checks() -> None:
    assert "image: postgres:15" in _service_block("postgres")
    assert "image: redis:7" in _service_block("redis")
    assert "healthcheck" in _service_block("postgres") and "healthcheck" in _service_block("redis")


def test_the_app_is_configured_only_through_variables_the_settings_know() -> None:
    app = _service_block("tradeguard")
    environment = app.split("environment:\n")[1].split("\n    ports:")[0]
    names = set(re.findall(r"^      ([A-Z_]+):", environment, re.MULTILINE))
    known = {name.upper() for name in Settings.model_fields}
    assert names, "the app service sets no environment"
    assert names <= known, f"unknown settings: {sorted(names - known)}"
    assert {"DATABASE_URL", "REDIS_URL", "TELEGRAM_BOT_TOKEN", "SECRET_KEY"} <= names


def test_the_app_waits_for_healthy_services_and_is_built_from_the_dockerfile() -> None:
    app = _service_block("tradeguard")
    assert "build: ." in app and (ROOT / "Dockerfile").exists()
    assert app.count("condition: service_healthy") == 2


def test_the_compose_database_url_uses_the_asyncpg_driver() -> None:
    assert "DATABASE_URL: postgresql+asyncpg://" in COMPOSE
