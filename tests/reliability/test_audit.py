"""The suites' judges can fail: each defect class the audit counts, and a planted secret, is made
on purpose here and must be reported (a checker that never reports proves nothing)."""

from __future__ import annotations

import httpx

from ncc_emulator import endpoints
from tests.cluster.conftest import AZURE_STORAGE, GROUP, VERSION, Env
from tests.reliability.conftest import Suite
from tests.reliability.support import NCC_KIND, RULE_KIND, audit, leaks


def _ready(env: Env) -> str:
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")
    env.ncc("prod")
    env.wait_reason(NCC_KIND, "prod", "Available")
    return env.ncc_id("prod")


def _rule_at_databricks(env: Env, ncc_id: str, storage: str) -> str:
    """A rule made straight at Databricks, outside the operator: nobody records it."""
    emu = env.emulator
    with httpx.Client(base_url=emu.base_url, timeout=30) as http:
        token = http.post(
            endpoints.ACCOUNT_TOKEN.path(account_id=emu.account_id),
            auth=(emu.client_id, emu.client_secret),
            data={"grant_type": "client_credentials", "scope": "all-apis"},
        ).json()["access_token"]
        made = http.post(
            endpoints.CREATE_RULE.path(
                account_id=emu.account_id, network_connectivity_config_id=ncc_id
            ),
            json={"resource_id": AZURE_STORAGE.format(name=storage), "group_id": "blob"},
            headers={"Authorization": f"Bearer {token}"},
        )
        made.raise_for_status()
        return str(made.json()["rule_id"])


def test_the_audit_reports_every_defect_class_it_counts(azure: Suite) -> None:
    env = azure.env
    ncc_id = _ready(env)
    assert audit(env).clean, "a world the operator made is clean"

    orphan = _rule_at_databricks(env, ncc_id, "nobodys")
    assert audit(env).orphans == [f"rule {orphan}"]

    # A resource still being deleted: a finalizer nobody removes keeps it.
    env.apply(
        f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: held, finalizers: [example.com/hold]}}
spec:
  nccRef: {{name: missing}}
  azure: {{resourceId: "{AZURE_STORAGE.format(name="held")}", groupId: blob}}
"""
    )
    env.wait_reason(RULE_KIND, "held", "ReferenceNotReady", type_="Synced")
    found = audit(env)
    assert found.unconverged == [f"{RULE_KIND}/held"], "waiting on a missing NCC"
    env.kubectl("delete", RULE_KIND, "held", "--wait=false")
    assert audit(env).stuck_finalizers == [f"{RULE_KIND}/held"]
    env.kubectl(
        "patch", RULE_KIND, "held", "--type=merge", "-p", '{"metadata":{"finalizers":null}}'
    )
    env.wait_gone(RULE_KIND, "held")


def plant_event(env: Env, name: str, message: str) -> None:
    """A Warning event about the account's Secret, as any controller might post one."""
    env.apply(
        f"""
apiVersion: v1
kind: Event
metadata: {{name: {name}}}
involvedObject: {{kind: Secret, name: main-creds, namespace: {env.namespace}}}
reason: Leak
message: "{message}"
type: Warning
"""
    )


def test_a_planted_secret_is_found_wherever_it_shows(azure: Suite) -> None:
    env = azure.env
    assert leaks(env, [azure.canary], metrics_url=azure.metrics_url) == []
    plant_event(env, "leak", f"the secret is {azure.canary}")
    assert set(leaks(env, [azure.canary])) == {"events: a planted secret"}
    env.kubectl("delete", "event", "leak")
    plant_event(env, "bearer", "Authorization: Bearer abcdefghijklmnop")
    assert {hit.split(":")[0] for hit in leaks(env, [])} == {"events"}, "a bearer token too"
