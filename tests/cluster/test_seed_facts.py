"""The research's facts, as a user sees them in the cluster (docs/concepts.md).

- A rule whose AWS endpoint service is in another region than its NCC gets a Warning event and a
  Ready message saying cross-region transfer is charged; it still works. A same-region one gets
  neither.
- An AWS NCC's Ready message says its stable IPs are the legacy mechanism.
- An NCC shows the outbound IP ranges the emulator serves for its cloud and region (the operator
  is pointed at the emulator's ``ip-ranges.json``), publishes them to a ConfigMap, follows a
  changed document on refresh, and keeps the last good copy when the feed fails.
- Publishing needs exactly ``create`` and ``patch`` on that one ConfigMap (server-side apply of
  a missing object is authorized as ``create`` as well), proven with a ServiceAccount's token.
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ncc_emulator.ipranges import FIXTURE, PATH
from ncc_emulator.testing import RunningEmulator
from ncc_operator.resources.ipranges import ConfigMapPublisher
from ncc_operator.resources.ipranges_feed import FeedUnavailableError, configmap_data, parse_feed
from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import Env, running
from tests.cluster.rules_support import NCC_KIND, RULE_KIND, ready, ready_ncc

REFRESH_SECONDS = 3.0
CONFIGMAP = "ncc-outbound-ip-ranges"
VPCE = "com.amazonaws.vpce.{}.vpce-svc-0123456789abcdef0"


def _settings(namespace: str, emulator: RunningEmulator) -> dict[str, str]:
    return {
        "NCC_OPERATOR_OUTBOUND_IP_RANGES_URL": emulator.base_url + PATH,
        "NCC_OPERATOR_OUTBOUND_IP_RANGES_REFRESH_SECONDS": str(REFRESH_SECONDS),
        "NCC_OPERATOR_OUTBOUND_IP_RANGES_CONFIGMAP": f"{namespace}/{CONFIGMAP}",
    }


@pytest.fixture
def aws_facts_env(
    crds: Cluster,
    namespace: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> Iterator[Env]:
    emulator = emulator_factory(cloud="aws", workspaces=[(1111, "us-east-1")])
    log = tmp_path / "operator.log"
    with running(crds, namespace, emulator, log, settings=_settings(namespace, emulator)) as env:
        yield env


@pytest.fixture
def azure_facts_env(
    crds: Cluster,
    namespace: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> Iterator[Env]:
    emulator = emulator_factory(cloud="azure", workspaces=[(1111, "eastus2")])
    log = tmp_path / "operator.log"
    with running(crds, namespace, emulator, log, settings=_settings(namespace, emulator)) as env:
        yield env


def _warnings(env: Env, name: str) -> list[dict[str, Any]]:
    return [e for e in env.events(name) if e.get("type") == "Warning"]


def _warned_about(env: Env, name: str, text: str) -> Callable[[dict[str, Any]], bool]:
    def warned(_: dict[str, Any]) -> bool:
        return any(text in e["message"] for e in _warnings(env, name))

    return warned


CASES = [
    # (rule name, aws target, settles at, cross-region, why)
    (
        "far-service",
        f"{{endpointService: {VPCE.format('us-west-2')}, domainNames: [db.example.com]}}",
        "AwaitingApproval",
        True,
        "a customer's endpoint service in us-west-2 for an NCC in us-east-1",
    ),
    (
        "far-bucket",
        "{endpointService: com.amazonaws.us-west-2.s3, resourceNames: [far-bucket]}",
        "Established",
        True,
        "S3 through the us-west-2 endpoint service",
    ),
    (
        "near-service",
        f"{{endpointService: {VPCE.format('us-east-1')}, domainNames: [db.example.com]}}",
        "AwaitingApproval",
        False,
        "same region: no warning",
    ),
]


def test_cross_region_targets_warn_and_same_region_ones_do_not(aws_facts_env: Env) -> None:
    env = aws_facts_env
    ready_ncc(env, region="us-east-1")
    # The create pass says "created"; the first observe after it (one fast interval) reads the
    # egress config and says what the stable IPs are.
    ncc = env.wait_for(
        NCC_KIND,
        "prod",
        lambda o: "decommissioned after 25 May 2026" in ready(o).get("message", ""),
        what="Ready names the stable IPs as legacy",
    )
    assert ncc["status"]["atProvider"]["egressConfig"]["awsStableIpCidrBlocks"]
    for name, target, _, _, _ in CASES:
        env.rule(name, "aws", target)
    for name, _, settles, cross, why in CASES:
        settled = env.wait_reason(RULE_KIND, name, settles)
        message = ready(settled)["message"]
        assert ("cross-region data transfer" in message) == cross, (why, message)
        if cross:
            assert "is in us-west-2, but the NCC is in us-east-1" in message, why
            env.wait_for(
                RULE_KIND,
                name,
                _warned_about(env, name, "us-west-2"),
                what=f"a Warning event naming us-west-2 for {name}",
            )
    # Everything has settled and been announced: the same-region rule got no Warning at all.
    assert _warnings(env, "near-service") == [], _warnings(env, "near-service")


def _ranges(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(obj.get("status", {}).get("atProvider", {}).get("outboundIpRanges") or {})


def _configmap(env: Env) -> dict[str, str]:
    out = env.kubectl("get", "configmap", CONFIGMAP, "-o", "json", check=False)
    try:
        return dict(json.loads(out).get("data") or {})
    except ValueError:
        return {}


def test_an_ncc_shows_and_publishes_the_outbound_ranges_of_its_region(
    azure_facts_env: Env,
) -> None:
    env = azure_facts_env
    url = env.emulator.base_url + PATH
    ready_ncc(env, region="eastus2")
    ncc = env.wait_for(NCC_KIND, "prod", lambda o: "ipv4" in _ranges(o), what="outbound ranges")
    shown = _ranges(ncc)
    assert shown["source"] == url
    assert shown["ipv4"] == ["203.0.113.16/28"], "eastus2 outbound only (inbound left out)"
    assert shown["ipv6"] == ["2001:db8::/48"]
    assert shown["feedTimestamp"] == "2026-09-07T05:38:00Z"
    assert "error" not in shown
    env.wait_for(NCC_KIND, "prod", lambda o: "configMap" in _ranges(o), what="configMap")
    data = _configmap(env)
    assert data["azure.eastus2"] == "203.0.113.16/28\n2001:db8::/48\n"
    assert data["aws.us-east-1"] == "192.0.2.16/28\n198.51.100.0/25\n", "every region published"
    assert json.loads(data["ranges.json"])["source"] == url

    # Databricks publishes new ranges: the next refresh shows and publishes them.
    changed = {
        "timestampSeconds": 1790000000,
        "schemaVersion": "1.0",
        "prefixes": [
            {
                "platform": "azure",
                "region": "eastus2",
                "service": "Databricks",
                "type": "outbound",
                "ipv4Prefixes": ["203.0.113.128/26"],
                "ipv6Prefixes": [],
            }
        ],
    }
    env.emulator.admin.serve_ip_ranges(changed)
    env.wait_for(
        NCC_KIND,
        "prod",
        lambda o: _ranges(o).get("ipv4") == ["203.0.113.128/26"],
        what="the refreshed ranges",
    )
    wait_cm = env.wait_for(
        NCC_KIND, "prod", lambda _o: _configmap(env).get("azure.eastus2") == "203.0.113.128/26\n"
    )
    assert wait_cm

    # The feed fails: the last good copy stays, and the status says why.
    env.emulator.admin.serve_ip_ranges(status=503)
    failed = env.wait_for(NCC_KIND, "prod", lambda o: "error" in _ranges(o), what="the error")
    assert _ranges(failed)["ipv4"] == ["203.0.113.128/26"]
    assert "HTTP 503" in _ranges(failed)["error"]
    assert ready(failed)["status"] == "True", "a feed outage does not make the NCC unready"
    assert _configmap(env).get("azure.eastus2") == "203.0.113.128/26\n"


# --- the RBAC publishing needs (for the chart: docs/operator.md) -----------------------------


class _TokenSender:
    """Kubernetes API calls with a ServiceAccount token (not the admin kubeconfig)."""

    def __init__(self, cluster: Cluster, token: str, ca: Path) -> None:
        self._http = httpx.AsyncClient(
            base_url=cluster.server,
            verify=ssl.create_default_context(cafile=str(ca)),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=30,
        )

    async def send(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        return await self._http.request(method, path, **kwargs)

    async def close(self) -> None:
        await self._http.aclose()


def _ca_file(cluster: Cluster, tmp_path: Path) -> Path:
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    entry = config["clusters"][0]["cluster"]
    if "certificate-authority" in entry:
        return Path(entry["certificate-authority"])
    ca = tmp_path / "ca.crt"
    ca.write_bytes(base64.b64decode(entry["certificate-authority-data"]))
    return ca


RBAC = [
    # (verbs granted on the one ConfigMap, first publish ok, why)
    (["create", "patch"], True, "create + patch, restricted to the ConfigMap's name, suffice"),
    (["patch"], False, "server-side apply of a missing object is authorized as create too"),
]


@pytest.mark.parametrize("case", RBAC, ids=[c[2] for c in RBAC])
async def test_publishing_needs_create_and_patch_on_that_one_configmap(
    crds: Cluster, namespace: str, tmp_path: Path, case: tuple[list[str], bool, str]
) -> None:
    verbs, ok, why = case
    account = "ranges-publisher"
    crds.kubectl(
        "-n",
        namespace,
        "apply",
        "-f",
        "-",
        input=f"""
