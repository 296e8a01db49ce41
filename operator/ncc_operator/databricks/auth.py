"""Credentials for the account API, resolved by the official ``databricks.sdk.core.Config``.

We never hand-write OAuth: the SDK performs discovery, the client-credentials grant, the
workload-identity token exchange, Entra ID, token caching and refresh. This module only

* holds the inputs (:class:`Credentials`, secrets as ``SecretStr`` so they never print),
* builds the ``Config`` keyword arguments so that nothing *else* can choose the credentials:
  ``auth_type`` is explicit, every other ``DATABRICKS_*``/``ARM_*``-backed attribute is pinned
  to an empty value (``Config`` reads the environment only for attributes left unset), and
  ``config_file`` points at ``os.devnull`` so a developer's ``~/.databrickscfg`` is never read,
* runs the blocking SDK calls off the event loop and bounds every wait (``sdkcalls.py``):
  ``Config(...)`` once (it fetches ``/.well-known/databricks-config`` and the OIDC discovery
  document), ``authenticate()`` per request (a dict copy of a cached token; it blocks only when
  the token must be refreshed), one call in flight per account at a time,
* checks a workload-identity token's ``aud`` claim against the configured audience before the
  exchange (SDK 0.162 never requests an audience for ``file-oidc``/``env-oidc``: the projected
  token carries it; ``token_audience`` only reaches the SDK's other OIDC suppliers).

Account hosts: for Databricks OAuth we pass ``discovery_url`` explicitly as
``{host}/oidc/accounts/{account_id}/.well-known/oauth-authorization-server`` (what the Go SDK and
older Python SDKs derive for ``https://accounts.*`` hosts). SDK 0.162 would otherwise take it from
host metadata only, so OAuth would break on any host without ``/.well-known/databricks-config``.
The same makes a plain ``http://127.0.0.1:PORT`` emulator work (docs/client.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Self

from databricks.sdk._base_client import _BaseClient
from databricks.sdk.core import Config
from databricks.sdk.environments import (
    ARM_DATABRICKS_RESOURCE_ID,
    AzureEnvironment,
    DatabricksEnvironment,
)
from databricks.sdk.environments import Cloud as SdkCloud
from databricks.sdk.oauth import OidcEndpoints, get_endpoints_from_url
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from .errors import CredentialsUnavailable
from .models import Cloud
from .sdkcalls import credential_failure, start, wait_bounded
from .wif import check_audience

logger = logging.getLogger(__name__)

DEFAULT_AUTH_TIMEOUT_SECONDS = 30.0
"""Longest wait for ``Config()`` or one ``authenticate()`` (discovery, token request)."""

_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
_BEARER = re.compile(r"(?i)(bearer|basic)\s+[\w\-.~+/=]+")


class AuthType(StrEnum):
    """The ``auth_type`` values of ``databricks.sdk.core.Config`` this operator supports."""

    OAUTH_M2M = "oauth-m2m"
    FILE_OIDC = "file-oidc"
    ENV_OIDC = "env-oidc"
    AZURE_CLIENT_SECRET = "azure-client-secret"  # noqa: S105 - a name, not a secret
    PAT = "pat"


_REQUIRED: dict[AuthType, tuple[str, ...]] = {
    AuthType.OAUTH_M2M: ("client_id", "client_secret"),
    AuthType.FILE_OIDC: ("client_id", "oidc_token_filepath"),
    AuthType.ENV_OIDC: ("client_id",),
    AuthType.AZURE_CLIENT_SECRET: ("azure_tenant_id", "azure_client_id", "azure_client_secret"),
    AuthType.PAT: ("token",),
}

_DATABRICKS_OAUTH = frozenset({AuthType.OAUTH_M2M, AuthType.FILE_OIDC, AuthType.ENV_OIDC})
_OIDC = frozenset({AuthType.FILE_OIDC, AuthType.ENV_OIDC})
"""Workload identity: a JWT from a file or env var, exchanged for a Databricks token."""


class Credentials(BaseModel):
    """How to authenticate to one account. Build with the per-type constructors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auth_type: AuthType
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token: SecretStr | None = None
    oidc_token_filepath: str | None = None
    oidc_token_env: str | None = None
    azure_tenant_id: str | None = None
    azure_client_id: str | None = None
    azure_client_secret: SecretStr | None = None
    audience: str | None = None
    """Workload identity only: the ``aud`` the federation policy expects in the token."""

    @model_validator(mode="after")
    def _check_required(self) -> Self:
        missing = [name for name in _REQUIRED[self.auth_type] if not getattr(self, name)]
        if missing:
            raise ValueError(f"{self.auth_type} credentials need: {', '.join(missing)}")
        if self.audience is not None and self.auth_type not in _OIDC:
            raise ValueError(f"{self.auth_type} credentials take no audience")
        return self

    @classmethod
    def oauth_m2m(cls, client_id: str, client_secret: str) -> Credentials:
        """A Databricks service principal's OAuth secret."""
        return cls(
            auth_type=AuthType.OAUTH_M2M,
            client_id=client_id,
            client_secret=SecretStr(client_secret),
        )

    @classmethod
    def file_oidc(
        cls, client_id: str, oidc_token_filepath: str, audience: str | None = None
    ) -> Credentials:
        """Workload identity federation from a token file (a projected service-account token).

        ``audience``: what the federation policy expects (``None``: not checked locally; the
        SDK's default for account hosts is the account id).
        """
        return cls(
            auth_type=AuthType.FILE_OIDC,
            client_id=client_id,
            oidc_token_filepath=oidc_token_filepath,
            audience=audience,
        )

    @classmethod
    def env_oidc(
        cls, client_id: str, oidc_token_env: str | None = None, audience: str | None = None
    ) -> Credentials:
        """Workload identity federation from an env var (default ``DATABRICKS_OIDC_TOKEN``)."""
        return cls(
            auth_type=AuthType.ENV_OIDC,
            client_id=client_id,
            oidc_token_env=oidc_token_env,
            audience=audience,
        )

    @classmethod
    def azure_client_secret_auth(
        cls, tenant_id: str, client_id: str, client_secret: str
    ) -> Credentials:
        """An Entra ID service principal secret."""
        return cls(
            auth_type=AuthType.AZURE_CLIENT_SECRET,
            azure_tenant_id=tenant_id,
            azure_client_id=client_id,
            azure_client_secret=SecretStr(client_secret),
        )

    @classmethod
    def pat(cls, token: str) -> Credentials:
        """A personal access token (discouraged)."""
        return cls(auth_type=AuthType.PAT, token=SecretStr(token))

    def secret_values(self) -> tuple[str, ...]:
        """Plaintext secrets, for scrubbing text that might echo them. Never log this."""
        secrets = (self.client_secret, self.token, self.azure_client_secret)
        return tuple(s.get_secret_value() for s in secrets if s is not None)

    def redact(self, text: str) -> str:
        """``text`` without these credentials' secrets or anything token-shaped."""
        return redact(text, self.secret_values())


