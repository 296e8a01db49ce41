"""Cluster-test harness: real apiserver + our CRDs + the emulator + the operator as a process.

Each test gets a fresh namespace, a fresh emulator, and its own operator process watching only
that namespace (``ncc-operator run --namespace``), so tests cannot see each other and a test can
SIGKILL and restart "its" operator. Polling intervals are shrunk through the operator's settings
environment so that transitions show up within seconds.
"""

from __future__ import annotations

import json
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ncc_emulator.testing import RunningEmulator
from ncc_testenv import processes
from ncc_testenv.cluster import Cluster

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "crds"
GROUP = "networking.ncc-operator.io"
VERSION = "v1alpha1"

FAST_ENV = {
    "NCC_OPERATOR_RESYNC_SECONDS": "6",
    "NCC_OPERATOR_FAST_SECONDS": "1",
    "NCC_OPERATOR_ACCOUNT_RESYNC_SECONDS": "2",
    "NCC_OPERATOR_METRICS_PORT": "0",
    # The emulator is plain HTTP on loopback: the operator calls it only when told to.
    "NCC_OPERATOR_ALLOWED_HOSTS": "127.0.0.1",
    "NCC_OPERATOR_ALLOW_HTTP": "true",
}

AZURE_STORAGE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/"
    "Microsoft.Storage/storageAccounts/{name}"
)
AZURE_PLS = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/"
    "Microsoft.Network/privateLinkServices/{name}"
)
"""A customer's Private Link Service: the Azure target with domain names (updatable)."""


