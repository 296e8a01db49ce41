"""``ncc-operator export``: an account made outside the operator, exported and applied.

The account is set up at the emulator out of band (as the console or Terraform would have):
NCCs with attached workspaces, two NCCs whose names map to the same Kubernetes name, Azure rules
of both kinds (first-party ``groupId`` and Private Link Service ``domainNames``) and a deleted
(deactivated) rule. Applying the export must adopt every object without a single Databricks
write, first as ObserveOnly, then switched to Manage by applying ``--manage`` over it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ncc_emulator.testing import RunningEmulator
from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import AZURE_PLS, AZURE_STORAGE, FAST_ENV, ROOT, Env, running
from tests.cluster.rules_support import NCC_KIND, RULE_KIND, ready, writes

S3 = "com.amazonaws.us-east-1.s3"
VPCE_SERVICE = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"


@pytest.fixture
def aws_env(
    crds: Cluster,
    namespace: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> Iterator[Env]:
    """Like ``env``, on an AWS account."""
    emulator = emulator_factory(cloud="aws", workspaces=[(1111, "us-east-1")])
    with running(crds, namespace, emulator, tmp_path / "operator.log") as env:
        yield env


class Console:
    """Plain HTTP with an M2M token: someone using the account console or Terraform."""

    def __init__(self, env: Env) -> None:
        emu = env.emulator
        self.http = httpx.Client(base_url=emu.base_url, timeout=30)
        token = self.http.post(
            f"/oidc/accounts/{emu.account_id}/v1/token",
            auth=(emu.client_id, emu.client_secret),
            data={"grant_type": "client_credentials", "scope": "all-apis"},
        )
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        self.base = f"/api/2.0/accounts/{emu.account_id}"

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = self.http.request(method, self.base + path, **kwargs)
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def ncc(self, name: str, region: str, workspaces: list[int]) -> str:
        ncc_id = str(
            self.call(
                "POST", "/network-connectivity-configs", json={"name": name, "region": region}
            )["network_connectivity_config_id"]
        )
        for ws in workspaces:
            self.call(
                "PATCH",
                f"/workspaces/{ws}",
                params={"update_mask": "network_connectivity_config_id"},
                json={"network_connectivity_config_id": ncc_id},
            )
        return ncc_id

    def rule(self, ncc_id: str, **body: Any) -> str:
        path = f"/network-connectivity-configs/{ncc_id}/private-endpoint-rules"
        return str(self.call("POST", path, json=body)["rule_id"])

    def delete_rule(self, ncc_id: str, rule_id: str) -> None:
        path = f"/network-connectivity-configs/{ncc_id}/private-endpoint-rules/{rule_id}"
        self.call("DELETE", path)


def _legacy_account(env: Env) -> dict[str, str]:
    """What exists at Databricks before the migration; returns ids by what they are."""
    console = Console(env)
    prod = console.ncc("legacy_prod", "eastus2", [1111, 2222])
    twin = console.ncc("Legacy-Prod", "eastus2", [])  # same Kubernetes name as legacy_prod
    west = console.ncc("west", "westus", [3333])
    ids = {"prod": prod, "twin": twin, "west": west}
    blob = AZURE_STORAGE.format(name="lakehouse")
    ids["blob"] = console.rule(prod, resource_id=blob, group_id="blob")
    ids["dfs"] = console.rule(prod, resource_id=blob, group_id="dfs")
    ids["pls"] = console.rule(
        prod,
        resource_id=AZURE_PLS.format(name="kafka"),
        domain_names=["kafka.internal.example.com"],
    )
    ids["gone"] = console.rule(west, resource_id=AZURE_STORAGE.format(name="old"), group_id="blob")
    console.delete_rule(west, ids["gone"])  # deactivated: not exported
    for key in ("blob", "dfs", "pls"):
        env.emulator.admin.approve(ids[key])
    return ids


def run_export(
    env: Env, *flags: str, account: str = "main", settings: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``ncc-operator export`` as a user runs it: the cluster's kubeconfig, the operator's
    settings (the emulator is an allowed plain-HTTP host, as for the operator itself)."""
    command = [sys.executable, "-m", "ncc_operator", "export"]
    return subprocess.run(  # our own CLI
        [*command, "--account", f"{env.namespace}/{account}", *flags],
        env={**env.cluster.env, **FAST_ENV, **(settings or {})},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def export(env: Env, *flags: str) -> str:
    proc = run_export(env, *flags)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _all_ready(env: Env, docs: list[dict[str, Any]], policy: str) -> None:
    for doc in docs:
        plural = NCC_KIND if doc["kind"] == "NetworkConnectivityConfig" else RULE_KIND
        name = doc["metadata"]["name"]
        env.wait_for(
            plural,
            name,
            lambda o: (
                ready(o).get("status") == "True"
                and o["status"].get("observedGeneration") == o["metadata"]["generation"]
                and o["spec"]["managementPolicy"] == policy
            ),
            what=f"Ready under {policy}",
        )


def test_export_round_trip_adopts_everything_without_writes(env: Env) -> None:
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")
    ids = _legacy_account(env)
    env.emulator.admin.reset_counts()

    text = export(env)
    assert export(env) == text, "the same account must export the same YAML"
    docs = [d for d in yaml.safe_load_all(text) if d]
    by_id = {d["spec"]["externalId"]: d for d in docs}
    assert set(by_id) == {ids[k] for k in ("prod", "twin", "west", "blob", "dfs", "pls")}
    names = [d["metadata"]["name"] for d in docs]
    assert len(set(names)) == len(names), names
    prod, twin = by_id[ids["prod"]], by_id[ids["twin"]]
    assert prod["spec"]["name"] == "legacy_prod"
    assert prod["spec"]["workspaceIds"] == [1111, 2222]
    assert "workspaceIds" not in twin["spec"]
    assert prod["metadata"]["name"].startswith("legacy-prod-")
    assert twin["metadata"]["name"].startswith("legacy-prod-")
    assert by_id[ids["west"]]["metadata"]["name"] == "west"
    assert by_id[ids["west"]]["spec"]["workspaceIds"] == [3333]
    pls = by_id[ids["pls"]]["spec"]
    assert pls["azure"]["domainNames"] == ["kafka.internal.example.com"]
    assert pls["nccRef"] == {"name": prod["metadata"]["name"]}
    assert by_id[ids["dfs"]]["spec"]["azure"]["groupId"] == "dfs"
    assert {d["spec"]["managementPolicy"] for d in docs} == {"ObserveOnly"}

    env.apply(text)
    _all_ready(env, docs, "ObserveOnly")
    env.idle(8)  # at least one resync of everything
    assert writes(env) == {}

    managed = export(env, "--manage")
    manage_docs = [d for d in yaml.safe_load_all(managed) if d]
    assert [d["metadata"]["name"] for d in manage_docs] == names
    env.apply(managed)
    _all_ready(env, manage_docs, "Manage")
    env.idle(8)
    assert writes(env) == {}
    for doc in manage_docs:
        plural = NCC_KIND if doc["kind"] == "NetworkConnectivityConfig" else RULE_KIND
        obj = env.get(plural, doc["metadata"]["name"])
        assert obj["status"]["id"] == doc["spec"]["externalId"]
        synced = next(c for c in obj["status"]["conditions"] if c["type"] == "Synced")
        assert synced["status"] == "True", (doc["metadata"]["name"], synced)


def test_export_round_trip_on_aws_s3_and_endpoint_service(aws_env: Env) -> None:
    """S3 (bucket names, ``enabled``) and a customer endpoint service (domain names): the
    exported specs equal what Databricks has, so Manage sends no PATCH either."""
    env = aws_env
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")
    console = Console(env)
    ncc_id = console.ncc("aws-prod", "us-east-1", [1111])
    s3 = console.rule(ncc_id, endpoint_service=S3, resource_names=["lake-a", "lake-b"])
    kafka = console.rule(
        ncc_id, endpoint_service=VPCE_SERVICE, domain_names=["kafka.internal.example.com"]
    )
    env.emulator.admin.approve(kafka)  # S3 endpoints need no approval (Databricks' own)
    env.emulator.admin.reset_counts()

    docs = [d for d in yaml.safe_load_all(export(env, "--manage")) if d]
    by_id = {d["spec"]["externalId"]: d for d in docs}
    assert by_id[s3]["metadata"]["name"] == "aws-prod-s3"
    assert by_id[s3]["spec"]["aws"]["resourceNames"] == ["lake-a", "lake-b"]
    assert by_id[kafka]["metadata"]["name"] == "aws-prod-vpce-svc-0123456789abcdef0"
    assert by_id[kafka]["spec"]["aws"]["domainNames"] == ["kafka.internal.example.com"]
    env.apply(yaml.safe_dump_all(docs))
    _all_ready(env, docs, "Manage")
    env.idle(8)
    assert writes(env) == {}


def test_export_refuses_what_the_operator_would_refuse(env: Env) -> None:
    """Host policy from the operator's settings: without the emulator allowed, no export."""
    env.account()
    refused = run_export(env, settings={"NCC_OPERATOR_ALLOWED_HOSTS": ""})
    assert refused.returncode != 0
    assert "127.0.0.1" in refused.stderr, refused.stderr
    assert refused.stdout == ""
    missing = run_export(env, account="nope")
    assert missing.returncode != 0
    assert "does not exist" in missing.stderr, missing.stderr
