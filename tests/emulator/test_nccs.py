"""NCC endpoints over HTTP: shapes, validation, pagination, PATCH masks, limits, delete refusals."""

from __future__ import annotations

from typing import Any

import pytest

from ncc_emulator.testing import RunningEmulator

from .conftest import AZURE_BLOB, Api, assert_error

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


def test_list_paginates_with_opaque_tokens(emulator_factory: Any) -> None:
    api = Api(emulator_factory(page_size=2))
    made = [api.create_ncc(f"ncc-{i}")["network_connectivity_config_id"] for i in range(5)]
    seen, token, pages = [], None, 0
    while True:
        page = api.ok("GET", NCCS, params={"page_token": token} if token else None)
        pages += 1
        seen += [n["network_connectivity_config_id"] for n in page["items"]]
        token = page.get("next_page_token")
        if token is None:
            break
        assert token not in {"2", "4"}  # opaque, not a bare offset
    assert (seen, pages) == (made, 3)


def test_list_last_page_has_no_token(api: Api) -> None:
    api.create_ncc()
    assert set(api.ok("GET", NCCS)) == {"items"}


def test_bad_page_token_is_400(api: Api) -> None:
    response = api.call("GET", NCCS, params={"page_token": "!!!"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "page_token")


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


def test_ncc_quota_per_region(emulator_factory: Any) -> None:
    api = Api(emulator_factory(limits={"nccs_per_region": 2}))
    api.create_ncc("a-1"), api.create_ncc("a-2")
    api.create_ncc("other", region="westus")  # another region has its own budget
    response = api.call("POST", NCCS, {"name": "a-3", "region": "eastus2"})
    assert_error(response, 400, "RESOURCE_EXHAUSTED", "Maximum number")


def test_delete_refused_while_rules_exist(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    api.create_rule(ncc_id, **AZURE_BLOB)
    response = api.call("DELETE", f"{NCCS}/{ncc_id}")
    assert_error(response, 400, "INVALID_STATE", "has one or more private endpoint rules.")


def test_delete_refused_while_attached(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    _attach(api, 7, ncc_id)
    response = api.call("DELETE", f"{NCCS}/{ncc_id}")
    assert_error(response, 400, "INVALID_STATE", "attached to one or more workspaces.")


@pytest.mark.parametrize(
    ("blocks", "status", "reason"),
    [
        (True, 400, "default: a deactivated rule blocks the delete until purged"),
        (False, 200, "switched off: only active rules block"),
    ],
)
def test_deactivated_rules_and_delete(
    emulator_factory: Any, blocks: bool, status: int, reason: str
) -> None:
    run: RunningEmulator = emulator_factory(deactivated_blocks_ncc_delete=blocks)
    api = Api(run)
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    rule_id = api.create_rule(ncc_id, **AZURE_BLOB)["rule_id"]
    run.admin.approve(rule_id)
    api.ok("DELETE", f"{api.rules_path(ncc_id)}/{rule_id}")
    assert api.call("DELETE", f"{NCCS}/{ncc_id}").status_code == status


def test_delete_after_purge_then_404(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    rule_id = api.create_rule(ncc_id, **AZURE_BLOB)["rule_id"]
    api.run.admin.approve(rule_id)
    api.ok("DELETE", f"{api.rules_path(ncc_id)}/{rule_id}")
    api.run.admin.advance_clock(86400)
    assert api.ok("DELETE", f"{NCCS}/{ncc_id}") == {}
    assert_error(api.call("GET", f"{NCCS}/{ncc_id}"), 404, "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize(
    ("dependent", "fragment"),
    [
        pytest.param("rule", "private endpoint rules", id="rule deleted moments ago"),
        pytest.param("workspace", "attached to one or more", id="workspace moved moments ago"),
    ],
)
def test_delete_refusal_outlives_dependents_briefly(
    emulator_factory: Any, dependent: str, fragment: str
) -> None:
    run: RunningEmulator = emulator_factory(delete_consistency_seconds=30)
    api = Api(run)
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    if dependent == "rule":
        rule_id = api.create_rule(ncc_id, **AZURE_BLOB)["rule_id"]
        api.ok("DELETE", f"{api.rules_path(ncc_id)}/{rule_id}")  # PENDING: gone at once
    else:
        _attach(api, 3, ncc_id)
        other = api.create_ncc("other")["network_connectivity_config_id"]
        api.ok("PATCH", "/workspaces/3", {"network_connectivity_config_id": other})
    assert_error(api.call("DELETE", f"{NCCS}/{ncc_id}"), 400, "INVALID_STATE", fragment)
    run.admin.advance_clock(30)
    assert api.ok("DELETE", f"{NCCS}/{ncc_id}") == {}
