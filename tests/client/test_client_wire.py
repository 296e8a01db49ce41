"""Every endpoint's bytes on the wire (verb, path, query, body) and response decoding."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ncc_operator.databricks import (
    CreatePrivateEndpointRule,
    DatabricksAccountClient,
    DatabricksError,
    GcpEndpoint,
    NetworkConnectivityConfiguration,
    UpdatePrivateEndpointRule,
)

from .fakes import ACCOUNT, TOKEN, Script, json_response, make_client

BASE = f"/api/2.0/accounts/{ACCOUNT}"
NCC = {"network_connectivity_config_id": "n1", "name": "prod", "region": "eastus2"}
RULE = {"rule_id": "r1", "network_connectivity_config_id": "n1", "connection_state": "CREATING"}
WS = {"workspace_id": 42, "network_connectivity_config_id": "n1"}

Call = Callable[[DatabricksAccountClient], Awaitable[Any]]


@pytest.mark.parametrize(
    ("call", "reply", "method", "path", "query", "body"),
    [
        pytest.param(
            lambda c: c.create_network_connectivity_configuration("prod", "eastus2"),
            NCC,
            "POST",
            f"{BASE}/network-connectivity-configs",
            "",
            {"name": "prod", "region": "eastus2"},
            id="ncc-create-unwrapped-body",
        ),
        pytest.param(
            lambda c: c.get_network_connectivity_configuration("n1"),
            NCC,
            "GET",
            f"{BASE}/network-connectivity-configs/n1",
            "",
            None,
            id="ncc-get",
        ),
        pytest.param(
            lambda c: c.update_network_connectivity_configuration(
                "n1", NetworkConnectivityConfiguration(name="new", region="x"), ["name"]
            ),
            NCC,
            "PATCH",
            f"{BASE}/network-connectivity-configs/n1",
            "update_mask=name",
            {"name": "new"},
            id="ncc-patch-only-masked-fields",
        ),
        pytest.param(
            lambda c: c.delete_network_connectivity_configuration("n1"),
            None,
            "DELETE",
            f"{BASE}/network-connectivity-configs/n1",
            "",
            None,
            id="ncc-delete-empty-response",
        ),
        pytest.param(
            lambda c: c.create_private_endpoint_rule(
                "n1", CreatePrivateEndpointRule(resource_id="/sa", group_id="blob")
            ),
            RULE,
            "POST",
            f"{BASE}/network-connectivity-configs/n1/private-endpoint-rules",
            "",
            {"resource_id": "/sa", "group_id": "blob"},
            id="rule-create",
        ),
        pytest.param(
            lambda c: c.get_private_endpoint_rule("n1", "r1"),
            RULE,
            "GET",
            f"{BASE}/network-connectivity-configs/n1/private-endpoint-rules/r1",
            "",
            None,
            id="rule-get",
        ),
        pytest.param(
            lambda c: c.update_private_endpoint_rule(
                "n1",
                "r1",
                UpdatePrivateEndpointRule(
                    resource_names=["b"], enabled=True, domain_names=["ignored"]
                ),
                "resource_names,enabled",
            ),
            RULE,
            "PATCH",
            f"{BASE}/network-connectivity-configs/n1/private-endpoint-rules/r1",
            "update_mask=resource_names%2Cenabled",
            {"resource_names": ["b"], "enabled": True},
            id="rule-patch-comma-mask",
        ),
        pytest.param(
            lambda c: c.update_private_endpoint_rule(
                "n1", "r1", UpdatePrivateEndpointRule(domain_names=[]), ["domain_names"]
            ),
            RULE,
            "PATCH",
            f"{BASE}/network-connectivity-configs/n1/private-endpoint-rules/r1",
            "update_mask=domain_names",
            {"domain_names": []},
            id="rule-patch-masked-empty-list-is-sent",
        ),
        pytest.param(
            lambda c: c.delete_private_endpoint_rule("n1", "r1"),
            {**RULE, "deactivated": True},
            "DELETE",
            f"{BASE}/network-connectivity-configs/n1/private-endpoint-rules/r1",
            "",
            None,
            id="rule-delete-returns-rule",
        ),
        pytest.param(
            lambda c: c.get_workspace(42),
            WS,
            "GET",
            f"{BASE}/workspaces/42",
            "",
            None,
            id="workspace-get",
        ),
        pytest.param(
            lambda c: c.update_workspace_network_connectivity_config(42, "n1"),
            WS,
            "PATCH",
            f"{BASE}/workspaces/42",
            "update_mask=network_connectivity_config_id",
            {"network_connectivity_config_id": "n1"},
            id="workspace-attach-ncc",
        ),
        pytest.param(
            lambda c: c.get_private_endpoint_rule("n/1", "r?1"),
            RULE,
            "GET",
            f"{BASE}/network-connectivity-configs/n%2F1/private-endpoint-rules/r%3F1",
            "",
            None,
            id="ids-are-url-quoted",
        ),
    ],
)
async def test_endpoint_wire_format(  # noqa: PLR0917 - one argument per table column
    call: Call, reply: Any, method: str, path: str, query: str, body: Any
) -> None:
    script = Script([json_response(200, reply)])
    async with make_client(script) as client:
        result = await call(client)
    [request] = script.requests
    assert (
        request.method,
        request.url.raw_path.decode().split("?")[0],
        request.url.query.decode(),
    ) == (method, path, query)
    assert script.bodies() == [body]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert ("Content-Type" in request.headers) is (body is not None)
    if reply is None:
        assert result is None
    else:
        assert (
            result.model_dump(exclude_none=True).items()
            >= {k: v for k, v in reply.items() if k != "connection_state"}.items()
        )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(
            lambda c: c.update_private_endpoint_rule("n", "r", UpdatePrivateEndpointRule(), ""),
            "at least one",
            id="empty-mask",
        ),
        pytest.param(
            lambda c: c.update_private_endpoint_rule("n", "r", UpdatePrivateEndpointRule(), []),
            "at least one",
            id="empty-mask-list",
        ),
        pytest.param(
            lambda c: c.update_private_endpoint_rule(
                "n", "r", UpdatePrivateEndpointRule(), ["domain_names"]
            ),
            "without a value",
            id="masked-field-unset-would-clear",
        ),
        pytest.param(
            lambda c: c.update_private_endpoint_rule(
                "n", "r", UpdatePrivateEndpointRule(domain_names=["d"]), ["resource_id"]
            ),
            "not updatable",
            id="immutable-field",
        ),
        pytest.param(
            lambda c: c.update_network_connectivity_configuration(
                "n", NetworkConnectivityConfiguration(region="x"), ["region"]
            ),
            "not updatable",
            id="ncc-region-immutable",
        ),
    ],
)
async def test_invalid_patches_are_refused_before_sending(call: Call, match: str) -> None:
    script = Script([json_response(200, {})])
    async with make_client(script) as client:
        with pytest.raises(ValueError, match=match):
            await call(client)
    assert script.requests == []


@pytest.mark.parametrize(
    ("cloud", "field"),
    [
        pytest.param("azure", "enabled", id="azure-rejects-enabled-server-side-so-never-sent"),
        pytest.param("azure", "resource_names", id="azure-has-no-s3-buckets"),
        pytest.param("aws", "gcp_endpoint", id="aws-has-no-gcp-endpoint"),
    ],
)
async def test_client_knowing_its_cloud_refuses_foreign_mask_fields(cloud: str, field: str) -> None:
    script = Script([json_response(200, {})])
    rule = UpdatePrivateEndpointRule(enabled=True, resource_names=["b"], gcp_endpoint=GcpEndpoint())
    async with make_client(script, cloud=cloud) as client:
        with pytest.raises(ValueError, match=f"not updatable here: {field}"):
            await client.update_private_endpoint_rule("n", "r", rule, [field])
    assert script.requests == []


async def test_lists_follow_every_page_until_the_token_is_empty() -> None:
    pages = [
        json_response(
            200, {"items": [{"rule_id": "a"}, {"rule_id": "b"}], "next_page_token": "t1"}
        ),
        json_response(200, {"items": [{"rule_id": "c"}], "next_page_token": "t2"}),
        json_response(200, {"next_page_token": ""}),  # items absent, token empty: the end
    ]
    script = Script(pages)
    async with make_client(script) as client:
        rules = await client.list_private_endpoint_rules("n1")
    assert [r.rule_id for r in rules] == ["a", "b", "c"]
    assert [r.url.query.decode() for r in script.requests] == ["", "page_token=t1", "page_token=t2"]


async def test_ncc_list_single_page() -> None:
    script = Script([json_response(200, {"items": [NCC]})])
    async with make_client(script) as client:
        nccs = await client.list_network_connectivity_configurations()
    assert [n.name for n in nccs] == ["prod"]


async def test_workspace_patch_without_workspace_id_is_an_error() -> None:
    # The SDK's waiter needs workspace_id from the PATCH response; so do we.
    script = Script([json_response(200, {"network_connectivity_config_id": "n1"})])
    async with make_client(script) as client:
        with pytest.raises(DatabricksError, match="no workspace_id"):
            await client.update_workspace_network_connectivity_config(42, "n1")


async def test_non_json_success_body_is_an_error() -> None:
    script = Script([json_response(200, None).__class__(200, content=b"<html>login</html>")])
    async with make_client(script) as client:
        with pytest.raises(DatabricksError, match="not JSON"):
            await client.get_workspace(1)


async def test_a_repeated_page_token_stops_instead_of_looping() -> None:
    page = json_response(200, {"items": [{"rule_id": "a"}], "next_page_token": "same"})
    script = Script([page])
    async with make_client(script) as client:
        with pytest.raises(DatabricksError, match="repeated a page token"):
            await client.list_private_endpoint_rules("n1")
    assert len(script.requests) == 2
