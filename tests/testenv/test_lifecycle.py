"""Start/stop leaves nothing behind, even when the owning process is killed outright."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ncc_testenv import controlplane, processes, tools
from ncc_testenv.cluster import Cluster, existing_cluster

pytestmark = pytest.mark.cluster

OWNER = """
import json, sys, time
from pathlib import Path
from ncc_testenv import controlplane
plane = controlplane.start(Path(sys.argv[1]))
print(json.dumps({name: pid.to_json() for name, pid in plane.identities.items()}), flush=True)
time.sleep(600)
"""


def _pgrep(pattern: str) -> list[str]:
    proc = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return proc.stdout.split()


def _env_with_assets(assets_dir: Path, cache: Path) -> dict[str, str]:
    # A cache of its own proves the binaries come from KUBEBUILDER_ASSETS, not from a build.
    return {**os.environ, "KUBEBUILDER_ASSETS": str(assets_dir), "XDG_CACHE_HOME": str(cache)}


def test_start_then_stop_leaves_no_process(
    tmp_path: Path, assets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets_dir))
    workdir = tmp_path / "cp"
    plane = controlplane.start(workdir)
    started = list(plane.identities.values())
    try:
        assert plane.kubectl("get", "--raw", "/readyz").stdout == "ok"
        assert (workdir / "kube-apiserver.log").stat().st_size > 0
        assert len(_pgrep(str(workdir))) == 2
        assert len(started) == 2
        assert all(pid.alive() for pid in started)
    finally:
        seconds = plane.stop()
    assert not _pgrep(str(workdir))
    assert not any(pid.alive() for pid in started)
    assert seconds < 10


def test_killed_owner_takes_the_servers_with_it(tmp_path: Path, assets_dir: Path) -> None:
    workdir = tmp_path / "cp"
    env = _env_with_assets(assets_dir, tmp_path / "cache")
    with subprocess.Popen(
        [sys.executable, "-c", OWNER, str(workdir)], stdout=subprocess.PIPE, text=True, env=env
    ) as owner:
        assert owner.stdout is not None
        records: dict[str, dict[str, float]] = json.loads(owner.stdout.readline())
        pids = [processes.ProcessId.from_json(record) for record in records.values()]
        assert len(pids) == 2
        assert all(pid is not None and pid.alive() for pid in pids)
        owner.kill()  # no atexit, no finalizer: only PR_SET_PDEATHSIG can clean up now
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(p is not None and p.alive() for p in pids):
        time.sleep(0.05)
    assert not any(pid is not None and pid.alive() for pid in pids)
    assert not _pgrep(str(workdir))


def test_existing_cluster_mode_reads_kubeconfig(
    control_plane: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(control_plane.kubeconfig))
    monkeypatch.setenv("NCC_TESTENV_USE_EXISTING_CLUSTER", "1")
    assert tools.use_existing_cluster()
    cluster = existing_cluster(tools.resolve("kubectl"))
    assert cluster.server == control_plane.server
    assert cluster.env["KUBECONFIG"] == str(control_plane.kubeconfig)
    assert cluster.kubectl("get", "--raw", "/readyz").stdout == "ok"


def test_a_port_taken_before_the_bind_is_retried(
    tmp_path: Path, assets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets_dir))
    real_free_ports = controlplane.free_ports
    chosen: list[list[int]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()

        def first_one_taken(count: int) -> list[int]:
            ports = real_free_ports(count)
            if not chosen:
                ports[0] = squatter.getsockname()[1]  # etcd's client port is already in use
            chosen.append(ports)
            return ports

        monkeypatch.setattr(controlplane, "free_ports", first_one_taken)
        plane = controlplane.start(tmp_path / "cp")
        try:
            assert len(chosen) == 2
            assert plane.kubectl("get", "--raw", "/readyz").stdout == "ok"
        finally:
            plane.stop()
