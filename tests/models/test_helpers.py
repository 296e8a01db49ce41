"""Unit tests of the model helpers that apply the defaults and semantics the CRD schema cannot
express: hosts and audiences, Databricks names, namespace admission, rule targets.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ncc_operator.models import (
    AccountAuth,
    AllowedRuleNamespaces,
    AuthMethod,
    AwsTarget,
    AzureTarget,
    Cloud,
    DatabricksAccountSpec,
    NetworkConnectivityConfigResource,
    PrivateEndpointRuleResource,
    PrivateEndpointRuleSpec,
    WorkloadIdentityAuth,
    valid_ncc_name,
)

from .bodies import ACCOUNT_ID, RESOURCE_ID, meta


@pytest.mark.parametrize(
    ("cloud", "host", "expected"),
    [
        pytest.param("aws", None, "https://accounts.cloud.databricks.com", id="aws-default"),
        pytest.param("azure", None, "https://accounts.azuredatabricks.net", id="azure-default"),
        pytest.param("gcp", None, "https://accounts.gcp.databricks.com", id="gcp-default"),
        pytest.param("aws", "http://127.0.0.1:8080/", "http://127.0.0.1:8080", id="emulator-slash"),
        pytest.param("azure", "https://acc.example", "https://acc.example", id="explicit-host"),
    ],
)
def test_effective_host(cloud: str, host: str | None, expected: str) -> None:
    spec = DatabricksAccountSpec.model_validate(
        {
            "accountId": ACCOUNT_ID,
            "cloud": cloud,
            "host": host,
            "auth": {"token": {"secretRef": {"name": "pat"}}},
        }
    )
    assert spec.effective_host == expected


@pytest.mark.parametrize(
    ("auth", "method", "secret"),
    [
        pytest.param(
            {"oauthM2M": {"secretRef": {"name": "s"}}}, AuthMethod.OAUTH_M2M, "s", id="m2m"
        ),
        pytest.param(
            {"workloadIdentity": {"clientId": "c"}}, AuthMethod.WORKLOAD_IDENTITY, None, id="wif"
        ),
        pytest.param(
            {
                "azureClientSecret": {
                    "tenantId": "contoso.onmicrosoft.com",
                    "secretRef": {"name": "az"},
                }
            },
            AuthMethod.AZURE_CLIENT_SECRET,
            "az",
            id="azure",
        ),
        pytest.param({"token": {"secretRef": {"name": "pat"}}}, AuthMethod.TOKEN, "pat", id="pat"),
    ],
)
def test_auth_method_and_secret(
    auth: dict[str, Any], method: AuthMethod, secret: str | None
) -> None:
    parsed = AccountAuth.model_validate(auth)
    assert parsed.method is method
    assert parsed.secret_name == secret
    # Round trip: the wire name of each method is its camelCase field name.
    assert list(parsed.to_k8s()) == [method.value]


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param({}, id="none"),
        pytest.param(
            {"token": {"secretRef": {"name": "a"}}, "workloadIdentity": {"clientId": "c"}},
            id="two",
        ),
    ],
)
def test_auth_needs_exactly_one_method(auth: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one of oauthM2M"):
        AccountAuth.model_validate(auth)


def test_secret_ref_and_workload_identity_defaults() -> None:
    auth = AccountAuth.model_validate({"oauthM2M": {"secretRef": {"name": "s"}}})
    assert auth.oauth_m2m is not None
    ref = auth.oauth_m2m.secret_ref
    assert (ref.client_id_key, ref.client_secret_key) == ("client-id", "client-secret")
    wif = WorkloadIdentityAuth(client_id="c")
    # The token file is operator configuration: no CR chooses a file the operator reads.
    assert "token_path" not in WorkloadIdentityAuth.model_fields
    assert wif.effective_audience(ACCOUNT_ID) == ACCOUNT_ID
    assert WorkloadIdentityAuth(client_id="c", audience="aud").effective_audience("x") == "aud"


@pytest.mark.parametrize(
    ("spec_name", "meta_name", "expected"),
    [
        pytest.param(None, "ncc-eastus2", "ncc-eastus2", id="fallback-to-metadata-name"),
        pytest.param("prod_ncc", "ncc.prod.example", "prod_ncc", id="spec-name-wins"),
    ],
)
def test_databricks_name(spec_name: str | None, meta_name: str, expected: str) -> None:
    body = {
        "metadata": meta(meta_name),
        "spec": {"accountRef": {"name": "a"}, "region": "eastus2", "name": spec_name},
    }
    assert NetworkConnectivityConfigResource.from_body(body).databricks_name == expected


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        pytest.param("abc", True, id="three-chars"),
        pytest.param("A-b_9" * 6, True, id="thirty-chars-all-classes"),
        pytest.param("ab", False, id="too-short"),
        pytest.param("a" * 31, False, id="too-long"),
        pytest.param("ncc.prod", False, id="dot-from-metadata-name"),
    ],
)
def test_valid_ncc_name(name: str, valid: bool) -> None:
    assert valid_ncc_name(name) is valid


SELECTOR = {
    "from": "Selector",
    "selector": {
        "matchLabels": {"team": "data"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "stage"]},
            {"key": "tier", "operator": "NotIn", "values": ["sandbox"]},
            {"key": "ncc-rules", "operator": "Exists"},
            {"key": "blocked", "operator": "DoesNotExist"},
        ],
    },
}
GOOD_LABELS = {"team": "data", "env": "prod", "ncc-rules": ""}


@pytest.mark.parametrize(
    ("policy", "rule_ns", "labels", "admitted"),
    [
        pytest.param({}, "platform", {}, True, id="same-default-own-namespace"),
        pytest.param({}, "team-a", GOOD_LABELS, False, id="same-default-other-namespace"),
        pytest.param({"from": "All"}, "team-a", {}, True, id="all"),
        pytest.param(SELECTOR, "team-a", GOOD_LABELS, True, id="selector-all-requirements-hold"),
        pytest.param(
            SELECTOR, "team-a", {**GOOD_LABELS, "team": "web"}, False, id="selector-matchlabels"
        ),
        pytest.param(
            SELECTOR, "team-a", {**GOOD_LABELS, "env": "dev"}, False, id="selector-in-fails"
        ),
        pytest.param(
            SELECTOR, "team-a", {**GOOD_LABELS, "tier": "sandbox"}, False, id="selector-notin"
        ),
        pytest.param(
            SELECTOR,
            "team-a",
            {k: v for k, v in GOOD_LABELS.items() if k != "ncc-rules"},
            False,
            id="selector-exists-fails",
        ),
        pytest.param(
            SELECTOR, "team-a", {**GOOD_LABELS, "blocked": "1"}, False, id="selector-doesnotexist"
        ),
        pytest.param(
            SELECTOR, "platform", {}, False, id="selector-own-namespace-must-match-too-gateway-api"
        ),
        pytest.param(
            {"from": "Selector", "selector": {}}, "team-a", {}, True, id="empty-selector-all"
        ),
    ],
)
def test_allowed_rule_namespaces_admits(
    policy: dict[str, Any], rule_ns: str, labels: dict[str, str], admitted: bool
) -> None:
    parsed = AllowedRuleNamespaces.model_validate(policy)
    assert parsed.admits(rule_ns, "platform", labels) is admitted


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param({"from": "Selector"}, id="selector-missing"),
        pytest.param({"from": "All", "selector": {}}, id="selector-without-from-selector"),
    ],
)
def test_selector_iff_from_selector(policy: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="selector is required when from is Selector"):
        AllowedRuleNamespaces.model_validate(policy)


ATTACHMENT = "projects/my-project/regions/us-east4/serviceAttachments/my-attachment"


def test_a_gcp_spec_is_a_gcp_rule_and_its_attachment_names_its_region() -> None:
    spec = PrivateEndpointRuleSpec.model_validate(
        {
            "nccRef": {"name": "n"},
            "gcp": {"serviceAttachment": ATTACHMENT, "domainNames": ["a.b.c"]},
        }
    )
    assert spec.cloud == "gcp"
    assert spec.gcp is not None
    assert spec.gcp.region == "us-east4"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(
            {"nccRef": {"name": "n"}},
            "exactly one of spec.azure, spec.aws or spec.gcp",
            id="no-target",
        ),
        pytest.param(
            {
                "nccRef": {"name": "n"},
                "azure": {"resourceId": RESOURCE_ID, "groupId": "blob"},
                "aws": {"endpointService": "com.amazonaws.us-east-1.s3"},
            },
            "exactly one of spec.azure, spec.aws or spec.gcp",
            id="two-targets",
        ),
        pytest.param(
            {
                "nccRef": {"name": "n"},
                "aws": {"endpointService": "com.amazonaws.us-east-1.s3"},
                "gcp": {"allVpcScServices": True},
            },
            "exactly one of spec.azure, spec.aws or spec.gcp",
            id="aws-and-gcp",
        ),
        pytest.param(
            {"nccRef": {"name": "n"}, "gcp": {}},
            "gcp must set exactly one of serviceAttachment",
            id="gcp-no-target",
        ),
        pytest.param(
            {
                "nccRef": {"name": "n"},
                "gcp": {"serviceAttachment": ATTACHMENT, "allVpcScServices": True},
            },
            "gcp must set exactly one of serviceAttachment",
            id="gcp-two-targets",
        ),
        pytest.param(
            {"nccRef": {"name": "n"}, "gcp": {"allVpcScServices": False}},
            "can only be true",
            id="gcp-all-vpc-sc-false",
        ),
        pytest.param(
            {
                "nccRef": {"name": "n"},
                "gcp": {"googleApiEndpoints": ["storage.googleapis.com"], "domainNames": ["a.b.c"]},
            },
            "go with gcp.serviceAttachment only",
            id="gcp-domains-without-attachment",
        ),
        pytest.param(
            {
                "nccRef": {"name": "n"},
                "gcp": {"googleApiEndpoints": ["storage.googleapis.com", "storage.googleapis.com"]},
            },
            "must not repeat",
            id="gcp-repeated-api",
        ),
        pytest.param(
            {"nccRef": {"name": "n"}, "gcp": {"googleApiEndpoints": ["storage.example.com"]}},
            "must be a Google API host name",
            id="gcp-not-a-google-api",
        ),
        pytest.param(
            {"nccRef": {"name": "n"}, "azure": {"resourceId": RESOURCE_ID}},
            "exactly one of groupId",
            id="azure-neither-group-nor-domains",
        ),
        pytest.param(
            {"nccRef": {"name": "n"}, "aws": {"domainNames": ["a.example"]}},
            "aws needs endpointService or resourceNames",
            id="aws-without-service-or-buckets",
        ),
    ],
)
def test_rule_spec_structure_is_validated(spec: dict[str, Any], message: str) -> None:
    # The CRD rejects these first; the model repeats the structural one-ofs so that code can
    # rely on `spec.cloud` and friends being total.
    with pytest.raises(ValidationError, match=message):
        PrivateEndpointRuleSpec.model_validate(spec)


@pytest.mark.parametrize(
    ("target", "is_s3"),
    [
        pytest.param({"endpointService": "com.amazonaws.us-east-1.s3"}, True, id="s3-service"),
        pytest.param({"resourceNames": ["bucket-a"]}, True, id="buckets-only"),
        pytest.param(
            {"endpointService": "com.amazonaws.vpce.us-east-1.vpce-svc-0123abcd"}, False, id="nlb"
        ),
    ],
)
def test_aws_is_s3(target: dict[str, Any], is_s3: bool) -> None:
    assert AwsTarget.model_validate(target).is_s3 is is_s3


@pytest.mark.parametrize(
    ("ncc_ref", "expected_ns"),
    [
        pytest.param({"name": "n"}, "team-a", id="defaults-to-own-namespace"),
        pytest.param({"name": "n", "namespace": "team-a"}, "team-a", id="explicit-own"),
        pytest.param({"name": "n", "namespace": "platform"}, "platform", id="cross"),
    ],
)
def test_rule_ncc_namespace(ncc_ref: dict[str, str], expected_ns: str) -> None:
    body = {
        "metadata": meta(),
        "spec": {"nccRef": ncc_ref, "azure": {"resourceId": RESOURCE_ID, "domainNames": ["x.y"]}},
    }
    rule = PrivateEndpointRuleResource.from_body(body)
    assert rule.ncc_namespace == expected_ns
    assert rule.spec.cloud is Cloud.AZURE
    assert isinstance(rule.spec.azure, AzureTarget)
