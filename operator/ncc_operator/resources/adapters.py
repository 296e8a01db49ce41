"""The three kinds as the driver sees them: body → Subject, body → connected client, and the
objects that wait on this one.

Each adapter parses the body with the kind's model, reads the shared policies
(``deletionPolicy``, ``managementPolicy``, the paused annotation) the same way for every kind,
and connects the per-kind client from ``accounts``, ``ncc`` or ``rule``. Each is an
``Adapter[Runtime]``: the driver hands it the operator's shared runtime. (Events and metrics
go through the sink the wiring makes: ``handlers/sinks.py``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ncc_operator.models import (
    DatabricksAccountResource,
    DeletionPolicy,
    ManagementPolicy,
    NetworkConnectivityConfigResource,
    PrivateEndpointRuleResource,
)
from ncc_operator.reconcile import ExternalClient, Subject

from .accounts import AccountClient
from .ncc import connect_ncc
from .rule import connect_rule
from .runtime import Runtime
from .world import Ref, account_entry, ncc_entry, rule_entry


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
        self, body: Mapping[str, Any], runtime: Runtime, *, forced: bool
    ) -> ExternalClient:
        return AccountClient(
            account_entry(body),
            runtime.pool,
            runtime.observations,
            auth_retry_seconds=runtime.pace.account_resync_seconds,
        )

    def dependents(self, body: Mapping[str, Any], runtime: Runtime) -> list[str]:
        """NCCs using this account and their rules: they wait on it with ReferenceNotReady
        (or back off on its failing credentials)."""
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


class NccAdapter(_ManagedAdapter):
    model = NetworkConnectivityConfigResource

    def dependents(self, body: Mapping[str, Any], runtime: Runtime) -> list[str]:
        """Rules of this NCC: they wait on its id with ReferenceNotReady."""
        return [r.uid for r in runtime.world.rules_of(_ref(body))]

    async def connect(
        self, body: Mapping[str, Any], runtime: Runtime, *, forced: bool
    ) -> ExternalClient:
        return await connect_ncc(ncc_entry(body), runtime)


class RuleAdapter(_ManagedAdapter):
    model = PrivateEndpointRuleResource

    def dependents(self, body: Mapping[str, Any], runtime: Runtime) -> list[str]:
        return []

    async def connect(
        self, body: Mapping[str, Any], runtime: Runtime, *, forced: bool
    ) -> ExternalClient:
        return await connect_rule(rule_entry(body), runtime, forced=forced)


def _ref(body: Mapping[str, Any]) -> Ref:
    meta = body.get("metadata", {})
    return Ref(str(meta.get("namespace", "")), str(meta.get("name", "")))
