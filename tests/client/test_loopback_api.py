"""Every endpoint and every error path against the real emulator over loopback (oauth-m2m)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from ncc_emulator import endpoints
from ncc_emulator.testing import RunningEmulator
from ncc_operator.databricks import (
    Cloud,
    CreatePrivateEndpointRule,
    DatabricksAccountClient,
    DatabricksError,
    InvalidParameterValue,
    InvalidState,
    NetworkConnectivityConfiguration,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
    ResourceExhausted,
    UpdatePrivateEndpointRule,
    rule_update_mask,
)
from ncc_operator.databricks import (
    NccPrivateEndpointRulePrivateLinkConnectionState as State,
)
from tests.emulator_fixtures import EmulatorFactory

from .loopback import PLS, connect, storage_rule

REGION = "eastus2"


async def test_ncc_lifecycle(emulator: RunningEmulator) -> None:
    async with await connect(emulator) as client:
        created = await client.create_network_connectivity_configuration("prod-ncc", REGION)
        ncc_id = created.network_connectivity_config_id
        assert ncc_id
        assert created.account_id == emulator.account_id
        got = await client.get_network_connectivity_configuration(ncc_id)
        assert (got.name, got.region) == ("prod-ncc", REGION)
        assert got.egress_config is not None
        assert got.egress_config.default_rules is not None
        assert [
            n.network_connectivity_config_id
            for n in await client.list_network_connectivity_configurations()
        ] == [ncc_id]
        renamed = await client.update_network_connectivity_configuration(
            ncc_id, NetworkConnectivityConfiguration(name="prod-ncc-2"), ["name"]
        )
        assert renamed.name == "prod-ncc-2"
        await client.delete_network_connectivity_configuration(ncc_id)
        with pytest.raises(ResourceDoesNotExist) as caught:
            await client.get_network_connectivity_configuration(ncc_id)
    assert caught.value.status_code == 404
    assert caught.value.request_id


async def test_azure_rule_lifecycle(emulator: RunningEmulator) -> None:
    async with await connect(emulator) as client:
        ncc = await client.create_network_connectivity_configuration("rules-ncc", REGION)
        ncc_id = ncc.network_connectivity_config_id or ""
        pls = await client.create_private_endpoint_rule(
            ncc_id, CreatePrivateEndpointRule(resource_id=PLS, domain_names=["a.corp.test"])
        )
        rule_id = pls.rule_id or ""
        assert (await client.get_private_endpoint_rule(ncc_id, rule_id)).resource_id == PLS
        desired = UpdatePrivateEndpointRule(
            domain_names=["a.corp.test", "b.corp.test"], enabled=True
        )
        observed = await client.get_private_endpoint_rule(ncc_id, rule_id)
        mask = rule_update_mask(desired, observed, Cloud.AZURE)
        assert mask == ("domain_names",)  # never "enabled" on Azure
        patched = await client.update_private_endpoint_rule(ncc_id, rule_id, desired, mask)
        assert sorted(patched.domain_names or []) == ["a.corp.test", "b.corp.test"]
        # The NCC mirrors its rules in egress_config.target_rules (one read for all rules).
        seen = await client.get_network_connectivity_configuration(ncc_id)
        embedded = seen.egress_config.target_rules.azure_private_endpoint_rules  # type: ignore[union-attr]
        assert [r.rule_id for r in embedded or []] == [rule_id]
        emulator.admin.approve(rule_id)
        deleted = await client.delete_private_endpoint_rule(ncc_id, rule_id)
        assert deleted.rule_id == rule_id
        assert deleted.deactivated is True


async def test_deleting_a_pending_rule_removes_it_at_once(emulator: RunningEmulator) -> None:
    async with await connect(emulator) as client:
        ncc = await client.create_network_connectivity_configuration("pending-ncc", REGION)
        ncc_id = ncc.network_connectivity_config_id or ""
        rule = await client.create_private_endpoint_rule(ncc_id, storage_rule())
        pending = await client.get_private_endpoint_rule(ncc_id, rule.rule_id or "")
        assert pending.connection_state is State.PENDING
        deleted = await client.delete_private_endpoint_rule(ncc_id, rule.rule_id or "")
        assert deleted.rule_id == rule.rule_id
        with pytest.raises(ResourceDoesNotExist):
            await client.get_private_endpoint_rule(ncc_id, rule.rule_id or "")


async def test_aws_s3_rule_enabled_by_patch(aws_emulator: RunningEmulator) -> None:
    async with await connect(aws_emulator) as client:
        ncc = await client.create_network_connectivity_configuration("s3-ncc", "us-east-1")
        ncc_id = ncc.network_connectivity_config_id or ""
        rule = await client.create_private_endpoint_rule(
            ncc_id,
            CreatePrivateEndpointRule(
                endpoint_service="com.amazonaws.us-east-1.s3", resource_names=["bucket-a"]
            ),
        )
        aws_emulator.admin.advance_clock(60)
        observed = await client.get_private_endpoint_rule(ncc_id, rule.rule_id or "")
        assert observed.connection_state is State.ESTABLISHED
        desired = UpdatePrivateEndpointRule(resource_names=["bucket-a", "bucket-b"], enabled=True)
        mask = rule_update_mask(desired, observed, Cloud.AWS)
        assert mask == ("resource_names", "enabled")
        patched = await client.update_private_endpoint_rule(
            ncc_id, observed.rule_id or "", desired, mask
        )
        assert patched.enabled is True
        assert sorted(patched.resource_names or []) == [
            "bucket-a",
            "bucket-b",
        ]


async def test_workspace_attach_and_delete_blocked(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory("azure", workspaces=[(1001, REGION)])
    async with await connect(emu) as client:
        ncc = await client.create_network_connectivity_configuration("ws-ncc", REGION)
        ncc_id = ncc.network_connectivity_config_id or ""
        attached = await client.update_workspace_network_connectivity_config(1001, ncc_id)
        assert attached.workspace_id == 1001
        assert (await client.get_workspace(1001)).network_connectivity_config_id == ncc_id
        with pytest.raises(InvalidState) as caught:
            await client.delete_network_connectivity_configuration(ncc_id)
    assert caught.value.status_code == 400


MISSING = "00000000-0000-0000-0000-000000000000"
Act = Callable[[DatabricksAccountClient, str], Awaitable[object]]


async def _rule_twice(client: DatabricksAccountClient, ncc_id: str) -> object:
    await client.create_private_endpoint_rule(ncc_id, storage_rule())
    return await client.create_private_endpoint_rule(ncc_id, storage_rule())


async def _delete_with_rules(client: DatabricksAccountClient, ncc_id: str) -> None:
    await client.create_private_endpoint_rule(ncc_id, storage_rule())
    await client.delete_network_connectivity_configuration(ncc_id)


@pytest.mark.parametrize(
    ("act", "error", "status"),
    [
        pytest.param(
            lambda c, n: c.get_network_connectivity_configuration(MISSING),
            ResourceDoesNotExist, 404, id="404-unknown-ncc",
        ),
        pytest.param(
            lambda c, n: c.get_private_endpoint_rule(n, MISSING),
            ResourceDoesNotExist, 404, id="404-unknown-rule",
        ),
        pytest.param(
            lambda c, n: c.create_network_connectivity_configuration("no spaces!", "westus"),
            InvalidParameterValue, 400, id="400-invalid-ncc-name",
        ),
        pytest.param(_rule_twice, ResourceAlreadyExists, 409, id="409-duplicate-rule"),
        pytest.param(_delete_with_rules, InvalidState, 400, id="400-delete-blocked-by-rules"),
        pytest.param(
            lambda c, n: c.create_network_connectivity_configuration("second-ncc", REGION),
            ResourceExhausted, 400, id="400-quota-of-one-ncc-per-region",
        ),
    ],
)  # fmt: skip
async def test_error_paths(
    emulator_factory: EmulatorFactory, act: Act, error: type[DatabricksError], status: int
) -> None:
    emu = emulator_factory("azure", limits={"nccs_per_region": 1})
    async with await connect(emu) as client:
        ncc = await client.create_network_connectivity_configuration("err-ncc", REGION)
        with pytest.raises(error) as caught:
            await act(client, ncc.network_connectivity_config_id or "")
    assert caught.value.status_code == status


async def test_server_refuses_a_patch_without_mask_too(emulator: RunningEmulator) -> None:
    # We never send one; prove the emulator agrees it is invalid, through the raw transport.
    async with await connect(emulator) as client:
        ncc = await client.create_network_connectivity_configuration("mask-ncc", REGION)
        rule = await client.create_private_endpoint_rule(
            ncc.network_connectivity_config_id or "", storage_rule()
        )
        template = endpoints.PATCH_RULE.template
        params = {
            "account_id": emulator.account_id,
            "network_connectivity_config_id": ncc.network_connectivity_config_id or "",
            "private_endpoint_rule_id": rule.rule_id or "",
        }
        with pytest.raises(InvalidParameterValue, match="Update mask must be specified"):
            await client._transport.request("PATCH", template, params, body={"domain_names": ["x"]})


async def test_pagination_across_many_items(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory("azure", page_size=2)
    async with await connect(emu) as client:
        created = [
            await client.create_network_connectivity_configuration(f"page-ncc-{i}", REGION)
            for i in range(7)
        ]
        first = created[0].network_connectivity_config_id or ""
        rules = [
            await client.create_private_endpoint_rule(first, storage_rule(i)) for i in range(5)
        ]
        emu.admin.reset_counts()
        nccs = await client.list_network_connectivity_configurations()
        listed_rules = await client.list_private_endpoint_rules(first)
    assert [n.network_connectivity_config_id for n in nccs] == [
        n.network_connectivity_config_id for n in created
    ]
    assert {r.rule_id for r in listed_rules} == {r.rule_id for r in rules}
    assert len(listed_rules) == 5
    counts = emu.admin.request_counts()
    assert (counts[endpoints.LIST_NCCS.key], counts[endpoints.LIST_RULES.key]) == (
        4,
        3,
    )  # ceil(7/2) and ceil(5/2) pages
