"""Rule DELETE per cloud: Azure removes PENDING/EXPIRED (and CREATING/CREATE_FAILED) rules at
once and deactivates the others; AWS always deactivates (REST reference, delete page, AWS
section: "The private endpoint is deactivated and will be deleted after one day of
deactivation."). Deactivated rules stay listed and mirrored until purged.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import AZURE_BLOB, NLB_RULE, S3_RULE, Api, assert_error

DAY = 86400


def _setup(api: Api, body: dict[str, Any], action: str | None) -> tuple[str, str]:
    region = "us-east-1" if api.run.cloud == "aws" else "eastus2"
    ncc_id = api.create_ncc(region=region)["network_connectivity_config_id"]
    rule_id = api.create_rule(ncc_id, **body)["rule_id"]
    if action:
        getattr(api.run.admin, action)(rule_id)
    return ncc_id, rule_id


@pytest.mark.parametrize(
    ("action", "immediate", "reason"),
    [
        (None, True, "PENDING is deleted at once"),
        ("approve", False, "ESTABLISHED is deactivated"),
        ("reject", False, "REJECTED is deactivated"),
    ],
)
def test_azure_delete_semantics(api: Api, action: str | None, immediate: bool, reason: str) -> None:
    ncc_id, rule_id = _setup(api, AZURE_BLOB, action)
    path = f"{api.rules_path(ncc_id)}/{rule_id}"
    deleted = api.ok("DELETE", path)
    assert deleted["rule_id"] == rule_id
    if immediate:
        assert "deactivated" not in deleted
        assert_error(api.call("GET", path), 404, "RESOURCE_DOES_NOT_EXIST")
        return
    assert deleted["deactivated"] is True
    assert isinstance(deleted["deactivated_at"], int)
    listed = api.ok("GET", api.rules_path(ncc_id))["items"]
    assert [r["rule_id"] for r in listed] == [rule_id]
    assert api.ok("DELETE", path) == deleted  # deleting again is a no-op


def test_azure_expired_rule_deleted_at_once(api: Api) -> None:
    ncc_id, rule_id = _setup(api, AZURE_BLOB, None)
    api.run.admin.advance_clock(14 * DAY)
    assert api.rule(ncc_id, rule_id)["connection_state"] == "EXPIRED"
    api.ok("DELETE", f"{api.rules_path(ncc_id)}/{rule_id}")
    assert api.call("GET", f"{api.rules_path(ncc_id)}/{rule_id}").status_code == 404


@pytest.mark.parametrize(
    ("body", "setup", "reason"),
    [
        (NLB_RULE, {}, "PENDING (awaiting acceptance)"),
        (NLB_RULE, {"action": "approve"}, "ESTABLISHED"),
        (NLB_RULE, {"expire": True}, "EXPIRED"),
        (NLB_RULE, {"creating_seconds": 60}, "still CREATING"),
        (S3_RULE, {}, "S3, ESTABLISHED on its own"),
    ],
)
def test_aws_delete_always_deactivates(
    emulator_factory: Any,
    body: dict[str, Any],
    setup: dict[str, Any],
    reason: str,
) -> None:
    run = emulator_factory("aws", creating_seconds=setup.get("creating_seconds", 0))
    api = Api(run)
    ncc_id, rule_id = _setup(api, body, setup.get("action"))
    if setup.get("expire"):
        run.admin.advance_clock(14 * DAY)
    path = f"{api.rules_path(ncc_id)}/{rule_id}"
    deleted = api.ok("DELETE", path)
    assert deleted["deactivated"] is True, deleted
    assert deleted["creation_time"] <= deleted["deactivated_at"] <= run.admin.advance_clock(0)
    assert api.rule(ncc_id, rule_id) == deleted  # still there, frozen
    ncc = api.ok("GET", f"/network-connectivity-configs/{ncc_id}")
    (mirrored,) = ncc["egress_config"]["target_rules"]["aws_private_endpoint_rules"]
    assert (mirrored["rule_id"], mirrored["deactivated"]) == (rule_id, True)
    assert mirrored["deactivated_at"] == deleted["deactivated_at"]
    run.admin.advance_clock(DAY - 1)
    assert api.rule(ncc_id, rule_id)["deactivated"] is True
    run.admin.advance_clock(1)  # purge_seconds after deactivation
    assert_error(api.call("GET", path), 404, "RESOURCE_DOES_NOT_EXIST")
    assert (
        "target_rules"
        not in api.ok("GET", f"/network-connectivity-configs/{ncc_id}")["egress_config"]
    )
