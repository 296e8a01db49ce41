"""The connection-state machine seen over HTTP, driven by the admin API and the emulator clock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import AZURE_BLOB, NLB_RULE, S3_RULE, Api

DAY = 86400


def _rule(api: Api, body: dict[str, Any], region: str = "eastus2") -> tuple[str, str]:
    ncc_id = api.create_ncc(region=region)["network_connectivity_config_id"]
    return ncc_id, api.create_rule(ncc_id, **body)["rule_id"]


def test_creating_then_pending_after_delay(emulator_factory: Any) -> None:
    run = emulator_factory(creating_seconds=30)
    api = Api(run)
    ncc_id, rule_id = _rule(api, AZURE_BLOB)
    assert api.rule(ncc_id, rule_id)["connection_state"] == "CREATING"
    run.admin.advance_clock(29)
    assert api.rule(ncc_id, rule_id)["connection_state"] == "CREATING"
    run.admin.advance_clock(1)
    rule = api.rule(ncc_id, rule_id)
    assert rule["connection_state"] == "PENDING"
    assert rule["updated_time"] == rule["creation_time"] + 30_000  # transition time, not read time


def test_missing_target_ends_create_failed(emulator_factory: Any) -> None:
    run = emulator_factory(creating_seconds=1)
    run.admin.mark_missing(resource_id=AZURE_BLOB["resource_id"])
    api = Api(run)
    ncc_id, rule_id = _rule(api, AZURE_BLOB)
    run.admin.advance_clock(1)
    rule = api.rule(ncc_id, rule_id)
    assert rule["connection_state"] == "CREATE_FAILED"
    expected = f"NOT_FOUND: The provided resource {AZURE_BLOB['resource_id']} could not be found."
    assert rule["error_message"] == expected


def test_missing_endpoint_service_on_aws(aws_emulator: Any) -> None:
    aws_emulator.admin.mark_missing(endpoint_service=NLB_RULE["endpoint_service"])
    api = Api(aws_emulator)
    ncc_id, rule_id = _rule(api, NLB_RULE, "us-east-1")
    assert api.rule(ncc_id, rule_id)["connection_state"] == "CREATE_FAILED"


@pytest.mark.parametrize(
    ("actions", "final", "reason"),
    [
        (["approve"], "ESTABLISHED", "owner approves"),
        (["reject"], "REJECTED", "owner rejects a pending request"),
        (["approve", "reject"], "REJECTED", "owner revokes an approved connection"),
        (["approve", "disconnect"], "DISCONNECTED", "owner removes the connection"),
    ],
)
def test_owner_actions(api: Api, actions: list[str], final: str, reason: str) -> None:
    ncc_id, rule_id = _rule(api, AZURE_BLOB)
    for action in actions:
        answered = getattr(api.run.admin, action)(rule_id)
    assert answered["connection_state"] == final
    assert api.rule(ncc_id, rule_id)["connection_state"] == final


@pytest.mark.parametrize(
    ("setup", "action", "reason"),
    [
        ([], "disconnect", "nothing to disconnect while PENDING"),
        (["approve"], "approve", "already ESTABLISHED"),
        (["reject"], "approve", "REJECTED cannot be approved"),
        (["approve", "disconnect"], "reject", "DISCONNECTED is final for the owner"),
    ],
)
def test_illegal_owner_actions_are_409(
    api: Api, setup: list[str], action: str, reason: str
) -> None:
    _, rule_id = _rule(api, AZURE_BLOB)
    for step in setup:
        getattr(api.run.admin, step)(rule_id)
    with pytest.raises(httpx.HTTPStatusError) as caught:
        getattr(api.run.admin, action)(rule_id)
    assert caught.value.response.status_code == 409


@pytest.mark.parametrize(
    ("setup", "expires", "reason"),
    [
        ([], True, "PENDING expires after 14 days"),
        (["reject"], True, "REJECTED expires after 14 days"),
        (["approve", "disconnect"], True, "DISCONNECTED expires after 14 days"),
        (["approve"], False, "ESTABLISHED never expires"),
    ],
)
def test_expiry(api: Api, setup: list[str], expires: bool, reason: str) -> None:
    ncc_id, rule_id = _rule(api, AZURE_BLOB)
    for step in setup:
        getattr(api.run.admin, step)(rule_id)
    api.run.admin.advance_clock(14 * DAY - 1)
    assert api.rule(ncc_id, rule_id)["connection_state"] != "EXPIRED"
    api.run.admin.advance_clock(1)
    state = api.rule(ncc_id, rule_id)["connection_state"]
    assert (state == "EXPIRED") is expires


def test_expiry_is_configurable(emulator_factory: Any) -> None:
    run = emulator_factory(expiry_seconds=60)
    api = Api(run)
    ncc_id, rule_id = _rule(api, AZURE_BLOB)
    run.admin.advance_clock(60)
    assert api.rule(ncc_id, rule_id)["connection_state"] == "EXPIRED"


@pytest.mark.parametrize(
    ("purge_seconds", "reason"),
    [(DAY, "default: one day (current SDK text)"), (7 * DAY, "seven days (docs) selectable")],
)
def test_soft_deleted_rule_is_purged(
    emulator_factory: Any, purge_seconds: float, reason: str
) -> None:
    run = emulator_factory(purge_seconds=purge_seconds)
    api = Api(run)
    ncc_id, rule_id = _rule(api, AZURE_BLOB)
    run.admin.approve(rule_id)
    api.ok("DELETE", f"{api.rules_path(ncc_id)}/{rule_id}")
    run.admin.advance_clock(purge_seconds - 1)
    assert api.rule(ncc_id, rule_id)["deactivated"] is True
    run.admin.advance_clock(1)
    assert api.call("GET", f"{api.rules_path(ncc_id)}/{rule_id}").status_code == 404
    ncc = api.ok("GET", f"/network-connectivity-configs/{ncc_id}")
    assert "target_rules" not in ncc["egress_config"]


def test_deactivated_rule_stops_transitions(api: Api) -> None:
    ncc_id, rule_id = _rule(api, AZURE_BLOB)
    api.run.admin.reject(rule_id)
    api.ok("DELETE", f"{api.rules_path(ncc_id)}/{rule_id}")
    api.run.admin.advance_clock(DAY - 1)
    assert api.rule(ncc_id, rule_id)["connection_state"] == "REJECTED"


def test_s3_rule_establishes_then_gets_vpce(emulator_factory: Any) -> None:
    run = emulator_factory("aws", s3_vpce_delay_seconds=10)
    api = Api(run)
    ncc_id, rule_id = _rule(api, S3_RULE, "us-east-1")
    rule = api.rule(ncc_id, rule_id)
    assert (rule["connection_state"], rule["enabled"]) == ("ESTABLISHED", False)
    assert "vpc_endpoint_id" not in rule
    run.admin.advance_clock(10)
    assert api.rule(ncc_id, rule_id)["vpc_endpoint_id"].startswith("vpce-")


def test_aws_nlb_rule_waits_for_acceptance(aws_api: Api) -> None:
    ncc_id, rule_id = _rule(aws_api, NLB_RULE, "us-east-1")
    rule = aws_api.rule(ncc_id, rule_id)
    assert rule["connection_state"] == "PENDING"
    assert rule["vpc_endpoint_id"].startswith("vpce-")
    assert "enabled" not in rule
    assert aws_api.run.admin.approve(rule_id)["connection_state"] == "ESTABLISHED"


@pytest.mark.parametrize(
    ("body", "state", "why"),
    [
        (NLB_RULE, "ESTABLISHED", "an endpoint service without acceptance: accepted at once"),
        (S3_RULE, "ESTABLISHED", "S3 establishes on its own either way"),
    ],
)
def test_auto_accepting_endpoint_services_skip_the_owner(
    emulator_factory: Any, body: dict[str, Any], state: str, why: str
) -> None:
    run = emulator_factory("aws", auto_accept_aws_endpoints=True, s3_vpce_delay_seconds=0)
    api = Api(run)
    ncc_id, rule_id = _rule(api, body, "us-east-1")
    rule = api.rule(ncc_id, rule_id)
    assert rule["connection_state"] == state, why
    assert rule["vpc_endpoint_id"].startswith("vpce-"), "the endpoint exists once accepted"


def test_azure_owners_still_approve_with_auto_accept_on(emulator_factory: Any) -> None:
    run = emulator_factory("azure", auto_accept_aws_endpoints=True)
    api = Api(run)
    ncc_id, rule_id = _rule(api, AZURE_BLOB, "eastus2")
    assert api.rule(ncc_id, rule_id)["connection_state"] == "PENDING"


@pytest.mark.parametrize(
    ("cloud", "body", "field", "region"),
    [
        pytest.param("azure", AZURE_BLOB, "endpoint_name", "eastus2", id="azure endpoint_name"),
        pytest.param("aws", NLB_RULE, "vpc_endpoint_id", "us-east-1", id="aws vpc_endpoint_id"),
    ],
)
def test_endpoint_ids_absent_while_creating(
    emulator_factory: Any, cloud: str, body: dict[str, Any], field: str, region: str
) -> None:
    """PR #5743 (Databricks staff): empty while CREATING, populated at PENDING."""
    run = emulator_factory(cloud, creating_seconds=10)
    api = Api(run)
    ncc_id = api.create_ncc(region=region)["network_connectivity_config_id"]
    created = api.create_rule(ncc_id, **body)
    assert created["connection_state"] == "CREATING"
    assert field not in created
    mirrored = api.ok("GET", f"/network-connectivity-configs/{ncc_id}")["egress_config"]
    key = f"{cloud}_private_endpoint_rules"
    assert field not in mirrored["target_rules"][key][0]
    run.admin.advance_clock(10)
    rule = api.rule(ncc_id, created["rule_id"])
    assert rule["connection_state"] == "PENDING"
    assert rule[field]


