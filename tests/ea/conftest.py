"""The EA tier: the MQL5 core (ea/Include/TradeGuard/*.mqh) compiled with g++ against ea/shim/mql5_shim.hpp.

`ea_program("vectors")` builds `ea/shim/vectors.cpp` once per test session and returns the binary's path.
No g++ or no OpenSSL headers is a failure, not a skip: CI (.ci/run) installs both.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EA = ROOT / "ea"
SHIM = EA / "shim"
OPENSSL_HEADER = Path("/usr/include/openssl/evp.h")
CXXFLAGS = ("-std=c++17", "-O1", "-Wall", "-Werror", "-I", str(SHIM), "-I", str(EA / "Include"))


def _compiler() -> str:
    compiler = shutil.which("g++")
    if compiler is None:
        pytest.fail("g++ is missing: the EA tier compiles the MQL5 core with it (apt-get install g++)")
    if not OPENSSL_HEADER.exists():
        pytest.fail(
            f"{OPENSSL_HEADER} is missing: the shim's CryptEncode needs it (apt-get install libssl-dev)"
        )
    return compiler


@pytest.fixture(scope="session")
def ea_program(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    built: dict[str, Path] = {}
    out_dir = tmp_path_factory.mktemp("ea-bin")

    def build(name: str) -> Path:
        if name not in built:
            source = SHIM / f"{name}.cpp"
            binary = out_dir / name
            command = [_compiler(), *CXXFLAGS, str(source), "-o", str(binary), "-lcrypto"]
            result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
            if result.returncode != 0:
                pytest.fail(f"g++ could not build {source.name}:\n{result.stderr}")
            built[name] = binary
        return built[name]

    return build
