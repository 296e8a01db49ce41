"""Prometheus metrics: the controller-runtime series, object state, Databricks requests, build.

What users already alert on comes first: the ``controller_runtime_*`` series every Kubernetes
controller exports (so existing dashboards and alerts work unchanged), fed by the same calls as
our own ``ncc_operator_reconcile_*``. Object state (conditions with their reason, counts by
Ready/Synced and by connection state, how long a rule has awaited approval) is kept in one table
per object and rendered at scrape time by a collector, so counts and per-object series can never
disagree and "seconds pending" is exact at every scrape without a timer.

Label values are bounded: kinds, fixed vocabularies (operations, results, condition reasons,
event reasons), and one series per custom resource where routing needs it. Never ids, URLs,
messages or secrets.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import prometheus_client
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ncc_operator import __version__
from ncc_operator.databricks import RequestEvent
from ncc_operator.databricks.client import NCC, NCCS, RULE, RULES, WORKSPACE, WORKSPACES

VERSION = __version__
KINDS = ("DatabricksAccount", "NetworkConnectivityConfig", "PrivateEndpointRule", "NetworkPolicy")
RULE_KIND = "PrivateEndpointRule"
RULE_STATES = (
    "CREATING",
    "PENDING",
    "ESTABLISHED",
    "REJECTED",
    "DISCONNECTED",
    "EXPIRED",
    "CREATE_FAILED",
)
DRIFT_REASON = "DriftDetected"
"""The engine's event when a recorded object is gone at Databricks and is recreated: one per
correction (the ``Recreated`` that follows belongs to the same correction)."""

# -- reconciles: controller-runtime's names, and ours ------------------------------------------

_CR_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
               0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9,
               10, 15, 20, 25, 30, 40, 50, 60)  # fmt: skip
CR_RECONCILES = Counter(
    "controller_runtime_reconcile_total",
    "Total number of reconciliations per controller (controller-runtime compatible).",
    ["controller", "result"],
)
CR_ERRORS = Counter(
    "controller_runtime_reconcile_errors_total",
    "Total number of reconciliation errors per controller (controller-runtime compatible).",
    ["controller"],
)
CR_SECONDS = Histogram(
    "controller_runtime_reconcile_time_seconds",
    "Length of time per reconciliation per controller (controller-runtime compatible).",
    ["controller"],
    buckets=_CR_BUCKETS,
)
CR_WORKERS = Gauge(
    "controller_runtime_active_workers",
    "Number of currently used workers per controller (controller-runtime compatible).",
    ["controller"],
)
RECONCILES = Counter(
    "ncc_operator_reconcile_total",
    "Reconcile passes by kind, action taken and outcome.",
    ["kind", "action", "outcome"],
)
RECONCILE_SECONDS = Histogram(
    "ncc_operator_reconcile_duration_seconds",
    "Duration of one reconcile pass.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

# -- Databricks requests -------------------------------------------------------------------------

REQUESTS = Counter(
    "ncc_operator_databricks_requests_total",
    "HTTP attempts to the Databricks Account API by operation and status code ('none': no answer).",
    ["operation", "status_code"],
)
REQUEST_SECONDS = Histogram(
    "ncc_operator_databricks_request_duration_seconds",
    "Duration of one HTTP attempt to the Databricks Account API.",
    ["operation"],
)
THROTTLED = Counter(
    "ncc_operator_databricks_throttled_total",
    "Databricks answers 429 Too Many Requests (the client backs off and retries).",
)
_OPERATIONS: dict[tuple[str, str], str] = {
    ("POST", NCCS): "create_ncc",
    ("GET", NCCS): "list_nccs",
    ("GET", NCC): "get_ncc",
    ("PATCH", NCC): "update_ncc",
    ("DELETE", NCC): "delete_ncc",
    ("POST", RULES): "create_rule",
    ("GET", RULES): "list_rules",
    ("GET", RULE): "get_rule",
    ("PATCH", RULE): "update_rule",
    ("DELETE", RULE): "delete_rule",
    ("GET", WORKSPACES): "list_workspaces",
    ("GET", WORKSPACE): "get_workspace",
    ("PATCH", WORKSPACE): "update_workspace",
}
_TOKEN = re.compile(r"^/oidc/.*/token$")

# -- lifecycle, events, process ------------------------------------------------------------------

TIME_TO_READY = Histogram(
    "ncc_operator_time_to_ready_seconds",
    "Seconds from an object's creation to its first Ready=True seen by this process.",
    ["kind"],
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 259200, 1209600),
)
EVENTS = Counter(
    "ncc_operator_events_total",
    "Kubernetes events posted, by kind, event type and reason (the fixed event vocabulary).",
    ["kind", "type", "reason"],
)
DRIFT = Counter(
    "ncc_operator_drift_corrections_total",
    "Objects found deleted or deactivated at Databricks out of band and recreated.",
    ["kind"],
)
BUILD_INFO = Gauge("ncc_operator_build_info", "Always 1; the operator's version.", ["version"])
LEADER = Gauge("ncc_operator_leader", "1 on the replica that is actively reconciling, else 0.")
_PROCESS_START = time.time()
_REASON = re.compile(r"^[A-Z][A-Za-z]{0,63}$")


def _controller(kind: str) -> str:
    """controller-runtime's default controller name: the lower-cased kind."""
    return kind.lower()


