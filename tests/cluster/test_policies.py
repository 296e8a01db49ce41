"""Policies, annotations, references and accounts through a real apiserver.

Management policy and adoption, the paused annotation, cross-namespace rules governed by the NCC's
``allowedRuleNamespaces``, one writer per Databricks object, and DatabricksAccount credentials
(real exchange, rotation without restart, references that wait and recover, no secret leaks).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from ncc_emulator import endpoints
from tests.cluster.conftest import Env

NCCS = "networkconnectivityconfigs"
RULES = "privateendpointrules"
ACCOUNTS = "databricksaccounts"
WRITE_METHODS = ("POST", "PATCH", "DELETE")


def api_writes(env: Env) -> dict[str, int]:
    """Writes to the Account API (token requests are not writes to anything we manage)."""
    counts = env.emulator.admin.request_counts()
    return {k: v for k, v in counts.items() if k.split()[0] in WRITE_METHODS and " /api/" in k}


def synced(obj: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in obj["status"]["conditions"] if c["type"] == "Synced")


def ready_account(env: Env) -> None:
    env.account()
    env.wait_reason(ACCOUNTS, "main", "Available")


def create_ncc_at_databricks(env: Env, name: str, region: str = "eastus2") -> str:
    """An NCC made outside the operator (console, Terraform): plain HTTP with an M2M token."""
    emu = env.emulator
    with httpx.Client(base_url=emu.base_url, timeout=30) as http:
        token = http.post(
            f"/oidc/accounts/{emu.account_id}/v1/token",
            auth=(emu.client_id, emu.client_secret),
            data={"grant_type": "client_credentials", "scope": "all-apis"},
        )
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        base = f"/api/2.0/accounts/{emu.account_id}"
        made = http.post(
            f"{base}/network-connectivity-configs",
            json={"name": name, "region": region},
            headers=headers,
        )
        made.raise_for_status()
        ncc_id = str(made.json()["network_connectivity_config_id"])
        attach = http.patch(
            f"{base}/workspaces/1111",
            params={"update_mask": "network_connectivity_config_id"},
            json={"network_connectivity_config_id": ncc_id},
            headers=headers,
        )
        attach.raise_for_status()
    return ncc_id


# -- managementPolicy, externalId, one NCC per resource --------------------------------------


def test_observe_only_mirrors_an_adopted_ncc_and_never_writes(env: Env) -> None:
    """ObserveOnly + externalId: status mirrors the existing NCC; not one write, even on delete."""
    ncc_id = create_ncc_at_databricks(env, "legacy")
    ready_account(env)
    env.emulator.admin.reset_counts()
    env.ncc(
        "legacy",
        extra=f"  managementPolicy: ObserveOnly\n  externalId: {ncc_id}\n  workspaceIds: [2222]\n",
    )
    obj = env.wait_reason(NCCS, "legacy", "Available")
    assert obj["status"]["id"] == ncc_id
    assert obj["status"]["atProvider"]["attachedWorkspaceIds"] == [1111]
    assert obj["status"]["atProvider"]["region"] == "eastus2"
    assert synced(obj)["status"] == "True"
    env.idle(8)  # at least one resync
    assert api_writes(env) == {}
    env.kubectl("delete", NCCS, "legacy", "--wait=false")
    env.wait_gone(NCCS, "legacy", timeout=10)
    assert api_writes(env) == {}
    assert [n["network_connectivity_config_id"] for n in env.emulator.admin.state()["nccs"]] == [
        ncc_id
    ]


def test_manage_adopts_by_external_id_without_creating(env: Env) -> None:
    """Manage + externalId adopts the existing NCC (Adopted event, no create) and manages it."""
    ncc_id = create_ncc_at_databricks(env, "legacy")
    ready_account(env)
    env.emulator.admin.reset_counts()
    env.ncc("adopted", extra=f"  externalId: {ncc_id}\n  workspaceIds: [1111, 2222]\n")
    env.wait_for(
        NCCS,
        "adopted",
        lambda o: (
            o.get("status", {}).get("atProvider", {}).get("attachedWorkspaceIds") == [1111, 2222]
        ),
        what="2222 attached to the adopted NCC",
    )
    assert env.ncc_id("adopted") == ncc_id
    writes = api_writes(env)
    assert not any(k.startswith("POST") for k in writes), writes
    assert writes == {endpoints.PATCH_WORKSPACE.key: 1}
    assert len(env.emulator.admin.state()["nccs"]) == 1
    assert "Adopted" in env.event_reasons("adopted")


def test_two_resources_for_one_ncc_name_conflict(env: Env) -> None:
    """A second resource with the same Databricks name + region gets Conflict; one NCC exists."""
    ready_account(env)
    env.ncc("prod")
    env.wait_reason(NCCS, "prod", "Available")
    env.ncc("prod-copy", extra="  name: prod\n")
    obj = env.wait_reason(NCCS, "prod-copy", "Conflict", type_="Synced")
    assert f"{env.namespace}/prod" in synced(obj)["message"], synced(obj)["message"]
    assert not obj["status"].get("id")
    env.idle(3)
    assert [n["name"] for n in env.emulator.admin.state()["nccs"]] == ["prod"]
    assert env.condition(NCCS, "prod", "Synced")["status"] == "True"


# -- the paused annotation -------------------------------------------------------------------


def test_paused_annotation_holds_spec_changes_until_removed(env: Env) -> None:
    """paused: "true" → Synced=False ReconcilePaused; a workspaceIds change waits until unpaused."""
    ready_account(env)
    env.ncc("prod")
    env.wait_reason(NCCS, "prod", "Available")
    env.kubectl("annotate", NCCS, "prod", "ncc-operator.io/paused=true")
    obj = env.wait_reason(NCCS, "prod", "ReconcilePaused", type_="Synced")
    assert synced(obj)["status"] == "False"
    env.emulator.admin.reset_counts()
    env.kubectl("patch", NCCS, "prod", "--type=merge", "-p", '{"spec": {"workspaceIds": [1111]}}')
    env.idle(8)  # a resync and the change handler would both have attached it
    assert api_writes(env) == {}
    assert env.get(NCCS, "prod")["status"]["atProvider"]["attachedWorkspaceIds"] == []
    assert env.condition(NCCS, "prod", "Synced")["reason"] == "ReconcilePaused"
    env.kubectl("annotate", NCCS, "prod", "ncc-operator.io/paused-")
    env.wait_for(
        NCCS,
        "prod",
        lambda o: o.get("status", {}).get("atProvider", {}).get("attachedWorkspaceIds") == [1111],
        timeout=20,
        what="1111 attached after unpausing",
    )
    env.wait_reason(NCCS, "prod", "ReconcileSuccess", type_="Synced", timeout=10)


# -- cross-namespace rules -------------------------------------------------------------------


@pytest.fixture
def other_namespace(env: Env) -> str:
    """A second namespace, watched by the test's operator too."""
    return env.watched_namespace("x")


