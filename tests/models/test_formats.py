"""The value formats of ``ncc_operator.models.formats``: the CRDs carry each rule verbatim, and
the models refuse what the rules refuse, with the rule's message.

The CRD half of each case runs against a real apiserver in ``tests/crds/test_admission_hostile.py``;
this file proves the two halves are the same rule (same regex or list, same message) and that the
Python regex dialect does not open a hole RE2 keeps shut (trailing newline, Kelvin sign).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ncc_operator.models import formats, regions
from ncc_operator.models.formats import Format

from .doc_examples import API_DOC
from .schema_diff import crd_schema, load_crd

_AUTH = "spec.properties.auth.properties"
_EGRESS = "spec.properties.egress.properties"
_STORAGE = f"{_EGRESS}.allowedStorageDestinations.items.properties"
# (CRD plural, path of the schema node, the format every rule of which must sit there).
PLACES: list[tuple[str, str, str]] = [
    ("databricksaccounts", "spec.properties.host", "ACCOUNT_HOST"),
    ("databricksaccounts", f"{_AUTH}.oauthM2M.properties.secretRef.properties.name", "K8S_NAME"),
    (
        "databricksaccounts",
        f"{_AUTH}.azureClientSecret.properties.secretRef.properties.name",
        "K8S_NAME",
    ),
    ("databricksaccounts", f"{_AUTH}.token.properties.secretRef.properties.name", "K8S_NAME"),
    ("databricksaccounts", f"{_AUTH}.azureClientSecret.properties.tenantId", "TENANT_ID"),
    ("networkconnectivityconfigs", "spec.properties.accountRef.properties.name", "K8S_NAME"),
    ("networkconnectivityconfigs", "spec.properties.region", "REGION"),
    ("privateendpointrules", "spec.properties.nccRef.properties.name", "K8S_NAME"),
    ("privateendpointrules", "spec.properties.nccRef.properties.namespace", "K8S_NAMESPACE"),
    ("privateendpointrules", "spec.properties.azure.properties.resourceId", "AZURE_RESOURCE_ID"),
    ("privateendpointrules", "spec.properties.azure.properties.groupId", "AZURE_GROUP_ID"),
    ("privateendpointrules", "spec.properties.azure.properties.domainNames.items", "DOMAIN_NAME"),
    ("privateendpointrules", "spec.properties.aws.properties.domainNames.items", "DOMAIN_NAME"),
    (
        "privateendpointrules",
        "spec.properties.aws.properties.endpointService",
        "AWS_ENDPOINT_SERVICE",
    ),
    (
        "privateendpointrules",
        "spec.properties.aws.properties.resourceNames.items",
        "S3_BUCKET_NAME",
    ),
    ("privateendpointrules", "spec.properties.gcp.properties.domainNames.items", "DOMAIN_NAME"),
    (
        "privateendpointrules",
        "spec.properties.gcp.properties.serviceAttachment",
        "GCP_SERVICE_ATTACHMENT",
    ),
    (
        "privateendpointrules",
        "spec.properties.gcp.properties.googleApiEndpoints.items",
        "GOOGLE_API_ENDPOINT",
    ),
    ("networkpolicies", "spec.properties.accountRef.properties.name", "K8S_NAME"),
    ("networkpolicies", "spec.properties.networkPolicyId", "NETWORK_POLICY_ID"),
    ("networkpolicies", f"{_EGRESS}.allowedInternetDestinations.items", "DOMAIN_NAME"),
    ("networkpolicies", f"{_EGRESS}.blockedInternetDestinations.items", "DOMAIN_NAME"),
    ("networkpolicies", f"{_STORAGE}.s3.properties.bucketName", "S3_BUCKET_NAME"),
    ("networkpolicies", f"{_STORAGE}.s3.properties.region", "AWS_REGION"),
    ("networkpolicies", f"{_STORAGE}.azure.properties.storageAccount", "AZURE_STORAGE_ACCOUNT"),
    ("networkpolicies", f"{_STORAGE}.gcs.properties.bucketName", "GCS_BUCKET_NAME"),
    ("networkpolicies", f"{_STORAGE}.gcs.properties.region", "REGION"),
]


def _squash(text: str) -> str:
    # YAML folds the CRD's long rules and messages over several lines: compare them unfolded.
    return " ".join(text.split())


def _node(plural: str, path: str) -> dict[str, Any]:
    node: dict[str, Any] = crd_schema(load_crd(plural))["properties"]
    for step in path.split("."):
        node = node[step]
    return node


@pytest.mark.parametrize(("plural", "path", "name"), PLACES, ids=[f"{p}:{n}" for p, n, _ in PLACES])
def test_crd_carries_every_rule_of_the_format(plural: str, path: str, name: str) -> None:
    fmt: Format = getattr(formats, name)
    present = {
        (_squash(v["rule"]), _squash(v["message"]))
        for v in _node(plural, path).get("x-kubernetes-validations", [])
    }
    for check in fmt:
        assert (_squash(check.cel), _squash(check.message)) in present, (
            f"crds/{plural}.yaml {path} lacks the {name} rule; paste:\n"
            f"- rule: >-\n    {check.cel}\n  message: >-\n    {check.message}\n"
            "  reason: FieldValueInvalid"
        )


def test_region_rule_in_the_crd_is_the_python_list() -> None:
    # The long list is the easiest to let drift: read it back out of the CEL and compare.
    (rule,) = [
        v["rule"]
        for v in _node("networkconnectivityconfigs", "spec.properties.region")[
            "x-kubernetes-validations"
        ]
        if "self in [" in v["rule"]
    ]
    assert re.findall(r"'([^']*)'", rule) == list(regions.ALL_REGIONS)
    assert "marsnorth1" not in regions.ALL_REGIONS
    for cloud in (regions.AWS_REGIONS, regions.AZURE_REGIONS, regions.GCP_REGIONS):
        assert len(set(cloud)) == len(cloud)
        assert set(cloud) <= set(regions.ALL_REGIONS)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        pytest.param("K8S_NAME", "dbx-sp\n", "Python's $ matches before a final newline", id="nl"),
        pytest.param("AZURE_GROUP_ID", "blob\n", "same, on a field with {0,63}", id="nl-group"),
        pytest.param(
            "K8S_NAME",
            "dbx-\u212asp",
            "(?i) would fold the Kelvin sign to k in both engines",
            id="kelvin",
        ),
        pytest.param(
            "S3_BUCKET_NAME",
            "bucket\u0661",
            "Python's \\d also matches Arabic-Indic digits",
            id="unicode-digit",
        ),
        pytest.param("DOMAIN_NAME", "a\u202e.example.com", "an RTL override", id="rtl"),
    ],
)
def test_python_dialect_is_as_strict_as_re2(name: str, value: str, reason: str) -> None:
    fmt: Format = getattr(formats, name)
    assert not all(check.holds(value) for check in fmt), reason


def test_cel_string_literals_escape_backslashes() -> None:
    # CEL unescapes '\\.' to '\.': the regex the apiserver runs is the Python one.
    (check,) = formats.DOMAIN_NAME
    assert check.regex is not None
    assert "\\\\." in check.cel
    assert check.cel == "self.matches('" + check.regex.replace("\\", "\\\\") + "')"


@pytest.mark.parametrize(
    ("title", "names"),
    [
        ("AWS", regions.AWS_REGIONS),
        ("Azure", regions.AZURE_REGIONS),
        ("Google Cloud", regions.GCP_REGIONS),
    ],
)
def test_docs_list_the_regions_of_the_module(title: str, names: tuple[str, ...]) -> None:
    # The refusal message sends users to docs/api.md for the list: it must be the real one.
    text = API_DOC.read_text().split("\n## Regions\n", 1)[1]
    (line,) = [ln for ln in text.splitlines() if ln.startswith(f"- {title}: ")]
    assert re.findall(r"`([^`]+)`", line) == list(names)
