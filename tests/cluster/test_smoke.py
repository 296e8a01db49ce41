"""The happy path through a real apiserver: account → NCC (attached) → rule → approved → Ready."""

from __future__ import annotations

from tests.cluster.conftest import Env


def test_apply_to_ready_and_delete(env: Env) -> None:
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")
    env.ncc("prod", extra="  workspaceIds: [1111]\n")
    env.azure_rule("blob")
    env.wait_reason("privateendpointrules", "blob", "AwaitingApproval")
    env.emulator.admin.approve(env.rule_id("blob"))
    rule = env.wait_reason("privateendpointrules", "blob", "Established")
    assert rule["status"]["atProvider"]["connectionState"] == "ESTABLISHED"
    ncc = env.wait_for(
        "networkconnectivityconfigs",
        "prod",
        lambda o: o.get("status", {}).get("atProvider", {}).get("attachedWorkspaceIds") == [1111],
        what="workspace 1111 attached",
    )
    assert ncc["status"]["conditions"][0]["status"] == "True"
    reasons = env.event_reasons("blob")
    assert {"Created", "AwaitingApproval", "Established"} <= set(reasons), reasons
    # Deleting the rule deactivates it at Databricks and releases the finalizer.
    env.kubectl("delete", "privateendpointrule", "blob", "--wait=false")
    env.wait_gone("privateendpointrules", "blob")
    assert [r["deactivated"] for r in env.databricks_rules("prod")] == [True]
