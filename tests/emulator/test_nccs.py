"""NCC endpoints over HTTP: shapes, validation, pagination, PATCH masks, limits, delete refusals."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, assert_error

NCCS = "/network-connectivity-configs"


def test_create_returns_full_object_without_nulls(api: Api) -> None:
    ncc = api.create_ncc("ncc-a", "eastus2")
    assert set(ncc) == {
        "network_connectivity_config_id",
        "account_id",
        "name",
        "region",
        "creation_time",
        "updated_time",
        "egress_config",
    }
    assert ncc["account_id"] == api.run.account_id
    assert isinstance(ncc["creation_time"], int)
    assert ncc["creation_time"] > 1_600_000_000_000  # epoch milliseconds, not seconds
    default = ncc["egress_config"]["default_rules"]["azure_service_endpoint_rule"]
    assert default["target_region"] == "eastus2"
    assert default["target_services"] == ["AZURE_BLOB_STORAGE"]
    assert default["subnets"]
    assert "target_rules" not in ncc["egress_config"]  # empty lists are omitted, like the SDK


def test_aws_default_rules_are_stable_ip_cidrs(aws_api: Api) -> None:
    ncc = aws_api.create_ncc("ncc-a", "us-east-1")
    rules = ncc["egress_config"]["default_rules"]
    assert list(rules) == ["aws_stable_ip_rule"]
    assert all(c.endswith("/28") for c in rules["aws_stable_ip_rule"]["cidr_blocks"])


@pytest.mark.parametrize(
    ("body", "fragment", "reason"),
    [
        ({"name": "ab", "region": "eastus2"}, "Invalid name", "shorter than 3"),
        ({"name": "a" * 31, "region": "eastus2"}, "Invalid name", "longer than 30"),
        ({"name": "has space", "region": "eastus2"}, "Invalid name", "outside the pattern"),
        ({"region": "eastus2"}, "Invalid name", "name missing"),
        ({"name": "ncc-ok"}, "region", "region missing"),
        ({"name": "ncc-ok", "region": " "}, "region", "blank region"),
    ],
)
def test_create_validation(api: Api, body: dict[str, Any], fragment: str, reason: str) -> None:
    assert_error(api.call("POST", NCCS, body), 400, "INVALID_PARAMETER_VALUE", fragment)


def test_wrapped_body_is_tolerated(api: Api) -> None:
    wrapped = {"network_connectivity_config": {"name": "wrapped", "region": "eastus2"}}
    assert api.ok("POST", NCCS, wrapped)["name"] == "wrapped"


def test_names_are_not_unique(api: Api) -> None:
    first, second = api.create_ncc("same"), api.create_ncc("same")
    assert first["network_connectivity_config_id"] != second["network_connectivity_config_id"]


def test_get_unknown_is_404(api: Api) -> None:
    assert_error(api.call("GET", f"{NCCS}/nope"), 404, "RESOURCE_DOES_NOT_EXIST", "nope")


def _attach(api: Api, workspace_id: int, ncc_id: str) -> None:
    api.run.admin.add_workspace(workspace_id, "eastus2")
    api.ok("PATCH", f"/workspaces/{workspace_id}", {"network_connectivity_config_id": ncc_id})


@pytest.mark.parametrize(
    ("mask", "body", "status", "fragment"),
    [
        pytest.param(
            None, {"name": "x-y-z"}, 400, "Update mask must be specified", id="mask missing"
        ),
        pytest.param("", {"name": "x-y-z"}, 400, "Update mask must be specified", id="mask empty"),
        pytest.param(
            "region", {"region": "westus"}, 400, "Unsupported update mask", id="region is immutable"
        ),
        pytest.param("name", {"name": "no"}, 400, "Invalid name", id="new name still validated"),
        pytest.param(
            "billing_workspace_id",
            {"billing_workspace_id": 999},
            400,
            "must be attached",
            id="billing workspace not attached",
        ),
    ],
)
def test_patch_refusals(
    api: Api,
    mask: str | None,
    body: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    params = {"update_mask": mask} if mask is not None else None
    response = api.call("PATCH", f"{NCCS}/{ncc_id}", body, params)
    assert_error(response, status, "INVALID_PARAMETER_VALUE", fragment)


def test_patch_name_and_billing_workspace(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    _attach(api, 42, ncc_id)
    body = {"name": "renamed", "billing_workspace_id": 42}
    params = {"update_mask": "name,billing_workspace_id"}
    patched = api.ok("PATCH", f"{NCCS}/{ncc_id}", body, params)
    assert (patched["name"], patched["billing_workspace_id"]) == ("renamed", 42)
    assert api.ok("GET", f"{NCCS}/{ncc_id}")["name"] == "renamed"
