"""PrivateEndpointRule ↔ a private endpoint rule of an NCC.

Observation costs nothing per rule at steady state: a rule's state comes from its NCC's shared
snapshot (``egress_config.target_rules``), refreshed at most every ``fast_seconds`` while the rule
is transitional. Natural key: NCC + the immutable target (``targets.identity``); a create that
Databricks answers with "already exists" is settled by adopting the rule it found, never by a
loop. A rule is owned by at most one resource: adoption never takes a rule another resource
stands for, and ``externalId`` must name a rule of the spec's target. A rule deactivated or
deleted out of band is drift and is recreated; REJECTED/DISCONNECTED/EXPIRED/CREATE_FAILED rules
stay as they are until someone requests a retry (``reconcile-requested-at``), which replaces them.
An AWS target whose endpoint service names another region than the NCC's works, but its Ready
message says the transfer is charged and its transitions are Warning events. A GCP rule reads its
NCC's shared rule list instead (GET NCC does not carry GCP rules), and its service attachment
must be in the NCC's region (a PSC endpoint and its attachment share one): refused before any call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ncc_operator.databricks import (
    DatabricksAccountClient,
    DatabricksError,
    NccPrivateEndpointRule,
    NotFound,
    ResourceAlreadyExists,
    rule_update_mask,
)
from ncc_operator.models.rule import PrivateEndpointRuleAtProvider
from ncc_operator.reconcile import (
    Conflict,
    Creation,
    Deletion,
    NamespaceNotAllowed,
    NotAllowed,
    Observation,
    Readiness,
    ReferenceNotReady,
    Transient,
    Update,
)

from .cache import rules_are_listed
from .errors import problem_from
from .ncc import account_of
from .news import wake_changed_rules
from .rule_states import TERMINAL_STATES, TRANSITIONAL_STATES, readiness_of, state_of
from .runtime import Runtime
from .targets import (
    cross_region_note,
    describe,
    desired_create,
    desired_update,
    identity,
    in_region,
)
from .world import NccEntry, RuleEntry, holds_first


@dataclass(frozen=True)
class RuleSeen:
    """What ``observe`` saw; ``update`` sends ``mask`` of the spec, nothing re-read."""

    rule: NccPrivateEndpointRule
    mask: tuple[str, ...]
    """Fields to PATCH now (``enabled`` only once ESTABLISHED)."""


async def connect_rule(entry: RuleEntry, runtime: Runtime, *, forced: bool) -> RuleClient:
    ncc = runtime.world.ncc(entry.ncc)
    if ncc is None:
        raise ReferenceNotReady(f"NetworkConnectivityConfig {entry.ncc} does not exist.")
    if not entry.deleting:
        _check_namespace_allowed(entry, ncc, runtime)
    if not ncc.id:
        # A stable message (not the NCC's own, which changes as it progresses): waiting costs
        # one status write, not one per step of the NCC.
        raise ReferenceNotReady(
            f"NetworkConnectivityConfig {entry.ncc} has no Databricks id yet; this rule is "
            "created as soon as it has (see the NCC's status if it does not come)."
        )
    account = account_of(runtime, ncc.ref.namespace, ncc.resource.spec.account_ref.name)
    if str(account.resource.spec.cloud) != str(entry.resource.spec.cloud):
        raise NotAllowed(
            f"This rule targets {entry.resource.spec.cloud} but DatabricksAccount {account.ref} "
            f"is on {account.resource.spec.cloud}: use spec.{account.resource.spec.cloud}."
        )
    _check_attachment_region(entry, ncc)
    _check_unique_owner(entry, ncc.id, ncc.resource.spec.region, runtime)
    client = await runtime.pool.client(account)
    return RuleClient(
        entry, ncc.id, client, runtime, forced=forced, ncc_region=ncc.resource.spec.region
    )


def _check_attachment_region(entry: RuleEntry, ncc: NccEntry) -> None:
    gcp = entry.resource.spec.gcp
    region = gcp.region if gcp is not None else None
    if gcp is not None and region is not None and region != ncc.resource.spec.region:
        raise NotAllowed(
            f"Service attachment {gcp.service_attachment} is in {region}, but "
            f"NetworkConnectivityConfig {ncc.ref} is in {ncc.resource.spec.region}: Databricks "
            "creates the Private Service Connect endpoint in the NCC's region, and Google "
            "requires it in the service attachment's. Use an NCC of that region."
        )


def _check_namespace_allowed(entry: RuleEntry, ncc: NccEntry, runtime: Runtime) -> None:
    allowed = ncc.resource.spec.allowed_rule_namespaces
    labels = runtime.world.namespace_labels(entry.ref.namespace) or {}
    if not allowed.admits(entry.ref.namespace, ncc.ref.namespace, labels):
        raise NamespaceNotAllowed(
            f"NetworkConnectivityConfig {ncc.ref} does not admit rules from namespace "
            f"{entry.ref.namespace} (spec.allowedRuleNamespaces.from: {allowed.from_}). Ask its "
            "owner to allow this namespace, or create the rule in the NCC's namespace."
        )


def _check_unique_owner(entry: RuleEntry, ncc_id: str, region: str, runtime: Runtime) -> None:
    """Two resources must never manage one rule: the one that recorded it, else the earlier.

    Only the rules of the same NCC resource can collide (an index lookup; an NCC resource is
    the only one of its Databricks NCC), and their target identities were computed once, when
    indexed: this check stays cheap at thousands of rules.
    """
    target = in_region(entry.target, region)
    for other in runtime.world.rules_of(entry.ncc):
        if other.uid == entry.uid:
            continue
        overlap = entry.known_ids & other.known_ids
        same = in_region(other.target, region) == target
        if not overlap and (not same or (entry.id and other.id)):
            continue
        if holds_first(other, entry, overlap):
            raise Conflict(
                f"PrivateEndpointRule {other.ref} already manages this target "
                f"({describe(target)}) on NCC {ncc_id}. Only one resource may manage a "
                "rule: delete one of them (an S3 rule holds all buckets of its NCC: list them "
                "in one rule's resourceNames).",
                foreign=bool(entry.id and entry.id in other.known_ids),
            )


class RuleClient:
    def __init__(
        self,
        entry: RuleEntry,
        ncc_id: str,
        client: DatabricksAccountClient,
        runtime: Runtime,
        *,
        forced: bool,
        ncc_region: str | None = None,
    ) -> None:
        self._entry = entry
        self._ncc_region = ncc_region
        self._target = in_region(entry.target, ncc_region)
        """The spec's natural key in this NCC (a bucket-only S3 target gets its region's)."""
        self._resource = entry.resource
        self._ncc_id = ncc_id
        self._client = client
        self._runtime = runtime
        self._forced = forced
        self._replace: str | None = None
        self._fresh = entry.create_pending and not entry.id
        """A create may have happened: look it up in a fresh snapshot, not a cached one."""

    async def observe(self) -> Observation[RuleSeen]:
        try:
            rules = await self._rules()
            found, adopted = await self._find(rules)
        except DatabricksError as error:
            raise problem_from(error, doing="reading the rule") from None
        if found is None or found.deactivated:
            return Observation(exists=False, drift=self._drift(found))
        if self._forced and state_of(found) in TERMINAL_STATES and not self._entry.deleting:
            # The user asked for a retry of a terminal rule: replace it (delete, then create).
            self._replace = found.rule_id
            return Observation(
                exists=False,
                drift=f"Replacing rule {found.rule_id} ({state_of(found)}) as requested.",
            )
        return self._observation(found, adopted)

    async def _rules(self) -> dict[str, NccPrivateEndpointRule]:
        at = self._resource.status.at_provider
        state = at.connection_state if at is not None else None
        # A settled rule reads a snapshot up to one resync old (its NCC refreshes it); a rule
        # that is new or transitional wants one at most `fast_seconds` old.
        settled = bool(self._entry.id) and state is not None and state not in TRANSITIONAL_STATES
        max_age = self._runtime.pace.resync_seconds if settled else self._runtime.pace.fast_seconds
        if self._fresh:
            max_age = 0.0
        rules = await self._snapshot(max_age)
        if rules is None:
            if self._entry.deleting:
                return {}  # the NCC went, and its rules with it: the id lookup will confirm
            raise ReferenceNotReady(f"NCC {self._ncc_id} no longer exists at Databricks.")
        return rules

    async def _snapshot(self, max_age: float) -> dict[str, NccPrivateEndpointRule] | None:
        """The NCC's rules by id from a shared snapshot (None: the NCC is gone)."""
        observations = self._runtime.observations
        if rules_are_listed(self._resource.spec.cloud):
            return await observations.listed_rules(self._client, self._ncc_id, max_age=max_age)
        ncc = await observations.ncc(self._client, self._ncc_id, max_age=max_age)
        if ncc is None:
            return None
        wake_changed_rules(self._runtime, self._entry.ncc, ncc, but=self._entry.uid)
        return observations.rules_in(ncc)

    async def _find(
        self, rules: dict[str, NccPrivateEndpointRule]
    ) -> tuple[NccPrivateEndpointRule | None, bool]:
        known = self._entry.id or self._resource.spec.external_id
        if known:
            found = rules.get(known)
            if found is None:
                # Not in the snapshot: confirm with the rule itself (it may be newer).
                try:
                    found = await self._client.get_private_endpoint_rule(self._ncc_id, known)
                except NotFound:
                    found = None
            if not self._entry.id:
                self._check_external(known, found)
            return found, found is not None and known != self._entry.id
        found = self._by_target(rules)
        if found is not None:
            self._check_not_held(found)
        return found, found is not None

    def _by_target(self, rules: dict[str, NccPrivateEndpointRule]) -> NccPrivateEndpointRule | None:
        target = self._target
        matches = [r for r in rules.values() if not r.deactivated and identity(r) == target]
        if len(matches) > 1:
            ids = ", ".join(str(r.rule_id) for r in matches)
            raise Conflict(
                f"{len(matches)} rules of NCC {self._ncc_id} target the same resource ({ids}): "
                "set spec.externalId to the one this resource should manage."
            )
        return matches[0] if matches else None

    def _check_external(self, known: str, found: NccPrivateEndpointRule | None) -> None:
        """``externalId`` must name a rule of this NCC, of the spec's target, nobody else's."""
        if found is None:
            raise NotAllowed(
                f"spec.externalId {known} is not a rule of NCC {self._ncc_id}: fix it, or "
                "remove it to create a new rule."
            )
        if identity(found) != self._target:
            raise NotAllowed(
                f"spec.externalId {known} targets {describe(identity(found))}, but this "
                f"resource's spec targets {describe(self._target)}: adopting it would "
                "manage another endpoint. Fix spec.externalId or the target."
            )
        self._check_not_held(found)

    def _check_not_held(self, found: NccPrivateEndpointRule) -> None:
        """Adoption never takes a rule another resource stands for."""
        rule_id = str(found.rule_id)
        for other in self._runtime.world.rules_of(self._entry.ncc):
            if other.uid != self._entry.uid and rule_id in other.known_ids:
                raise Conflict(
                    f"Rule {rule_id} on NCC {self._ncc_id} is managed by PrivateEndpointRule "
                    f"{other.ref}; this resource does not adopt it. Delete one of the two "
                    "resources."
                )

    def _drift(self, found: NccPrivateEndpointRule | None) -> str | None:
        if not self._entry.id:
            return None
        how = "deactivated" if found is not None else "deleted"
        return f"Rule {self._entry.id} was {how} outside the operator; recreating it."

    def _observation(self, rule: NccPrivateEndpointRule, adopted: bool) -> Observation[RuleSeen]:
        state = state_of(rule)
        mask = rule_update_mask(desired_update(self._resource), rule, self._resource.spec.cloud)
        # S3 ``enabled`` is accepted only once ESTABLISHED (SOL-59): send the rest now.
        sendable = tuple(f for f in mask if f != "enabled" or state == "ESTABLISHED")
        waiting = None
        if mask and not sendable:
            waiting = (
                f"spec.aws.enabled will be applied once the rule is ESTABLISHED (now {state})."
            )
        return Observation(
            exists=True,
            external_id=rule.rule_id,
            observed=RuleSeen(rule, sendable),
            adopted=adopted,
            up_to_date=not mask,
            update_waiting=waiting,
            readiness=self._readiness(rule),
            at_provider=_at_provider(rule),
        )

    def _readiness(self, rule: NccPrivateEndpointRule) -> Readiness:
        """Ready from the state, noting a target in another region than the NCC: known from
        the endpoint service Databricks returned, else the spec's (an S3 rule of bucket names
        alone names no region, and a bucket's region is not something Databricks reports)."""
        aws = self._resource.spec.aws
        service = rule.endpoint_service or (aws.endpoint_service if aws is not None else None)
        note = cross_region_note(service, self._ncc_region) if self._ncc_region else None
        return readiness_of(rule, note)

    async def create(self) -> Creation:
        try:
            if self._replace:
                await self._client.delete_private_endpoint_rule(self._ncc_id, self._replace)
            rule = await self._client.create_private_endpoint_rule(
                self._ncc_id, desired_create(self._resource)
            )
        except ResourceAlreadyExists as exists:
            return await self._adopt_after_conflict(exists)
        except DatabricksError as error:
            # After an unknown outcome the snapshot may miss the new rule: refresh next time.
            self._runtime.observations.forget_ncc(self._ncc_id)
            raise problem_from(error, doing="creating the rule") from None
        self._runtime.observations.note_rule(rule)
        return Creation(
            external_id=str(rule.rule_id),
            at_provider=_at_provider(rule),
            readiness=self._readiness(rule),
        )

    async def _adopt_after_conflict(self, error: DatabricksError) -> Creation:
        """Databricks already holds a rule for this target (an earlier create whose answer was
        lost, with the lists edited since): take it, and let the next pass update it."""
        try:
            rules = await self._snapshot(0.0)
        except DatabricksError as failed:
            raise problem_from(failed, doing="looking up the existing rule") from None
        found = self._by_target(rules) if rules is not None else None
        if found is None:
            raise Transient(
                f"Databricks answered that a rule for {describe(self._target)} already "
                f"exists on NCC {self._ncc_id} ({error}), but it is not listed yet; looking it "
                "up again."
            )
        self._check_not_held(found)
        return Creation(
            external_id=str(found.rule_id),
            at_provider=_at_provider(found),
            readiness=self._readiness(found),
            message=f"Databricks already had rule {found.rule_id} for this target (a create "
            "whose answer was lost); adopted it and recorded its id.",
            adopted=True,
        )

    async def update(self, seen: Observation[RuleSeen]) -> Update:
        assert seen.observed is not None
        rule_id = str(seen.external_id)
        mask = seen.observed.mask
        try:
            rule = await self._client.update_private_endpoint_rule(
                self._ncc_id, rule_id, desired_update(self._resource), mask
            )
        except DatabricksError as error:
            raise problem_from(error, doing="updating the rule") from None
        self._runtime.observations.note_rule(rule)
        return Update(f"Updated {', '.join(mask)} of rule {rule_id}.")

    async def delete(self, seen: Observation[RuleSeen]) -> Deletion:
        rule_id = str(seen.external_id)
        # Whatever the answer, the next observe reads Databricks afresh (not the DELETE's body).
        self._fresh = True
        self._runtime.observations.forget_ncc(self._ncc_id)
        try:
            await self._client.delete_private_endpoint_rule(self._ncc_id, rule_id)
        except NotFound:
            return Deletion(done=True, message=f"Rule {rule_id} was already gone.")
        except DatabricksError as error:
            raise problem_from(error, doing="deleting the rule") from None
        return Deletion(
            done=True,
            message=f"Deleted rule {rule_id} (Databricks deactivates it and purges it later).",
        )


def _at_provider(rule: NccPrivateEndpointRule) -> dict[str, Any]:
    # Through the status model, so what is written is what the CRD schema and the model agree on.
    return PrivateEndpointRuleAtProvider(
        network_connectivity_config_id=rule.network_connectivity_config_id,
        connection_state=state_of(rule),
        endpoint_name=rule.endpoint_name,
        vpc_endpoint_id=rule.vpc_endpoint_id,
        psc_endpoint_uri=rule.gcp_endpoint.psc_endpoint_uri if rule.gcp_endpoint else None,
        error_message=rule.error_message,
        deactivated=rule.deactivated,
    ).to_k8s()
