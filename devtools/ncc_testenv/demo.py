"""``ncc-operator demo``: the whole story on one machine, in one command, in well under a minute.

It starts (all detached, so they outlive the command) a local control plane (``ncc_testenv``),
the Databricks emulator and the operator; applies ``crds/`` and ``examples/``; waits until the
three private endpoint rules await approval; plays the target owner through the emulator's admin
API (approve one rule, reject another); waits for the operator to report it; prints
``kubectl get databricks -A`` and how to poke further. ``ncc-operator demo --down`` stops
everything and removes the work dir.

What runs is recorded (each process's :class:`~ncc_testenv.processes.ProcessId`, PID and start
time, so a recycled PID is never signalled; paths; URLs) in
``${XDG_CACHE_HOME:-~/.cache}/ncc-operator/demo/state.json``. Running ``demo`` again tears the
previous demo down first.

This module drives the operator only as a process (``ncc-operator run``) and the emulator only
over HTTP: it imports neither the handlers nor the resources layer.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx

from ncc_testenv import build, controlplane, processes, tools, versions

# The emulator's defaults (docs/emulator.md), which examples/10-account.yaml spells out.
DEFAULT_EMULATOR_PORT = 8765
DEFAULT_METRICS_PORT = 8080
WORKSPACE = "1234567890123456:eastus2"
NAMESPACE = "platform"
NCC = "prod-eastus2"
APPROVE, REJECT, LEAVE = "lakehouse-blob", "lakehouse-dfs", "orders-sql"
RULES = (APPROVE, REJECT, LEAVE)
POLICY = "restricted-egress"  # examples/40-network-policy.yaml
EXAMPLES_HOST = "http://127.0.0.1:8765"
# Snappy, not production values: poll every 2 s while a rule is CREATING/PENDING, re-observe
# settled objects every 15 s (so an owner's disconnect shows up quickly).
OPERATOR_ENV = {
    "NCC_OPERATOR_FAST_SECONDS": "2",
    "NCC_OPERATOR_RESYNC_SECONDS": "15",
    "NCC_OPERATOR_ACCOUNT_RESYNC_SECONDS": "15",
    # The demo's emulator is plain HTTP on loopback; a real install allows neither.
    "NCC_OPERATOR_ALLOWED_HOSTS": "127.0.0.1",
    "NCC_OPERATOR_ALLOW_HTTP": "true",
}
STEPS = 8
WAIT_SECONDS = 60.0
# devtools/ncc_testenv/demo.py -> the repository root (crds/ and examples/ live there).
ROOT = Path(__file__).resolve().parents[2]


class DemoError(click.ClickException):
    """A step failed; the message says what happened and what to do."""


def demo_dir() -> Path:
    return versions.cache_root() / "demo"


def state_file() -> Path:
    return demo_dir() / "state.json"


# -- processes we started ------------------------------------------------------------------------


def _ours(record: dict[str, Any]) -> processes.ProcessId | None:
    """The recorded process while it still runs (same PID *and* same start time), else None."""
    process = processes.ProcessId.from_json(record)
    return process if process is not None and process.alive() else None


def _read_state() -> dict[str, Any] | None:
    path = state_file()
    if not path.is_file():
        return None
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state


def _write_state(state: dict[str, Any]) -> None:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(path)


# Stop order: the operator first (it would log errors about a vanishing API), then the emulator,
# then the control plane in its own order.
_STOP_ORDER = ("operator", "emulator", *controlplane.STOP_ORDER)


def _stop_processes(state: dict[str, Any]) -> list[str]:
    """SIGTERM (then SIGKILL) every recorded process still ours; returns the names stopped."""
    stopped = []
    procs: dict[str, dict[str, Any]] = state.get("processes", {})
    for name in _STOP_ORDER:
        running = _ours(procs[name]) if name in procs else None
        if running is not None:
            processes.stop(running, grace=8.0 if name == "operator" else 3.0)
            stopped.append(name)
    return stopped


def teardown(state: dict[str, Any]) -> list[str]:
    """Stop a recorded demo and remove its work dir and state file; returns what was running."""
    stopped = _stop_processes(state)
    workdir = state.get("workdir")
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    state_file().unlink(missing_ok=True)
    return stopped


# -- small helpers ------------------------------------------------------------------------------


@contextlib.contextmanager
def _step(number: int, text: str) -> Iterator[None]:
    click.echo(f"[{number}/{STEPS}] {text} … ", nl=False)
    started = time.monotonic()
    try:
        yield
    except BaseException:
        click.echo("FAILED")
        raise
    click.echo(f"ok ({time.monotonic() - started:.1f} s)")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def _wait(
    what: str,
    probe: Callable[[], bool],
    *,
    timeout: float,
    alive: Callable[[], bool] | None = None,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        if alive is not None and not alive():
            hint = f"; its log {log} ends with:\n{_tail(log)}" if log else ""
            raise DemoError(f"{what}: the process exited{hint}")
        time.sleep(0.25)
    hint = f"; log {log}:\n{_tail(log)}" if log else ""
    raise DemoError(f"{what}: not done after {timeout:.0f} s{hint}")


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Kube:
    kubectl: Path
    kubeconfig: Path

    def run(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.kubectl), "--kubeconfig", str(self.kubeconfig), *args]
        proc = subprocess.run(  # noqa: S603 - our pinned kubectl, argv list
            cmd, input=input, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise DemoError(f"`kubectl {shlex.join(args)}` failed:\n{proc.stderr.strip()}")
        return proc

    def rules(self) -> dict[str, dict[str, Any]]:
        proc = self.run("get", "privateendpointrules", "-n", NAMESPACE, "-o", "json", check=False)
        if proc.returncode != 0:
            return {}
        items = json.loads(proc.stdout).get("items", [])
        return {item["metadata"]["name"]: item for item in items}

    def policy(self, name: str) -> dict[str, Any]:
        proc = self.run(
            "get",
            "networkpolicies.networking.ncc-operator.io",
            "-n",
            NAMESPACE,
            name,
            "-o",
            "json",
            check=False,
        )
        return dict(json.loads(proc.stdout)) if proc.returncode == 0 else {}


def _ready_reason(obj: dict[str, Any]) -> str:
    for cond in obj.get("status", {}).get("conditions", []):
        if cond.get("type") == "Ready":
            return str(cond.get("reason", ""))
    return ""


def _examples(emulator_url: str) -> str:
    """examples/*.yaml as one stream, with the emulator URL substituted when it is not :8765."""
    files = sorted((ROOT / "examples").glob("*.yaml"))
    if not files:
        raise DemoError(f"no examples/*.yaml under {ROOT}; run the demo from a checkout")
    text = "\n---\n".join(path.read_text() for path in files)
    return text.replace(EXAMPLES_HOST, emulator_url)


def _binaries_note() -> str:
    if os.environ.get("KUBEBUILDER_ASSETS"):
        return ""
    recipes = build.recipes()
    missing = [n for n in ("kube-apiserver", "etcd", "kubectl") if build.cached(recipes[n]) is None]
    if missing:
        return f" (first run: building {', '.join(missing)} from Go modules, several minutes)"
    return ""


# -- up -----------------------------------------------------------------------------------------


def _prepare_workdir(workdir: Path | None) -> Path:
    if workdir is None:
        workdir = demo_dir() / "run"
        shutil.rmtree(workdir, ignore_errors=True)  # ours: a leftover of an unrecorded run
    workdir = workdir.expanduser().resolve()
    if workdir.exists() and any(workdir.iterdir()):
        raise DemoError(f"work dir {workdir} is not empty; pass an empty or new --workdir")
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def up(emulator_port: int, metrics_port: int, workdir_opt: Path | None) -> None:
    started = time.monotonic()
    previous = _read_state()
    if previous is not None:
        running = [n for n, r in previous.get("processes", {}).items() if _ours(r)]
        note = f" ({', '.join(running)} running)" if running else ""
        click.echo(f"a previous demo is recorded{note}: tearing it down first")
        teardown(previous)

    if emulator_port == 0:
        emulator_port = controlplane.free_ports(1)[0]
    elif not _port_free(emulator_port):
        raise DemoError(
            f"port {emulator_port} is in use (another emulator, e.g. `make emulator`?). Stop it, "
            "or run `ncc-operator demo --emulator-port 0` to pick a free port."
        )
    if metrics_port == 0 or not _port_free(metrics_port):
        metrics_port = controlplane.free_ports(1)[0]

    workdir = _prepare_workdir(workdir_opt)
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    state: dict[str, Any] = {
        "workdir": str(workdir),
        "processes": {},
        "emulator_url": emulator_url,
        "metrics_url": f"http://127.0.0.1:{metrics_port}/metrics",
        "operator_log": str(workdir / "operator.log"),
        "emulator_log": str(workdir / "emulator.log"),
    }
    _write_state(state)
    try:
        _up(state, workdir, emulator_port, metrics_port)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: stopping what was started")
        teardown(state)
        raise SystemExit(130) from None
    except BaseException as error:
        _stop_processes(state)
        if isinstance(error, DemoError | tools.ToolError | controlplane.ControlPlaneError):
            raise DemoError(
                f"{error}\n\nEverything started was stopped; logs are kept in {workdir} "
                "(`ncc-operator demo --down` removes them)."
            ) from error
        raise
    _explain(state, time.monotonic() - started)


def _up(state: dict[str, Any], workdir: Path, emulator_port: int, metrics_port: int) -> None:
    procs: dict[str, dict[str, Any]] = state["processes"]

    with _step(1, f"starting control plane (etcd + kube-apiserver){_binaries_note()}"):
        plane = controlplane.start(workdir / "controlplane", detached=True)
        for name, pid in plane.identities.items():
            procs[name] = pid.to_json()
        state.update(
            kubeconfig=str(plane.kubeconfig),
            kubectl=str(plane.kubectl_path),
            server=plane.server,
        )
        _write_state(state)
    kube = Kube(plane.kubectl_path, plane.kubeconfig)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("NCC_OPERATOR_")}

    emulator_url = state["emulator_url"]
    with _step(2, f"starting Databricks emulator on {emulator_url}"):
        log = workdir / "emulator.log"
        workspace_id, region = WORKSPACE.split(":")
        argv = [
            sys.executable, "-m", "ncc_emulator",
            "--cloud", "azure",
            "--workspace", f"{workspace_id}:{region}",
            "--port", str(emulator_port),
            "--creating-seconds", "2",
            "--state-file", str(workdir / "emulator.json"),
        ]  # fmt: skip
        emulator = processes.start(argv, log, env=base_env, detached=True)
        procs["emulator"] = emulator.id.to_json()
        _write_state(state)
        _wait(
            "the emulator did not answer",
            lambda: _http_ok(f"{emulator_url}/_emulator/clock"),
            timeout=20,
            alive=emulator.alive,
            log=log,
        )

    with _step(3, "installing CRDs (crds/) and waiting until Established"):
        kube.run("apply", "-f", str(ROOT / "crds"))
        kube.run("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")

    metrics_url = state["metrics_url"]
    with _step(4, f"starting the operator (metrics on {metrics_url})"):
        log = Path(state["operator_log"])
        env = {
            **base_env,
            **OPERATOR_ENV,
            "KUBECONFIG": str(plane.kubeconfig),
            "NCC_OPERATOR_METRICS_PORT": str(metrics_port),
        }
        argv = [sys.executable, "-m", "ncc_operator", "run", "--liveness", ""]
        operator = processes.start(argv, log, env=env, detached=True)
        procs["operator"] = operator.id.to_json()
        _write_state(state)
        _wait(
            "the operator did not start",
            lambda: _http_ok(metrics_url),
            timeout=30,
            alive=operator.alive,
            log=log,
        )

    with _step(5, "applying examples/ and waiting until the 3 rules await approval"):
        kube.run("apply", "-f", "-", input=_examples(emulator_url))

        def all_pending() -> bool:
            rules = kube.rules()
            ready = all(_ready_reason(rules.get(n, {})) == "AwaitingApproval" for n in RULES)
            return ready and all(rules[n].get("status", {}).get("id") for n in RULES)

        _wait_rules(kube, state, "rules to reach AwaitingApproval", all_pending)

    with _step(6, f"as the target owner: approving {APPROVE}, rejecting {REJECT}"):
        rules = kube.rules()
        ids = {name: str(rules[name]["status"]["id"]) for name in RULES}
        state["rule_ids"] = ids
        _write_state(state)
        for name, action in ((APPROVE, "approve"), (REJECT, "reject")):
            url = f"{emulator_url}/_emulator/rules/{ids[name]}/{action}"
            response = httpx.post(url, timeout=10)
            if response.status_code != 200:
                raise DemoError(f"POST {url} answered {response.status_code}: {response.text}")

    with _step(7, "waiting for the operator to report Established / Rejected"):

        def settled() -> bool:
            rules = kube.rules()
            return (
                _ready_reason(rules.get(APPROVE, {})) == "Established"
                and _ready_reason(rules.get(REJECT, {})) == "Rejected"
            )

        _wait_rules(kube, state, "Established / Rejected", settled)

    with _step(8, f"waiting for the dry-run NetworkPolicy {POLICY} to bind the demo workspace"):
        _wait_policy(kube, state)


def _wait_policy(kube: Kube, state: dict[str, Any]) -> None:
    workspace = int(WORKSPACE.split(":", maxsplit=1)[0])

    def bound() -> bool:
        policy = kube.policy(POLICY)
        bound = policy.get("status", {}).get("atProvider", {}).get("boundWorkspaceIds")
        return _ready_reason(policy) == "Available" and bound == [workspace]

    _wait_rules(kube, state, f"NetworkPolicy {POLICY} Ready", bound)


def _wait_rules(
    kube: Kube, state: dict[str, Any], what: str, predicate: Callable[[], bool]
) -> None:
    try:
        _wait(what, predicate, timeout=WAIT_SECONDS)
    except DemoError:
        table = kube.run("get", "databricks", "-A", check=False).stdout
        log = Path(state["operator_log"])
        raise DemoError(
            f"timed out after {WAIT_SECONDS:.0f} s waiting for {what}.\n{table}\n"
            f"operator log {log} ends with:\n{_tail(log)}"
        ) from None


def _explain(state: dict[str, Any], seconds: float) -> None:
    kube = Kube(Path(state["kubectl"]), Path(state["kubeconfig"]))
    table = kube.run("get", "databricks", "-A").stdout
    url = state["emulator_url"]
    ids: dict[str, str] = state["rule_ids"]
    admin = f"{url}/_emulator"
    days15 = 15 * 24 * 3600
    click.echo(f"\n$ kubectl get databricks -A\n{table}")
    click.echo(
        f"""Demo ready in {seconds:.1f} s: {APPROVE} is Established (approved), {REJECT} is
Rejected, {LEAVE} still awaits approval; the dry-run NetworkPolicy {POLICY} is bound to the
demo workspace. Everything keeps running in the background.

Look around (the pinned kubectl; any kubectl >= 1.36 works too):
  export KUBECONFIG={state["kubeconfig"]}
  alias kubectl={state["kubectl"]}
  kubectl get databricks -A
  kubectl describe privateendpointrule -n {NAMESPACE} {REJECT}
  kubectl describe dbxnp -n {NAMESPACE} {POLICY}       # the egress policy (dry run)
  kubectl get events -n {NAMESPACE} --sort-by=.lastTimestamp

Act as the cloud owner through the emulator's admin API ({admin}/), then watch
`kubectl get databricks -A` (the demo operator re-observes every 2-15 s):
  curl -X POST {admin}/rules/{ids[LEAVE]}/approve       # approve {LEAVE}
  curl -X POST {admin}/rules/{ids[APPROVE]}/disconnect  # drop {APPROVE}'s connection
  curl -X POST {admin}/clock/advance -H 'Content-Type: application/json' \\
       -d '{{"seconds": {days15}}}'   # 15 days on: every rule not ESTABLISHED is Expired
  curl {admin}/state                                    # the account as Databricks sees it

Operator log:  {state["operator_log"]}
Emulator log:  {state["emulator_log"]}
Metrics:       {state["metrics_url"]}
Tear down:     ncc-operator demo --down   (or make demo-down)"""
    )


# -- the command --------------------------------------------------------------------------------


@click.command("demo")
@click.option("--down", is_flag=True, help="Stop the demo (operator, emulator, control plane).")
@click.option(
    "--emulator-port",
    "--port",
    "emulator_port",
    type=int,
    default=DEFAULT_EMULATOR_PORT,
    show_default=True,
    help="Emulator port; 0 picks a free one.",
)
@click.option(
    "--metrics-port",
    type=int,
    default=DEFAULT_METRICS_PORT,
    show_default=True,
    help="Operator /metrics port; a free one is picked if it is taken (or 0).",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where logs, kubeconfig and state go (default ~/.cache/ncc-operator/demo/run).",
)
def demo(down: bool, emulator_port: int, metrics_port: int, workdir: Path | None) -> None:
    """Run the whole story locally: control plane, emulator, operator, examples, approvals."""
    if down:
        state = _read_state()
        if state is None:
            click.echo("no demo recorded; nothing to stop")
            return
        stopped = teardown(state)
        what = ", ".join(stopped) if stopped else "nothing was running"
        click.echo(f"demo stopped ({what}); removed {state.get('workdir')}")
        return
    up(emulator_port, metrics_port, workdir)