def free_port() -> int:
    """A loopback TCP port that is free now (for an operator's metrics or health endpoint)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def crds(control_plane: Cluster) -> Cluster:
    """Our CRDs, applied once per session and Established."""
    control_plane.kubectl("apply", "-f", str(CRDS))
    control_plane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
    return control_plane


@dataclass
class Operator:
    """One ``ncc-operator run`` process watching one namespace (plus ``extra_namespaces``).

    Started, identified and stopped by :mod:`ncc_testenv.processes` (its own process group, dies
    with pytest even on a hard kill); ``process`` is that handle while it runs.
    """

    cluster: Cluster
    namespace: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    process: processes.Process | None = None
    extra_namespaces: list[str] = field(default_factory=list)
    """More namespaces to watch (cross-namespace tests); each becomes another ``--namespace``."""
    args: list[str] = field(default_factory=list)
    """More ``run`` options (leader election); later options win over the defaults above."""

    STOP_GRACE = 20.0
    """Seconds a stopped operator has to shut down before its group is SIGKILLed."""

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The argv and environment to start (subclasses run the operator another way)."""
        argv = [
            sys.executable,
            "-m",
            "ncc_operator",
            "run",
            "--namespace",
            self.namespace,
            *[arg for extra in self.extra_namespaces for arg in ("--namespace", extra)],
            "--liveness",
            "",
            *self.args,
        ]
        return argv, {**self.cluster.env, **FAST_ENV, **self.env}

    def start(self) -> None:
        assert self.process is None, "already running"
        argv, environment = self.command()
        self.process = processes.start(argv, self.log, env=environment, cwd=ROOT)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            processes.stop(self.process, sig=sig, grace=self.STOP_GRACE)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Env:
    """Everything a cluster test touches, with small helpers over kubectl."""

    cluster: Cluster
    namespace: str
    emulator: RunningEmulator
    operator: Operator

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> str:
        proc = self.cluster.kubectl("-n", self.namespace, *args, input=input, check=check)
        return proc.stdout + (proc.stderr if not check else "")

    def apply(self, manifest: str) -> str:
        return self.kubectl("apply", "-f", "-", input=manifest)

    def get(self, kind: str, name: str) -> dict[str, Any]:
        out = self.cluster.kubectl(
            "-n", self.namespace, "get", kind, name, "-o", "json", check=False
        )
        return json.loads(out.stdout) if out.returncode == 0 else {}

    def condition(self, kind: str, name: str, type_: str = "Ready") -> dict[str, Any]:
        for cond in self.get(kind, name).get("status", {}).get("conditions", []):
            if cond.get("type") == type_:
                return dict(cond)
        return {}

    def wait_for(
        self,
        kind: str,
        name: str,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 45.0,
        what: str = "condition",
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            last = self.get(kind, name)
            if predicate(last):
                return last
            time.sleep(0.3)
        # The object's own log lines first: a CI summary may keep only the message's start.
        logs = self.operator.logs()
        own = [line for line in logs.splitlines() if f"/{name}" in line][-12:]
        raise AssertionError(
            f"timed out waiting for {what} on {kind}/{name}; last status: "
            f"{json.dumps(last.get('status'))}\noperator log lines naming {name}:\n"
            + "\n".join(line[:400] for line in own)
            + f"\noperator log tail:\n{logs[-3000:]}"
        )

    def wait_reason(
        self, kind: str, name: str, reason: str, *, type_: str = "Ready", timeout: float = 45.0
    ) -> dict[str, Any]:
        def has(obj: dict[str, Any]) -> bool:
            conds = obj.get("status", {}).get("conditions", [])
            return any(c.get("type") == type_ and c.get("reason") == reason for c in conds)

        return self.wait_for(kind, name, has, timeout=timeout, what=f"{type_}={reason}")

    def idle(self, seconds: float) -> None:
        """Let ``seconds`` pass in which the test expects nothing to change, and prove the
        operator was alive through them: it must have called the emulator (the account resync
        alone does every 2 s here). Without that, "nothing happened" would also pass for a
        wedged or crashed operator."""
        before = sum(self.emulator.admin.request_counts().values())
        time.sleep(seconds)
        after = sum(self.emulator.admin.request_counts().values())
        assert after > before, (
            f"the operator made no Databricks call in {seconds:g} s: it is wedged, so a window "
            f"in which nothing happened proves nothing\noperator log tail:\n"
            f"{self.operator.logs()[-3000:]}"
        )

    def wait_gone(self, kind: str, name: str, *, timeout: float = 45.0) -> None:
        self.wait_for(kind, name, lambda obj: not obj, timeout=timeout, what="deletion")

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        out = json.loads(self.kubectl("get", "events", "-o", "json"))
        items = out.get("items", [])
        return [e for e in items if name is None or e["involvedObject"]["name"] == name]

    def event_reasons(self, name: str) -> list[str]:
        return [e["reason"] for e in self.events(name)]

    # -- manifests ----------------------------------------------------------------------

    def account(self, name: str = "main", *, secret: str | None = None) -> None:
        emu = self.emulator
        self.apply(
            f"""
apiVersion: v1
kind: Secret
metadata: {{name: {name}-creds}}
stringData: {{client-id: {emu.client_id}, client-secret: {secret or emu.client_secret}}}
---
apiVersion: {GROUP}/{VERSION}
kind: DatabricksAccount
metadata: {{name: {name}}}
spec:
  accountId: {emu.account_id}
  cloud: {emu.cloud}
  host: {emu.base_url}
  auth: {{oauthM2M: {{secretRef: {{name: {name}-creds}}}}}}
"""
        )

    def ncc(self, name: str, *, region: str = "eastus2", extra: str = "") -> None:
        self.apply(
            f"""
apiVersion: {GROUP}/{VERSION}
kind: NetworkConnectivityConfig
metadata: {{name: {name}}}
spec:
  accountRef: {{name: main}}
  region: {region}
{extra}"""
        )

    def azure_rule(
        self,
        name: str,
        *,
        ncc: str = "prod",
        storage: str | None = None,
        extra: str = "",
        namespace: str | None = None,
    ) -> None:
        """A blob rule; with ``namespace``, created there and pointing at this test's NCC."""
        resource_id = AZURE_STORAGE.format(name=storage or name.replace("-", ""))
        ref = f"{{name: {ncc}, namespace: {self.namespace}}}" if namespace else f"{{name: {ncc}}}"
        self.apply_in(
            namespace or self.namespace,
            f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: {name}}}