def account_discovery_url(host: str, account_id: str) -> str:
    """The OIDC discovery document of an account on an account host."""
    return f"{host.rstrip('/')}/oidc/accounts/{account_id}/.well-known/oauth-authorization-server"


def sdk_config_kwargs(
    host: str,
    account_id: str,
    credentials: Credentials,
    *,
    cloud: Cloud | str | None = None,
    discovery_url: str | None = None,
    azure_login_endpoint: str | None = None,
    timeout_seconds: float = DEFAULT_AUTH_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """Keyword arguments for ``Config`` that depend on nothing but the arguments (pure).

    ``azure_login_endpoint`` replaces the Entra ID authority for ``azure-client-secret``
    (default: chosen by the SDK from the host's DNS zone, e.g. ``login.microsoftonline.com``);
    the emulator serves one at ``{host}/aad/``. ``timeout_seconds`` is the caller's budget;
    the SDK's own fetches get a third each (see :func:`sdk_timeouts`).
    """
    http_timeout, retry_timeout = sdk_timeouts(timeout_seconds)
    kwargs: dict[str, Any] = {
        "host": host.rstrip("/"),
        "account_id": account_id,
        "auth_type": credentials.auth_type.value,
        "config_file": os.devnull,
        "cloud": Cloud(cloud).value.upper() if cloud else "",
        # Bound the SDK's host-metadata and (via _BoundedConfig) discovery fetches.
        "http_timeout_seconds": http_timeout,
        "retry_timeout_seconds": retry_timeout,
    }
    if credentials.auth_type in _DATABRICKS_OAUTH:
        kwargs["discovery_url"] = discovery_url or account_discovery_url(host, account_id)
    if credentials.audience:
        kwargs["token_audience"] = credentials.audience
    if credentials.auth_type is AuthType.AZURE_CLIENT_SECRET and azure_login_endpoint:
        kwargs["databricks_environment"] = _azure_environment(azure_login_endpoint)
    for name in (*_REQUIRED[credentials.auth_type], "oidc_token_env"):
        value = getattr(credentials, name)
        if value:
            kwargs[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    return _pin_unset_attributes(kwargs)


def sdk_timeouts(budget: float) -> tuple[float, int]:
    """``(http_timeout_seconds, retry_timeout_seconds)`` for the SDK from a caller's budget.

    The SDK's retry loop (``retries.retried``) may start an attempt just before its deadline and
    sleeps up to ``attempt + 1`` s between attempts, so each fetch can last about
    ``retry + http + 11`` s; two fetches (metadata, discovery) at a third of the budget each end
    soon after the caller stopped waiting. ``retry_timeout_seconds`` is an int, and 0 would mean
    the SDK's default of 300 s.
    """
    third = budget / 3
    return max(0.5, min(third, 10.0)), max(1, int(third))


class _BoundedConfig(Config):
    """``Config`` whose OIDC discovery fetch honours its own timeouts.

    SDK 0.162 ``databricks_oidc_endpoints`` calls ``get_endpoints_from_url(discovery_url)``
    with the import-time default ``_BaseClient()`` (300 s of retries); host metadata, two lines
    earlier in ``config.py``, already gets a client built from the configured timeouts. We do
    the same for discovery.
    """

    @classmethod
    def attributes(cls) -> Any:
        # ``Config.attributes`` scans ``cls.__dict__``: a subclass would find none of its own.
        return Config.attributes()

    @property
    def databricks_oidc_endpoints(self) -> OidcEndpoints | None:
        self._fix_host_if_needed()  # type: ignore[no-untyped-call]  # the SDK is untyped
        if not self.host:
            return None
        client = _BaseClient(
            retry_timeout_seconds=self.retry_timeout_seconds,
            http_timeout_seconds=self.http_timeout_seconds,
        )
        return get_endpoints_from_url(self.discovery_url, client=client)


def _azure_environment(login_endpoint: str) -> DatabricksEnvironment:
    authority = login_endpoint.rstrip("/") + "/"
    return DatabricksEnvironment(
        SdkCloud.AZURE,
        dns_zone=".azuredatabricks.net",
        azure_application_id=ARM_DATABRICKS_RESOURCE_ID,
        azure_environment=AzureEnvironment(
            name="CUSTOM",
            service_management_endpoint="https://management.core.windows.net/",
            resource_manager_endpoint="https://management.azure.com/",
            active_directory_endpoint=authority,
        ),
    )


def _pin_unset_attributes(kwargs: dict[str, Any]) -> dict[str, Any]:
    # Config fills every attribute we leave unset from its environment variable, so a stray
    # DATABRICKS_TOKEN / DATABRICKS_DISCOVERY_URL / ARM_* could change what we do. Pin them to
    # falsy values, which the SDK treats exactly like "unset". Int/float attributes only tune
    # logging and an unused rate limit, and cannot be pinned without choosing a value.
    pinned = dict(kwargs)
    for attr in Config.attributes():
        if attr.name in pinned or not (attr.env or attr.env_aliases):
            continue
        if attr.transform is str:
            pinned[attr.name] = ""
        elif attr.transform is bool:
            pinned[attr.name] = False
    return pinned


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without the given secrets, bearer/basic credentials or anything JWT-shaped."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _JWT.sub("***", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} ***", text)


class SdkAuthenticator:
    """Auth headers for every request, from a databricks-sdk ``Config`` built once.

    Every wait is bounded by ``timeout_seconds``. At most one ``authenticate()`` runs at a time:
    concurrent requests share it, and a hung token request (the SDK's has no timeout) pins at
    most one thread per account; a second thread would only block on the SDK token lock anyway.
    """

    def __init__(
        self,
        config: Config,
        credentials: Credentials,
        timeout_seconds: float = DEFAULT_AUTH_TIMEOUT_SECONDS,
    ) -> None:
        self._config = config
        self._credentials = credentials
        self._timeout = timeout_seconds
        self._inflight: asyncio.Future[dict[str, str]] | None = None
        self.auth_type = credentials.auth_type

    @classmethod
    async def create(
        cls,
        host: str,
        account_id: str,
        credentials: Credentials,
        *,
        cloud: Cloud | str | None = None,
        discovery_url: str | None = None,
        azure_login_endpoint: str | None = None,
        timeout_seconds: float = DEFAULT_AUTH_TIMEOUT_SECONDS,
    ) -> SdkAuthenticator:
        """Build the ``Config`` off the event loop (it does HTTP and file I/O), bounded."""
        kwargs = sdk_config_kwargs(
            host,
            account_id,
            credentials,
            cloud=cloud,
            discovery_url=discovery_url,
            azure_login_endpoint=azure_login_endpoint,
            timeout_seconds=timeout_seconds,
        )
        doing = f"cannot configure {credentials.auth_type} auth"
        check_audience(credentials)
        try:
            config = await wait_bounded(
                start(lambda: _BoundedConfig(**kwargs)), timeout_seconds, doing
            )
        except CredentialsUnavailable:
            raise
        except Exception as exc:
            # ``from None``: the SDK's exception chain is not ours to vouch for.
            raise credential_failure(exc, doing, credentials.redact) from None
        return cls(config, credentials, timeout_seconds)

    async def __call__(self) -> Mapping[str, str]:
        """Fresh auth headers; the SDK caches the token and refreshes it when stale."""
        if self._inflight is None or self._inflight.done():
            self._inflight = start(self._config.authenticate)
        doing = f"{self.auth_type} authentication failed"
        try:
            return await wait_bounded(self._inflight, self._timeout, doing)
        except CredentialsUnavailable:
            raise
        except Exception as exc:
            raise credential_failure(exc, doing, self._credentials.redact) from None

    def __repr__(self) -> str:
        return f"SdkAuthenticator(auth_type={self.auth_type.value!r})"
