"""The metrics module as Prometheus sees it: every family the issue names, with HELP text,
bounded labels, and the values that the wiring's calls produce.

Each test records through the same functions the operator calls (``record_*``, ``forget``,
``reconciling``) and reads the text exposition back, so a renamed metric or label fails here.
Object names are unique per test because the registry is process-wide.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY, generate_latest

from ncc_operator import metrics
from ncc_operator.databricks import RequestEvent
from ncc_operator.databricks.client import NCC, NCCS, RULE, RULES, WORKSPACE, WORKSPACES

from .scrape import Scrape

RULE_KIND = "PrivateEndpointRule"
NCC_KIND = "NetworkConnectivityConfig"


def scrape() -> Scrape:
    return Scrape(generate_latest(REGISTRY).decode())


def unique() -> str:
    return f"m-{uuid.uuid4().hex[:8]}"


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(
    ready: tuple[str, str], synced: tuple[str, str] = ("True", "ReconcileSuccess"), **extra: object
) -> dict[str, object]:
    now = stamp(datetime.now(UTC))
    return {
        "observedGeneration": 1,
        "conditions": [
            {"type": "Ready", "status": ready[0], "reason": ready[1], "lastTransitionTime": now},
            {"type": "Synced", "status": synced[0], "reason": synced[1], "lastTransitionTime": now},
        ],
        **extra,
    }


# Family names as the text parser reports them (counters without ``_total``).
REQUIRED_FAMILIES = [
    "controller_runtime_reconcile",
    "controller_runtime_reconcile_errors",
    "controller_runtime_reconcile_time_seconds",
    "controller_runtime_active_workers",
    "ncc_operator_databricks_requests",
    "ncc_operator_databricks_request_duration_seconds",
    "ncc_operator_databricks_throttled",
    "ncc_operator_resources",
    "ncc_operator_resource_condition",
    "ncc_operator_private_endpoint_rules",
    "ncc_operator_rule_pending_seconds",
    "ncc_operator_time_to_ready_seconds",
    "ncc_operator_drift_corrections",
    "ncc_operator_build_info",
    "ncc_operator_leader",
]


def test_every_family_of_the_issue_is_exported_with_help_text() -> None:
    name = unique()
    metrics.record_status(
        RULE_KIND,
        "ns",
        name,
        status(("False", "AwaitingApproval"), atProvider={"connectionState": "PENDING"}),
    )
    metrics.set_leader(True)
    helps = scrape().help
    missing = [f for f in REQUIRED_FAMILIES if f not in helps]
    assert missing == []
    assert [f for f in REQUIRED_FAMILIES if not helps[f].strip()] == []
    metrics.forget(RULE_KIND, "ns", name)


@pytest.mark.parametrize(
    ("method", "template", "operation"),
    [
        ("POST", NCCS, "create_ncc"),
        ("GET", NCCS, "list_nccs"),
        ("GET", NCC, "get_ncc"),
        ("PATCH", NCC, "update_ncc"),
        ("DELETE", NCC, "delete_ncc"),
        ("POST", RULES, "create_rule"),
        ("GET", RULES, "list_rules"),
        ("GET", RULE, "get_rule"),
        ("PATCH", RULE, "update_rule"),
        ("DELETE", RULE, "delete_rule"),
        ("GET", WORKSPACES, "list_workspaces"),
        ("GET", WORKSPACE, "get_workspace"),
        ("PATCH", WORKSPACE, "update_workspace"),
        # The SDK's token endpoints (M2M, workload identity) when they are reported.
        ("POST", "/oidc/accounts/{account_id}/v1/token", "token"),
        # Anything new falls into one bucket instead of minting a label value per path.
        ("PUT", "/api/2.0/accounts/{account_id}/something-new", "other"),
        ("GET", "/api/2.0/accounts/abc-123/network-connectivity-configs/xyz", "other"),
    ],
)
def test_operation_is_a_fixed_vocabulary_from_the_route_template(
    method: str, template: str, operation: str
) -> None:
    assert metrics.operation_of(method, template) == operation


def test_request_hook_counts_by_operation_and_status_code_and_counts_throttling() -> None:
    before = scrape()
    metrics.record_request(RequestEvent("GET", NCC, 200, 0.02, 1, "success"))
    metrics.record_request(RequestEvent("POST", RULES, 429, 0.01, 1, "retry"))
    metrics.record_request(RequestEvent("POST", RULES, None, 0.5, 2, "outcome_unknown"))
    after = scrape()
    name = "ncc_operator_databricks_requests_total"

    def delta(**labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert delta(operation="get_ncc", status_code="200") == 1
    assert delta(operation="create_rule", status_code="429") == 1
    assert delta(operation="create_rule", status_code="none") == 1
    throttled = "ncc_operator_databricks_throttled_total"
    assert after.value(throttled) - before.value(throttled) == 1
    histogram = "ncc_operator_databricks_request_duration_seconds_count"
    assert (
        after.value(histogram, operation="create_rule")
        - before.value(histogram, operation="create_rule")
        == 2
    )
    for sample in after.find(name):
        assert set(sample.labels) == {"operation", "status_code"}


def test_status_gives_condition_series_with_reason_counts_and_pending_seconds() -> None:
    name = unique()
    since = datetime.now(UTC) - timedelta(hours=25)
    pending = status(("False", "AwaitingApproval"), atProvider={"connectionState": "PENDING"})
    pending["conditions"][0]["lastTransitionTime"] = stamp(since)  # type: ignore[index]
    before = scrape()
    metrics.record_status(RULE_KIND, "team-a", name, pending)
    now = scrape()
    condition = now.find("ncc_operator_resource_condition", name=name, condition="Ready")
    assert [(s.labels["status"], s.labels["reason"], s.value) for s in condition] == [
        ("False", "AwaitingApproval", 1.0)
    ]
    assert (
        now.value("ncc_operator_resources", kind=RULE_KIND, ready="false", synced="true")
        - before.value("ncc_operator_resources", kind=RULE_KIND, ready="false", synced="true")
        == 1
    )
    assert (
        now.value("ncc_operator_private_endpoint_rules", connection_state="PENDING")
        - before.value("ncc_operator_private_endpoint_rules", connection_state="PENDING")
        == 1
    )
    waited = now.value("ncc_operator_rule_pending_seconds", namespace="team-a", name=name)
    assert 25 * 3600 - 5 <= waited <= 25 * 3600 + 60

    # Approved: the old reason's series goes (no ghost AwaitingApproval), pending stops.
    metrics.record_status(
        RULE_KIND,
        "team-a",
        name,
        status(("True", "Established"), atProvider={"connectionState": "ESTABLISHED"}),
    )
    later = scrape()
    condition = later.find("ncc_operator_resource_condition", name=name, condition="Ready")
    assert [(s.labels["status"], s.labels["reason"]) for s in condition] == [
        ("True", "Established")
    ]
    assert later.find("ncc_operator_rule_pending_seconds", name=name) == []

    metrics.forget(RULE_KIND, "team-a", name)
    gone = scrape()
    assert [s for s in gone.samples if s.labels.get("name") == name] == []


def test_legacy_calls_keep_feeding_the_same_series() -> None:
    """adapters.py calls record_conditions and record_rule_state today: they must still work."""
    name = unique()
    metrics.record_conditions(NCC_KIND, "ns", name, ready=True, synced=False)
    metrics.record_rule_state("ns", name, "REJECTED")
    now = scrape()
    assert now.value("ncc_operator_resource_ready", kind=NCC_KIND, name=name) == 1
    assert now.value("ncc_operator_resource_synced", kind=NCC_KIND, name=name) == 0
    assert now.value("ncc_operator_private_endpoint_rule_state", name=name, state="REJECTED") == 1
    metrics.forget(NCC_KIND, "ns", name)
    metrics.forget(RULE_KIND, "ns", name)
    assert [s for s in scrape().samples if s.labels.get("name") == name] == []


def test_reconcile_feeds_controller_runtime_series() -> None:
    before = scrape()
    metrics.record_reconcile(RULE_KIND, "observe", "success", 0.2)
    metrics.record_reconcile(RULE_KIND, "create", "error", 0.3)
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    ctrl = "privateendpointrule"  # controller-runtime's default: the lower-cased kind
    assert delta("controller_runtime_reconcile_total", controller=ctrl, result="success") == 1
    assert delta("controller_runtime_reconcile_total", controller=ctrl, result="error") == 1
    assert delta("controller_runtime_reconcile_errors_total", controller=ctrl) == 1
    assert delta("controller_runtime_reconcile_time_seconds_count", controller=ctrl) == 2
    # Zero-initialised for every controller, so rate() and alerts work before the first error.
    for kind in ("databricksaccount", "networkconnectivityconfig", ctrl):
        assert after.find("controller_runtime_reconcile_errors_total", controller=kind)


def test_active_workers_count_reconciles_in_flight() -> None:
    name = "controller_runtime_active_workers"
    with metrics.reconciling(NCC_KIND):
        during = scrape().value(name, controller="networkconnectivityconfig")
    after = scrape().value(name, controller="networkconnectivityconfig")
    assert (during, after) == (1, 0)


def test_drift_detected_event_counts_one_correction() -> None:
    name = "ncc_operator_drift_corrections_total"
    before = scrape().value(name, kind=RULE_KIND)
    metrics.record_event(RULE_KIND, "DriftDetected")
    metrics.record_event(RULE_KIND, "Recreated")  # the same correction's second event
    assert scrape().value(name, kind=RULE_KIND) - before == 1


def test_time_to_ready_is_observed_once_from_creation_to_ready() -> None:
    name = unique()
    created = datetime.now(UTC) - timedelta(seconds=90)
    metric = "ncc_operator_time_to_ready_seconds"
    before = scrape()
    metrics.record_status(
        NCC_KIND, "ns", name, status(("False", "Creating")), created=stamp(created)
    )
    metrics.record_status(
        NCC_KIND, "ns", name, status(("True", "Available")), created=stamp(created)
    )
    metrics.record_status(
        NCC_KIND, "ns", name, status(("True", "Available")), created=stamp(created)
    )
    after = scrape()
    assert (
        after.value(f"{metric}_count", kind=NCC_KIND)
        - before.value(f"{metric}_count", kind=NCC_KIND)
        == 1
    )
    observed = after.value(f"{metric}_sum", kind=NCC_KIND) - before.value(
        f"{metric}_sum", kind=NCC_KIND
    )
    assert 85 <= observed <= 100
    metrics.forget(NCC_KIND, "ns", name)


def test_ready_before_this_process_started_is_not_a_time_to_ready() -> None:
    """After a restart, objects that were Ready long ago must not flood the histogram."""
    name = unique()
    long_ago = datetime.now(UTC) - timedelta(days=3)
    old = status(("True", "Available"))
    old["conditions"][0]["lastTransitionTime"] = stamp(long_ago)  # type: ignore[index]
    metric = "ncc_operator_time_to_ready_seconds_count"
    before = scrape().value(metric, kind=NCC_KIND)
    metrics.record_status(NCC_KIND, "ns", name, old, created=stamp(long_ago - timedelta(hours=1)))
    assert scrape().value(metric, kind=NCC_KIND) == before
    metrics.forget(NCC_KIND, "ns", name)


def test_ready_within_the_second_this_process_started_is_a_time_to_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``lastTransitionTime`` has whole seconds: an object this process made Ready 0.3 s after it
    started is stamped before the start instant, and must still count (CI saw the account's
    first Ready go missing this way)."""
    name = unique()
    started = datetime.now(UTC).replace(microsecond=700_000)
    monkeypatch.setattr(metrics, "_PROCESS_START", started.timestamp())
    ready = status(("True", "Available"))
    ready["conditions"][0]["lastTransitionTime"] = stamp(started)  # type: ignore[index]
    metric = "ncc_operator_time_to_ready_seconds_count"
    before = scrape().value(metric, kind=NCC_KIND)
    metrics.record_status(NCC_KIND, "ns", name, ready, created=stamp(started))
    assert scrape().value(metric, kind=NCC_KIND) == before + 1
    metrics.forget(NCC_KIND, "ns", name)


