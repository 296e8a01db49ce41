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
            "network_connectivity_config_id,no_such_field",
            400,
            "no_such_field",
            id="unknown field in a multi-field mask",
        ),
        pytest.param(
            {"workspace_id": 5},
            "workspace_id",
            400,
            "workspace_id",
            id="output-only field in the mask",
        ),
        pytest.param(
            {},
            "network_connectivity_config_id",
            400,
            "cannot be removed",
            id="masked but absent: clearing",
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
    before = api.ok("GET", f"{WS}/1")
    assert_error(api.call("PATCH", f"{WS}/1", body, params), status, code, fragment)
    assert api.ok("GET", f"{WS}/1") == before  # all-or-nothing


def test_unknown_workspace_is_404(api: Api) -> None:
    assert_error(api.call("GET", f"{WS}/999"), 404, "RESOURCE_DOES_NOT_EXIST", "999")


def test_brief_provisioning_when_configured(emulator_factory: Any) -> None:
    run = emulator_factory(workspace_provisioning_seconds=5)
    api = Api(run)
    run.admin.add_workspace(1, "eastus2")
    body = {"network_connectivity_config_id": _ncc(api)}
    assert api.ok("PATCH", f"{WS}/1", body)["workspace_status"] == "PROVISIONING"
    run.admin.advance_clock(5)
    assert api.ok("GET", f"{WS}/1")["workspace_status"] == "RUNNING"


def test_multi_field_mask(api: Api) -> None:
    """provisioning.py: multiple fields separated by commas; known fields are applied."""
    api.run.admin.add_workspace(1, "eastus2")
    ncc_id = _ncc(api)
    body = {"network_connectivity_config_id": ncc_id, "workspace_name": "renamed", "x": 1}
    params = {"update_mask": "network_connectivity_config_id,workspace_name"}
    patched = api.ok("PATCH", f"{WS}/1", body, params)
    assert (patched["network_connectivity_config_id"], patched["workspace_name"]) == (
        ncc_id,
        "renamed",
    )
    assert api.ok("GET", f"{WS}/1") == patched


def test_mask_without_the_ncc_keeps_it(api: Api) -> None:
    api.run.admin.add_workspace(1, "eastus2")
    ncc_id = _ncc(api)
    api.ok("PATCH", f"{WS}/1", {"network_connectivity_config_id": ncc_id})
    params = {"update_mask": "custom_tags"}
    patched = api.ok("PATCH", f"{WS}/1", {"custom_tags": {"team": "net"}}, params)
    assert (patched["network_connectivity_config_id"], patched["custom_tags"]) == (
        ncc_id,
        {"team": "net"},
    )


@pytest.mark.parametrize(
    ("attached", "body", "status", "reason"),
    [
        (False, {"network_connectivity_config_id": "NEW"}, 200, "full replacement attaches"),
        (True, {"network_connectivity_config_id": "NEW"}, 200, "full replacement switches"),
        (True, {"workspace_name": "w"}, 400, "full replacement without the NCC would clear it"),
        (False, {"workspace_name": "w"}, 200, "nothing attached, nothing cleared"),
    ],
)
def test_star_mask_is_full_replacement(
    api: Api, attached: bool, body: dict[str, Any], status: int, reason: str
) -> None:
    """provisioning.py: ``update_mask=*`` indicates full replacement."""
    api.run.admin.add_workspace(1, "eastus2")
    old, new = _ncc(api, name="old"), _ncc(api, name="new")
    if attached:
        api.ok("PATCH", f"{WS}/1", {"network_connectivity_config_id": old})
    body = {k: new if v == "NEW" else v for k, v in body.items()}
    # A full object as read back, output-only fields included: those are ignored.
    read = api.ok("GET", f"{WS}/1")
    full = {k: v for k, v in read.items() if k != "network_connectivity_config_id"} | body
    response = api.call("PATCH", f"{WS}/1", full, {"update_mask": "*"})
    if status == 400:
        assert_error(response, 400, "INVALID_PARAMETER_VALUE", "cannot be removed")
        return
    assert response.status_code == 200, response.text
    ws = api.ok("GET", f"{WS}/1")
    assert ws.get("network_connectivity_config_id") == body.get("network_connectivity_config_id")
    assert ws["workspace_name"] == body.get("workspace_name", ws["workspace_name"])
