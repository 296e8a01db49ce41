"""The PrivateEndpointRule kind (``crds/privateendpointrules.yaml``).

Owns the spec (the NCC it belongs to, exactly one Azure or AWS target, policies, adoption id), the
observed ``atProvider``, and the small facts about targets the adapters need: which cloud a rule
is for, whether an AWS target is S3, and which namespace its NCC lives in. The target identity
(``azure.resourceId``/``groupId``, ``aws.endpointService``, the cloud) is immutable at Databricks
and guarded by CEL transition rules in the CRD; ``domainNames``/``resourceNames``/``enabled``
are updated in place.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, model_validator

from .account import Cloud
from .common import (
    EXTERNAL_ID_PATTERN,
    CamelModel,
    CustomResource,
    DeletionPolicy,
    ManagementPolicy,
    ResourceStatus,
)
from .formats import (
    AWS_ENDPOINT_SERVICE,
    AZURE_GROUP_ID,
    AZURE_RESOURCE_ID,
    DOMAIN_NAME,
    K8S_NAME,
    K8S_NAMESPACE,
    S3_BUCKET_NAME,
    validator,
)

MAX_DOMAIN_NAMES = 10  # Databricks: at most 10 domain names per rule
S3_SERVICE_SUFFIX = ".s3"
# Every format rule here is also a CEL rule of the CRD (formats.py; test_formats.py proves it).
DomainName = Annotated[
    str, Field(min_length=1, max_length=253), AfterValidator(validator(DOMAIN_NAME))
]
S3BucketName = Annotated[
    str, Field(min_length=3, max_length=63), AfterValidator(validator(S3_BUCKET_NAME))
]


class NccReference(CamelModel):
    """The NetworkConnectivityConfig a rule belongs to; namespace defaults to the rule's."""

    name: Annotated[str, AfterValidator(validator(K8S_NAME))] = Field(min_length=1, max_length=253)
    namespace: Annotated[str, AfterValidator(validator(K8S_NAMESPACE))] | None = Field(
        default=None, min_length=1, max_length=63
    )


class AzureTarget(CamelModel):
    """Azure Private Link target: ``resourceId`` plus exactly one of ``groupId``/``domainNames``."""

    resource_id: Annotated[str, AfterValidator(validator(AZURE_RESOURCE_ID))] = Field(
        min_length=1, max_length=1024
    )
    group_id: Annotated[str, AfterValidator(validator(AZURE_GROUP_ID))] | None = Field(
        default=None, min_length=1, max_length=64
    )
    domain_names: list[DomainName] | None = Field(
        default=None, min_length=1, max_length=MAX_DOMAIN_NAMES
    )

    @model_validator(mode="after")
    def _group_or_domains(self) -> AzureTarget:
        if (self.group_id is None) == (self.domain_names is None):
            raise ValueError(
                "azure must set exactly one of groupId (first-party resource) or domainNames "
                "(Private Link Service)"
            )
        return self


class AwsTarget(CamelModel):
    """AWS VPC endpoint target: S3 (service and/or bucket names) or a customer endpoint service."""

    endpoint_service: Annotated[str, AfterValidator(validator(AWS_ENDPOINT_SERVICE))] | None = (
        Field(default=None, min_length=1, max_length=255)
    )
    resource_names: list[S3BucketName] | None = Field(default=None, min_length=1, max_length=100)
    domain_names: list[DomainName] | None = Field(
        default=None, min_length=1, max_length=MAX_DOMAIN_NAMES
    )
    enabled: bool | None = None

    @model_validator(mode="after")
    def _service_or_buckets(self) -> AwsTarget:
        if self.endpoint_service is None and self.resource_names is None:
            raise ValueError("aws needs endpointService or resourceNames (S3 bucket names)")
        return self

    @property
    def is_s3(self) -> bool:
        """S3 rules are the only ones with bucket names and ``enabled`` (CRD rules agree)."""
        return self.resource_names is not None or (
            self.endpoint_service is not None and self.endpoint_service.endswith(S3_SERVICE_SUFFIX)
        )


class PrivateEndpointRuleSpec(CamelModel):
    ncc_ref: NccReference
    azure: AzureTarget | None = None
    aws: AwsTarget | None = None
    deletion_policy: DeletionPolicy = DeletionPolicy.DELETE
    management_policy: ManagementPolicy = ManagementPolicy.MANAGE
    external_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=EXTERNAL_ID_PATTERN
    )

    @model_validator(mode="after")
    def _exactly_one_target(self) -> PrivateEndpointRuleSpec:
        if (self.azure is None) == (self.aws is None):
            raise ValueError("exactly one of spec.azure or spec.aws must be set")
        return self

    @property
    def cloud(self) -> Cloud:
        return Cloud.AZURE if self.azure is not None else Cloud.AWS


class PrivateEndpointRuleAtProvider(CamelModel):
    network_connectivity_config_id: str | None = None
    # A plain string, not an enum: a state Databricks adds later must still be shown.
    connection_state: str | None = None
    endpoint_name: str | None = None
    vpc_endpoint_id: str | None = None
    error_message: str | None = None
    deactivated: bool | None = None


class PrivateEndpointRuleStatus(ResourceStatus):
    at_provider: PrivateEndpointRuleAtProvider | None = None


class PrivateEndpointRuleResource(
    CustomResource[PrivateEndpointRuleSpec, PrivateEndpointRuleStatus]
):
    KIND: ClassVar[str] = "PrivateEndpointRule"
    PLURAL: ClassVar[str] = "privateendpointrules"

    @property
    def ncc_namespace(self) -> str:
        """Namespace of the referenced NCC: ``spec.nccRef.namespace``, else the rule's own."""
        return self.spec.ncc_ref.namespace or self.metadata.namespace
