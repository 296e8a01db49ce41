"""The official SDK drives account network policies and workspace bindings on the emulator
(``AccountClient.network_policies``, ``.workspace_network_configuration``, databricks-sdk 0.162):
every method parses the emulator's answers into the SDK's own classes, and the request counters
show the wire calls the SDK makes. Behaviour under test is from docs/serverless-egress.md §1 and §2.
"""

from __future__ import annotations

from typing import Any

import pytest
from databricks.sdk.errors import InvalidParameterValue, InvalidState, NotFound
from databricks.sdk.errors.platform import ResourceAlreadyExists
from databricks.sdk.service.settings import (
    AccountNetworkPolicy,
    EgressNetworkPolicyNetworkAccessPolicy,
    EgressNetworkPolicyNetworkAccessPolicyInternetDestination,
    EgressNetworkPolicyNetworkAccessPolicyInternetDestinationInternetDestinationType,
    EgressNetworkPolicyNetworkAccessPolicyPolicyEnforcement,
    EgressNetworkPolicyNetworkAccessPolicyPolicyEnforcementDryRunModeProductFilter,
    EgressNetworkPolicyNetworkAccessPolicyPolicyEnforcementEnforcementMode,
    EgressNetworkPolicyNetworkAccessPolicyRestrictionMode,
    EgressNetworkPolicyNetworkAccessPolicyStorageDestination,
    EgressNetworkPolicyNetworkAccessPolicyStorageDestinationStorageDestinationType,
    NetworkPolicyEgress,
    WorkspaceNetworkOption,
)

from ncc_emulator.endpoints import (
    CREATE_POLICY,
    DELETE_POLICY,
    GET_POLICY,
    GET_WORKSPACE_NETWORK,
    LIST_POLICIES,
    UPDATE_POLICY,
    UPDATE_WORKSPACE_NETWORK,
)

from .conftest import AccountClientFactory, must

pytestmark = pytest.mark.fidelity

Mode = EgressNetworkPolicyNetworkAccessPolicyRestrictionMode
Enforcement = EgressNetworkPolicyNetworkAccessPolicyPolicyEnforcementEnforcementMode
Product = EgressNetworkPolicyNetworkAccessPolicyPolicyEnforcementDryRunModeProductFilter


def restricted(policy_id: str, *hosts: str, dry_run: bool = True) -> AccountNetworkPolicy:
    enforcement = EgressNetworkPolicyNetworkAccessPolicyPolicyEnforcement(
        enforcement_mode=Enforcement.DRY_RUN if dry_run else Enforcement.ENFORCED,
        dry_run_mode_product_filter=[Product.DBSQL] if dry_run else None,
    )
    access = EgressNetworkPolicyNetworkAccessPolicy(
        restriction_mode=Mode.RESTRICTED_ACCESS,
        allowed_internet_destinations=[
            EgressNetworkPolicyNetworkAccessPolicyInternetDestination(
                destination=host,
                internet_destination_type=EgressNetworkPolicyNetworkAccessPolicyInternetDestinationInternetDestinationType.DNS_NAME,
            )
            for host in hosts
        ],
        allowed_storage_destinations=[
            EgressNetworkPolicyNetworkAccessPolicyStorageDestination(
                storage_destination_type=EgressNetworkPolicyNetworkAccessPolicyStorageDestinationStorageDestinationType.AZURE_STORAGE,
                azure_storage_account="lakeprod",
                azure_storage_service="dfs",
            )
        ],
        policy_enforcement=enforcement,
    )
    return AccountNetworkPolicy(
        network_policy_id=policy_id, egress=NetworkPolicyEgress(network_access=access)
    )


