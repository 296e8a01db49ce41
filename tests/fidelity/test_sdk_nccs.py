"""The official SDK drives NCC create/get/list/delete and workspace attachment on the emulator,
under every supported auth type; the emulator's request counters prove the wire calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from databricks.sdk.common.types.fieldmask import FieldMask
from databricks.sdk.errors import InvalidParameterValue, InvalidState, NotFound
from databricks.sdk.errors.platform import ResourceDoesNotExist, ResourceExhausted
from databricks.sdk.service.provisioning import Workspace, WorkspaceStatus
from databricks.sdk.service.settings import (
    CreateNetworkConnectivityConfiguration,
    NetworkConnectivityConfiguration,
)

from ncc_emulator.endpoints import (
    CREATE_NCC,
    DELETE_NCC,
    GET_NCC,
    GET_WORKSPACE,
    LIST_NCCS,
    LIST_WORKSPACES,
    PATCH_NCC,
    PATCH_WORKSPACE,
)

from .conftest import AUTH_TYPES, AccountClientFactory, auth_calls, must

pytestmark = pytest.mark.fidelity


def _create(name: str, region: str = "eastus2") -> CreateNetworkConnectivityConfiguration:
    return CreateNetworkConnectivityConfiguration(name=name, region=region)


@pytest.mark.parametrize("auth_type", [*AUTH_TYPES, "azure-client-secret"])
def test_ncc_lifecycle(
    emulator_factory: Any, account_client: AccountClientFactory, auth_type: str
) -> None:
    run = emulator_factory(page_size=2)
    client = account_client(run, auth_type)
    ncc_api = client.network_connectivity
    made = [
        ncc_api.create_network_connectivity_configuration(_create(f"ncc-{i}")) for i in range(3)
    ]
    assert made[0].account_id == run.account_id
    assert made[0].egress_config is not None
    rules = made[0].egress_config.default_rules
    assert rules is not None
    assert rules.azure_service_endpoint_rule is not None
    got = ncc_api.get_network_connectivity_configuration(
        must(made[0].network_connectivity_config_id)
    )
    assert got == made[0]
    listed = list(ncc_api.list_network_connectivity_configurations())
    assert [n.name for n in listed] == ["ncc-0", "ncc-1", "ncc-2"]
    ncc_api.delete_network_connectivity_configuration(must(made[2].network_connectivity_config_id))
    with pytest.raises(ResourceDoesNotExist):
        ncc_api.get_network_connectivity_configuration(must(made[2].network_connectivity_config_id))
    assert run.admin.request_counts() == {
        **auth_calls(auth_type),
        CREATE_NCC.key: 3,
        GET_NCC.key: 2,
        LIST_NCCS.key: 2,  # page size 2, three NCCs: the SDK follows next_page_token once
        DELETE_NCC.key: 1,
    }


@pytest.mark.parametrize("auth_type", AUTH_TYPES)
def test_workspace_update_and_waiter(
    emulator_factory: Any, account_client: AccountClientFactory, auth_type: str
) -> None:
    run = emulator_factory(workspaces=[(1001, "eastus2")])
    client = account_client(run, auth_type)
    ncc = client.network_connectivity.create_network_connectivity_configuration(_create("ncc-ws"))
    waiter = client.workspaces.update(
        1001,
        Workspace(network_connectivity_config_id=ncc.network_connectivity_config_id),
        update_mask="network_connectivity_config_id",
    )
    ws = waiter.result()
    assert ws.workspace_status == WorkspaceStatus.RUNNING
    assert ws.network_connectivity_config_id == ncc.network_connectivity_config_id
    assert [w.workspace_id for w in client.workspaces.list()] == [1001]
    counts = run.admin.request_counts()
    assert counts[PATCH_WORKSPACE.key] == 1
    assert counts[GET_WORKSPACE.key] == 1  # the waiter's poll
    assert counts[LIST_WORKSPACES.key] == 1


def test_waiter_polls_through_provisioning(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run = emulator_factory(workspaces=[(1, "eastus2")], workspace_provisioning_seconds=0.5)
    client = account_client(run, "oauth-m2m")
    ncc = client.network_connectivity.create_network_connectivity_configuration(_create("ncc-p"))
    patch = Workspace(network_connectivity_config_id=ncc.network_connectivity_config_id)
    ws = client.workspaces.update(1, patch, update_mask="network_connectivity_config_id").result()
    assert ws.workspace_status == WorkspaceStatus.RUNNING
    assert run.admin.request_counts()[GET_WORKSPACE.key] >= 2


@pytest.mark.parametrize(
    ("act", "error", "reason"),
    [
        ("bad_name", InvalidParameterValue, "400 INVALID_PARAMETER_VALUE → its class"),
        ("unknown", NotFound, "404 RESOURCE_DOES_NOT_EXIST → a NotFound subclass"),
        ("quota", ResourceExhausted, "400 RESOURCE_EXHAUSTED, raised without retrying"),
        ("attached_delete", InvalidState, "delete refused while attached"),
        ("region_mismatch", InvalidParameterValue, "workspace in another region"),
    ],
)
def test_errors_map_to_sdk_classes(
    emulator_factory: Any,
    account_client: AccountClientFactory,
    act: str,
    error: type[Exception],
    reason: str,
) -> None:
    run = emulator_factory(workspaces=[(1, "westus")], limits={"nccs_per_region": 1})
    client = account_client(run, "oauth-m2m")
    nccs, workspaces = client.network_connectivity, client.workspaces
    first = nccs.create_network_connectivity_configuration(_create("first", "westus"))
    ncc_id = must(first.network_connectivity_config_id)
    east_id = nccs.create_network_connectivity_configuration(
        _create("east")
    ).network_connectivity_config_id

    def delete_attached() -> None:
        workspaces.update(1, Workspace(network_connectivity_config_id=ncc_id)).result()
        nccs.delete_network_connectivity_configuration(ncc_id)

    actions: dict[str, Callable[[], object]] = {
        "bad_name": lambda: nccs.create_network_connectivity_configuration(_create("x")),
        "unknown": lambda: nccs.get_network_connectivity_configuration("does-not-exist"),
        "quota": lambda: nccs.create_network_connectivity_configuration(
            _create("west-2", "westus")
        ),
        "attached_delete": delete_attached,
        "region_mismatch": lambda: workspaces.update(
            1,
            Workspace(network_connectivity_config_id=east_id),
            update_mask="network_connectivity_config_id",
        ),
    }
    with pytest.raises(error):
        actions[act]()
    if act == "quota":
        assert run.admin.request_counts()[CREATE_NCC.key] == 3  # the 400 was not retried


def test_ncc_update_with_field_mask(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run = emulator_factory(workspaces=[(5, "eastus2")])
    client = account_client(run, "oauth-m2m")
    ncc = client.network_connectivity.create_network_connectivity_configuration(_create("old"))
    ncc_id = must(ncc.network_connectivity_config_id)
    patch = Workspace(network_connectivity_config_id=ncc_id)
    client.workspaces.update(5, patch, update_mask="network_connectivity_config_id").result()
    updated = client.network_connectivity.update_network_connectivity_config(
        ncc_id,
        NetworkConnectivityConfiguration(name="new-name", billing_workspace_id=5),
        FieldMask(["name", "billing_workspace_id"]),  # type: ignore[no-untyped-call]
    )
    assert (updated.name, updated.billing_workspace_id) == ("new-name", 5)
    assert run.admin.request_counts()[PATCH_NCC.key] == 1