spec:
  nccRef: {ref}
  azure: {{resourceId: "{resource_id}", groupId: blob}}
{extra}""",
        )

    def pls_rule(self, name: str, domains: list[str], *, ncc: str = "prod") -> None:
        """A Private Link Service rule (``PLS`` named after the rule) with these domain names."""
        target = f'{{resourceId: "{AZURE_PLS.format(name=name)}", domainNames: {domains}}}'
        self.rule(name, "azure", target, ncc=ncc)

    def rule(self, name: str, cloud: str, target: str, *, ncc: str = "prod") -> None:
        """A rule whose ``spec.<cloud>`` is ``target``, a YAML flow mapping."""
        self.apply(
            f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: {name}}}
spec:
  nccRef: {{name: {ncc}}}
  {cloud}: {target}
"""
        )

    def apply_in(self, namespace: str, manifest: str, *, check: bool = True) -> str:
        proc = self.cluster.kubectl(
            "-n", namespace, "apply", "-f", "-", input=manifest, check=check
        )
        return proc.stdout + proc.stderr

    def get_in(self, namespace: str, kind: str, name: str) -> dict[str, Any]:
        out = self.cluster.kubectl("-n", namespace, "get", kind, name, "-o", "json", check=False)
        return json.loads(out.stdout) if out.returncode == 0 else {}

    def watched_namespace(self, suffix: str) -> str:
        """Create ``<namespace>-<suffix>`` and restart the operator watching it too.

        Cross-namespace tests (rules in another namespace, a second tenant) use this; the
        namespace is deleted with the test's own (see :func:`env`).
        """
        name = f"{self.namespace}-{suffix}"
        self.cluster.kubectl("create", "namespace", name)
        self.operator.stop()
        self.operator.extra_namespaces.append(name)
        self.operator.start()
        return name

    def rule_id(self, name: str) -> str:
        return str(self.get("privateendpointrules", name).get("status", {}).get("id", ""))

    def ncc_id(self, name: str) -> str:
        return str(self.get("networkconnectivityconfigs", name).get("status", {}).get("id", ""))

    def databricks_rules(self, ncc_name: str) -> list[dict[str, Any]]:
        """The rules of an NCC as the emulator holds them (the cloud-side truth)."""
        ncc_id = self.ncc_id(ncc_name)
        state = self.emulator.admin.state()
        rules = state.get("rules", {})
        values = rules.values() if isinstance(rules, dict) else rules
        return [r for r in values if r.get("network_connectivity_config_id") == ncc_id]


@contextmanager
def running(
    cluster: Cluster,
    namespace: str,
    emulator: RunningEmulator,
    log: Path,
    *,
    settings: dict[str, str] | None = None,
) -> Iterator[Env]:
    """An :class:`Env` whose own operator (with extra ``NCC_OPERATOR_*`` ``settings``) runs for
    the block: the fixtures of suites on another cloud or with other settings."""
    operator = Operator(cluster, namespace, log, env=dict(settings or {}))
    operator.start()
    try:
        yield Env(cluster, namespace, emulator, operator)
    finally:
        operator.stop()


@pytest.fixture
def env(
    crds: Cluster,
    namespace: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> Iterator[Env]:
    emulator = emulator_factory(
        cloud="azure", workspaces=[(1111, "eastus2"), (2222, "eastus2"), (3333, "westus")]
    )
    operator = Operator(crds, namespace, tmp_path / "operator.log")
    operator.start()
    try:
        yield Env(crds, namespace, emulator, operator)
    finally:
        operator.stop()
        for extra in operator.extra_namespaces:
            crds.kubectl("delete", "namespace", extra, "--wait=false", check=False)
