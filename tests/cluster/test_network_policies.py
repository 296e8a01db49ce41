"""NetworkPolicy from the user's side: what Databricks holds, status, events, and the writes the
operator sends (the real apiserver, the operator as a process, the emulator as Databricks).

Behaviours and their tests (``test_…`` below):

- a dry-run policy is created as spec'd and its workspace bound; Ready says which workspaces use
  it; nothing is written again at idle: ``a_dry_run_policy_is_created_and_bound``;
- an edit replaces only ``egress.network_access``; ingress set by someone else survives:
  ``an_edit_replaces_the_egress_and_keeps_ingress``;
- a workspace removed from ``workspaceIds`` goes back to ``default-policy``; one rebound elsewhere
  meanwhile is left alone: ``a_removed_workspace_is_released_only_if_still_bound_here``;
- a workspace listed by two policies stays with the first, the second says Conflict:
  ``a_workspace_claimed_by_two_policies_stays_with_the_first``;
- two resources for one policy id: the later one writes nothing:
  ``two_resources_for_one_policy_id``;
- a workspace the account lacks is NotAllowed, the others are bound:
  ``an_unknown_workspace_is_reported_and_the_rest_bound``;
- delete releases the workspaces, then deletes the policy; a workspace bound outside the spec
  blocks it with Databricks' refusal until Orphan: ``delete_releases_workspaces_then_deletes``,
  ``delete_blocked_by_a_foreign_binding_until_orphan``;
- ``default-policy`` adopted ObserveOnly is observed, never written, never deleted:
  ``default_policy_is_observed_never_written``.
"""

from __future__ import annotations

from typing import Any

import httpx

from ncc_emulator import endpoints
from tests.cluster.conftest import GROUP, VERSION, Env
from tests.cluster.rules_support import count, writes

KIND = "networkpolicies.networking.ncc-operator.io"
CREATE = endpoints.CREATE_POLICY.key
UPDATE = endpoints.UPDATE_POLICY.key
DELETE = endpoints.DELETE_POLICY.key
GET = endpoints.GET_POLICY.key
BIND = endpoints.UPDATE_WORKSPACE_NETWORK.key


