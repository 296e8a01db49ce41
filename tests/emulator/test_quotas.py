"""Quotas answer 400 RESOURCE_EXHAUSTED with a message naming the quota (AWS docs "Configure
private connectivity to resources in your VPC": 10 NCCs per region, 30 private endpoints per
region, 50 workspaces per NCC). The status is an emulator choice, see docs/emulator.md.
"""

from __future__ import annotations

from typing import Any

from .conftest import AZURE_BLOB, Api, assert_error

NCCS = "/network-connectivity-configs"


def test_ncc_quota_per_region(emulator_factory: Any) -> None:
    api = Api(emulator_factory(limits={"nccs_per_region": 2}))
    api.create_ncc("a-1"), api.create_ncc("a-2")
    api.create_ncc("other", region="westus")  # another region has its own budget
    response = api.call("POST", NCCS, {"name": "a-3", "region": "eastus2"})
    fragment = "at most 2 network connectivity configurations per region (region eastus2"
    assert_error(response, 400, "RESOURCE_EXHAUSTED", fragment)


def test_default_ncc_quota_is_ten(aws_api: Api) -> None:
    for i in range(10):
        aws_api.create_ncc(f"ncc-{i}", "us-east-1")
    response = aws_api.call("POST", NCCS, {"name": "ncc-10", "region": "us-east-1"})
    fragment = "at most 10 network connectivity configurations per region"
    assert_error(response, 400, "RESOURCE_EXHAUSTED", fragment)


def test_endpoint_quota_spans_nccs_of_a_region(emulator_factory: Any) -> None:
    api = Api(emulator_factory(limits={"endpoints_per_region": 2}))
    a = api.create_ncc("ncc-a")["network_connectivity_config_id"]
    b = api.create_ncc("ncc-b")["network_connectivity_config_id"]
    elsewhere = api.create_ncc("ncc-c", region="westus")["network_connectivity_config_id"]
    api.create_rule(a, **AZURE_BLOB)
    api.create_rule(b, **AZURE_BLOB)
    api.create_rule(elsewhere, **AZURE_BLOB)  # another region: its own budget
    response = api.call("POST", api.rules_path(a), {**AZURE_BLOB, "group_id": "dfs"})
    fragment = "at most 2 private endpoints per region (region eastus2"
    assert_error(response, 400, "RESOURCE_EXHAUSTED", fragment)


def test_default_aws_endpoint_quota_is_thirty(aws_api: Api) -> None:
    ncc_id = aws_api.create_ncc(region="us-east-1")["network_connectivity_config_id"]
    service = "com.amazonaws.vpce.us-east-1.vpce-svc-{:017x}"
    for i in range(30):
        aws_api.create_rule(ncc_id, endpoint_service=service.format(i), domain_names=["a.b"])
    body = {"endpoint_service": service.format(30), "domain_names": ["a.b"]}
    response = aws_api.call("POST", aws_api.rules_path(ncc_id), body)
    assert_error(response, 400, "RESOURCE_EXHAUSTED", "at most 30 private endpoints per region")


def test_workspaces_per_ncc_limit(emulator_factory: Any) -> None:
    api = Api(emulator_factory(limits={"workspaces_per_ncc": 1}))
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    for ws in (1, 2):
        api.run.admin.add_workspace(ws, "eastus2")
    body = {"network_connectivity_config_id": ncc_id}
    api.ok("PATCH", "/workspaces/1", body)
    api.ok("PATCH", "/workspaces/1", body)  # re-attach is fine
    response = api.call("PATCH", "/workspaces/2", body)
    fragment = "at most 1 workspaces per network connectivity configuration"
    assert_error(response, 400, "RESOURCE_EXHAUSTED", fragment)
