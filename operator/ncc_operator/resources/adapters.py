"""The three kinds as the driver sees them: body → Subject, body → connected client, and a sink.

Each adapter parses the Kopf body with the kind's model, reads the shared policies
(``deletionPolicy``, ``managementPolicy``, the paused annotation) the same way for every kind,
and connects the per-kind client from ``accounts``, ``ncc`` or ``rule``. The sink posts
Kubernetes events and records metrics for that object.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import kopf

from ncc_operator import metrics
from ncc_operator.models import (
    DatabricksAccountResource,
    DeletionPolicy,
    ManagementPolicy,
    NetworkConnectivityConfigResource,
    PrivateEndpointRuleResource,
)
from ncc_operator.reconcile import EventReason, ExternalClient, Subject

from .accounts import AccountClient
from .ncc import connect_ncc
from .rule import connect_rule
from .runtime import Runtime
from .world import Ref, account_entry, ncc_entry, rule_entry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KopfSink:
    """Events through Kopf's poster; metrics through prometheus-client."""

    kind: str
    body: kopf.Body

    def event(self, *, warning: bool, reason: EventReason, message: str) -> None:
        kopf.event(
            self.body, type="Warning" if warning else "Normal", reason=str(reason), message=message
        )
        metrics.record_event(self.kind, str(reason), warning=warning)
        # One log line per action or transition (the engine posts an event for each of them);
        # ``k8s_ref`` is Kopf's key: text lines get the [namespace/name] prefix, JSON an object.
        meta = self.body.get("metadata", {})
        ref = {"kind": self.kind, "namespace": meta.get("namespace"), "name": meta.get("name")}
        level = logging.WARNING if warning else logging.INFO
        logger.log(level, "%s: %s", reason, message, extra={"k8s_ref": ref})

    def reconciled(self, *, action: str, outcome: str, seconds: float) -> None:
        metrics.record_reconcile(self.kind, action, outcome, seconds)

    def settled(self, status: Mapping[str, Any], *, released: bool) -> None:
        meta = self.body.get("metadata", {})
        namespace, name = str(meta.get("namespace")), str(meta.get("name"))
        if released:
            metrics.forget(self.kind, namespace, name)
            return
        metrics.record_status(
            self.kind, namespace, name, status, created=meta.get("creationTimestamp")
        )


def _subject(
    resource: DatabricksAccountResource
    | NetworkConnectivityConfigResource
    | PrivateEndpointRuleResource,
    body: Mapping[str, Any],
    *,
    forced: bool,
    deletion: DeletionPolicy | None = None,
    management: ManagementPolicy | None = None,
) -> Subject:
    meta = resource.metadata
    return Subject(
        kind=resource.KIND,
        name=f"{meta.namespace}/{meta.name}",
        generation=resource.generation,
        # The raw status, not the model's rendering: "write only on change" compares it verbatim.
        status=dict(body.get("status") or {}),
        deleting=meta.deleting,
        paused=meta.paused,
        observe_only=management is ManagementPolicy.OBSERVE_ONLY,
        orphan_on_delete=deletion is DeletionPolicy.ORPHAN,
        forced=forced,
        create_pending=meta.create_pending,
    )


class AccountAdapter:
    kind = DatabricksAccountResource.KIND

    def __init__(self, resync_seconds: float | None = None) -> None:
        self.resync_seconds = resync_seconds

    def subject(self, body: Mapping[str, Any], *, forced: bool) -> Subject:
        # Accounts own nothing at Databricks: deleting one only forgets its client.
        return _subject(DatabricksAccountResource.from_body(body), body, forced=forced)

    async def connect(
        self, body: Mapping[str, Any], context: Any, *, forced: bool
    ) -> ExternalClient:
        runtime: Runtime = context
        return AccountClient(
            account_entry(body),
            runtime.pool,
            runtime.observations,
            auth_retry_seconds=runtime.pace.account_resync_seconds,
        )

    def sink(self, body: kopf.Body) -> KopfSink:
        return KopfSink(self.kind, body)

    def dependents(self, body: Mapping[str, Any], context: Any) -> list[str]:
        """NCCs using this account and their rules: they wait on it with ReferenceNotReady
        (or back off on its failing credentials)."""
        runtime: Runtime = context
        ref = _ref(body)
        nccs = [
            n
            for n in runtime.world.nccs()
            if n.ref.namespace == ref.namespace and n.resource.spec.account_ref.name == ref.name
        ]
        return [n.uid for n in nccs] + [r.uid for n in nccs for r in runtime.world.rules_of(n.ref)]


class _ManagedAdapter:
    """NCCs and rules: both carry deletionPolicy and managementPolicy in their spec."""

    model: ClassVar[type[NetworkConnectivityConfigResource] | type[PrivateEndpointRuleResource]]
    resync_seconds: float | None = None

    @property
    def kind(self) -> str:
        return self.model.KIND

    def subject(self, body: Mapping[str, Any], *, forced: bool) -> Subject:
        resource = self.model.from_body(body)
        return _subject(
            resource,
            body,
            forced=forced,
            deletion=resource.spec.deletion_policy,
            management=resource.spec.management_policy,
        )

    def sink(self, body: kopf.Body) -> KopfSink:
        return KopfSink(self.kind, body)


class NccAdapter(_ManagedAdapter):
    model = NetworkConnectivityConfigResource

    def dependents(self, body: Mapping[str, Any], context: Any) -> list[str]:
        """Rules of this NCC: they wait on its id with ReferenceNotReady."""
        runtime: Runtime = context
        return [r.uid for r in runtime.world.rules_of(_ref(body))]

    async def connect(
        self, body: Mapping[str, Any], context: Any, *, forced: bool
    ) -> ExternalClient:
        return await connect_ncc(ncc_entry(body), context)


class RuleAdapter(_ManagedAdapter):
    model = PrivateEndpointRuleResource

    def dependents(self, body: Mapping[str, Any], context: Any) -> list[str]:
        return []

    async def connect(
        self, body: Mapping[str, Any], context: Any, *, forced: bool
    ) -> ExternalClient:
        return await connect_rule(rule_entry(body), context, forced=forced)


def _ref(body: Mapping[str, Any]) -> Ref:
    meta = body.get("metadata", {})
    return Ref(str(meta.get("namespace", "")), str(meta.get("name", "")))
