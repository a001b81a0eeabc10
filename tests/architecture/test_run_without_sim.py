"""`tradeguard run` never loads the simulators: sim/ is the demo's and the tests' kit, not the service."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What `tradeguard run` imports: the entry point, the subcommands module it loads lazily, and the runner
# and composition root those import (which import the handlers, the HTTP app, the services and db).
RUN_MODULES = ("bot.cli", "bot.commands", "bot.runner", "bot.app")


def sim_modules_after_importing(*modules: str) -> list[str]:
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(' '.join(sorted(m for m in sys.modules if m == 'sim' or m.startswith('sim.'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.split()


def test_the_modules_tradeguard_run_loads_import_nothing_from_sim() -> None:
    assert sim_modules_after_importing(*RUN_MODULES) == []


def test_the_probe_sees_sim_when_the_demo_is_loaded() -> None:
    assert "sim.demo" in sim_modules_after_importing(*RUN_MODULES, "sim.demo")
