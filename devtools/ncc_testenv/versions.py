"""Pinned versions of every control-plane tool and where their binaries are cached.

One place to bump: a new version changes the cache stamps, so the next ``ensure`` rebuilds.
"""

from __future__ import annotations

import os
from pathlib import Path

# kube-apiserver and kubectl come from k8s.io/kubernetes (module tools/controlplane/kubernetes).
KUBERNETES_VERSION = "v1.37.2"
# The etcd that Kubernetes 1.37 is built and tested against: kubeadm's DefaultEtcdVersion "3.7.0-0",
# build/dependencies.yaml and hack/lib/etcd.sh of k8s.io/kubernetes v1.37.2 all name 3.7.0.
ETCD_VERSION = "v3.7.0"
HELM_VERSION = "v3.22.0"
# The prometheus Go module numbers Prometheus 3.x releases as v0.3xx: v0.316.0 is Prometheus 3.16.0.
PROMETHEUS_MODULE_VERSION = "v0.316.0"
PROMETHEUS_VERSION = "3.16.0"
# Go must be at least this (the go directive of k8s.io/kubernetes and etcd 3.7 go.mod files).
MINIMUM_GO = (1, 26)

TOOL_NAMES = ("kube-apiserver", "etcd", "kubectl", "helm", "promtool")


def cache_root() -> Path:
    """``${XDG_CACHE_HOME:-~/.cache}/ncc-operator``: shared by the binaries and the CLI state."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ncc-operator"


def binaries_dir() -> Path:
    """Where built binaries live; keyed by the Kubernetes version, per-binary stamps do the rest."""
    return cache_root() / "controlplane" / KUBERNETES_VERSION


def go_modules_dir() -> Path:
    """``tools/controlplane`` of this repository (the Go wrapper modules we build from)."""
    override = os.environ.get("NCC_TESTENV_GO_MODULES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "tools" / "controlplane"
