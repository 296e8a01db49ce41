"""``ncc-operator export``: what an account holds at Databricks, as manifests ready to apply.

The migration path from the account console or Terraform (docs/migrate-from-terraform.md): the
DatabricksAccount is read from the cluster, its client is built exactly as the running operator
builds it (``AccountPool`` with the host policy and tenancy options of :class:`Settings`), and
every NCC and every active private endpoint rule becomes a NetworkConnectivityConfig or a
PrivateEndpointRule carrying its ``externalId``. Applying them adopts everything without one
Databricks write: each spec says exactly what Databricks already has (the workspaces attached,
the rule's lists), so even ``--manage`` finds nothing to change.

Only reads happen here, at Databricks and in Kubernetes. Resource names are derived from the NCC
name and the rule's target, deterministically (the same account exports the same YAML), and made
unique with a short hash of the Databricks id when two would collide. What cannot be expressed
(deactivated rules, a rule without a target the CRD knows, a region the CRD does not know) is
listed in a comment at the top.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import yaml
from pydantic import ValidationError

from ncc_operator import kubelogin
from ncc_operator.databricks import (
    DatabricksAccountClient,
    DatabricksError,
    NccPrivateEndpointRule,
    NetworkConnectivityConfiguration,
)
from ncc_operator.models import (
    API_VERSION,
    DatabricksAccountResource,
    ManagementPolicy,
    NetworkConnectivityConfigResource,
    PrivateEndpointRuleResource,
)
from ncc_operator.reconcile import Problem
from ncc_operator.resources.accounts import AccountPool, PoolOptions
from ncc_operator.resources.kube import KubeSecrets
from ncc_operator.resources.world import account_entry
from ncc_operator.settings import Settings

MAX_NAME = 63
"""Kept to a DNS label (not the 253 a name may have): names also end up in labels and events."""
S3_SLUG = "s3"


class ExportError(Exception):
    """Something the user must fix before an export can run (said in one sentence)."""


@dataclass
class Inventory:
    """Everything read from Databricks for one account."""

    account: DatabricksAccountResource
    nccs: list[NetworkConnectivityConfiguration]
    rules: dict[str, list[NccPrivateEndpointRule]]
    attached: dict[str, list[int]]
    """Workspace ids by the NCC id they are attached to."""


@dataclass
class Manifests:
    docs: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What was not exported, and why."""


def pool_options(settings: Settings) -> PoolOptions:
    """The pool options of the running operator (handlers/startup.py), minus the metrics hook."""
    return PoolOptions.from_settings(settings)


async def export(account_ref: str, *, manage: bool, settings: Settings) -> str:
    """The YAML for every NCC and active rule of the account ``namespace/name``.

    Every refusal (host policy, tenancy, a missing Secret, Databricks errors) becomes an
    :class:`ExportError` with the message the operator would put in a condition.
    """
    namespace, _, name = account_ref.partition("/")
    if not namespace or not name or "/" in name:
        raise ExportError(f"--account must be <namespace>/<name>, not {account_ref!r}")
    try:
        inventory = await read_inventory(namespace, name, settings)
    except (Problem, DatabricksError) as error:
        raise ExportError(f"{type(error).__name__}: {error}") from None
    except ValueError as error:  # the account's spec, refused by the operator's model
        raise ExportError(f"DatabricksAccount {account_ref} cannot be read: {error}") from None
    return render(inventory, manage=manage)


async def read_inventory(namespace: str, name: str, settings: Settings) -> Inventory:
    body = await _read_account(namespace, name)
    entry = account_entry(body)
    secrets = KubeSecrets(kubelogin.connection)
    pool = AccountPool(secrets, pool_options(settings))
    try:
        client = await pool.client(entry)
        return await _read_databricks(entry.resource, client)
    finally:
        await pool.close()
        await secrets.close()


async def _read_databricks(
    account: DatabricksAccountResource, client: DatabricksAccountClient
) -> Inventory:
    nccs = sorted(
        await client.list_network_connectivity_configurations(),
        key=lambda n: (n.name or "", n.region or "", n.network_connectivity_config_id or ""),
    )
    rules = {
        str(n.network_connectivity_config_id): await client.list_private_endpoint_rules(
            str(n.network_connectivity_config_id)
        )
        for n in nccs
    }
    attached: dict[str, list[int]] = {}
    for ws in await client.list_workspaces():
        if ws.network_connectivity_config_id and ws.workspace_id is not None:
            attached.setdefault(ws.network_connectivity_config_id, []).append(ws.workspace_id)
    return Inventory(account, nccs, rules, {k: sorted(v) for k, v in attached.items()})


