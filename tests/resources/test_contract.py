"""The behaviour contract on the write paths no other test walked, against the real emulator.

Each case is a defect a user hit: a listed workspace never attached, a lost create plus an edit
looping on 409, a tenant adopting another tenant's NCC or rule, a list that could not be cleared.
"""

from __future__ import annotations

from typing import Any

import pytest

from ncc_emulator.testing import RunningEmulator
from ncc_operator.databricks import CreatePrivateEndpointRule
from ncc_operator.reconcile import Conflict, InvalidSpec, NotAllowed
from ncc_operator.resources.accounts import AccountPool
from ncc_operator.resources.ncc import connect_ncc
from ncc_operator.resources.rule import connect_rule
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import Ref, account_entry, ncc_entry, rule_entry
from tests.resources.test_adapters import (
    LOOPBACK,
    READY,
    STORAGE,
    FakeWorld,
    Secrets,
    add_ncc,
    body,
    make_world,
    ready_ncc,
    world,
)

__all__ = ["world"]  # the fixture, imported for this module's tests

PLS = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/"
    "Microsoft.Network/privateLinkServices/{}"
)


def put_rule(fake: FakeWorld, name: str, spec: dict[str, Any], **status: Any) -> Any:
    entry = rule_entry(
        body(
            "PrivateEndpointRule",
            name,
            {"nccRef": {"name": "prod", "namespace": "team"}, **spec},
            **status,
        )
    )
    fake.rule_entries[entry.ref] = entry
    return entry


async def test_a_listed_workspace_is_attached_although_others_in_the_list_cannot_be(
    emulator_factory: Any,
) -> None:
    # workspaceIds: [3333 (westus), 9999 (unknown), 1111 (eastus2)] on an eastus2 NCC.
    emulator = emulator_factory(workspaces=[(1111, "eastus2"), (3333, "westus")])
    fake, runtime = make_world(emulator)
    try:
        await ready_ncc(fake, runtime, workspaceIds=[3333, 9999, 1111])
        entry = fake.ncc_entries[Ref("team", "prod")]
        client = await connect_ncc(entry, runtime)
        seen = await client.observe()
        assert seen.readiness is not None
        assert not seen.readiness.ready, "Ready=True only when every listed workspace is attached"
        await client.update(seen)
        after = await (await connect_ncc(entry, runtime)).observe()
        assert after.at_provider["attachedWorkspaceIds"] == [1111]
        assert after.unsynced is not None
        assert "3333" in after.unsynced[1]
        assert "9999" in after.unsynced[1]
        assert after.readiness is not None
        assert after.readiness.reason == "WorkspacesNotAttached"
    finally:
        await runtime.pool.close()


async def test_a_lost_create_plus_a_list_edit_is_adopted_then_updated(
    world: tuple[FakeWorld, Runtime],
) -> None:
    # A Private Link Service rule created with [a], its id lost, the spec changed to [a, b].
    fake, runtime = world
    await ready_ncc(fake, runtime)
    target = {"resourceId": PLS.format("svc")}
    first = put_rule(fake, "pls", {"azure": {**target, "domainNames": ["a.example.com"]}})
    created = await (await connect_rule(first, runtime, forced=False)).create()
    edited = put_rule(
        fake, "pls", {"azure": {**target, "domainNames": ["a.example.com", "b.example.com"]}}
    )
    runtime.observations.forget_ncc(fake.ncc_entries[Ref("team", "prod")].id or "")
    client = await connect_rule(edited, runtime, forced=False)
    seen = await client.observe()
    assert (seen.exists, seen.adopted, seen.external_id) == (True, True, created.external_id)
    assert not seen.up_to_date, "the edited list is applied after adoption"


