"""Two tenants on one cluster: B tries every move against A, and nothing of A's changes.

Team A (the test namespace) has an account, an NCC and a rule. Team B (a second namespace,
watched by the same operator) is hostile: it points an account at a server it controls, adopts
A's NCC by name or by id, claims A's rule target, and deletes what it claimed. docs/security.md
holds the threat model these moves come from.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.cluster.conftest import AZURE_STORAGE, GROUP, VERSION, Env
from tests.cluster.rules_support import active_rules, ready_ncc, wait_until

NCCS = "networkconnectivityconfigs"
RULES = "privateendpointrules"
ACCOUNTS = "databricksaccounts"


class Capture:
    """A server a hostile tenant controls, on another loopback address: records every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode(errors="replace") if length else ""
                capture.requests.append(f"{self.command} {self.path} {body}")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _record  # noqa: N815 - http.server's naming

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.url = f"http://127.0.0.2:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def capture() -> Iterator[Capture]:
    server = Capture()
    yield server
    server.close()


@pytest.fixture
def tenant_b(env: Env) -> str:
    """Team B's namespace, watched by the same operator."""
    return env.watched_namespace("b")


def condition_in(env: Env, namespace: str, kind: str, name: str, type_: str) -> dict[str, Any]:
    conditions = env.get_in(namespace, kind, name).get("status", {}).get("conditions", [])
    return next((c for c in conditions if c["type"] == type_), {})


def wait_reason_in(env: Env, namespace: str, kind: str, name: str, reason: str) -> None:
    def has() -> bool:
        conditions = env.get_in(namespace, kind, name).get("status", {}).get("conditions", [])
        return any(c["reason"] == reason for c in conditions)

    wait_until(has, f"{namespace}/{name} {reason}", timeout=60)


def b_account(env: Env, namespace: str, *, host: str, auth: str) -> str:
    return env.apply_in(
        namespace,
        f"""
apiVersion: v1
kind: Secret
metadata: {{name: creds}}
stringData: {{client-id: {env.emulator.client_id}, client-secret: {env.emulator.client_secret}}}
---
apiVersion: {GROUP}/{VERSION}
kind: DatabricksAccount
metadata: {{name: mine}}
spec:
  accountId: {env.emulator.account_id}
  cloud: azure
  host: "{host}"
  auth: {auth}
""",
        check=False,  # admission refusals are what some tests look for
    )


def test_a_tenant_cannot_send_the_operators_token_or_its_secret_to_its_own_server(
    env: Env, tenant_b: str, capture: Capture
) -> None:
    # Before: tokenPath chose any file and the operator POSTed it as subject_token to any host.
    b_account(
        env,
        tenant_b,
        host=capture.url,
        auth="{workloadIdentity: {clientId: platform-sp}}",
    )
    wait_reason_in(env, tenant_b, ACCOUNTS, "mine", "NotAllowed")
    b_account(env, tenant_b, host=capture.url, auth="{oauthM2M: {secretRef: {name: creds}}}")
    wait_until(
        lambda: (
            "not a Databricks account host"
            in condition_in(env, tenant_b, ACCOUNTS, "mine", "Synced").get("message", "")
        ),
        "the host refusal",
        timeout=60,
    )
    assert capture.requests == [], "nothing, not even discovery, reached the tenant's server"


def test_a_token_path_cannot_be_chosen_by_a_cr(env: Env, tenant_b: str) -> None:
    # Before: spec.auth.workloadIdentity.tokenPath named any file for the operator to send.
    out = b_account(
        env,
        tenant_b,
        host=env.emulator.base_url,
        auth="{workloadIdentity: {clientId: sp, tokenPath: /etc/kubernetes/admin.conf}}",
    )
    assert 'unknown field "spec.auth.workloadIdentity.tokenPath"' in out, out
    assert not env.get_in(tenant_b, ACCOUNTS, "mine")


def test_a_host_with_a_password_is_refused_at_admission(env: Env, tenant_b: str) -> None:
    host = env.emulator.base_url.replace("http://", "http://admin:hunter2@")
    out = b_account(env, tenant_b, host=host, auth="{oauthM2M: {secretRef: {name: creds}}}")
    assert "denied" in out or "Invalid" in out or "invalid" in out, out
    assert not env.get_in(tenant_b, ACCOUNTS, "mine")


def test_another_namespace_cannot_take_over_an_ncc_or_its_rules(env: Env, tenant_b: str) -> None:
    ncc_id = ready_ncc(env)
    env.azure_rule("blob", storage="shared")
    wait_until(lambda: bool(env.rule_id("blob")), "A's rule id")
    a_rule = env.rule_id("blob")
    # B: its own account for the same Databricks account, A's NCC name and region, A's target.
    b_account(
        env,
        tenant_b,
        host=env.emulator.base_url,
        auth="{oauthM2M: {secretRef: {name: creds}}}",
    )
    wait_reason_in(env, tenant_b, ACCOUNTS, "mine", "Available")
    resource_id = AZURE_STORAGE.format(name="shared")
    env.apply_in(
        tenant_b,
        f"""
apiVersion: {GROUP}/{VERSION}
kind: NetworkConnectivityConfig
metadata: {{name: stolen}}
spec: {{accountRef: {{name: mine}}, name: prod, region: eastus2}}
---
apiVersion: {GROUP}/{VERSION}
kind: NetworkConnectivityConfig
metadata: {{name: by-id}}
spec: {{accountRef: {{name: mine}}, region: eastus2, externalId: "{ncc_id}"}}
---
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: claim}}
spec:
  nccRef: {{name: stolen}}
  azure: {{resourceId: "{resource_id}", groupId: blob}}
""",
    )
    for name in ("stolen", "by-id"):
        wait_reason_in(env, tenant_b, NCCS, name, "Conflict")
        obj = env.get_in(tenant_b, NCCS, name)
        assert not obj["status"].get("id"), f"{name}: a CR in Conflict records no foreign id"
        assert condition_in(env, tenant_b, NCCS, name, "Ready")["status"] == "False"
    wait_reason_in(env, tenant_b, RULES, "claim", "ReferenceNotReady")
    assert not env.get_in(tenant_b, RULES, "claim")["status"].get("id")
    # B deletes what it claimed: A's rule stays, untouched, at Databricks.
    env.cluster.kubectl("-n", tenant_b, "delete", RULES, "claim", "--timeout=60s")
    env.cluster.kubectl("-n", tenant_b, "delete", NCCS, "stolen", "by-id", "--timeout=60s")
    assert [r["rule_id"] for r in active_rules(env)] == [a_rule]
    assert env.ncc_id("prod") == ncc_id
    assert env.rule_id("blob") == a_rule
    deletes = {k: n for k, n in env.emulator.admin.request_counts().items() if "DELETE" in k}
    assert deletes == {}, f"nothing of A's was deleted at Databricks: {deletes}"