def wait_rule_reason(
    env: Env, namespace: str, name: str, reason: str, *, type_: str, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    obj: dict[str, Any] = {}
    while time.monotonic() < deadline:
        obj = env.get_in(namespace, RULES, name)
        for c in obj.get("status", {}).get("conditions", []):
            if c["type"] == type_ and c["reason"] == reason:
                return obj
        time.sleep(0.3)
    raise AssertionError(
        f"{namespace}/{name} never got {type_}={reason}: {obj.get('status')}\n"
        f"{env.operator.logs()[-3000:]}"
    )


def request_reconcile(env: Env, namespace: str, name: str) -> None:
    env.cluster.kubectl(
        "-n",
        namespace,
        "annotate",
        "--overwrite",
        RULES,
        name,
        f"ncc-operator.io/reconcile-requested-at={uuid.uuid4().hex}",
    )


def test_rule_from_another_namespace_refused_by_default(env: Env, other_namespace: str) -> None:
    """allowedRuleNamespaces defaults to Same: a rule elsewhere gets NamespaceNotAllowed and
    nothing is created at Databricks."""
    ready_account(env)
    env.ncc("prod")
    env.wait_reason(NCCS, "prod", "Available")
    env.azure_rule("foreign", namespace=other_namespace)
    obj = wait_rule_reason(env, other_namespace, "foreign", "NamespaceNotAllowed", type_="Synced")
    message = synced(obj)["message"]
    assert other_namespace in message, message
    assert "allowedRuleNamespaces" in message, message
    assert env.databricks_rules("prod") == []


def test_rule_from_another_namespace_allowed_with_all(env: Env, other_namespace: str) -> None:
    """allowedRuleNamespaces.from: All admits a rule from any namespace: it is created."""
    ready_account(env)
    env.ncc("prod", extra="  allowedRuleNamespaces: {from: All}\n")
    env.wait_reason(NCCS, "prod", "Available")
    env.azure_rule("foreign", namespace=other_namespace)
    obj = wait_rule_reason(env, other_namespace, "foreign", "AwaitingApproval", type_="Ready")
    assert [r["rule_id"] for r in env.databricks_rules("prod")] == [obj["status"]["id"]]


def test_rule_namespace_selector_admits_only_labelled(env: Env, other_namespace: str) -> None:
    """from: Selector admits a namespace only once it carries the labels; labelling it is enough
    (the namespace's watch event wakes its rules, no annotation needed)."""
    ready_account(env)
    env.ncc(
        "prod",
        extra="  allowedRuleNamespaces: {from: Selector, selector: {matchLabels: {team: data}}}\n",
    )
    env.wait_reason(NCCS, "prod", "Available")
    env.azure_rule("foreign", namespace=other_namespace)
    wait_rule_reason(env, other_namespace, "foreign", "NamespaceNotAllowed", type_="Synced")
    assert env.databricks_rules("prod") == []
    env.cluster.kubectl("label", "namespace", other_namespace, "team=data")
    # Well before NamespaceNotAllowed's own retry (120 s): the label change wakes the rule.
    obj = wait_rule_reason(env, other_namespace, "foreign", "AwaitingApproval", type_="Ready")
    assert [r["rule_id"] for r in env.databricks_rules("prod")] == [obj["status"]["id"]]


# -- one writer per Databricks rule ----------------------------------------------------------


def test_two_rules_for_one_target_conflict(env: Env) -> None:
    """Two PrivateEndpointRules for the same NCC + target: the later one conflicts; one rule."""
    ready_account(env)
    env.ncc("prod")
    env.wait_reason(NCCS, "prod", "Available")
    env.azure_rule("first", storage="shared")
    env.wait_reason(RULES, "first", "AwaitingApproval")
    env.azure_rule("second", storage="shared")
    obj = env.wait_reason(RULES, "second", "Conflict", type_="Synced")
    assert "first" in synced(obj)["message"], synced(obj)["message"]
    env.idle(3)
    rules = env.databricks_rules("prod")
    assert [r["rule_id"] for r in rules] == [env.rule_id("first")]
    assert env.condition(RULES, "first", "Synced")["status"] == "True"


# -- accounts and references -----------------------------------------------------------------


def test_wrong_secret_auth_failed_and_never_leaks(env: Env) -> None:
    """A wrong client secret → Ready=False AuthFailed; the secret is nowhere: not in the message,
    the status, any event, or the operator log."""
    secret = f"wrong-{uuid.uuid4().hex}"
    env.account(secret=secret)
    obj = env.wait_reason(ACCOUNTS, "main", "AuthFailed")
    ready = env.condition(ACCOUNTS, "main", "Ready")
    assert ready["status"] == "False"
    assert ready["message"], ready
    env.ncc("prod")
    env.wait_reason(NCCS, "prod", "ReferenceNotReady", type_="Synced")
    env.idle(3)  # a few more account resyncs and NCC retries
    assert secret not in json.dumps(obj)
    assert secret not in json.dumps(env.get(ACCOUNTS, "main"))
    assert secret not in json.dumps(env.get(NCCS, "prod"))
    assert secret not in json.dumps(env.events())
    logs = env.operator.logs()
    assert "main" in logs  # the log is not empty: the operator did talk about the account
    assert secret not in logs


def test_rotated_credentials_are_picked_up_without_restart(env: Env) -> None:
    """Fixing the Secret makes the account Ready=True, with the same operator process."""
    env.account(secret=f"wrong-{uuid.uuid4().hex}")
    env.wait_reason(ACCOUNTS, "main", "AuthFailed")
    assert env.operator.process is not None
    pid = env.operator.process.pid
    env.account()  # same account, the Secret now holds the right secret
    env.wait_reason(ACCOUNTS, "main", "Available", timeout=20)
    assert env.condition(ACCOUNTS, "main", "Ready")["status"] == "True"
    assert env.operator.process is not None
    assert env.operator.process.pid == pid
    assert env.operator.process.poll() is None


def test_references_wait_for_account_and_ncc_then_recover(env: Env) -> None:
    """An NCC and a rule applied before their account wait with ReferenceNotReady and recover by
    themselves once the account becomes Ready."""
    env.ncc("prod")
    env.azure_rule("blob")
    ncc = env.wait_reason(NCCS, "prod", "ReferenceNotReady", type_="Synced")
    assert "DatabricksAccount" in synced(ncc)["message"], synced(ncc)["message"]
    rule = env.wait_reason(RULES, "blob", "ReferenceNotReady", type_="Synced")
    assert "prod" in synced(rule)["message"], synced(rule)["message"]
    assert env.emulator.admin.state()["nccs"] == []
    env.account()
    env.wait_reason(NCCS, "prod", "Available", timeout=20)
    env.wait_reason(RULES, "blob", "AwaitingApproval", timeout=20)
    assert env.condition(NCCS, "prod", "Synced")["status"] == "True"
    assert env.condition(RULES, "blob", "Synced")["status"] == "True"
    assert len(env.databricks_rules("prod")) == 1
