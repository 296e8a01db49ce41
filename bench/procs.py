"""Child processes of the benchmark: the emulator and the operator, each a separate process.

Both die with the benchmark even if it is SIGKILLed (``PR_SET_PDEATHSIG``), run in their own
process group, and are stopped by pid (never by name). The emulator runs in its own process so
that neither the SDK baseline's threads nor the status watch share its interpreter lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from ncc_emulator.testing import EmulatorAdmin

from .params import Params

ROOT = Path(__file__).resolve().parents[1]
_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before any fork


def _die_with_parent() -> None:
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _spawn(
    argv: list[str], *, env: dict[str, str], log: Path, stdin: int | None = None
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdin is not None else out,
            stderr=out,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only a prctl call, resolved beforehand
            close_fds=True,
        )


def _kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 10.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Anything the process left in its group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


@dataclass
class Emulator:
    """An AWS emulator in a child process (``python -m bench.emulator_proc``)."""

    base_url: str
    account_id: str
    client_id: str
    client_secret: str
    admin: EmulatorAdmin
    proc: subprocess.Popen[bytes] = field(repr=False)

    def stop(self) -> None:
        self.admin.close()
        stdin: IO[bytes] | None = self.proc.stdin
        if stdin is not None:
            with contextlib.suppress(OSError):
                stdin.close()  # EOF: the child stops its server and exits
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        _kill(self.proc)

    def writes(self) -> dict[str, int]:
        return writes_of(self.admin.request_counts())


def writes_of(counts: dict[str, int]) -> dict[str, int]:
    return {
        k: n
        for k, n in counts.items()
        if k.split(" ")[0] in {"POST", "PATCH", "PUT", "DELETE"} and " /api/" in k
    }


def reads_of(counts: dict[str, int]) -> dict[str, int]:
    return {k: n for k, n in counts.items() if k.startswith("GET /api/")}


def start_emulator(params: Params, workdir: Path, name: str) -> Emulator:
    spec = {
        "cloud": "aws",
        "workspaces": params.workspaces(),
        "config": params.emulator_config(),
        "client_secret": f"bench-{name}-secret",
    }
    proc = _spawn(
        [sys.executable, "-m", "bench.emulator_proc", json.dumps(spec)],
        env=dict(os.environ),
        log=workdir / f"emulator-{name}.log",
        stdin=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        _kill(proc)
        log = (workdir / f"emulator-{name}.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the emulator did not start:\n{log}")
    info: dict[str, Any] = json.loads(line)
    admin = EmulatorAdmin(info["base_url"])
    admin.set_faults(latency=params.latency_faults())
    return Emulator(
        base_url=info["base_url"],
        account_id=info["account_id"],
        client_id=info["client_id"],
        client_secret=str(spec["client_secret"]),
        admin=admin,
        proc=proc,
    )


@dataclass
class OperatorProcess:
    """``ncc-operator run --namespace NS`` with the benchmark's pace and a metrics port."""

    env: dict[str, str]
    namespace: str
    log: Path
    metrics_port: int
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> None:
        assert self.proc is None
        self.proc = _spawn(
            [
                sys.executable,
                "-m",
                "ncc_operator",
                "run",
                "--namespace",
                self.namespace,
                "--liveness",
                "",
            ],
            env=self.env,
            log=self.log,
        )
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            _kill(self.proc, sig)
            self.proc = None

    def metrics(self) -> str:
        """The Prometheus text exposition, or "" while the endpoint is not up."""
        try:
            answer = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5)
        except httpx.HTTPError:
            return ""
        return answer.text if answer.status_code == 200 else ""

    def wait_started(self, timeout: float = 60.0) -> float:
        """Seconds from spawn until the metrics endpoint answers (Kopf's startup handler ran)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"the operator exited:\n{self.log_tail()}")
            if self.metrics():
                return time.monotonic() - self.started_at
            time.sleep(0.1)
        raise RuntimeError(f"the operator did not start in {timeout:.0f}s:\n{self.log_tail()}")

    def ready_series(self) -> int:
        """Objects this process has reconciled and found Ready (its readiness gauge at 1)."""
        return sum(
            1
            for line in self.metrics().splitlines()
            if line.startswith("ncc_operator_resource_ready{") and line.endswith(" 1.0")
        )

    def peak_rss_mb(self) -> float:
        """VmHWM (peak resident set) of the operator process, in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
        return 0.0

    def cpu_seconds(self) -> float:
        """User + system CPU time the operator process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15)

    def databricks_requests(self) -> dict[str, float]:
        """The operator's own count of Databricks HTTP attempts by operation and status code."""
        found: dict[str, float] = {}
        for line in self.metrics().splitlines():
            if not line.startswith("ncc_operator_databricks_requests_total{"):
                continue
            labels, value = line[line.index("{") + 1 : line.rindex("}")], line.rsplit(" ", 1)[1]
            parts = dict(item.split("=", 1) for item in labels.split('",') if "=" in item)
            clean = {k: v.strip('"') for k, v in parts.items()}
            key = f"{clean.get('operation')} {clean.get('status_code')}"
            found[key] = found.get(key, 0.0) + float(value)
        return found

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]