async def test_a_create_answered_already_exists_adopts_the_rule(
    world: tuple[FakeWorld, Runtime],
) -> None:
    # The create's answer was lost and the snapshot the next pass reads is older than it.
    fake, runtime = world
    await ready_ncc(fake, runtime)
    target = {"resourceId": PLS.format("svc")}
    entry = put_rule(fake, "pls", {"azure": {**target, "domainNames": ["a.example.com"]}})
    stale_ncc = await runtime.observations.ncc(
        (await runtime.pool.client(fake.accounts[Ref("team", "main")])),
        fake.ncc_entries[Ref("team", "prod")].id or "",
        max_age=0,
    )
    created = await (await connect_rule(entry, runtime, forced=False)).create()
    assert stale_ncc is not None
    runtime.observations.put_ncc(stale_ncc)  # the snapshot from before the create
    again = await (await connect_rule(entry, runtime, forced=False)).create()
    assert again.adopted, "409 RESOURCE_ALREADY_EXISTS settles by adoption, never a loop"
    assert again.external_id == created.external_id


async def test_azure_resource_ids_are_one_target_whatever_their_case(
    world: tuple[FakeWorld, Runtime],
) -> None:
    fake, runtime = world
    await ready_ncc(fake, runtime)
    put_rule(fake, "lower", {"azure": {"resourceId": STORAGE.format("data"), "groupId": "blob"}})
    # As the portal and the CLI print ids: the same resource, other casing.
    other_case = STORAGE.format("data").replace("resourceGroups/data", "resourcegroups/DATA")
    upper = put_rule(fake, "upper", {"azure": {"resourceId": other_case, "groupId": "blob"}})
    with pytest.raises(Conflict, match="already manages this target"):
        await connect_rule(upper, runtime, forced=False)


def _synced_false(reason: str, generation: int) -> list[dict[str, Any]]:
    return [
        {"type": "Synced", "status": "False", "reason": reason, "message": "refused",
         "observedGeneration": generation, "lastTransitionTime": "2026-11-28T03:00:00Z"}
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("reason", "generation", "conflicts", "why"),
    [
        (
            "InvalidSpec",
            1,
            False,
            "Databricks refused this very spec: the earlier rule holds nothing",
        ),
        ("NotAllowed", 1, False, "its externalId names no rule: it holds nothing either"),
        ("InvalidSpec", 0, True, "refused at an older generation: its new spec may be valid"),
        ("ReconcileError", 1, True, "a transient failure: it will create again"),
    ],
)
async def test_an_earlier_rule_whose_spec_databricks_refused_holds_no_target(
    world: tuple[FakeWorld, Runtime], reason: str, generation: int, conflicts: bool, why: str
) -> None:
    """The fuzz soak: seven rules for one S3 service with domain names, which Databricks
    refuses; the first said InvalidSpec and the six after it said "Conflict: the first already
    manages this target" — although it managed nothing. They must each hear the refusal. The
    same for rules sharing an externalId that names no rule (NotAllowed, then Conflict)."""
    fake, runtime = world
    await ready_ncc(fake, runtime)
    target = {"azure": {"resourceId": STORAGE.format("data"), "groupId": "blob"}}
    put_rule(fake, "first", target, conditions=_synced_false(reason, generation))
    later = put_rule(fake, "later", target)
    if conflicts:
        with pytest.raises(Conflict, match="team/first already manages"):
            await connect_rule(later, runtime, forced=False)
    else:
        await connect_rule(later, runtime, forced=False)


async def test_rules_sharing_an_external_id_that_names_nothing_both_hear_it(
    world: tuple[FakeWorld, Runtime],
) -> None:
    """Both claim one externalId; the first could not adopt it (NotAllowed): the second is not
    in Conflict with it, it is told the same thing."""
    fake, runtime = world
    await ready_ncc(fake, runtime)
    target = {"azure": {"resourceId": STORAGE.format("data"), "groupId": "blob"}}
    bogus = {"externalId": "00000000-0000-0000-0000-00000000dead"}
    put_rule(fake, "first", {**target, **bogus}, conditions=_synced_false("NotAllowed", 1))
    other = {"azure": {"resourceId": STORAGE.format("other"), "groupId": "blob"}}
    later = put_rule(fake, "later", {**other, **bogus})
    client = await connect_rule(later, runtime, forced=False)
    with pytest.raises(NotAllowed):
        await client.observe()


