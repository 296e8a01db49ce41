"""NetworkConnectivityConfig ↔ a Databricks NCC, and its attachment to workspaces.

Natural key: account + name + region (names are not unique at Databricks, so more than one match
is a Conflict asking for ``spec.externalId``). One Databricks NCC is owned by at most one resource
in the whole cluster, whatever namespace or DatabricksAccount resource reaches it: a resource that
recorded the id keeps it, otherwise the earlier resource wins, and the other gets Conflict and
records no id (so its rules wait). Each reconcile does one fresh GET of the NCC, which is also the
snapshot its rules read their state from, and reads the account's workspace list from a shared
cache. ``observe`` plans the workspace attachments and ``update`` carries out that plan only:
workspaces in another region, unknown ones and ones claimed by an earlier NCC resource are
reported, never sent. Databricks cannot detach a workspace, so one removed from ``workspaceIds``
is reported (NotDetachable). Ready=True means the NCC exists and every listed workspace is
attached. When the operator reads Databricks' published outbound IP ranges (``ipranges``), the
NCC's status shows those of its cloud (its account's) and region.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ncc_operator.databricks import (
    DatabricksAccountClient,
    DatabricksError,
    NccPrivateEndpointRule,
    NetworkConnectivityConfiguration,
    NotFound,
    Workspace,
)
from ncc_operator.models import ManagementPolicy
from ncc_operator.reconcile import (
    Conflict,
    Creation,
    Deletion,
    EventReason,
    NotAllowed,
    Observation,
    Readiness,
    ReferenceNotReady,
    Update,
)

from .cache import rules_are_listed
from .errors import problem_from
from .ncc_status import (
    NccSeen,
    at_provider,
    attached_message,
    readiness,
    refusal_message,
    refusal_retry,
)
from .news import wake_changed_rules
from .runtime import Runtime
from .world import AccountEntry, Entry, NccEntry, PolicyEntry, Ref, holds_first

_CLAIMED = (
    "workspace {ws} is also listed by NetworkConnectivityConfig {other}, which claimed it first; "
    "remove it from one of them"
)
_UNKNOWN_WS = "workspace {ws} does not exist in this account"
_REGION = (
    "workspace {ws} is in region {have}; Databricks attaches only NCCs of the same region ({want})"
)
_NOT_DETACHABLE = (
    "workspace(s) {ws} are still attached to NCC {ncc}: Databricks cannot detach an NCC from a "
    "workspace. Attach them to another NCC to move them"
)


def account_of(runtime: Runtime, namespace: str, name: str) -> AccountEntry:
    """The Ready account a resource refers to, or ReferenceNotReady saying what is missing."""
    ref = Ref(namespace, name)
    account = runtime.world.account(ref)
    if account is None:
        raise ReferenceNotReady(f"DatabricksAccount {ref} does not exist: create it.")
    if not account.ready:
        raise ReferenceNotReady(
            f"DatabricksAccount {ref} is not Ready yet: {account.ready_message or 'not verified'}"
        )
    return account


async def connect_ncc(entry: NccEntry, runtime: Runtime) -> NccClient:
    spec = entry.resource.spec
    account = account_of(runtime, entry.ref.namespace, spec.account_ref.name)
    _check_unique_owner(entry, account, runtime)
    client = await runtime.pool.client(account)
    return NccClient(entry, account, client, runtime)


def databricks_account(runtime: Runtime, entry: NccEntry | PolicyEntry) -> str | None:
    """The Databricks account id a resource reaches (through its DatabricksAccount)."""
    ref = Ref(entry.ref.namespace, entry.resource.spec.account_ref.name)
    account = runtime.world.account(ref)
    return account.resource.spec.account_id if account is not None else None


def _check_unique_owner(entry: NccEntry, account: AccountEntry, runtime: Runtime) -> None:
    """One Databricks NCC, one resource in the whole cluster (DESIGN §3).

    Same NCC = an id in common (recorded or ``externalId``), or — before any id is known — the
    same Databricks account, name and region, whichever namespace or account resource is used.
    """
    mine = entry.resource
    account_id = account.resource.spec.account_id
    my_key = (account_id, mine.databricks_name, mine.spec.region)
    for other in runtime.world.nccs():
        if other.uid == entry.uid:
            continue
        theirs = other.resource
        overlap = entry.known_ids & other.known_ids
        same_key = (databricks_account(runtime, other), theirs.databricks_name, theirs.spec.region)
        if not overlap and (same_key != my_key or (entry.id and other.id)):
            continue  # different objects (two recorded ids of like-named NCCs differ)
        if holds_first(other, entry, overlap):
            raise Conflict(
                f"NetworkConnectivityConfig {other.ref} already manages this Databricks NCC "
                f"({mine.databricks_name} in {mine.spec.region}). Only one resource in the "
                "cluster may manage it: delete one of them or point this one at another NCC.",
                foreign=bool(entry.id and entry.id in other.known_ids),
            )


def _held_by_other(entry: Entry, found_id: str, others: list[Entry]) -> Entry | None:
    """Another resource that stands for ``found_id`` (recorded or ``externalId``)."""
    return next(
        (o for o in others if o.uid != entry.uid and found_id in o.known_ids),
        None,
    )


class NccClient:
    def __init__(
        self,
        entry: NccEntry,
        account: AccountEntry,
        client: DatabricksAccountClient,
        runtime: Runtime,
    ) -> None:
        self._entry = entry
        self._resource = entry.resource
        self._account = account
        self._client = client
        self._runtime = runtime
        self._observe_only = entry.resource.spec.management_policy is ManagementPolicy.OBSERVE_ONLY

    async def observe(self) -> Observation:
        try:
            ncc, adopted = await self._find()
            if ncc is None:
                return Observation(exists=False, drift=self._drift())
            wake_changed_rules(self._runtime, self._entry.ref, ncc)
            # One list per account serves all its NCCs within half a resync; our own PATCHes
            # drop it at once (``update``), so only out-of-band changes wait that long.
            workspaces = await self._runtime.observations.workspaces(
                self._client,
                str(self._account.ref),
                max_age=self._runtime.pace.resync_seconds / 2,
            )
            rules = await self._rules(ncc)
        except DatabricksError as error:
            raise problem_from(error, doing="reading the NCC") from None
        return self._observation(ncc, adopted, workspaces, rules, await self._outbound_ranges())

    async def _rules(
        self, ncc: NetworkConnectivityConfiguration
    ) -> dict[str, NccPrivateEndpointRule]:
        """The NCC's rules for its counts: embedded in the NCC, except on GCP, whose rules only
        the rule list shows (the same shared list its rules read)."""
        observations = self._runtime.observations
        if not rules_are_listed(self._account.resource.spec.cloud):
            return observations.rules_in(ncc)
        ncc_id = str(ncc.network_connectivity_config_id)
        listed = await observations.listed_rules(
            self._client, ncc_id, max_age=self._runtime.pace.fast_seconds
        )
        return listed or {}

    async def _outbound_ranges(self) -> dict[str, Any] | None:
        """Databricks' published outbound IP ranges for this NCC's cloud and region, if the
        operator reads them (``runtime.outbound_ranges``); never raises, never calls Databricks'
        API: a failed refresh shows as ``error`` next to the last good copy."""
        ranges = self._runtime.outbound_ranges
        if ranges is None:
            return None
        cloud = str(self._account.resource.spec.cloud)
        return await ranges.status_for(cloud, self._resource.spec.region)

    async def _find(self) -> tuple[NetworkConnectivityConfiguration | None, bool]:
        spec = self._resource.spec
        known = self._entry.id or spec.external_id
        if known:
            ncc = await self._runtime.observations.ncc(self._client, known, max_age=0)
            if ncc is None and not self._entry.id:
                raise NotAllowed(
                    f"spec.externalId {known} does not exist in account "
                    f"{self._account.resource.spec.account_id}: fix it, or remove it to create a "
                    "new NCC."
                )
            if ncc is not None and ncc.region != spec.region:
                raise NotAllowed(
                    f"NCC {known} is in region {ncc.region}, but spec.region is {spec.region}."
                )
            return ncc, ncc is not None and known != self._entry.id
        name = self._resource.databricks_name
        matches = [
            n
            for n in await self._client.list_network_connectivity_configurations()
            if n.name == name and n.region == spec.region
        ]
        if len(matches) > 1:
            ids = ", ".join(str(n.network_connectivity_config_id) for n in matches)
            raise Conflict(
                f"{len(matches)} NCCs named {name} exist in {spec.region} ({ids}): set "
                "spec.externalId to the one this resource should manage."
            )
        if not matches:
            return None, False
        found_id = str(matches[0].network_connectivity_config_id)
        holder = _held_by_other(self._entry, found_id, list(self._runtime.world.nccs()))
        if holder is not None:
            raise Conflict(
                f"The Databricks NCC named {name} in {spec.region} ({found_id}) is managed by "
                f"NetworkConnectivityConfig {holder.ref}; this resource does not adopt it. Use "
                "another spec.name, or delete one of the two resources."
            )
        self._runtime.observations.put_ncc(matches[0])
        return matches[0], True

    def _drift(self) -> str | None:
        if not self._entry.id:
            return None
        return f"NCC {self._entry.id} was deleted outside the operator; creating a new one."

    def _observation(
        self,
        ncc: NetworkConnectivityConfiguration,
        adopted: bool,
        workspaces: dict[int, Workspace],
        rules: dict[str, NccPrivateEndpointRule],
        outbound: dict[str, Any] | None,
    ) -> Observation[NccSeen]:
        ncc_id = str(ncc.network_connectivity_config_id)
        attached = sorted(
            w for w, ws in workspaces.items() if ws.network_connectivity_config_id == ncc_id
        )
        to_attach, unattachable, unsynced = self._plan_workspaces(ncc_id, attached, workspaces)
        counts = Counter(
            "DEACTIVATED" if r.deactivated else str(r.connection_state) for r in rules.values()
        )
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
        seen = NccSeen(ncc, tuple(attached), tuple(to_attach), tuple(unattachable))
        return Observation(
            exists=True,
            external_id=ncc_id,
            observed=seen,
            adopted=adopted,
            up_to_date=not to_attach,
            readiness=readiness(seen, summary, observe_only=self._observe_only),
            at_provider=at_provider(ncc, attached, counts, outbound),
            unsynced=unsynced,
        )

    def _plan_workspaces(
        self, ncc_id: str, attached: list[int], workspaces: dict[int, Workspace]
    ) -> tuple[list[int], list[int], tuple[str, str] | None]:
        """Workspaces to attach now, those that cannot be, and why (``workspaceIds`` vs truth)."""
        region = self._resource.spec.region
        wanted = set(self._resource.spec.workspace_ids)
        claimed = self._claimed_by_earlier()
        to_attach: list[int] = []
        notes: list[tuple[str, str]] = []
        for ws_id in sorted(wanted - set(attached)):
            ws = workspaces.get(ws_id)
            ws_region = (ws.location or ws.aws_region) if ws is not None else None
            if ws_id in claimed:
                notes.append(
                    (EventReason.CONFLICT, _CLAIMED.format(ws=ws_id, other=claimed[ws_id]))
                )
            elif ws is None:
                notes.append((EventReason.NOT_ALLOWED, _UNKNOWN_WS.format(ws=ws_id)))
            elif ws_region not in (None, region):
                notes.append(
                    (EventReason.NOT_ALLOWED, _REGION.format(ws=ws_id, have=ws_region, want=region))
                )
            else:
                to_attach.append(ws_id)
        unattachable = sorted(wanted - set(attached) - set(to_attach))
        extra = sorted(set(attached) - wanted)
        if extra:
            listed = ", ".join(map(str, extra))
            notes.append(
                (EventReason.NOT_DETACHABLE, _NOT_DETACHABLE.format(ws=listed, ncc=ncc_id))
            )
        if not notes:
            return to_attach, unattachable, None
        why = (str(notes[0][0]), "; ".join(text for _, text in notes) + ".")
        return to_attach, unattachable, why

    def _claimed_by_earlier(self) -> dict[int, Ref]:
        claimed: dict[int, Ref] = {}
        for other in self._runtime.world.nccs():
            if other.uid == self._entry.uid or other.order > self._entry.order or other.deleting:
                continue
            for ws_id in other.resource.spec.workspace_ids:
                claimed.setdefault(ws_id, other.ref)
        return claimed

    async def create(self) -> Creation:
        spec = self._resource.spec
        try:
            # Names are not unique at Databricks, so a listing that missed an NCC (deleted and
            # listed concurrently, a lagging page) would make a duplicate: list once more.
            found, _ = await self._find()
            if found is not None:
                return self._adopted_at_create(found, await self._outbound_ranges())
            ncc = await self._client.create_network_connectivity_configuration(
                self._resource.databricks_name, spec.region
            )
        except DatabricksError as error:
            raise problem_from(error, doing="creating the NCC") from None
        self._runtime.observations.put_ncc(ncc)
        ncc_id = str(ncc.network_connectivity_config_id)
        waiting = tuple(spec.workspace_ids)
        return Creation(
            external_id=ncc_id,
            at_provider=at_provider(ncc, [], Counter(), await self._outbound_ranges()),
            readiness=readiness(NccSeen(ncc, (), waiting, ()), "none")
            if waiting
            else Readiness(True, "Available", f"NCC {ncc_id} created."),
        )

    def _adopted_at_create(
        self, ncc: NetworkConnectivityConfiguration, outbound: dict[str, Any] | None
    ) -> Creation:
        ncc_id = str(ncc.network_connectivity_config_id)
        return Creation(
            external_id=ncc_id,
            at_provider=at_provider(ncc, [], Counter(), outbound),
            readiness=Readiness(False, EventReason.ATTACHING, f"NCC {ncc_id} adopted."),
            message=f"A second listing found NCC {ncc_id} ({ncc.name}, {ncc.region}) that the "
            "first one missed; adopted it instead of creating a duplicate.",
            adopted=True,
        )

    async def update(self, seen: Observation[NccSeen]) -> Update:
        """Attach the workspaces ``observe`` planned, each on its own: one refusal stops none."""
        assert seen.observed is not None
        ncc_id = str(seen.external_id)
        done: list[int] = []
        failed: list[tuple[int, DatabricksError]] = []
        try:
            for ws_id in seen.observed.to_attach:
                try:
                    await self._client.update_workspace_network_connectivity_config(ws_id, ncc_id)
                except DatabricksError as error:
                    failed.append((ws_id, error))
                else:
                    done.append(ws_id)
        finally:
            self._runtime.observations.forget_workspaces(str(self._account.ref))
        if failed:
            ws_id, first = failed[0]
            attached = f" (attached {', '.join(map(str, done))})" if done else ""
            raise problem_from(first, doing=f"attaching workspace {ws_id}{attached}") from None
        return Update(f"Attached workspace(s) {', '.join(map(str, done))} to NCC {ncc_id}.")

    async def delete(self, seen: Observation[NccSeen]) -> Deletion:
        assert seen.observed is not None
        ncc_id = str(seen.external_id)
        rules = sorted(str(r.ref) for r in self._runtime.world.rules_of(self._entry.ref))
        if rules:
            return Deletion(
                done=False,
                blocked=f"Waiting for {len(rules)} PrivateEndpointRule(s) referencing this NCC to "
                f"be deleted first: {', '.join(rules[:5])}{' …' if len(rules) > 5 else ''}.",
                # Rules usually go within seconds: look again soon, not at the blocked pace.
                retry_after=self._runtime.pace.fast_seconds,
            )
        attached = list(seen.observed.attached)
        if attached:
            return Deletion(done=False, blocked=attached_message(ncc_id, attached))
        try:
            await self._client.delete_network_connectivity_configuration(ncc_id)
        except NotFound:
            pass
        except DatabricksError as error:
            refusal = refusal_message(ncc_id, error)
            if refusal is not None:
                return Deletion(done=False, blocked=refusal, retry_after=refusal_retry(error))
            raise problem_from(error, doing="deleting the NCC") from None
        self._runtime.observations.forget_ncc(ncc_id)
        return Deletion(done=True, message=f"Deleted NCC {ncc_id} at Databricks.")
