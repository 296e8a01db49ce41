"""The kinds as the driver sees them: body → Subject, body → connected client, and the
objects that wait on this one.

Each adapter reads the body into the kind's index entry — the very entry the index holds when
it was built from this body, so a pass parses nothing again — reads the shared policies
(``deletionPolicy``, ``managementPolicy``, the paused annotation) the same way for every kind,
and connects the per-kind client from ``accounts``, ``ncc``, ``rule`` or ``network_policy`` with
that entry. Each is
an ``Adapter[Runtime, Entry]``: the driver hands it the operator's shared runtime. (Events and
metrics go through the sink the wiring makes: ``handlers/sinks.py``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from ncc_operator.models import (
    DatabricksAccountResource,
    DeletionPolicy,
    ManagementPolicy,
    NetworkConnectivityConfigResource,
    NetworkPolicyResource,
    PrivateEndpointRuleResource,
)
from ncc_operator.reconcile import ExternalClient, Subject

from .accounts import AccountClient
from .ncc import connect_ncc
from .network_policy import connect_policy
from .rule import connect_rule
from .runtime import Runtime
from .world import (
    AccountEntry,
    NccEntry,
    PolicyEntry,
    Ref,
    RuleEntry,
    account_entry,
    ncc_entry,
    policy_entry,
    reuse_or_build,
    rule_entry,
)


def _subject(
    entry: AccountEntry | NccEntry | RuleEntry | PolicyEntry,
    *,
    forced: bool,
    deletion: DeletionPolicy | None = None,
    management: ManagementPolicy | None = None,
) -> Subject:
    resource = entry.resource
    meta = resource.metadata
    return Subject(
        kind=resource.KIND,
        name=f"{meta.namespace}/{meta.name}",
        generation=resource.generation,
        # The raw status, not the model's rendering: "write only on change" compares it verbatim.
        status=dict(entry.status),
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

    def parse(self, body: Mapping[str, Any], runtime: Runtime) -> AccountEntry:
        return reuse_or_build(runtime.world.account(_ref(body)), body, account_entry)

    def subject(self, entry: AccountEntry, *, forced: bool) -> Subject:
        # Accounts own nothing at Databricks: deleting one only forgets its client.
        return _subject(entry, forced=forced)

    async def connect(
        self, entry: AccountEntry, runtime: Runtime, *, forced: bool
    ) -> ExternalClient:
        return AccountClient(
            entry,
            runtime.pool,
            runtime.observations,
            auth_retry_seconds=runtime.pace.account_resync_seconds,
        )

    def observers(self, entry: AccountEntry, runtime: Runtime) -> list[str]:
        return []

    def dependents(self, entry: AccountEntry, runtime: Runtime) -> list[str]:
        """NCCs and network policies using this account, and the NCCs' rules: they wait on it
        with ReferenceNotReady (or back off on its failing credentials)."""
        ref = entry.ref
        nccs = [
            n
            for n in runtime.world.nccs()
            if n.ref.namespace == ref.namespace and n.resource.spec.account_ref.name == ref.name
        ]
        policies = [
            p.uid
            for p in runtime.world.policies()
            if p.ref.namespace == ref.namespace and p.resource.spec.account_ref.name == ref.name
        ]
        rules = [r.uid for n in nccs for r in runtime.world.rules_of(n.ref)]
        return [n.uid for n in nccs] + rules + policies


Managed = TypeVar("Managed", NccEntry, RuleEntry, PolicyEntry)


class _ManagedAdapter(Generic[Managed]):
    """NCCs, rules and network policies: each carries deletionPolicy and managementPolicy in
    its spec."""

    resync_seconds: float | None = None

    def _indexed(self, runtime: Runtime, ref: Ref) -> Managed | None:
        raise NotImplementedError

    def _build(self, body: Mapping[str, Any]) -> Managed:
        raise NotImplementedError

    def parse(self, body: Mapping[str, Any], runtime: Runtime) -> Managed:
        return reuse_or_build(self._indexed(runtime, _ref(body)), body, self._build)

    def subject(self, entry: Managed, *, forced: bool) -> Subject:
        spec = entry.resource.spec
        return _subject(
            entry,
            forced=forced,
            deletion=spec.deletion_policy,
            management=spec.management_policy,
        )


class NccAdapter(_ManagedAdapter[NccEntry]):
    kind = NetworkConnectivityConfigResource.KIND

    def _indexed(self, runtime: Runtime, ref: Ref) -> NccEntry | None:
        return runtime.world.ncc(ref)

    def _build(self, body: Mapping[str, Any]) -> NccEntry:
        return ncc_entry(body)

    def dependents(self, entry: NccEntry, runtime: Runtime) -> list[str]:
        """Rules of this NCC: they wait on its id with ReferenceNotReady."""
        return [r.uid for r in runtime.world.rules_of(entry.ref)]

    def observers(self, entry: NccEntry, runtime: Runtime) -> list[str]:
        return []

    async def connect(self, entry: NccEntry, runtime: Runtime, *, forced: bool) -> ExternalClient:
        return await connect_ncc(entry, runtime)


class RuleAdapter(_ManagedAdapter[RuleEntry]):
    kind = PrivateEndpointRuleResource.KIND

    def _indexed(self, runtime: Runtime, ref: Ref) -> RuleEntry | None:
        return runtime.world.rule(ref)

    def _build(self, body: Mapping[str, Any]) -> RuleEntry:
        return rule_entry(body)

    def dependents(self, entry: RuleEntry, runtime: Runtime) -> list[str]:
        return []

    def observers(self, entry: RuleEntry, runtime: Runtime) -> list[str]:
        """Its NCC, whose ``status.atProvider.ruleCounts`` counts its rules by state."""
        ncc = runtime.world.ncc(entry.ncc)
        return [ncc.uid] if ncc is not None else []

    async def connect(self, entry: RuleEntry, runtime: Runtime, *, forced: bool) -> ExternalClient:
        return await connect_rule(entry, runtime, forced=forced)


class PolicyAdapter(_ManagedAdapter[PolicyEntry]):
    kind = NetworkPolicyResource.KIND

    def _indexed(self, runtime: Runtime, ref: Ref) -> PolicyEntry | None:
        return runtime.world.policy(ref)

    def _build(self, body: Mapping[str, Any]) -> PolicyEntry:
        return policy_entry(body)

    def dependents(self, entry: PolicyEntry, runtime: Runtime) -> list[str]:
        return []

    def observers(self, entry: PolicyEntry, runtime: Runtime) -> list[str]:
        return []

    async def connect(
        self, entry: PolicyEntry, runtime: Runtime, *, forced: bool
    ) -> ExternalClient:
        return await connect_policy(entry, runtime)


def _ref(body: Mapping[str, Any]) -> Ref:
    meta = body.get("metadata", {})
    return Ref(str(meta.get("namespace", "")), str(meta.get("name", "")))