def test_policy_lifecycle_through_the_sdk(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run = emulator_factory(page_size=2)
    api = account_client(run, "oauth-m2m").network_policies
    made = api.create_network_policy_rpc(restricted("restricted", "pypi.org"))
    assert made.network_policy_id == "restricted"
    assert made.account_id == run.account_id
    access = must(must(made.egress).network_access)
    assert access.restriction_mode == Mode.RESTRICTED_ACCESS
    assert [must(d.destination) for d in must(access.allowed_internet_destinations)] == ["pypi.org"]
    assert must(access.policy_enforcement).enforcement_mode == Enforcement.DRY_RUN
    assert must(access.policy_enforcement).dry_run_mode_product_filter == [Product.DBSQL]
    # TF-5884: the server fills in ingress.private_access that nobody sent; its mode is a wire
    # value the SDK does not know, so the SDK parses it to None.
    assert must(must(made.ingress).private_access).restriction_mode is None
    assert api.get_network_policy_rpc("restricted") == made

    api.create_network_policy_rpc(restricted("second"))
    listed = [p.network_policy_id for p in api.list_network_policies_rpc()]
    assert listed == ["default-policy", "restricted", "second"], "paged by 2, creation order"

    # A full-replace PUT: what is not sent is gone (here the internet destinations).
    replaced = api.update_network_policy_rpc("restricted", restricted("restricted", dry_run=False))
    access = must(must(replaced.egress).network_access)
    assert access.allowed_internet_destinations == [], "the PUT sent none: pypi.org is gone"
    assert must(access.policy_enforcement).enforcement_mode == Enforcement.ENFORCED
    assert api.get_network_policy_rpc("restricted") == replaced

    api.delete_network_policy_rpc("second")
    with pytest.raises(NotFound):
        api.get_network_policy_rpc("second")
    counts = run.admin.request_counts()
    assert counts[CREATE_POLICY.key] == 2
    assert counts[LIST_POLICIES.key] == 2, "two pages"
    assert counts[UPDATE_POLICY.key] == 1
    assert counts[DELETE_POLICY.key] == 1
    assert counts[GET_POLICY.key] == 3


def test_every_workspace_starts_on_the_default_policy_and_can_go_back(
    emulator_factory: Any, account_client: AccountClientFactory
) -> None:
    run = emulator_factory(workspaces=[(1001, "eastus2"), (1002, "eastus2")])
    client = account_client(run, "oauth-m2m")
    bindings = client.workspace_network_configuration
    default = bindings.get_workspace_network_option_rpc(1001)
    assert default == WorkspaceNetworkOption(network_policy_id="default-policy", workspace_id=1001)
    client.network_policies.create_network_policy_rpc(restricted("restricted", "pypi.org"))

    bound = bindings.update_workspace_network_option_rpc(
        1001, WorkspaceNetworkOption(network_policy_id="restricted", workspace_id=1001)
    )
    assert bound == WorkspaceNetworkOption(network_policy_id="restricted", workspace_id=1001)
    assert bindings.get_workspace_network_option_rpc(1001) == bound
    assert bindings.get_workspace_network_option_rpc(1002).network_policy_id == "default-policy"

    # A bound policy is not deleted (unconfirmed; chosen, docs/emulator.md): unbind first,
    # which is a PUT of default-policy (there is no DELETE on /network).
    with pytest.raises(InvalidState, match="1001"):
        client.network_policies.delete_network_policy_rpc("restricted")
    bindings.update_workspace_network_option_rpc(
        1001, WorkspaceNetworkOption(network_policy_id="default-policy", workspace_id=1001)
    )
    client.network_policies.delete_network_policy_rpc("restricted")
    counts = run.admin.request_counts()
    assert counts[GET_WORKSPACE_NETWORK.key] == 3
    assert counts[UPDATE_WORKSPACE_NETWORK.key] == 2


@pytest.mark.parametrize(
    ("call", "error", "reason"),
    [
        (
            lambda c: c.network_policies.delete_network_policy_rpc("default-policy"),
            InvalidParameterValue,
            "PY-SET: delete 'Cannot be called on default-policy'",
        ),
        (
            lambda c: c.network_policies.create_network_policy_rpc(restricted("default-policy")),
            ResourceAlreadyExists,
            "every account has default-policy; ids are unique",
        ),
        (
            lambda c: c.network_policies.create_network_policy_rpc(restricted("x" * 33)),
            InvalidParameterValue,
            "API-NP: ids match ^[a-zA-Z0-9_.-]{1,32}$",
        ),
        (
            lambda c: c.network_policies.create_network_policy_rpc(
                AccountNetworkPolicy(
                    network_policy_id="no-mode",
                    egress=NetworkPolicyEgress(
                        network_access=EgressNetworkPolicyNetworkAccessPolicy(
                            restriction_mode=None  # type: ignore[arg-type]
                        )
                    ),
                )
            ),
            InvalidParameterValue,
            "PY-SET: restriction_mode is the one required field",
        ),
        (
            lambda c: c.network_policies.update_network_policy_rpc(
                "missing", restricted("missing")
            ),
            NotFound,
            "PUT replaces; it does not create",
        ),
        (
            lambda c: c.workspace_network_configuration.update_workspace_network_option_rpc(
                1001, WorkspaceNetworkOption(network_policy_id="missing", workspace_id=1001)
            ),
            NotFound,
            "a binding names an existing policy",
        ),
        (
            lambda c: c.workspace_network_configuration.get_workspace_network_option_rpc(9),
            NotFound,
            "a workspace the account does not have",
        ),
    ],
)
def test_refusals_parse_to_the_sdk_errors(
    emulator_factory: Any,
    account_client: AccountClientFactory,
    call: Any,
    error: type[Exception],
    reason: str,
) -> None:
    run = emulator_factory(workspaces=[(1001, "eastus2")])
    with pytest.raises(error):
        call(account_client(run, "oauth-m2m"))
