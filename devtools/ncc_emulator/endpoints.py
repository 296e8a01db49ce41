"""Every route the emulator serves and counts, once: method, path template and a name.

The server registers exactly these (``routes``, ``auth_routes``), ``GET /_emulator/requests``
counts requests by :attr:`Route.key`, latency faults target the same keys, and tests and the
benchmark take their keys from here instead of spelling templates out. The admin API under
``/_emulator/`` is not in the table: it is neither counted nor faulted.

Templates are those of the Databricks REST reference and the official SDK (databricks-api.md §2,
§3, §5, §13; network policies: docs/serverless-egress.md §1, §2), placeholders named as the SDK
names its path parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    name: str

    @property
    def key(self) -> str:
        """``"<METHOD> <template>"``: the request counters' key and a latency fault's target."""
        return f"{self.method} {self.template}"

    def path(self, **ids: object) -> str:
        """The template filled in (``account_id=…, network_connectivity_config_id=…``)."""
        return self.template.format(**ids)


ACCOUNT = "/api/2.0/accounts/{account_id}"
NCCS = ACCOUNT + "/network-connectivity-configs"
NCC = NCCS + "/{network_connectivity_config_id}"
RULES = NCC + "/private-endpoint-rules"
RULE = RULES + "/{private_endpoint_rule_id}"
WORKSPACES = ACCOUNT + "/workspaces"
WORKSPACE = WORKSPACES + "/{workspace_id}"
WORKSPACE_NETWORK = WORKSPACE + "/network"
POLICIES = ACCOUNT + "/network-policies"
POLICY = POLICIES + "/{network_policy_id}"

CREATE_NCC = Route("POST", NCCS, "create_ncc")
LIST_NCCS = Route("GET", NCCS, "list_nccs")
GET_NCC = Route("GET", NCC, "get_ncc")
PATCH_NCC = Route("PATCH", NCC, "patch_ncc")
DELETE_NCC = Route("DELETE", NCC, "delete_ncc")
CREATE_RULE = Route("POST", RULES, "create_rule")
LIST_RULES = Route("GET", RULES, "list_rules")
GET_RULE = Route("GET", RULE, "get_rule")
PATCH_RULE = Route("PATCH", RULE, "patch_rule")
DELETE_RULE = Route("DELETE", RULE, "delete_rule")
LIST_WORKSPACES = Route("GET", WORKSPACES, "list_workspaces")
GET_WORKSPACE = Route("GET", WORKSPACE, "get_workspace")
PATCH_WORKSPACE = Route("PATCH", WORKSPACE, "patch_workspace")
CREATE_POLICY = Route("POST", POLICIES, "create_network_policy")
LIST_POLICIES = Route("GET", POLICIES, "list_network_policies")
GET_POLICY = Route("GET", POLICY, "get_network_policy")
UPDATE_POLICY = Route("PUT", POLICY, "update_network_policy")
DELETE_POLICY = Route("DELETE", POLICY, "delete_network_policy")
GET_WORKSPACE_NETWORK = Route("GET", WORKSPACE_NETWORK, "get_workspace_network_option")
UPDATE_WORKSPACE_NETWORK = Route("PUT", WORKSPACE_NETWORK, "update_workspace_network_option")

# Discovery and tokens, in the order the 0.162 SDK asks (auth_routes).
HOST_METADATA = Route("GET", "/.well-known/databricks-config", "host_metadata")
ACCOUNT_DISCOVERY = Route(
    "GET", "/oidc/accounts/{account_id}/.well-known/oauth-authorization-server", "account_discovery"
)
HOST_DISCOVERY = Route("GET", "/oidc/.well-known/oauth-authorization-server", "host_discovery")
ACCOUNT_TOKEN = Route("POST", "/oidc/accounts/{account_id}/v1/token", "account_token")
HOST_TOKEN = Route("POST", "/oidc/v1/token", "host_token")
AAD_TOKEN = Route("POST", "/aad/{tenant}/oauth2/token", "aad_token")

# Public, unauthenticated, at the path www.databricks.com serves it (ipranges).
IP_RANGES = Route("GET", "/networking/v1/ip-ranges.json", "ip_ranges")

ACCOUNT_API = (
    CREATE_NCC,
    LIST_NCCS,
    GET_NCC,
    PATCH_NCC,
    DELETE_NCC,
    CREATE_RULE,
    LIST_RULES,
    GET_RULE,
    PATCH_RULE,
    DELETE_RULE,
    LIST_WORKSPACES,
    GET_WORKSPACE,
    PATCH_WORKSPACE,
    CREATE_POLICY,
    LIST_POLICIES,
    GET_POLICY,
    UPDATE_POLICY,
    DELETE_POLICY,
    GET_WORKSPACE_NETWORK,
    UPDATE_WORKSPACE_NETWORK,
)
AUTH = (HOST_METADATA, ACCOUNT_DISCOVERY, HOST_DISCOVERY, ACCOUNT_TOKEN, HOST_TOKEN, AAD_TOKEN)
ROUTES = (*ACCOUNT_API, *AUTH, IP_RANGES)

TOKENS = frozenset({ACCOUNT_TOKEN.key, HOST_TOKEN.key, AAD_TOKEN.key})
"""The token grants: the token-latency fault applies to exactly these."""
CREATES = frozenset({CREATE_NCC.key, CREATE_RULE.key})
"""The create calls: the slow-create fault applies to exactly these."""
WRITES = frozenset(r.key for r in ACCOUNT_API if r.method in {"POST", "PUT", "PATCH", "DELETE"})
"""Account API calls that change something (a token grant is a POST, but no write)."""
READS = frozenset(r.key for r in ACCOUNT_API if r.method == "GET")


def writes(counts: Mapping[str, int]) -> dict[str, int]:
    """The Account API writes among request counts (``EmulatorAdmin.request_counts()``)."""
    return {key: n for key, n in counts.items() if key in WRITES}


def reads(counts: Mapping[str, int]) -> dict[str, int]:
    """The Account API reads among request counts."""
    return {key: n for key, n in counts.items() if key in READS}
