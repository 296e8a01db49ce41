"""Typed wire models of the Databricks Account API objects this client reads and writes.

Names and fields mirror the official SDK (``databricks.sdk.service.settings`` and
``databricks.sdk.service.provisioning``, v0.162.0) so code and docs can be cross-read. Every model
is frozen and ignores unknown keys, so a field Databricks adds tomorrow never breaks a read.
Enum-typed fields also accept an unknown string (kept as ``str``) for the same reason.

Requests are serialised with :meth:`WireModel.to_wire`, which omits ``None`` and empty
collections: the SDK serialisers do the same, and the API treats a missing key as "unset".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class WireModel(BaseModel):
    """Base of all wire models: frozen, tolerant of unknown server fields."""

    model_config = ConfigDict(extra="ignore", frozen=True, use_enum_values=False)

    def to_wire(self, *, keep: frozenset[str] = frozenset()) -> dict[str, Any]:
        """JSON-ready dict without ``None`` values and without empty lists/objects.

        ``keep`` names top-level fields that must be sent even when empty (a masked PATCH field
        set to ``[]`` means "replace with nothing", which must be explicit on the wire).
        """
        raw = self.model_dump(mode="json", exclude_none=True)
        return {
            k: v for k, v in ((k, _prune(v)) for k, v in raw.items()) if k in keep or _present(v)
        }


_E = TypeVar("_E", bound=StrEnum)


def _present(value: Any) -> bool:
    return value is not None and value not in ([], {})


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: p for k, p in ((k, _prune(v)) for k, v in value.items()) if _present(p)}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


# An enum-typed field that also accepts an unknown string: the enum is tried first, the raw string
# is the fallback, so a new server-side state never makes a whole NCC unreadable.
_Open = Annotated[_E | str, Field(union_mode="left_to_right")]


class Cloud(StrEnum):
    """Cloud of a Databricks account; decides which rule fields and mask fields apply."""

    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"


class NccPrivateEndpointRulePrivateLinkConnectionState(StrEnum):
    """Connection state of a private endpoint rule (standalone rule objects, AWS embedded rules)."""

    CREATING = "CREATING"
    CREATE_FAILED = "CREATE_FAILED"
    PENDING = "PENDING"
    ESTABLISHED = "ESTABLISHED"
    REJECTED = "REJECTED"
    DISCONNECTED = "DISCONNECTED"
    EXPIRED = "EXPIRED"


# The SDK generates a separate, identical enum for the AWS rule embedded in an NCC.
CustomerFacingNetworkConnectivityConfigAwsPrivateEndpointRulePrivateLinkConnectionState = (
    NccPrivateEndpointRulePrivateLinkConnectionState
)


class NccAzurePrivateEndpointRuleConnectionState(StrEnum):
    """Connection state of the Azure rule embedded in an NCC; ``INIT`` is deprecated (= PENDING)."""

    INIT = "INIT"
    CREATING = "CREATING"
    CREATE_FAILED = "CREATE_FAILED"
    PENDING = "PENDING"
    ESTABLISHED = "ESTABLISHED"
    REJECTED = "REJECTED"
    DISCONNECTED = "DISCONNECTED"
    EXPIRED = "EXPIRED"


class EgressResourceType(StrEnum):
    """Target service of an Azure service-endpoint default rule."""

    AZURE_BLOB_STORAGE = "AZURE_BLOB_STORAGE"


class WorkspaceStatus(StrEnum):
    """Lifecycle status of a workspace."""

    NOT_PROVISIONED = "NOT_PROVISIONED"
    PROVISIONING = "PROVISIONING"
    RUNNING = "RUNNING"
    FAILED = "FAILED"
    BANNED = "BANNED"
    CANCELLING = "CANCELLING"


class NccAwsStableIpRule(WireModel):
    cidr_blocks: list[str] | None = None


class NccAzureServiceEndpointRule(WireModel):
    subnets: list[str] | None = None
    target_region: str | None = None
    target_services: list[_Open[EgressResourceType]] | None = None


class NccEgressDefaultRules(WireModel):
    aws_stable_ip_rule: NccAwsStableIpRule | None = None
    azure_service_endpoint_rule: NccAzureServiceEndpointRule | None = None


class NccAzurePrivateEndpointRule(WireModel):
    """An Azure rule as embedded in ``egress_config.target_rules`` of an NCC."""

    rule_id: str | None = None
    network_connectivity_config_id: str | None = None
    connection_state: _Open[NccAzurePrivateEndpointRuleConnectionState] | None = None
    creation_time: int | None = None
    updated_time: int | None = None
    deactivated: bool | None = None
    deactivated_at: int | None = None
    domain_names: list[str] | None = None
    endpoint_name: str | None = None
    error_message: str | None = None
    group_id: str | None = None
    resource_id: str | None = None


class CustomerFacingNetworkConnectivityConfigAwsPrivateEndpointRule(WireModel):
    """An AWS rule as embedded in ``egress_config.target_rules`` of an NCC."""

    rule_id: str | None = None
    network_connectivity_config_id: str | None = None
    account_id: str | None = None
    connection_state: _Open[NccPrivateEndpointRulePrivateLinkConnectionState] | None = None
    creation_time: int | None = None
    updated_time: int | None = None
    deactivated: bool | None = None
    deactivated_at: int | None = None
    domain_names: list[str] | None = None
    enabled: bool | None = None
    endpoint_service: str | None = None
    error_message: str | None = None
    resource_names: list[str] | None = None
    vpc_endpoint_id: str | None = None


class NccEgressTargetRules(WireModel):
    aws_private_endpoint_rules: (
        list[CustomerFacingNetworkConnectivityConfigAwsPrivateEndpointRule] | None
    ) = None
    azure_private_endpoint_rules: list[NccAzurePrivateEndpointRule] | None = None


class NccEgressConfig(WireModel):
    default_rules: NccEgressDefaultRules | None = None
    target_rules: NccEgressTargetRules | None = None


class NetworkConnectivityConfiguration(WireModel):
    """An NCC. On PATCH only the masked fields (``name``, ``billing_workspace_id``) matter."""

    network_connectivity_config_id: str | None = None
    account_id: str | None = None
    name: str | None = None
    region: str | None = None
    egress_config: NccEgressConfig | None = None
    billing_workspace_id: int | None = None
    creation_time: int | None = None
    updated_time: int | None = None


class CreateNetworkConnectivityConfiguration(WireModel):
    """Body of NCC create: the API accepts exactly these two fields."""

    name: str
    region: str


class GoogleApiEndpoints(WireModel):
    endpoints: list[str] | None = None


class GcpEndpoint(WireModel):
    service_attachment: str | None = None
    google_api_endpoints: GoogleApiEndpoints | None = None
    all_vpc_sc_services: bool | None = None
    psc_endpoint_uri: str | None = None


class NccPrivateEndpointRule(WireModel):
    """A private endpoint rule as returned by every rule endpoint (all clouds)."""

    rule_id: str | None = None
    network_connectivity_config_id: str | None = None
    account_id: str | None = None
    connection_state: _Open[NccPrivateEndpointRulePrivateLinkConnectionState] | None = None
    creation_time: int | None = None
    updated_time: int | None = None
    deactivated: bool | None = None
    deactivated_at: int | None = None
    error_message: str | None = None
    resource_id: str | None = None
    group_id: str | None = None
    endpoint_name: str | None = None
    domain_names: list[str] | None = None
    endpoint_service: str | None = None
    resource_names: list[str] | None = None
    vpc_endpoint_id: str | None = None
    enabled: bool | None = None
    gcp_endpoint: GcpEndpoint | None = None


class CreatePrivateEndpointRule(WireModel):
    """Body of rule create. There is no ``enabled`` here: the API cannot create an enabled rule."""

    resource_id: str | None = None
    group_id: str | None = None
    domain_names: list[str] | None = None
    endpoint_service: str | None = None
    resource_names: list[str] | None = None
    gcp_endpoint: GcpEndpoint | None = None


class UpdatePrivateEndpointRule(WireModel):
    """Body of rule PATCH: the updatable fields; which ones apply is said by ``update_mask``."""

    domain_names: list[str] | None = None
    resource_names: list[str] | None = None
    enabled: bool | None = None
    gcp_endpoint: GcpEndpoint | None = None


class Workspace(WireModel):
    """The workspace fields this operator reads; everything else the API returns is ignored."""

    workspace_id: int | None = None
    workspace_name: str | None = None
    account_id: str | None = None
    deployment_name: str | None = None
    cloud: str | None = None
    aws_region: str | None = None
    location: str | None = None
    network_connectivity_config_id: str | None = None
    workspace_status: _Open[WorkspaceStatus] | None = None
    workspace_status_message: str | None = None
    creation_time: int | None = None


class AccountNetworkPolicy(WireModel):
    """An account network policy (serverless egress control), kept whole.

    Update is a full-replace PUT (docs/serverless-egress.md §1.1): whatever a PUT leaves out is
    gone. So this model keeps every key the server sent (``extra="allow"``: ``ingress``,
    ``ingress_dry_run``, egress keys this client does not know), and :meth:`to_wire` sends them
    back as they came. Only :meth:`with_network_access` changes anything: the one part the
    operator owns, ``egress.network_access``.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    network_policy_id: str | None = None
    account_id: str | None = None
    egress: dict[str, Any] | None = None

    def to_wire(self, *, keep: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Every key as received (nulls and empty lists included), ``account_id`` dropped: it
        is the server's, and the path names the account."""
        raw = self.model_dump(mode="json")
        raw.pop("account_id", None)
        return {k: v for k, v in raw.items() if v is not None or k in (self.model_extra or {})}

    @property
    def network_access(self) -> dict[str, Any] | None:
        access = (self.egress or {}).get("network_access")
        return access if isinstance(access, dict) else None

    def with_network_access(self, access: dict[str, Any]) -> AccountNetworkPolicy:
        """This policy with ``egress.network_access`` replaced and every other part kept."""
        egress = {**(self.egress or {}), "network_access": access}
        return self.model_copy(update={"egress": egress})


class WorkspaceNetworkOption(WireModel):
    """Which network policy a workspace uses (``default-policy`` when nobody bound it)."""

    workspace_id: int | None = None
    network_policy_id: str | None = None


class ListNetworkPoliciesResponse(WireModel):
    items: list[AccountNetworkPolicy] | None = None
    next_page_token: str | None = None


class ListNetworkConnectivityConfigurationsResponse(WireModel):
    items: list[NetworkConnectivityConfiguration] | None = None
    next_page_token: str | None = None


class ListPrivateEndpointRulesResponse(WireModel):
    items: list[NccPrivateEndpointRule] | None = None
    next_page_token: str | None = None
