"""Facts from the research that the product states: where an AWS target is, what a cross-region
target costs, and that AWS stable IPs are legacy (docs/concepts.md)."""

from __future__ import annotations

from collections import Counter

import pytest

from ncc_operator.databricks import NetworkConnectivityConfiguration
from ncc_operator.databricks.models import NccPrivateEndpointRule
from ncc_operator.models import NetworkConnectivityConfigResource
from ncc_operator.resources.ncc_status import LEGACY_STABLE_IPS, NccSeen, at_provider, readiness
from ncc_operator.resources.rule_states import readiness_of
from ncc_operator.resources.targets import cross_region_note, endpoint_service_region

VPCE = "com.amazonaws.vpce.{}.vpce-svc-0123456789abcdef0"

REGIONS = [
    # (endpoint service, region it names, why)
    (VPCE.format("us-west-2"), "us-west-2", "a customer's endpoint service names its region"),
    ("com.amazonaws.vpce.eu-west-1.vpce-svc-01234567", "eu-west-1", "8-hex-digit service ids"),
    ("com.amazonaws.us-east-2.s3", "us-east-2", "an AWS service (S3) names its region"),
    ("COM.AMAZONAWS.US-EAST-2.S3", "us-east-2", "case does not matter"),
    ("com.amazonaws.vpce.mars-north-1.vpce-svc-01234567", None, "not a real AWS region"),
    ("com.amazonaws.s3-global.accesspoint", None, "no region in the name"),
    (None, None, "an S3 rule of bucket names alone names no region"),
    ("", None, "empty"),
]


@pytest.mark.parametrize(("service", "region", "why"), REGIONS, ids=[c[2] for c in REGIONS])
def test_the_region_an_endpoint_service_names(
    service: str | None, region: str | None, why: str
) -> None:
    assert endpoint_service_region(service) == region, why


NOTES = [
    # (endpoint service, NCC region, warned, why)
    (VPCE.format("us-west-2"), "us-east-1", True, "another region: charged, say so"),
    ("com.amazonaws.us-west-2.s3", "us-east-1", True, "S3 in another region too"),
    (VPCE.format("us-east-1"), "us-east-1", False, "same region: nothing to say"),
    (None, "us-east-1", False, "unknown region: we never guess"),
]


@pytest.mark.parametrize(("service", "ncc", "warned", "why"), NOTES, ids=[c[3] for c in NOTES])
def test_cross_region_targets_get_a_warning_note_but_keep_their_state(
    service: str | None, ncc: str, warned: bool, why: str
) -> None:
    note = cross_region_note(service, ncc)
    assert (note is not None) == warned, why
    rule = NccPrivateEndpointRule(rule_id="r1", connection_state="ESTABLISHED")
    ready = readiness_of(rule, note)
    assert ready.ready, "a cross-region rule works: it is not an error"
    assert ready.reason == "Established"
    assert ready.warning == warned, "the transition event is a Warning exactly when noted"
    if note is not None:
        assert "cross-region data transfer" in ready.message
        assert f"is in {endpoint_service_region(service)}, but the NCC is in {ncc}" in note


def _ncc(**default_rules: object) -> NetworkConnectivityConfiguration:
    return NetworkConnectivityConfiguration.model_validate(
        {
            "network_connectivity_config_id": "n1",
            "name": "prod",
            "region": "us-east-1",
            "egress_config": {"default_rules": default_rules},
        }
    )


LEGACY = [
    # (default rules, noted, why)
    ({"aws_stable_ip_rule": {"cidr_blocks": ["192.0.2.0/28"]}}, True, "AWS stable IPs: legacy"),
    ({"aws_stable_ip_rule": {"cidr_blocks": []}}, False, "no stable IPs, nothing to retire"),
    ({"azure_service_endpoint_rule": {"subnets": ["/subscriptions/s/x"]}}, False, "Azure"),
]


@pytest.mark.parametrize(("rules", "noted", "why"), LEGACY, ids=[c[2] for c in LEGACY])
def test_ready_says_aws_stable_ips_are_legacy(
    rules: dict[str, object], noted: bool, why: str
) -> None:
    seen = NccSeen(_ncc(**rules), (), (), ())
    for observe_only in (False, True):
        message = readiness(seen, "none", observe_only=observe_only).message
        assert (LEGACY_STABLE_IPS in message) == noted, why
    assert "25 May 2026" in LEGACY_STABLE_IPS


def test_outbound_ranges_appear_in_at_provider_only_when_read() -> None:
    ncc = _ncc()
    assert "outboundIpRanges" not in at_provider(ncc, [], Counter())
    shown = at_provider(ncc, [], Counter(), {"source": "s", "ipv4": ["192.0.2.0/28"]})
    assert shown["outboundIpRanges"] == {"source": "s", "ipv4": ["192.0.2.0/28"]}


def test_the_ncc_model_reads_the_status_the_adapter_writes() -> None:
    """What ``at_provider`` writes is what the model (and so the CRD) describes."""
    status = at_provider(
        _ncc(aws_stable_ip_rule={"cidr_blocks": ["192.0.2.0/28"]}),
        [],
        Counter({"ESTABLISHED": 1}),
        {
            "source": "https://www.databricks.com/networking/v1/ip-ranges.json",
            "fetchedAt": "2026-12-01T00:00:00Z",
            "feedTimestamp": "2026-09-07T05:38:00Z",
            "ipv4": ["192.0.2.16/28"],
            "ipv6": [],
            "configMap": "platform/ncc-outbound-ip-ranges",
        },
    )
    resource = NetworkConnectivityConfigResource.model_validate(
        {
            "apiVersion": "networking.ncc-operator.io/v1alpha1",
            "kind": "NetworkConnectivityConfig",
            "metadata": {"name": "prod", "namespace": "team"},
            "spec": {"accountRef": {"name": "main"}, "region": "us-east-1"},
            "status": {"atProvider": status},
        }
    )
    at = resource.status.at_provider
    assert at is not None
    assert at.outbound_ip_ranges is not None
    assert at.outbound_ip_ranges.ipv4 == ["192.0.2.16/28"]
    assert at.outbound_ip_ranges.config_map == "platform/ncc-outbound-ip-ranges"
    assert at.egress_config is not None
    assert at.egress_config.aws_stable_ip_cidr_blocks == ["192.0.2.0/28"]
