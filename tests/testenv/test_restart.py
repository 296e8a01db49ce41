"""Restarting the control plane: same server, same certificates, same objects, new processes.

``ControlPlane.restart`` directly (one attached plane per case) and ``ncc-operator testenv restart``
end to end on a detached plane (the CLI in a subprocess, its state file under a temporary
``XDG_CACHE_HOME``). The shared ``control_plane`` is never restarted here: other tests use it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ncc_testenv import controlplane, processes
from ncc_testenv.cluster import Cluster

pytestmark = pytest.mark.cluster

CLI = "import sys; from ncc_testenv.cli import testenv; testenv.main(sys.argv[1:], 'testenv')"
BOTH = {"etcd", "kube-apiserver"}


def _configmap(cluster: Cluster, name: str, value: str) -> str:
    """Create a ConfigMap in `default`; returns its uid (a re-created one would have another)."""
    cluster.kubectl("create", "configmap", name, "-n", "default", f"--from-literal=v={value}")
    return _uid(cluster, name)


def _uid(cluster: Cluster, name: str) -> str:
    out = cluster.kubectl("get", "configmap", name, "-n", "default", "-o", "json").stdout
    obj: dict[str, Any] = json.loads(out)
    return str(obj["metadata"]["uid"])


def _value(cluster: Cluster, name: str) -> str:
    proc = cluster.kubectl(
        "get", "configmap", name, "-n", "default", "-o", "jsonpath={.data.v}", timeout=30
    )
    return proc.stdout


@pytest.mark.parametrize(
    ("component", "hard", "down_seconds", "replaced", "reason"),
    [
        pytest.param(
            "kube-apiserver", False, 0.0, {"kube-apiserver"},
            "the default: a clean apiserver shutdown, etcd untouched",
            id="apiserver-sigterm",
        ),
        pytest.param(
            "kube-apiserver", True, 2.0, {"kube-apiserver"},
            "a crashed apiserver, down for a while: its port is bound again at once",
            id="apiserver-sigkill-down",
        ),
        pytest.param(
            "etcd", False, 0.0, {"etcd"},
            "etcd alone: the apiserver process stays and reconnects to the same client port",
            id="etcd-sigterm",
        ),
        pytest.param(
            "etcd", True, 1.0, {"etcd"},
            "a crashed etcd (--unsafe-no-fsync): what it wrote is in its data dir all the same",
            id="etcd-sigkill-down",
        ),
        pytest.param(
            "all", False, 0.0, BOTH,
            "both servers, apiserver stopped first and started last",
            id="all",
        ),
    ],
)  # fmt: skip
@pytest.mark.timeout(120)
def test_restart_keeps_server_certificates_and_objects(
    tmp_path: Path,
    assets_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    component: str,
    hard: bool,
    down_seconds: float,
    replaced: set[str],
    reason: str,
) -> None:
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets_dir))
    plane = controlplane.start(tmp_path / "cp")
    try:
        server, kubeconfig = plane.server, plane.kubeconfig.read_bytes()
        assert plane.pki is not None
        ca = plane.pki.ca_cert.read_bytes()
        before = plane.identities
        uid = _configmap(plane, "before", "kept")

        seconds = plane.restart(component, hard=hard, down_seconds=down_seconds)

        assert seconds >= down_seconds, reason
        after = plane.identities
        changed = {name for name in BOTH if after[name] != before[name]}
        assert changed == replaced, reason
        assert not any(before[name].alive() for name in replaced), "old servers are gone"
        assert all(pid.alive() for pid in after.values()), reason
        # Clients need nothing new: same URL, same kubeconfig file, same CA.
        assert plane.server == server
        assert plane.kubeconfig.read_bytes() == kubeconfig
        assert plane.pki.ca_cert.read_bytes() == ca
        assert plane.kubectl("get", "--raw", "/readyz").stdout == "ok"
        # The very object (same uid, not a re-creation), and writes work again.
        assert _uid(plane, "before") == uid, reason
        assert _value(plane, "before") == "kept"
        _configmap(plane, "after", "new")
        assert _value(plane, "after") == "new"
    finally:
        plane.stop()
    assert not any(pid.alive() for pid in [*before.values(), *after.values()])


@pytest.mark.parametrize(
    ("component", "error", "reason"),
    [
        pytest.param(
            "scheduler", ValueError, "only etcd, kube-apiserver and all are ours to restart",
            id="unknown-component",
        ),
        pytest.param(
            "kube-apiserver", controlplane.ControlPlaneError,
            "a plane that was never launched has no command line to run again",
            id="never-launched",
        ),
    ],
)  # fmt: skip
def test_restart_refuses(
    tmp_path: Path, component: str, error: type[Exception], reason: str
) -> None:
    plane = controlplane.ControlPlane(
        kubeconfig=tmp_path / "kubeconfig", server="", kubectl_path=Path("kubectl"),
        workdir=tmp_path,
    )  # fmt: skip
    with pytest.raises(error):
        plane.restart(component)
    assert not plane.children, reason


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        capture_output=True, text=True, env=env, timeout=150, check=False,
    )  # fmt: skip


def _state(cache: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(
        (cache / "ncc-operator" / "testenv" / "state.json").read_text()
    )
    return record


def _recorded(record: dict[str, Any]) -> dict[str, processes.ProcessId]:
    found = {}
    for name, data in record["processes"].items():
        pid = processes.ProcessId.from_json(data)
        assert pid is not None, data
        found[name] = pid
    return found


@pytest.mark.timeout(240)
def test_cli_restart_on_a_detached_plane(tmp_path: Path, assets_dir: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "KUBEBUILDER_ASSETS": str(assets_dir), "XDG_CACHE_HOME": str(cache)}
    seen: list[processes.ProcessId] = []
    try:
        up = _cli(env, "up")
        assert up.returncode == 0, up.stderr
        first = _state(cache)
        seen += _recorded(first).values()
        cluster = Cluster(Path(first["kubeconfig"]), first["server"], Path(first["kubectl"]))
        uid = _configmap(cluster, "before", "kept")

        steps = [
            # (CLI arguments, the servers it must replace, why)
            ((), {"kube-apiserver"}, "no argument restarts the apiserver"),
            (("etcd", "--hard"), {"etcd"}, "a SIGKILLed etcd alone; the apiserver stays"),
            (("all", "--down-seconds", "1"), BOTH, "both, after a second down"),
        ]
        previous = _recorded(first)
        for args, replaced, why in steps:
            done = _cli(env, "restart", *args)
            assert done.returncode == 0, f"{why}: {done.stderr}"
            assert done.stdout == up.stdout, "the same export line: the kubeconfig is unchanged"
            record = _state(cache)
            now = _recorded(record)
            seen += now.values()
            assert {n for n in BOTH if now[n] != previous[n]} == replaced, why
            assert all(pid.alive() for pid in now.values()), why
            assert not any(previous[n].alive() for n in replaced), why
            assert record["server"] == first["server"], why
            assert record["ports"] == first["ports"], why
            assert _uid(cluster, "before") == uid, why
            status = _cli(env, "status")
            assert status.returncode == 0, status.stdout + status.stderr
            assert status.stdout.startswith(f"up {first['server']}"), status.stdout
            previous = now
        assert _value(cluster, "before") == "kept"
    finally:
        down = _cli(env, "down")
    assert down.returncode == 0, down.stderr
    assert "stopped (etcd, kube-apiserver)" in down.stderr
    assert len(seen) == 2 + 2 + 2 + 2
    assert not any(pid.alive() for pid in seen)


@pytest.mark.parametrize(
    ("state", "message", "reason"),
    [
        pytest.param(
            None, "no control plane recorded",
            "nothing was started with `up`: nothing to restart",
            id="no-state",
        ),
        pytest.param(
            {"processes": {}, "workdir": "/nonexistent", "kubeconfig": "k", "server": "s",
             "kubectl": "kubectl"},
            "predates restarts",
            "a state file from before restarts has no command lines to run again",
            id="old-state",
        ),
    ],
)  # fmt: skip
def test_cli_restart_refuses(
    tmp_path: Path, state: dict[str, Any] | None, message: str, reason: str
) -> None:
    cache = tmp_path / "cache"
    if state is not None:
        path = cache / "ncc-operator" / "testenv" / "state.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(state))
    done = _cli({**os.environ, "XDG_CACHE_HOME": str(cache)}, "restart")
    assert done.returncode == 1, reason
    assert message in done.stderr, done.stderr
