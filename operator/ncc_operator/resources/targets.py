"""What a PrivateEndpointRule asks Databricks for: the create and update bodies, and the
target identity (natural key) that says whether two rules of one NCC are the same.

Shared by the rule adapter and the index (which computes each rule's identity once).
"""

from __future__ import annotations

from ncc_operator.databricks import (
    CreatePrivateEndpointRule,
    NccPrivateEndpointRule,
    UpdatePrivateEndpointRule,
)
from ncc_operator.models import PrivateEndpointRuleResource

Identity = tuple[str, ...]


def identity(rule: NccPrivateEndpointRule | CreatePrivateEndpointRule) -> Identity:
    """What makes two rules of one NCC "the same target" (the natural key)."""
    return (
        rule.resource_id or "",
        rule.group_id or "",
        rule.endpoint_service or "",
        ",".join(sorted(rule.resource_names or [])),
        ",".join(sorted(rule.domain_names or [])) if not rule.group_id else "",
    )


def desired_create(resource: PrivateEndpointRuleResource) -> CreatePrivateEndpointRule:
    spec = resource.spec
    if spec.azure is not None:
        return CreatePrivateEndpointRule(
            resource_id=spec.azure.resource_id,
            group_id=spec.azure.group_id,
            domain_names=list(spec.azure.domain_names) if spec.azure.domain_names else None,
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
    assert spec.aws is not None
    return UpdatePrivateEndpointRule(
        domain_names=list(spec.aws.domain_names) if spec.aws.domain_names else None,
        resource_names=list(spec.aws.resource_names) if spec.aws.resource_names else None,
        enabled=spec.aws.enabled if spec.aws.is_s3 else None,
    )