def _initialise() -> None:
    # Series exist from the first scrape, so rate() and "errors > 0" alerts work before the first
    # event (controller-runtime does the same).
    BUILD_INFO.labels(VERSION).set(1)
    for kind in KINDS:
        CR_ERRORS.labels(_controller(kind))
        CR_WORKERS.labels(_controller(kind))
        DRIFT.labels(kind)
        for result in ("success", "error"):
            CR_RECONCILES.labels(_controller(kind), result)


# -- the hooks the operator calls ---------------------------------------------------------------


def operation_of(method: str, template: str) -> str:
    """The fixed ``operation`` label for one request's route template; ``other`` if unknown."""
    if _TOKEN.match(template):
        return "token"
    return _OPERATIONS.get((method.upper(), template), "other")


def record_request(event: RequestEvent) -> None:
    """The Databricks client's request hook."""
    operation = operation_of(event.method, event.path)
    status = str(event.status) if event.status is not None else "none"
    REQUESTS.labels(operation, status).inc()
    REQUEST_SECONDS.labels(operation).observe(event.duration)
    if event.status == 429:
        THROTTLED.inc()


def record_reconcile(kind: str, action: str, outcome: str, seconds: float) -> None:
    RECONCILES.labels(kind, action, outcome).inc()
    RECONCILE_SECONDS.labels(kind).observe(seconds)
    controller = _controller(kind)
    failed = outcome == "error"
    CR_RECONCILES.labels(controller, "error" if failed else "success").inc()
    CR_SECONDS.labels(controller).observe(seconds)
    if failed:
        CR_ERRORS.labels(controller).inc()


@contextlib.contextmanager
def reconciling(kind: str) -> Iterator[None]:
    """Around one reconcile pass: counts it in ``controller_runtime_active_workers``."""
    gauge = CR_WORKERS.labels(_controller(kind))
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def record_event(kind: str, reason: str, *, warning: bool = False) -> None:
    """Every event the engine posts; a ``DriftDetected`` is one drift correction."""
    EVENTS.labels(kind, "Warning" if warning else "Normal", _bounded(reason)).inc()
    if reason == DRIFT_REASON:
        DRIFT.labels(kind).inc()


def set_leader(active: bool) -> None:
    LEADER.set(1 if active else 0)


_serving: set[int] = set()


def serve(port: int, *, leader: bool = True) -> None:
    """Start ``/metrics`` on ``port`` (0: none) unless it is already served, and say whether
    this replica leads (a standby serves it before Kopf starts; a single replica leads)."""
    if port and port not in _serving:
        prometheus_client.start_http_server(port)
        _serving.add(port)
    set_leader(leader)


