"""PrivateEndpointRule ↔ a private endpoint rule of an NCC.

Observation costs nothing per rule at steady state: a rule's state comes from its NCC's shared
snapshot (``egress_config.target_rules``), refreshed at most every ``fast_seconds`` while the rule
is transitional. Natural key: NCC + target identity (Azure resource id + group id / domain names;
AWS endpoint service + bucket / domain names). A rule deactivated or deleted out of band is drift
and is recreated; REJECTED/DISCONNECTED/EXPIRED/CREATE_FAILED rules stay as they are until someone
requests a retry (``reconcile-requested-at``), which replaces them.
"""

from __future__ import annotations

from typing import Any

from ncc_operator.databricks import (
    DatabricksAccountClient,
    DatabricksError,
    NccPrivateEndpointRule,
    NotFound,
    rule_update_mask,
)
from ncc_operator.reconcile import (
    Conflict,
    Creation,
    Deletion,
    NamespaceNotAllowed,
    NotAllowed,
    Observation,
    ReferenceNotReady,
    Update,
)

from .errors import problem_from
from .ncc import account_of
from .rule_states import TERMINAL_STATES, TRANSITIONAL_STATES, readiness_of, state_of
from .runtime import Runtime
from .targets import desired_create, desired_update, identity
from .world import NccEntry, RuleEntry


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
    _check_unique_owner(entry, ncc.id, runtime)
    client = await runtime.pool.client(account)
    return RuleClient(entry, ncc.id, client, runtime, forced=forced)


def _check_namespace_allowed(entry: RuleEntry, ncc: NccEntry, runtime: Runtime) -> None:
    allowed = ncc.resource.spec.allowed_rule_namespaces
    labels = runtime.world.namespace_labels(entry.ref.namespace) or {}
    if not allowed.admits(entry.ref.namespace, ncc.ref.namespace, labels):
        raise NamespaceNotAllowed(
            f"NetworkConnectivityConfig {ncc.ref} does not admit rules from namespace "
            f"{entry.ref.namespace} (spec.allowedRuleNamespaces.from: {allowed.from_}). Ask its "
            "owner to allow this namespace, or create the rule in the NCC's namespace."
        )


