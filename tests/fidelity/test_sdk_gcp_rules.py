"""The official SDK drives GCP private endpoint rules (``gcp_endpoint``) on an emulator started
for a GCP account: create, get, list, the PSC connection states, updates and refusals, each
parsed into the SDK's classes. Behaviour: docs/serverless-egress.md §4 (PY-SET ``GcpEndpoint``,
Terraform PR #5973, Google's PSC docs), choices in docs/emulator.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from databricks.sdk.errors import InvalidParameterValue
from databricks.sdk.errors.platform import ResourceAlreadyExists
from databricks.sdk.service.settings import (
    CreateNetworkConnectivityConfiguration,
    CreatePrivateEndpointRule,
    GcpEndpoint,
    GoogleApiEndpoints,
    NccPrivateEndpointRulePrivateLinkConnectionState,
    UpdatePrivateEndpointRule,
)

from .conftest import AccountClientFactory, must

pytestmark = pytest.mark.fidelity

State = NccPrivateEndpointRulePrivateLinkConnectionState
ATTACHMENT = "projects/my-gcp-project/regions/us-east4/serviceAttachments/my-service-attachment"


def _gcp(emulator_factory: Any, account_client: AccountClientFactory) -> tuple[Any, Any, str]:
    run = emulator_factory(cloud="gcp")
    client = account_client(run, "oauth-m2m")
    ncc = client.network_connectivity.create_network_connectivity_configuration(
        CreateNetworkConnectivityConfiguration(name="ncc-gcp", region="us-east4")
    )
    return run, client.network_connectivity, must(ncc.network_connectivity_config_id)


def test_a_service_attachment_rule_waits_for_the_producer_and_gets_its_psc_endpoint(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run, api, ncc_id = _gcp(emulator_factory, account_client)
    made = api.create_private_endpoint_rule(
        ncc_id,
        CreatePrivateEndpointRule(
            gcp_endpoint=GcpEndpoint(service_attachment=ATTACHMENT),
            domain_names=["db.internal.example.com"],
        ),
    )
    rule_id = must(made.rule_id)
    assert must(made.gcp_endpoint).service_attachment == ATTACHMENT
    assert made.domain_names == ["db.internal.example.com"]
    run.admin.advance_clock(5)  # past CREATING
    pending = api.get_private_endpoint_rule(ncc_id, rule_id)
    assert pending.connection_state == State.PENDING, "the producer accepts the connection"
    uri = must(must(pending.gcp_endpoint).psc_endpoint_uri)
    assert uri.startswith("projects/")
    assert "/regions/us-east4/forwardingRules/" in uri
    run.admin.approve(rule_id)
    established = api.get_private_endpoint_rule(ncc_id, rule_id)
    assert established.connection_state == State.ESTABLISHED
    assert [r.rule_id for r in api.list_private_endpoint_rules(ncc_id)] == [rule_id]
    # GET NCC has no GCP lists (NccEgressTargetRules: AWS and Azure only).
    ncc = api.get_network_connectivity_configuration(ncc_id)
    assert ncc.egress_config is None or ncc.egress_config.target_rules is None

    updated = api.update_private_endpoint_rule(
        ncc_id,
        rule_id,
        UpdatePrivateEndpointRule(domain_names=["db.internal.example.com", "x.example.com"]),
        "domain_names",
    )
    assert updated.domain_names == ["db.internal.example.com", "x.example.com"]
    with pytest.raises(InvalidParameterValue, match="gcp_endpoint"):
        api.update_private_endpoint_rule(
            ncc_id,
            rule_id,
            UpdatePrivateEndpointRule(gcp_endpoint=GcpEndpoint(all_vpc_sc_services=True)),
            "gcp_endpoint",
        )


def test_a_service_attachment_rule_made_without_domain_names_can_take_some(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    # A service attachment is a customer-managed target, whose rule "is allowed to be updated"
    # (PY-SET UpdatePrivateEndpointRule), domain names or not; a Google API rule is not.
    _, api, ncc_id = _gcp(emulator_factory, account_client)
    bare = api.create_private_endpoint_rule(
        ncc_id, CreatePrivateEndpointRule(gcp_endpoint=GcpEndpoint(service_attachment=ATTACHMENT))
    )
    updated = api.update_private_endpoint_rule(
        ncc_id,
        must(bare.rule_id),
        UpdatePrivateEndpointRule(domain_names=["db.internal.example.com"]),
        "domain_names",
    )
    assert updated.domain_names == ["db.internal.example.com"]
    apis = api.create_private_endpoint_rule(
        ncc_id, CreatePrivateEndpointRule(gcp_endpoint=GcpEndpoint(all_vpc_sc_services=True))
    )
    with pytest.raises(InvalidParameterValue, match="domain_names"):
        api.update_private_endpoint_rule(
            ncc_id,
            must(apis.rule_id),
            UpdatePrivateEndpointRule(domain_names=["db.internal.example.com"]),
            "domain_names",
        )


def test_google_api_rules_connect_without_an_approval(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run, api, ncc_id = _gcp(emulator_factory, account_client)
    apis = api.create_private_endpoint_rule(
        ncc_id,
        CreatePrivateEndpointRule(
            gcp_endpoint=GcpEndpoint(
                google_api_endpoints=GoogleApiEndpoints(endpoints=["storage.googleapis.com"])
            )
        ),
    )
    vpc_sc = api.create_private_endpoint_rule(
        ncc_id, CreatePrivateEndpointRule(gcp_endpoint=GcpEndpoint(all_vpc_sc_services=True))
    )
    run.admin.advance_clock(5)
    for made in (apis, vpc_sc):
        rule = api.get_private_endpoint_rule(ncc_id, must(made.rule_id))
        assert rule.connection_state == State.ESTABLISHED
        assert must(rule.gcp_endpoint).psc_endpoint_uri
    again = must(
        api.get_private_endpoint_rule(ncc_id, must(apis.rule_id)).gcp_endpoint
    ).google_api_endpoints
    assert must(again).endpoints == ["storage.googleapis.com"]


CASES = [
    pytest.param(
        CreatePrivateEndpointRule(
            gcp_endpoint=GcpEndpoint(service_attachment=ATTACHMENT, all_vpc_sc_services=True)
        ),
        "Exactly one of",
        id="two targets: the three are a oneof (PY-SET, TF-5973)",
    ),
    pytest.param(
        CreatePrivateEndpointRule(gcp_endpoint=GcpEndpoint(all_vpc_sc_services=False)),
        "Exactly one of",
        id="false counts as absent, so no target at all (TF-5973)",
    ),
    pytest.param(
        CreatePrivateEndpointRule(
            gcp_endpoint=GcpEndpoint(service_attachment=ATTACHMENT.replace("us-east4", "eu1"))
        ),
        "region eu1",
        id="a PSC endpoint and its service attachment share a region (GCP-PSC)",
    ),
    pytest.param(
        CreatePrivateEndpointRule(
            gcp_endpoint=GcpEndpoint(all_vpc_sc_services=True), domain_names=["a.example.com"]
        ),
        "only supported with a service attachment",
        id="domain names go with a customer service only",
    ),
    pytest.param(
        CreatePrivateEndpointRule(resource_id="/subscriptions/x", group_id="blob"),
        "not supported for GCP",
        id="an Azure target on a GCP NCC",
    ),
]


@pytest.mark.parametrize(("request_", "says"), CASES)
def test_gcp_refusals(
    emulator_factory: Any,
    account_client: AccountClientFactory,
    request_: CreatePrivateEndpointRule,
    says: str,
) -> None:
    _, api, ncc_id = _gcp(emulator_factory, account_client)
    with pytest.raises(InvalidParameterValue, match=says):
        api.create_private_endpoint_rule(ncc_id, request_)


def test_a_second_rule_for_the_same_attachment_is_a_duplicate(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    _, api, ncc_id = _gcp(emulator_factory, account_client)
    same = CreatePrivateEndpointRule(gcp_endpoint=GcpEndpoint(service_attachment=ATTACHMENT))
    api.create_private_endpoint_rule(ncc_id, same)
    with pytest.raises(ResourceAlreadyExists):
        api.create_private_endpoint_rule(ncc_id, same)
