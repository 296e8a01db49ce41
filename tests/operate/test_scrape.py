"""A running operator, scraped after a real story, exports every series of the issue with the
values the story implies; and every metric the Grafana dashboard queries exists on such a scrape.

The expected values come from the other side of each fact, never from the operator's own
bookkeeping: object counts and conditions from ``kubectl get``, request counts from the
emulator's request counter, one drift correction from the one out-of-band delete.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import ncc_operator
from ncc_operator import metrics
from tests.cluster.conftest import Env

from .scrape import Scrape
from .story import MetricsEndpoint, broken_story, everyday_story, serve_metrics
from .test_dashboard import all_queried_names
from .test_metrics import REQUIRED_FAMILIES

ROOT = Path(__file__).resolve().parents[2]
KINDS = {
    "DatabricksAccount": "databricksaccounts",
    "NetworkConnectivityConfig": "networkconnectivityconfigs",
    "PrivateEndpointRule": "privateendpointrules",
}


def objects(env: Env) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for plural in KINDS.values():
        found += json.loads(env.kubectl("get", plural, "-o", "json"))["items"]
    return found


def conditions(obj: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        c["type"]: (c["status"], c.get("reason", ""))
        for c in obj.get("status", {}).get("conditions", [])
    }


def by_operation(counts: dict[str, int]) -> Counter[str]:
    """The emulator's request counts ("METHOD /template") in the operator's vocabulary."""
    out: Counter[str] = Counter()
    for key, n in counts.items():
        method, _, template = key.partition(" ")
        if template.startswith("/api/"):
            out[metrics.operation_of(method, template)] += n
    return out


def operator_requests(scrape: Scrape) -> Counter[str]:
    out: Counter[str] = Counter()
    for sample in scrape.find("ncc_operator_databricks_requests_total"):
        out[sample.labels["operation"]] += int(sample.value)
    return out


# The series one Databricks request moves. prometheus-client collects each family on its own
# while the operator's loop keeps recording, so one scrape may hold a request in the counter but
# not yet in the histogram: only a scrape equal to the one before it on all of these is quiet.
REQUEST_SERIES = (
    "ncc_operator_databricks_requests_total",
    "ncc_operator_databricks_request_duration_seconds_count",
    "ncc_operator_databricks_throttled_total",
)


def request_series(scrape: Scrape) -> list[tuple[str, tuple[tuple[str, str], ...], float]]:
    return sorted(
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for s in scrape.samples
        if s.name in REQUEST_SERIES
    )


def quiet_scrape(env: Env, endpoint: MetricsEndpoint) -> tuple[Scrape, Counter[str]]:
    """A scrape taken when no request was answered since the one before it, and the emulator's
    counts read between the two: the emulator counts on arrival, the hook on answer, so at such a
    moment both sides hold the same requests."""
    for _ in range(20):
        before = endpoint.scrape()
        emulator = by_operation(env.emulator.admin.request_counts())
        after = endpoint.scrape()
        if request_series(before) == request_series(after):
            return after, emulator
        time.sleep(0.3)
    raise AssertionError("the operator never paused its requests for one scrape")


def test_a_real_story_exports_every_series_with_the_expected_values(env: Env) -> None:
    endpoint = serve_metrics(env)
    broken_story(env)
    # Throttle a few seconds of polling (PENDING rules poll fast), then let it recover.
    env.emulator.admin.set_faults(rate_429=0.5, retry_after=1, seed=7)
    time.sleep(4)
    env.emulator.admin.clear_faults()
    time.sleep(3)
    scrape, emulator_seen = quiet_scrape(env, endpoint)
    operator_seen = operator_requests(scrape)
    live = objects(env)

    helps = scrape.help
    assert [f for f in REQUIRED_FAMILIES if not helps.get(f, "").strip()] == []

    # Databricks requests: the operator counted exactly what the emulator served, per operation
    # (minus the one DELETE the story sent itself, out of band).
    emulator_seen["delete_rule"] -= 1
    emulator_seen += Counter()  # drop zero entries
    assert operator_seen == emulator_seen
    assert operator_seen["create_rule"] == 5, "four rules and one recreation"
    # Within a quiet scrape every counted request has exactly one duration observation.
    for operation in operator_seen:
        count = scrape.value(
            "ncc_operator_databricks_request_duration_seconds_count", operation=operation
        )
        assert count == operator_seen[operation], operation
    throttled = scrape.value("ncc_operator_databricks_throttled_total")
    assert throttled > 0
    assert throttled == scrape.value("ncc_operator_databricks_requests_total", status_code="429")

    # Objects: counts and per-object conditions agree with what the API server holds.
    expected_counts = Counter(
        (o["kind"], str(conditions(o).get("Ready", ("",))[0] == "True").lower(),
         str(conditions(o).get("Synced", ("",))[0] == "True").lower())
        for o in live
    )  # fmt: skip
    for kind in KINDS:
        for ready in ("true", "false"):
            for synced in ("true", "false"):
                got = scrape.value("ncc_operator_resources", kind=kind, ready=ready, synced=synced)
                assert got == expected_counts[(kind, ready, synced)], (kind, ready, synced)
    for obj in live:
        name = obj["metadata"]["name"]
        for type_, (status, reason) in conditions(obj).items():
            series = scrape.find(
                "ncc_operator_resource_condition", kind=obj["kind"], name=name, condition=type_
            )
            assert [(s.labels["status"], s.labels["reason"], s.value) for s in series] == [
                (status, reason, 1.0)
            ], (obj["kind"], name, type_)
    assert conditions(next(o for o in live if o["metadata"]["name"] == "sql"))["Ready"] == (
        "False",
        "Rejected",
    )

    # Rules by connection state, pending time, drift, time to ready.
    states = {"ESTABLISHED": 1, "PENDING": 2, "REJECTED": 1, "CREATING": 0, "DISCONNECTED": 0}
    for state, n in states.items():
        assert scrape.value("ncc_operator_private_endpoint_rules", connection_state=state) == n
    pending = {s.labels["name"]: s.value for s in scrape.find("ncc_operator_rule_pending_seconds")}
    assert sorted(pending) == ["lake", "queue"]
    assert all(0 < v < 600 for v in pending.values())
    drift = "ncc_operator_drift_corrections_total"
    assert scrape.value(drift, kind="PrivateEndpointRule") == 1
    assert scrape.value(drift, kind="NetworkConnectivityConfig") == 0
    ready_once = {"DatabricksAccount": 1, "NetworkConnectivityConfig": 1, "PrivateEndpointRule": 2}
    for kind, n in ready_once.items():
        assert scrape.value("ncc_operator_time_to_ready_seconds_count", kind=kind) == n, kind

    # controller-runtime series, fed by the same passes as ours.
    for kind in KINDS:
        controller = kind.lower()
        ours = scrape.value("ncc_operator_reconcile_total", kind=kind)
        assert ours > 0
        assert scrape.value("controller_runtime_reconcile_total", controller=controller) == ours
        assert (
            scrape.value("controller_runtime_reconcile_time_seconds_count", controller=controller)
            == ours
        )
        assert scrape.value(
            "controller_runtime_reconcile_errors_total", controller=controller
        ) == scrape.value("ncc_operator_reconcile_total", kind=kind, outcome="error")
        workers = scrape.find("controller_runtime_active_workers", controller=controller)
        assert len(workers) == 1
        assert workers[0].value >= 0

    assert scrape.find("ncc_operator_build_info", version=ncc_operator.__version__)[0].value == 1
    assert scrape.value("ncc_operator_leader") == 1


def test_every_metric_the_dashboard_queries_exists_on_a_real_scrape(env: Env) -> None:
    endpoint = serve_metrics(env)
    everyday_story(env)
    names = endpoint.scrape().names
    queried = all_queried_names()
    assert queried, "the dashboard queries nothing"
    assert sorted(queried - names) == []
