"""Parsing custom resources as Kopf delivers them, and writing them back (wire names,
conditions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import kopf
import pytest

from ncc_operator.models import (
    PAUSED_ANNOTATION,
    RECONCILE_REQUESTED_AT_ANNOTATION,
    AuthMethod,
    Condition,
    ConditionStatus,
    ConditionType,
    CustomResource,
    DatabricksAccountResource,
    DeletionPolicy,
    ManagementPolicy,
    NetworkConnectivityConfigResource,
    NetworkPolicyResource,
    ObjectMeta,
    PrivateEndpointRuleResource,
)

from .bodies import ACCOUNT_BODY, NCC_BODY, RULE_BODY, meta
from .doc_examples import doc_examples


@pytest.mark.parametrize(
    ("wrap", "reason"),
    [
        pytest.param(lambda b: b, "plain dict from the apiserver", id="dict"),
        pytest.param(kopf.Body, "Kopf hands handlers a Body mapping view", id="kopf-body"),
    ],
)
def test_parse_real_looking_bodies(wrap: Any, reason: str) -> None:
    account = DatabricksAccountResource.from_body(wrap(ACCOUNT_BODY))
    assert account.spec.auth.method is AuthMethod.WORKLOAD_IDENTITY, reason
    ready = account.status.condition(ConditionType.READY)
    assert ready is not None
    assert ready.status is ConditionStatus.TRUE
    assert account.status.at_provider is not None
    assert account.status.at_provider.auth_type == "file-oidc"
    assert account.metadata.finalizers == ["ncc-operator.io/finalizer"]
    assert (account.name, account.namespace, account.generation) == ("prod", "team-a", 3)

    ncc = NetworkConnectivityConfigResource.from_body(wrap(NCC_BODY))
    assert ncc.metadata.paused
    assert ncc.spec.deletion_policy is DeletionPolicy.ORPHAN
    assert ncc.status.at_provider is not None
    assert ncc.status.at_provider.rule_counts == {"ESTABLISHED": 2, "PENDING": 1}
    assert ncc.status.at_provider.egress_config is not None
    assert ncc.status.at_provider.egress_config.aws_stable_ip_cidr_blocks == []

    rule = PrivateEndpointRuleResource.from_body(wrap(RULE_BODY))
    assert rule.metadata.deleting
    assert rule.spec.management_policy is ManagementPolicy.OBSERVE_ONLY
    assert rule.status.conditions == []  # no status yet: defaults
    assert rule.status.at_provider is None


@pytest.mark.parametrize(
    ("annotations", "paused", "requested"),
    [
        pytest.param({}, False, None, id="none"),
        pytest.param({PAUSED_ANNOTATION: "true"}, True, None, id="true"),
        pytest.param({PAUSED_ANNOTATION: " True "}, True, None, id="case-and-space"),
        pytest.param({PAUSED_ANNOTATION: "false"}, False, None, id="false"),
        pytest.param({PAUSED_ANNOTATION: "yes"}, False, None, id="only-true-pauses"),
        pytest.param({RECONCILE_REQUESTED_AT_ANNOTATION: "t1"}, False, "t1", id="requested"),
    ],
)
def test_annotations(annotations: dict[str, str], paused: bool, requested: str | None) -> None:
    parsed = ObjectMeta.model_validate(meta(annotations=annotations))
    assert parsed.paused is paused
    assert parsed.annotations.get(RECONCILE_REQUESTED_AT_ANNOTATION) == requested


def test_condition_round_trips_with_second_precision() -> None:
    # metav1.Time has whole seconds: a condition must equal itself after a write and a read.
    made = Condition(
        type="Ready",
        status=ConditionStatus.FALSE,
        reason="AwaitingApproval",
        message="approve the pending connection",
        last_transition_time=datetime(2026, 11, 28, 3, 1, 2, 987654, tzinfo=UTC),
        observed_generation=2,
    )
    wire = made.to_k8s()
    assert wire["lastTransitionTime"] == "2026-11-28T03:01:02Z"
    assert wire["status"] == "False"
    assert Condition.model_validate(wire) == made


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            {"accountRef": {"name": "a"}, "region": "eastus2"},
            {
                "accountRef": {"name": "a"},
                "region": "eastus2",
                "workspaceIds": [],
                "allowedRuleNamespaces": {"from": "Same"},
                "deletionPolicy": "Delete",
                "managementPolicy": "Manage",
            },
            id="ncc-defaults-in-camel-case",
        ),
    ],
)
def test_to_k8s_uses_wire_names_and_defaults(
    spec: dict[str, Any], expected: dict[str, Any]
) -> None:
    body = {"metadata": meta(), "spec": spec}
    assert NetworkConnectivityConfigResource.from_body(body).spec.to_k8s() == expected


def test_docs_examples_parse() -> None:
    # docs/api.md shows one example per kind (a rule per cloud); the models must read them.
    by_kind: dict[str, type[CustomResource[Any, Any]]] = {
        "DatabricksAccount": DatabricksAccountResource,
        "NetworkConnectivityConfig": NetworkConnectivityConfigResource,
        "PrivateEndpointRule": PrivateEndpointRuleResource,
        "NetworkPolicy": NetworkPolicyResource,
    }
    examples = doc_examples()
    assert sorted(obj["kind"] for obj in examples) == sorted(
        [
            "DatabricksAccount",
            "NetworkConnectivityConfig",
            *["PrivateEndpointRule"] * 3,
            "NetworkPolicy",
        ]
    )
    for obj in examples:
        parsed = by_kind[obj["kind"]].from_body(obj)
        assert parsed.metadata.name == obj["metadata"]["name"]
