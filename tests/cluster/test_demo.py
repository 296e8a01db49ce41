"""`ncc-operator demo` end to end, as a user runs it: one command up, one command down.

The demo starts its own control plane (not the session fixture's), emulator and operator, all
detached. It runs with an isolated HOME (so its state file and work dir cannot meet a user's demo
or another test's), a free emulator port and a free metrics port; the control-plane binaries come
from the shared cache through ``KUBEBUILDER_ASSETS``, as the envtest convention allows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ncc_testenv import processes, tools, versions

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[2]
DEMO_TIMEOUT_SECONDS = 120.0
"""Only a hang guard for the subprocess (the demo takes about 17 s warm)."""


def _assets() -> str:
    """A directory holding kube-apiserver, etcd and kubectl (built into the cache if needed)."""
    if tools.use_existing_cluster():
        pytest.skip(reason="the demo starts its own control plane; not with an existing cluster")
    try:
        paths = [tools.resolve(name) for name in ("kube-apiserver", "etcd", "kubectl")]
    except tools.ToolError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"control plane unavailable under CI=true:\n{error}", pytrace=False)
        pytest.skip(reason=str(error))
    assets = os.environ.get("KUBEBUILDER_ASSETS") or str(versions.binaries_dir())
    assert all(path.parent == Path(assets) for path in paths), (paths, assets)
    return assets


def _demo(env: dict[str, str], *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ncc_operator", "demo", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _rule_states(table: str) -> dict[str, str]:
    """{rule name: STATE column} from the privateendpointrule rows of `kubectl get databricks`."""
    states = {}
    for line in table.splitlines():
        match = re.match(r"\S+\s+privateendpointrule\.\S+/(\S+)\s+\S+\s+\S+\s+\S+\s+(\S+)", line)
        if match:
            states[match[1]] = match[2]
    return states


def test_demo_up_and_down(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    workdir = tmp_path / "demo"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NCC_OPERATOR_", "XDG_", "DATABRICKS_"))
    }
    env.update(HOME=str(home), KUBEBUILDER_ASSETS=_assets())
    state_file = home / ".cache" / "ncc-operator" / "demo" / "state.json"

    started = time.monotonic()
    try:
        up = _demo(
            env,
            "--emulator-port", "0",
            "--metrics-port", "0",
            "--workdir", str(workdir),
            timeout=DEMO_TIMEOUT_SECONDS,
        )  # fmt: skip
        seconds = time.monotonic() - started
        assert up.returncode == 0, f"demo failed:\n{up.stdout}\n{up.stderr}"
        assert state_file.is_file()
        state = json.loads(state_file.read_text())
        pids = {n: processes.ProcessId.from_json(r) for n, r in state["processes"].items()}
        assert set(pids) == {"etcd", "kube-apiserver", "emulator", "operator"}
        assert all(pid is not None and pid.alive() for pid in pids.values()), pids
    finally:
        down = _demo(env, "--down", timeout=60)

    # A figure, not a pass mark (timings belong in bench/): printed for the record.
    print(f"demo up took {seconds:.1f} s")  # noqa: T201
    for step in range(1, 9):
        assert re.search(rf"^\[{step}/8\] .* … ok \(\d+\.\d s\)$", up.stdout, re.M), up.stdout
    assert "the dry-run NetworkPolicy restricted-egress is bound" in " ".join(up.stdout.split())
    states = _rule_states(up.stdout)
    assert states == {
        "lakehouse-blob": "ESTABLISHED",
        "lakehouse-dfs": "REJECTED",
        "orders-sql": "PENDING",
    }, up.stdout
    assert f"export KUBECONFIG={workdir}/controlplane/kubeconfig" in up.stdout
    assert "ncc-operator demo --down" in up.stdout

    assert down.returncode == 0, down.stderr
    assert "demo stopped (operator, emulator, kube-apiserver, etcd)" in down.stdout, down.stdout
    for name, pid in pids.items():
        assert pid is not None, name
        assert not pid.alive(), f"{name} ({pid}) still runs after demo --down"
    pgrep = subprocess.run(
        ["pgrep", "-f", str(workdir)], capture_output=True, text=True, check=False
    )
    assert pgrep.stdout == "", f"processes left behind: {pgrep.stdout}"
    assert not workdir.exists()
    assert not state_file.exists()
