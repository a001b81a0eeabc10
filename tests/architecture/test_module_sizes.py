"""Modules hold one idea: none of the product's (or the simulators') grows past 400 lines."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "core", "db", "sim")
MAX_LINES = 400


def modules() -> list[Path]:
    found = [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]
    return [path for path in found if "migrations" not in path.parts]


def test_no_module_of_the_product_or_the_simulators_is_over_400_lines() -> None:
    sizes = {path.relative_to(ROOT): len(path.read_text(encoding="utf-8").splitlines()) for path in modules()}
    assert len(sizes) > 50  # the walk found the packages
    too_long = {str(path): lines for path, lines in sizes.items() if lines > MAX_LINES}
    assert too_long == {}, f"split these by concern: {too_long}"
