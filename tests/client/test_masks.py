"""Minimal update masks from a field diff, and local refusal of masks Databricks would reject."""

from __future__ import annotations

import pytest

from ncc_operator.databricks import (
    Cloud,
    GcpEndpoint,
    NccPrivateEndpointRule,
    UpdatePrivateEndpointRule,
    normalize_mask,
    rule_update_mask,
)
from ncc_operator.databricks.masks import RULE_MASK_FIELDS

Want = UpdatePrivateEndpointRule
Seen = NccPrivateEndpointRule


@pytest.mark.parametrize(
    ("desired", "observed", "cloud", "mask"),
    [
        pytest.param(
            Want(domain_names=["a.x"]),
            Seen(domain_names=["a.x"]),
            Cloud.AZURE,
            (),
            id="nothing-changed-no-patch",
        ),
        pytest.param(
            Want(domain_names=["a.x", "b.x"]),
            Seen(domain_names=["b.x", "a.x"]),
            Cloud.AZURE,
            (),
            id="reordered-list-is-equal",
        ),
        pytest.param(
            Want(domain_names=["a.x", "c.x"]),
            Seen(domain_names=["a.x"]),
            Cloud.AZURE,
            ("domain_names",),
            id="azure-domain-added",
        ),
        pytest.param(
            Want(domain_names=[], enabled=True),
            Seen(enabled=False),
            Cloud.AZURE,
            (),
            id="azure-never-masks-enabled",
        ),
        pytest.param(Want(domain_names=[]), Seen(), Cloud.AWS, (), id="empty-equals-absent"),
        pytest.param(
            Want(resource_names=["b1"]),
            Seen(resource_names=["b1", "b2"]),
            Cloud.AZURE,
            (),
            id="azure-ignores-s3-fields",
        ),
        pytest.param(
            Want(enabled=True), Seen(enabled=False), Cloud.AWS, ("enabled",), id="aws-s3-enable"
        ),
        pytest.param(
            Want(enabled=True), Seen(), Cloud.AWS, ("enabled",), id="aws-enabled-absent-on-server"
        ),
        pytest.param(
            Want(enabled=None, resource_names=["b1"]),
            Seen(enabled=True, resource_names=["b1"]),
            Cloud.AWS,
            (),
            id="unset-desired-field-not-compared",
        ),
        pytest.param(
            Want(resource_names=["b1", "b2"], enabled=True, domain_names=["d"]),
            Seen(resource_names=["b1"], enabled=False, domain_names=["d"]),
            "aws",
            ("resource_names", "enabled"),
            id="aws-two-fields-canonical-order",
        ),
        pytest.param(
            Want(gcp_endpoint=GcpEndpoint(service_attachment="s")),
            Seen(gcp_endpoint=GcpEndpoint(service_attachment="s", psc_endpoint_uri="u")),
            Cloud.GCP,
            (),
            id="gcp-output-only-part-ignored",
        ),
        pytest.param(
            Want(gcp_endpoint=GcpEndpoint(service_attachment="t")),
            Seen(gcp_endpoint=GcpEndpoint(service_attachment="s")),
            Cloud.GCP,
            ("gcp_endpoint",),
            id="gcp-changed",
        ),
        pytest.param(
            Want(gcp_endpoint=GcpEndpoint(service_attachment="t")),
            Seen(),
            Cloud.AWS,
            (),
            id="gcp-field-ignored-on-aws",
        ),
    ],
)
def test_rule_update_mask(
    desired: Want, observed: Seen, cloud: Cloud | str, mask: tuple[str, ...]
) -> None:
    assert rule_update_mask(desired, observed, cloud) == mask


@pytest.mark.parametrize(
    ("mask", "fields"),
    [
        pytest.param("domain_names", ("domain_names",), id="single"),
        pytest.param("resource_names,enabled", ("resource_names", "enabled"), id="comma-string"),
        pytest.param(["enabled", "enabled"], ("enabled",), id="deduplicated"),
        pytest.param(" domain_names , ", ("domain_names",), id="whitespace-and-trailing-comma"),
    ],
)
def test_normalize_mask_accepts(mask: str | list[str], fields: tuple[str, ...]) -> None:
    assert normalize_mask(mask, RULE_MASK_FIELDS) == fields


@pytest.mark.parametrize(
    ("mask", "match"),
    [
        pytest.param("", "at least one", id="empty-string-server-would-reject"),
        pytest.param([], "at least one", id="empty-list"),
        pytest.param(" , ", "at least one", id="only-separators"),
        pytest.param("resource_id", "not updatable", id="immutable-field"),
        pytest.param("domain_names,name", "name", id="one-bad-field-names-it"),
    ],
)
def test_normalize_mask_refuses(mask: str | list[str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        normalize_mask(mask, RULE_MASK_FIELDS)
