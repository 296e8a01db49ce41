"""DatabricksAccount: one pooled API client per account, rebuilt when its credentials change.

The pool is shared state: NCC and rule adapters borrow the client of their account, and only
the account's own reconcile re-reads its Secret (each resync), so rotating credentials in the
Secret takes effect without a restart and without every rule reading Secrets. Ready=True means a
real credential exchange and one read call (the workspace list, which also warms the shared
cache) succeeded.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ncc_operator.databricks import Credentials as DbxCredentials
from ncc_operator.databricks import (
    CredentialsError,
    DatabricksAccountClient,
    DatabricksError,
    RateLimit,
    RequestHook,
)
from ncc_operator.models import DEFAULT_TOKEN_PATH, AuthMethod, DatabricksAccountResource
from ncc_operator.reconcile import (
    AuthFailed,
    Creation,
    Deletion,
    NotAllowed,
    Observation,
    Problem,
    Readiness,
    ReferenceNotReady,
    Update,
)

from .cache import Observations
from .errors import problem_from
from .hosts import HostPolicy
from .world import AccountEntry

if TYPE_CHECKING:
    from ncc_operator.settings import Settings

logger = logging.getLogger(__name__)

OLD_CLIENT_GRACE_SECONDS = 120.0
"""A replaced client stays open this long so requests already in flight can finish."""


class SecretMissing(Exception):  # noqa: N818  (a condition, not a programming error)
    """The Secret or one of its keys does not exist."""


class SecretNotReady(ReferenceNotReady):
    """The account's Secret (or a key of it) is missing: looked for again with backoff, since a
    Secret that never appears must not be re-read every few seconds forever. Creating it is
    noticed at the next look: at most a minute later once backed off."""

    backoff = True
    max_backoff = 60.0


class SecretReader(Protocol):
    async def read(self, namespace: str, name: str) -> Mapping[str, str]:
        """The decoded ``data`` of a Secret; raises :class:`SecretMissing`."""
        ...


@dataclass(frozen=True)
class PoolOptions:
    hook: RequestHook | None = None
    azure_login_endpoint: str | None = None
    hosts: HostPolicy = field(default_factory=HostPolicy)
    """Where credentials may be sent (checked before any Secret or token file is read)."""
    workload_identity_token_path: str = DEFAULT_TOKEN_PATH
    """The token file of every ``workloadIdentity`` account: operator configuration."""
    account_namespaces: frozenset[str] = frozenset()
    """Namespaces whose accounts are honoured; empty: any."""
    workload_identity_namespaces: frozenset[str] = frozenset()
    """Namespaces whose ``workloadIdentity`` accounts may use the operator's token; ``*``: any."""

    @classmethod
    def from_settings(cls, settings: Settings, *, hook: RequestHook | None = None) -> PoolOptions:
        """The options of the running operator (and of ``export``, which must act the same)."""
        return cls(
            hook=hook,
            azure_login_endpoint=settings.azure_login_endpoint,
            hosts=HostPolicy.of(settings.allowed_hosts, allow_http=settings.allow_http),
            workload_identity_token_path=settings.workload_identity_token_path,
            account_namespaces=frozenset(settings.account_namespaces),
            workload_identity_namespaces=frozenset(settings.workload_identity_namespaces),
        )

    def check_tenancy(self, account: DatabricksAccountResource) -> None:
        """Refuse accounts the platform team did not allow (before anything is read)."""
        namespace = account.namespace
        if self.account_namespaces and namespace not in self.account_namespaces:
            raise NotAllowed(
                f"DatabricksAccounts are honoured only in namespace(s) "
                f"{', '.join(sorted(self.account_namespaces))} (operator setting "
                "accountNamespaces); ask the platform team for an NCC you may attach rules to."
            )
        allowed = self.workload_identity_namespaces
        uses_operator_identity = account.spec.auth.method is AuthMethod.WORKLOAD_IDENTITY
        if uses_operator_identity and "*" not in allowed and namespace not in allowed:
            raise NotAllowed(
                "auth.workloadIdentity exchanges the operator's own service-account token, so "
                f"it is allowed only in namespaces the operator lists (now: "
                f"{', '.join(sorted(allowed)) or 'none'}; setting workloadIdentityNamespaces). "
                "Use oauthM2M with a Secret here, or ask the platform team."
            )