def record_conditions(kind: str, namespace: str, name: str, *, ready: bool, synced: bool) -> None:
    with _TABLE.lock:
        state = _TABLE.entry(kind, namespace, name)
        state.ready, state.synced = ready, synced


def record_rule_state(namespace: str, name: str, state: str | None) -> None:
    with _TABLE.lock:
        _TABLE.entry(RULE_KIND, namespace, name).connection_state = state


def record_status(
    kind: str, namespace: str, name: str, status: Mapping[str, Any], *, created: str | None = None
) -> None:
    """The object's whole status after a pass; ``created`` is its ``creationTimestamp``."""
    conditions = {
        str(c.get("type")): c for c in status.get("conditions", []) if isinstance(c, Mapping)
    }
    ready = conditions.get("Ready", {})
    now = time.time()
    with _TABLE.lock:
        state = _TABLE.entry(kind, namespace, name)
        state.conditions = {
            type_: (str(c.get("status", "Unknown")), _bounded(str(c.get("reason", ""))))
            for type_, c in conditions.items()
            if type_ in ("Ready", "Synced")
        }
        state.ready = ready.get("status") == "True"
        state.synced = conditions.get("Synced", {}).get("status") == "True"
        if kind == RULE_KIND:
            state.connection_state = status.get("atProvider", {}).get("connectionState")
        awaiting = state.connection_state == "PENDING" or ready.get("reason") == "AwaitingApproval"
        if not awaiting:
            state.pending_since = None
        elif state.pending_since is None:
            state.pending_since = _epoch(ready.get("lastTransitionTime")) or now
        became_ready = _epoch(ready.get("lastTransitionTime"))
        if (
            state.ready
            and not state.timed
            and became_ready
            and became_ready >= math.floor(_PROCESS_START)
        ):
            # Only a transition this process wrote: after a restart, objects Ready long ago
            # are not new data points. The stamp has whole seconds, so the start's second counts.
            start = _epoch(created) or state.first_seen
            TIME_TO_READY.labels(kind).observe(max(0.0, became_ready - start))
        state.timed = state.timed or state.ready


def forget(kind: str, namespace: str, name: str) -> None:
    """Drop a deleted resource's series so dashboards do not show ghosts."""
    with _TABLE.lock:
        _TABLE.objects.pop((kind, namespace, name), None)


# -- object state, rendered at scrape time ------------------------------------------------------


