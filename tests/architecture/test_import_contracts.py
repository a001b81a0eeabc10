"""The import contracts bite: each violation planted in a copy of the tree breaks `lint-imports`.

The copy holds what the linter reads (the packages, devtools/ and pyproject.toml); `lint-imports` runs
in it with the copy first on the path, without a cache, exactly as `.ci/run` runs it at the root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
TREE = ("core", "bot", "db", "sim", "devtools", "pyproject.toml")
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LAYERS = "the layers, top to bottom (STYLE.md)"
DRIVERS = "db and the drivers only from the composition root"
SERVICES = "the use cases know ports, not drivers or edges"
HTTP_EDGE = "the HTTP edge does not reach into the database"
PURE_DOMAIN = "the domain is pure: the standard library only"
NO_SIM = "the service never imports sim"

# (module, the import planted in it, a contract it must break)
VIOLATIONS = {
    "aiohttp_in_a_use_case": ("core/services/users.py", "import aiohttp", SERVICES),
    "db_in_the_http_edge": ("core/api/errors.py", "from db import engine", HTTP_EDGE),
    "sqlalchemy_in_a_bot_handler": ("bot/handlers/start.py", "import sqlalchemy", DRIVERS),
    "bot_in_the_db_adapters": ("db/engine.py", "import bot.app", LAYERS),
    "jwt_in_the_domain": ("core/domain/commands.py", "import jwt", PURE_DOMAIN),
    "an_uninstalled_library_in_the_domain": ("core/domain/guard/rules.py", "import numpy", PURE_DOMAIN),
    "sim_in_the_runner": ("bot/runner.py", "import sim", NO_SIM),
    "the_settings_in_a_use_case": ("core/services/tokens.py", "from core.config import Settings", LAYERS),
}


def copy_tree(to: Path) -> Path:
    for name in TREE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, to / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, to / name)
    return to


def plant(tree: Path, module: str, statement: str) -> None:
    path = tree / module
    head, future, rest = path.read_text().partition("from __future__ import annotations\n")
    assert future, f"{module} has no `from __future__` line to plant after"
    path.write_text(f"{head}{future}{statement}  # planted\n{rest}")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_tree_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_imports(copy_tree(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS['contracts'])} kept, 0 broken." in result.stdout


@pytest.mark.parametrize("violation", sorted(VIOLATIONS))
def test_a_planted_violation_breaks_its_contract(tmp_path: Path, violation: str) -> None:
    module, statement, contract = VIOLATIONS[violation]
    tree = copy_tree(tmp_path)
    plant(tree, module, statement)

    result = lint_imports(tree)

    assert result.returncode != 0, result.stdout
    assert f"{contract} BROKEN" in result.stdout, result.stdout + result.stderr
    assert "planted" not in result.stderr  # broken by the contract, not by an import error


def test_every_package_of_the_service_has_a_layer() -> None:
    (layers,) = [c["layers"] for c in CONTRACTS["contracts"] if c["type"] == "layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    core = {f"core.{path.stem}" for path in (ROOT / "core").iterdir() if _is_module(path)}

    assert {"bot", "db", *core} == placed


def _is_module(path: Path) -> bool:
    if path.is_dir():
        return (path / "__init__.py").exists()
    return path.suffix == ".py" and path.name != "__init__.py"
