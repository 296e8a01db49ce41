"""Write paths no other cluster test walked, from the user's side (status, events, Databricks).

- A list of workspaces with some that cannot be attached still attaches the rest, and Ready says
  the truth about it.
- A rule that exists at Databricks under an older domain list is adopted and updated, never
  re-created in a 409 loop.
- A lost create (the operator killed after the POST committed, before its answer) plus an edit
  and a briefly unready account leaves no duplicate and no orphan.
- CREATING that lasts minutes, as at Databricks, is followed through the emulator's clock.
"""

from __future__ import annotations

import signal

import httpx
import pytest

from tests.cluster.conftest import AZURE_PLS, GROUP, VERSION, Env
from tests.cluster.rules_support import (
    CREATE_RULE,
    NCC_KIND,
    RULE_KIND,
    active_rules,
    count,
    ready_ncc,
    wait_until,
)


def condition(env: Env, kind: str, name: str, type_: str) -> dict[str, object]:
    return env.condition(kind, name, type_)


def test_attachable_workspaces_are_attached_and_ready_tells_the_truth(env: Env) -> None:
    # 3333 is in westus, 9999 does not exist, 1111 is in the NCC's region (eastus2).
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")
    env.ncc("prod", extra="  workspaceIds: [3333, 9999, 1111]\n")
    env.wait_for(
        NCC_KIND,
        "prod",
        lambda o: o.get("status", {}).get("atProvider", {}).get("attachedWorkspaceIds") == [1111],
        what="workspace 1111 attached",
    )
    env.wait_reason(NCC_KIND, "prod", "WorkspacesNotAttached")
    ready = condition(env, NCC_KIND, "prod", "Ready")
    assert ready["status"] == "False", "Ready=True means every listed workspace is attached"
    synced = condition(env, NCC_KIND, "prod", "Synced")
    assert synced["reason"] == "NotAllowed"
    assert "3333" in str(synced["message"])
    assert "9999" in str(synced["message"])
    workspaces = {w["workspace_id"]: w for w in env.emulator.admin.state()["workspaces"]}
    assert workspaces[1111].get("network_connectivity_config_id") == env.ncc_id("prod")


def _rule_at_databricks(env: Env, ncc_id: str, body: dict[str, object]) -> str:
    """A rule made straight at Databricks (as a create whose answer was lost would be)."""
    emu = env.emulator
    with httpx.Client(base_url=emu.base_url, timeout=30) as http:
        token = http.post(
            f"/oidc/accounts/{emu.account_id}/v1/token",
            auth=(emu.client_id, emu.client_secret),
            data={"grant_type": "client_credentials", "scope": "all-apis"},
        ).json()["access_token"]
        made = http.post(
            f"/api/2.0/accounts/{emu.account_id}/network-connectivity-configs/{ncc_id}"
            "/private-endpoint-rules",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        made.raise_for_status()
        return str(made.json()["rule_id"])


def test_a_rule_with_an_older_domain_list_is_adopted_then_updated(env: Env) -> None:
    ncc_id = ready_ncc(env)
    resource_id = AZURE_PLS.format(name="svc")
    existing = _rule_at_databricks(
        env, ncc_id, {"resource_id": resource_id, "domain_names": ["a.example.com"]}
    )
    env.emulator.admin.reset_counts()
    env.apply(
        f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: svc}}
spec:
  nccRef: {{name: prod}}
  azure: {{resourceId: "{resource_id}", domainNames: [a.example.com, b.example.com]}}
"""
    )
    wait_until(lambda: env.rule_id("svc") == existing, "the existing rule adopted", timeout=45)
    wait_until(
        lambda: (
            sorted(
                next(r for r in env.databricks_rules("prod") if r["rule_id"] == existing).get(
                    "domain_names", []
                )
            )
            == ["a.example.com", "b.example.com"]
        ),
        "the edited list applied at Databricks",
        timeout=45,
    )
    # Found by its target: adopted from the snapshot, or — when the snapshot predates it — by
    # the one create Databricks answers with 409. Never a loop of creates.
    assert count(env, CREATE_RULE) <= 1
    assert [r["rule_id"] for r in active_rules(env)] == [existing]


def test_creating_for_minutes_is_followed_through_the_clock(env: Env) -> None:
    env.emulator.admin.configure(creating_seconds=180)
    ready_ncc(env)
    env.azure_rule("blob")
    env.wait_reason(RULE_KIND, "blob", "Creating")
    env.idle(3)  # several fast polls while CREATING: still Creating, nothing re-sent
    assert condition(env, RULE_KIND, "blob", "Ready")["reason"] == "Creating"
    assert count(env, CREATE_RULE) == 1
    assert not env.get(RULE_KIND, "blob")["status"]["atProvider"].get("endpointName"), (
        "endpoint_name is empty while CREATING (Databricks staff, PR #5743)"
    )
    env.emulator.admin.advance_clock(181)
    env.wait_reason(RULE_KIND, "blob", "AwaitingApproval", timeout=30)
    assert env.get(RULE_KIND, "blob")["status"]["atProvider"].get("endpointName")
    assert count(env, CREATE_RULE) == 1


@pytest.mark.timeout(300)
def test_a_lost_create_with_an_edit_and_an_unready_account_orphans_nothing(env: Env) -> None:
    """Killed after the create POST committed and before its answer; while it is down, the
    spec is edited, the account's credentials break and the rule is deleted. On restart the
    pending create is settled by lookup: the rule is found and deleted, and only then released."""
    ncc_id = ready_ncc(env)
    resource_id = AZURE_PLS.format(name="svc")
    env.emulator.admin.set_faults(slow_create_seconds=30)
    env.apply(
        f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: svc}}
spec:
  nccRef: {{name: prod}}
  azure: {{resourceId: "{resource_id}", domainNames: [a.example.com]}}
"""
    )
    wait_until(lambda: len(active_rules(env)) == 1, "the create committed at Databricks")
    env.operator.stop(signal.SIGKILL)  # its answer never arrives
    env.emulator.admin.clear_faults()
    assert not env.rule_id("svc"), "the id was never recorded"
    pending = env.get(RULE_KIND, "svc")["metadata"].get("annotations", {})
    assert "state.ncc-operator.io/create-pending" in pending, "recorded before the POST"
    env.kubectl(
        "patch",
        RULE_KIND,
        "svc",
        "--type=merge",
        "-p",
        '{"spec": {"azure": {"domainNames": ["a.example.com", "b.example.com"]}}}',
    )
    env.account(secret="broken")  # the account turns unready at the next verification
    env.kubectl("delete", RULE_KIND, "svc", "--wait=false")
    env.operator.start()
    env.wait_reason("databricksaccounts", "main", "AuthFailed", type_="Synced", timeout=60)
    env.idle(5)  # the account keeps retrying its credentials
    assert env.get(RULE_KIND, "svc"), "a pending create keeps the finalizer until settled"
    assert len(active_rules(env)) == 1
    env.account()  # credentials fixed
    env.wait_gone(RULE_KIND, "svc", timeout=120)
    assert active_rules(env) == [], "no orphan at Databricks"
    assert count(env, CREATE_RULE) == 1, "and no duplicate"
    assert env.ncc_id("prod") == ncc_id
