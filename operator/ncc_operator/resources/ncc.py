"""NetworkConnectivityConfig ↔ a Databricks NCC, and its attachment to workspaces.

Natural key: name + region (names are not unique at Databricks, so more than one match is a
Conflict asking for ``spec.externalId``). Each reconcile does one fresh GET of the NCC, which is
also the snapshot its rules read their state from, and reads the account's workspace list from a
shared cache. Workspaces are attached with a PATCH; Databricks cannot detach one, so a workspace
removed from ``workspaceIds`` is reported (NotDetachable), and one claimed by two NCC resources
goes to the earlier one (the later gets Conflict, so nobody flip-flops it).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ncc_operator.databricks import (
    DatabricksAccountClient,
    DatabricksError,
    InvalidState,
    NetworkConnectivityConfiguration,
    NotFound,
    Workspace,
)
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

from .errors import problem_from
from .runtime import Runtime
from .world import AccountEntry, NccEntry, Ref

ORPHAN_HINT = "or set spec.deletionPolicy: Orphan to release this resource and keep the NCC"
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
    _check_unique_owner(entry, runtime)
    client = await runtime.pool.client(account)
    return NccClient(entry, account, client, runtime)


def _check_unique_owner(entry: NccEntry, runtime: Runtime) -> None:
    """Two resources must never manage one NCC: the earlier one keeps it, the later conflicts.

    Same NCC = same Databricks id (recorded or ``externalId``), or — before any id is known —
    same account, name and region (both would otherwise create or adopt the same NCC).
    """
    mine = entry.resource
    my_key = (
        entry.ref.namespace,
        mine.spec.account_ref.name,
        mine.databricks_name,
        mine.spec.region,
    )
    for other in runtime.world.nccs():
        if other.uid == entry.uid or other.order > entry.order:
            continue
        theirs = other.resource
        their_key = (
            other.ref.namespace,
            theirs.spec.account_ref.name,
            theirs.databricks_name,
            theirs.spec.region,
        )
        if entry.known_ids & other.known_ids or their_key == my_key:
            raise Conflict(
                f"NetworkConnectivityConfig {other.ref} already manages this Databricks NCC "
                f"({mine.databricks_name} in {mine.spec.region}). Only one resource may manage "
                "it: delete one of them or point this one at another NCC."
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

    async def observe(self) -> Observation:
        try:
            ncc, adopted = await self._find()
            if ncc is None:
                return Observation(exists=False, drift=self._drift())
            # One list per account serves all its NCCs within half a resync; our own PATCHes
            # drop it at once (``update``), so only out-of-band changes wait that long.
            workspaces = await self._runtime.observations.workspaces(
                self._client,
                str(self._account.ref),
                max_age=self._runtime.pace.resync_seconds / 2,
            )
        except DatabricksError as error:
            raise problem_from(error, doing="reading the NCC") from None
        return self._observation(ncc, adopted, workspaces)

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
        self._runtime.observations.put_ncc(matches[0])
        return matches[0], True

    def _drift(self) -> str | None:
        if not self._entry.id:
            return None
        return f"NCC {self._entry.id} was deleted outside the operator; creating a new one."

    def _observation(
        self, ncc: NetworkConnectivityConfiguration, adopted: bool, workspaces: dict[int, Workspace]
    ) -> Observation:
        ncc_id = str(ncc.network_connectivity_config_id)
        attached = sorted(
            w for w, ws in workspaces.items() if ws.network_connectivity_config_id == ncc_id
        )
        to_attach, unsynced = self._plan_workspaces(ncc_id, attached, workspaces)
        counts = Counter(
            "DEACTIVATED" if r.deactivated else str(r.connection_state)
            for r in self._runtime.observations.rules_in(ncc).values()
        )
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
        return Observation(
            exists=True,
            external_id=ncc_id,
            adopted=adopted,
            up_to_date=not to_attach,
            readiness=Readiness(
                True,
                "Available",
                f"NCC {ncc_id} ({ncc.name}, {ncc.region}); {len(attached)} workspace(s) attached; "
                f"private endpoint rules: {summary}.",
            ),
            at_provider=_at_provider(ncc, attached, counts),
            unsynced=unsynced,
        )

    def _plan_workspaces(
        self, ncc_id: str, attached: list[int], workspaces: dict[int, Workspace]
    ) -> tuple[list[int], tuple[str, str] | None]:
        """Workspaces to attach now, and why the rest of ``workspaceIds`` cannot be made true."""
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
        extra = sorted(set(attached) - wanted)
        if extra:
            listed = ", ".join(map(str, extra))
            notes.append(
                (EventReason.NOT_DETACHABLE, _NOT_DETACHABLE.format(ws=listed, ncc=ncc_id))
            )
        if not notes:
            return to_attach, None
        return to_attach, (str(notes[0][0]), "; ".join(text for _, text in notes) + ".")

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
            ncc = await self._client.create_network_connectivity_configuration(
                self._resource.databricks_name, spec.region
            )
        except DatabricksError as error:
            raise problem_from(error, doing="creating the NCC") from None
        self._runtime.observations.put_ncc(ncc)
        return Creation(
            external_id=str(ncc.network_connectivity_config_id),
            at_provider=_at_provider(ncc, [], Counter()),
            readiness=Readiness(
                True, "Available", f"NCC {ncc.network_connectivity_config_id} created."
            ),
        )

    async def update(self, seen: Observation) -> Update:
        ncc_id = str(seen.external_id)
        attached: list[int] = list(seen.at_provider.get("attachedWorkspaceIds", []))
        wanted = [w for w in self._resource.spec.workspace_ids if w not in attached]
        claimed = self._claimed_by_earlier()
        done: list[int] = []
        try:
            for ws_id in wanted:
                if ws_id in claimed:
                    continue
                await self._client.update_workspace_network_connectivity_config(ws_id, ncc_id)
                done.append(ws_id)
        except DatabricksError as error:
            raise problem_from(error, doing=f"attaching workspace(s) {wanted}") from None
        finally:
            self._runtime.observations.forget_workspaces(str(self._account.ref))
        return Update(f"Attached workspace(s) {', '.join(map(str, done))} to NCC {ncc_id}.")

    async def delete(self, seen: Observation) -> Deletion:
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
        attached = list(seen.at_provider.get("attachedWorkspaceIds", []))
        if attached:
            return Deletion(done=False, blocked=_attached_message(ncc_id, attached))
        try:
            await self._client.delete_network_connectivity_configuration(ncc_id)
        except NotFound:
            pass
        except InvalidState as error:
            return Deletion(done=False, blocked=_refusal_message(ncc_id, error))
        except DatabricksError as error:
            raise problem_from(error, doing="deleting the NCC") from None
        self._runtime.observations.forget_ncc(ncc_id)
        return Deletion(done=True, message=f"Deleted NCC {ncc_id} at Databricks.")


def _attached_message(ncc_id: str, attached: list[int]) -> str:
    return (
        f"NCC {ncc_id} is attached to workspace(s) {', '.join(map(str, attached))} and Databricks "
        "refuses to delete an attached NCC; it also cannot detach an NCC from a workspace. Attach "
        "those workspaces to another NCC (list them in another NetworkConnectivityConfig's "
        f"spec.workspaceIds), {ORPHAN_HINT}."
    )


def _refusal_message(ncc_id: str, error: DatabricksError) -> str:
    if "private endpoint rules" in error.message:
        return (
            f"Databricks still holds private endpoint rules of NCC {ncc_id} (deleted rules are "
            f"purged 1 to 7 days after deactivation). Deletion is retried until then, "
            f"{ORPHAN_HINT}."
        )
    if "workspaces" in error.message:
        return _attached_message(ncc_id, [])
    return f"Databricks refused to delete NCC {ncc_id}: {error}. Retrying, {ORPHAN_HINT}."


def _at_provider(
    ncc: NetworkConnectivityConfiguration, attached: list[int], counts: Counter[str]
) -> dict[str, Any]:
    defaults = ncc.egress_config.default_rules if ncc.egress_config else None
    egress: dict[str, Any] = {}
    if defaults is not None and defaults.aws_stable_ip_rule is not None:
        egress["awsStableIpCidrBlocks"] = list(defaults.aws_stable_ip_rule.cidr_blocks or [])
    if defaults is not None and defaults.azure_service_endpoint_rule is not None:
        az = defaults.azure_service_endpoint_rule
        egress["azureServiceEndpointSubnets"] = list(az.subnets or [])
        if az.target_region:
            egress["azureTargetRegion"] = az.target_region
        egress["azureTargetServices"] = [str(s) for s in az.target_services or []]
    return {
        "region": ncc.region,
        "egressConfig": egress,
        "attachedWorkspaceIds": attached,
        "ruleCounts": dict(sorted(counts.items())),
    }
