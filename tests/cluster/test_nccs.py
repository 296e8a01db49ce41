"""NetworkConnectivityConfig through a real apiserver: workspace attachment and deletion.

Each test proves one promise of DESIGN §3 against the emulator's truth (its state and its request
counters), not only against the status the operator writes.
"""

from __future__ import annotations

from typing import Any

from ncc_emulator import endpoints
from tests.cluster.conftest import Env

NCCS = "networkconnectivityconfigs"
WORKSPACE_PATCH = endpoints.PATCH_WORKSPACE.key
NCC_DELETE = endpoints.DELETE_NCC.key


def attached(ids: list[int]) -> Any:
    def check(obj: dict[str, Any]) -> bool:
        return bool(obj.get("status", {}).get("atProvider", {}).get("attachedWorkspaceIds") == ids)

    return check


def workspace_ncc(env: Env, workspace_id: int) -> str | None:
    """Which NCC the emulator has attached to a workspace (the cloud-side truth)."""
    for ws in env.emulator.admin.state()["workspaces"]:
        if ws["workspace_id"] == workspace_id:
            ncc_id = ws.get("network_connectivity_config_id")
            return str(ncc_id) if ncc_id else None
    raise AssertionError(f"workspace {workspace_id} unknown to the emulator")


def emulator_ncc_ids(env: Env) -> set[str]:
    return {n["network_connectivity_config_id"] for n in env.emulator.admin.state()["nccs"]}


def ready_account(env: Env) -> None:
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")


def test_workspaces_attached_with_one_patch_each(env: Env) -> None:
    """Every listed workspace is attached with exactly one PATCH, and resyncs add none."""
    ready_account(env)
    env.ncc("prod", extra="  workspaceIds: [1111, 2222]\n")
    env.wait_for(NCCS, "prod", attached([1111, 2222]), what="1111 and 2222 attached")
    ncc_id = env.ncc_id("prod")
    assert workspace_ncc(env, 1111) == ncc_id
    assert workspace_ncc(env, 2222) == ncc_id
    assert env.condition(NCCS, "prod", "Synced")["status"] == "True"
    env.idle(8)  # more than one resync (6 s)
    assert env.emulator.admin.request_counts().get(WORKSPACE_PATCH) == 2


def test_workspace_claimed_twice_conflicts_without_flip_flop(env: Env) -> None:
    """Two NCC resources claim one workspace: the later gets Conflict and nobody moves it back
    and forth — the PATCH count stays put across several resyncs."""
    ready_account(env)
    env.ncc("first", extra="  workspaceIds: [1111]\n")
    env.wait_for(NCCS, "first", attached([1111]), what="1111 attached to first")
    first_id = env.ncc_id("first")
    env.ncc("second", extra="  workspaceIds: [1111]\n")
    cond = env.wait_reason(NCCS, "second", "Conflict", type_="Synced")
    synced = next(c for c in cond["status"]["conditions"] if c["type"] == "Synced")
    assert synced["status"] == "False"
    assert "1111" in synced["message"], synced["message"]
    assert "first" in synced["message"], synced["message"]
    patches = env.emulator.admin.request_counts().get(WORKSPACE_PATCH)
    assert patches == 1
    env.idle(14)  # two resyncs of both NCCs
    assert env.emulator.admin.request_counts().get(WORKSPACE_PATCH) == patches
    assert workspace_ncc(env, 1111) == first_id
    assert env.condition(NCCS, "first", "Synced")["status"] == "True"
    assert env.condition(NCCS, "second", "Synced")["reason"] == "Conflict"
    assert "Conflict" in env.event_reasons("second")


def test_workspace_removed_from_list_is_not_detachable(env: Env) -> None:
    """Removing a workspace from workspaceIds cannot happen at Databricks: NotDetachable says so."""
    ready_account(env)
    env.ncc("prod", extra="  workspaceIds: [1111, 2222]\n")
    env.wait_for(NCCS, "prod", attached([1111, 2222]), what="both attached")
    env.ncc("prod", extra="  workspaceIds: [1111]\n")
    obj = env.wait_reason(NCCS, "prod", "NotDetachable", type_="Synced")
    synced = next(c for c in obj["status"]["conditions"] if c["type"] == "Synced")
    assert synced["status"] == "False"
    assert "2222" in synced["message"], synced["message"]
    assert "cannot detach" in synced["message"], synced["message"]
    # Still attached at Databricks (the operator did not pretend otherwise).
    assert workspace_ncc(env, 2222) == env.ncc_id("prod")
    assert obj["status"]["atProvider"]["attachedWorkspaceIds"] == [1111, 2222]


