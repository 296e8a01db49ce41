"""The NetworkConnectivityConfig kind (``crds/networkconnectivityconfigs.yaml``).

Owns the spec (account, Databricks name and region, workspaces to attach, which namespaces may
attach rules, policies, adoption id), the observed ``atProvider`` and the defaults the schema
cannot express: the Databricks name falls back to ``metadata.name``, and the namespace policy is
evaluated against namespace labels here (``AllowedRuleNamespaces.admits``), so the rule adapter and
its tests share one implementation of the Gateway API ``allowedRoutes.namespaces`` semantics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, model_validator

from .common import (
    EXTERNAL_ID_PATTERN,
    CamelModel,
    CustomResource,
    DeletionPolicy,
    LocalObjectReference,
    ManagementPolicy,
    ResourceStatus,
)
from .formats import REGION, validator

# Databricks documents ^[0-9a-zA-Z-_]{3,30}$; the same class with '-' last, which every regex
# dialect involved (Go RE2 in the apiserver, Rust regex in pydantic, Python re) reads alike.
NCC_NAME_PATTERN = r"^[0-9a-zA-Z_-]{3,30}$"
_NCC_NAME = re.compile(NCC_NAME_PATTERN)
MAX_WORKSPACES_PER_NCC = 50
LabelValue = Annotated[str, Field(max_length=63)]


class NamespacesFrom(StrEnum):
    SAME = "Same"
    ALL = "All"
    SELECTOR = "Selector"


class LabelSelectorOperator(StrEnum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


class LabelSelectorRequirement(CamelModel):
    key: str = Field(min_length=1, max_length=317)
    operator: LabelSelectorOperator
    values: list[LabelValue] = Field(default_factory=list, max_length=64)

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator is LabelSelectorOperator.IN:
            return present and labels[self.key] in self.values
        if self.operator is LabelSelectorOperator.NOT_IN:
            # As in Kubernetes: NotIn also matches objects without the label.
            return not present or labels[self.key] not in self.values
        if self.operator is LabelSelectorOperator.EXISTS:
            return present
        return not present


class LabelSelector(CamelModel):
    """A ``metav1.LabelSelector``; the empty selector matches everything."""

    match_labels: dict[str, LabelValue] = Field(default_factory=dict, max_length=64)
    match_expressions: list[LabelSelectorRequirement] = Field(default_factory=list, max_length=16)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels.items()) and all(
            requirement.matches(labels) for requirement in self.match_expressions
        )


class AllowedRuleNamespaces(CamelModel):
    """Which namespaces may hold PrivateEndpointRules of an NCC (Gateway API model)."""

    from_: NamespacesFrom = Field(default=NamespacesFrom.SAME, alias="from")
    selector: LabelSelector | None = None

    @model_validator(mode="after")
    def _selector_iff_selector(self) -> AllowedRuleNamespaces:
        if (self.from_ is NamespacesFrom.SELECTOR) != (self.selector is not None):
            raise ValueError("selector is required when from is Selector, and allowed only then")
        return self

    def admits(
        self, rule_namespace: str, ncc_namespace: str, namespace_labels: Mapping[str, str]
    ) -> bool:
        """Whether a rule in ``rule_namespace`` (labelled ``namespace_labels``) may attach.

        Exactly Gateway API semantics: with ``Selector`` the NCC's own namespace is admitted only
        if its labels match too, so a selector can also lock the owner namespace out.
        """
        if self.from_ is NamespacesFrom.ALL:
            return True
        if self.from_ is NamespacesFrom.SELECTOR and self.selector is not None:
            return self.selector.matches(namespace_labels)
        return rule_namespace == ncc_namespace


class NetworkConnectivityConfigSpec(CamelModel):
    account_ref: LocalObjectReference
    name: str | None = Field(default=None, pattern=NCC_NAME_PATTERN)
    # One of the clouds' published regions (models/regions.py): the NCC has no cloud field.
    region: Annotated[str, AfterValidator(validator(REGION))] = Field(
        min_length=1, max_length=64, pattern=r"^[a-z0-9-]+$"
    )
    workspace_ids: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=list, max_length=MAX_WORKSPACES_PER_NCC
    )
    allowed_rule_namespaces: AllowedRuleNamespaces = AllowedRuleNamespaces()
    deletion_policy: DeletionPolicy = DeletionPolicy.DELETE
    management_policy: ManagementPolicy = ManagementPolicy.MANAGE
    external_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=EXTERNAL_ID_PATTERN
    )


class EgressConfig(CamelModel):
    """The NCC's default egress rules, flattened (``egress_config.default_rules``)."""

    aws_stable_ip_cidr_blocks: list[str] = Field(default_factory=list)
    """Legacy: the AWS stable IPs, decommissioned by Databricks after 25 May 2026 (DOC-AWS-FW);
    the published outbound IP ranges (``outbound_ip_ranges``) replace them."""
    azure_service_endpoint_subnets: list[str] = Field(default_factory=list)
    """Azure subnet ids to allow-list on storage firewalls; only for storage in the NCC's region
    (DOC-AZ-FW), and moving to network security perimeters in 2026 (DOC-AZ-NSP)."""
    azure_target_region: str | None = None
    azure_target_services: list[str] = Field(default_factory=list)


class OutboundIpRanges(CamelModel):
    """Databricks' published serverless outbound IP ranges for the NCC's cloud and region
    (``ip-ranges.json``, read by the operator; ``resources/ipranges.py``)."""

    source: str
    """The URL or file the operator read."""
    fetched_at: datetime | None = None
    """When the operator first fetched the content shown (an identical refresh keeps it)."""
    feed_timestamp: datetime | None = None
    """The document's own ``timestampSeconds`` (when Databricks generated it)."""
    ipv4: list[str] = Field(default_factory=list)
    ipv6: list[str] = Field(default_factory=list)
    config_map: str | None = None
    """``namespace/name`` of the ConfigMap the ranges are also published to."""
    error: str | None = None
    """Why the last refresh failed (the ranges shown, if any, are the last good copy)."""


class NetworkConnectivityConfigAtProvider(CamelModel):
    region: str | None = None
    egress_config: EgressConfig | None = None
    attached_workspace_ids: list[int] = Field(default_factory=list)
    # Keyed by connection state (ESTABLISHED, PENDING, ...); deactivated rules are not counted.
    rule_counts: dict[str, int] = Field(default_factory=dict)
    outbound_ip_ranges: OutboundIpRanges | None = None


class NetworkConnectivityConfigStatus(ResourceStatus):
    at_provider: NetworkConnectivityConfigAtProvider | None = None


class NetworkConnectivityConfigResource(
    CustomResource[NetworkConnectivityConfigSpec, NetworkConnectivityConfigStatus]
):
    KIND: ClassVar[str] = "NetworkConnectivityConfig"
    PLURAL: ClassVar[str] = "networkconnectivityconfigs"

    @property
    def databricks_name(self) -> str:
        """Name of the NCC at Databricks: ``spec.name``, else ``metadata.name``.

        The CRD rejects an object whose fallback would be invalid; :func:`valid_ncc_name` lets
        callers check objects that bypassed admission (tests, an older CRD).
        """
        return self.spec.name or self.metadata.name


def valid_ncc_name(name: str) -> bool:
    """Whether Databricks accepts ``name`` as an NCC name."""
    return _NCC_NAME.fullmatch(name) is not None
