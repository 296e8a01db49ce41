"""The chart without a cluster: lint, rendered objects (parsed, not grepped), schema, CRD copies.

Every case is a row with its reason; a failing row names itself.
"""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ncc_operator.settings import Settings
from tests.install.chart import (
    CHART,
    ROOT,
    HelmError,
    container,
    container_env,
    one,
    render,
    run_helm,
)

CRDS = ROOT / "crds"
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
SCHEMA = json.loads((CHART / "values.schema.json").read_text())


def test_lint_strict(helm: Path) -> None:
    out = run_helm(helm, "lint", "--strict", str(CHART), "--kube-version", "v1.37.2")
    assert "1 chart(s) linted, 0 chart(s) failed" in out, out


def test_chart_crds_are_the_top_level_crds() -> None:
    """One source of truth: `make chart-sync` copies crds/ into the chart."""
    top = sorted(p.name for p in CRDS.glob("*.yaml"))
    chart = sorted(p.name for p in (CHART / "crds").glob("*.yaml"))
    assert chart == top
    different = [
        name for name in top if not filecmp.cmp(CRDS / name, CHART / "crds" / name, shallow=False)
    ]
    assert not different, (
        f"helm/ncc-operator/crds differs from crds/ ({different}): run make chart-sync"
    )


def test_default_render_is_hardened(helm: Path) -> None:
    manifests = render(helm)
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    box = container(manifests)
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert box["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    # The read-only root needs a writable /tmp, and nothing else is mounted by default.
    assert box["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]  # noqa: S108
    assert box["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "healthz"}
    assert box["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "healthz"}
    assert {p["name"]: p["containerPort"] for p in box["ports"]} == {
        "metrics": 8080,
        "healthz": 8081,
    }
    assert box["args"] == ["run", "--liveness=http://0.0.0.0:8081/healthz", *LEADER_ARGS]
    assert box["resources"] == {
        "requests": {"cpu": "100m", "memory": "256Mi"},
        "limits": {"memory": "512Mi"},
    }
    deployment = one(manifests, "Deployment")["spec"]
    # One replica behind a Lease: an upgrade's new pod stands by until the old one let go.
    assert (deployment["replicas"], deployment["strategy"]) == (
        1,
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
    )
    service = one(manifests, "Service")["spec"]
    assert service["ports"] == [
        {"name": "metrics", "port": 8080, "targetPort": "metrics", "protocol": "TCP"}
    ]


LEADER_ARGS = [
    "--leader-election",
    "--leader-election-namespace=ops",
    "--leader-election-id=r-ncc-operator-leader",
    "--lease-duration=8",
]
LEASE_ROLE = [("Role", "ops"), ("RoleBinding", "ops")]


def kinds(manifests: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return sorted((m["kind"], m["metadata"].get("namespace")) for m in manifests)


# (values, expected (kind, namespace) of every object, why)
LAYOUTS: list[tuple[dict[str, Any], list[tuple[str, str | None]], str]] = [
    (
        {},
        [
            ("ClusterRole", None),
            ("ClusterRole", None),
            ("ClusterRoleBinding", None),
            ("ClusterRoleBinding", None),
            ("Deployment", "ops"),
            *LEASE_ROLE,
            ("Service", "ops"),
            ("ServiceAccount", "ops"),
        ],
        "cluster-wide by default: no Roles at all",
    ),
    (
        {"watchNamespaces": ["a", "b"]},
        [
            ("ClusterRole", None),
            ("ClusterRoleBinding", None),
            ("Deployment", "ops"),
            *LEASE_ROLE,
            ("Role", "a"),
            ("Role", "b"),
            ("RoleBinding", "a"),
            ("RoleBinding", "b"),
            ("Service", "ops"),
            ("ServiceAccount", "ops"),
        ],
        "namespaced: a Role per watched namespace; only cluster-scoped reads stay a ClusterRole",
    ),
    (
        {
            "podDisruptionBudget": {"enabled": True},
            "networkPolicy": {"enabled": True},
            "metrics": {"service": {"enabled": False}},
        },
        [
            ("ClusterRole", None),
            ("ClusterRole", None),
            ("ClusterRoleBinding", None),
            ("ClusterRoleBinding", None),
            ("Deployment", "ops"),
            *LEASE_ROLE,
            ("NetworkPolicy", "ops"),
            ("PodDisruptionBudget", "ops"),
            ("ServiceAccount", "ops"),
        ],
        "optional objects on, metrics Service off",
    ),
    (
        {"serviceAccount": {"create": False, "name": "existing"}},
        [
            ("ClusterRole", None),
            ("ClusterRole", None),
            ("ClusterRoleBinding", None),
            ("ClusterRoleBinding", None),
            ("Deployment", "ops"),
            *LEASE_ROLE,
            ("Service", "ops"),
        ],
        "bring your own ServiceAccount",
    ),
    (
        {"leaderElection": {"enabled": False}},
        [
            ("ClusterRole", None),
            ("ClusterRole", None),
            ("ClusterRoleBinding", None),
            ("ClusterRoleBinding", None),
            ("Deployment", "ops"),
            ("Service", "ops"),
            ("ServiceAccount", "ops"),
        ],
        "no leader election: no Lease Role",
    ),
]


@pytest.mark.parametrize(("values", "expected", "why"), LAYOUTS, ids=[row[2] for row in LAYOUTS])
def test_objects_rendered(
    helm: Path, values: dict[str, Any], expected: list[tuple[str, str | None]], why: str
) -> None:
    assert kinds(render(helm, values)) == sorted(expected), why


def test_namespaced_mode_args_and_bindings(helm: Path) -> None:
    manifests = render(helm, {"watchNamespaces": ["a", "b"]})
    assert container(manifests)["args"][1:] == [
        "--liveness=http://0.0.0.0:8081/healthz",
        "--namespace=a",
        "--namespace=b",
        *LEADER_ARGS,
    ]
    for binding in (m for m in manifests if m["kind"] in {"RoleBinding", "ClusterRoleBinding"}):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "r-ncc-operator", "namespace": "ops"}
        ]


def test_the_lease_role_grants_only_that_lease_in_the_release_namespace(helm: Path) -> None:
    manifests = render(helm, {"replicaCount": 2, "leaderElection": {"leaseDurationSeconds": 12}})
    role = next(m for m in manifests if m["kind"] == "Role")
    assert role["metadata"]["namespace"] == "ops"
    assert role["rules"] == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "resourceNames": ["r-ncc-operator-leader"],
            "verbs": ["get", "update"],
        },
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
    ]
    assert one(manifests, "Deployment")["spec"]["replicas"] == 2
    assert "--lease-duration=12" in container(manifests)["args"]


def test_without_leader_election_one_replica_never_overlaps(helm: Path) -> None:
    manifests = render(helm, {"leaderElection": {"enabled": False}})
    assert one(manifests, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}
    assert not [a for a in container(manifests)["args"] if a.startswith("--leader")]


def test_outbound_ranges_reach_the_operator_and_publish_needs_only_that_configmap(
    helm: Path,
) -> None:
    manifests = render(
        helm,
        {
            "outboundIpRanges": {
                "fileConfigMap": "ip-ranges-copy",
                "refreshSeconds": 3600,
                "publishConfigMap": "firewall/ncc-egress",
            }
        },
    )
    box = container(manifests)
    env = {e["name"]: e["value"] for e in box["env"] if "value" in e}
    path = env["NCC_OPERATOR_OUTBOUND_IP_RANGES_FILE"]
    assert env["NCC_OPERATOR_OUTBOUND_IP_RANGES_REFRESH_SECONDS"] == "3600"
    assert env["NCC_OPERATOR_OUTBOUND_IP_RANGES_CONFIGMAP"] == "firewall/ncc-egress"
    assert "NCC_OPERATOR_OUTBOUND_IP_RANGES_URL" not in env
    mount = next(m for m in box["volumeMounts"] if m["name"] == "ip-ranges")
    assert path == f"{mount['mountPath']}/ip-ranges.json"
    assert mount["readOnly"] is True
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "ip-ranges")
    assert volume["configMap"]["name"] == "ip-ranges-copy"
    roles = [
        m for m in manifests if m["kind"] == "Role" and m["metadata"]["namespace"] == "firewall"
    ]
    assert [r["rules"] for r in roles] == [
        [
            {
                "apiGroups": [""],
                "resources": ["configmaps"],
                "resourceNames": ["ncc-egress"],
                "verbs": ["create", "patch"],
            }
        ]
    ]
    assert not [m for m in render(helm) if "ip-ranges" in m["metadata"]["name"]], "off by default"


