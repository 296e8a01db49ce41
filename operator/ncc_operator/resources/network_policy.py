"""NetworkPolicy ↔ a Databricks account network policy (serverless egress), and the workspaces
bound to it.

Natural key: account + ``network_policy_id`` (the caller chooses the id, so GET by id finds it;
there is no ``externalId``). One policy is owned by at most one resource in the whole cluster,
whatever namespace or DatabricksAccount resource reaches it: the resource that recorded the id
keeps it, otherwise the earlier one, and the other gets Conflict and records nothing.

The operator owns ``egress.network_access`` only. An update is a full-replace PUT, so it sends
the policy exactly as the last GET returned it with that one part replaced: ``ingress``,
``ingress_dry_run`` and any key this client does not know survive (docs/serverless-egress.md
§1.1). Specs and server objects compare normalised (lists as sets), so a server that reorders
lists causes no PUT loop.

Binding (docs/serverless-egress.md §5.1): every workspace in ``workspaceIds`` is bound with one
PUT each, after one GET each shows it uses another policy. A workspace is claimed by at most one
NetworkPolicy per Databricks account (a later claimant is told, never sent). Unlike an NCC
attachment a binding can be undone: a workspace this resource bound (``atProvider.
boundWorkspaceIds``) and no longer lists goes back to ``default-policy`` — only if a GET shows it
still uses this policy and no other resource claims it now (that one binds it instead, so the
workspace never falls back to the default in between). Deleting the resource (``Delete``)
releases its workspaces the same way, then deletes the policy; Databricks refuses to delete a
policy that workspaces still use, which becomes ``DeleteBlocked`` with the server's message.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from ncc_operator.databricks import (
    AccountNetworkPolicy,
    DatabricksAccountClient,
    DatabricksError,
    NotFound,
    ResourceAlreadyExists,
    Workspace,
)
from ncc_operator.models import DEFAULT_POLICY_ID, ManagementPolicy, NetworkPolicyAtProvider
from ncc_operator.models.network_policy import DestinationCounts, normalised_access
from ncc_operator.reconcile import (
    Conflict,
    Creation,
    Deletion,
    EventReason,
    Observation,
    Readiness,
    Update,
)

from .errors import problem_from
from .ncc import account_of, databricks_account
from .runtime import Runtime
from .world import AccountEntry, PolicyEntry, Ref, holds_first

ENFORCEMENT_TIMING = (
    "How long Databricks takes to enforce a policy change on running serverless compute is not "
    "documented."
)
_CLAIMED = (
    "workspace {ws} is also listed by NetworkPolicy {other}, which claimed it first; a workspace "
    "uses one policy: remove it from one of them"
)
_UNKNOWN_WS = "workspace {ws} does not exist in this account"


async def connect_policy(entry: PolicyEntry, runtime: Runtime) -> PolicyClient:
    spec = entry.resource.spec
    account = account_of(runtime, entry.ref.namespace, spec.account_ref.name)
    _check_unique_owner(entry, account, runtime)
    client = await runtime.pool.client(account)
    return PolicyClient(entry, account, client, runtime)


def _same_account(runtime: Runtime, account_id: str) -> list[PolicyEntry]:
    return [p for p in runtime.world.policies() if databricks_account(runtime, p) == account_id]


def _check_unique_owner(entry: PolicyEntry, account: AccountEntry, runtime: Runtime) -> None:
    """One Databricks policy, one resource in the whole cluster (DESIGN §3)."""
    policy_id = entry.resource.policy_id
    for other in _same_account(runtime, account.resource.spec.account_id):
        if other.uid == entry.uid or other.resource.policy_id != policy_id:
            continue
        if holds_first(other, entry, set()):
            raise Conflict(
                f"NetworkPolicy {other.ref} already manages the Databricks network policy "
                f"{policy_id}. Only one resource in the cluster may manage it: delete one of "
                "them or give this one another spec.networkPolicyId.",
                foreign=entry.id is not None and entry.id == other.id,
            )


@dataclass(frozen=True)
class PolicySeen:
    """What ``observe`` saw and planned; ``update`` and ``delete`` act on this only."""

    policy: AccountNetworkPolicy
    egress_matches: bool
    bound: tuple[int, ...]
    """Workspaces this resource lists (or bound before) that use this policy now."""
    to_bind: tuple[int, ...]
    to_release: tuple[int, ...]
    """No longer listed, still on this policy, claimed by nobody else: back to the default."""
    unbindable: tuple[int, ...]


class PolicyClient:
    def __init__(
        self,
        entry: PolicyEntry,
        account: AccountEntry,
        client: DatabricksAccountClient,
        runtime: Runtime,
    ) -> None:
        self._entry = entry
        self._resource = entry.resource
        self._account = account
        self._client = client
        self._runtime = runtime
        self._id = entry.resource.policy_id
        self._observe_only = entry.resource.spec.management_policy is ManagementPolicy.OBSERVE_ONLY

    def _desired_access(self) -> dict[str, Any]:
        return self._resource.spec.egress.network_access()

    async def observe(self) -> Observation[PolicySeen]:
        try:
            try:
                policy = await self._client.get_network_policy(self._id)
            except NotFound:
                return Observation(exists=False, drift=self._drift())
            workspaces = await self._runtime.observations.workspaces(
                self._client,
                str(self._account.ref),
                max_age=self._runtime.pace.resync_seconds / 2,
            )
            seen, unsynced = await self._plan(policy, workspaces)
        except DatabricksError as error:
            raise problem_from(error, doing="reading the network policy") from None
        return Observation(
            exists=True,
            external_id=self._id,
            observed=seen,
            adopted=self._entry.id != self._id,
            up_to_date=seen.egress_matches and not seen.to_bind and not seen.to_release,
            readiness=self._readiness(seen),
            at_provider=at_provider(policy, seen.bound),
            unsynced=unsynced,
        )

    def _drift(self) -> str | None:
        if not self._entry.id:
            return None
        return (
            f"Network policy {self._entry.id} was deleted outside the operator; creating it again."
        )

    async def _plan(
        self, policy: AccountNetworkPolicy, workspaces: dict[int, Workspace]
    ) -> tuple[PolicySeen, tuple[str, str] | None]:
        """Which workspaces use this policy, which to bind, which to release, and why not."""
        wanted = list(dict.fromkeys(self._resource.spec.workspace_ids))
        before = self._previously_bound()
        claims = self._claims()
        notes: list[tuple[str, str]] = []
        uses: dict[int, str] = {}
        for ws_id in sorted(set(wanted) | before):
            if ws_id not in workspaces:
                if ws_id in wanted:
                    notes.append((EventReason.NOT_ALLOWED, _UNKNOWN_WS.format(ws=ws_id)))
                continue
            option = await self._client.get_workspace_network_option(ws_id)
            uses[ws_id] = option.network_policy_id or DEFAULT_POLICY_ID
        bound = tuple(w for w in sorted(uses) if uses[w] == self._id)
        to_bind: list[int] = []
        unbindable: list[int] = []
        for ws_id in wanted:
            if ws_id not in uses or uses[ws_id] == self._id:
                continue
            other = claims.get(ws_id)
            if other is not None and other[1]:
                notes.append((EventReason.CONFLICT, _CLAIMED.format(ws=ws_id, other=other[0])))
                unbindable.append(ws_id)
            else:
                to_bind.append(ws_id)
        unbindable += [w for w in wanted if w not in workspaces]
        to_release = tuple(w for w in bound if w not in wanted and w not in claims)
        seen = PolicySeen(
            policy=policy,
            egress_matches=normalised_access(policy.network_access)
            == normalised_access(self._desired_access()),
            bound=bound,
            to_bind=tuple(to_bind),
            to_release=to_release,
            unbindable=tuple(sorted(unbindable)),
        )
        if not notes:
            return seen, None
        return seen, (str(notes[0][0]), "; ".join(text for _, text in notes) + ".")

    def _previously_bound(self) -> set[int]:
        at_provider = self._entry.status.get("atProvider") or {}
        return {int(w) for w in at_provider.get("boundWorkspaceIds") or []}

    def _claims(self) -> dict[int, tuple[Ref, bool]]:
        """Workspaces other NetworkPolicy resources of this Databricks account list: by whom, and
        whether that one came first (a later claimant neither binds it nor keeps it from us)."""
        claims: dict[int, tuple[Ref, bool]] = {}
        for other in _same_account(self._runtime, self._account.resource.spec.account_id):
            if other.uid == self._entry.uid or other.deleting:
                continue
            earlier = other.order < self._entry.order
            for ws_id in other.resource.spec.workspace_ids:
                if ws_id not in claims or earlier:
                    claims[ws_id] = (other.ref, earlier)
        return claims

    def _readiness(self, seen: PolicySeen) -> Readiness:
        access = self._resource.spec.egress
        mode = f"{access.restriction_mode}, {access.enforcement.mode}"
        bound = ", ".join(map(str, seen.bound)) or "none"
        if self._observe_only:
            return Readiness(
                True,
                EventReason.AVAILABLE,
                f"Network policy {self._id} exists (observed only); workspaces listed here that "
                f"use it: {bound}.",
            )
        if seen.unbindable and not seen.to_bind:
            listed = ", ".join(map(str, seen.unbindable))
            return Readiness(
                False,
                EventReason.WORKSPACES_NOT_BOUND,
                f"Workspace(s) {listed} cannot be bound to network policy {self._id}; see the "
                "Synced condition for why.",
                warning=True,
            )
        if not seen.egress_matches or seen.to_bind or seen.to_release:
            return Readiness(
                False,
                EventReason.BINDING,
                f"Applying network policy {self._id} ({mode}) and its workspace bindings.",
                transitional=True,
            )
        return Readiness(
            True,
            EventReason.AVAILABLE,
            f"Network policy {self._id} ({mode}) is as specified; workspaces using it: {bound}. "
            f"{ENFORCEMENT_TIMING}",
        )

    async def create(self) -> Creation:
        wanted = AccountNetworkPolicy(
            network_policy_id=self._id, egress={"network_access": self._desired_access()}
        )
        adopted = False
        try:
            try:
                policy = await self._client.create_network_policy(wanted)
            except ResourceAlreadyExists:
                # A create whose answer was lost, or one made meanwhile: the id is the key.
                policy = await self._client.get_network_policy(self._id)
                adopted = True
        except DatabricksError as error:
            raise problem_from(error, doing="creating the network policy") from None
        waiting = bool(self._resource.spec.workspace_ids)
        return Creation(
            external_id=self._id,
            at_provider=at_provider(policy, ()),
            readiness=Readiness(
                False,
                EventReason.BINDING,
                f"Network policy {self._id} created; binding its workspaces.",
                transitional=True,
            )
            if waiting or adopted
            else Readiness(
                True,
                EventReason.AVAILABLE,
                f"Network policy {self._id} created. {ENFORCEMENT_TIMING}",
            ),
            message=f"Network policy {self._id} already existed at Databricks; adopted it."
            if adopted
            else "",
            adopted=adopted,
        )

    async def update(self, seen: Observation[PolicySeen]) -> Update:
        """Replace the egress part if it differs, then bind and release workspaces, each on its
        own: one refusal stops none."""
        assert seen.observed is not None
        plan = seen.observed
        done: list[str] = []
        failed: list[tuple[str, DatabricksError]] = []
        policy = plan.policy
        if not plan.egress_matches:
            try:
                policy = await self._client.replace_network_policy(
                    self._id, plan.policy.with_network_access(self._desired_access())
                )
            except DatabricksError as error:
                raise problem_from(error, doing="updating the network policy") from None
            done.append(f"replaced the egress of network policy {self._id}")
        steps = [(w, self._id, "bound") for w in plan.to_bind] + [
            (w, DEFAULT_POLICY_ID, "released to default-policy") for w in plan.to_release
        ]
        for ws_id, policy_id, verb in steps:
            try:
                await self._client.update_workspace_network_option(ws_id, policy_id)
            except DatabricksError as error:
                failed.append((f"binding workspace {ws_id} to {policy_id}", error))
            else:
                done.append(f"{verb} workspace {ws_id}")
        if failed:
            doing, first = failed[0]
            raise problem_from(first, doing=doing) from None
        # Recorded in this pass's status: a workspace bound now and removed from the spec
        # before the next pass must still be known as bound here, to be released.
        bound = tuple(sorted((set(plan.bound) | set(plan.to_bind)) - set(plan.to_release)))
        return Update("; ".join(done).capitalize() + ".", at_provider=at_provider(policy, bound))

    async def delete(self, seen: Observation[PolicySeen]) -> Deletion:
        assert seen.observed is not None
        if self._id == DEFAULT_POLICY_ID:
            # The CRD requires Orphan for it; an object that bypassed admission still never
            # sends a delete Databricks always refuses.
            return Deletion(
                done=False,
                blocked="default-policy cannot be deleted at Databricks: set "
                "spec.deletionPolicy: Orphan.",
            )
        claims = self._claims()
        try:
            for ws_id in seen.observed.bound:
                if ws_id not in claims:
                    await self._client.update_workspace_network_option(ws_id, DEFAULT_POLICY_ID)
            with contextlib.suppress(NotFound):
                await self._client.delete_network_policy(self._id)
        except DatabricksError as error:
            if error.status_code in (400, 409):
                return Deletion(
                    done=False,
                    blocked=f"Databricks refuses to delete network policy {self._id}: {error}. "
                    "Bind the workspaces that use it to another policy (those not listed in "
                    "spec.workspaceIds are not released by the operator), or set "
                    "spec.deletionPolicy: Orphan to keep the policy.",
                )
            raise problem_from(error, doing="deleting the network policy") from None
        released = [w for w in seen.observed.bound if w not in claims]
        note = f" (released workspace(s) {', '.join(map(str, released))})" if released else ""
        return Deletion(done=True, message=f"Deleted network policy {self._id}{note}.")


def at_provider(policy: AccountNetworkPolicy, bound: tuple[int, ...]) -> dict[str, Any]:
    """The policy's ``status.atProvider``, built through the status model."""
    access = normalised_access(policy.network_access)
    model = NetworkPolicyAtProvider(
        network_policy_id=policy.network_policy_id,
        restriction_mode=access["restriction_mode"],
        enforcement_mode=access["enforcement_mode"],
        dry_run_products=access["dry_run_products"],
        destination_counts=DestinationCounts(
            allowed_internet=len(access["allowed_internet_destinations"]),
            blocked_internet=len(access["blocked_internet_destinations"]),
            allowed_storage=len(access["allowed_storage_destinations"]),
            allowed_databricks_workspaces=len(access["allowed_databricks_workspace_ids"]),
        ),
        bound_workspace_ids=list(bound),
        ingress_managed_elsewhere=True if _has_ingress(policy) else None,
    )
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _has_ingress(policy: AccountNetworkPolicy) -> bool:
    extra = policy.model_extra or {}
    return bool(extra.get("ingress") or extra.get("ingress_dry_run"))
