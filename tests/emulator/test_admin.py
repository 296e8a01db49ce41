"""The admin API: request counters, configuration, clock, reset and input checks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ncc_emulator import endpoints
from ncc_emulator.testing import RunningEmulator

from .conftest import AZURE_BLOB, Api


def test_request_counts_by_route_template(api: Api) -> None:
    api.run.admin.reset_counts()
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    api.ok("GET", f"/network-connectivity-configs/{ncc_id}")
    api.ok("GET", f"/network-connectivity-configs/{ncc_id}")
    api.call("GET", "/network-connectivity-configs/unknown")
    api.run.admin.state()  # admin calls are not counted
    assert api.run.admin.request_counts() == {
        endpoints.CREATE_NCC.key: 1,
        endpoints.GET_NCC.key: 3,
    }
    api.run.admin.reset_counts()
    assert api.run.admin.request_counts() == {}


def test_config_partial_update_returns_full(emulator: RunningEmulator) -> None:
    full = emulator.admin.configure(page_size=3, limits={"nccs_per_region": 4})
    assert full["page_size"] == 3
    assert full["limits"] == {
        "nccs_per_region": 4,
        "workspaces_per_ncc": 50,
        "endpoints_per_region": None,
    }
    assert full["purge_seconds"] == 86400
    assert full["expiry_seconds"] == 14 * 86400


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"page_sise": 3}, "typo in a key"),
        ({"limits": {"ncc_per_region": 1}}, "typo in a limit"),
        ({"limits": 5}, "limits not an object"),
        ({"page_size": 0}, "page size below 1"),
        ({"ncc_delete_refusal_status": 200}, "a refusal must be an error status"),
        ({"ncc_delete_refusal_error_code": ""}, "a refusal needs an error code"),
    ],
)
def test_config_rejects_bad_input(
    emulator: RunningEmulator, patch: dict[str, Any], reason: str
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as caught:
        emulator.admin.configure(**patch)
    assert caught.value.response.status_code == 400


def test_clock_moves_forward_only(emulator: RunningEmulator) -> None:
    before = emulator.admin.advance_clock(0)
    assert emulator.admin.advance_clock(3600) >= before + 3_600_000
    with pytest.raises(httpx.HTTPStatusError):
        emulator.admin.advance_clock(-1)


def test_reset_restores_start_up_state(emulator_factory: Any) -> None:
    run = emulator_factory(workspaces=[(9, "eastus2")], page_size=3)
    api = Api(run)
    api.create_ncc()
    run.admin.configure(page_size=10)
    run.admin.add_workspace(10, "eastus2")
    run.admin.reset()
    api = Api(run)  # issued tokens are forgotten too
    assert api.ok("GET", "/network-connectivity-configs") == {"items": []}
    assert [w["workspace_id"] for w in api.http.get("/workspaces").json()] == [9]
    assert run.admin.configure()["page_size"] == 3


@pytest.mark.parametrize(
    ("path", "body", "status", "reason"),
    [
        ("/workspaces", {"region": "eastus2"}, 400, "workspace_id missing"),
        ("/workspaces", {"workspace_id": True, "region": "x"}, 400, "bool is not an id"),
        ("/missing-resources", {}, 400, "no target given"),
        ("/rules/nope/approve", None, 404, "unknown rule"),
        ("/rules/RULE/teleport", None, 404, "unknown action"),
        (
            "/federation-policies",
            {"issuer": "i", "subject": "s", "jwks_json": "{}"},
            400,
            "JWKS without keys",
        ),
        ("/clock/advance", {"seconds": "soon"}, 400, "seconds not a number"),
    ],
)
def test_admin_input_checks(
    api: Api, path: str, body: dict[str, Any] | None, status: int, reason: str
) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    rule_id = api.create_rule(ncc_id, **AZURE_BLOB)["rule_id"]
    url = f"{api.run.base_url}/_emulator{path.replace('RULE', rule_id)}"
    response = httpx.post(url, json=body)
    assert response.status_code == status, response.text
    assert "error_code" in response.json()


def test_state_dump_settles_rules(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    api.create_rule(ncc_id, **AZURE_BLOB)
    api.run.admin.advance_clock(14 * 86400)
    (rule,) = api.run.admin.state()["rules"]
    assert rule["connection_state"] == "EXPIRED"


def test_unknown_route_is_json_404(emulator: RunningEmulator) -> None:
    response = httpx.get(f"{emulator.base_url}/api/2.0/nothing-here")
    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_unexpected_failure_is_json_500(emulator: RunningEmulator) -> None:
    """An emulator bug (here: a clock jump too large for an int) still answers like Databricks."""
    response = httpx.post(f"{emulator.base_url}/_emulator/clock/advance", json={"seconds": 1e308})
    assert response.status_code == 500
    assert response.json()["error_code"] == "INTERNAL_ERROR"
