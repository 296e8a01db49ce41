"""Stored objects (NCC, private endpoint rule, workspace) and their wire views.

The stored dataclasses hold facts; ``*_json`` functions render them the way the service does:
epoch-millisecond timestamps, unset fields omitted (never ``null``), empty lists omitted.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any

S3_SUFFIX = ".s3"


@dataclass
class Ncc:
    network_connectivity_config_id: str
    name: str
    region: str
    creation_time: int
    updated_time: int
    billing_workspace_id: int | None = None
    # When the last rule / workspace went away: drives the optional eventual-consistency window
    # during which a delete is still refused (config ``delete_consistency_seconds``).
    rules_gone_at: int | None = None
    workspaces_gone_at: int | None = None
    # Workspaces moved to another NCC within that window: the refusal message names them.
    departed_workspace_ids: list[int] = field(default_factory=list)
    # Creation order: list page tokens are cursors over it, so deletes never shift a page.
    seq: int = 0


@dataclass
class Rule:
    rule_id: str
    network_connectivity_config_id: str
    cloud: str
    connection_state: str
    creation_time: int
    updated_time: int
    # When the current connection_state was entered: expiry and S3 VPCE delay count from it.
    state_since: int
    resource_id: str | None = None
    group_id: str | None = None
    endpoint_name: str | None = None
    domain_names: list[str] = field(default_factory=list)
    endpoint_service: str | None = None
    resource_names: list[str] = field(default_factory=list)
    vpc_endpoint_id: str | None = None
    # GCP: the ``GcpEndpoint`` object as sent (one of its three targets), plus the output-only
    # ``psc_endpoint_uri`` from PENDING on.
    gcp_endpoint: dict[str, Any] | None = None
    enabled: bool | None = None
    error_message: str | None = None
    deactivated: bool = False
    deactivated_at: int | None = None
    # Decided at create time from the admin "missing resources" registry.
    will_fail: bool = False
    seq: int = 0
    region: str | None = None
    """The NCC's region (internal; GCP names its PSC endpoint after it)."""

    @property
    def is_s3(self) -> bool:
        return self.cloud == "aws" and (self.endpoint_service or "").endswith(S3_SUFFIX)


@dataclass
class Workspace:
    workspace_id: int
    region: str
    cloud: str
    workspace_status: str = "RUNNING"
    creation_time: int = 0
    network_connectivity_config_id: str | None = None
    provisioning_until: int | None = None
    # Other known Workspace fields set by PATCH (workspace_name, custom_tags, ...), stored
    # verbatim and rendered over the defaults.
    fields: dict[str, Any] = field(default_factory=dict)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop None and empty lists, as the service's serializers do."""
    return {k: v for k, v in data.items() if v is not None and v != []}


def rule_json(rule: Rule, account_id: str) -> dict[str, Any]:
    """Full ``NccPrivateEndpointRule`` as returned by the rule endpoints."""
    data = dataclasses.asdict(rule)
    for internal in ("cloud", "state_since", "will_fail", "seq", "region"):
        data.pop(internal)
    if not rule.deactivated:
        data.pop("deactivated")
    data["account_id"] = account_id
    return _compact(data)


_AZURE_EMBEDDED_DROP = ("account_id", "enabled", "endpoint_service", "resource_names")
_AWS_EMBEDDED_DROP = ("resource_id", "group_id", "endpoint_name")


def embedded_rule_json(rule: Rule, account_id: str) -> dict[str, Any]:
    """The per-cloud rule shape embedded in ``egress_config.target_rules`` of an NCC."""
    data = rule_json(rule, account_id)
    for key in _AZURE_EMBEDDED_DROP if rule.cloud == "azure" else _AWS_EMBEDDED_DROP:
        data.pop(key, None)
    if rule.cloud == "azure":
        data.pop("vpc_endpoint_id", None)
    return data


def default_rules(ncc: Ncc, cloud: str) -> dict[str, Any]:
    """Server-computed egress defaults, derived from the NCC id so they are stable across reads.

    GCP: none (``NccEgressDefaultRules`` has only the AWS and Azure members, PY-SET)."""
    if cloud == "gcp":
        return {}
    digest = hashlib.sha256(ncc.network_connectivity_config_id.encode()).digest()
    if cloud == "aws":
        cidrs = [f"52.{digest[i]}.{digest[i + 1]}.0/28" for i in (0, 2)]
        return {"aws_stable_ip_rule": {"cidr_blocks": cidrs}}
    sub = "/subscriptions/" + digest[:16].hex()
    subnets = [
        f"{sub}/resourceGroups/prod-{ncc.region}-snp-1-compute-{n}/providers/"
        f"Microsoft.Network/virtualNetworks/kaas-vnet/subnets/worker-subnet"
        for n in (1, 2)
    ]
    return {
        "azure_service_endpoint_rule": {
            "subnets": subnets,
            "target_region": ncc.region,
            "target_services": ["AZURE_BLOB_STORAGE"],
        }
    }


def ncc_json(ncc: Ncc, account_id: str, cloud: str, rules: list[Rule]) -> dict[str, Any]:
    """The NCC object, every non-purged rule mirrored into ``egress_config.target_rules``."""
    egress: dict[str, Any] = {"default_rules": default_rules(ncc, cloud)}
    if rules and cloud != "gcp":
        # ``NccEgressTargetRules`` has AWS and Azure lists only: GCP rules are seen through the
        # rule endpoints alone (PY-SET; docs/serverless-egress.md §4.2).
        key = "aws_private_endpoint_rules" if cloud == "aws" else "azure_private_endpoint_rules"
        egress["target_rules"] = {key: [embedded_rule_json(r, account_id) for r in rules]}
    data = dataclasses.asdict(ncc)
    for internal in ("rules_gone_at", "workspaces_gone_at", "departed_workspace_ids", "seq"):
        del data[internal]
    data["account_id"] = account_id
    data["egress_config"] = _compact(egress)
    return _compact(data)


def workspace_json(ws: Workspace, account_id: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workspace_id": ws.workspace_id,
        "account_id": account_id,
        "workspace_name": f"workspace-{ws.workspace_id}",
        "deployment_name": f"dbc-{ws.workspace_id}",
        "cloud": ws.cloud,
        "workspace_status": ws.workspace_status,
        "creation_time": ws.creation_time,
        "network_connectivity_config_id": ws.network_connectivity_config_id,
        **ws.fields,
    }
    data["aws_region" if ws.cloud == "aws" else "location"] = ws.region
    return _compact(data)
