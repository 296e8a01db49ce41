"""The PrivateEndpointRule kind (``crds/privateendpointrules.yaml``).

Owns the spec (the NCC it belongs to, exactly one Azure, AWS or GCP target, policies, adoption
id), the observed ``atProvider``, and the small facts about targets the adapters need: which cloud
a rule is for, whether an AWS target is S3, and which namespace its NCC lives in. The target
identity (``azure.resourceId``/``groupId``, ``aws.endpointService``, the whole ``gcp`` target but
its ``domainNames``, the cloud) is immutable at Databricks or in v1alpha1 and guarded by CEL
transition rules in the CRD; ``domainNames``/``resourceNames``/``enabled`` are updated in place.
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
    GCP_SERVICE_ATTACHMENT,
    GOOGLE_API_ENDPOINT,
    K8S_NAME,
    K8S_NAMESPACE,
    S3_BUCKET_NAME,
    validator,
)

MAX_DOMAIN_NAMES = 10  # Databricks: at most 10 domain names per rule
MAX_GOOGLE_API_ENDPOINTS = 20  # our bound: no Databricks limit found (docs/serverless-egress.md)
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


GoogleApiEndpoint = Annotated[
    str, Field(min_length=1, max_length=253), AfterValidator(validator(GOOGLE_API_ENDPOINT))
]


class GcpTarget(CamelModel):
    """GCP Private Service Connect target: exactly one of a service attachment (with optional
    ``domainNames``), Google API host names, or all VPC Service Controls services."""

    service_attachment: Annotated[str, AfterValidator(validator(GCP_SERVICE_ATTACHMENT))] | None = (
        Field(default=None, min_length=1, max_length=1024)
    )
    google_api_endpoints: list[GoogleApiEndpoint] | None = Field(
        default=None, min_length=1, max_length=MAX_GOOGLE_API_ENDPOINTS
    )
    all_vpc_sc_services: bool | None = None
    domain_names: list[DomainName] | None = Field(
        default=None, min_length=1, max_length=MAX_DOMAIN_NAMES
    )

    @model_validator(mode="after")
    def _exactly_one_target(self) -> GcpTarget:
        chosen = (
            self.service_attachment is not None,
            self.google_api_endpoints is not None,
            self.all_vpc_sc_services is not None,
        )
        if sum(chosen) != 1:
            raise ValueError(
                "gcp must set exactly one of serviceAttachment, googleApiEndpoints or "
                "allVpcScServices"
            )
        if self.all_vpc_sc_services is False:
            raise ValueError("gcp.allVpcScServices can only be true (leave it out otherwise)")
        if self.domain_names is not None and self.service_attachment is None:
            raise ValueError("gcp.domainNames go with gcp.serviceAttachment only")
        if self.google_api_endpoints is not None and len(set(self.google_api_endpoints)) != len(
            self.google_api_endpoints
        ):
            raise ValueError("gcp.googleApiEndpoints must not repeat a host name")
        return self

    @property
    def region(self) -> str | None:
        """The region a service attachment names (``projects/p/regions/<region>/...``)."""
        if self.service_attachment is None:
            return None
        return self.service_attachment.split("/")[3]


class PrivateEndpointRuleSpec(CamelModel):
    ncc_ref: NccReference
    azure: AzureTarget | None = None
    aws: AwsTarget | None = None
    gcp: GcpTarget | None = None
    deletion_policy: DeletionPolicy = DeletionPolicy.DELETE
    management_policy: ManagementPolicy = ManagementPolicy.MANAGE
    external_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=EXTERNAL_ID_PATTERN
    )

    @model_validator(mode="after")
    def _exactly_one_target(self) -> PrivateEndpointRuleSpec:
        if sum(t is not None for t in (self.azure, self.aws, self.gcp)) != 1:
            raise ValueError("exactly one of spec.azure, spec.aws or spec.gcp must be set")
        return self

    @property
    def cloud(self) -> Cloud:
        if self.azure is not None:
            return Cloud.AZURE
        return Cloud.AWS if self.aws is not None else Cloud.GCP


class PrivateEndpointRuleAtProvider(CamelModel):
    network_connectivity_config_id: str | None = None
    # A plain string, not an enum: a state Databricks adds later must still be shown.
    connection_state: str | None = None
    endpoint_name: str | None = None
    vpc_endpoint_id: str | None = None
    psc_endpoint_uri: str | None = None
    """GCP: the Private Service Connect endpoint Databricks created (output only)."""
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
