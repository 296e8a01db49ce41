"""Starts a real etcd + kube-apiserver on loopback, waits for /readyz, writes a kubeconfig, stops.

etcd gets random free client/peer ports, ``--unsafe-no-fsync`` and a data dir in the work dir; the
apiserver a random secure port, a self-generated CA and serving cert, a service-account key pair and
issuer, RBAC authorization and only the admission plugins that need no controller. Both logs go to
files in the work dir (``etcd.log``, ``kube-apiserver.log``). On request (``start(audit=True)``)
the apiserver also writes an audit log of every request (``audit.log``, JSON lines, level
Metadata; read by ``bench.kubeapi``).

Ports, certificates and etcd's data are chosen once, at start: :meth:`ControlPlane.restart` stops
one server or both and runs the very same command lines again, so clients keep their kubeconfig
and every object survives. A detached plane can be restarted from another process too: ``up``
records :meth:`ControlPlane.to_record` and :meth:`ControlPlane.adopt` turns that record back into
a handle (``ncc-operator testenv restart``).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import shutil
import signal
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from ncc_testenv import pki as pki_mod
from ncc_testenv import processes, tools
from ncc_testenv.cluster import Cluster

# Default-on plugins that need a controller we do not run (ServiceAccount needs the token/SA
# controllers, as in envtest) or only concern pods, nodes and storage, which nothing here schedules.
_DISABLED_ADMISSION = (
    "ServiceAccount,LimitRanger,ResourceQuota,DefaultStorageClass,PersistentVolumeClaimResize,"
    "DefaultTolerationSeconds,StorageObjectInUseProtection,PodGroupProtection,Priority,"
    "TaintNodesByCondition,RuntimeClass,DefaultIngressClass,PodSecurity,PodTopologyLabels,"
    "NodeDeclaredFeatureValidator,PodResizeValidator"
)
_READY_TIMEOUT = 90.0
# The apiserver first, then etcd: an apiserver whose etcd is gone retries instead of exiting (5 s
# and more); one stopped while etcd is up exits in about a second.
STOP_ORDER = ("kube-apiserver", "etcd")
START_ORDER = ("etcd", "kube-apiserver")
RESTARTABLE = (*STOP_ORDER, "all")
"""What :meth:`ControlPlane.restart` (and ``testenv restart``) accepts; ``all`` is both."""
_ATTEMPTS = 3
# Metadata for every request: verb, resource, user, user agent, times and status code, no bodies.
# RequestReceived is omitted, so an ordinary request logs one event (ResponseComplete) and a
# long-running one (watch) two with the same auditID: ResponseStarted when its stream opens and
# ResponseComplete when it closes. Readers count an auditID once.
AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
"""
# MB: never reached, so the file a reader follows by offset is never renamed under it. (0 is
# documented as "no rotation", but lumberjack, the log writer, reads 0 as its 100 MB default.)
_AUDIT_MAXSIZE_MB = 100_000


class ControlPlaneError(RuntimeError):
    """The control plane did not come up; the message carries the tail of the failing log."""


