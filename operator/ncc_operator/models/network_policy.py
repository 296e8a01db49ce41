"""The NetworkPolicy kind (``crds/networkpolicies.yaml``): one Databricks account network policy
(serverless egress control) and the workspaces bound to it.

Owns the spec (account, policy id, the egress part of the policy, the workspaces to bind,
policies), the observed ``atProvider``, and the translation of ``spec.egress`` into the wire's
``egress.network_access`` (:meth:`Egress.network_access`), normalised so that "what the spec
asks" and "what Databricks holds" compare as sets of entries (docs/serverless-egress.md §1.3:
whether the server reorders or deduplicates lists is unconfirmed). Everything else of a policy
(``ingress``, ``ingress_dry_run``) is never modelled here: the adapter keeps it verbatim.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, model_validator

from .common import (
    CamelModel,
    CustomResource,
    DeletionPolicy,
    LocalObjectReference,
    ManagementPolicy,
    ResourceStatus,
)
from .formats import (
    AWS_REGION,
    AZURE_STORAGE_ACCOUNT,
    DOMAIN_NAME,
    GCS_BUCKET_NAME,
    NETWORK_POLICY_ID,
    REGION,
    S3_BUCKET_NAME,
    validator,
)

DEFAULT_POLICY_ID = "default-policy"
"""Every account has it, it cannot be deleted, and every workspace nobody bound uses it."""
MAX_DESTINATIONS = 2000  # Databricks: at most 2000 destinations in total (DOC-NP)
MAX_POLICY_WORKSPACES = 500  # our bound (CEL cost); no Databricks limit is documented

Destination = Annotated[
    str, Field(min_length=1, max_length=253), AfterValidator(validator(DOMAIN_NAME))
]


class RestrictionMode(StrEnum):
    FULL_ACCESS = "FULL_ACCESS"
    RESTRICTED_ACCESS = "RESTRICTED_ACCESS"


class EnforcementMode(StrEnum):
    ENFORCED = "ENFORCED"
    DRY_RUN = "DRY_RUN"


class DryRunProduct(StrEnum):
    DBSQL = "DBSQL"
    ML_SERVING = "ML_SERVING"


class AzureStorageService(StrEnum):
    BLOB = "blob"
    DFS = "dfs"


class S3Destination(CamelModel):
    bucket_name: Annotated[str, AfterValidator(validator(S3_BUCKET_NAME))] = Field(
        min_length=3, max_length=63
    )
    region: Annotated[str, AfterValidator(validator(AWS_REGION))] = Field(
        min_length=1, max_length=64
    )


class AzureStorageDestination(CamelModel):
    storage_account: Annotated[str, AfterValidator(validator(AZURE_STORAGE_ACCOUNT))] = Field(
        min_length=3, max_length=24
    )
    service: AzureStorageService


class GcsDestination(CamelModel):
    bucket_name: Annotated[str, AfterValidator(validator(GCS_BUCKET_NAME))] = Field(
        min_length=3, max_length=222
    )
    region: Annotated[str, AfterValidator(validator(REGION))] | None = Field(
        default=None, min_length=1, max_length=64
    )


class StorageDestination(CamelModel):
    """Exactly one of ``s3``, ``azure``, ``gcs``."""

    s3: S3Destination | None = None
    azure: AzureStorageDestination | None = None
    gcs: GcsDestination | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StorageDestination:
        if sum(d is not None for d in (self.s3, self.azure, self.gcs)) != 1:
            raise ValueError("each storage destination sets exactly one of s3, azure or gcs")
        return self

    def wire(self) -> dict[str, Any]:
        if self.s3 is not None:
            return {
                "storage_destination_type": "AWS_S3",
                "bucket_name": self.s3.bucket_name,
                "region": self.s3.region,
            }
        if self.azure is not None:
            return {
                "storage_destination_type": "AZURE_STORAGE",
                "azure_storage_account": self.azure.storage_account,
                "azure_storage_service": str(self.azure.service),
            }
        assert self.gcs is not None
        gcs: dict[str, Any] = {
            "storage_destination_type": "GOOGLE_CLOUD_STORAGE",
            "bucket_name": self.gcs.bucket_name,
        }
        if self.gcs.region is not None:
            gcs["region"] = self.gcs.region
        return gcs


class Enforcement(CamelModel):
    mode: EnforcementMode = EnforcementMode.ENFORCED
    dry_run_products: list[DryRunProduct] = Field(default_factory=list, max_length=2)

    @model_validator(mode="after")
    def _products_with_dry_run(self) -> Enforcement:
        if self.dry_run_products and self.mode is not EnforcementMode.DRY_RUN:
            raise ValueError("enforcement.dryRunProducts goes with mode DRY_RUN only")
        if len(set(self.dry_run_products)) != len(self.dry_run_products):
            raise ValueError("enforcement.dryRunProducts must not repeat a product")
        return self


def _distinct(name: str, values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must not repeat an entry")


class Egress(CamelModel):
    restriction_mode: RestrictionMode
    allowed_internet_destinations: list[Destination] = Field(
        default_factory=list, max_length=MAX_DESTINATIONS
    )
    blocked_internet_destinations: list[Destination] = Field(
        default_factory=list, max_length=MAX_DESTINATIONS
    )
    allowed_storage_destinations: list[StorageDestination] = Field(
        default_factory=list, max_length=MAX_DESTINATIONS
    )
    allowed_databricks_workspace_ids: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=list, max_length=MAX_DESTINATIONS
    )
    enforcement: Enforcement = Enforcement()

    @model_validator(mode="after")
    def _allows_only_when_restricted(self) -> Egress:
        allows = (
            self.allowed_internet_destinations
            or self.allowed_storage_destinations
            or self.allowed_databricks_workspace_ids
        )
        if allows and self.restriction_mode is not RestrictionMode.RESTRICTED_ACCESS:
            raise ValueError(
                "allowed destinations apply only with restrictionMode RESTRICTED_ACCESS: under "
                "FULL_ACCESS everything is reachable already"
            )
        _distinct("allowedInternetDestinations", self.allowed_internet_destinations)
        _distinct("blockedInternetDestinations", self.blocked_internet_destinations)
        _distinct("allowedDatabricksWorkspaceIds", self.allowed_databricks_workspace_ids)
        return self

    def network_access(self) -> dict[str, Any]:
        """``egress.network_access`` as the wire carries it (docs/serverless-egress.md §5.1)."""
        access: dict[str, Any] = {"restriction_mode": str(self.restriction_mode)}
        if self.allowed_internet_destinations:
            access["allowed_internet_destinations"] = _dns(self.allowed_internet_destinations)
        if self.blocked_internet_destinations:
            access["blocked_internet_destinations"] = _dns(self.blocked_internet_destinations)
        if self.allowed_storage_destinations:
            access["allowed_storage_destinations"] = [
                d.wire() for d in self.allowed_storage_destinations
            ]
        if self.allowed_databricks_workspace_ids:
            access["allowed_databricks_destinations"] = [
                {"workspace_ids": list(self.allowed_databricks_workspace_ids)}
            ]
        mode = self.enforcement.mode
        if mode is not EnforcementMode.ENFORCED or self.enforcement.dry_run_products:
            access["policy_enforcement"] = {
                "enforcement_mode": str(mode),
                "dry_run_mode_product_filter": [str(p) for p in self.enforcement.dry_run_products],
            }
        return access


def _dns(names: list[str]) -> list[dict[str, str]]:
    return [{"destination": n, "internet_destination_type": "DNS_NAME"} for n in names]


def normalised_access(access: dict[str, Any] | None) -> dict[str, Any]:
    """``network_access`` in a form where equal policies compare equal: lists as sorted sets of
    their entries, empty lists and absent keys alike, an absent ``policy_enforcement`` as
    ENFORCED with no filter (docs/serverless-egress.md §1.3, the choices under "Unconfirmed")."""
    access = access or {}

    def entries(key: str) -> list[str]:
        items = access.get(key) or []
        return sorted(
            {
                repr(sorted((k, v) for k, v in i.items() if v not in (None, [])))
                for i in items
                if isinstance(i, dict)
            }
        )

    enforcement = access.get("policy_enforcement") or {}
    workspaces = sorted(
        {
            w
            for d in access.get("allowed_databricks_destinations") or []
            for w in (d.get("workspace_ids") or [])
        }
    )
    return {
        "restriction_mode": access.get("restriction_mode"),
        "allowed_internet_destinations": entries("allowed_internet_destinations"),
        "blocked_internet_destinations": entries("blocked_internet_destinations"),
        "allowed_storage_destinations": entries("allowed_storage_destinations"),
        "allowed_databricks_workspace_ids": workspaces,
        "enforcement_mode": enforcement.get("enforcement_mode") or "ENFORCED",
        "dry_run_products": sorted(enforcement.get("dry_run_mode_product_filter") or []),
    }


class NetworkPolicySpec(CamelModel):
    account_ref: LocalObjectReference
    network_policy_id: Annotated[str, AfterValidator(validator(NETWORK_POLICY_ID))] | None = Field(
        default=None, min_length=1, max_length=32
    )
    egress: Egress
    workspace_ids: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=list, max_length=MAX_POLICY_WORKSPACES
    )
    deletion_policy: DeletionPolicy = DeletionPolicy.DELETE
    management_policy: ManagementPolicy = ManagementPolicy.MANAGE

    @model_validator(mode="after")
    def _workspaces_distinct(self) -> NetworkPolicySpec:
        _distinct("workspaceIds", self.workspace_ids)
        return self


class DestinationCounts(CamelModel):
    allowed_internet: int = 0
    blocked_internet: int = 0
    allowed_storage: int = 0
    allowed_databricks_workspaces: int = 0


class NetworkPolicyAtProvider(CamelModel):
    network_policy_id: str | None = None
    restriction_mode: str | None = None
    # Plain strings, not enums: a mode Databricks adds later must still be shown.
    enforcement_mode: str | None = None
    dry_run_products: list[str] = Field(default_factory=list)
    destination_counts: DestinationCounts | None = None
    bound_workspace_ids: list[int] = Field(default_factory=list)
    """Workspaces of ``spec.workspaceIds`` that Databricks says use this policy now."""
    ingress_managed_elsewhere: bool | None = None
    """The policy has ingress rules: kept as they are on every update (not managed here)."""


class NetworkPolicyStatus(ResourceStatus):
    at_provider: NetworkPolicyAtProvider | None = None


class NetworkPolicyResource(CustomResource[NetworkPolicySpec, NetworkPolicyStatus]):
    KIND: ClassVar[str] = "NetworkPolicy"
    PLURAL: ClassVar[str] = "networkpolicies"

    @property
    def policy_id(self) -> str:
        """The Databricks id: ``spec.networkPolicyId``, else ``metadata.name`` (CEL checks it)."""
        return self.spec.network_policy_id or self.metadata.name

    @property
    def is_default(self) -> bool:
        return self.policy_id == DEFAULT_POLICY_ID