def _check_unique_owner(entry: RuleEntry, ncc_id: str, runtime: Runtime) -> None:
    """Two resources must never manage one rule: the earlier one keeps it.

    Only the rules of the same NCC resource can collide (an index lookup), and their target
    identities were computed once, when indexed: this check stays cheap at thousands of rules.
    """
    for other in runtime.world.rules_of(entry.ncc):
        if other.uid == entry.uid or other.order > entry.order:
            continue
        if entry.known_ids & other.known_ids or other.target == entry.target:
            raise Conflict(
                f"PrivateEndpointRule {other.ref} already manages this target on NCC {ncc_id}. "
                "Only one resource may manage a rule: delete one of them."
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
    ) -> None:
        self._entry = entry
        self._resource = entry.resource
        self._ncc_id = ncc_id
        self._client = client
        self._runtime = runtime
        self._forced = forced
        self._replace: str | None = None

    async def observe(self) -> Observation:
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
        ncc = await self._runtime.observations.ncc(self._client, self._ncc_id, max_age=max_age)
        if ncc is None:
            raise ReferenceNotReady(f"NCC {self._ncc_id} no longer exists at Databricks.")
        return self._runtime.observations.rules_in(ncc)

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
            if found is None and not self._entry.id:
                raise NotAllowed(
                    f"spec.externalId {known} is not a rule of NCC {self._ncc_id}: fix it, or "
                    "remove it to create a new rule."
                )
            return found, found is not None and known != self._entry.id
        target = identity(desired_create(self._resource))
        matches = [r for r in rules.values() if not r.deactivated and identity(r) == target]
        if len(matches) > 1:
            ids = ", ".join(str(r.rule_id) for r in matches)
            raise Conflict(
                f"{len(matches)} rules of NCC {self._ncc_id} target the same resource ({ids}): "
                "set spec.externalId to the one this resource should manage."
            )
        return (matches[0], True) if matches else (None, False)

    def _drift(self, found: NccPrivateEndpointRule | None) -> str | None:
        if not self._entry.id:
            return None
        how = "deactivated" if found is not None else "deleted"
        return f"Rule {self._entry.id} was {how} outside the operator; recreating it."

    def _observation(self, rule: NccPrivateEndpointRule, adopted: bool) -> Observation:
        state = state_of(rule)
        mask = rule_update_mask(desired_update(self._resource), rule, self._resource.spec.cloud)
        waiting = None
        if mask == ("enabled",) and state != "ESTABLISHED":
            waiting = (
                f"spec.aws.enabled will be applied once the rule is ESTABLISHED (now {state})."
            )
        return Observation(
            exists=True,
            external_id=rule.rule_id,
            adopted=adopted,
            up_to_date=not mask,
            update_waiting=waiting,
            readiness=readiness_of(rule),
            at_provider=_at_provider(rule),
        )

    async def create(self) -> Creation:
        try:
            if self._replace:
                await self._client.delete_private_endpoint_rule(self._ncc_id, self._replace)
            rule = await self._client.create_private_endpoint_rule(
                self._ncc_id, desired_create(self._resource)
            )
        except DatabricksError as error:
            # After an unknown outcome the snapshot may miss the new rule: refresh next time.
            self._runtime.observations.forget_ncc(self._ncc_id)
            raise problem_from(error, doing="creating the rule") from None
        self._runtime.observations.note_rule(rule)
        return Creation(
            external_id=str(rule.rule_id),
            at_provider=_at_provider(rule),
            readiness=readiness_of(rule),
        )

    async def update(self, seen: Observation) -> Update:
        rule_id = str(seen.external_id)
        state = str(seen.at_provider.get("connectionState"))
        desired = desired_update(self._resource)
        current = await self._current(rule_id)
        mask = tuple(
            f
            for f in rule_update_mask(desired, current, self._resource.spec.cloud)
            if f != "enabled" or state == "ESTABLISHED"
        )
        try:
            rule = await self._client.update_private_endpoint_rule(
                self._ncc_id, rule_id, desired, mask
            )
        except DatabricksError as error:
            raise problem_from(error, doing="updating the rule") from None
        self._runtime.observations.note_rule(rule)
        return Update(f"Updated {', '.join(mask)} of rule {rule_id}.")

    async def _current(self, rule_id: str) -> NccPrivateEndpointRule:
        ncc = await self._runtime.observations.ncc(
            self._client, self._ncc_id, max_age=self._runtime.pace.fast_seconds
        )
        found = self._runtime.observations.rules_in(ncc).get(rule_id) if ncc is not None else None
        return found or NccPrivateEndpointRule(rule_id=rule_id)

    async def delete(self, seen: Observation) -> Deletion:
        rule_id = str(seen.external_id)
        try:
            rule = await self._client.delete_private_endpoint_rule(self._ncc_id, rule_id)
        except NotFound:
            return Deletion(done=True, message=f"Rule {rule_id} was already gone.")
        except DatabricksError as error:
            raise problem_from(error, doing="deleting the rule") from None
        if rule.rule_id:
            self._runtime.observations.note_rule(rule)
        else:
            self._runtime.observations.forget_ncc(self._ncc_id)
        return Deletion(
            done=True,
            message=f"Deleted rule {rule_id} (Databricks deactivates it and purges it within 1 "
            "to 7 days).",
        )


def _at_provider(rule: NccPrivateEndpointRule) -> dict[str, Any]:
    fields = {
        "networkConnectivityConfigId": rule.network_connectivity_config_id,
        "connectionState": state_of(rule),
        "endpointName": rule.endpoint_name,
        "vpcEndpointId": rule.vpc_endpoint_id,
        "errorMessage": rule.error_message,
        "deactivated": rule.deactivated,
    }
    return {k: v for k, v in fields.items() if v is not None}
