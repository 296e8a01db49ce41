"""What adapters know of other Kubernetes objects: a read-only, in-memory view.

The Kopf wiring keeps indexes of accounts, NCCs, rules, network policies and namespaces (fed by
watches, so looking a reference up costs no API call); adapters see them through :class:`World`.
The entry builders here turn a raw object body into the small frozen record an index stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ncc_operator.models import (
    CREATE_PENDING_ANNOTATION,
    DatabricksAccountResource,
    NetworkConnectivityConfigResource,
    NetworkPolicyResource,
    PrivateEndpointRuleResource,
)
from ncc_operator.reconcile import InvalidSpec, NamespaceNotAllowed, NotAllowed, conditions

from .targets import Identity, desired_create, identity


@dataclass(frozen=True, order=True)
class Ref:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


_REFUSALS = frozenset({InvalidSpec.reason, NotAllowed.reason, NamespaceNotAllowed.reason})


@dataclass(frozen=True)
class Entry:
    """An indexed object: identity, arrival order (for "the later one conflicts"), status."""

    ref: Ref
    uid: str
    created: str
    id: str | None
    ready: bool
    ready_message: str
    deleting: bool
    external_id: str | None
    """``spec.externalId``, for kinds that have one."""
    create_pending: bool
    """A create was sent whose id is not recorded yet (the pending-create annotation)."""
    resource_version: str = field(compare=False)
    body: Mapping[str, Any] = field(compare=False, repr=False)
    """The object as the watch delivered it, less ``metadata.managedFields`` (the API's own
    bookkeeping, often the larger half): a scheduled pass runs on it, a pass reuses the entry
    only for this very body, and "write only on change" compares its raw status verbatim."""

    @property
    def status(self) -> Mapping[str, Any]:
        return self.body.get("status") or {}

    @property
    def known_ids(self) -> set[str]:
        """Databricks ids this resource stands for: the recorded one and ``externalId``."""
        return {i for i in (self.id, self.external_id) if i}

    @property
    def refused(self) -> bool:
        """Its current spec was refused (``Synced=False`` ``InvalidSpec`` or ``NotAllowed`` at
        this generation: Databricks refused it, its ``externalId`` names no rule of its target,
        its namespace is not admitted) and it holds nothing at Databricks (no id, no pending
        create): it manages nothing, and it creates nothing until that changes."""
        if self.id or self.create_pending:
            return False
        synced = conditions.find(self.status.get("conditions") or [], "Synced") or {}
        return bool(
            synced.get("status") == "False"
            and synced.get("reason") in _REFUSALS
            and synced.get("observedGeneration")
            == (self.body.get("metadata") or {}).get("generation")
        )

    @property
    def order(self) -> tuple[str, str, str]:
        # creationTimestamp has second precision: the name breaks ties deterministically.
        return (self.created, self.ref.namespace, self.ref.name)


@dataclass(frozen=True)
class AccountEntry(Entry):
    resource: DatabricksAccountResource


@dataclass(frozen=True)
class NccEntry(Entry):
    resource: NetworkConnectivityConfigResource


@dataclass(frozen=True)
class PolicyEntry(Entry):
    resource: NetworkPolicyResource


@dataclass(frozen=True)
class RuleEntry(Entry):
    resource: PrivateEndpointRuleResource
    ncc: Ref
    target: Identity
    """The rule's natural key within its NCC, computed once when indexed."""


def holds_first(other: Entry, me: Entry, overlap: set[str]) -> bool:
    """Whether ``other`` keeps the Databricks object both resources stand for (``me`` conflicts).

    ``overlap`` is the ids they share (empty when they met by natural key). The resource that
    recorded the object's id keeps it — a later resource can never take over an object by
    claiming its name or target first — and between equals the earlier resource does, unless
    its spec was refused (:attr:`Entry.refused`).
    """
    if other.refused:
        # Only its place in line (or an externalId it could not adopt) made it the holder, and
        # it is out of the line until its spec or its standing changes: "Conflict" would name
        # a resource that manages nothing.
        return False
    other_recorded = other.id is not None and (not overlap or other.id in overlap)
    mine_recorded = me.id is not None and (not overlap or me.id in overlap)
    if other_recorded != mine_recorded:
        return other_recorded
    return other.order < me.order


class World(Protocol):
    def account(self, ref: Ref) -> AccountEntry | None: ...

    def ncc(self, ref: Ref) -> NccEntry | None: ...

    def nccs(self) -> Iterable[NccEntry]: ...

    def rules(self) -> Iterable[RuleEntry]: ...

    def rule(self, ref: Ref) -> RuleEntry | None: ...

    def rules_of(self, ncc: Ref) -> Iterable[RuleEntry]:
        """The rules referencing one NCC resource (an index lookup, not a scan)."""
        ...

    def namespace_labels(self, name: str) -> Mapping[str, str] | None: ...

    def policies(self) -> Iterable[PolicyEntry]: ...

    def policy(self, ref: Ref) -> PolicyEntry | None: ...


def _entry_fields(body: Mapping[str, Any], status: Any) -> dict[str, Any]:
    meta = body.get("metadata", {})
    ready = status.condition("Ready")
    return {
        "ref": Ref(meta.get("namespace", ""), meta.get("name", "")),
        "uid": meta.get("uid", ""),
        "created": str(meta.get("creationTimestamp", "")),
        "id": status.id,
        "ready": ready is not None and ready.status == "True",
        "ready_message": ready.message if ready is not None else "",
        "deleting": bool(meta.get("deletionTimestamp")),
        "external_id": (body.get("spec") or {}).get("externalId"),
        "create_pending": bool((meta.get("annotations") or {}).get(CREATE_PENDING_ANNOTATION)),
        "resource_version": str(meta.get("resourceVersion", "")),
        "body": _slim(body),
    }


