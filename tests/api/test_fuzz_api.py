"""Fuzzing the real server from its OpenAPI description (core/api/openapi.yaml) with schemathesis.

The app runs as in production (`bot.runner.http_server` on loopback, real Postgres and Redis); the fuzzer
is schemathesis's requests client, run in a worker thread while this test's loop serves. Every generated
request is signed per BRIDGE.md for a linked device and carries a valid operator token, so it gets past
authentication to the body, path and header parsing. Valid and invalid requests (schemathesis's
positive and negative modes) to every operation must answer: no 5xx but 503, every non-2xx with the
documented error body, and the status, content type and body the description documents. Derandomised
and bounded, so CI sees the same few hundred requests every run.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from bot.app import Core
from core.api.openapi import OPENAPI_PATH
from core.api.operator import issue_token
from tests.api.conftest import Bridge
from tests.api.helpers import signed_headers
from tests.api.served import address, served_bridge
from tests.conftest import FakeClock

# requests per operation and mode: the bridge's bodies get the most (about 700 requests in all)
EXAMPLES = {"POST": 100, "GET /v1": 30, "GET": 5}


def without_security(description: dict[str, Any]) -> dict[str, Any]:
    """The signing hook supplies every request's credentials, so the fuzzer must not generate (or, in
    negative mode, drop) them: strip the security requirements from what it reads."""
    description["components"].pop("securitySchemes")
    for operation in (op for path in description["paths"].values() for op in path.values()):
        operation.pop("security", None)
    return description


SCHEMA = schemathesis.openapi.from_dict(without_security(yaml.safe_load(OPENAPI_PATH.read_text())))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
# invalid requests for every operation that takes input (the others have nothing to get wrong)
RUNS = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode.value}")
    for operation in OPERATIONS
    for mode in (POSITIVE, NEGATIVE)
    if mode is POSITIVE
    or operation.definition.raw.get("parameters")
    or operation.definition.raw.get("requestBody")
]


class SignEachRequest(requests.auth.AuthBase):
    """BRIDGE.md's four headers over the exact path and body bytes requests will send, and a bearer token."""

    def __init__(self, bridge: Bridge, token: str) -> None:
        self.bridge = bridge
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        assert isinstance(body, bytes), type(body)
        device = self.bridge.device
        method = str(request.method)
        request.headers.update(
            signed_headers(
                device.device_id, device.secret_hex, method, request.path_url, body, self.bridge.clock()
            )
        )
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def no_server_error_but_503(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Any
) -> None:
    assert response.status_code < 500 or response.status_code == 503, (
        f"{response.status_code} from {case.method} {case.formatted_path}: {response.text[:300]}"
    )


def documented_error_body(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Any) -> None:
    """BRIDGE.md: every non-2xx answer is {"error": {"code", "message"}} (but /ready's readiness report)."""
    if 200 <= response.status_code < 300 or case.path == "/ready":
        return
    body = json.loads(response.content)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"], body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body


CHECKS: list[Callable[..., Any]] = [
    no_server_error_but_503,
    documented_error_body,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
async def bridge(core: Core, clock: FakeClock) -> AsyncIterator[Bridge]:
    # the real limiter, with room for the fuzzer's pace: it is here to reach the parsing, not the 429
    async with served_bridge(core, clock, per_device_per_second=10_000) as served:
        yield served


def examples_for(operation: schemathesis.APIOperation) -> int:
    return next(count for prefix, count in EXAMPLES.items() if operation.label.startswith(prefix))


def as_linked_account(case: schemathesis.Case, bridge: Bridge) -> None:
    """Half the valid snapshots (by `seq`) name the linked account, so they are stored and judged too,
    not all refused for naming another account."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("account"), dict) and body.get("seq", 1) % 2 == 0:
        body["account"].update(login=bridge.device.login, server=bridge.device.server)


def fuzz(
    base_url: str,
    auth: SignEachRequest,
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
) -> Counter[tuple[int, str]]:
    """Run the fuzzer on one operation; the answers it got, counted by status and error code."""
    answers: Counter[tuple[int, str]] = Counter()
    negative = mode is NEGATIVE
    checks = [*CHECKS, negative_data_rejection] if negative else CHECKS

    @settings(
        max_examples=examples_for(operation),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def each_request_is_answered_as_documented(case: schemathesis.Case) -> None:
        if not negative:
            as_linked_account(case, auth.bridge)
        with requests.Session() as session:
            session.auth = auth
            response = case.call(base_url=base_url, session=session, timeout=10)
        answers[(response.status_code, error_code(response))] += 1
        # 413 is a rejection too (BRIDGE.md: a body over 256 KiB), one schemathesis does not list
        too_large = response.status_code == 413 and error_code(response) == "payload_too_large"
        case.validate_response(response, checks=CHECKS if too_large else checks)

    each_request_is_answered_as_documented()
    return answers


def error_code(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


@pytest.mark.parametrize(("operation", "mode"), RUNS)
async def test_fuzzed_requests_to_every_operation_are_answered_as_documented(
    bridge: Bridge,
    core: Core,
    clock: FakeClock,
    operation: schemathesis.APIOperation,
    mode: schemathesis.GenerationMode,
) -> None:
    host, port = address(bridge)
    token = issue_token(core.token_key, "operator", clock())
    answers = await asyncio.to_thread(
        fuzz, f"http://{host}:{port}", SignEachRequest(bridge, token), operation, mode
    )
    print(operation.label, mode.value, dict(sorted(answers.items())))
