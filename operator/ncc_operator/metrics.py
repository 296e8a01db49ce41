"""Prometheus metrics: reconcile outcomes, object readiness, rule states, Databricks requests.

Label values are bounded: kinds, actions, outcomes, HTTP path *templates* (never concrete ids),
and one series per custom resource for readiness and rule state — what alerts need ("a rule has
been AwaitingApproval for 3 days", "reconciles of X keep failing"). Nothing here ever carries a
secret: no URLs with values, no headers, no messages.
"""

from __future__ import annotations

import contextlib

from prometheus_client import Counter, Gauge, Histogram

from ncc_operator.databricks import RequestEvent

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
READY = Gauge(
    "ncc_operator_resource_ready",
    "1 when the resource's Ready condition is True, else 0.",
    ["kind", "namespace", "name"],
)
SYNCED = Gauge(
    "ncc_operator_resource_synced",
    "1 when the resource's Synced condition is True, else 0.",
    ["kind", "namespace", "name"],
)
RULE_STATE = Gauge(
    "ncc_operator_private_endpoint_rule_state",
    "1 for the current Databricks connection state of each PrivateEndpointRule.",
    ["namespace", "name", "state"],
)
REQUESTS = Counter(
    "ncc_operator_databricks_requests_total",
    "HTTP attempts to the Databricks Account API.",
    ["method", "path", "status", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "ncc_operator_databricks_request_duration_seconds",
    "Duration of one HTTP attempt to the Databricks Account API.",
    ["method", "path"],
)

RULE_STATES = (
    "CREATING",
    "PENDING",
    "ESTABLISHED",
    "REJECTED",
    "DISCONNECTED",
    "EXPIRED",
    "CREATE_FAILED",
)


def record_request(event: RequestEvent) -> None:
    """The Databricks client's request hook."""
    status = str(event.status) if event.status is not None else "none"
    REQUESTS.labels(event.method, event.path, status, event.outcome).inc()
    REQUEST_SECONDS.labels(event.method, event.path).observe(event.duration)


def record_reconcile(kind: str, action: str, outcome: str, seconds: float) -> None:
    RECONCILES.labels(kind, action, outcome).inc()
    RECONCILE_SECONDS.labels(kind).observe(seconds)


def record_conditions(kind: str, namespace: str, name: str, *, ready: bool, synced: bool) -> None:
    READY.labels(kind, namespace, name).set(1 if ready else 0)
    SYNCED.labels(kind, namespace, name).set(1 if synced else 0)


def record_rule_state(namespace: str, name: str, state: str | None) -> None:
    for candidate in RULE_STATES:
        RULE_STATE.labels(namespace, name, candidate).set(1 if candidate == state else 0)


def forget(kind: str, namespace: str, name: str) -> None:
    """Drop a deleted resource's series so dashboards do not show ghosts."""
    for gauge in (READY, SYNCED):
        with contextlib.suppress(KeyError):
            gauge.remove(kind, namespace, name)
    if kind == "PrivateEndpointRule":
        for candidate in RULE_STATES:
            with contextlib.suppress(KeyError):
                RULE_STATE.remove(namespace, name, candidate)