def test_workload_identity_projects_the_token_where_the_operator_reads_it(helm: Path) -> None:
    path = "/var/run/secrets/custom/dbx-token"
    manifests = render(
        helm,
        {
            "workloadIdentity": {
                "enabled": True,
                "audience": "acct-123",
                "tokenPath": path,
                "expirationSeconds": 7200,
            }
        },
    )
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    [projected] = [v for v in pod["volumes"] if "projected" in v]
    assert projected["projected"]["sources"] == [
        {
            "serviceAccountToken": {
                "audience": "acct-123",
                "expirationSeconds": 7200,
                "path": "dbx-token",
            }
        }
    ]
    mounts = {m["name"]: m for m in container(manifests)["volumeMounts"]}
    assert mounts[projected["name"]] == {
        "name": projected["name"],
        "mountPath": "/var/run/secrets/custom",
        "readOnly": True,
    }
    assert container_env(manifests)["NCC_OPERATOR_WORKLOAD_IDENTITY_TOKEN_PATH"] == path


def test_settings_reach_the_operator_as_its_own_defaults(helm: Path) -> None:
    """The chart's defaults are the operator's defaults: parsed by the operator's own Settings."""
    env = container_env(render(helm))
    parsed = Settings.from_env(env)
    assert parsed == Settings(), parsed
    custom = Settings.from_env(
        container_env(
            render(
                helm,
                {
                    "settings": {
                        "allowedHosts": ["127.0.0.1", "dbx.internal:8443"],
                        "allowHttp": True,
                        "fastSeconds": 0.5,
                    }
                },
            )
        )
    )
    assert (custom.allowed_hosts, custom.allow_http, custom.fast_seconds) == (
        ["127.0.0.1", "dbx.internal:8443"],
        True,
        0.5,
    )