def _api(env: Env, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """The Account API called straight, as someone else (the console, Terraform) would."""
    emu = env.emulator
    with httpx.Client(base_url=emu.base_url, timeout=30) as http:
        token = http.post(
            f"/oidc/accounts/{emu.account_id}/v1/token",
            auth=(emu.client_id, emu.client_secret),
            data={"grant_type": "client_credentials", "scope": "all-apis"},
        ).json()["access_token"]
        answer = http.request(
            method,
            f"/api/2.0/accounts/{emu.account_id}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        answer.raise_for_status()
        return answer.json() if answer.content else None


def _bound_to(env: Env, workspace_id: int) -> str:
    return str(_api(env, "GET", f"/workspaces/{workspace_id}/network")["network_policy_id"])


def _held(env: Env, policy_id: str) -> dict[str, Any]:
    return dict(_api(env, "GET", f"/network-policies/{policy_id}"))


def _policy_ids(env: Env) -> set[str]:
    state = env.emulator.admin.state()["network_policies"]
    return {p["network_policy_id"] for p in state["policies"]}


def _policy(
    env: Env,
    name: str,
    *,
    egress: str = "{restrictionMode: RESTRICTED_ACCESS, allowedInternetDestinations: [pypi.org]}",
    extra: str = "",
) -> None:
    env.apply(
        f"""
apiVersion: {GROUP}/{VERSION}
kind: NetworkPolicy
metadata: {{name: {name}}}
spec:
  accountRef: {{name: main}}
  egress: {egress}
{extra}"""
    )


def _ready_account(env: Env) -> None:
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")


def _bound(obj: dict[str, Any]) -> list[int]:
    return list(obj.get("status", {}).get("atProvider", {}).get("boundWorkspaceIds", []))


def test_a_dry_run_policy_is_created_and_bound(env: Env) -> None:
    _ready_account(env)
    _policy(
        env,
        "restricted",
        egress="""
    restrictionMode: RESTRICTED_ACCESS
    allowedInternetDestinations: [pypi.org, files.pythonhosted.org]
    allowedStorageDestinations: [{azure: {storageAccount: lakeprod, service: dfs}}]
    enforcement: {mode: DRY_RUN, dryRunProducts: [DBSQL]}""",
        extra="  workspaceIds: [1111]\n",
    )
    ready = env.wait_reason(KIND, "restricted", "Available", timeout=60)
    access = _held(env, "restricted")["egress"]["network_access"]
    assert access["restriction_mode"] == "RESTRICTED_ACCESS"
    assert {d["destination"] for d in access["allowed_internet_destinations"]} == {
        "pypi.org",
        "files.pythonhosted.org",
    }
    assert access["allowed_storage_destinations"] == [
        {
            "storage_destination_type": "AZURE_STORAGE",
            "azure_storage_account": "lakeprod",
            "azure_storage_service": "dfs",
        }
    ]
    assert access["policy_enforcement"] == {
        "enforcement_mode": "DRY_RUN",
        "dry_run_mode_product_filter": ["DBSQL"],
    }
    assert _bound_to(env, 1111) == "restricted"
    assert _bound_to(env, 2222) == "default-policy", "an unlisted workspace is untouched"
    status = ready["status"]
    assert status["id"] == "restricted"
    assert status["atProvider"]["boundWorkspaceIds"] == [1111]
    assert status["atProvider"]["enforcementMode"] == "DRY_RUN"
    assert status["atProvider"]["destinationCounts"]["allowedInternet"] == 2
    ready_cond = env.condition(KIND, "restricted")
    assert "1111" in ready_cond["message"]
    assert "not documented" in ready_cond["message"], "Ready never claims enforcement"
    reasons = env.event_reasons("restricted")
    assert "Created" in reasons
    assert count(env, CREATE) == 1
    before, reads = writes(env), count(env, GET)
    env.kubectl("annotate", KIND, "restricted", "ncc-operator.io/reconcile-requested-at=now1")
    env.wait_for(KIND, "restricted", lambda _: count(env, GET) > reads, what="a re-observe")
    env.idle(4)
    assert writes(env) == before, "a policy as spec'd, its workspace bound: no write again"


def test_an_edit_replaces_the_egress_and_keeps_ingress(env: Env) -> None:
    _ready_account(env)
    ingress = {
        "public_access": {
            "restriction_mode": "RESTRICTED_ACCESS",
            "allow_rules": [{"origin": {"all_ip_ranges": True}}],
        }
    }
    _api(
        env,
        "POST",
        "/network-policies",
        {
            "network_policy_id": "made-elsewhere",
            "egress": {"network_access": {"restriction_mode": "FULL_ACCESS"}},
            "ingress": ingress,
        },
    )
    _policy(
        env,
        "made-elsewhere",
        egress="{restrictionMode: RESTRICTED_ACCESS, allowedInternetDestinations: [pypi.org]}",
    )
    done = env.wait_reason(KIND, "made-elsewhere", "Available", timeout=60)
    assert done["status"]["atProvider"]["ingressManagedElsewhere"] is True
    held = _held(env, "made-elsewhere")
    assert held["ingress"]["public_access"] == ingress["public_access"], "ingress survives"
    assert held["egress"]["network_access"]["restriction_mode"] == "RESTRICTED_ACCESS"
    assert count(env, CREATE) == 1, "adopted by its id, not created"
    assert "Adopted" in env.event_reasons("made-elsewhere")
    env.kubectl(
        "patch",
        KIND,
        "made-elsewhere",
        "--type=merge",
        "-p",
        '{"spec": {"egress": {"blockedInternetDestinations": ["paste.example.net"]}}}',
    )
    env.wait_for(
        KIND,
        "made-elsewhere",
        lambda o: (
            o.get("status", {})
            .get("atProvider", {})
            .get("destinationCounts", {})
            .get("blockedInternet")
            == 1
        ),
        what="the blocked destination applied",
    )
    held = _held(env, "made-elsewhere")
    assert held["ingress"]["public_access"] == ingress["public_access"]
    assert [
        d["destination"] for d in held["egress"]["network_access"]["blocked_internet_destinations"]
    ] == ["paste.example.net"]


def test_a_removed_workspace_is_released_only_if_still_bound_here(env: Env) -> None:
    _ready_account(env)
    _policy(env, "team", extra="  workspaceIds: [1111, 2222]\n")
    env.wait_for(KIND, "team", lambda o: _bound(o) == [1111, 2222], what="both bound")
    # Someone moves 2222 to a policy of their own, then the spec drops both.
    _api(
        env,
        "POST",
        "/network-policies",
        {
            "network_policy_id": "theirs",
            "egress": {"network_access": {"restriction_mode": "FULL_ACCESS"}},
        },
    )
    _api(
        env,
        "PUT",
        "/workspaces/2222/network",
        {"workspace_id": 2222, "network_policy_id": "theirs"},
    )
    env.kubectl("patch", KIND, "team", "--type=merge", "-p", '{"spec": {"workspaceIds": []}}')
    env.wait_for(KIND, "team", lambda o: _bound(o) == [], what="nothing bound any more")
    env.wait_reason(KIND, "team", "Available")
    assert _bound_to(env, 1111) == "default-policy", "released: back on the account default"
    assert _bound_to(env, 2222) == "theirs", "rebound by someone else: left alone"


def test_a_workspace_claimed_by_two_policies_stays_with_the_first(env: Env) -> None:
    _ready_account(env)
    _policy(env, "first", extra="  workspaceIds: [1111]\n")
    env.wait_reason(KIND, "first", "Available", timeout=60)
    _policy(env, "second", extra="  workspaceIds: [1111, 2222]\n")
    synced = env.wait_reason(KIND, "second", "Conflict", type_="Synced", timeout=60)
    message = next(c["message"] for c in synced["status"]["conditions"] if c["type"] == "Synced")
    assert "1111" in message
    assert "first" in message
    env.wait_for(KIND, "second", lambda o: _bound(o) == [2222], what="2222 bound")
    assert _bound_to(env, 1111) == "first"
    assert env.condition(KIND, "second")["status"] == "False"
    env.idle(3)
    assert _bound_to(env, 1111) == "first", "no tug of war"


def test_two_resources_for_one_policy_id(env: Env) -> None:
    _ready_account(env)
    _policy(env, "a", extra="  networkPolicyId: shared\n")
    env.wait_reason(KIND, "a", "Available", timeout=60)
    before = writes(env)
    _policy(
        env,
        "b",
        egress="{restrictionMode: FULL_ACCESS}",
        extra="  networkPolicyId: shared\n",
    )
    env.wait_reason(KIND, "b", "Conflict", type_="Synced", timeout=60)
    env.idle(3)
    assert writes(env) == before, "the later resource sends nothing"
    assert _held(env, "shared")["egress"]["network_access"]["restriction_mode"] == (
        "RESTRICTED_ACCESS"
    )
    assert not env.get(KIND, "b").get("status", {}).get("id")


def test_an_unknown_workspace_is_reported_and_the_rest_bound(env: Env) -> None:
    _ready_account(env)
    _policy(env, "p", extra="  workspaceIds: [9999, 1111]\n")
    env.wait_for(KIND, "p", lambda o: _bound(o) == [1111], what="1111 bound")
    synced = env.wait_reason(KIND, "p", "NotAllowed", type_="Synced")
    assert "9999" in next(
        c["message"] for c in synced["status"]["conditions"] if c["type"] == "Synced"
    )
    env.wait_reason(KIND, "p", "WorkspacesNotBound")
    assert "Warning" in {e["type"] for e in env.events("p")}


def test_delete_releases_workspaces_then_deletes(env: Env) -> None:
    _ready_account(env)
    _policy(env, "gone", extra="  workspaceIds: [1111]\n")
    env.wait_reason(KIND, "gone", "Available", timeout=60)
    env.kubectl("delete", KIND, "gone", "--wait=false")
    env.wait_gone(KIND, "gone")
    assert "gone" not in _policy_ids(env)
    assert _bound_to(env, 1111) == "default-policy"


def test_delete_blocked_by_a_foreign_binding_until_orphan(env: Env) -> None:
    _ready_account(env)
    _policy(env, "held", extra="  workspaceIds: [1111]\n")
    env.wait_reason(KIND, "held", "Available", timeout=60)
    # Someone binds another workspace to it by hand: the operator does not know to release it.
    _api(
        env, "PUT", "/workspaces/2222/network", {"workspace_id": 2222, "network_policy_id": "held"}
    )
    env.kubectl("delete", KIND, "held", "--wait=false")
    blocked = env.wait_reason(KIND, "held", "DeleteBlocked", type_="Synced", timeout=60)
    message = next(c["message"] for c in blocked["status"]["conditions"] if c["type"] == "Synced")
    assert "Orphan" in message
    assert "held" in _policy_ids(env)
    assert _bound_to(env, 1111) == "default-policy", "its own workspace was released"
    env.kubectl(
        "patch", KIND, "held", "--type=merge", "-p", '{"spec": {"deletionPolicy": "Orphan"}}'
    )
    env.wait_gone(KIND, "held")
    assert "held" in _policy_ids(env), "Orphan keeps the policy"
    assert _bound_to(env, 2222) == "held"


def test_default_policy_is_observed_never_written(env: Env) -> None:
    _ready_account(env)
    _policy(
        env,
        "default-policy",
        egress="{restrictionMode: RESTRICTED_ACCESS, allowedInternetDestinations: [pypi.org]}",
        extra="  managementPolicy: ObserveOnly\n  deletionPolicy: Orphan\n",
    )
    ready = env.wait_reason(KIND, "default-policy", "Available", timeout=60)
    assert ready["status"]["id"] == "default-policy"
    assert ready["status"]["atProvider"]["restrictionMode"] == "FULL_ACCESS", "what Databricks has"
    env.idle(3)
    assert writes(env) == {}, "ObserveOnly writes nothing"
    env.kubectl("delete", KIND, "default-policy", "--wait=false")
    env.wait_gone(KIND, "default-policy")
    assert "default-policy" in _policy_ids(env)
    assert (count(env, DELETE), count(env, UPDATE), count(env, BIND)) == (0, 0, 0)