def test_workspace_in_another_region_is_not_allowed(env: Env) -> None:
    """A workspace of another region is never PATCHed; NotAllowed names both regions."""
    ready_account(env)
    env.ncc("prod", extra="  workspaceIds: [3333]\n")
    obj = env.wait_reason(NCCS, "prod", "NotAllowed", type_="Synced")
    synced = next(c for c in obj["status"]["conditions"] if c["type"] == "Synced")
    assert "3333" in synced["message"], synced["message"]
    assert "westus" in synced["message"], synced["message"]
    assert "eastus2" in synced["message"], synced["message"]
    assert WORKSPACE_PATCH not in env.emulator.admin.request_counts()
    assert workspace_ncc(env, 3333) is None


def test_delete_waits_for_rules_and_names_them(env: Env) -> None:
    """An NCC is deleted only after its PrivateEndpointRules; the wait names them."""
    ready_account(env)
    env.ncc("prod")
    env.azure_rule("blob")
    env.wait_reason("privateendpointrules", "blob", "AwaitingApproval")
    ncc_id = env.ncc_id("prod")
    env.kubectl("delete", NCCS, "prod", "--wait=false")
    obj = env.wait_reason(NCCS, "prod", "DeleteBlocked", type_="Synced")
    synced = next(c for c in obj["status"]["conditions"] if c["type"] == "Synced")
    assert f"{env.namespace}/blob" in synced["message"], synced["message"]
    assert ncc_id in emulator_ncc_ids(env)
    assert NCC_DELETE not in env.emulator.admin.request_counts()
    # Once the rule is gone, the NCC goes too (and at Databricks).
    env.kubectl("delete", "privateendpointrule", "blob", "--wait=false")
    env.wait_gone("privateendpointrules", "blob")
    env.wait_gone(NCCS, "prod", timeout=30)
    assert ncc_id not in emulator_ncc_ids(env)


def test_delete_blocked_by_workspaces_then_orphan_releases(env: Env) -> None:
    """Attached workspaces block deletion with an explicit condition and a Warning event naming
    the remedy; switching to deletionPolicy: Orphan then releases the finalizer at once."""
    ready_account(env)
    env.ncc("prod", extra="  workspaceIds: [1111]\n")
    env.wait_for(NCCS, "prod", attached([1111]), what="1111 attached")
    ncc_id = env.ncc_id("prod")
    env.kubectl("delete", NCCS, "prod", "--wait=false")
    obj = env.wait_reason(NCCS, "prod", "DeleteBlocked", type_="Synced")
    synced = next(c for c in obj["status"]["conditions"] if c["type"] == "Synced")
    assert synced["status"] == "False"
    for needle in ("1111", "cannot detach", "another NCC", "deletionPolicy: Orphan"):
        assert needle in synced["message"], (needle, synced["message"])
    warnings = [
        e for e in env.events("prod") if e["reason"] == "DeleteBlocked" and e["type"] == "Warning"
    ]
    assert warnings, env.event_reasons("prod")
    assert "deletionPolicy: Orphan" in warnings[0]["message"]
    env.kubectl(
        "patch", NCCS, "prod", "--type=merge", "-p", '{"spec": {"deletionPolicy": "Orphan"}}'
    )
    env.wait_gone(NCCS, "prod", timeout=15)
    assert ncc_id in emulator_ncc_ids(env)
    assert workspace_ncc(env, 1111) == ncc_id


def test_orphan_policy_releases_at_once_and_keeps_the_ncc(env: Env) -> None:
    """deletionPolicy: Orphan on a fresh object: deletion is immediate, the NCC stays."""
    ready_account(env)
    env.ncc("prod", extra="  deletionPolicy: Orphan\n")
    env.wait_reason(NCCS, "prod", "Available")
    ncc_id = env.ncc_id("prod")
    env.kubectl("delete", NCCS, "prod", "--wait=false")
    env.wait_gone(NCCS, "prod", timeout=10)
    assert ncc_id in emulator_ncc_ids(env)
    assert NCC_DELETE not in env.emulator.admin.request_counts()


def test_ncc_without_dependents_is_deleted_at_databricks(env: Env) -> None:
    """No workspaces and no rules: deleting the resource deletes the NCC at Databricks."""
    ready_account(env)
    env.ncc("prod")
    env.wait_reason(NCCS, "prod", "Available")
    assert env.ncc_id("prod") in emulator_ncc_ids(env)
    env.kubectl("delete", NCCS, "prod", "--wait=false")
    env.wait_gone(NCCS, "prod", timeout=15)
    assert emulator_ncc_ids(env) == set()
    assert env.emulator.admin.request_counts().get(NCC_DELETE) == 1
    assert "Deleted" in env.event_reasons("prod")