@dataclass
class _Pooled:
    client: DatabricksAccountClient
    fingerprint: str


class AccountPool:
    """Clients by account (``namespace/name``), with the fingerprint of their inputs."""

    def __init__(self, secrets: SecretReader, options: PoolOptions | None = None) -> None:
        self._secrets = secrets
        self._options = options or PoolOptions()
        self._clients: dict[str, _Pooled] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._retiring: set[asyncio.Task[None]] = set()
        """Replaced clients, closed after a grace period (their in-flight calls finish)."""

    async def client(
        self, entry: AccountEntry, *, refresh: bool = False
    ) -> DatabricksAccountClient:
        """The account's client; with ``refresh`` re-read the Secret and rebuild if it changed."""
        key = str(entry.ref)
        async with self._locks.setdefault(key, asyncio.Lock()):
            pooled = self._clients.get(key)
            if pooled is not None and not refresh:
                return pooled.client
            # Before any credential is read: a tenant's host must not receive one, and only
            # the namespaces the platform team chose may define accounts.
            self._options.check_tenancy(entry.resource)
            self._options.hosts.check(entry.resource.spec.effective_host)
            credentials = await self._credentials(entry.resource)
            fingerprint = _fingerprint(entry.resource, credentials)
            if pooled is not None and pooled.fingerprint == fingerprint:
                return pooled.client
            client = await self._connect(entry.resource, credentials)
            self._clients[key] = _Pooled(client, fingerprint)
            if pooled is not None:
                logger.info("credentials of account %s changed: new client", key)
                self._close_later(pooled.client)
            return client

    async def forget(self, key: str) -> None:
        pooled = self._clients.pop(key, None)
        if pooled is not None:
            await pooled.client.aclose()

    async def close(self) -> None:
        """Close every client, the retiring ones at once too (nothing outlives the operator)."""
        for key in list(self._clients):
            await self.forget(key)
        for task in self._retiring:
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)

    def _close_later(self, client: DatabricksAccountClient) -> None:
        async def close() -> None:
            try:
                await asyncio.sleep(OLD_CLIENT_GRACE_SECONDS)
            finally:  # cancelled by close(): close the client now
                await client.aclose()

        task = asyncio.get_running_loop().create_task(close())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _credentials(self, account: DatabricksAccountResource) -> DbxCredentials:
        auth = account.spec.auth
        method = auth.method
        try:
            if method is AuthMethod.WORKLOAD_IDENTITY and auth.workload_identity is not None:
                wi = auth.workload_identity
                return DbxCredentials.file_oidc(
                    wi.client_id,
                    self._options.workload_identity_token_path,
                    audience=wi.effective_audience(account.spec.account_id),
                )
            data = await self._secrets.read(account.namespace, auth.secret_name or "")
            if method is AuthMethod.OAUTH_M2M and auth.oauth_m2m is not None:
                ref = auth.oauth_m2m.secret_ref
                return DbxCredentials.oauth_m2m(
                    _key(data, ref.name, ref.client_id_key),
                    _key(data, ref.name, ref.client_secret_key),
                )
            if method is AuthMethod.AZURE_CLIENT_SECRET and auth.azure_client_secret is not None:
                az = auth.azure_client_secret
                return DbxCredentials.azure_client_secret_auth(
                    az.tenant_id,
                    _key(data, az.secret_ref.name, az.secret_ref.client_id_key),
                    _key(data, az.secret_ref.name, az.secret_ref.client_secret_key),
                )
            assert auth.token is not None
            return DbxCredentials.pat(
                _key(data, auth.token.secret_ref.name, auth.token.secret_ref.key)
            )
        except SecretMissing as missing:
            raise SecretNotReady(
                f"{missing} in namespace {account.namespace}: create it (kubectl create secret "
                "generic ...) with the keys named in spec.auth."
            ) from None

    async def _connect(
        self, account: DatabricksAccountResource, credentials: DbxCredentials
    ) -> DatabricksAccountClient:
        spec = account.spec
        try:
            return await DatabricksAccountClient.connect(
                host=spec.effective_host,
                account_id=spec.account_id,
                credentials=credentials,
                cloud=spec.cloud.value,
                azure_login_endpoint=self._options.azure_login_endpoint,
                hook=self._options.hook,
                rate_limit=RateLimit(
                    requests_per_second=spec.rate_limit.requests_per_second,
                    burst=spec.rate_limit.burst,
                    max_concurrency=spec.rate_limit.max_concurrency,
                ),
            )
        except CredentialsError as error:
            raise AuthFailed(
                f"Cannot obtain Databricks credentials ({credentials.auth_type}): {error}"
            ) from None