def test_build_info_and_leader() -> None:
    now = scrape()
    assert now.find("ncc_operator_build_info", version=metrics.VERSION)[0].value == 1
    metrics.set_leader(False)
    assert scrape().value("ncc_operator_leader") == 0
    metrics.set_leader(True)
    assert scrape().value("ncc_operator_leader") == 1


UNBOUNDED = re.compile(r"https?://|/api/|[0-9a-f]{8}-[0-9a-f]{4}-|\s")


def test_no_label_value_is_a_url_an_id_or_a_message() -> None:
    metrics.record_request(RequestEvent("GET", RULE, 404, 0.01, 1, "fail"))
    metrics.record_status(
        RULE_KIND,
        "ns",
        "x",
        status(
            ("False", "Rejected"),
            atProvider={"connectionState": "REJECTED", "errorMessage": "no way"},
        ),
    )
    offending = [
        (s.name, k, v)
        for s in scrape().samples
        for k, v in s.labels.items()
        if k != "le" and UNBOUNDED.search(v)
    ]
    assert offending == []
    metrics.forget(RULE_KIND, "ns", "x")


def test_pending_seconds_grow_between_scrapes_without_new_calls() -> None:
    name = unique()
    metrics.record_status(
        RULE_KIND,
        "ns",
        name,
        status(("False", "AwaitingApproval"), atProvider={"connectionState": "PENDING"}),
    )
    first = scrape().value("ncc_operator_rule_pending_seconds", name=name)
    time.sleep(1.1)
    second = scrape().value("ncc_operator_rule_pending_seconds", name=name)
    assert second > first
    metrics.forget(RULE_KIND, "ns", name)