apiVersion: v1
kind: ServiceAccount
metadata: {{name: {account}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: {account}}}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    resourceNames: [{CONFIGMAP}]
    verbs: {json.dumps(verbs)}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: {account}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {account}}}
subjects: [{{kind: ServiceAccount, name: {account}, namespace: {namespace}}}]
""",
    )
    token = crds.kubectl("-n", namespace, "create", "token", account).stdout.strip()
    sender = _TokenSender(crds, token, _ca_file(crds, tmp_path))
    feed = parse_feed(json.dumps(FIXTURE))
    data = configmap_data(feed, "fixture", "2026-12-01T00:00:00Z")
    try:
        publisher = ConfigMapPublisher(sender, namespace, CONFIGMAP)
        if not ok:
            with pytest.raises(FeedUnavailableError, match="needs create and patch") as refused:
                await publisher.publish(data)
            assert CONFIGMAP in str(refused.value), why
            return
        await publisher.publish(data)  # creates it
        await publisher.publish({"azure.eastus2": "203.0.113.1/32\n"})  # replaces our keys
        stored = json.loads(
            crds.kubectl("-n", namespace, "get", "configmap", CONFIGMAP, "-o", "json").stdout
        )
        assert stored["data"] == {"azure.eastus2": "203.0.113.1/32\n"}, ("stale keys go", why)
        other = ConfigMapPublisher(sender, namespace, "something-else")
        with pytest.raises(FeedUnavailableError, match="may not write"):
            await other.publish(data)
    finally:
        await sender.close()