@dataclass
class _State:
    first_seen: float = field(default_factory=time.time)
    ready: bool = False
    synced: bool = False
    conditions: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Condition type -> (status, reason)."""
    connection_state: str | None = None
    pending_since: float | None = None
    timed: bool = False
    """Ready was seen (time to ready observed, or Ready before this process started)."""


@dataclass
class _Table:
    objects: dict[tuple[str, str, str], _State] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def entry(self, kind: str, namespace: str, name: str) -> _State:
        return self.objects.setdefault((kind, namespace, name), _State())

    def snapshot(self) -> list[tuple[tuple[str, str, str], _State]]:
        with self.lock:
            return [(key, _copy(state)) for key, state in self.objects.items()]


def _copy(state: _State) -> _State:
    return _State(
        state.first_seen,
        state.ready,
        state.synced,
        dict(state.conditions),
        state.connection_state,
        state.pending_since,
        state.timed,
    )


class _ObjectCollector(Collector):
    """Renders the object table: counts, per-object conditions, rule states and pending time."""

    def collect(self) -> Iterable[Metric]:
        rows = _TABLE.snapshot()
        now = time.time()
        yield _counts(rows)
        yield _condition_family(rows)
        yield _state_counts(rows)
        pending = GaugeMetricFamily(
            "ncc_operator_rule_pending_seconds",
            "Seconds each PrivateEndpointRule has been awaiting approval (PENDING; expires "
            "after 14 days).",
            labels=["namespace", "name"],
        )
        for (_, namespace, name), state in rows:
            if state.pending_since is not None:
                pending.add_metric([namespace, name], max(0.0, now - state.pending_since))
        yield pending
        yield from _legacy(rows)


def _counts(rows: list[tuple[tuple[str, str, str], _State]]) -> Metric:
    family = GaugeMetricFamily(
        "ncc_operator_resources",
        "Custom resources this operator reconciles, by kind and Ready/Synced.",
        labels=["kind", "ready", "synced"],
    )
    counts = {(k, r, s): 0 for k in KINDS for r in ("true", "false") for s in ("true", "false")}
    for (kind, _, _), state in rows:
        key = (kind, str(state.ready).lower(), str(state.synced).lower())
        counts[key] = counts.get(key, 0) + 1
    for labels, count in counts.items():
        family.add_metric(list(labels), count)
    return family


def _condition_family(rows: list[tuple[tuple[str, str, str], _State]]) -> Metric:
    family = GaugeMetricFamily(
        "ncc_operator_resource_condition",
        "1 for each object's current condition status and reason (Ready, Synced), for routing.",
        labels=["kind", "namespace", "name", "condition", "status", "reason"],
    )
    for (kind, namespace, name), state in rows:
        conditions = state.conditions or {
            "Ready": (str(state.ready), ""),
            "Synced": (str(state.synced), ""),
        }
        for type_, (status, reason) in conditions.items():
            family.add_metric([kind, namespace, name, type_, status, reason], 1)
    return family


def _state_counts(rows: list[tuple[tuple[str, str, str], _State]]) -> Metric:
    family = GaugeMetricFamily(
        "ncc_operator_private_endpoint_rules",
        "PrivateEndpointRules by Databricks connection state (the endpoint count drives "
        "private connectivity cost: docs/concepts.md).",
        labels=["connection_state"],
    )
    counts = dict.fromkeys(RULE_STATES, 0)
    for (kind, _, _), state in rows:
        if kind == RULE_KIND and state.connection_state in counts:
            counts[state.connection_state] += 1
    for state_name, count in counts.items():
        family.add_metric([state_name], count)
    return family


def _legacy(rows: list[tuple[tuple[str, str, str], _State]]) -> Iterator[Metric]:
    """The first release's per-object gauges, kept for dashboards and the benchmark."""
    ready = GaugeMetricFamily(
        "ncc_operator_resource_ready",
        "1 when the resource's Ready condition is True, else 0.",
        labels=["kind", "namespace", "name"],
    )
    synced = GaugeMetricFamily(
        "ncc_operator_resource_synced",
        "1 when the resource's Synced condition is True, else 0.",
        labels=["kind", "namespace", "name"],
    )
    rule_state = GaugeMetricFamily(
        "ncc_operator_private_endpoint_rule_state",
        "1 for the current Databricks connection state of each PrivateEndpointRule.",
        labels=["namespace", "name", "state"],
    )
    for (kind, namespace, name), state in rows:
        ready.add_metric([kind, namespace, name], 1 if state.ready else 0)
        synced.add_metric([kind, namespace, name], 1 if state.synced else 0)
        if kind == RULE_KIND:
            for candidate in RULE_STATES:
                flag = 1 if candidate == state.connection_state else 0
                rule_state.add_metric([namespace, name, candidate], flag)
    yield ready
    yield synced
    yield rule_state


def _bounded(reason: str) -> str:
    """A CamelCase reason from our vocabulary; anything else is one value, not a new series."""
    return reason if not reason or _REASON.match(reason) else "Other"


def _epoch(stamp: object) -> float | None:
    """An RFC 3339 Kubernetes timestamp (``2026-01-01T00:00:00Z``) as epoch seconds."""
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


_TABLE = _Table()
REGISTRY.register(_ObjectCollector())
_initialise()
