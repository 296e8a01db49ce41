"""NCC delete: the refusal wording, its configurable status/code, and the consistency window.

Sources (docs/emulator.md): the refusal messages are Databricks staff's Terraform fixtures
(PR #5648, commit f5a519a24); the refusal after rules are deleted is a short propagation race
that Terraform retries for 15 minutes (#5292, PR #5648), not a block until the rules are purged.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ncc_emulator.settings import EmulatorConfig
from ncc_emulator.testing import RunningEmulator

from .conftest import AZURE_BLOB, NLB_RULE, Api, assert_error

NCCS = "/network-connectivity-configs"
RULES_MSG = "Network Connectivity Config {id} is unable to be deleted because it has one or more private endpoint rules."  # noqa: E501
ATTACHED_MSG = "Network Connectivity Config {id} is unable to be deleted because it is attached to one or more workspaces: {ids}"  # noqa: E501


def _attach(api: Api, workspace_id: int, ncc_id: str, region: str = "eastus2") -> None:
    api.run.admin.add_workspace(workspace_id, region)
    api.ok("PATCH", f"/workspaces/{workspace_id}", {"network_connectivity_config_id": ncc_id})


def _message(api: Api, ncc_id: str) -> str:
    response = api.call("DELETE", f"{NCCS}/{ncc_id}")
    assert response.status_code == 400, response.text
    return str(response.json()["message"])


def test_refusal_with_rules_has_the_databricks_wording(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    api.create_rule(ncc_id, **AZURE_BLOB)
    assert _message(api, ncc_id) == RULES_MSG.format(id=ncc_id)


def test_refusal_while_attached_lists_the_workspaces(api: Api) -> None:
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    _attach(api, 7, ncc_id)
    _attach(api, 3, ncc_id)
    assert _message(api, ncc_id) == ATTACHED_MSG.format(id=ncc_id, ids="3, 7")


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (400, "INVALID_STATE", "the default choice (not documented by Databricks)"),
        (409, "RESOURCE_CONFLICT", "another plausible answer a client must not depend on"),
        (412, "FAILED_PRECONDITION", "yet another one"),
    ],
)
def test_refusal_status_and_code_are_configurable(
    emulator_factory: Any, status: int, code: str, reason: str
) -> None:
    api = Api(
        emulator_factory(ncc_delete_refusal_status=status, ncc_delete_refusal_error_code=code)
    )
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    api.create_rule(ncc_id, **AZURE_BLOB)
    response = api.call("DELETE", f"{NCCS}/{ncc_id}")
    assert_error(response, status, code, "has one or more private endpoint rules.")


def _deactivate_only_rule(run: RunningEmulator, api: Api, rule: dict[str, Any]) -> str:
    ncc_id = api.create_ncc(region="us-east-1" if run.cloud == "aws" else "eastus2")[
        "network_connectivity_config_id"
    ]
    rule_id = api.create_rule(ncc_id, **rule)["rule_id"]
    run.admin.approve(rule_id)
    deleted = api.ok("DELETE", f"{api.rules_path(ncc_id)}/{rule_id}")
    assert deleted["deactivated"] is True
    return str(ncc_id)


@pytest.mark.parametrize(
    ("cloud", "rule"),
    [pytest.param("azure", AZURE_BLOB, id="azure"), pytest.param("aws", NLB_RULE, id="aws")],
)
def test_deactivated_rules_block_only_for_the_consistency_window(
    emulator_factory: Any, cloud: str, rule: dict[str, Any]
) -> None:
    """#5292 / PR #5648: refused for a short while after the last rule went, then allowed,
    although the deactivated rule is still listed (it is purged only after a day)."""
    run: RunningEmulator = emulator_factory(cloud, delete_consistency_seconds=60)
    api = Api(run)
    ncc_id = _deactivate_only_rule(run, api, rule)
    run.admin.advance_clock(59)
    assert_error(api.call("DELETE", f"{NCCS}/{ncc_id}"), 400, "INVALID_STATE", "private endpoint")
    run.admin.advance_clock(1)
    assert [r["deactivated"] for r in api.ok("GET", api.rules_path(ncc_id))["items"]] == [True]
    assert api.ok("DELETE", f"{NCCS}/{ncc_id}") == {}
    assert_error(api.call("GET", f"{NCCS}/{ncc_id}"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_default_window_is_realistic_but_fixtures_use_zero(emulator_factory: Any, api: Api) -> None:
    """The CLI/demo default models the race (60 s); the test fixtures start at 0."""
    assert EmulatorConfig().delete_consistency_seconds == 60
    ncc_id = _deactivate_only_rule(api.run, api, AZURE_BLOB)
    assert api.ok("DELETE", f"{NCCS}/{ncc_id}") == {}


def test_an_active_rule_blocks_regardless_of_the_window(emulator_factory: Any) -> None:
    run: RunningEmulator = emulator_factory(delete_consistency_seconds=60)
    api = Api(run)
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    api.create_rule(ncc_id, **AZURE_BLOB)
    run.admin.advance_clock(3600)
    assert _message(api, ncc_id) == RULES_MSG.format(id=ncc_id)


def test_retired_blocking_switch_is_refused(emulator: RunningEmulator) -> None:
    with pytest.raises(httpx.HTTPStatusError) as caught:
        emulator.admin.configure(deactivated_blocks_ncc_delete=True)
    assert caught.value.response.status_code == 400


@pytest.mark.parametrize(
    ("dependent", "fragment"),
    [
        pytest.param("rule", "private endpoint rules", id="rule deleted moments ago"),
        pytest.param("workspace", "attached to one or more", id="workspace moved moments ago"),
    ],
)
def test_delete_refusal_outlives_dependents_briefly(
    emulator_factory: Any, dependent: str, fragment: str
) -> None:
    run: RunningEmulator = emulator_factory(delete_consistency_seconds=30)
    api = Api(run)
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    if dependent == "rule":
        rule_id = api.create_rule(ncc_id, **AZURE_BLOB)["rule_id"]
        api.ok("DELETE", f"{api.rules_path(ncc_id)}/{rule_id}")  # PENDING: gone at once
    else:
        _attach(api, 3, ncc_id)
        other = api.create_ncc("other")["network_connectivity_config_id"]
        api.ok("PATCH", "/workspaces/3", {"network_connectivity_config_id": other})
    assert_error(api.call("DELETE", f"{NCCS}/{ncc_id}"), 400, "INVALID_STATE", fragment)
    run.admin.advance_clock(30)
    assert api.ok("DELETE", f"{NCCS}/{ncc_id}") == {}


def test_delete_after_purge_then_404(api: Api) -> None:
    ncc_id = _deactivate_only_rule(api.run, api, AZURE_BLOB)
    api.run.admin.advance_clock(86400)
    assert api.ok("DELETE", f"{NCCS}/{ncc_id}") == {}
    assert_error(api.call("GET", f"{NCCS}/{ncc_id}"), 404, "RESOURCE_DOES_NOT_EXIST")
