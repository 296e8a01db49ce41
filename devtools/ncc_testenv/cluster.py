"""A handle on a Kubernetes API server reachable through a kubeconfig: ours or an existing one.

Owns running kubectl against it and the environment handed to subprocesses (operators, helm, ...).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class KubectlError(subprocess.CalledProcessError):
    """kubectl failed; unlike CalledProcessError, the message carries kubectl's stderr."""

    def __str__(self) -> str:
        return f"{super().__str__()}\nstderr: {self.stderr}"


@dataclass
class Cluster:
    kubeconfig: Path
    server: str
    kubectl_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        """Environment for subprocesses: the caller's, with KUBECONFIG pointing here."""
        return {**os.environ, **self.extra_env, "KUBECONFIG": str(self.kubeconfig)}

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this cluster; raises KubectlError (with stderr) when check fails."""
        cmd = [str(self.kubectl_path), "--kubeconfig", str(self.kubeconfig), *args]
        proc = subprocess.run(  # noqa: S603 - our own pinned kubectl, argv list
            cmd,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            check=False,
        )
        if check and proc.returncode != 0:
            raise KubectlError(proc.returncode, cmd, proc.stdout, proc.stderr)
        return proc

    def stop(self) -> float:
        """Nothing to stop for a cluster we did not start; returns seconds spent (0)."""
        return 0.0


def server_of(kubeconfig: Path) -> str:
    """The server URL of the current context of a kubeconfig file."""
    config: dict[str, Any] = yaml.safe_load(kubeconfig.read_text()) or {}
    current = config.get("current-context")
    contexts = {c["name"]: c.get("context", {}) for c in config.get("contexts") or []}
    clusters = {c["name"]: c.get("cluster", {}) for c in config.get("clusters") or []}
    context = contexts.get(current or "", {})
    server = clusters.get(context.get("cluster", ""), {}).get("server")
    if not server:
        raise ValueError(f"{kubeconfig}: the current context {current!r} names no cluster server")
    return str(server)


def existing_cluster(kubectl_path: Path) -> Cluster:
    """The cluster KUBECONFIG points at (NCC_TESTENV_USE_EXISTING_CLUSTER=1), e.g. kind."""
    raw = os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    kubeconfig = Path(raw.split(os.pathsep)[0]).expanduser()
    if not kubeconfig.is_file():
        raise FileNotFoundError(
            f"NCC_TESTENV_USE_EXISTING_CLUSTER=1 but no kubeconfig at {kubeconfig}; set KUBECONFIG"
        )
    return Cluster(kubeconfig=kubeconfig, server=server_of(kubeconfig), kubectl_path=kubectl_path)
