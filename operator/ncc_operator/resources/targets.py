"""What a PrivateEndpointRule asks Databricks for: the create and update bodies, and the
target identity (natural key) that says whether two rules of one NCC are the same.

The natural key is the immutable target only — what Databricks itself refuses to duplicate —
never the mutable ``domainNames``/``resourceNames``: Azure, the resource id (case-insensitive,
as Azure resource ids are) and the group id; AWS, the endpoint service (one S3 rule per NCC
holds all its buckets); GCP, the service attachment as written (Google resource names are
case-sensitive), the set of Google API hosts, or "all VPC-SC services". A rule whose answer was
lost and whose lists were edited meanwhile is still found. Shared by the rule adapter and the
index (which computes each rule's identity once). Also where a target is, when its name says so
(:func:`endpoint_service_region`), for the cross-region note.
"""

from __future__ import annotations

from ncc_operator.databricks import (
    CreatePrivateEndpointRule,
    GcpEndpoint,
    GoogleApiEndpoints,
    NccPrivateEndpointRule,
    UpdatePrivateEndpointRule,
)
from ncc_operator.models import PrivateEndpointRuleResource
from ncc_operator.models.regions import AWS_REGIONS
from ncc_operator.models.rule import S3_SERVICE_SUFFIX

Identity = tuple[str, ...]


def identity(rule: NccPrivateEndpointRule | CreatePrivateEndpointRule) -> Identity:
    """What makes two rules of one NCC "the same target" (the natural key)."""
    return (
        (rule.resource_id or "").lower(),
        rule.group_id or "",
        (rule.endpoint_service or "").lower(),
        _gcp_key(rule.gcp_endpoint),
    )


ALL_VPC_SC = "all VPC Service Controls services"


def _gcp_key(endpoint: GcpEndpoint | None) -> str:
    if endpoint is None:
        return ""
    if endpoint.service_attachment:
        return endpoint.service_attachment
    apis = (endpoint.google_api_endpoints.endpoints or []) if endpoint.google_api_endpoints else []
    if apis:
        return "Google APIs " + ", ".join(sorted(set(apis)))
    return ALL_VPC_SC if endpoint.all_vpc_sc_services else ""


def in_region(target: Identity, region: str | None) -> Identity:
    """The identity a target has in an NCC of ``region``: a bucket-only S3 target names no
    endpoint service, and Databricks fills in the NCC's regional S3 service for it (buckets "must
    be in the NCC's region", databricks-api.md ``resource_names``) — so the rule it creates, and
    a spec naming that service, are the same target."""
    resource_id, group_id, service, gcp = target
    if resource_id or service or gcp or not region:
        return target
    return (resource_id, group_id, f"com.amazonaws.{region.lower()}{S3_SERVICE_SUFFIX}", gcp)


def describe(target: Identity) -> str:
    """The target in words, for messages."""
    resource_id, group_id, endpoint_service, gcp = target
    if resource_id:
        return f"{resource_id} ({group_id})" if group_id else resource_id
    return endpoint_service or gcp or "the NCC's regional S3 service"


def desired_create(resource: PrivateEndpointRuleResource) -> CreatePrivateEndpointRule:
    spec = resource.spec
    if spec.azure is not None:
        return CreatePrivateEndpointRule(
            resource_id=spec.azure.resource_id,
            group_id=spec.azure.group_id,
            domain_names=list(spec.azure.domain_names) if spec.azure.domain_names else None,
        )
    if spec.gcp is not None:
        gcp = spec.gcp
        apis = gcp.google_api_endpoints
        return CreatePrivateEndpointRule(
            gcp_endpoint=GcpEndpoint(
                service_attachment=gcp.service_attachment,
                google_api_endpoints=GoogleApiEndpoints(endpoints=list(apis)) if apis else None,
                all_vpc_sc_services=gcp.all_vpc_sc_services,
            ),
            domain_names=list(gcp.domain_names) if gcp.domain_names else None,
        )
    assert spec.aws is not None
    return CreatePrivateEndpointRule(
        endpoint_service=spec.aws.endpoint_service,
        resource_names=list(spec.aws.resource_names) if spec.aws.resource_names else None,
        domain_names=list(spec.aws.domain_names) if spec.aws.domain_names else None,
    )


def desired_update(resource: PrivateEndpointRuleResource) -> UpdatePrivateEndpointRule:
    spec = resource.spec
    if spec.azure is not None:
        names = spec.azure.domain_names
        return UpdatePrivateEndpointRule(domain_names=list(names) if names else None)
    if spec.gcp is not None:
        # Only a service attachment's domain names change; the target is immutable in v1alpha1.
        if spec.gcp.service_attachment is None:
            return UpdatePrivateEndpointRule()
        return UpdatePrivateEndpointRule(domain_names=list(spec.gcp.domain_names or []))
    assert spec.aws is not None
    # An absent list is an empty one: removing every entry from the spec must clear it at
    # Databricks, not leave the old list in place (``None`` would mean "not managed").
    if spec.aws.is_s3:
        return UpdatePrivateEndpointRule(
            resource_names=list(spec.aws.resource_names or []),
            enabled=spec.aws.enabled,
        )
    return UpdatePrivateEndpointRule(domain_names=list(spec.aws.domain_names or []))


_AWS_REGIONS = frozenset(AWS_REGIONS)


def endpoint_service_region(service: str | None) -> str | None:
    """The AWS region an endpoint service name carries, or None when it carries none we know.

    ``com.amazonaws.vpce.<region>.vpce-svc-…`` (a customer's endpoint service) and
    ``com.amazonaws.<region>.<service>`` (AWS services such as S3) both name their region; an
    S3 rule given bucket names only says nothing about where the buckets are.
    """
    parts = (service or "").lower().split(".")
    if parts[:3] == ["com", "amazonaws", "vpce"] and len(parts) > 4:
        region = parts[3]
    elif parts[:2] == ["com", "amazonaws"] and len(parts) > 3:
        region = parts[2]
    else:
        return None
    return region if region in _AWS_REGIONS else None


def cross_region_note(service: str | None, ncc_region: str) -> str | None:
    """A note for a target in another region than its NCC (it works, and it is charged)."""
    region = endpoint_service_region(service)
    if region is None or region == ncc_region:
        return None
    return (
        f"Note: endpoint service {service} is in {region}, but the NCC is in {ncc_region}. The "
        "connection works, but traffic crosses regions and the cloud charges cross-region data "
        "transfer; Databricks recommends keeping resources in the NCC's region "
        "(docs/concepts.md)."
    )
