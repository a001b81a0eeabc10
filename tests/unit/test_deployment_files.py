"""docker-compose.yml stays simple, standard and consistent with the settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = (ROOT / "docker-compose.yml").read_text()
SERVICES: dict[str, Any] = yaml.safe_load(COMPOSE)["services"]


def _service_block(name: str) -> str:
    match = re.search(rf"^  {name}:\n((?:    .*\n|\n)+)", COMPOSE, re.MULTILINE)
    assert match, f"no service {name}"
    return match.group(1)


def test_compose_runs_postgres_15_and_redis_7_with_health_checks() -> None:
    assert "image: postgres:15" in _service_block("postgres")
    assert "image: redis:7" in _service_block("redis")
    assert "healthcheck" in _service_block("postgres") and "healthcheck" in _service_block("redis")


def test_the_app_is_configured_only_through_variables_the_settings_know() -> None:
    known = {name.upper() for name in Settings.model_fields}
    for service in ("tradeguard", "api"):
        names = set(SERVICES[service]["environment"])
        assert names <= known, f"{service}: unknown settings: {sorted(names - known)}"
        assert {"DATABASE_URL", "REDIS_URL", "TELEGRAM_BOT_TOKEN", "SECRET_KEY"} <= names


def test_the_scale_profile_puts_api_replicas_behind_a_load_balancer_that_finds_them() -> None:
    api, lb = SERVICES["api"], SERVICES["lb"]
    assert api["profiles"] == lb["profiles"] == ["scale"]
    assert api["command"] == ["tradeguard", "run", "--only", "api"]
    assert "ports" not in api  # only the balancer is published
    assert api["environment"]["HTTP_MAX_CONNECTIONS_PER_IP"] == "0"  # every connection is the balancer's
    assert "profiles" not in SERVICES["tradeguard"]  # `docker compose up` still starts the one process
    config_path = lb["volumes"][0].split(":")[0]
    config = (ROOT / config_path).read_text()
    assert "server-template api" in config and "api:8080" in config and "GET /health" in config
    assert any(port.endswith(":8080") for port in lb["ports"])


def test_the_app_waits_for_healthy_services_and_is_built_from_the_dockerfile() -> None:
    app = _service_block("tradeguard")
    assert "build: ." in app and (ROOT / "Dockerfile").exists()
    assert app.count("condition: service_healthy") == 2


def test_the_compose_database_url_uses_the_asyncpg_driver() -> None:
    assert "DATABASE_URL: postgresql+asyncpg://" in COMPOSE
