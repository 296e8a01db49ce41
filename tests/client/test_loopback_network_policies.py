"""The client's network-policy and workspace-binding calls against the real emulator: the wire
paths and verbs, and above all that a PUT built from a GET changes only
``egress.network_access`` — ingress settings made elsewhere (or filled in by the server,
terraform-provider-databricks #5884) survive it (docs/serverless-egress.md §1.1, §6)."""

from __future__ import annotations

from typing import Any

import pytest

from ncc_emulator import endpoints
from ncc_operator.databricks import (
    AccountNetworkPolicy,
    InvalidParameterValue,
    InvalidState,
    ResourceDoesNotExist,
)
from tests.emulator_fixtures import EmulatorFactory

from .loopback import connect

RESTRICTED = {
    "restriction_mode": "RESTRICTED_ACCESS",
    "allowed_internet_destinations": [
        {"destination": "pypi.org", "internet_destination_type": "DNS_NAME"}
    ],
    "policy_enforcement": {"enforcement_mode": "DRY_RUN"},
}
CONSOLE_INGRESS: dict[str, Any] = {
    "public_access": {"restriction_mode": "RESTRICTED_ACCESS", "allow_rules": []},
    "private_access": {"restriction_mode": "ALLOW_ALL_REGISTERED_ENDPOINTS"},
}


async def test_a_replace_built_from_a_get_keeps_what_the_operator_does_not_own(
    emulator_factory: EmulatorFactory,
) -> None:
    emu = emulator_factory("azure", page_size=1)
    async with await connect(emu) as client:
        # Someone set ingress in the console; an egress key this client has no model for too.
        made = await client.create_network_policy(
            AccountNetworkPolicy(
                network_policy_id="restricted",
                egress={"network_access": {"restriction_mode": "FULL_ACCESS"}, "future": 1},
                ingress=CONSOLE_INGRESS,
            )
        )
        assert made.network_access == {"restriction_mode": "FULL_ACCESS"}
        seen = await client.get_network_policy("restricted")
        replaced = await client.replace_network_policy(
            "restricted", seen.with_network_access(RESTRICTED)
        )
        assert replaced.network_access == RESTRICTED
        again = (await client.get_network_policy("restricted")).to_wire()
        assert again["ingress"] == CONSOLE_INGRESS, "ingress came back as it was"
        assert again["egress"]["future"] == 1, "an unknown egress key too"
        assert sorted(p.network_policy_id or "" for p in await client.list_network_policies()) == [
            "default-policy",
            "restricted",
        ]

        # The server's own ingress (TF #5884) on a policy sent without one survives a replace.
        await client.create_network_policy(
            AccountNetworkPolicy(
                network_policy_id="plain",
                egress={"network_access": {"restriction_mode": "FULL_ACCESS"}},
            )
        )
        plain = await client.get_network_policy("plain")
        await client.replace_network_policy("plain", plain.with_network_access(RESTRICTED))
        after = (await client.get_network_policy("plain")).to_wire()
        assert after["ingress"] == plain.to_wire()["ingress"]
    counts = emu.admin.request_counts()
    assert counts[endpoints.UPDATE_POLICY.key] == 2
    assert counts[endpoints.LIST_POLICIES.key] == 2, "two pages of one"


async def test_binding_and_unbinding_a_workspace(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory("azure", workspaces=[(1001, "eastus2")])
    async with await connect(emu) as client:
        policy = AccountNetworkPolicy(
            network_policy_id="restricted", egress={"network_access": RESTRICTED}
        )
        await client.create_network_policy(policy)
        before = await client.get_workspace_network_option(1001)
        assert before.network_policy_id == "default-policy"
        bound = await client.update_workspace_network_option(1001, "restricted")
        assert (bound.workspace_id, bound.network_policy_id) == (1001, "restricted")
        with pytest.raises(InvalidState):
            await client.delete_network_policy("restricted")
        await client.update_workspace_network_option(1001, "default-policy")
        await client.delete_network_policy("restricted")
        with pytest.raises(ResourceDoesNotExist):
            await client.get_network_policy("restricted")
        with pytest.raises(InvalidParameterValue):
            await client.delete_network_policy("default-policy")