@dataclass
class ControlPlane(Cluster):
    workdir: Path = Path()
    pki: pki_mod.Pki | None = None
    children: dict[str, processes.Process] = field(default_factory=dict, repr=False)
    started_in: float = 0.0
    owns_workdir: bool = True
    audit_log: Path | None = None
    """The apiserver's audit log (JSON lines) when started with ``audit=True``, else None."""
    detached: bool = False
    """Whether the servers outlive the process that started them (restarts keep it so)."""
    ports: dict[str, int] = field(default_factory=dict)
    """``etcd-client``, ``etcd-peer`` and ``kube-apiserver``: chosen at start, kept by restarts."""
    argv: dict[str, list[str]] = field(default_factory=dict, repr=False)
    """Each server's command line as first launched (the audit flags included): run again as is
    by :meth:`restart`, so the ports, the certificates and etcd's data dir stay the same."""
    adopted: dict[str, processes.ProcessId] = field(default_factory=dict, repr=False)
    """Servers another process started (a plane from :meth:`adopt`): known by identity only."""

    @property
    def pids(self) -> dict[str, int]:
        return {name: child.pid for name, child in self.identities.items()}

    @property
    def identities(self) -> dict[str, processes.ProcessId]:
        """What to record to find (and stop) detached servers again from another process."""
        return {**self.adopted, **{name: child.id for name, child in self.children.items()}}

    def running(self) -> dict[str, processes.Process | processes.ProcessId]:
        """Each server we have a handle on, started here or adopted (alive or not)."""
        return {**self.adopted, **self.children}

    def stop(self) -> float:
        """Stop both servers (apiserver first), remove the work dir; returns seconds spent."""
        started = time.monotonic()
        for name in STOP_ORDER:  # one after the other: see STOP_ORDER
            self._stop_one(name, signal.SIGTERM)
        processes.unregister(id(self))
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return time.monotonic() - started

    def restart(
        self,
        component: str = "kube-apiserver",
        *,
        hard: bool = False,
        down_seconds: float = 0.0,
        timeout: float = _READY_TIMEOUT,
    ) -> float:
        """Stop ``component`` (``kube-apiserver``, ``etcd`` or ``all``), stay down for
        ``down_seconds``, start it again with the same command line, wait for /readyz.

        SIGTERM (the server shuts down cleanly) or, with ``hard``, SIGKILL (a crash). etcd's data
        dir is never touched, so every object survives; the other server keeps running (an
        apiserver without etcd answers 5xx and reconnects once etcd is back). Returns the seconds
        from the stop until ready again. An attached plane's new servers die with the thread
        that restarted them (PR_SET_PDEATHSIG, as at start). Raises ValueError (unknown
        component) or ControlPlaneError (never launched, or did not come back: the message has
        the log tail).
        """
        if component not in RESTARTABLE:
            raise ValueError(f"unknown component {component!r}; one of {', '.join(RESTARTABLE)}")
        if not self.argv or not self.workdir.is_dir():
            raise ControlPlaneError(
                f"nothing to restart: no control plane runs from {self.workdir}"
            )
        names = START_ORDER if component == "all" else (component,)
        started = time.monotonic()
        sig = signal.SIGKILL if hard else signal.SIGTERM
        for name in STOP_ORDER:
            if name in names:
                self._stop_one(name, sig)
        if down_seconds > 0:
            time.sleep(down_seconds)
        for name in START_ORDER:
            if name in names:
                self._spawn(name)
        deadline = time.monotonic() + timeout
        if "etcd" in names:
            # The apiserver may still report a cached healthy etcd; the new etcd's own /health
            # is what says the restart took.
            _wait_etcd(self, deadline)
        _wait_ready(self, max(0.0, deadline - time.monotonic()))
        return time.monotonic() - started

    def _stop_one(self, name: str, sig: int) -> None:
        target: processes.Process | processes.ProcessId | None = self.children.pop(name, None)
        target = target or self.adopted.pop(name, None)
        if target is not None:
            processes.stop(target, sig=sig, grace=3.0)

    def _spawn(self, name: str) -> None:
        log = self.workdir / f"{name}.log"
        self.children[name] = processes.start(self.argv[name], log, detached=self.detached)

    def to_record(self) -> dict[str, Any]:
        """JSON-able: what ``testenv up`` keeps in its state file, read back by :meth:`adopt`."""
        assert self.pki is not None
        return {
            "processes": {name: pid.to_json() for name, pid in self.identities.items()},
            "workdir": str(self.workdir),
            "kubeconfig": str(self.kubeconfig),
            "server": self.server,
            "kubectl": str(self.kubectl_path),
            "ports": dict(self.ports),
            "argv": {name: list(argv) for name, argv in self.argv.items()},
            "pki": {key: str(path) for key, path in dataclasses.asdict(self.pki).items()},
            "audit_log": None if self.audit_log is None else str(self.audit_log),
        }

    @classmethod
    def adopt(cls, record: dict[str, Any]) -> ControlPlane:
        """A handle on a detached plane from :meth:`to_record`, in another process.

        Only the recorded servers that still run are adopted (a recycled pid is not ours), so
        :meth:`restart` starts a server that has died as well as one that runs. The work dir is
        not owned: ``testenv down`` removes it. Raises ControlPlaneError for a record written
        before restarts existed (no command lines in it).
        """
        if not record.get("argv") or not record.get("pki"):
            raise ControlPlaneError(
                "the recorded control plane predates restarts (no command lines recorded); "
                "run `ncc-operator testenv down` and `up` again"
            )
        adopted = {}
        for name, data in record.get("processes", {}).items():
            process = processes.ProcessId.from_json(data)
            if process is not None and process.alive():
                adopted[name] = process
        audit_log = record.get("audit_log")
        return cls(
            kubeconfig=Path(record["kubeconfig"]),
            server=str(record["server"]),
            kubectl_path=Path(record["kubectl"]),
            workdir=Path(record["workdir"]),
            pki=pki_mod.Pki(**{key: Path(path) for key, path in record["pki"].items()}),
            owns_workdir=False,
            audit_log=None if audit_log is None else Path(audit_log),
            detached=True,
            ports={str(k): int(v) for k, v in record.get("ports", {}).items()},
            argv={str(k): [str(a) for a in v] for k, v in record["argv"].items()},
            adopted=adopted,
        )

    def ssl_context(self) -> ssl.SSLContext:
        """TLS context trusting our CA and presenting the admin (system:masters) certificate."""
        assert self.pki is not None
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        context.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        return context


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all held open while choosing, so none repeats)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def _etcd_argv(etcd: Path, data: Path, client: int, peer: int) -> list[str]:
    client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
    return [
        str(etcd),
        "--name=testenv",
        f"--data-dir={data}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster=testenv={peer_url}",
        "--unsafe-no-fsync",  # throwaway data: durability only costs time
        "--log-level=warn",
    ]


