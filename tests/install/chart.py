"""The chart as tests see it: ``helm template`` parsed into objects, ``helm install``, and the
ServiceAccount identity (TokenRequest API -> kubeconfig) the operator runs with in these tests.

Rendering goes through the real ``helm`` binary (the pinned one of ncc_testenv.tools), and every
assertion is made on parsed YAML, never on text.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ncc_testenv.cluster import Cluster

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "ncc-operator"
# The pinned control plane's version: helm's own default (without a cluster) predates kubeVersion.
KUBE_VERSION = "v1.37.2"

Manifest = dict[str, Any]


def run_helm(helm: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(  # our pinned helm, argv list
        [str(helm), *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    if proc.returncode != 0:
        raise HelmError(proc.returncode, args, proc.stdout, proc.stderr)
    return proc.stdout


class HelmError(subprocess.CalledProcessError):
    def __str__(self) -> str:
        return f"helm {' '.join(self.cmd)} failed ({self.returncode}):\n{self.stderr}"


def set_args(values: dict[str, Any]) -> list[str]:
    """``--set-json`` per top-level key: exact types, no helm string-parsing surprises."""
    return [
        arg for key, value in values.items() for arg in ("--set-json", f"{key}={json.dumps(value)}")
    ]


def render(
    helm: Path, values: dict[str, Any] | None = None, *, release: str = "r", namespace: str = "ops"
) -> list[Manifest]:
    out = run_helm(
        helm,
        "template",
        release,
        str(CHART),
        "--namespace",
        namespace,
        "--kube-version",
        KUBE_VERSION,
        *set_args(values or {}),
    )
    return [doc for doc in yaml.safe_load_all(out) if doc]


def one(manifests: Iterable[Manifest], kind: str, name: str | None = None) -> Manifest:
    found = [m for m in manifests if m["kind"] == kind and name in (None, m["metadata"]["name"])]
    assert len(found) == 1, (
        f"expected one {kind} {name or ''}, got {[m['metadata'] for m in found]}"
    )
    return found[0]


def container(manifests: Iterable[Manifest]) -> Manifest:
    containers = one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def container_env(manifests: Iterable[Manifest]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(manifests).get("env", [])}


@dataclass
class Release:
    """A ``helm install`` of the chart into the test control plane, and its ServiceAccount."""

    helm: Path
    admin: Cluster
    name: str
    namespace: str
    values: dict[str, Any]
    manifests: list[Manifest] = field(default_factory=list)
    """What ``helm get manifest`` says was installed."""

    @property
    def service_account(self) -> str:
        return f"{self.name}-ncc-operator"

    def install(self) -> list[Manifest]:
        # No --wait: the test control plane has no kubelet or controllers, pods never run.
        run_helm(
            self.helm,
            "install",
            self.name,
            str(CHART),
            "--namespace",
            self.namespace,
            *set_args(self.values),
            env=self.admin.env,
        )
        out = run_helm(
            self.helm, "get", "manifest", self.name, "-n", self.namespace, env=self.admin.env
        )
        self.manifests = [doc for doc in yaml.safe_load_all(out) if doc]
        return self.manifests

    def uninstall(self) -> None:
        run_helm(self.helm, "uninstall", self.name, "-n", self.namespace, env=self.admin.env)

    def identity(self, workdir: Path) -> Cluster:
        """A kubeconfig holding only a TokenRequest token of the release's ServiceAccount."""
        return token_cluster(self.admin, self.namespace, self.service_account, workdir)


def token_cluster(admin: Cluster, namespace: str, account: str, workdir: Path) -> Cluster:
    token = admin.kubectl(
        "-n", namespace, "create", "token", account, "--duration=2h"
    ).stdout.strip()
    admin_config = yaml.safe_load(admin.kubeconfig.read_text())
    ca = admin_config["clusters"][0]["cluster"]["certificate-authority-data"]
    base64.b64decode(ca, validate=True)  # the admin kubeconfig embeds the CA: reuse it as is
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "c", "cluster": {"server": admin.server, "certificate-authority-data": ca}}
        ],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [
            {"name": "c", "context": {"cluster": "c", "user": account, "namespace": namespace}}
        ],
        "current-context": "c",
    }
    path = workdir / f"{namespace}-{account}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return Cluster(kubeconfig=path, server=admin.server, kubectl_path=admin.kubectl_path)
