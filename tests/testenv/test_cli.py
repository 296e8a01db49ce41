"""`ncc-operator testenv up|status|down`: the control plane outlives the CLI; down removes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ncc_testenv import processes

pytestmark = pytest.mark.cluster

CLI = "import sys; from ncc_testenv.cli import testenv; testenv.main(sys.argv[1:], 'testenv')"


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_up_status_down(tmp_path: Path, assets_dir: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "KUBEBUILDER_ASSETS": str(assets_dir), "XDG_CACHE_HOME": str(cache)}
    try:
        up = _cli(env, "up")
        assert up.returncode == 0, up.stderr
        assert up.stdout.startswith("export KUBECONFIG="), up.stdout
        kubeconfig = up.stdout.strip().removeprefix("export KUBECONFIG=")
        # The CLI process has exited; the control plane still answers.
        kubectl = [str(assets_dir / "kubectl"), "--kubeconfig", kubeconfig]
        namespaces = subprocess.run(
            [*kubectl, "get", "namespaces", "-o", "name"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert "namespace/default" in namespaces

        again = _cli(env, "up")  # idempotent: reports the running one
        assert again.stdout == up.stdout
        status = _cli(env, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert status.stdout.startswith("up https://127.0.0.1:")
        state = (cache / "ncc-operator" / "testenv" / "state.json").read_text()
    finally:
        down = _cli(env, "down")
    assert down.returncode == 0, down.stderr
    assert "stopped (etcd, kube-apiserver)" in down.stderr
    record = json.loads(state)
    pids = [processes.ProcessId.from_json(r) for r in record["processes"].values()]
    assert len(pids) == 2
    assert None not in pids
    assert not any(pid is not None and pid.alive() for pid in pids)
    assert not Path(record["workdir"]).exists()
    assert _cli(env, "status").returncode == 1