def _audit_argv(workdir: Path, log: Path) -> list[str]:
    policy = workdir / "audit-policy.yaml"
    policy.write_text(AUDIT_POLICY)
    return [
        f"--audit-policy-file={policy}",
        f"--audit-log-path={log}",
        "--audit-log-format=json",
        f"--audit-log-maxsize={_AUDIT_MAXSIZE_MB}",
        # blocking (the default, spelled out): an event is written before its request's handler
        # returns, so the log is complete moments after the client has its answer.
        "--audit-log-mode=blocking",
    ]


def _apiserver_argv(
    apiserver: Path, certs: pki_mod.Pki, etcd_port: int, port: int, audit: list[str] | None = None
) -> list[str]:
    return [
        str(apiserver),
        f"--etcd-servers=http://127.0.0.1:{etcd_port}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        # The endpoint reconciler refuses a loopback address for the `kubernetes` service, and
        # nothing here runs in a pod network that would use it.
        "--endpoint-reconciler-type=none",
        f"--secure-port={port}",
        f"--tls-cert-file={certs.serving_cert}",
        f"--tls-private-key-file={certs.serving_key}",
        f"--client-ca-file={certs.ca_cert}",
        f"--service-account-key-file={certs.sa_public_key}",
        f"--service-account-signing-key-file={certs.sa_private_key}",
        f"--service-account-issuer=https://127.0.0.1:{port}",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--authorization-mode=RBAC",
        f"--disable-admission-plugins={_DISABLED_ADMISSION}",
        "--allow-privileged=true",
        "--profiling=false",
        *(audit or ()),
    ]


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(path: Path, server: str, certs: pki_mod.Pki) -> None:
    """A self-contained kubeconfig (data embedded) so Kopf's own kubeconfig login can read it."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "ncc-testenv",
                "cluster": {"server": server, "certificate-authority-data": _b64(certs.ca_cert)},
            }
        ],
        "users": [
            {
                "name": "ncc-testenv-admin",
                "user": {
                    "client-certificate-data": _b64(certs.admin_cert),
                    "client-key-data": _b64(certs.admin_key),
                },
            }
        ],
        "contexts": [
            {
                "name": "ncc-testenv",
                "context": {"cluster": "ncc-testenv", "user": "ncc-testenv-admin"},
            }
        ],
        "current-context": "ncc-testenv",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)


def _log_tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _check_alive(plane: ControlPlane) -> None:
    for name, child in plane.running().items():
        if not child.alive():
            log = plane.workdir / f"{name}.log"
            raise ControlPlaneError(f"{name} exited during start-up; {log}:\n{_log_tail(log)}")


def _wait_etcd(plane: ControlPlane, deadline: float) -> None:
    """Until etcd's own /health says it serves (it has a leader: a single member elects itself)."""
    url = f"http://127.0.0.1:{plane.ports['etcd-client']}/health"
    last = "no answer yet"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            _check_alive(plane)
            try:
                response = client.get(url)
                if (
                    response.status_code == 200
                    and json.loads(response.text).get("health") == "true"
                ):
                    return
                last = f"HTTP {response.status_code}: {response.text[-500:]}"
            except (httpx.HTTPError, ValueError) as error:
                last = repr(error)
            time.sleep(0.1)
    log = plane.workdir / "etcd.log"
    raise ControlPlaneError(f"etcd not healthy at {url} ({last}); {log}:\n{_log_tail(log)}")


