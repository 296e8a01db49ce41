"""``ncc-operator testenv up|down|status|restart``: a control plane for the demo and for poking
around.

``up`` starts etcd + kube-apiserver detached (they outlive the CLI), records their identities
(pid and start time, :class:`~ncc_testenv.processes.ProcessId`), work dir, ports and command lines
(:meth:`~ncc_testenv.controlplane.ControlPlane.to_record`) in
``${XDG_CACHE_HOME:-~/.cache}/ncc-operator/testenv/state.json`` and prints ``export KUBECONFIG=...``
on stdout (so ``eval "$(ncc-operator testenv up)"`` works); everything else goes to stderr.
``down`` stops both and removes the work dir. ``restart [kube-apiserver|etcd|all]`` stops and
starts the named server(s) on the same ports with the same certificates and etcd data (an outage
for whatever talks to it, nothing for it to reconfigure) and records the new identities.
``XDG_CACHE_HOME`` also moves the state file (the tests give each CLI run its own).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click

from ncc_testenv import controlplane, processes, tools, versions


def state_file() -> Path:
    return versions.cache_root() / "testenv" / "state.json"


def _read_state() -> dict[str, Any] | None:
    path = state_file()
    if not path.is_file():
        return None
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def _ours(state: dict[str, Any]) -> dict[str, processes.ProcessId]:
    """The recorded servers still running (a recycled PID is not ours and is left alone)."""
    found = {}
    for name, record in state.get("processes", {}).items():
        process = processes.ProcessId.from_json(record)
        if process is not None and process.alive():
            found[name] = process
    return found


def _stop(state: dict[str, Any]) -> dict[str, processes.ProcessId]:
    """Stop what still runs of a recorded control plane, remove its files; returns what ran."""
    running = _ours(state)
    for name in controlplane.STOP_ORDER:
        if name in running:
            processes.stop(running[name], grace=3.0)
    shutil.rmtree(state["workdir"], ignore_errors=True)
    state_file().unlink(missing_ok=True)
    return running


def _write_state(plane: controlplane.ControlPlane) -> None:
    state_file().parent.mkdir(parents=True, exist_ok=True)
    state_file().write_text(json.dumps(plane.to_record(), indent=2))


@click.group(name="testenv")
def testenv() -> None:
    """Local Kubernetes control plane (etcd + kube-apiserver) built from pinned Go modules."""


@testenv.command()
def up() -> None:
    """Start the control plane in the background and print `export KUBECONFIG=...`."""
    state = _read_state()
    if state and len(_ours(state)) == 2:
        click.echo(f"already running at {state['server']}", err=True)
        click.echo(f"export KUBECONFIG={state['kubeconfig']}")
        return
    if state:  # half dead (e.g. after a reboot or an OOM kill): clear it before starting anew
        _stop(state)
    workdir = Path(tempfile.mkdtemp(prefix="ncc-testenv-"))
    try:
        plane = controlplane.start(workdir, detached=True)
    except (tools.ToolError, controlplane.ControlPlaneError) as error:
        raise click.ClickException(str(error)) from error
    _write_state(plane)
    click.echo(f"control plane ready at {plane.server} in {plane.started_in:.1f}s", err=True)
    click.echo(f"logs: {workdir}/etcd.log, {workdir}/kube-apiserver.log", err=True)
    click.echo(f"export KUBECONFIG={plane.kubeconfig}")


@testenv.command()
def down() -> None:
    """Stop the control plane started by `up` and remove its work dir."""
    state = _read_state()
    if state is None:
        click.echo("no control plane recorded; nothing to stop", err=True)
        return
    running = _stop(state)
    click.echo(f"stopped ({', '.join(sorted(running)) or 'nothing was running'})", err=True)


@testenv.command()
def status() -> None:
    """Say whether the control plane is up and where its kubeconfig is; exit 1 if it is not."""
    state = _read_state()
    if state is None:
        click.echo("down")
        raise SystemExit(1)
    running = _ours(state)
    ready = False
    if len(running) == 2:
        proc = processes.run_quiet(
            [state["kubectl"], "--kubeconfig", state["kubeconfig"], "get", "--raw", "/readyz"]
        )
        ready = proc == "ok"
    click.echo(f"{'up' if ready else 'unhealthy'} {state['server']}")
    click.echo(f"kubeconfig: {state['kubeconfig']}")
    pids = {name: record.get("pid") for name, record in state.get("processes", {}).items()}
    click.echo(f"pids: {json.dumps(pids)} (running: {', '.join(sorted(running))})")
    if not ready:
        raise SystemExit(1)


@testenv.command()
@click.argument(
    "component",
    type=click.Choice(controlplane.RESTARTABLE),
    default="kube-apiserver",
)
@click.option("--hard", is_flag=True, help="SIGKILL instead of SIGTERM: a crash, not a shutdown.")
@click.option(
    "--down-seconds",
    type=click.FloatRange(min=0.0),
    default=0.0,
    show_default=True,
    help="Seconds to stay down between the stop and the start (a longer outage).",
)
def restart(component: str, hard: bool, down_seconds: float) -> None:
    """Restart kube-apiserver (default), etcd or all on the same ports, certificates and data."""
    state = _read_state()
    if state is None:
        raise click.ClickException("no control plane recorded; start one with `testenv up`")
    try:
        plane = controlplane.ControlPlane.adopt(state)
    except controlplane.ControlPlaneError as error:
        raise click.ClickException(str(error)) from error
    try:
        seconds = plane.restart(component, hard=hard, down_seconds=down_seconds)
    except controlplane.ControlPlaneError as error:
        raise click.ClickException(str(error)) from error
    finally:
        _write_state(plane)  # even after a failure: `down` must find whatever was started
    how = "SIGKILL" if hard else "SIGTERM"
    click.echo(
        f"restarted {component} ({how}): ready at {plane.server} in {seconds:.1f}s", err=True
    )
    click.echo(f"pids: {json.dumps(plane.pids)}", err=True)
    click.echo(f"export KUBECONFIG={plane.kubeconfig}")
