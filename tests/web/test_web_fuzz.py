"""Property-based fuzzing of the explorer's API from its own OpenAPI schema (schemathesis,
in-process ASGI): whatever the request, never a server error (5xx), and every error body is a
problem document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from detente.web import service  # noqa: E402
from detente.web.app import LOOPBACK_HOSTS, create_app  # noqa: E402

_FOLDER = Path(__file__).resolve().parents[2] / "scenarios"


def _quick_job(*args: Any) -> dict[str, Any]:
    """Jobs run in the background and cannot produce a 5xx; keep the fuzz fast (no real runs)."""
    args[-1](1.0)
    return {"fuzz": True}


# the fuzzer's in-process client sends `Host: testserver`
APP = create_app(_FOLDER, hosts=(*LOOPBACK_HOSTS, "testserver"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(autouse=True)
def _no_long_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "monte_carlo", _quick_job)
    monkeypatch.setattr(service, "strategies", _quick_job)


def _problem_body(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith(
            "application/problem+json"
        ), f"{response.status_code} without a problem document"
        body = response.json()
        assert body["status"] == response.status_code and body["title"] and "detail" in body
    return None


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_never_fails(case: Any) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    case.validate_response(response, checks=[not_a_server_error])
    _problem_body(None, response, case)