def _wait_ready(plane: ControlPlane, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    with httpx.Client(verify=plane.ssl_context(), timeout=2.0) as client:
        while time.monotonic() < deadline:
            _check_alive(plane)
            try:
                response = client.get(f"{plane.server}/readyz")
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[-500:]}"
            except httpx.HTTPError as error:
                last = repr(error)
            time.sleep(0.1)
    log = plane.workdir / "kube-apiserver.log"
    raise ControlPlaneError(
        f"kube-apiserver not ready after {timeout:.0f}s ({last}); {log}:\n{_log_tail(log)}"
    )


def _launch(plane: ControlPlane, etcd: Path, apiserver: Path, *, detached: bool) -> None:
    """Spawn etcd and kube-apiserver on fresh ports and wait for /readyz.

    Only here are ports chosen and etcd's data dir cleared (a failed attempt's member): a
    restart reuses ``plane.argv`` as it stands.
    """
    assert plane.pki is not None
    etcd_port, peer_port, port = free_ports(3)
    shutil.rmtree(plane.workdir / "etcd-data", ignore_errors=True)  # a failed attempt's member
    audit = None
    if plane.audit_log is not None:
        plane.audit_log.unlink(missing_ok=True)  # a failed attempt's requests
        audit = _audit_argv(plane.workdir, plane.audit_log)
    plane.server = f"https://127.0.0.1:{port}"
    write_kubeconfig(plane.kubeconfig, plane.server, plane.pki)
    plane.detached = detached
    plane.ports = {"etcd-client": etcd_port, "etcd-peer": peer_port, "kube-apiserver": port}
    plane.argv = {
        "etcd": _etcd_argv(etcd, plane.workdir / "etcd-data", etcd_port, peer_port),
        "kube-apiserver": _apiserver_argv(apiserver, plane.pki, etcd_port, port, audit),
    }
    for name in START_ORDER:
        plane._spawn(name)
    _wait_ready(plane, _READY_TIMEOUT)


def start(
    workdir: Path | None = None, *, detached: bool = False, audit: bool = False
) -> ControlPlane:
    """Start etcd + kube-apiserver and return once /readyz answers 200.

    ``detached`` processes outlive this Python process (for ``ncc-operator testenv up``); attached
    ones die with it (and with the thread that called this). ``audit`` makes the apiserver log
    every request to ``plane.audit_log`` (see AUDIT_POLICY). Raises ToolError (binaries
    unavailable) or ControlPlaneError.
    """
    etcd, apiserver = tools.resolve("etcd"), tools.resolve("kube-apiserver")
    kubectl = tools.resolve("kubectl")
    owns = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="ncc-testenv-")) if workdir is None else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    plane = ControlPlane(
        kubeconfig=workdir / "kubeconfig",
        server="",
        kubectl_path=kubectl,
        workdir=workdir,
        pki=pki_mod.generate(workdir / "pki"),
        owns_workdir=owns,
        audit_log=workdir / "audit.log" if audit else None,
    )
    for attempt in range(1, _ATTEMPTS + 1):
        if not detached:
            processes.register(id(plane), plane.stop)
        try:
            _launch(plane, etcd, apiserver, detached=detached)
            break
        except ControlPlaneError as error:
            plane.owns_workdir = False  # keep the logs for the post-mortem
            plane.stop()
            # Another process can take a port between our probe and the server's bind.
            if "address already in use" not in str(error) or attempt == _ATTEMPTS:
                raise
            plane.owns_workdir = owns
        except BaseException:
            plane.owns_workdir = False
            plane.stop()
            raise
    plane.started_in = time.monotonic() - started
    return plane