def render(inventory: Inventory, *, manage: bool) -> str:
    """Manifests as multi-document YAML, NCCs first (rules wait on them anyway)."""
    out = manifests(inventory, manage=manage)
    docs = out.docs
    account = inventory.account
    header = [
        f"# Exported by ncc-operator export from Databricks account {account.spec.account_id}",
        f"# (DatabricksAccount {account.namespace}/{account.name}): "
        f"{sum(d['kind'] == 'NetworkConnectivityConfig' for d in docs)} NCC(s), "
        f"{sum(d['kind'] == 'PrivateEndpointRule' for d in docs)} rule(s); "
        f"managementPolicy: {_policy(manage)}.",
        *[f"# Not exported: {note}" for note in out.notes],
    ]
    body = yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False) if docs else ""
    return "\n".join(header) + "\n" + body


def manifests(inventory: Inventory, *, manage: bool) -> Manifests:
    account = inventory.account
    out = Manifests()
    ncc_names = unique_names(
        (k8s_name(n.name or "ncc"), str(n.network_connectivity_config_id)) for n in inventory.nccs
    )
    rule_docs: list[tuple[str, str, dict[str, Any]]] = []
    for ncc, ncc_name in zip(inventory.nccs, ncc_names, strict=True):
        ncc_id = str(ncc.network_connectivity_config_id)
        doc = _ncc_doc(ncc, ncc_name, account, inventory.attached.get(ncc_id, []), manage)
        rules = inventory.rules.get(ncc_id, [])
        active = sum(not r.deactivated for r in rules)
        what = f"NCC {ncc_id} ({ncc.name}, with {active} active rule(s))"
        if not _valid(NetworkConnectivityConfigResource, doc, out.notes, what):
            continue
        out.docs.append(doc)
        for rule in rules:
            spec = _rule_spec(rule, ncc_name, manage, out.notes)
            if spec is not None:
                rule_docs.append((f"{ncc_name}-{_target_slug(rule)}", str(rule.rule_id), spec))
    names = unique_names((k8s_name(base), rule_id) for base, rule_id, _ in rule_docs)
    for (_, rule_id, spec), name in zip(rule_docs, names, strict=True):
        doc = _doc("PrivateEndpointRule", name, account.namespace, spec)
        if _valid(PrivateEndpointRuleResource, doc, out.notes, f"rule {rule_id}"):
            out.docs.append(doc)
    return out


def _ncc_doc(
    ncc: NetworkConnectivityConfiguration,
    name: str,
    account: DatabricksAccountResource,
    attached: list[int],
    manage: bool,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accountRef": {"name": account.name},
        "name": ncc.name,
        "region": ncc.region,
        "externalId": ncc.network_connectivity_config_id,
        "managementPolicy": _policy(manage),
    }
    if attached:
        # Exactly the attached ones: a workspace listed but not attached would be a write, one
        # attached but not listed a NotDetachable report.
        spec["workspaceIds"] = attached
    return _doc("NetworkConnectivityConfig", name, account.namespace, spec)


def _rule_spec(
    rule: NccPrivateEndpointRule, ncc_name: str, manage: bool, notes: list[str]
) -> dict[str, Any] | None:
    """The spec standing for ``rule``, or None (with a note) when the CRD cannot express it."""
    rule_id = rule.rule_id
    if rule.deactivated:
        return None  # deleted at Databricks, waiting to be purged: nothing to adopt
    spec: dict[str, Any] = {"nccRef": {"name": ncc_name}}
    if rule.resource_id:
        azure: dict[str, Any] = {"resourceId": rule.resource_id}
        if rule.group_id:
            azure["groupId"] = rule.group_id
        elif rule.domain_names:
            azure["domainNames"] = list(rule.domain_names)
        spec["azure"] = azure
    elif rule.endpoint_service or rule.resource_names:
        spec["aws"] = _aws_target(rule)
    elif (gcp := _gcp_target(rule)) is not None:
        spec["gcp"] = gcp
    else:
        notes.append(
            f"rule {rule_id} of NCC {ncc_name}: no target this operator knows, not exported"
        )
        return None
    spec["externalId"] = rule_id
    spec["managementPolicy"] = _policy(manage)
    return spec


