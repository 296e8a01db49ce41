"""The operator's side of the benchmark: apply→Ready, idle cost, patches per object, RSS, restart.

One control plane, one emulator, one operator process (then a second one after a SIGKILL), one
status watch over the whole run; each phase is a time window over the same recordings.
"""

from __future__ import annotations

import signal
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ncc_emulator import endpoints
from ncc_testenv import controlplane

from . import transitions
from .kubeapi import OPERATOR_AGENTS, AuditLog
from .params import Params, domain_name, endpoint_service, ncc_name
from .procs import Emulator, OperatorProcess
from .watch import StatusWatch

_RULE_READS = (endpoints.GET_RULE.key, endpoints.LIST_RULES.key)


def _rule_reads(counts: dict[str, int]) -> int:
    return sum(counts.get(key, 0) for key in _RULE_READS)


ROOT = Path(__file__).resolve().parents[1]
GROUP_VERSION = "networking.ncc-operator.io/v1alpha1"
ACCOUNT = "bench"


@dataclass
class OperatorResult:
    apply_seconds: float = 0.0
    ready_seconds: float = 0.0
    """From the start of ``kubectl apply`` until every object is Ready=True."""
    settle_seconds: float = 0.0
    operator_start_seconds: float = 0.0
    ready_requests: dict[str, int] = field(default_factory=dict)
    """The emulator's request counters from apply to all Ready (429-answered ones included)."""
    operator_requests: dict[str, float] = field(default_factory=dict)
    """The operator's own Databricks request counter by status, at the end of phase 1."""
    cpu_seconds_to_settle: float = 0.0
    patches_to_ready: dict[str, float] = field(default_factory=dict)
    metadata_patches_to_settle: int = 0
    ready_times: dict[str, list[float]] = field(default_factory=dict)
    """Per kind: seconds from apply to the first / median / last object turning Ready."""
    first_create_seconds: float | None = None
    """Seconds from the start of ``kubectl apply`` until the first object (NCC or rule) had its
    Databricks id in status: an upper bound on the first create's answer."""
    rule_id_times: list[float] = field(default_factory=list)
    """Seconds from apply until the first / median / last rule had its Databricks id in status
    (≈ its create POST answered)."""
    example_history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Every status the first rule, the most patched rule, the first NCC and the account went
    through, time-stamped."""
    idle: dict[str, Any] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    restart: dict[str, Any] = field(default_factory=dict)
    kube_requests: dict[str, Any] = field(default_factory=dict)
    """The operator's requests to the kube-apiserver (its audit log): ``to_ready`` from apply to
    all Ready, ``idle`` over the idle window, each by "verb resource" plus totals and per
    object."""
    transitions: dict[str, Any] = field(default_factory=dict)
    """``--transitions``: ESTABLISHED (the owner's approval) → Ready per rule, p50/p99/max, and
    Databricks reads per minute over apply → all Ready (``bench/transitions.py``)."""
    errors: list[str] = field(default_factory=list)


def manifest(params: Params, emulator: Emulator) -> str:
    rate = params.operator_rps
    docs = [
        f"""apiVersion: v1
kind: Secret
metadata: {{name: {ACCOUNT}-creds}}
stringData: {{client-id: {emulator.client_id}, client-secret: {emulator.client_secret}}}""",
        f"""apiVersion: {GROUP_VERSION}
kind: DatabricksAccount
metadata: {{name: {ACCOUNT}}}
spec:
  accountId: {emulator.account_id}
  cloud: aws
  host: {emulator.base_url}
  auth: {{oauthM2M: {{secretRef: {{name: {ACCOUNT}-creds}}}}}}
  rateLimit: {{requestsPerSecond: {rate:g}, burst: {max(1, int(rate))}, maxConcurrency: 10}}""",
    ]
    for i, (workspace_id, _) in enumerate(params.workspaces()):
        docs.append(
            f"""apiVersion: {GROUP_VERSION}
kind: NetworkConnectivityConfig
metadata: {{name: {ncc_name(i)}}}
spec:
  accountRef: {{name: {ACCOUNT}}}
  region: {params.ncc_region(i)}
  workspaceIds: [{workspace_id}]"""
        )
    for i in range(params.rules):
        service = endpoint_service(i, params.rule_region(i))
        docs.append(
            f"""apiVersion: {GROUP_VERSION}
kind: PrivateEndpointRule
metadata: {{name: bench-rule-{i:05d}}}
spec:
  nccRef: {{name: {ncc_name(i % params.nccs)}}}
  aws: {{endpointService: {service}, domainNames: [{domain_name(i)}]}}"""
        )
    return "\n---\n".join(docs) + "\n"


def _stats(values: list[int]) -> dict[str, float]:
    if not values:
        return {"max": 0, "mean": 0.0, "objects": 0}
    return {"max": max(values), "mean": round(statistics.fmean(values), 2), "objects": len(values)}


class OperatorBench:
    def __init__(self, params: Params, emulator: Emulator, workdir: Path) -> None:
        self.params = params
        self.emulator = emulator
        self.workdir = workdir
        self.result = OperatorResult()
        self.objects = params.objects
        self.audit: AuditLog | None = None
        self.plane: controlplane.ControlPlane | None = None

    def run(self) -> OperatorResult:
        plane = controlplane.start(self.workdir / "controlplane", audit=True)
        self.plane = plane
        if plane.audit_log is not None:
            self.audit = AuditLog(plane.audit_log)
        watch: StatusWatch | None = None
        operator: OperatorProcess | None = None
        try:
            plane.kubectl("apply", "-f", str(ROOT / "crds"))
            plane.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
            plane.kubectl("create", "namespace", self.params.namespace)
            watch = StatusWatch(plane.server, plane.ssl_context(), self.params.namespace)
            watch.start()
            operator = OperatorProcess(
                env={
                    **plane.env,
                    **self.params.operator_env(),
                    "NCC_OPERATOR_METRICS_PORT": str(controlplane.free_ports(1)[0]),
                },
                namespace=self.params.namespace,
                log=self.workdir / "operator.log",
                metrics_port=0,
            )
            operator.metrics_port = int(operator.env["NCC_OPERATOR_METRICS_PORT"])
            operator.start()
            self.result.operator_start_seconds = round(operator.wait_started(), 2)
            self._apply_to_ready_approving(plane, watch, operator)
            self._idle(watch, operator)
            self.result.peak_rss_mb = round(operator.peak_rss_mb(), 1)
            self._restart(watch, operator)
        except (TimeoutError, RuntimeError) as error:
            self.result.errors.append(str(error))
            if operator is not None:
                self.result.errors.append("operator log tail:\n" + operator.log_tail(1500))
        finally:
            if operator is not None:
                operator.stop()
            if watch is not None:
                watch.stop()
                self.result.errors.extend(watch.errors[:5])
            plane.stop()
        return self.result

    # -- phase 1 + 3: apply → Ready, status patches per object ------------------------------

    def _apply_to_ready_approving(
        self, plane: controlplane.ControlPlane, watch: StatusWatch, operator: OperatorProcess
    ) -> None:
        """Phase 1, with the endpoint owner approving rules at random when the run has
        realistic transitions (``params.approval_max_seconds``)."""
        if self.params.approval_max_seconds is None:
            self._apply_to_ready(plane, watch, operator)
            return
        approver = transitions.Approver(self.emulator.admin, self.params.approval_max_seconds)
        wall_offset = time.time() - time.monotonic()
        approver.start()
        try:
            self._apply_to_ready(plane, watch, operator)
        finally:
            approver.stop()
            self.result.errors.extend(approver.errors[:5])
        reads = sum(endpoints.reads(self.result.ready_requests).values())
        self.result.transitions = transitions.summary(
            transitions.latencies(watch, approver.approved_at, wall_offset),
            self.params.fast_seconds,
            reads=reads,
            minutes=self.result.ready_seconds / 60.0,
            nccs=self.params.nccs,
        )

    def _apply_to_ready(
        self, plane: controlplane.ControlPlane, watch: StatusWatch, operator: OperatorProcess
    ) -> None:
        params, result = self.params, self.result
        self.emulator.admin.reset_counts()
        text = manifest(params, self.emulator)
        cpu = operator.cpu_seconds()
        started = time.monotonic()
        plane.kubectl(
            "apply", "-n", params.namespace, "--server-side", "-f", "-", input=text, timeout=600
        )
        result.apply_seconds = round(time.monotonic() - started, 2)
        timeout = 10 * params.floor_seconds() + 180
        ready_at = watch.wait(
            lambda: watch.ready_count() >= self.objects, timeout, f"{self.objects} objects Ready"
        )
        result.ready_seconds = round(ready_at - started, 2)
        print(f"operator: all {self.objects} objects Ready in {result.ready_seconds} s", flush=True)
        result.ready_requests = self.emulator.admin.request_counts()
        self.result.kube_requests["to_ready"] = self._kube(started, ready_at)
        # Settled: nothing changes for longer than the fast interval (an NCC's rule counts
        # follow its rules within one fast interval, not at its resync).
        last = watch.wait_quiet(self.objects, params.settle_seconds, timeout)
        settled_at = max(last, ready_at)
        result.cpu_seconds_to_settle = round(operator.cpu_seconds() - cpu, 2)
        result.operator_requests = operator.databricks_requests()
        result.settle_seconds = round(settled_at - started, 2)
        for kind in ("privateendpointrules", "networkconnectivityconfigs", "databricksaccounts"):
            to_ready = _stats(watch.patches_until_ready(kind))
            to_settle = _stats(watch.patches_per_object(kind, started, settled_at + 0.001))
            result.patches_to_ready[kind] = to_ready["max"]
            result.patches_to_ready[f"{kind}.mean"] = to_ready["mean"]
            result.patches_to_ready[f"{kind}.settle_max"] = to_settle["max"]
            result.patches_to_ready[f"{kind}.settle_mean"] = to_settle["mean"]
        result.metadata_patches_to_settle = watch.window(started, settled_at + 0.001)[1]
        for kind in ("privateendpointrules", "networkconnectivityconfigs", "databricksaccounts"):
            times = sorted(t - started for t in watch.ready_times(kind))
            if times:
                result.ready_times[kind] = [
                    round(times[0], 2),
                    round(statistics.median(times), 2),
                    round(times[-1], 2),
                ]
        firsts = [
            t - started
            for kind in ("networkconnectivityconfigs", "privateendpointrules")
            for t in watch.first_times(kind, "id")
        ]
        if firsts:
            result.first_create_seconds = round(min(firsts), 2)
        ids = sorted(t - started for t in watch.first_times("privateendpointrules", "id"))
        if ids:
            result.rule_id_times = [
                round(ids[0], 2),
                round(statistics.median(ids), 2),
                round(ids[-1], 2),
            ]
        for key in (
            "privateendpointrules/bench-rule-00000",
            watch.most_patched("privateendpointrules"),
            f"networkconnectivityconfigs/{ncc_name(0)}",
            f"databricksaccounts/{ACCOUNT}",
        ):
            result.example_history[key] = watch.history(key, started)
        if not operator.alive():
            raise RuntimeError("the operator died during apply")

    def _kube(self, since: float, until: float) -> dict[str, Any]:
        """The operator's kube-apiserver requests in ``[since, until)`` (monotonic seconds)."""
        if self.audit is None:
            return {}
        if self.plane is not None:
            self.audit.mark(self.plane.server, self.plane.ssl_context())  # the log caught up
        counts = self.audit.requests(since, until, OPERATOR_AGENTS)
        total = sum(counts.values())
        watches = sum(n for (verb, _), n in counts.items() if verb == "watch")
        # The account's credentials: GET by name at each account resync (RBAC grants no
        # list/watch of Secrets, by design: docs/security.md), the one request expected at idle.
        secret_reads = counts.get(("get", "secrets"), 0)
        return {
            "total": total,
            "watches": watches,
            "beyond_watches": total - watches,
            "secret_reads": secret_reads,
            "beyond_watches_and_secret_reads": total - watches - secret_reads,
            "per_object": round(total / self.objects, 2),
            "by_request": {f"{verb} {resource}": n for (verb, resource), n in counts.items()},
        }

    # -- phase 2: idle cost ----------------------------------------------------------------

    def _idle(self, watch: StatusWatch, operator: OperatorProcess) -> None:
        params = self.params
        self.emulator.admin.reset_counts()
        cpu = operator.cpu_seconds()
        started = time.monotonic()
        seconds = params.idle_resyncs * params.resync_seconds
        print(f"operator: idle for {seconds:g} s ({params.idle_resyncs} resyncs)", flush=True)
        time.sleep(seconds)
        ended = time.monotonic()
        cpu = operator.cpu_seconds() - cpu
        counts = self.emulator.admin.request_counts()
        status, metadata = watch.window(started, ended)
        self.result.kube_requests["idle"] = self._kube(started, ended)
        reads, writes = endpoints.reads(counts), endpoints.writes(counts)
        per = float(params.idle_resyncs)
        self.result.idle = {
            "seconds": round(ended - started, 1),
            "resyncs": params.idle_resyncs,
            "reads_per_resync": round(sum(reads.values()) / per, 2),
            "rule_reads_per_resync": round(_rule_reads(counts) / per, 2),
            "writes": sum(writes.values()),
            "status_patches": status,
            "metadata_patches": metadata,
            "changed_objects": watch.changed_keys(started, ended),
            "cpu_seconds_per_resync": round(cpu / per, 2),
            "requests": counts,
        }
        if not operator.alive():
            raise RuntimeError("the operator died while idle")

    # -- phase 5: SIGKILL and restart --------------------------------------------------------

    def _restart(self, watch: StatusWatch, operator: OperatorProcess) -> None:
        params = self.params
        print("operator: SIGKILL and restart", flush=True)
        operator.stop(signal.SIGKILL)
        self.emulator.admin.reset_counts()
        killed = time.monotonic()
        operator.start()
        started = operator.started_at
        up = operator.wait_started()
        timeout = 10 * params.floor_seconds() + 120

        # The new process has reconciled every object and found it Ready (its own gauge).
        observed_at = watch.wait(
            lambda: operator.ready_series() >= self.objects,
            timeout,
            f"the restarted operator to reconcile all {self.objects} objects",
            every=0.25,  # a scrape of every object's series is not free for the operator
        )
        last = watch.wait_quiet(self.objects, params.quiet_seconds, timeout)
        steady_at = max(observed_at, last)
        counts = self.emulator.admin.request_counts()
        status, metadata = watch.window(killed, time.monotonic())
        self.result.restart = {
            "process_start_seconds": round(up, 2),
            "steady_seconds": round(steady_at - started, 2),
            "writes": sum(endpoints.writes(counts).values()),
            "reads": sum(endpoints.reads(counts).values()),
            "rule_reads": _rule_reads(counts),
            "status_patches": status,
            "metadata_patches": metadata,
            "requests": counts,
            "peak_rss_mb": round(operator.peak_rss_mb(), 1),
            "cpu_seconds": round(operator.cpu_seconds(), 2),
        }
