"""The official SDK observes the behaviours corrected from Databricks' own sources (see the
"Unconfirmed point → emulator choice" table of docs/emulator.md): endpoint ids empty while
CREATING, AWS deletes that always deactivate, the NCC delete refusal wording (whatever status it
comes with), cursor pages that skip nothing, workspace PATCH with ``*`` and multi-field masks,
and quota errors that name the quota.
"""

from __future__ import annotations

from typing import Any

import pytest
from databricks.sdk.errors import InvalidState, ResourceConflict
from databricks.sdk.errors.base import DatabricksError
from databricks.sdk.errors.platform import ResourceExhausted
from databricks.sdk.service.provisioning import Workspace, WorkspaceStatus
from databricks.sdk.service.settings import (
    CreateNetworkConnectivityConfiguration,
    CreatePrivateEndpointRule,
)
from databricks.sdk.service.settings import (
    NccPrivateEndpointRulePrivateLinkConnectionState as State,
)

from .conftest import AccountClientFactory, must

pytestmark = pytest.mark.fidelity

NLB = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"


def _ncc(name: str, region: str = "eastus2") -> CreateNetworkConnectivityConfiguration:
    return CreateNetworkConnectivityConfiguration(name=name, region=region)


def test_endpoint_name_empty_while_creating(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run = emulator_factory(creating_seconds=180)
    api = account_client(run, "oauth-m2m").network_connectivity
    ncc_id = must(
        api.create_network_connectivity_configuration(_ncc("ncc-c")).network_connectivity_config_id
    )
    rule = api.create_private_endpoint_rule(
        ncc_id, CreatePrivateEndpointRule(resource_id="/subscriptions/s/st", group_id="blob")
    )
    assert (rule.connection_state, rule.endpoint_name) == (State.CREATING, None)
    run.admin.advance_clock(120)
    assert api.get_private_endpoint_rule(ncc_id, must(rule.rule_id)).endpoint_name is None
    run.admin.advance_clock(60)
    pending = api.get_private_endpoint_rule(ncc_id, must(rule.rule_id))
    assert pending.connection_state == State.PENDING
    assert must(pending.endpoint_name).startswith(f"databricks-{ncc_id}-pe-")


def test_aws_delete_deactivates_a_pending_rule(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run = emulator_factory("aws")
    api = account_client(run, "oauth-m2m").network_connectivity
    ncc = api.create_network_connectivity_configuration(_ncc("ncc-aws", "us-east-1"))
    ncc_id = must(ncc.network_connectivity_config_id)
    rule = api.create_private_endpoint_rule(
        ncc_id, CreatePrivateEndpointRule(endpoint_service=NLB, domain_names=["db.example.com"])
    )
    assert rule.connection_state == State.PENDING
    deleted = api.delete_private_endpoint_rule(ncc_id, must(rule.rule_id))
    assert (deleted.deactivated, deleted.deactivated_at is not None) == (True, True)
    egress = api.get_network_connectivity_configuration(ncc_id).egress_config
    assert egress is not None
    assert egress.target_rules is not None
    (embedded,) = egress.target_rules.aws_private_endpoint_rules or []
    assert (embedded.rule_id, embedded.deactivated) == (rule.rule_id, True)


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "INVALID_STATE", InvalidState),
        (409, "RESOURCE_CONFLICT", ResourceConflict),
    ],
)
def test_ncc_delete_refusal_wording_under_any_status(
    emulator_factory: Any,
    account_client: AccountClientFactory,
    status: int,
    code: str,
    error: type[DatabricksError],
) -> None:
    run = emulator_factory(
        workspaces=[(42, "eastus2")],
        ncc_delete_refusal_status=status,
        ncc_delete_refusal_error_code=code,
    )
    client = account_client(run, "oauth-m2m")
    ncc_id = must(
        client.network_connectivity.create_network_connectivity_configuration(
            _ncc("ncc-d")
        ).network_connectivity_config_id
    )
    client.workspaces.update(42, Workspace(network_connectivity_config_id=ncc_id)).result()
    expected = (
        f"Network Connectivity Config {ncc_id} is unable to be deleted because it is attached "
        "to one or more workspaces: 42"
    )
    with pytest.raises(error) as caught:
        client.network_connectivity.delete_network_connectivity_configuration(ncc_id)
    assert str(caught.value) == expected
    assert caught.value.error_code == code


def test_sdk_list_skips_nothing_when_an_ncc_goes_mid_listing(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run = emulator_factory(page_size=2)
    api = account_client(run, "oauth-m2m").network_connectivity
    made = [
        must(
            api.create_network_connectivity_configuration(
                _ncc(f"n-{i}")
            ).network_connectivity_config_id
        )
        for i in range(5)
    ]
    listing = api.list_network_connectivity_configurations()
    first = next(listing)  # the SDK has fetched page 1 only
    api.delete_network_connectivity_configuration(must(first.network_connectivity_config_id))
    rest = [must(n.network_connectivity_config_id) for n in listing]
    assert [first.network_connectivity_config_id, *rest] == made


@pytest.mark.parametrize(
    ("mask", "reason"),
    [
        ("*", "full replacement (provisioning.py)"),
        ("network_connectivity_config_id,workspace_name", "multi-field mask (provisioning.py)"),
    ],
)
def test_workspace_update_masks(
    emulator_factory: Any, account_client: AccountClientFactory, mask: str, reason: str
) -> None:
    run = emulator_factory(workspaces=[(7, "eastus2")])
    client = account_client(run, "oauth-m2m")
    ncc_id = client.network_connectivity.create_network_connectivity_configuration(
        _ncc("ncc-ws")
    ).network_connectivity_config_id
    current = client.workspaces.get(7)
    current.network_connectivity_config_id = ncc_id
    current.workspace_name = "renamed"
    ws = client.workspaces.update(7, current, update_mask=mask).result()
    assert ws.workspace_status == WorkspaceStatus.RUNNING
    assert (ws.network_connectivity_config_id, ws.workspace_name) == (ncc_id, "renamed")


def test_quota_error_names_the_quota(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run = emulator_factory("aws", limits={"nccs_per_region": 1})
    api = account_client(run, "oauth-m2m").network_connectivity
    api.create_network_connectivity_configuration(_ncc("first", "us-east-1"))
    with pytest.raises(
        ResourceExhausted, match="at most 1 network connectivity configurations per region"
    ):
        api.create_network_connectivity_configuration(_ncc("second", "us-east-1"))
