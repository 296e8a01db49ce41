"""``DatabricksAccountClient``: typed async calls for NCCs, private endpoint rules, workspaces,
network policies and their workspace bindings.

One instance per Databricks account owns one pooled ``httpx.AsyncClient``, one rate limiter and
concurrency cap, and one credentials source; use it as an async context manager. Paths, verbs
and bodies follow databricks-api.md §1-§5: base path ``/api/2.0/accounts/{account_id}``,
unwrapped request bodies, ``update_mask`` as a comma-separated query parameter (never empty —
checked locally), list calls followed across every page.

Creates are not idempotent: they are never re-sent after an ambiguous failure and raise
:class:`~.errors.OutcomeUnknown` instead, so the caller can look the resource up by its natural
key (NCC: name + region; rule: NCC + target identity).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from .auth import DEFAULT_AUTH_TIMEOUT_SECONDS, Credentials, SdkAuthenticator
from .clock import Clock
from .errors import DatabricksError
from .masks import NCC_MASK_FIELDS, WORKSPACE_NCC_MASK, normalize_mask, rule_mask_fields
from .models import (
    AccountNetworkPolicy,
    Cloud,
    CreateNetworkConnectivityConfiguration,
    CreatePrivateEndpointRule,
    ListNetworkConnectivityConfigurationsResponse,
    ListNetworkPoliciesResponse,
    ListPrivateEndpointRulesResponse,
    NccPrivateEndpointRule,
    NetworkConnectivityConfiguration,
    UpdatePrivateEndpointRule,
    WireModel,
    Workspace,
    WorkspaceNetworkOption,
)
from .ratelimit import AccountLimiter, RateLimit
from .retry import RetryPolicy
from .transport import HeaderProvider, RequestHook, Transport

_ACCOUNT = "/api/2.0/accounts/{account_id}"
NCCS = f"{_ACCOUNT}/network-connectivity-configs"
NCC = f"{NCCS}/{{network_connectivity_config_id}}"
RULES = f"{NCC}/private-endpoint-rules"
RULE = f"{RULES}/{{private_endpoint_rule_id}}"
WORKSPACES = f"{_ACCOUNT}/workspaces"
WORKSPACE = f"{WORKSPACES}/{{workspace_id}}"
WORKSPACE_NETWORK = f"{WORKSPACE}/network"
POLICIES = f"{_ACCOUNT}/network-policies"
POLICY = f"{POLICIES}/{{network_policy_id}}"

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0, pool=30.0)
USER_AGENT = "ncc-operator/0.1.0"

_Page = TypeVar(
    "_Page",
    ListNetworkConnectivityConfigurationsResponse,
    ListPrivateEndpointRulesResponse,
    ListNetworkPoliciesResponse,
)


class DatabricksAccountClient:
    """Typed async client for one Databricks account."""

    def __init__(
        self,
        *,
        host: str,
        account_id: str,
        auth: HeaderProvider,
        cloud: Cloud | str | None = None,
        rate_limit: RateLimit | None = None,
        retry_policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        hook: RequestHook | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Low-level constructor; most callers want :meth:`connect`.

        ``auth`` returns the auth headers per request; ``cloud``, when known, lets rule PATCHes
        refuse fields that cloud cannot update (``enabled`` on Azure) before sending;
        ``http_transport`` replaces the network (tests pass an ``httpx.MockTransport``).
        """
        self.host = host.rstrip("/")
        self.account_id = account_id
        self.cloud = Cloud(cloud) if cloud else None
        limiter = AccountLimiter(rate_limit, clock)
        size = limiter.limit.max_concurrency
        self._http = httpx.AsyncClient(
            base_url=self.host,
            timeout=timeout,
            transport=http_transport,
            limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )
        self._auth = auth
        self._transport = Transport(
            http=self._http, auth=auth, limiter=limiter, policy=retry_policy, clock=clock, hook=hook
        )

    @classmethod
    async def connect(
        cls,
        *,
        host: str,
        account_id: str,
        credentials: Credentials,
        cloud: Cloud | str | None = None,
        discovery_url: str | None = None,
        azure_login_endpoint: str | None = None,
        auth_timeout_seconds: float = DEFAULT_AUTH_TIMEOUT_SECONDS,
        **options: Any,
    ) -> DatabricksAccountClient:
        """Resolve ``credentials`` through the databricks-sdk ``Config`` and build a client.

        ``discovery_url`` / ``azure_login_endpoint`` override where OAuth / Entra ID tokens
        come from (see :func:`~.auth.sdk_config_kwargs`). ``auth_timeout_seconds`` bounds
        building the ``Config`` and each later token fetch (an unreachable identity provider
        raises :class:`~.errors.CredentialsUnavailable`). ``options`` are the remaining keyword
        arguments of the constructor.
        """
        auth = await SdkAuthenticator.create(
            host,
            account_id,
            credentials,
            cloud=cloud,
            discovery_url=discovery_url,
            azure_login_endpoint=azure_login_endpoint,
            timeout_seconds=auth_timeout_seconds,
        )
        return cls(host=host, account_id=account_id, auth=auth, cloud=cloud, **options)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"DatabricksAccountClient(host={self.host!r}, account_id={self.account_id!r})"

    async def _call(
        self,
        method: str,
        template: str,
        *,
        query: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        **params: str | int,
    ) -> Any:
        params = {"account_id": self.account_id, **params}
        return await self._transport.request(method, template, params, query=query, body=body)

    # -- network connectivity configurations -------------------------------------------------

    async def create_network_connectivity_configuration(
        self, name: str, region: str
    ) -> NetworkConnectivityConfiguration:
        """POST an NCC. On :class:`~.errors.OutcomeUnknown`, look it up by name + region."""
        body = CreateNetworkConnectivityConfiguration(name=name, region=region).to_wire()
        data = await self._call("POST", NCCS, body=body)
        return NetworkConnectivityConfiguration.model_validate(data)

    async def get_network_connectivity_configuration(
        self, network_connectivity_config_id: str
    ) -> NetworkConnectivityConfiguration:
        data = await self._call(
            "GET", NCC, network_connectivity_config_id=network_connectivity_config_id
        )
        return NetworkConnectivityConfiguration.model_validate(data)

    async def iter_network_connectivity_configurations(
        self,
    ) -> AsyncIterator[NetworkConnectivityConfiguration]:
        """Every NCC of the account, page after page."""
        async for page in self._pages(ListNetworkConnectivityConfigurationsResponse, NCCS, {}):
            for item in page.items or ():
                yield item

    async def list_network_connectivity_configurations(
        self,
    ) -> list[NetworkConnectivityConfiguration]:
        return [ncc async for ncc in self.iter_network_connectivity_configurations()]

    async def update_network_connectivity_configuration(
        self,
        network_connectivity_config_id: str,
        ncc: NetworkConnectivityConfiguration,
        update_mask: str | Iterable[str],
    ) -> NetworkConnectivityConfiguration:
        """PATCH the masked fields (``name``, ``billing_workspace_id``) of an NCC."""
        mask = normalize_mask(update_mask, NCC_MASK_FIELDS)
        data = await self._call(
            "PATCH",
            NCC,
            query={"update_mask": ",".join(mask)},
            body=_masked_body(ncc, mask),
            network_connectivity_config_id=network_connectivity_config_id,
        )
        return NetworkConnectivityConfiguration.model_validate(data)

    async def delete_network_connectivity_configuration(
        self, network_connectivity_config_id: str
    ) -> None:
        """Delete an NCC; :class:`~.errors.InvalidState` while rules or workspaces remain."""
        await self._call(
            "DELETE", NCC, network_connectivity_config_id=network_connectivity_config_id
        )

    # -- private endpoint rules --------------------------------------------------------------

    async def create_private_endpoint_rule(
        self, network_connectivity_config_id: str, rule: CreatePrivateEndpointRule
    ) -> NccPrivateEndpointRule:
        """POST a rule. On :class:`~.errors.OutcomeUnknown`, look it up by target identity."""
        data = await self._call(
            "POST",
            RULES,
            body=rule.to_wire(),
            network_connectivity_config_id=network_connectivity_config_id,
        )
        return NccPrivateEndpointRule.model_validate(data)

    async def get_private_endpoint_rule(
        self, network_connectivity_config_id: str, private_endpoint_rule_id: str
    ) -> NccPrivateEndpointRule:
        data = await self._call(
            "GET",
            RULE,
            network_connectivity_config_id=network_connectivity_config_id,
            private_endpoint_rule_id=private_endpoint_rule_id,
        )
        return NccPrivateEndpointRule.model_validate(data)

    async def iter_private_endpoint_rules(
        self, network_connectivity_config_id: str
    ) -> AsyncIterator[NccPrivateEndpointRule]:
        """Every rule of an NCC (including deactivated, not yet purged ones), page after page."""
        params: dict[str, str | int] = {
            "network_connectivity_config_id": network_connectivity_config_id
        }
        async for page in self._pages(ListPrivateEndpointRulesResponse, RULES, params):
            for item in page.items or ():
                yield item

    async def list_private_endpoint_rules(
        self, network_connectivity_config_id: str
    ) -> list[NccPrivateEndpointRule]:
        return [r async for r in self.iter_private_endpoint_rules(network_connectivity_config_id)]

    async def update_private_endpoint_rule(
        self,
        network_connectivity_config_id: str,
        private_endpoint_rule_id: str,
        rule: UpdatePrivateEndpointRule,
        update_mask: str | Iterable[str],
    ) -> NccPrivateEndpointRule:
        """PATCH the masked fields; build the mask with :func:`~.masks.rule_update_mask`."""
        mask = normalize_mask(update_mask, rule_mask_fields(self.cloud))
        data = await self._call(
            "PATCH",
            RULE,
            query={"update_mask": ",".join(mask)},
            body=_masked_body(rule, mask),
            network_connectivity_config_id=network_connectivity_config_id,
            private_endpoint_rule_id=private_endpoint_rule_id,
        )
        return NccPrivateEndpointRule.model_validate(data)

    async def delete_private_endpoint_rule(
        self, network_connectivity_config_id: str, private_endpoint_rule_id: str
    ) -> NccPrivateEndpointRule:
        """Delete (or deactivate) a rule; returns the rule as the server left it.

        DELETE is retried after a lost response, so a first attempt that did delete a PENDING
        rule surfaces as :class:`~.errors.NotFound` on the retry: callers treat that as gone.
        """
        data = await self._call(
            "DELETE",
            RULE,
            network_connectivity_config_id=network_connectivity_config_id,
            private_endpoint_rule_id=private_endpoint_rule_id,
        )
        return NccPrivateEndpointRule.model_validate(data or {})

    # -- workspaces --------------------------------------------------------------------------

    async def list_workspaces(self) -> list[Workspace]:
        """Every workspace of the account in one call (the response is a bare JSON array)."""
        data = await self._call("GET", WORKSPACES)
        return [Workspace.model_validate(item) for item in data or []]

    async def get_workspace(self, workspace_id: int) -> Workspace:
        data = await self._call("GET", WORKSPACE, workspace_id=workspace_id)
        return Workspace.model_validate(data)

    async def update_workspace_network_connectivity_config(
        self, workspace_id: int, network_connectivity_config_id: str
    ) -> Workspace:
        """Attach an NCC to a workspace (replacing any previous one; there is no detach)."""
        data = await self._call(
            "PATCH",
            WORKSPACE,
            query={"update_mask": WORKSPACE_NCC_MASK},
            body={"network_connectivity_config_id": network_connectivity_config_id},
            workspace_id=workspace_id,
        )
        workspace = Workspace.model_validate(data or {})
        if workspace.workspace_id is None:
            # The SDK's waiter crashes on this too; surface it as an API error, not a KeyError.
            raise DatabricksError(
                "workspace PATCH response has no workspace_id", method="PATCH", path=WORKSPACE
            )
        return workspace

    # -- network policies (serverless egress control) ----------------------------------------

    async def create_network_policy(self, policy: AccountNetworkPolicy) -> AccountNetworkPolicy:
        """POST a policy with its caller-chosen id. On :class:`~.errors.OutcomeUnknown`, GET it
        by that id (the id is the natural key)."""
        data = await self._call("POST", POLICIES, body=policy.to_wire())
        return AccountNetworkPolicy.model_validate(data)

    async def get_network_policy(self, network_policy_id: str) -> AccountNetworkPolicy:
        data = await self._call("GET", POLICY, network_policy_id=network_policy_id)
        return AccountNetworkPolicy.model_validate(data)

    async def list_network_policies(self) -> list[AccountNetworkPolicy]:
        """Every policy of the account (``default-policy`` included), page after page."""
        return [
            item
            async for page in self._pages(ListNetworkPoliciesResponse, POLICIES, {})
            for item in page.items or ()
        ]

    async def replace_network_policy(
        self, network_policy_id: str, policy: AccountNetworkPolicy
    ) -> AccountNetworkPolicy:
        """PUT the whole policy (no mask: a full replace). Build ``policy`` from a GET with
        :meth:`~.models.AccountNetworkPolicy.with_network_access`, so nothing else is lost."""
        body = {**policy.to_wire(), "network_policy_id": network_policy_id}
        data = await self._call("PUT", POLICY, body=body, network_policy_id=network_policy_id)
        return AccountNetworkPolicy.model_validate(data)

    async def delete_network_policy(self, network_policy_id: str) -> None:
        """Delete a policy; ``default-policy`` can never be deleted."""
        await self._call("DELETE", POLICY, network_policy_id=network_policy_id)

    async def get_workspace_network_option(self, workspace_id: int) -> WorkspaceNetworkOption:
        data = await self._call("GET", WORKSPACE_NETWORK, workspace_id=workspace_id)
        return _with_workspace(WorkspaceNetworkOption.model_validate(data or {}), workspace_id)

    async def update_workspace_network_option(
        self, workspace_id: int, network_policy_id: str
    ) -> WorkspaceNetworkOption:
        """Bind a workspace to a policy; unbinding is binding ``default-policy`` (no DELETE)."""
        body = WorkspaceNetworkOption(
            workspace_id=workspace_id, network_policy_id=network_policy_id
        ).to_wire()
        data = await self._call("PUT", WORKSPACE_NETWORK, body=body, workspace_id=workspace_id)
        return _with_workspace(WorkspaceNetworkOption.model_validate(data or {}), workspace_id)

    async def _pages(
        self, page_type: type[_Page], template: str, params: dict[str, str | int]
    ) -> AsyncIterator[_Page]:
        token: str | None = None
        seen: set[str] = set()
        params = {"account_id": self.account_id, **params}
        while True:
            query = {"page_token": token} if token else None
            data = await self._transport.request("GET", template, params, query=query)
            page = page_type.model_validate(data or {})
            yield page
            # Like the SDK: stop when the token is absent or empty.
            if not page.next_page_token:
                return
            token = page.next_page_token
            if token in seen:
                # A server handing back an old token would otherwise make us loop forever.
                raise DatabricksError("list pagination repeated a page token", path=template)
            seen.add(token)


def _with_workspace(option: WorkspaceNetworkOption, workspace_id: int) -> WorkspaceNetworkOption:
    """The workspace id from the path: a PUT answer once lacked it (terraform-provider-databricks
    #4757, fixed server-side), and the path is what was asked about."""
    return option.model_copy(update={"workspace_id": workspace_id})


def _masked_body(model: WireModel, mask: tuple[str, ...]) -> dict[str, Any]:
    """Only the masked fields, sent even when empty (a masked ``[]`` means "clear").

    A masked field left ``None`` would make the server clear it by accident: refuse locally.
    """
    unset = [field for field in mask if getattr(model, field) is None]
    if unset:
        raise ValueError(f"update_mask names fields without a value: {', '.join(unset)}")
    wire = model.to_wire(keep=frozenset(mask))
    return {field: wire[field] for field in mask}
