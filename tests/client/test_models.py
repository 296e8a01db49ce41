"""Wire models: tolerant reads (unknown fields and enum values), minimal writes (no None/empty)."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from ncc_operator.databricks import (
    CreatePrivateEndpointRule,
    NccAzurePrivateEndpointRuleConnectionState,
    NccEgressConfig,
    NccPrivateEndpointRule,
    NccPrivateEndpointRulePrivateLinkConnectionState,
    NetworkConnectivityConfiguration,
    UpdatePrivateEndpointRule,
    Workspace,
    WorkspaceStatus,
)

NCC_JSON: dict[str, Any] = {
    "network_connectivity_config_id": "ncc-1",
    "account_id": "acc",
    "name": "prod",
    "region": "eastus2",
    "creation_time": 1700000000000,
    "a_field_from_the_future": {"x": 1},
    "egress_config": {
        "default_rules": {
            "azure_service_endpoint_rule": {
                "subnets": ["/subscriptions/s/subnet"],
                "target_region": "eastus2",
                "target_services": ["AZURE_BLOB_STORAGE"],
            }
        },
        "target_rules": {
            "azure_private_endpoint_rules": [
                {
                    "rule_id": "r1",
                    "connection_state": "INIT",
                    "resource_id": "/sa",
                    "group_id": "blob",
                }
            ]
        },
    },
}


def test_ncc_parses_nested_egress_and_ignores_unknown_fields() -> None:
    ncc = NetworkConnectivityConfiguration.model_validate(NCC_JSON)
    assert ncc.egress_config is not None
    assert ncc.egress_config.target_rules is not None
    embedded = ncc.egress_config.target_rules.azure_private_endpoint_rules or []
    assert embedded[0].connection_state is NccAzurePrivateEndpointRuleConnectionState.INIT
    assert ncc.creation_time == 1700000000000
    assert "a_field_from_the_future" not in ncc.model_dump()


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        pytest.param(
            "ESTABLISHED",
            NccPrivateEndpointRulePrivateLinkConnectionState.ESTABLISHED,
            id="known-state-is-enum",
        ),
        pytest.param(
            "QUANTUM_ENTANGLED", "QUANTUM_ENTANGLED", id="new-server-state-kept-as-string"
        ),
    ],
)
def test_open_enums(state: str, expected: object) -> None:
    rule = NccPrivateEndpointRule.model_validate({"rule_id": "r", "connection_state": state})
    assert rule.connection_state == expected
    assert type(rule.connection_state) is type(expected)


def test_workspace_status_and_ncc_binding() -> None:
    ws = Workspace.model_validate(
        {
            "workspace_id": 7,
            "workspace_status": "RUNNING",
            "network_connectivity_config_id": "n",
            "pricing_tier": "PREMIUM",
        }
    )
    assert (ws.workspace_id, ws.workspace_status, ws.network_connectivity_config_id) == (
        7,
        WorkspaceStatus.RUNNING,
        "n",
    )


@pytest.mark.parametrize(
    ("model", "wire"),
    [
        pytest.param(
            CreatePrivateEndpointRule(resource_id="/sa", group_id="blob"),
            {"resource_id": "/sa", "group_id": "blob"},
            id="azure-create-omits-none",
        ),
        pytest.param(
            CreatePrivateEndpointRule(
                endpoint_service="com.amazonaws.us-east-1.s3", resource_names=["b"], domain_names=[]
            ),
            {"endpoint_service": "com.amazonaws.us-east-1.s3", "resource_names": ["b"]},
            id="empty-list-omitted",
        ),
        pytest.param(
            UpdatePrivateEndpointRule(enabled=False), {"enabled": False}, id="false-is-a-value"
        ),
        pytest.param(
            NetworkConnectivityConfiguration(name="n", egress_config=NccEgressConfig()),
            {"name": "n"},
            id="empty-object-omitted",
        ),
    ],
)
def test_requests_serialise_without_none_or_empty(model: Any, wire: dict[str, Any]) -> None:
    assert model.to_wire() == wire


def test_create_rule_has_no_enabled_field() -> None:
    # The create message has no ``enabled``: an S3 rule can only be enabled by PATCH later.
    assert "enabled" not in CreatePrivateEndpointRule.model_fields


def test_models_are_frozen() -> None:
    rule = NccPrivateEndpointRule(rule_id="r")
    with pytest.raises(pydantic.ValidationError):
        rule.rule_id = "other"  # type: ignore[misc]
