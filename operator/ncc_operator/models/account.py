"""The DatabricksAccount kind: how to reach one Databricks account.

Schema twin: ``crds/databricksaccounts.yaml``.

Owns the spec (account id, cloud, host, exactly one auth method, client-side rate limit), the
status, and the defaults the CRD schema cannot express because they depend on another field: the
host per cloud and the workload-identity audience (the account id).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, model_validator

from .common import (
    EXTERNAL_ID_PATTERN,
    CamelModel,
    ClientCredentialsSecretRef,
    CustomResource,
    ResourceStatus,
    TokenSecretRef,
)
from .formats import ACCOUNT_HOST, TENANT_ID, validator

DEFAULT_TOKEN_PATH = "/var/run/secrets/ncc-operator/databricks/token"  # noqa: S105 - a path
"""Where the Helm chart projects the operator's service-account token for workload identity.
Operator configuration (``NCC_OPERATOR_WORKLOAD_IDENTITY_TOKEN_PATH``), never a CR field: a CR
must not choose a file the operator reads."""


class Cloud(StrEnum):
    """Cloud of a Databricks account (mirrors ``ncc_operator.databricks.models.Cloud``, which this
    layer may not import)."""

    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"


DEFAULT_HOSTS: dict[Cloud, str] = {
    Cloud.AWS: "https://accounts.cloud.databricks.com",
    Cloud.AZURE: "https://accounts.azuredatabricks.net",
    Cloud.GCP: "https://accounts.gcp.databricks.com",
}


class AuthMethod(StrEnum):
    """Which member of ``spec.auth`` is set; values are the camelCase field names."""

    OAUTH_M2M = "oauthM2M"
    WORKLOAD_IDENTITY = "workloadIdentity"
    AZURE_CLIENT_SECRET = "azureClientSecret"  # noqa: S105 - a method name, not a secret
    TOKEN = "token"  # noqa: S105 - a method name, not a secret


class OAuthM2MAuth(CamelModel):
    secret_ref: ClientCredentialsSecretRef


class WorkloadIdentityAuth(CamelModel):
    client_id: str = Field(min_length=1, max_length=256)
    audience: str | None = Field(default=None, min_length=1, max_length=256)

    def effective_audience(self, account_id: str) -> str:
        """The audience to request: ``audience``, else the account id (Databricks' default)."""
        return self.audience or account_id


class AzureClientSecretAuth(CamelModel):
    # Part of the Entra token URL (login.microsoftonline.com/<tenant>/...): GUID or domain only.
    tenant_id: Annotated[str, AfterValidator(validator(TENANT_ID))] = Field(
        min_length=1, max_length=256
    )
    secret_ref: ClientCredentialsSecretRef


class TokenAuth(CamelModel):
    """A personal access token: discouraged (long-lived, tied to a user)."""

    secret_ref: TokenSecretRef


class AccountAuth(CamelModel):
    """Exactly one auth method (enforced by the CRD's CEL rule and again here)."""

    # to_camel would spell this "oauthM2m".
    oauth_m2m: OAuthM2MAuth | None = Field(default=None, alias="oauthM2M")
    workload_identity: WorkloadIdentityAuth | None = None
    azure_client_secret: AzureClientSecretAuth | None = None
    token: TokenAuth | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AccountAuth:
        self.method  # noqa: B018 - raises unless exactly one is set
        return self

    @property
    def method(self) -> AuthMethod:
        chosen = [
            method
            for method, value in (
                (AuthMethod.OAUTH_M2M, self.oauth_m2m),
                (AuthMethod.WORKLOAD_IDENTITY, self.workload_identity),
                (AuthMethod.AZURE_CLIENT_SECRET, self.azure_client_secret),
                (AuthMethod.TOKEN, self.token),
            )
            if value is not None
        ]
        if len(chosen) != 1:
            raise ValueError(
                "auth must set exactly one of oauthM2M, workloadIdentity, azureClientSecret or "
                f"token (got {len(chosen)})"
            )
        return chosen[0]

    @property
    def secret_name(self) -> str | None:
        """The Secret this method reads, if any (for watching it and for RBAC messages)."""
        holder = self.oauth_m2m or self.azure_client_secret or self.token
        return holder.secret_ref.name if holder is not None else None


class RateLimit(CamelModel):
    """Client-side limits; defaults follow the Databricks Go SDK (15 requests/s).

    The bounds keep one tenant's account from stalling its own reconciles (a rate of 0.001 is
    one call in 17 minutes) or from flooding Databricks and the operator's pool.
    """

    requests_per_second: float = Field(default=15, ge=0.1, le=1000)
    burst: int = Field(default=30, ge=1, le=1000)
    max_concurrency: int = Field(default=10, ge=1, le=100)


class DatabricksAccountSpec(CamelModel):
    account_id: str = Field(min_length=1, max_length=64, pattern=EXTERNAL_ID_PATTERN)
    cloud: Cloud
    # API paths are appended to it and credentials are sent to it: user info, a path, a query
    # or a fragment would each corrupt the request or leak a password as Basic auth.
    host: Annotated[str, AfterValidator(validator(ACCOUNT_HOST))] | None = Field(
        default=None, max_length=2048
    )
    auth: AccountAuth
    rate_limit: RateLimit = RateLimit()

    @property
    def effective_host(self) -> str:
        """``host`` without a trailing slash, else the account console host of ``cloud``."""
        return self.host.rstrip("/") if self.host else DEFAULT_HOSTS[self.cloud]


class DatabricksAccountAtProvider(CamelModel):
    host: str | None = None
    auth_type: str | None = None


class DatabricksAccountStatus(ResourceStatus):
    at_provider: DatabricksAccountAtProvider | None = None


class DatabricksAccountResource(CustomResource[DatabricksAccountSpec, DatabricksAccountStatus]):
    KIND: ClassVar[str] = "DatabricksAccount"
    PLURAL: ClassVar[str] = "databricksaccounts"