# (values, why): each must be refused by values.schema.json (or the chart's own check).
REJECTED: list[tuple[dict[str, Any], str]] = [
    ({"settings": {"fastSeconds": "fast"}}, "a number given as a word"),
    ({"settings": {"resyncSeconds": 0}}, "an interval of zero"),
    ({"watchNamespaces": "team-a"}, "a string where a list is needed"),
    ({"watchNamespaces": ["Team_A"]}, "not a namespace name"),
    ({"metrics": {"port": 70000}}, "a port out of range"),
    ({"probes": {"port": "8081"}}, "a port as a string"),
    ({"image": {"pullPolicy": "Sometimes"}}, "an unknown pull policy"),
    ({"image": {"digest": "latest"}}, "a digest that is not sha256:..."),
    ({"replicas": 2}, "the value is replicaCount"),
    ({"replicaCount": 0}, "no replica at all"),
    (
        {"replicaCount": 2, "leaderElection": {"enabled": False}},
        "two replicas without a Lease would both act",
    ),
    ({"leaderElection": {"leaseDurationSeconds": 1}}, "a lease too short to renew"),
    (
        {"metrics": {"prometheusRule": {"runbookBaseUrl": "docs/runbooks.md"}}},
        "a runbook base that is not a URL",
    ),
    ({"metrics": {"serviceMonitor": {"interval": 30}}}, "a scrape interval without a unit"),
    (
        {"outboundIpRanges": {"url": "https://www.databricks.com/x.json", "fileConfigMap": "c"}},
        "two sources of outbound ranges",
    ),
    ({"outboundIpRanges": {"publishConfigMap": "no-namespace"}}, "a ConfigMap without namespace"),
    ({"settings": {"allowedHosts": "a,b"}}, "allowedHosts is a list, not a comma-separated string"),
    ({"workloadIdentity": {"enabled": True}}, "workload identity without an audience"),
    ({"workloadIdentity": {"tokenPath": "token"}}, "a relative token path"),
    ({"serviceAccount": {"create": "yes"}}, "a boolean given as a word"),
]


@pytest.mark.parametrize(("values", "why"), REJECTED, ids=[row[1] for row in REJECTED])
def test_wrong_values_are_rejected(helm: Path, values: dict[str, Any], why: str) -> None:
    with pytest.raises(HelmError) as failure:
        render(helm, values)
    assert (
        "values don't meet the specifications" in failure.value.stderr
        or "workloadIdentity" in failure.value.stderr
        or "replicaCount > 1 needs leaderElection.enabled" in failure.value.stderr
        or "set url or fileConfigMap, not both" in failure.value.stderr
    ), why


def defaults(schema: dict[str, Any]) -> Any:
    if schema.get("type") == "object" and "properties" in schema and "default" not in schema:
        return {key: defaults(sub) for key, sub in schema["properties"].items()}
    return schema["default"]


def test_schema_defaults_are_the_values_file() -> None:
    """The docs table is generated from the schema: its defaults must be values.yaml's."""
    assert defaults(SCHEMA) == VALUES


def test_values_table_in_docs_is_generated_from_the_schema() -> None:
    proc = subprocess.run(  # our own generator
        [sys.executable, str(ROOT / "helm" / "values_table.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
