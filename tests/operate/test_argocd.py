"""ArgoCD health checks: real Lua 5.1 over ArgoCD's ``health_test.yaml`` cases, the argocd-cm
snippet carrying the same scripts, and the health of objects whose status the operator really
wrote (a cluster story), whose shapes must match the committed testdata.

The testdata of the captured states were written from that story
(``NCC_ARGOCD_WRITE_TESTDATA=1 pytest tests/operate/test_argocd.py``, namespace renamed
``team-a``); the story test fails if the operator's real status no longer has their shape.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml

from tests.cluster.conftest import Env
from tests.cluster.rules_support import RULE_KIND, ready_ncc

from .lua_health import ARGOCD, GROUP, KINDS, health, kind_dir
from .story import established, pending, rejected

SCRIPT = (ARGOCD / "health.lua").read_text()
PLURALS = {
    "DatabricksAccount": "databricksaccounts",
    "NetworkConnectivityConfig": "networkconnectivityconfigs",
    "PrivateEndpointRule": "privateendpointrules",
}


def cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for kind in KINDS:
        spec = yaml.safe_load((kind_dir(kind) / "health_test.yaml").read_text())
        out += [(kind, test) for test in spec["tests"]]
    return out


@pytest.mark.parametrize(
    ("kind", "case"), cases(), ids=[f"{k}:{c['inputPath']}" for k, c in cases()]
)
def test_health_test_yaml_cases(kind: str, case: dict[str, Any]) -> None:
    script = (kind_dir(kind) / "health.lua").read_text()
    obj = yaml.safe_load((kind_dir(kind) / case["inputPath"]).read_text())
    assert obj["kind"] == kind
    expected = case["healthStatus"]
    assert health(script, obj) == (expected["status"], expected["message"])


def test_every_kind_ships_the_same_script_and_every_health_status() -> None:
    statuses: set[str] = set()
    for kind in KINDS:
        assert (kind_dir(kind) / "health.lua").read_text() == SCRIPT, kind
    for _, case in cases():
        statuses.add(case["healthStatus"]["status"])
    assert statuses == {"Healthy", "Progressing", "Degraded", "Suspended"}


def test_argocd_cm_snippet_carries_the_scripts() -> None:
    cm = yaml.safe_load((ARGOCD / "argocd-cm.yaml").read_text())
    assert cm["kind"] == "ConfigMap"
    assert cm["metadata"]["name"] == "argocd-cm"
    for kind in KINDS:
        assert cm["data"][f"resource.customizations.health.{GROUP}_{kind}"] == SCRIPT, kind


# -- the real thing: status written by the operator --------------------------------------------

# name -> (kind, testdata file, expected ArgoCD status)
CAPTURED = {
    "main": ("DatabricksAccount", "healthy.yaml", "Healthy"),
    "prod": ("NetworkConnectivityConfig", "healthy.yaml", "Healthy"),
    "blob": ("PrivateEndpointRule", "established.yaml", "Healthy"),
    "queue": ("PrivateEndpointRule", "awaiting-approval.yaml", "Progressing"),
    "sql": ("PrivateEndpointRule", "rejected.yaml", "Degraded"),
    "lake": ("PrivateEndpointRule", "disconnected.yaml", "Degraded"),
    "blob-twin": ("PrivateEndpointRule", "conflict.yaml", "Degraded"),
    "held": ("PrivateEndpointRule", "paused.yaml", "Suspended"),
}
NOT_OBSERVED = ("PrivateEndpointRule", "generation-not-observed.yaml", "Progressing")


def shape(obj: dict[str, Any]) -> dict[str, Any]:
    """What the health verdict depends on, without names, ids, times and messages."""
    meta, status = obj.get("metadata", {}), obj.get("status", {})
    generation = meta.get("generation")
    return {
        "kind": obj.get("kind"),
        "paused": meta.get("annotations", {}).get("ncc-operator.io/paused"),
        "observed": status.get("observedGeneration") == generation,
        "conditions": sorted(
            (c["type"], c["status"], c.get("reason"), c.get("observedGeneration") == generation)
            for c in status.get("conditions", [])
        ),
        "connectionState": status.get("atProvider", {}).get("connectionState"),
    }


def sanitized(obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    """A committed testdata object: the real one, namespace renamed, server bookkeeping gone."""
    meta = obj["metadata"]
    keep = {
        "name": meta["name"],
        "namespace": "team-a",
        "generation": meta["generation"],
        "creationTimestamp": meta.get("creationTimestamp"),
    }
    ours = {
        k: v for k, v in meta.get("annotations", {}).items() if k.startswith("ncc-operator.io/")
    }
    if ours:
        keep["annotations"] = ours
    text = json.dumps({**obj, "metadata": keep}).replace(namespace, "team-a")
    clean: dict[str, Any] = json.loads(text)
    return clean


def capture(env: Env) -> dict[str, dict[str, Any]]:
    ready_ncc(env)
    for name in ("blob", "queue", "sql", "lake"):
        env.azure_rule(name)
    established(env, "blob")
    pending(env, "queue")
    rejected(env, "sql")
    env.emulator.admin.disconnect(established(env, "lake"))
    env.wait_reason(RULE_KIND, "lake", "Disconnected")
    env.azure_rule("blob-twin", storage="blob")
    env.wait_reason(RULE_KIND, "blob-twin", "Conflict", type_="Synced")
    env.apply(
        f"""
apiVersion: {GROUP}/v1alpha1
kind: PrivateEndpointRule
metadata:
  name: held
  annotations: {{ncc-operator.io/paused: "true"}}
spec:
  nccRef: {{name: prod}}
  azure: {{resourceId: "{_resource("held")}", groupId: blob}}
"""
    )
    env.wait_for(RULE_KIND, "held", lambda o: bool(o.get("status")), what="any status")
    live = {name: env.get(PLURALS[kind], name) for name, (kind, _, _) in CAPTURED.items()}
    # A spec change the operator has not seen yet (it is stopped): generation 2, observed 1.
    env.operator.stop()
    env.kubectl(
        "patch", RULE_KIND, "queue", "--type=merge", "-p", '{"spec":{"deletionPolicy":"Orphan"}}'
    )
    live["queue@2"] = env.get(RULE_KIND, "queue")
    return live


def _resource(name: str) -> str:
    from tests.cluster.conftest import AZURE_STORAGE  # noqa: PLC0415

    return AZURE_STORAGE.format(name=name)


def test_health_of_status_the_operator_really_wrote(env: Env) -> None:
    live = capture(env)
    expected = {**CAPTURED, "queue@2": NOT_OBSERVED}
    write = os.environ.get("NCC_ARGOCD_WRITE_TESTDATA") == "1"
    verdicts = {}
    for name, (kind, filename, status) in expected.items():
        obj = live[name]
        verdicts[name] = (health(SCRIPT, obj)[0], status)
        path = kind_dir(kind) / "testdata" / filename
        if write:
            path.write_text(yaml.safe_dump(sanitized(obj, env.namespace), sort_keys=False))
        committed = yaml.safe_load(path.read_text())
        assert shape(committed) == shape(obj), f"{path.name} no longer looks like {name}"
    assert {n: v[0] for n, v in verdicts.items()} == {n: v[1] for n, v in verdicts.items()}
