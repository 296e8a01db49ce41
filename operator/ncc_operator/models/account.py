"""The DatabricksAccount kind: how to reach one Databricks account.

Schema twin: ``crds/databricksaccounts.yaml``.

Owns the spec (account id, cloud, host, exactly one auth method, client-side rate limit), the
status, and the defaults the CRD schema cannot express because they depend on another field: the
host per cloud and the workload-identity audience (the account id).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field, model_validator

from .common import (
    EXTERNAL_ID_PATTERN,
    CamelModel,
    ClientCredentialsSecretRef,
    CustomResource,
    ResourceStatus,
    TokenSecretRef,
)

DEFAULT_TOKEN_PATH = "/var/run/secrets/ncc-operator/databricks/token"  # noqa: S105 - a path


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
    token_path: str = Field(default=DEFAULT_TOKEN_PATH, min_length=2, max_length=4096, pattern="^/")

    def effective_audience(self, account_id: str) -> str:
        """The audience to request: ``audience``, else the account id (Databricks' default)."""
        return self.audience or account_id


class AzureClientSecretAuth(CamelModel):
    tenant_id: str = Field(min_length=1, max_length=256)
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
    """Client-side limits; defaults follow the Databricks Go SDK (15 requests/s)."""

    requests_per_second: float = Field(default=15, gt=0)
    burst: int = Field(default=30, ge=1)
    max_concurrency: int = Field(default=10, ge=1)


class DatabricksAccountSpec(CamelModel):
    account_id: str = Field(min_length=1, max_length=64, pattern=EXTERNAL_ID_PATTERN)
    cloud: Cloud
    host: str | None = Field(default=None, max_length=2048)
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