def test_create_failed_rule_has_no_endpoint_name(emulator_factory: Any) -> None:
    run = emulator_factory(creating_seconds=1)
    run.admin.mark_missing(resource_id=AZURE_BLOB["resource_id"])
    api = Api(run)
    ncc_id, rule_id = _rule(api, AZURE_BLOB)
    run.admin.advance_clock(1)
    rule = api.rule(ncc_id, rule_id)
    assert rule["connection_state"] == "CREATE_FAILED"
    assert "endpoint_name" not in rule


def test_multi_minute_creating_through_the_clock(emulator_factory: Any) -> None:
    """CREATING typically lasts a few minutes (Terraform PF resource, #4559, #5292)."""
    run = emulator_factory(creating_seconds=180)
    api = Api(run)
    ncc_id, rule_id = _rule(api, AZURE_BLOB)
    seen = []
    for _ in range(3):
        run.admin.advance_clock(59)
        seen.append(api.rule(ncc_id, rule_id)["connection_state"])
    assert seen == ["CREATING"] * 3  # 177 s in
    run.admin.advance_clock(3)
    rule = api.rule(ncc_id, rule_id)
    assert rule["connection_state"] == "PENDING"
    assert rule["updated_time"] == rule["creation_time"] + 180_000


def test_creating_lasts_a_different_time_per_rule_within_the_jitter(emulator_factory: Any) -> None:
    """``creating_jitter_seconds``: each rule leaves CREATING between ``creating_seconds`` and
    that plus the jitter, at a time of its own (the same on every read)."""
    run = emulator_factory(creating_seconds=60, creating_jitter_seconds=120)
    api = Api(run)
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    bodies = [{**AZURE_BLOB, "resource_id": f"{AZURE_BLOB['resource_id']}{i}"} for i in range(8)]
    rules = [api.ok("POST", api.rules_path(ncc_id), body)["rule_id"] for body in bodies]
    run.admin.advance_clock(59)
    assert {api.rule(ncc_id, r)["connection_state"] for r in rules} == {"CREATING"}
    run.admin.advance_clock(122)
    left = [api.rule(ncc_id, r) for r in rules]
    assert {r["connection_state"] for r in left} == {"PENDING"}
    durations = {r["updated_time"] - r["creation_time"] for r in left}
    assert all(60_000 <= d <= 180_000 for d in durations), durations
    assert len(durations) == len(rules), "each rule its own time"
    assert [api.rule(ncc_id, r)["updated_time"] for r in rules] == [r["updated_time"] for r in left]
