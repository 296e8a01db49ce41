"""Duplicate rule detection (409 RESOURCE_ALREADY_EXISTS) keys on the immutable target only.

Azure: ``resource_id`` (case-insensitive, as Azure resource ids are) + ``group_id``; Private Link
service rules: ``resource_id`` alone, their ``domain_names`` are mutable (unmerged Terraform PR
#5648 claims a conflict on duplicate (resource_id, group_id, ncc_id)). AWS: ``endpoint_service``
alone, ``resource_names`` / ``domain_names`` being mutable (an emulator choice, documented).
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import AZURE_BLOB, NLB_RULE, S3_RULE, Api, assert_error

PLS_ID = "/subscriptions/s/pls/p1"
PLS: dict[str, Any] = {"resource_id": PLS_ID, "domain_names": ["a.example.com"]}


def _conflicts(api: Api, first: dict[str, Any], second: dict[str, Any]) -> bool:
    region = "us-east-1" if api.run.cloud == "aws" else "eastus2"
    ncc_id = api.create_ncc(region=region)["network_connectivity_config_id"]
    api.create_rule(ncc_id, **first)
    response = api.call("POST", api.rules_path(ncc_id), second)
    if response.status_code == 409:
        assert_error(response, 409, "RESOURCE_ALREADY_EXISTS", "already exists")
        return True
    assert response.status_code == 200, response.text
    return False


@pytest.mark.parametrize(
    ("first", "second", "conflict", "reason"),
    [
        (AZURE_BLOB, AZURE_BLOB, True, "same resource and group"),
        (AZURE_BLOB, {**AZURE_BLOB, "group_id": "dfs"}, False, "root DBFS needs blob and dfs"),
        (
            AZURE_BLOB,
            {**AZURE_BLOB, "resource_id": str(AZURE_BLOB["resource_id"]).upper()},
            True,
            "Azure resource ids are case-insensitive",
        ),
        (PLS, {**PLS, "domain_names": ["other.example.com"]}, True, "same PLS, domains mutable"),
        (
            PLS,
            {**PLS, "resource_id": PLS_ID.upper()},
            True,
            "same PLS in other case",
        ),
        (PLS, {**PLS, "resource_id": "/subscriptions/s/pls/p2"}, False, "another PLS"),
    ],
)
def test_azure_duplicates(
    api: Api, first: dict[str, Any], second: dict[str, Any], conflict: bool, reason: str
) -> None:
    assert _conflicts(api, first, second) is conflict


@pytest.mark.parametrize(
    ("first", "second", "conflict", "reason"),
    [
        (NLB_RULE, NLB_RULE, True, "same endpoint service and domains"),
        (
            NLB_RULE,
            {**NLB_RULE, "domain_names": ["other.internal.example.com"]},
            True,
            "domain_names are mutable: same endpoint service",
        ),
        (
            S3_RULE,
            {**S3_RULE, "resource_names": ["bucket-b"]},
            True,
            "resource_names are mutable: same regional S3 service",
        ),
        (
            NLB_RULE,
            {**NLB_RULE, "endpoint_service": str(NLB_RULE["endpoint_service"])[:-1] + "1"},
            False,
            "another endpoint service",
        ),
    ],
)
def test_aws_duplicates(
    aws_api: Api, first: dict[str, Any], second: dict[str, Any], conflict: bool, reason: str
) -> None:
    assert _conflicts(aws_api, first, second) is conflict


def test_duplicate_allowed_after_deactivation(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    rule_id = api.create_rule(ncc_id, **AZURE_BLOB)["rule_id"]
    api.run.admin.approve(rule_id)
    api.ok("DELETE", f"{api.rules_path(ncc_id)}/{rule_id}")
    assert api.create_rule(ncc_id, **AZURE_BLOB)["rule_id"] != rule_id
