"""GCP rules (``spec.gcp``) from kubectl to Databricks and back, on a ``--cloud gcp`` emulator.

GCP differs from the other clouds where the operator could go wrong: GET NCC does not carry GCP
rules (docs/serverless-egress.md §4.2), so a rule that read only its NCC would never see itself
and would be created again; the target is a oneof (service attachment, Google APIs, all VPC-SC
services); a service attachment must be in the NCC's region; only its domain names change.
Each case says what the user sees (status, events) and what Databricks holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ncc_emulator.testing import RunningEmulator
from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import Env, running
from tests.cluster.rules_support import (
    CREATE_RULE,
    GET_RULE,
    LIST_RULES,
    NCC_KIND,
    PATCH_RULE,
    RULE_KIND,
    active_rules,
    count,
    events_of,
    ready_ncc,
    wait_until,
)

REGION = "us-east4"
ATTACHMENT = f"projects/my-project/regions/{REGION}/serviceAttachments/orders-db"


@pytest.fixture
def gcp_env(
    crds: Cluster,
    namespace: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> Iterator[Env]:
    emulator = emulator_factory(cloud="gcp", workspaces=[(1111, REGION)])
    with running(crds, namespace, emulator, tmp_path / "operator.log") as env:
        ready_ncc(env, region=REGION)
        yield env


def gcp_rule(env: Env, name: str, target: str) -> None:
    env.rule(name, "gcp", target)


def at_databricks(env: Env, name: str) -> dict[str, Any]:
    rule_id = env.rule_id(name)
    (rule,) = [r for r in active_rules(env) if r["rule_id"] == rule_id]
    return rule


def test_a_service_attachment_rule_waits_for_the_producer_then_is_established(
    gcp_env: Env,
) -> None:
    env = gcp_env
    gcp_rule(
        env, "orders", f"{{serviceAttachment: {ATTACHMENT}, domainNames: [db.orders.internal]}}"
    )
    pending = env.wait_reason(RULE_KIND, "orders", "AwaitingApproval")
    rule = at_databricks(env, "orders")
    assert rule["gcp_endpoint"]["service_attachment"] == ATTACHMENT
    assert rule["domain_names"] == ["db.orders.internal"]
    assert "resource_id" not in rule or not rule["resource_id"]
    # The PSC endpoint Databricks made is shown, for the producer's accept list.
    assert pending["status"]["atProvider"]["pscEndpointUri"]
    env.emulator.admin.approve(env.rule_id("orders"))
    env.wait_reason(RULE_KIND, "orders", "Established")
    # GET NCC carries no GCP rule: the NCC counts its rules from the rule list.
    env.wait_for(
        NCC_KIND,
        "prod",
        lambda o: o.get("status", {}).get("atProvider", {}).get("ruleCounts") == {"ESTABLISHED": 1},
        what="ruleCounts ESTABLISHED 1",
    )

    env.kubectl(
        "patch", RULE_KIND, "orders", "--type=merge",
        "-p", '{"spec": {"gcp": {"domainNames": ["db.orders.internal", "ro.orders.internal"]}}}',
    )  # fmt: skip
    wait_until(
        lambda: (
            set(at_databricks(env, "orders")["domain_names"])
            == {"db.orders.internal", "ro.orders.internal"}
        ),
        "the new domain names at Databricks",
    )
    rule_id = env.rule_id("orders")
    assert [e["message"] for e in events_of(env, "orders", "Updated")] == [
        f"Updated domain_names of rule {rule_id}."
    ]
    time.sleep(3)  # settled: the rule, read from the list, is neither missing nor different
    assert count(env, CREATE_RULE) == 1
    assert count(env, PATCH_RULE) == 1
    # Every pass read the NCC's shared rule list; none needed a GET of the rule itself.
    assert count(env, LIST_RULES) >= 1
    assert count(env, GET_RULE) == 0

    env.kubectl("delete", RULE_KIND, "orders", "--wait=false")
    env.wait_gone(RULE_KIND, "orders")
    assert [r for r in active_rules(env) if r["rule_id"] == rule_id] == []


@pytest.mark.parametrize(
    ("target", "stored"),
    [
        pytest.param(
            "{googleApiEndpoints: [storage.googleapis.com, bigquery.googleapis.com]}",
            {
                "google_api_endpoints": {
                    "endpoints": ["storage.googleapis.com", "bigquery.googleapis.com"]
                }
            },
            id="google-apis",
        ),
        pytest.param(
            "{allVpcScServices: true}", {"all_vpc_sc_services": True}, id="all-vpc-sc-services"
        ),
    ],
)
def test_a_google_api_rule_needs_no_approval(
    gcp_env: Env, target: str, stored: dict[str, Any]
) -> None:
    # Google's own APIs have no producer to accept the connection (docs/emulator.md, GCP).
    env = gcp_env
    gcp_rule(env, "apis", target)
    env.wait_reason(RULE_KIND, "apis", "Established")
    endpoint = at_databricks(env, "apis")["gcp_endpoint"]
    assert {k: v for k, v in endpoint.items() if k != "psc_endpoint_uri"} == stored
    time.sleep(3)
    assert count(env, CREATE_RULE) == 1


def test_a_service_attachment_in_another_region_is_refused_before_any_call(gcp_env: Env) -> None:
    env = gcp_env
    elsewhere = "projects/my-project/regions/europe-west1/serviceAttachments/orders-db"
    gcp_rule(env, "far", f"{{serviceAttachment: {elsewhere}}}")
    refused = env.wait_reason(RULE_KIND, "far", "NotAllowed", type_="Synced")
    synced = next(c for c in refused["status"]["conditions"] if c["type"] == "Synced")
    assert "europe-west1" in synced["message"]
    assert REGION in synced["message"]
    assert count(env, CREATE_RULE) == 0
    assert events_of(env, "far", "NotAllowed"), "a Warning event says why"


def test_a_gcp_rule_on_an_azure_account_is_refused(
    crds: Cluster,
    namespace: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> None:
    emulator = emulator_factory(cloud="azure", workspaces=[(1111, "eastus2")])
    with running(crds, namespace, emulator, tmp_path / "operator.log") as env:
        ready_ncc(env)
        gcp_rule(env, "wrong", "{allVpcScServices: true}")
        refused = env.wait_reason(RULE_KIND, "wrong", "NotAllowed", type_="Synced")
        synced = next(c for c in refused["status"]["conditions"] if c["type"] == "Synced")
        assert "spec.azure" in synced["message"]
        assert count(env, CREATE_RULE) == 0
