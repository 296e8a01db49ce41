"""The official SDK drives private endpoint rule create/get/list/update/delete on the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from databricks.sdk.errors import BadRequest, InvalidState, ResourceAlreadyExists
from databricks.sdk.service.settings import (
    CreateNetworkConnectivityConfiguration,
    CreatePrivateEndpointRule,
    UpdatePrivateEndpointRule,
)
from databricks.sdk.service.settings import (
    NccPrivateEndpointRulePrivateLinkConnectionState as State,
)

from ncc_emulator.endpoints import (
    CREATE_NCC,
    CREATE_RULE,
    DELETE_NCC,
    DELETE_RULE,
    GET_NCC,
    GET_RULE,
    LIST_RULES,
    PATCH_RULE,
)

from .conftest import AUTH_TYPES, AccountClientFactory, auth_calls, must

pytestmark = pytest.mark.fidelity

PLS = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateLinkServices/p"


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_azure_rule_lifecycle(
    emulator_factory: Any, account_client: AccountClientFactory, auth_type: str
) -> None:
    run = emulator_factory(page_size=2)
    api = account_client(run, auth_type).network_connectivity
    ncc = api.create_network_connectivity_configuration(
        CreateNetworkConnectivityConfiguration(name="ncc-rules", region="eastus2")
    )
    ncc_id = must(ncc.network_connectivity_config_id)
    blob = api.create_private_endpoint_rule(
        ncc_id, CreatePrivateEndpointRule(resource_id="/subscriptions/s/st", group_id="blob")
    )
    pls = api.create_private_endpoint_rule(
        ncc_id, CreatePrivateEndpointRule(resource_id=PLS, domain_names=["a.example.com"])
    )
    dfs = api.create_private_endpoint_rule(
        ncc_id, CreatePrivateEndpointRule(resource_id="/subscriptions/s/st", group_id="dfs")
    )
    assert blob.connection_state == State.PENDING
    run.admin.approve(must(blob.rule_id))
    assert (
        api.get_private_endpoint_rule(ncc_id, must(blob.rule_id)).connection_state
        == State.ESTABLISHED
    )
    listed = list(api.list_private_endpoint_rules(ncc_id))
    assert [r.rule_id for r in listed] == [must(blob.rule_id), must(pls.rule_id), must(dfs.rule_id)]
    updated = api.update_private_endpoint_rule(
        ncc_id,
        must(pls.rule_id),
        UpdatePrivateEndpointRule(domain_names=["b.example.com"]),
        "domain_names",
    )
    assert updated.domain_names == ["b.example.com"]
    deleted = api.delete_private_endpoint_rule(ncc_id, must(blob.rule_id))
    assert deleted.deactivated is True
    mirrored = api.get_network_connectivity_configuration(ncc_id).egress_config
    assert mirrored is not None
    assert mirrored.target_rules is not None
    embedded = mirrored.target_rules.azure_private_endpoint_rules or []
    assert {r.rule_id: r.deactivated for r in embedded}[must(blob.rule_id)] is True
    assert run.admin.request_counts() == {
        **auth_calls(auth_type),
        CREATE_NCC.key: 1,
        CREATE_RULE.key: 3,
        GET_RULE.key: 1,
        LIST_RULES.key: 2,
        PATCH_RULE.key: 1,
        DELETE_RULE.key: 1,
        GET_NCC.key: 1,
    }


def test_aws_s3_rule_enable_after_established(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run = emulator_factory("aws", s3_vpce_delay_seconds=60)
    api = account_client(run, "oauth-m2m").network_connectivity
    ncc = api.create_network_connectivity_configuration(
        CreateNetworkConnectivityConfiguration(name="ncc-s3", region="us-east-1")
    )
    ncc_id = must(ncc.network_connectivity_config_id)
    rule = api.create_private_endpoint_rule(
        ncc_id,
        CreatePrivateEndpointRule(
            endpoint_service="com.amazonaws.us-east-1.s3", resource_names=["bucket-1"]
        ),
    )
    assert (rule.connection_state, rule.enabled, rule.vpc_endpoint_id) == (
        State.ESTABLISHED,
        False,
        None,
    )
    run.admin.advance_clock(60)
    assert api.get_private_endpoint_rule(ncc_id, must(rule.rule_id)).vpc_endpoint_id
    enabled = api.update_private_endpoint_rule(
        ncc_id, must(rule.rule_id), UpdatePrivateEndpointRule(enabled=True), "enabled"
    )
    assert enabled.enabled is True
    target = api.get_network_connectivity_configuration(ncc_id).egress_config
    assert target is not None
    assert target.target_rules is not None
    (aws_rule,) = target.target_rules.aws_private_endpoint_rules or []
    assert aws_rule.enabled is True
    counts = run.admin.request_counts()
    assert (counts[GET_RULE.key], counts[PATCH_RULE.key], counts[GET_NCC.key]) == (1, 1, 1)


@pytest.mark.parametrize(
    ("scenario", "error", "fragment"),
    [
        pytest.param(
            "azure_enabled", BadRequest, "No updates were attempted.", id="Terraform #5306 wording"
        ),
        pytest.param(
            "empty_mask", BadRequest, "Update mask must be specified", id="Terraform #5347 wording"
        ),
        pytest.param(
            "duplicate", ResourceAlreadyExists, "already exists", id="409 conflict on same target"
        ),
        pytest.param(
            "ncc_with_rules",
            InvalidState,
            "has one or more private endpoint rules",
            id="NCC delete refused",
        ),
    ],
)
def test_rule_errors_surface_in_sdk(
    emulator_factory: Any,
    account_client: AccountClientFactory,
    scenario: str,
    error: type[Exception],
    fragment: str,
) -> None:
    run = emulator_factory()
    api = account_client(run, "oauth-m2m").network_connectivity
    ncc_id = api.create_network_connectivity_configuration(
        CreateNetworkConnectivityConfiguration(name="ncc-err", region="eastus2")
    ).network_connectivity_config_id
    ncc_id = must(ncc_id)
    body = CreatePrivateEndpointRule(resource_id=PLS, domain_names=["a.example.com"])
    rule = api.create_private_endpoint_rule(ncc_id, body)
    actions: dict[str, Callable[[], object]] = {
        "azure_enabled": lambda: api.update_private_endpoint_rule(
            ncc_id, must(rule.rule_id), UpdatePrivateEndpointRule(enabled=True), "enabled"
        ),
        "empty_mask": lambda: api.update_private_endpoint_rule(
            ncc_id,
            must(rule.rule_id),
            UpdatePrivateEndpointRule(domain_names=["c.example.com"]),
            "",
        ),
        "duplicate": lambda: api.create_private_endpoint_rule(ncc_id, body),
        "ncc_with_rules": lambda: api.delete_network_connectivity_configuration(ncc_id),
    }
    failing_call = {
        "azure_enabled": PATCH_RULE.key,
        "empty_mask": PATCH_RULE.key,
        "duplicate": CREATE_RULE.key,
        "ncc_with_rules": DELETE_NCC.key,
    }[scenario]
    run.admin.reset_counts()
    with pytest.raises(error, match=fragment):
        actions[scenario]()
    assert run.admin.request_counts() == {failing_call: 1}  # a 4xx is never retried


def test_sdk_retries_throttled_create(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    """A 429 on create is re-sent by the SDK: exactly the duplicate-create risk the docs warn of."""
    run = emulator_factory()
    api = account_client(run, "oauth-m2m").network_connectivity
    # Seed 7 throttles the first attempt and lets the second through.
    run.admin.set_faults(rate_429=0.5, retry_after=0, seed=7)
    created = api.create_network_connectivity_configuration(
        CreateNetworkConnectivityConfiguration(name="ncc-retry", region="eastus2")
    )
    run.admin.clear_faults()
    assert created.name == "ncc-retry"
    counts = run.admin.request_counts()
    assert counts[CREATE_NCC.key] == 2
