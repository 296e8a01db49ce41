"""What a NetworkConnectivityConfig reports: its observed record (with the outbound IP ranges of
its region when the operator reads them), Ready (noting that AWS stable IPs are legacy), and the
messages of a blocked deletion (Databricks' refusals recognised by the fragments its own
Terraform provider matches, whatever the status code). Shared by the NCC adapter (``ncc.py``).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ncc_operator.databricks import DatabricksError, NetworkConnectivityConfiguration
from ncc_operator.models.ncc import (
    EgressConfig,
    NetworkConnectivityConfigAtProvider,
    OutboundIpRanges,
)
from ncc_operator.reconcile import EventReason, Readiness

ORPHAN_HINT = "or set spec.deletionPolicy: Orphan to release this resource and keep the NCC"
LEGACY_STABLE_IPS = (
    "The AWS stable IPs in status.atProvider.egressConfig.awsStableIpCidrBlocks are the legacy "
    "mechanism Databricks decommissioned after 25 May 2026: allow-list the serverless outbound "
    "IP ranges Databricks publishes instead (status.atProvider.outboundIpRanges when the "
    "operator reads them; docs/concepts.md)."
)


@dataclass(frozen=True)
class NccSeen:
    """What ``observe`` saw and planned; ``update`` and ``delete`` act on this only."""

    ncc: NetworkConnectivityConfiguration
    attached: tuple[int, ...]
    """Workspaces attached to this NCC now."""
    to_attach: tuple[int, ...]
    """Listed workspaces that can be attached (right region, known, not claimed by another)."""
    unattachable: tuple[int, ...]
    """Listed workspaces that cannot be attached as things are (see ``Observation.unsynced``)."""


def readiness(seen: NccSeen, rules: str, *, observe_only: bool = False) -> Readiness:
    """Ready=True only when the NCC exists and every listed workspace is attached (the docs).

    ObserveOnly attaches nothing, so there Ready says the NCC exists, and the message names
    listed workspaces that are not attached.
    """
    ready = _readiness(seen, rules, observe_only=observe_only)
    if not _has_stable_ips(seen.ncc):
        return ready
    return dataclasses.replace(ready, message=f"{ready.message} {LEGACY_STABLE_IPS}")


def _has_stable_ips(ncc: NetworkConnectivityConfiguration) -> bool:
    defaults = ncc.egress_config.default_rules if ncc.egress_config else None
    rule = defaults.aws_stable_ip_rule if defaults is not None else None
    return bool(rule is not None and rule.cidr_blocks)


def _readiness(seen: NccSeen, rules: str, *, observe_only: bool) -> Readiness:
    ncc = seen.ncc
    ncc_id = ncc.network_connectivity_config_id
    where = f"NCC {ncc_id} ({ncc.name}, {ncc.region}); {len(seen.attached)} workspace(s) attached"
    if observe_only:
        missing = (*seen.to_attach, *seen.unattachable)
        note = (
            f"; listed workspace(s) {', '.join(map(str, sorted(missing)))} are not attached "
            "(ObserveOnly never attaches)"
            if missing
            else ""
        )
        return Readiness(True, "Available", f"{where}{note}; private endpoint rules: {rules}.")
    if seen.unattachable:
        listed = ", ".join(map(str, seen.unattachable))
        return Readiness(
            False,
            EventReason.WORKSPACES_NOT_ATTACHED,
            f"{where}; listed workspace(s) {listed} cannot be attached (see Synced for why): fix "
            "spec.workspaceIds.",
            warning=True,
        )
    if seen.to_attach:
        listed = ", ".join(map(str, seen.to_attach))
        return Readiness(
            False,
            EventReason.ATTACHING,
            f"{where}; attaching workspace(s) {listed}.",
            transitional=True,
        )
    return Readiness(True, "Available", f"{where}; private endpoint rules: {rules}.")


def attached_message(ncc_id: str, attached: list[int]) -> str:
    which = f" {', '.join(map(str, attached))}" if attached else ""
    return (
        f"NCC {ncc_id} is attached to workspace(s){which} and Databricks "
        "refuses to delete an attached NCC; it also cannot detach an NCC from a workspace. Attach "
        "those workspaces to another NCC (list them in another NetworkConnectivityConfig's "
        f"spec.workspaceIds), {ORPHAN_HINT}."
    )


# Databricks' own Terraform provider recognises a refused NCC delete by lower-cased fragments of
# the message (the status and error code are not documented); so do we, whatever the 4xx code.
_RULES_FRAGMENT = "private endpoint rules"
_WORKSPACES_FRAGMENT = "attached to one or more workspaces"
RULES_PROPAGATION_RETRY_SECONDS = 30.0
"""Deleted rules keep an NCC undeletable for a short propagation window (Databricks staff,
terraform-provider-databricks #5292 / PR #5648: retried for up to 15 minutes)."""


def refusal_retry(error: DatabricksError) -> float | None:
    if _RULES_FRAGMENT in error.message.lower():
        return RULES_PROPAGATION_RETRY_SECONDS
    return None


def refusal_message(ncc_id: str, error: DatabricksError) -> str | None:
    """The blocked-delete message for a refusal, or None when the error is not one."""
    status = error.status_code or 0
    if not 400 <= status < 500 or status in (401, 403, 404, 429):
        return None
    text = error.message.lower()
    if _RULES_FRAGMENT in text:
        return (
            f"Databricks still counts private endpoint rules of NCC {ncc_id}: deleted rules take "
            "a few minutes to propagate (Databricks' own Terraform provider retries for up to 15 "
            f"minutes). Deletion is retried every {RULES_PROPAGATION_RETRY_SECONDS:.0f} s, "
            f"{ORPHAN_HINT}."
        )
    if _WORKSPACES_FRAGMENT in text:
        tail = error.message.rsplit(":", 1)[-1]
        ids = [int(t) for t in tail.replace(",", " ").split() if t.strip().isdigit()]
        return attached_message(ncc_id, ids)
    return None


def at_provider(
    ncc: NetworkConnectivityConfiguration,
    attached: list[int],
    counts: Counter[str],
    outbound: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The NCC's ``status.atProvider``, built through the status model (so what is written is
    what the CRD schema and the model agree on); fields Databricks did not return are left out,
    not written as empty defaults."""
    defaults = ncc.egress_config.default_rules if ncc.egress_config else None
    egress: dict[str, Any] = {}
    if defaults is not None and defaults.aws_stable_ip_rule is not None:
        egress["aws_stable_ip_cidr_blocks"] = list(defaults.aws_stable_ip_rule.cidr_blocks or [])
    if defaults is not None and defaults.azure_service_endpoint_rule is not None:
        az = defaults.azure_service_endpoint_rule
        egress["azure_service_endpoint_subnets"] = list(az.subnets or [])
        if az.target_region:
            egress["azure_target_region"] = az.target_region
        egress["azure_target_services"] = [str(s) for s in az.target_services or []]
    fields: dict[str, Any] = {
        "region": ncc.region,
        "egress_config": EgressConfig(**egress),
        "attached_workspace_ids": attached,
        "rule_counts": dict(sorted(counts.items())),
    }
    if outbound is not None:
        fields["outbound_ip_ranges"] = OutboundIpRanges.model_validate(dict(outbound))
    model = NetworkConnectivityConfigAtProvider(**fields)
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
