"""Kopf wiring seen from kubectl: large user metadata, NCC policy changes, account finalizers.

- A 150 KB user annotation must not make an object unmanageable: Kopf's diff base (what it
  compares the next event with) is stored compactly, so every patch the operator sends stays
  small, a spec edit and the operator's own annotations are still acted on, and deletion
  completes.
- Changing an NCC's ``allowedRuleNamespaces`` wakes the rules it refused at once (their own
  retry is minutes away).
- DatabricksAccounts carry no finalizer: deleting one never needs the operator to be running.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ncc_emulator import endpoints
from tests.cluster.conftest import AZURE_PLS, GROUP, VERSION, Env
from tests.cluster.rules_support import (
    NCC_KIND,
    RULE_KIND,
    active_rules,
    ready_ncc,
    wait_until,
)

ACCOUNTS = "databricksaccounts"
BIG = "x" * 150_000
DIFF_BASE = "state.ncc-operator.io/last-handled-configuration"


def reason_of(obj: dict[str, Any], type_: str) -> str:
    for c in obj.get("status", {}).get("conditions", []):
        if c.get("type") == type_:
            return str(c.get("reason", ""))
    return ""


def big_rule_manifest(domains: list[str]) -> str:
    manifest = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "PrivateEndpointRule",
        "metadata": {"name": "big", "annotations": {"example.com/notes": BIG}},
        "spec": {
            "nccRef": {"name": "prod"},
            "azure": {"resourceId": AZURE_PLS.format(name="big"), "domainNames": domains},
        },
    }
    return json.dumps(manifest)


def test_a_150kb_user_annotation_neither_blocks_changes_nor_deletion(env: Env) -> None:
    ready_ncc(env)
    # `kubectl create`, not apply: apply would copy the annotation into its own
    # last-applied-configuration and the apiserver would refuse the object itself.
    env.kubectl("create", "-f", "-", input=big_rule_manifest(["a.internal.example.com"]))
    env.wait_reason(RULE_KIND, "big", "AwaitingApproval", timeout=60)
    rule_id = env.rule_id("big")
    # Kopf stored its diff base (the patch carrying it was accepted), and it is small.
    obj = env.wait_for(
        RULE_KIND,
        "big",
        lambda o: DIFF_BASE in o.get("metadata", {}).get("annotations", {}),
        timeout=20,
        what="diff base stored",
    )
    stored = obj["metadata"]["annotations"][DIFF_BASE]
    assert len(stored) < 4096, f"diff base holds user data: {len(stored)} bytes"

    # A spec edit is acted on (Kopf still sees spec changes with the compact diff base).
    env.kubectl(
        "patch",
        RULE_KIND,
        "big",
        "--type=merge",
        "-p",
        json.dumps({"spec": {"azure": {"domainNames": ["b.internal.example.com"]}}}),
    )

    def patched() -> bool:
        at = [r for r in active_rules(env) if r["rule_id"] == rule_id]
        return bool(at) and at[0].get("domain_names") == ["b.internal.example.com"]

    wait_until(patched, "domain_names updated at Databricks")

    # The operator's own annotations are still seen (paused, then resumed).
    env.kubectl("annotate", RULE_KIND, "big", "ncc-operator.io/paused=true")
    env.wait_reason(RULE_KIND, "big", "ReconcilePaused", type_="Synced", timeout=20)
    env.kubectl("annotate", RULE_KIND, "big", "ncc-operator.io/paused-")
    env.wait_for(
        RULE_KIND,
        "big",
        lambda o: reason_of(o, "Synced") not in ("", "ReconcilePaused"),
        timeout=20,
        what="resumed",
    )

    env.kubectl("delete", RULE_KIND, "big", "--timeout=60s")
    assert env.get(RULE_KIND, "big") == {}
    wait_until(lambda: active_rules(env) == [], "rule deleted at Databricks")


# -- allowedRuleNamespaces changes -------------------------------------------------------------


@pytest.fixture
def second_namespace(env: Env) -> str:
    """Another namespace, watched by the test's operator too."""
    return env.watched_namespace("y")


def foreign_reason(env: Env, namespace: str, type_: str) -> str:
    out = env.cluster.kubectl(
        "-n", namespace, "get", RULE_KIND, "foreign", "-o", "json", check=False
    )
    return reason_of(json.loads(out.stdout), type_) if out.returncode == 0 else ""


def test_allowing_all_namespaces_wakes_a_refused_rule_at_once(
    env: Env, second_namespace: str
) -> None:
    ready_ncc(env)
    env.azure_rule("foreign", namespace=second_namespace)
    wait_until(
        lambda: foreign_reason(env, second_namespace, "Synced") == "NamespaceNotAllowed",
        "NamespaceNotAllowed",
    )
    env.kubectl(
        "patch",
        NCC_KIND,
        "prod",
        "--type=merge",
        "-p",
        json.dumps({"spec": {"allowedRuleNamespaces": {"from": "All"}}}),
    )
    # NamespaceNotAllowed retries after 120 s on its own: 20 s proves the NCC change woke it.
    started = time.monotonic()
    wait_until(
        lambda: foreign_reason(env, second_namespace, "Ready") == "AwaitingApproval",
        f"rule admitted after the NCC change; log:\n{env.operator.logs()[-2000:]}",
        timeout=20,
    )
    assert time.monotonic() - started < 20


# -- DatabricksAccount: no finalizer -----------------------------------------------------------


def test_accounts_carry_no_finalizer_and_delete_without_the_operator(env: Env) -> None:
    ready_ncc(env)
    account = env.get(ACCOUNTS, "main")
    assert account["metadata"].get("finalizers", []) == [], account["metadata"]

    # Still re-verified every account resync (2 s in the tests) without a finalizer: a Secret
    # that turns wrong is noticed with no change to the account itself.
    env.account(secret="rotated-to-something-wrong")
    env.wait_reason(ACCOUNTS, "main", "AuthFailed", type_="Synced", timeout=20)

    env.operator.stop()
    env.kubectl("delete", ACCOUNTS, "main", "--timeout=20s")
    assert env.get(ACCOUNTS, "main") == {}

    # What the NCC shows once its account is gone (docs/operator.md).
    env.operator.start()
    obj = env.wait_reason(NCC_KIND, "prod", "ReferenceNotReady", type_="Synced", timeout=30)
    message = next(c for c in obj["status"]["conditions"] if c["type"] == "Synced")["message"]
    assert f"DatabricksAccount {env.namespace}/main does not exist: create it" in message


def test_a_deleted_account_is_verified_no_more(env: Env) -> None:
    """Without a finalizer Kopf sees only the DELETED event; the account's timer must stop
    there, not keep verifying a ghost (which would call Databricks with its old credentials)."""
    env.account()
    env.wait_reason(ACCOUNTS, "main", "Available")
    env.kubectl("delete", ACCOUNTS, "main", "--timeout=20s")
    time.sleep(2)  # the DELETED event is processed
    key = endpoints.LIST_WORKSPACES.key
    before = env.emulator.admin.request_counts().get(key, 0)
    time.sleep(5)  # more than two account resyncs (2 s in the tests)
    assert env.emulator.admin.request_counts().get(key, 0) == before
    assert env.operator.process is not None
    assert env.operator.process.poll() is None