def _slim(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata", {})
    if "managedFields" not in meta:
        return dict(body)
    return {**body, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


E = TypeVar("E", bound=Entry)


def reuse_or_build(
    indexed: E | None, body: Mapping[str, Any], build: Callable[[Mapping[str, Any]], E]
) -> E:
    """The index's entry when it was built from this very body, else a fresh one.

    Kopf runs the indexers before the handlers of the same event, so a pass usually finds its
    body already parsed. A pass may see a status the index has not (the driver lays its last
    patch over a body that predates it), so the status must match too, not only the version.
    """
    meta = body.get("metadata", {})
    if (
        indexed is not None
        and indexed.resource_version
        and indexed.uid == meta.get("uid", "")
        and indexed.resource_version == str(meta.get("resourceVersion", ""))
        and indexed.status == (body.get("status") or {})
    ):
        return indexed
    return build(body)


def account_entry(body: Mapping[str, Any]) -> AccountEntry:
    resource = DatabricksAccountResource.from_body(body)
    return AccountEntry(resource=resource, **_entry_fields(body, resource.status))


def ncc_entry(body: Mapping[str, Any]) -> NccEntry:
    resource = NetworkConnectivityConfigResource.from_body(body)
    return NccEntry(resource=resource, **_entry_fields(body, resource.status))


def policy_entry(body: Mapping[str, Any]) -> PolicyEntry:
    resource = NetworkPolicyResource.from_body(body)
    return PolicyEntry(resource=resource, **_entry_fields(body, resource.status))


def rule_entry(body: Mapping[str, Any]) -> RuleEntry:
    resource = PrivateEndpointRuleResource.from_body(body)
    ncc = Ref(resource.ncc_namespace, resource.spec.ncc_ref.name)
    target = identity(desired_create(resource))
    return RuleEntry(
        resource=resource, ncc=ncc, target=target, **_entry_fields(body, resource.status)
    )


OwnWrites = Callable[[str, Mapping[str, Any]], Mapping[str, Any] | None]
"""(uid, the status the index holds) → the newer status this process wrote, or None."""


class IndexedWorld:
    """:class:`World` over Kopf indexes (``Mapping[key, Collection[entry]]``)."""

    def __init__(
        self,
        accounts: Mapping[Ref, Iterable[AccountEntry]],
        nccs: Mapping[Ref, Iterable[NccEntry]],
        rules: Mapping[Ref, Iterable[RuleEntry]],
        namespaces: Mapping[str, Iterable[Mapping[str, str]]],
        rules_by_ncc: Mapping[Ref, Iterable[RuleEntry]] | None = None,
        *,
        policies: Mapping[Ref, Iterable[PolicyEntry]] | None = None,
    ) -> None:
        self._accounts = accounts
        self._nccs = nccs
        self._rules = rules
        self._namespaces = namespaces
        # Not `or {}`: an empty Kopf index is falsy, and this one must stay the live object.
        self._rules_by_ncc = rules_by_ncc if rules_by_ncc is not None else {}
        self._policies = policies if policies is not None else {}
        self._own_writes: OwnWrites | None = None
        self._overlaid: dict[str, tuple[Mapping[str, Any], Entry]] = {}

    def see_own_writes(self, written: OwnWrites) -> None:
        """Accounts and NCCs are looked up with the status this process wrote for them, until
        the index catches up (``Driver.written_status``): their dependents, woken by that very
        write, must not find the index's older status and wait for their next retry."""
        self._own_writes = written

    def _own(self, entry: E | None, build: Callable[[Mapping[str, Any]], E]) -> E | None:
        if entry is None or self._own_writes is None:
            return entry
        status = self._own_writes(entry.uid, entry.status)
        if status is None:
            self._overlaid.pop(entry.uid, None)
            return entry
        cached = self._overlaid.get(entry.uid)
        if cached is not None and cached[0] is status and isinstance(cached[1], type(entry)):
            return cached[1]
        seen = build({**entry.body, "status": dict(status)})
        self._overlaid[entry.uid] = (status, seen)
        return seen

    def account(self, ref: Ref) -> AccountEntry | None:
        return self._own(next(iter(self._accounts.get(ref, ())), None), account_entry)

    def ncc(self, ref: Ref) -> NccEntry | None:
        return self._own(next(iter(self._nccs.get(ref, ())), None), ncc_entry)

    def nccs(self) -> Iterable[NccEntry]:
        return [e for store in self._nccs.values() for e in store]

    def rules(self) -> Iterable[RuleEntry]:
        return [e for store in self._rules.values() for e in store]

    def rule(self, ref: Ref) -> RuleEntry | None:
        return next(iter(self._rules.get(ref, ())), None)

    def rules_of(self, ncc: Ref) -> Iterable[RuleEntry]:
        return list(self._rules_by_ncc.get(ncc, ()))

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        return next(iter(self._namespaces.get(name, ())), None)

    def policies(self) -> Iterable[PolicyEntry]:
        return [e for store in self._policies.values() for e in store]

    def policy(self, ref: Ref) -> PolicyEntry | None:
        return next(iter(self._policies.get(ref, ())), None)