async def test_external_id_of_another_target_is_refused(
    world: tuple[FakeWorld, Runtime],
) -> None:
    fake, runtime = world
    await ready_ncc(fake, runtime)
    other = put_rule(fake, "a", {"azure": {"resourceId": STORAGE.format("aaa"), "groupId": "blob"}})
    created = await (await connect_rule(other, runtime, forced=False)).create()
    del fake.rule_entries[other.ref]  # an endpoint nobody in the cluster manages any more
    mine = put_rule(
        fake,
        "b",
        {
            "azure": {"resourceId": STORAGE.format("bbb"), "groupId": "blob"},
            "externalId": created.external_id,
        },
    )
    with pytest.raises(NotAllowed, match="adopting it would manage another endpoint"):
        await (await connect_rule(mine, runtime, forced=False)).observe()


def second_tenant(fake: FakeWorld, emulator: RunningEmulator) -> None:
    """Team B: its own DatabricksAccount for the same Databricks account, in namespace b."""
    account = account_entry(
        body(
            "DatabricksAccount",
            "mine",
            {
                "accountId": emulator.account_id,
                "cloud": "azure",
                "host": emulator.base_url,
                "auth": {"oauthM2M": {"secretRef": {"name": "creds"}}},
            },
            ns="b",
            conditions=READY,
        )
    )
    fake.accounts[account.ref] = account


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        pytest.param({}, "same spec.name and region: never adopts A's NCC by name", id="name"),
        pytest.param({"externalId": "A"}, "externalId of A's NCC: never adopted", id="external"),
    ],
)
async def test_another_namespace_cannot_take_an_ncc_over(
    emulator: RunningEmulator, spec: dict[str, Any], why: str
) -> None:
    fake, runtime = make_world(emulator)
    try:
        ncc_id = await ready_ncc(fake, runtime)
        second_tenant(fake, emulator)
        theirs = {"accountRef": {"name": "mine"}, "region": "eastus2", "name": "prod"}
        if "externalId" in spec:
            theirs["externalId"] = ncc_id
        hostile = ncc_entry(body("NetworkConnectivityConfig", "stolen", theirs, ns="b"))
        fake.ncc_entries[hostile.ref] = hostile
        with pytest.raises(Conflict, match="team/prod already manages"):
            await connect_ncc(hostile, runtime)
    finally:
        await runtime.pool.close()