def _aws_target(rule: NccPrivateEndpointRule) -> dict[str, Any]:
    aws: dict[str, Any] = {}
    if rule.endpoint_service:
        aws["endpointService"] = rule.endpoint_service
    if rule.resource_names:
        aws["resourceNames"] = list(rule.resource_names)
    s3 = bool(rule.resource_names) or (rule.endpoint_service or "").endswith(".s3")
    if rule.domain_names and not s3:
        aws["domainNames"] = list(rule.domain_names)
    if s3 and rule.enabled is not None:
        aws["enabled"] = rule.enabled  # as it is: a different value would be a PATCH
    return aws


def _gcp_target(rule: NccPrivateEndpointRule) -> dict[str, Any] | None:
    """``spec.gcp`` for a GCP rule, or None when it names none of the three targets."""
    endpoint = rule.gcp_endpoint
    if endpoint is None:
        return None
    if endpoint.service_attachment:
        gcp: dict[str, Any] = {"serviceAttachment": endpoint.service_attachment}
        if rule.domain_names:
            gcp["domainNames"] = list(rule.domain_names)
        return gcp
    apis = endpoint.google_api_endpoints.endpoints if endpoint.google_api_endpoints else None
    if apis:
        return {"googleApiEndpoints": list(apis)}
    if endpoint.all_vpc_sc_services:
        return {"allVpcScServices": True}
    return None


def _target_slug(rule: NccPrivateEndpointRule) -> str:
    """The target in a few name characters: storage account + group, the endpoint service, the
    service attachment, or the kind of Google API target."""
    if rule.resource_id:
        resource = rule.resource_id.rstrip("/").rsplit("/", 1)[-1]
        return f"{resource}-{rule.group_id or 'pls'}"
    if rule.gcp_endpoint is not None:
        endpoint = rule.gcp_endpoint
        if endpoint.service_attachment:
            return endpoint.service_attachment.rstrip("/").rsplit("/", 1)[-1]
        return "googleapis" if endpoint.google_api_endpoints else "vpc-sc"
    service = rule.endpoint_service or ""
    if rule.resource_names or service.endswith(".s3"):
        return S3_SLUG
    return service.rsplit(".", 1)[-1] or "rule"


def _doc(kind: str, name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def _valid(
    model: type[NetworkConnectivityConfigResource] | type[PrivateEndpointRuleResource],
    doc: dict[str, Any],
    notes: list[str],
    what: str,
) -> bool:
    """Whether the operator's model (the CRD's rules) accepts ``doc``; if not, say why."""
    try:
        model.from_body(doc)
    except ValidationError as error:
        reasons = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:3]
        )
        notes.append(f"{what}: {reasons}")
        return False
    return True


def _policy(manage: bool) -> str:
    return str(ManagementPolicy.MANAGE if manage else ManagementPolicy.OBSERVE_ONLY)


def k8s_name(text: str) -> str:
    """A DNS-label name from any text: lower case, runs of other characters become '-'."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
    if len(name) > MAX_NAME:
        name = f"{name[: MAX_NAME - 9].rstrip('-')}-{_short(text)}"
    return name


def unique_names(candidates: Iterable[tuple[str, str]]) -> list[str]:
    """``(base, id)`` pairs to names: a base used once stays, a shared one gets a hash of each
    Databricks id (ids are unique, so the names are)."""
    pairs = list(candidates)
    used = Counter(base for base, _ in pairs)
    return [
        base if used[base] == 1 else f"{base[: MAX_NAME - 9].rstrip('-')}-{_short(key)}"
        for base, key in pairs
    ]


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


async def _read_account(namespace: str, name: str) -> dict[str, Any]:
    info = await kubelogin.connection()
    if info is None:
        raise ExportError("no Kubernetes credentials: set KUBECONFIG or run in a cluster")
    path = (
        f"/apis/{API_VERSION}/namespaces/{quote(namespace, safe='')}/"
        f"{DatabricksAccountResource.PLURAL}/{quote(name, safe='')}"
    )
    async with info.client(timeout=30.0) as http:
        response = await http.get(path)
    if response.status_code == 404:
        raise ExportError(f"DatabricksAccount {namespace}/{name} does not exist")
    if response.status_code >= 400:
        raise ExportError(
            f"reading DatabricksAccount {namespace}/{name}: the Kubernetes API answered "
            f"{response.status_code}"
        )
    body: dict[str, Any] = response.json()
    return body
