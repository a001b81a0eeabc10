"""The EA's HMAC-SHA256 and request signing agree with RFC 4231 and with the server's own signing.

One file of vectors (tests/data/ea_vectors.json) serves both sides: the C++ build of the EA core checks
every entry, and so does the server's Python, so the file cannot drift from either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.bridge.signing import canonical_string, sign

VECTORS = Path(__file__).resolve().parents[1] / "data" / "ea_vectors.json"


def _vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


def _names(kind: str) -> list[str]:
    return [case["name"] for case in _vectors()[kind]]


def test_the_ea_core_reproduces_every_vector(ea_program: Callable[[str], Path]) -> None:
    result = subprocess.run(
        [str(ea_program("vectors")), str(VECTORS)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")]
    checked = {line.removeprefix("ok   ") for line in lines if line.startswith("ok   ")}
    assert set(_names("hmac_sha256")) <= checked
    assert set(_names("signatures")) <= checked
    assert lines[-1] == "all vectors pass"


def test_the_file_holds_rfc_4231_cases_1_to_7_and_ten_server_signatures() -> None:
    vectors = _vectors()
    assert [f"RFC 4231 test case {n}" for n in range(1, 8)] == [
        name.split(" (")[0] for name in _names("hmac_sha256")
    ]
    assert len(vectors["signatures"]) >= 10
    methods = {case["method"].upper() for case in vectors["signatures"]}
    assert methods == {"GET", "POST"}
    assert any(case["body"] == "" for case in vectors["signatures"])
    assert any(not case["body"].isascii() for case in vectors["signatures"])
    paths = [case["path_qs"] for case in vectors["signatures"]]
    assert any("?" in path and not path.startswith("/v1/") for path in paths)


@pytest.mark.parametrize("case", _vectors()["hmac_sha256"], ids=_names("hmac_sha256"))
def test_python_hmac_agrees_with_the_rfc_vector(case: dict[str, Any]) -> None:
    key, data = bytes.fromhex(case["key_hex"]), bytes.fromhex(case["data_hex"])
    mac = hmac.new(key, data, hashlib.sha256).hexdigest()
    truncate = case["truncate_bytes"]
    assert (mac[: 2 * truncate] if truncate else mac) == case["mac_hex"]


@pytest.mark.parametrize("case", _vectors()["signatures"], ids=_names("signatures"))
def test_the_server_signing_agrees_with_the_signature_vector(case: dict[str, Any]) -> None:
    body = case["body"].encode()
    args = (case["method"], case["path_qs"], case["timestamp"], case["nonce"], body)
    assert hashlib.sha256(body).hexdigest() == case["body_sha256"]
    assert canonical_string(*args) == case["canonical"]
    assert sign(case["secret_hex"], *args) == case["signature"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", case["nonce"])


def test_a_vector_the_ea_does_not_reproduce_fails_the_run(
    ea_program: Callable[[str], Path], tmp_path: Path
) -> None:
    vectors = _vectors()
    vectors["signatures"][0]["signature"] = "0" * 64
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(vectors), encoding="utf-8")
    result = subprocess.run(
        [str(ea_program("vectors")), str(changed)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1
    assert failed[0].startswith(f"FAIL {vectors['signatures'][0]['name']}: got ")
