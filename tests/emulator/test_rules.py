"""Private endpoint rule endpoints over HTTP: create validation per cloud, duplicates, quota,
PATCH masks, delete semantics and the mirror into the NCC's ``egress_config.target_rules``.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import AZURE_BLOB, NLB_RULE, S3_RULE, Api, assert_error

PLS = {"resource_id": "/subscriptions/s/pls/p1", "domain_names": ["a.example.com"]}


@pytest.mark.parametrize(
    ("body", "fragment", "reason"),
    [
        ({"group_id": "blob"}, "resource_id", "resource_id missing"),
        ({"resource_id": "/r"}, "Exactly one", "neither group_id nor domain_names"),
        ({**AZURE_BLOB, "domain_names": ["a.b"]}, "Exactly one", "both group_id and domains"),
        ({**AZURE_BLOB, "endpoint_service": "svc"}, "not supported for Azure", "AWS field"),
        (
            {"resource_id": "/r", "domain_names": [f"d{i}.x" for i in range(11)]},
            "At most 10",
            "more than 10 domain names",
        ),
        ({"resource_id": "/r", "domain_names": [""]}, "non-empty", "blank domain"),
    ],
)
def test_azure_create_validation(
    api: Api, body: dict[str, Any], fragment: str, reason: str
) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    response = api.call("POST", api.rules_path(ncc_id), body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", fragment)


@pytest.mark.parametrize(
    ("body", "fragment", "reason"),
    [
        ({}, "One of 'endpoint_service' or 'resource_names'", "no target at all"),
        ({**S3_RULE, "domain_names": ["a.b"]}, "mutually exclusive", "buckets and domains"),
        (
            {**NLB_RULE, "domain_names": [], "resource_names": ["b"]},
            "only supported for S3",
            "buckets on a customer endpoint service",
        ),
        (
            {"endpoint_service": "com.amazonaws.us-east-1.s3", "domain_names": ["a.b"]},
            "not supported for S3",
            "domains on S3",
        ),
        ({**S3_RULE, "resource_id": "/r"}, "not supported for AWS", "Azure field"),
    ],
)
def test_aws_create_validation(
    aws_api: Api, body: dict[str, Any], fragment: str, reason: str
) -> None:
    ncc_id = aws_api.create_ncc(region="us-east-1")["network_connectivity_config_id"]
    response = aws_api.call("POST", aws_api.rules_path(ncc_id), body)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", fragment)


def test_azure_rule_shape(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    rule = api.create_rule(ncc_id, **AZURE_BLOB, enabled=True)
    assert rule["connection_state"] == "PENDING"
    assert rule["account_id"] == api.run.account_id
    assert rule["endpoint_name"].startswith(f"databricks-{ncc_id}-pe-")
    assert "enabled" not in rule  # stripped on create; not an Azure field
    assert "deactivated" not in rule
    assert "vpc_endpoint_id" not in rule


def test_bucket_only_s3_rule_gets_regional_service(aws_api: Api) -> None:
    ncc_id = aws_api.create_ncc(region="us-east-1")["network_connectivity_config_id"]
    rule = aws_api.create_rule(ncc_id, resource_names=["b1"], enabled=True)
    assert rule["endpoint_service"] == "com.amazonaws.us-east-1.s3"
    assert rule["enabled"] is False  # enabled is ignored on create


AZ_ENABLED_MSG = "Updating fields enabled for Azure private endpoint rule {id} is not supported. "


@pytest.mark.parametrize(
    ("rule_body", "mask", "patch", "fragment"),
    [
        pytest.param(
            PLS,
            None,
            {"domain_names": ["x.y"]},
            "Update mask must be specified",
            id="mask missing",
        ),
        pytest.param(
            PLS,
            "",
            {},
            "Update mask must be specified",
            id="empty mask (Terraform #5347)",
        ),
        pytest.param(
            PLS,
            "enabled",
            {"enabled": True},
            AZ_ENABLED_MSG,
            id="enabled on Azure (Terraform #5306)",
        ),
        pytest.param(
            PLS,
            "enabled,domain_names",
            {"enabled": True},
            "No updates were attempted.",
            id="enabled in a longer mask still refused",
        ),
        pytest.param(
            PLS,
            "bogus",
            {},
            "Invalid update mask field",
            id="unknown field",
        ),
        pytest.param(
            PLS,
            "resource_id",
            {"resource_id": "/x"},
            "cannot be updated",
            id="immutable target",
        ),
        pytest.param(
            AZURE_BLOB,
            "domain_names",
            {"domain_names": ["a.b"]},
            "updatable fields: none",
            id="first-party Azure targets are not updatable",
        ),
        pytest.param(
            PLS,
            "domain_names",
            {"domain_names": []},
            "must not be empty",
            id="would leave the rule without a target",
        ),
    ],
)
def test_azure_patch_refusals(
    api: Api,
    rule_body: dict[str, Any],
    mask: str | None,
    patch: dict[str, Any],
    fragment: str,
) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    rule = api.create_rule(ncc_id, **rule_body)
    params = {"update_mask": mask} if mask is not None else None
    response = api.call("PATCH", f"{api.rules_path(ncc_id)}/{rule['rule_id']}", patch, params)
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", fragment.format(id=rule["rule_id"]))
    assert api.rule(ncc_id, rule["rule_id"]) == rule  # all-or-nothing


def test_patch_replaces_domain_list(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    rule_id = api.create_rule(ncc_id, **PLS)["rule_id"]
    path, params = f"{api.rules_path(ncc_id)}/{rule_id}", {"update_mask": "domain_names"}
    patched = api.ok("PATCH", path, {"domain_names": ["n1.x", "n2.x"]}, params)
    assert patched["domain_names"] == ["n1.x", "n2.x"]
    wrapped = {"private_endpoint_rule": {"domain_names": ["n3.x"]}}
    assert api.ok("PATCH", path, wrapped, params)["domain_names"] == ["n3.x"]


def test_s3_enabled_requires_established(emulator_factory: Any) -> None:
    run = emulator_factory("aws", creating_seconds=5)
    api = Api(run)
    ncc_id = api.create_ncc(region="us-east-1")["network_connectivity_config_id"]
    rule_id = api.create_rule(ncc_id, **S3_RULE)["rule_id"]
    path, params = f"{api.rules_path(ncc_id)}/{rule_id}", {"update_mask": "enabled"}
    response = api.call("PATCH", path, {"enabled": True}, params)
    assert_error(response, 400, "INVALID_STATE", "must be ESTABLISHED")
    run.admin.advance_clock(5)
    assert api.ok("PATCH", path, {"enabled": True}, params)["enabled"] is True


def test_s3_resource_names_replaced(aws_api: Api) -> None:
    ncc_id = aws_api.create_ncc(region="us-east-1")["network_connectivity_config_id"]
    rule_id = aws_api.create_rule(ncc_id, **S3_RULE)["rule_id"]
    path = f"{aws_api.rules_path(ncc_id)}/{rule_id}"
    body, params = {"resource_names": ["b2", "b3"]}, {"update_mask": "resource_names"}
    assert aws_api.ok("PATCH", path, body, params)["resource_names"] == ["b2", "b3"]


def test_rules_mirrored_into_ncc(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    kept = api.create_rule(ncc_id, **AZURE_BLOB)["rule_id"]
    gone = api.create_rule(ncc_id, **PLS)["rule_id"]
    api.run.admin.approve(kept)
    api.ok("DELETE", f"{api.rules_path(ncc_id)}/{kept}")
    api.ok("DELETE", f"{api.rules_path(ncc_id)}/{gone}")  # PENDING: removed
    ncc = api.ok("GET", f"/network-connectivity-configs/{ncc_id}")
    (mirrored,) = ncc["egress_config"]["target_rules"]["azure_private_endpoint_rules"]
    assert mirrored["rule_id"] == kept
    assert mirrored["deactivated"] is True
    assert "account_id" not in mirrored  # the embedded Azure shape has no account_id


def test_aws_rules_mirrored_with_account_id(aws_api: Api) -> None:
    ncc_id = aws_api.create_ncc(region="us-east-1")["network_connectivity_config_id"]
    aws_api.create_rule(ncc_id, **NLB_RULE)
    ncc = aws_api.ok("GET", f"/network-connectivity-configs/{ncc_id}")
    (mirrored,) = ncc["egress_config"]["target_rules"]["aws_private_endpoint_rules"]
    assert mirrored["account_id"] == aws_api.run.account_id
    assert mirrored["endpoint_service"] == NLB_RULE["endpoint_service"]


def test_rule_of_another_ncc_is_404(api: Api) -> None:
    a = api.create_ncc("ncc-a")["network_connectivity_config_id"]
    b = api.create_ncc("ncc-b")["network_connectivity_config_id"]
    rule_id = api.create_rule(a, **AZURE_BLOB)["rule_id"]
    assert_error(api.call("GET", f"{api.rules_path(b)}/{rule_id}"), 404, "RESOURCE_DOES_NOT_EXIST")
    response = api.call("POST", api.rules_path("missing"), AZURE_BLOB)
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "missing")


def test_patch_of_deactivated_rule_is_invalid_state(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    rule_id = api.create_rule(ncc_id, **PLS)["rule_id"]
    api.run.admin.approve(rule_id)
    path = f"{api.rules_path(ncc_id)}/{rule_id}"
    api.ok("DELETE", path)
    body, params = {"domain_names": ["z.example.com"]}, {"update_mask": "domain_names"}
    assert_error(api.call("PATCH", path, body, params), 400, "INVALID_STATE", "deactivated")
