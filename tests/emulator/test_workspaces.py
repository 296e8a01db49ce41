"""Workspace endpoints: GET/list, and attaching an NCC with PATCH (mask or legacy body)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, assert_error

WS = "/workspaces"


def _ncc(api: Api, region: str = "eastus2", name: str = "ncc-a") -> str:
    return str(api.create_ncc(name, region)["network_connectivity_config_id"])


def test_get_and_list(api: Api) -> None:
    created = api.run.admin.add_workspace(100, "eastus2")
    assert created["workspace_id"] == 100
    ws = api.ok("GET", f"{WS}/100")
    assert ws["workspace_status"] == "RUNNING"
    assert ws["location"] == "eastus2"
    assert "network_connectivity_config_id" not in ws
    listed = api.http.get(WS).json()
    assert [w["workspace_id"] for w in listed] == [100]


def test_aws_workspace_has_aws_region(aws_api: Api) -> None:
    aws_api.run.admin.add_workspace(5, "us-east-1")
    assert aws_api.ok("GET", f"{WS}/5")["aws_region"] == "us-east-1"


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"update_mask": "network_connectivity_config_id"}, "current SDK: masked Workspace"),
        (None, "legacy SDK: flat body without a mask"),
    ],
)
def test_attach(api: Api, params: dict[str, str] | None, reason: str) -> None:
    api.run.admin.add_workspace(1, "eastus2")
    ncc_id = _ncc(api)
    body = {"network_connectivity_config_id": ncc_id}
    patched = api.ok("PATCH", f"{WS}/1", body, params)
    assert patched["workspace_id"] == 1  # the SDK waiter reads it from the PATCH response
    assert api.ok("GET", f"{WS}/1")["network_connectivity_config_id"] == ncc_id


def test_attach_replaces_previous_ncc(api: Api) -> None:
    api.run.admin.add_workspace(1, "eastus2")
    first, second = _ncc(api, name="first"), _ncc(api, name="second")
    for ncc_id in (first, second):
        api.ok("PATCH", f"{WS}/1", {"network_connectivity_config_id": ncc_id})
    assert api.ok("GET", f"{WS}/1")["network_connectivity_config_id"] == second
    assert api.call("DELETE", f"/network-connectivity-configs/{first}").status_code == 200


@pytest.mark.parametrize(
    ("body", "mask", "status", "fragment"),
    [
        pytest.param(
            {"network_connectivity_config_id": "nope"},
            None,
            404,
            "nope",
            id="unknown NCC",
        ),
        pytest.param(
            {"network_connectivity_config_id": "WEST"},
            None,
            400,
            "region",
            id="region mismatch",
        ),
        pytest.param(
            {"network_connectivity_config_id": ""},
            None,
            400,
            "cannot be removed",
            id="clearing is impossible",
        ),
        pytest.param(
            {"network_connectivity_config_id": None},
            None,
            400,
            "cannot be removed",
            id="null clears too",
        ),
        pytest.param({}, None, 400, "must be specified", id="nothing to update"),
        pytest.param(
            {"network_connectivity_config_id": "EAST"},
            "workspace_name",
            400,
            "Unsupported update_mask",
            id="other fields unsupported",
        ),
    ],
)
def test_attach_refusals(
    api: Api,
    body: dict[str, Any],
    mask: str | None,
    status: int,
    fragment: str,
) -> None:
    api.run.admin.add_workspace(1, "eastus2")
    ids = {"WEST": _ncc(api, "westus", "west"), "EAST": _ncc(api, name="east")}
    value = body.get("network_connectivity_config_id")
    if value in ids:
        body = {"network_connectivity_config_id": ids[value]}
    params = {"update_mask": mask} if mask else None
    code = "RESOURCE_DOES_NOT_EXIST" if status == 404 else "INVALID_PARAMETER_VALUE"
    assert_error(api.call("PATCH", f"{WS}/1", body, params), status, code, fragment)


def test_unknown_workspace_is_404(api: Api) -> None:
    assert_error(api.call("GET", f"{WS}/999"), 404, "RESOURCE_DOES_NOT_EXIST", "999")


def test_workspaces_per_ncc_limit(emulator_factory: Any) -> None:
    api = Api(emulator_factory(limits={"workspaces_per_ncc": 1}))
    ncc_id = _ncc(api)
    for ws in (1, 2):
        api.run.admin.add_workspace(ws, "eastus2")
    api.ok("PATCH", f"{WS}/1", {"network_connectivity_config_id": ncc_id})
    api.ok("PATCH", f"{WS}/1", {"network_connectivity_config_id": ncc_id})  # re-attach is fine
    response = api.call("PATCH", f"{WS}/2", {"network_connectivity_config_id": ncc_id})
    assert_error(response, 400, "RESOURCE_EXHAUSTED", "maximum number of workspaces")


def test_brief_provisioning_when_configured(emulator_factory: Any) -> None:
    run = emulator_factory(workspace_provisioning_seconds=5)
    api = Api(run)
    run.admin.add_workspace(1, "eastus2")
    body = {"network_connectivity_config_id": _ncc(api)}
    assert api.ok("PATCH", f"{WS}/1", body)["workspace_status"] == "PROVISIONING"
    run.admin.advance_clock(5)
    assert api.ok("GET", f"{WS}/1")["workspace_status"] == "RUNNING"