class AccountClient:
    """The account "adapter": verifies credentials; nothing to create or delete at Databricks.

    Rejected credentials are retried at the account's resync pace (backing off from there), not
    at the generic slow auth pace: fixing the Secret must turn the account Ready without a restart
    and soon, and each retry costs one token request and one read.
    """

    def __init__(
        self,
        entry: AccountEntry,
        pool: AccountPool,
        observations: Observations,
        *,
        auth_retry_seconds: float | None = None,
    ) -> None:
        self._entry = entry
        self._pool = pool
        self._observations = observations
        self._auth_retry_seconds = auth_retry_seconds

    async def observe(self) -> Observation:
        spec = self._entry.resource.spec
        try:
            client = await self._pool.client(self._entry, refresh=True)
            # A fresh list (max_age 0), kept in the shared cache: the account's NCCs read it
            # from there instead of listing again.
            workspaces = await self._observations.workspaces(
                client, str(self._entry.ref), max_age=0
            )
        except DatabricksError as error:
            problem = problem_from(error, doing="verifying the account credentials")
            raise self._soon(problem) from None
        except AuthFailed as failed:
            raise self._soon(failed) from None
        method = self._entry.resource.spec.auth.method
        return Observation(
            exists=True,
            external_id=spec.account_id,
            readiness=Readiness(
                True,
                "Available",
                f"Authenticated to {spec.effective_host} with {method}; "
                f"{len(workspaces)} workspace(s) visible.",
            ),
            at_provider={"host": spec.effective_host, "authType": str(method)},
        )

    def _soon(self, problem: Problem) -> Problem:
        if isinstance(problem, AuthFailed) and self._auth_retry_seconds is not None:
            problem = AuthFailed(problem.message, retry_after=self._auth_retry_seconds)
        if isinstance(problem, AuthFailed):
            # Credentials that do not work make the account not Ready: its NCCs and rules then
            # wait on it (ReferenceNotReady) instead of each failing on its own calls, and are
            # woken when it turns Ready again.
            problem.unready = True
        return problem

    async def create(self) -> Creation:  # pragma: no cover - observe always reports it exists
        raise NotImplementedError

    async def update(self, seen: Observation) -> Update:  # pragma: no cover - always up to date
        raise NotImplementedError

    async def delete(self, seen: Observation) -> Deletion:
        await self._pool.forget(str(self._entry.ref))
        return Deletion(done=True, message="Forgot the account's client.")


def _key(data: Mapping[str, str], secret: str, key: str) -> str:
    value = data.get(key)
    if not value:
        raise SecretMissing(f"Secret {secret} has no key {key!r}")
    return value


def _fingerprint(account: DatabricksAccountResource, credentials: DbxCredentials) -> str:
    spec = json.dumps(account.spec.to_k8s(), sort_keys=True)
    secret = "\0".join(credentials.secret_values())
    return hashlib.sha256(f"{spec}\0{credentials.auth_type}\0{secret}".encode()).hexdigest()