async def test_an_earlier_hostile_ncc_does_not_take_a_recorded_one(
    emulator: RunningEmulator,
) -> None:
    # B's resource is older than A's (creationTimestamp), but A recorded the id: A keeps it.
    fake, runtime = make_world(emulator)
    try:
        await ready_ncc(fake, runtime)
        second_tenant(fake, emulator)
        hostile_body = body(
            "NetworkConnectivityConfig",
            "early",
            {"accountRef": {"name": "mine"}, "region": "eastus2", "name": "prod"},
            ns="b",
        )
        hostile_body["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
        hostile = ncc_entry(hostile_body)
        fake.ncc_entries[hostile.ref] = hostile
        with pytest.raises(Conflict, match="team/prod"):
            await connect_ncc(hostile, runtime)
        owner = fake.ncc_entries[Ref("team", "prod")]
        assert (await (await connect_ncc(owner, runtime)).observe()).exists
    finally:
        await runtime.pool.close()


async def test_clearing_every_domain_name_of_an_aws_rule_is_sent(
    aws_emulator: RunningEmulator,
) -> None:
    # Before: an absent list was mapped to "not managed", so nothing was sent or reported.
    # Now the clear is sent; this emulator refuses an empty list (docs/emulator.md), and the
    # refusal is reported as InvalidSpec naming the field, instead of silent "in sync".
    fake = FakeWorld()
    account = account_entry(
        body(
            "DatabricksAccount",
            "main",
            {
                "accountId": aws_emulator.account_id,
                "cloud": "aws",
                "host": aws_emulator.base_url,
                "auth": {"oauthM2M": {"secretRef": {"name": "creds"}}},
            },
            conditions=READY,
        )
    )
    fake.accounts[account.ref] = account
    pool = AccountPool(
        Secrets({"client-id": aws_emulator.client_id, "client-secret": aws_emulator.client_secret}),
        LOOPBACK,
    )
    runtime = Runtime(world=fake, pool=pool)
    try:
        ncc_id = await ready_ncc(fake, runtime, region="us-east-1")
        service = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
        with_names = {"aws": {"endpointService": service, "domainNames": ["db.internal.example"]}}
        entry = put_rule(fake, "svc", with_names)
        created = await (await connect_rule(entry, runtime, forced=False)).create()
        aws_emulator.admin.approve(created.external_id)
        cleared = put_rule(
            fake, "svc", {"aws": {"endpointService": service}}, id=created.external_id
        )
        runtime.observations.forget_ncc(ncc_id)
        client = await connect_rule(cleared, runtime, forced=False)
        seen = await client.observe()
        assert not seen.up_to_date, "removing every domain name is a change"
        assert seen.observed is not None
        assert seen.observed.mask == ("domain_names",)
        aws_emulator.admin.reset_counts()
        with pytest.raises(InvalidSpec, match="domain_names"):
            await client.update(seen)
        patches = [k for k in aws_emulator.admin.request_counts() if k.startswith("PATCH")]
        assert patches, "the clear was sent to Databricks"
    finally:
        await pool.close()


@pytest.mark.parametrize(
    ("status", "code", "why"),
    [
        pytest.param(400, "INVALID_STATE", "the emulator's default choice", id="400"),
        pytest.param(409, "RESOURCE_CONFLICT", "a conflict code", id="409"),
        pytest.param(412, "FAILED_PRECONDITION", "a precondition code", id="412"),
        pytest.param(400, "BAD_REQUEST", "a generic bad request", id="400-generic"),
    ],
)
async def test_a_refused_ncc_delete_is_recognised_whatever_its_code(
    emulator_factory: Any, status: int, code: str, why: str
) -> None:
    # Databricks documents neither the status nor the code: the operator recognises the
    # refusal by the message fragments Databricks' own Terraform provider matches.
    emulator = emulator_factory(
        ncc_delete_refusal_status=status,
        ncc_delete_refusal_error_code=code,
        delete_consistency_seconds=600,
    )
    fake, runtime = make_world(emulator)
    try:
        ncc_id = await ready_ncc(fake, runtime)
        # A rule made and deleted outside any resource: its deletion is still propagating.
        dbx = await runtime.pool.client(fake.accounts[Ref("team", "main")])
        rule = await dbx.create_private_endpoint_rule(
            ncc_id,
            CreatePrivateEndpointRule(resource_id=STORAGE.format("gone"), group_id="blob"),
        )
        await dbx.delete_private_endpoint_rule(ncc_id, str(rule.rule_id))
        client = await connect_ncc(fake.ncc_entries[Ref("team", "prod")], runtime)
        deletion = await client.delete(await client.observe())
        assert not deletion.done, why
        assert deletion.blocked is not None
        assert "propagate" in deletion.blocked, "the short propagation race, not days"
        assert "days" not in deletion.blocked
        assert deletion.retry_after is not None
        assert deletion.retry_after <= 60
    finally:
        await runtime.pool.close()


async def test_an_ncc_missed_by_one_listing_is_adopted_not_duplicated(
    world: tuple[FakeWorld, Runtime], emulator: RunningEmulator
) -> None:
    # An NCC named like ours exists; the first listing misses it (an item deleted mid-listing
    # shifted a page, a lagging read). The create path lists again before it POSTs.
    fake, runtime = world
    dbx = await runtime.pool.client(fake.accounts[Ref("team", "main")])
    existing = await dbx.create_network_connectivity_configuration("prod", "eastus2")
    entry = add_ncc(fake, "prod")
    client = await connect_ncc(entry, runtime)
    honest = dbx.list_network_connectivity_configurations
    calls = 0

    async def first_listing_misses_it() -> Any:
        nonlocal calls
        calls += 1
        listed = await honest()
        return [] if calls == 1 else listed

    dbx.list_network_connectivity_configurations = first_listing_misses_it  # type: ignore[method-assign]
    seen = await client.observe()
    assert not seen.exists
    created = await client.create()
    assert created.adopted
    assert created.external_id == existing.network_connectivity_config_id
    named = [n for n in await honest() if n.name == "prod"]
    assert len(named) == 1, "no duplicate NCC"
