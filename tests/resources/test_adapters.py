"""Adapters against the real emulator, with an in-memory World: no Kubernetes needed.

These pin down the Databricks-facing decisions of each kind (natural keys, shared NCC snapshots,
workspace planning, masks) faster and more precisely than cluster tests can.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from ncc_emulator import endpoints
from ncc_emulator.testing import RunningEmulator
from ncc_operator.reconcile import Conflict, NamespaceNotAllowed, Observation, ReferenceNotReady
from ncc_operator.resources.accounts import AccountPool, PoolOptions
from ncc_operator.resources.hosts import HostPolicy
from ncc_operator.resources.ncc import connect_ncc
from ncc_operator.resources.rule import RuleClient, connect_rule
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import (
    AccountEntry,
    NccEntry,
    PolicyEntry,
    Ref,
    RuleEntry,
    account_entry,
    ncc_entry,
    rule_entry,
)

API = "networking.ncc-operator.io/v1alpha1"
STORAGE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/"
    "Microsoft.Storage/storageAccounts/{}"
)
_uids = itertools.count(1)
LOOPBACK = PoolOptions(hosts=HostPolicy.of(["127.0.0.1"], allow_http=True))
"""The emulator is plain HTTP on loopback: allowed explicitly, as an operator flag would."""


def body(
    kind: str, name: str, spec: dict[str, Any], *, ns: str = "team", **status: Any
) -> dict[str, Any]:
    uid = next(_uids)
    return {
        "apiVersion": API,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"uid-{uid}",
            "generation": 1,
            "creationTimestamp": f"2026-11-28T03:00:{uid:02d}Z",
        },
        "spec": spec,
        "status": status,
    }


READY = [
    {
        "type": "Ready",
        "status": "True",
        "reason": "Available",
        "message": "",
        "lastTransitionTime": "2026-11-28T03:00:00Z",
    }
]


@dataclass
class FakeWorld:
    accounts: dict[Ref, AccountEntry] = field(default_factory=dict)
    ncc_entries: dict[Ref, NccEntry] = field(default_factory=dict)
    rule_entries: dict[Ref, RuleEntry] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    policy_entries: dict[Ref, PolicyEntry] = field(default_factory=dict)

    def account(self, ref: Ref) -> AccountEntry | None:
        return self.accounts.get(ref)

    def ncc(self, ref: Ref) -> NccEntry | None:
        return self.ncc_entries.get(ref)

    def nccs(self) -> Iterable[NccEntry]:
        return list(self.ncc_entries.values())

    def rules(self) -> Iterable[RuleEntry]:
        return list(self.rule_entries.values())

    def rule(self, ref: Ref) -> RuleEntry | None:
        return self.rule_entries.get(ref)

    def rules_of(self, ncc: Ref) -> Iterable[RuleEntry]:
        return [r for r in self.rule_entries.values() if r.ncc == ncc]

    def namespace_labels(self, name: str) -> Mapping[str, str] | None:
        return self.labels.get(name)

    def policies(self) -> Iterable[PolicyEntry]:
        return list(self.policy_entries.values())

    def policy(self, ref: Ref) -> PolicyEntry | None:
        return self.policy_entries.get(ref)


class Secrets:
    def __init__(self, data: dict[str, str]) -> None:
        self.data = data

    async def read(self, namespace: str, name: str) -> Mapping[str, str]:
        return self.data


def make_world(emulator: RunningEmulator, cloud: str = "azure") -> tuple[FakeWorld, Runtime]:
    """A Ready account pointing at ``emulator``, and a runtime whose pool reads fake Secrets."""
    fake = FakeWorld()
    account = account_entry(
        body(
            "DatabricksAccount",
            "main",
            {
                "accountId": emulator.account_id,
                "cloud": cloud,
                "host": emulator.base_url,
                "auth": {"oauthM2M": {"secretRef": {"name": "creds"}}},
            },
            conditions=READY,
        )
    )
    fake.accounts[account.ref] = account
    secrets = Secrets({"client-id": emulator.client_id, "client-secret": emulator.client_secret})
    return fake, Runtime(world=fake, pool=AccountPool(secrets, LOOPBACK))


@pytest.fixture
async def world(emulator: RunningEmulator) -> AsyncIterator[tuple[FakeWorld, Runtime]]:
    fake, runtime = make_world(emulator)
    yield fake, runtime
    await runtime.pool.close()


def add_ncc(fake: FakeWorld, name: str, **spec: Any) -> NccEntry:
    status = spec.pop("status", {})
    entry = ncc_entry(
        body(
            "NetworkConnectivityConfig",
            name,
            {"accountRef": {"name": "main"}, "region": "eastus2", **spec},
            **status,
        )
    )
    fake.ncc_entries[entry.ref] = entry
    return entry


def add_rule(
    fake: FakeWorld, name: str, storage: str, *, ns: str = "team", **status: Any
) -> RuleEntry:
    spec = {
        "nccRef": {"name": "prod", "namespace": "team"},
        "azure": {"resourceId": STORAGE.format(storage), "groupId": "blob"},
    }
    entry = rule_entry(body("PrivateEndpointRule", name, spec, ns=ns, **status))
    fake.rule_entries[entry.ref] = entry
    return entry


async def ready_ncc(fake: FakeWorld, runtime: Runtime, **spec: Any) -> str:
    """Create the NCC through its adapter and record its id the way the engine would."""
    entry = add_ncc(fake, "prod", **spec)
    client = await connect_ncc(entry, runtime)
    created = await client.create()
    add_ncc(fake, "prod", **spec, status={"id": created.external_id, "conditions": READY})
    return created.external_id


async def test_ncc_natural_key_adopts_a_lost_create(world: tuple[FakeWorld, Runtime]) -> None:
    # A create whose answer was lost: the NCC exists at Databricks, the resource has no id.
    fake, runtime = world
    entry = add_ncc(fake, "prod")
    first = await connect_ncc(entry, runtime)
    created = await first.create()
    seen = await (await connect_ncc(entry, runtime)).observe()
    assert (seen.exists, seen.adopted, seen.external_id) == (True, True, created.external_id)


async def test_ncc_with_duplicate_names_asks_for_external_id(
    world: tuple[FakeWorld, Runtime], emulator: RunningEmulator
) -> None:
    fake, runtime = world
    entry = add_ncc(fake, "prod")
    client = await connect_ncc(entry, runtime)
    await client.create()
    # Names are not unique at Databricks: someone else made a second one (console, Terraform).
    dbx = await runtime.pool.client(fake.accounts[Ref("team", "main")])
    await dbx.create_network_connectivity_configuration("prod", "eastus2")
    with pytest.raises(Conflict, match="externalId"):
        await (await connect_ncc(entry, runtime)).observe()


@pytest.mark.parametrize(
    ("workspace_ids", "reason", "to_attach"),
    [
        pytest.param([1111], None, [1111], id="attachable"),
        pytest.param([9999], "NotAllowed", [], id="unknown-workspace"),
        pytest.param([3333], "NotAllowed", [], id="other-region"),
    ],
)
async def test_ncc_workspace_plan(
    emulator_factory: Any,
    workspace_ids: list[int],
    reason: str | None,
    to_attach: list[int],
) -> None:
    emulator = emulator_factory(workspaces=[(1111, "eastus2"), (3333, "westus")])
    fake, runtime = make_world(emulator)
    try:
        ncc_id = await ready_ncc(fake, runtime, workspaceIds=workspace_ids)
        client = await connect_ncc(fake.ncc_entries[Ref("team", "prod")], runtime)
        seen = await client.observe()
        assert seen.external_id == ncc_id
        assert seen.up_to_date is (not to_attach)
        assert (seen.unsynced[0] if seen.unsynced else None) == reason
        if to_attach:
            await client.update(seen)
            again = await (
                await connect_ncc(fake.ncc_entries[Ref("team", "prod")], runtime)
            ).observe()
            assert again.at_provider["attachedWorkspaceIds"] == to_attach
            assert again.up_to_date
    finally:
        await runtime.pool.close()


async def test_rules_share_one_ncc_read(
    world: tuple[FakeWorld, Runtime], emulator: RunningEmulator
) -> None:
    # Observing many rules costs one GET of their NCC, not one GET per rule.
    fake, runtime = world
    await ready_ncc(fake, runtime)
    clients: list[RuleClient] = []
    for i in range(5):
        entry = add_rule(fake, f"r{i}", f"acct{i}")
        client = await connect_rule(entry, runtime, forced=False)
        created = await client.create()
        add_rule(
            fake,
            f"r{i}",
            f"acct{i}",
            id=created.external_id,
            atProvider={"connectionState": "ESTABLISHED"},
        )
    emulator.admin.reset_counts()
    runtime.observations.forget_ncc(fake.ncc_entries[Ref("team", "prod")].id or "")
    for entry in fake.rule_entries.values():
        clients.append(await connect_rule(entry, runtime, forced=False))
    seen: list[Observation] = [await c.observe() for c in clients]
    assert all(s.exists for s in seen)
    counts = emulator.admin.request_counts()
    ncc_gets = counts.get(endpoints.GET_NCC.key, 0)
    rule_gets = sum(
        n for k, n in counts.items() if k.startswith("GET") and "private-endpoint-rules" in k
    )
    assert (ncc_gets, rule_gets) == (1, 0), counts


async def test_a_new_snapshot_wakes_the_rules_whose_state_it_changed(
    world: tuple[FakeWorld, Runtime], emulator: RunningEmulator
) -> None:
    """The first pass to read a new NCC snapshot wakes every sibling whose state there differs
    from its status (and only those, once per snapshot): each rule learns of its approval from
    the first snapshot that shows it, not at its own next poll."""
    fake, runtime = world
    woken: list[str] = []
    runtime.wake = woken.append
    await ready_ncc(fake, runtime)
    entries: dict[str, RuleEntry] = {}
    for name in ("reader", "approved", "still-pending"):
        entry = add_rule(fake, name, name.replace("-", ""))
        created = await (await connect_rule(entry, runtime, forced=False)).create()
        entries[name] = add_rule(
            fake,
            name,
            name.replace("-", ""),
            id=created.external_id,
            atProvider={"connectionState": "PENDING"},
        )
    emulator.admin.approve(entries["approved"].id or "")
    emulator.admin.approve(entries["reader"].id or "")
    runtime.observations.forget_ncc(fake.ncc_entries[Ref("team", "prod")].id or "")

    reader = await connect_rule(entries["reader"], runtime, forced=False)
    seen = await reader.observe()
    assert seen.at_provider["connectionState"] == "ESTABLISHED", "the reader acts on it itself"
    assert woken == [entries["approved"].uid], "only the changed sibling, not the reader itself"
    await (await connect_rule(entries["still-pending"], runtime, forced=False)).observe()
    assert woken == [entries["approved"].uid], "the same snapshot wakes nobody twice"


async def test_rule_found_by_natural_key_after_lost_create(
    world: tuple[FakeWorld, Runtime],
) -> None:
    fake, runtime = world
    await ready_ncc(fake, runtime)
    entry = add_rule(fake, "blob", "data")
    created = await (await connect_rule(entry, runtime, forced=False)).create()
    runtime.observations.forget_ncc(fake.ncc_entries[Ref("team", "prod")].id or "")
    seen = await (await connect_rule(entry, runtime, forced=False)).observe()
    assert (seen.exists, seen.adopted, seen.external_id) == (True, True, created.external_id)


async def test_rule_deactivated_out_of_band_is_drift(
    world: tuple[FakeWorld, Runtime], emulator: RunningEmulator
) -> None:
    fake, runtime = world
    await ready_ncc(fake, runtime)
    client = await connect_rule(add_rule(fake, "blob", "data"), runtime, forced=False)
    created = await client.create()
    emulator.admin.approve(created.external_id)
    entry = add_rule(fake, "blob", "data", id=created.external_id)
    await client.delete(Observation(exists=True, external_id=created.external_id))
    seen = await (await connect_rule(entry, runtime, forced=False)).observe()
    assert not seen.exists
    assert seen.drift is not None
    assert "deactivated" in seen.drift


async def test_rule_from_a_namespace_the_ncc_does_not_admit(
    world: tuple[FakeWorld, Runtime],
) -> None:
    fake, runtime = world
    await ready_ncc(fake, runtime)
    entry = add_rule(fake, "blob", "data", ns="other")
    with pytest.raises(NamespaceNotAllowed, match="does not admit rules from namespace other"):
        await connect_rule(entry, runtime, forced=False)


async def test_rule_waits_for_its_ncc_id(world: tuple[FakeWorld, Runtime]) -> None:
    fake, runtime = world
    add_ncc(fake, "prod")
    with pytest.raises(ReferenceNotReady, match="no Databricks id yet"):
        await connect_rule(add_rule(fake, "blob", "data"), runtime, forced=False)


async def test_second_rule_for_the_same_target_conflicts(world: tuple[FakeWorld, Runtime]) -> None:
    fake, runtime = world
    await ready_ncc(fake, runtime)
    add_rule(fake, "first", "data")
    later = add_rule(fake, "second", "data")
    with pytest.raises(Conflict, match="team/first already manages"):
        await connect_rule(later, runtime, forced=False)


async def test_forced_retry_replaces_a_rejected_rule(
    world: tuple[FakeWorld, Runtime], emulator: RunningEmulator
) -> None:
    fake, runtime = world
    await ready_ncc(fake, runtime)
    created = await (
        await connect_rule(add_rule(fake, "blob", "data"), runtime, forced=False)
    ).create()
    emulator.admin.reject(created.external_id)
    entry = add_rule(fake, "blob", "data", id=created.external_id)
    runtime.observations.forget_ncc(fake.ncc_entries[Ref("team", "prod")].id or "")
    unforced = await (await connect_rule(entry, runtime, forced=False)).observe()
    assert unforced.exists
    assert unforced.readiness is not None
    assert unforced.readiness.reason == "Rejected"
    forced = await connect_rule(entry, runtime, forced=True)
    seen = await forced.observe()
    assert not seen.exists
    replacement = await forced.create()
    assert replacement.external_id != created.external_id
