"""Fault injection and the server-side rate limiter, as a client sees them."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from ncc_emulator import endpoints
from ncc_emulator.faults import parse_duration, parse_latency_spec

from .conftest import Api, assert_error, fetch_token

NCCS = "/network-connectivity-configs"


def test_latency_per_route(api: Api) -> None:
    api.run.admin.set_faults(latency={endpoints.LIST_NCCS.key: 0.4})
    started = time.monotonic()
    api.ok("GET", NCCS)
    slow = time.monotonic() - started
    started = time.monotonic()
    api.ok("GET", "/workspaces")  # list workspaces answers a JSON array
    fast = time.monotonic() - started
    assert slow >= 0.4
    assert fast < 0.4  # a loopback call without added latency takes milliseconds


def test_throttling_has_integer_retry_after_and_changes_nothing(api: Api) -> None:
    api.run.admin.set_faults(rate_429=1.0, retry_after=7)
    response = api.call("POST", NCCS, {"name": "ncc-a", "region": "eastus2"})
    assert_error(response, 429, "REQUEST_LIMIT_EXCEEDED")
    assert response.headers["Retry-After"] == "7"
    api.run.admin.clear_faults()
    assert api.ok("GET", NCCS)["items"] == []  # the throttled create did not happen


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (503, "TEMPORARILY_UNAVAILABLE", "default: retried by the SDK"),
        (500, "INTERNAL_ERROR", "not retried by the SDK"),
    ],
)
def test_server_errors(api: Api, status: int, code: str, reason: str) -> None:
    api.run.admin.set_faults(rate_5xx=1.0, status_5xx=status)
    assert_error(api.call("GET", NCCS), status, code)


def _statuses(api: Api, n: int) -> list[int]:
    return [api.call("GET", NCCS).status_code for _ in range(n)]


def test_faults_are_deterministic_for_a_seed(api: Api) -> None:
    api.run.admin.set_faults(rate_429=0.5, seed=42)
    first = _statuses(api, 20)
    api.run.admin.set_faults(rate_429=0.5, seed=42)
    assert _statuses(api, 20) == first
    assert set(first) == {200, 429}


def test_slow_create_commits_before_answering(api: Api) -> None:
    api.run.admin.set_faults(slow_create_seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        api.http.post(NCCS, json={"name": "slow", "region": "eastus2"}, timeout=0.3)
    api.run.admin.clear_faults()
    assert [n["name"] for n in api.ok("GET", NCCS)["items"]] == ["slow"]


@pytest.mark.parametrize(
    ("method", "path_of", "reason"),
    [
        ("PATCH", lambda ncc: f"{NCCS}/{ncc}?update_mask=name", "an update whose answer is lost"),
        ("DELETE", lambda ncc: f"{NCCS}/{ncc}", "a delete whose answer is lost"),
    ],
)
def test_slow_write_commits_before_answering(
    api: Api, method: str, path_of: Any, reason: str
) -> None:
    ncc = api.ok("POST", NCCS, {"name": "ncc-a", "region": "eastus2"})
    ncc_id = ncc["network_connectivity_config_id"]
    api.run.admin.set_faults(slow_write_seconds=1.0)
    body = {"name": "ncc-b"} if method == "PATCH" else None
    with pytest.raises(httpx.ReadTimeout):
        api.http.request(method, path_of(ncc_id), json=body, timeout=0.3)
    api.run.admin.clear_faults()
    names = [n["name"] for n in api.ok("GET", NCCS)["items"]]
    assert names == (["ncc-b"] if method == "PATCH" else []), reason


def test_slow_token_endpoint(api: Api) -> None:
    api.run.admin.set_faults(token_latency_seconds=0.5)
    started = time.monotonic()
    assert fetch_token(api.run)
    assert time.monotonic() - started >= 0.5
    api.run.admin.clear_faults()
    started = time.monotonic()
    fetch_token(api.run)
    assert time.monotonic() - started < 0.5


def test_dropped_connection(api: Api) -> None:
    api.run.admin.set_faults(drop_connection_rate=1.0)
    with pytest.raises(httpx.TransportError):
        api.call("GET", NCCS)
    api.run.admin.clear_faults()
    assert api.call("GET", NCCS).status_code == 200


def test_token_endpoint_is_not_faulted(api: Api) -> None:
    api.run.admin.set_faults(rate_429=1.0, rate_5xx=1.0, drop_connection_rate=1.0)
    assert fetch_token(api.run)  # raises on any non-2xx answer
    meta = httpx.get(f"{api.run.base_url}/.well-known/databricks-config")
    assert meta.status_code == 200


def test_rate_limit_token_bucket(emulator_factory: Any) -> None:
    api = Api(emulator_factory(rate_limit_rps=0.5, rate_limit_burst=2))
    assert _statuses(api, 2) == [200, 200]
    response = api.call("GET", NCCS)
    assert_error(response, 429, "REQUEST_LIMIT_EXCEEDED")
    assert int(response.headers["Retry-After"]) >= 1


def test_unknown_fault_key_is_400(api: Api) -> None:
    with pytest.raises(httpx.HTTPStatusError):
        api.run.admin.set_faults(rate_999=1)


@pytest.mark.parametrize(
    ("spec", "expected", "reason"),
    [
        ("50ms", {"*": 0.05}, "bare duration applies to all routes"),
        ("0.2s", {"*": 0.2}, "seconds unit"),
        ("20", {"*": 0.02}, "bare number means milliseconds"),
        ("post:/api/x=200ms,*=20ms", {"POST /api/x": 0.2, "*": 0.02}, "per route plus default"),
    ],
)
def test_latency_spec(spec: str, expected: dict[str, float], reason: str) -> None:
    assert parse_latency_spec(spec) == expected


@pytest.mark.parametrize(
    ("bad", "reason"),
    [("fast", "not a duration"), ("GET=5ms", "no path"), ("GET:api=5ms", "path not absolute")],
)
def test_latency_spec_errors(bad: str, reason: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        parse_latency_spec(bad)


def test_parse_duration_rejects_negative() -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration("-5ms")
