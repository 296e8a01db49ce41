"""The user story an installed operator must pass, and the values that make it fast here.

One story for every way the operator is run in this suite (host process with the chart's
ServiceAccount, cluster-wide or namespaced; from inside the image): an account verified, an NCC
created and attached to a workspace, a rule created, approved and deleted, and a rule from another
namespace admitted by the NCC's namespace selector once that namespace is labelled. Each step
needs a different part of the RBAC (watch, patch, /status, Secret get, Event create, namespaces).
"""

from __future__ import annotations

from typing import Any

from ncc_emulator import endpoints
from tests.cluster.conftest import AZURE_STORAGE, GROUP, VERSION, Env, free_port

ACCOUNTS, NCCS, RULES = "databricksaccounts", "networkconnectivityconfigs", "privateendpointrules"
DELETE_RULE = endpoints.DELETE_RULE.key
SELECTOR = {"team": "data"}
WORKSPACES = [(1111, "eastus2")]


def story_values(watch: list[str]) -> dict[str, Any]:
    """Chart values for the story: short intervals, the emulator on loopback, free ports."""
    return {
        "watchNamespaces": watch,
        "settings": {
            "resyncSeconds": 6,
            "fastSeconds": 1,
            "accountResyncSeconds": 2,
            # The emulator is plain HTTP on loopback: allowed only because these values say so.
            "allowedHosts": ["127.0.0.1"],
            "allowHttp": True,
        },
        # Other suites run operators on this machine at the same time: no fixed ports.
        "metrics": {"port": free_port()},
        "probes": {"port": free_port()},
    }


def apply_rule(env: Env, namespace: str, name: str) -> None:
    resource_id = AZURE_STORAGE.format(name=name.replace("-", ""))
    env.cluster.kubectl(
        "-n",
        namespace,
        "apply",
        "-f",
        "-",
        input=f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: {name}}}
spec:
  nccRef: {{name: prod, namespace: {env.namespace}}}
  azure: {{resourceId: "{resource_id}", groupId: blob}}
""",
    )


def reason_in(env: Env, namespace: str, name: str, type_: str, reason: str) -> None:
    """Wait for a condition on a rule in any namespace (Env's helpers use its own namespace)."""
    other = Env(env.cluster, namespace, env.emulator, env.operator)
    other.wait_reason(RULES, name, reason, type_=type_)


def run_story(env: Env, foreign_namespace: str) -> None:
    env.cluster.kubectl("label", "namespace", env.namespace, "team=data")
    env.account()
    env.wait_reason(ACCOUNTS, "main", "Available")

    env.ncc(
        "prod",
        extra="  workspaceIds: [1111]\n"
        "  allowedRuleNamespaces: {from: Selector, selector: {matchLabels: {team: data}}}\n",
    )
    attached = env.wait_for(
        NCCS,
        "prod",
        lambda o: o.get("status", {}).get("atProvider", {}).get("attachedWorkspaceIds") == [1111],
        what="workspace 1111 attached",
    )
    assert attached["metadata"].get("finalizers"), "the operator put no finalizer on the NCC"

    env.azure_rule("blob")
    env.wait_reason(RULES, "blob", "AwaitingApproval")
    env.emulator.admin.approve(env.rule_id("blob"))
    env.wait_reason(RULES, "blob", "Established")
    assert "Established" in env.event_reasons("blob"), env.event_reasons("blob")

    # Namespace selector: refused until the namespace carries the label, admitted once it does.
    apply_rule(env, foreign_namespace, "foreign")
    reason_in(env, foreign_namespace, "foreign", "Synced", "NamespaceNotAllowed")
    env.cluster.kubectl("label", "namespace", foreign_namespace, "team=data")
    reason_in(env, foreign_namespace, "foreign", "Ready", "AwaitingApproval")

    env.kubectl("delete", RULES, "blob", "--wait=false")
    env.wait_gone(RULES, "blob")
    assert env.emulator.admin.request_counts().get(DELETE_RULE, 0) == 1
