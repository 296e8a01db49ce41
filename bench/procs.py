"""Child processes of the benchmark: the emulator and the operator, each a separate process.

Both are started and stopped by the one launcher, :mod:`ncc_testenv.processes`: they die with the
benchmark even if it is SIGKILLed, run in their own process group, and are stopped by pid (never
by name). The emulator runs in its own process so that neither the SDK baseline's threads nor the
status watch share its interpreter lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ncc_emulator import endpoints
from ncc_emulator.testing import EmulatorAdmin
from ncc_testenv import processes

from .params import Params

ROOT = Path(__file__).resolve().parents[1]
_STOP_GRACE = 10.0
_MIB = 1024.0 * 1024.0


@dataclass
class Emulator:
    """An AWS emulator in a child process (``python -m bench.emulator_proc``)."""

    base_url: str
    account_id: str
    client_id: str
    client_secret: str
    admin: EmulatorAdmin
    proc: processes.Process = field(repr=False)

    def stop(self) -> None:
        self.admin.close()
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # EOF: the child stops its server and exits
        self.proc.wait(_STOP_GRACE)
        processes.stop(self.proc, grace=_STOP_GRACE)

    def writes(self) -> dict[str, int]:
        return endpoints.writes(self.admin.request_counts())


def start_emulator(params: Params, workdir: Path, name: str) -> Emulator:
    spec = {
        "cloud": "aws",
        "workspaces": params.workspaces(),
        "config": params.emulator_config(),
        "client_secret": f"bench-{name}-secret",
    }
    proc = processes.start(
        [sys.executable, "-m", "bench.emulator_proc", json.dumps(spec)],
        workdir / f"emulator-{name}.log",
        env=os.environ,
        cwd=ROOT,
        pipes=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        processes.stop(proc, grace=_STOP_GRACE)
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
    proc: processes.Process | None = None
    started_at: float = 0.0

    def start(self) -> None:
        assert self.proc is None
        argv = [sys.executable, "-m", "ncc_operator", "run", "--namespace", self.namespace]
        self.proc = processes.start([*argv, "--liveness", ""], self.log, env=self.env, cwd=ROOT)
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            processes.stop(self.proc, sig=sig, grace=_STOP_GRACE)
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
        return processes.peak_rss_bytes(self.pid) / _MIB

    def cpu_seconds(self) -> float:
        """User + system CPU time the operator process has used so far."""
        return processes.cpu_seconds(self.pid)

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
