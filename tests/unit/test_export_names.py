"""``ncc-operator export`` without a cluster: names, and what the CRDs cannot express.

Names must be valid Kubernetes names, the same on every export, and unique; GCP rules become
``spec.gcp``; a rule with no target the CRD knows, or an NCC whose region the CRD does not know,
is listed, never half-written.
"""

from __future__ import annotations

import re

import pytest
import yaml

from ncc_operator.databricks import (
    GcpEndpoint,
    GoogleApiEndpoints,
    NccPrivateEndpointRule,
    NetworkConnectivityConfiguration,
)
from ncc_operator.export import MAX_NAME, Inventory, k8s_name, manifests, render, unique_names
from ncc_operator.models import DatabricksAccountResource

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

# (text, expected, why)
NAMES: list[tuple[str, str, str]] = [
    ("prod", "prod", "already a name"),
    ("Legacy_Prod", "legacy-prod", "upper case and underscores"),
    ("__x__", "x", "no leading or trailing dash"),
    ("a..b--c", "a-b-c", "runs of other characters become one dash"),
    ("___", "x", "nothing usable left: still a name"),
]


@pytest.mark.parametrize(("text", "expected", "why"), NAMES, ids=[n[2] for n in NAMES])
def test_k8s_name(text: str, expected: str, why: str) -> None:
    assert k8s_name(text) == expected, why


def test_long_names_are_cut_with_a_hash_and_stay_distinct() -> None:
    a, b = k8s_name("n" * 80 + "a"), k8s_name("n" * 80 + "b")
    assert len(a) <= MAX_NAME, a
    assert DNS_LABEL.match(a), a
    assert a != b


def test_shared_bases_get_the_id_hash_others_stay() -> None:
    names = unique_names([("prod", "id-1"), ("prod", "id-2"), ("west", "id-3")])
    assert names[2] == "west"
    assert names[0] != names[1]
    assert all(n.startswith("prod-") and DNS_LABEL.match(n) for n in names[:2])
    assert unique_names([("prod", "id-2"), ("prod", "id-1")]) == [names[1], names[0]]


def _account() -> DatabricksAccountResource:
    return DatabricksAccountResource.from_body(
        {
            "metadata": {"name": "main", "namespace": "platform"},
            "spec": {
                "accountId": "0d5b5a1e-7c55-4c8e-9d3a-5e1f00c0ffee",
                "cloud": "aws",
                "auth": {"oauthM2M": {"secretRef": {"name": "creds"}}},
            },
        }
    )


ATTACHMENT = "projects/my-project/regions/us-east4/serviceAttachments/orders-db"


@pytest.mark.parametrize(
    ("rule", "name", "gcp"),
    [
        pytest.param(
            NccPrivateEndpointRule(
                rule_id="r1",
                gcp_endpoint=GcpEndpoint(service_attachment=ATTACHMENT, psc_endpoint_uri="x"),
                domain_names=["db.orders.internal"],
            ),
            "prod-orders-db",
            {"serviceAttachment": ATTACHMENT, "domainNames": ["db.orders.internal"]},
            id="service-attachment-with-domains",
        ),
        pytest.param(
            NccPrivateEndpointRule(
                rule_id="r2",
                gcp_endpoint=GcpEndpoint(
                    google_api_endpoints=GoogleApiEndpoints(endpoints=["storage.googleapis.com"])
                ),
            ),
            "prod-googleapis",
            {"googleApiEndpoints": ["storage.googleapis.com"]},
            id="google-apis",
        ),
        pytest.param(
            NccPrivateEndpointRule(
                rule_id="r3", gcp_endpoint=GcpEndpoint(all_vpc_sc_services=True)
            ),
            "prod-vpc-sc",
            {"allVpcScServices": True},
            id="all-vpc-sc-services",
        ),
    ],
)
def test_a_gcp_rule_is_exported_as_a_gcp_target(
    rule: NccPrivateEndpointRule, name: str, gcp: dict[str, object]
) -> None:
    # psc_endpoint_uri is output only: never in a spec.
    ncc = NetworkConnectivityConfiguration(
        network_connectivity_config_id="n1", name="prod", region="us-east4"
    )
    out = manifests(Inventory(_account(), [ncc], {"n1": [rule]}, {}), manage=False)
    (doc,) = [d for d in out.docs if d["kind"] == "PrivateEndpointRule"]
    assert doc["metadata"]["name"] == name
    assert doc["spec"]["gcp"] == gcp
    assert doc["spec"]["externalId"] == rule.rule_id
    assert out.notes == []


def test_what_cannot_be_expressed_is_listed_not_exported() -> None:
    nccs = [
        NetworkConnectivityConfiguration(
            network_connectivity_config_id="n1", name="prod", region="us-east-1"
        ),
        NetworkConnectivityConfiguration(
            network_connectivity_config_id="n2", name="mars", region="mars-north-1"
        ),
    ]
    rules = {
        "n1": [
            NccPrivateEndpointRule(rule_id="r-none"),
            NccPrivateEndpointRule(rule_id="r-old", endpoint_service="x.s3", deactivated=True),
            NccPrivateEndpointRule(
                rule_id="r-s3",
                endpoint_service="com.amazonaws.us-east-1.s3",
                resource_names=["lake"],
                enabled=False,
            ),
        ]
    }
    inventory = Inventory(_account(), nccs, rules, {"n1": [1111]})
    out = manifests(inventory, manage=False)
    docs = out.docs
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("NetworkConnectivityConfig", "prod"),
        ("PrivateEndpointRule", "prod-s3"),
    ]
    assert docs[1]["spec"]["aws"] == {
        "endpointService": "com.amazonaws.us-east-1.s3",
        "resourceNames": ["lake"],
        "enabled": False,
    }
    assert all(d["metadata"]["namespace"] == "platform" for d in docs)
    notes = " | ".join(out.notes)
    assert "NCC n2" in notes, notes
    assert "r-none" in notes, notes
    assert "r-old" not in notes  # deleted at Databricks: nothing to say
    text = render(inventory, manage=False)
    assert text.startswith("# Exported by ncc-operator export")
    assert text.count("# Not exported:") == len(out.notes) == 2
    assert [d for d in yaml.safe_load_all(text) if d] == docs
