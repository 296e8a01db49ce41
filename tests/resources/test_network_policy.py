"""The NetworkPolicy adapter against the emulator, below the engine: the decisions the cluster
tests (``tests/cluster/test_network_policies.py``) cannot stage — a server that reorders lists,
a create racing with another writer, claims between resources — each case with its reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from ncc_emulator.testing import RunningEmulator
from ncc_operator.databricks import AccountNetworkPolicy
from ncc_operator.models.network_policy import normalised_access
from ncc_operator.reconcile import Conflict
from ncc_operator.resources.network_policy import connect_policy
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import PolicyEntry, policy_entry
from tests.resources.test_adapters import READY, FakeWorld, body, make_world

EGRESS = {
    "restrictionMode": "RESTRICTED_ACCESS",
    "allowedInternetDestinations": ["pypi.org", "files.pythonhosted.org"],
}


def add_policy(fake: FakeWorld, name: str, *, uid: int = 1, **spec: Any) -> PolicyEntry:
    status = spec.pop("status", {})
    entry = policy_entry(
        {
            **body(
                "NetworkPolicy",
                name,
                {"accountRef": {"name": "main"}, "egress": EGRESS, **spec},
                **status,
            ),
        }
    )
    entry = policy_entry(
        {
            **entry.body,
            "metadata": {
                **entry.body["metadata"],
                "uid": f"uid-p{uid}",
                "creationTimestamp": f"2026-11-28T04:00:{uid:02d}Z",
            },
        }
    )
    fake.policy_entries[entry.ref] = entry
    return entry


@pytest.fixture
async def world(emulator_factory: Any) -> Any:
    emulator: RunningEmulator = emulator_factory(workspaces=[(1111, "eastus2"), (2222, "eastus2")])
    fake, runtime = make_world(emulator)
    yield fake, runtime
    await runtime.pool.close()


async def test_a_server_that_reorders_lists_is_up_to_date(world: tuple[FakeWorld, Runtime]) -> None:
    # Whether Databricks keeps list order is unconfirmed (docs/serverless-egress.md §1.3): a
    # policy holding the same destinations in another order must not be PUT on every pass.
    fake, runtime = world
    entry = add_policy(fake, "p")
    client = await connect_policy(entry, runtime)
    await client.create()
    db = await runtime.pool.client(fake.accounts[next(iter(fake.accounts))])
    held = await db.get_network_policy("p")
    access = dict(held.network_access or {})
    access["allowed_internet_destinations"] = list(
        reversed(access["allowed_internet_destinations"])
    )
    await db.replace_network_policy("p", held.with_network_access(access))
    entry = add_policy(fake, "p", status={"id": "p", "conditions": READY})
    seen = await (await connect_policy(entry, runtime)).observe()
    assert seen.exists
    assert seen.up_to_date, "same set of destinations in another order: nothing to send"
    assert not seen.adopted, "found by its recorded id"


async def test_a_create_racing_another_writer_adopts(world: tuple[FakeWorld, Runtime]) -> None:
    # Someone (or an earlier create whose answer was lost) made the policy after observe found
    # nothing: the 409 answer is settled by reading it by id, never by a second policy.
    fake, runtime = world
    entry = add_policy(fake, "raced")
    client = await connect_policy(entry, runtime)
    db = await runtime.pool.client(fake.accounts[next(iter(fake.accounts))])
    await db.create_network_policy(
        AccountNetworkPolicy(
            network_policy_id="raced",
            egress={"network_access": {"restriction_mode": "FULL_ACCESS"}},
        )
    )
    created = await client.create()
    assert created.adopted
    assert created.external_id == "raced"
    assert created.readiness is not None
    assert not created.readiness.ready, "adopted as it was: the next pass applies the spec"


async def test_the_earlier_resource_for_an_id_holds_it(world: tuple[FakeWorld, Runtime]) -> None:
    fake, runtime = world
    add_policy(fake, "a", uid=1, networkPolicyId="shared")
    later = add_policy(fake, "b", uid=2, networkPolicyId="shared")
    with pytest.raises(Conflict, match="already manages"):
        await connect_policy(later, runtime)


async def test_a_workspace_a_later_resource_claims_is_not_released(
    world: tuple[FakeWorld, Runtime],
) -> None:
    # Moving a workspace from policy a to b: a must not send it to default-policy first (its
    # egress would fall back to the account default in between); b binds it.
    fake, runtime = world
    first = add_policy(fake, "a", uid=1, workspaceIds=[1111])
    await (await connect_policy(first, runtime)).create()
    db = await runtime.pool.client(fake.accounts[next(iter(fake.accounts))])
    await db.update_workspace_network_option(1111, "a")
    add_policy(fake, "b", uid=2, workspaceIds=[1111])
    first = add_policy(
        fake,
        "a",
        uid=1,
        workspaceIds=[],
        status={"id": "a", "atProvider": {"boundWorkspaceIds": [1111]}},
    )
    seen = await (await connect_policy(first, runtime)).observe()
    assert seen.observed is not None
    assert seen.observed.bound == (1111,)
    assert seen.observed.to_release == (), "b claims it now and binds it itself"
    alone = add_policy(
        fake,
        "a",
        uid=1,
        workspaceIds=[],
        status={"id": "a", "atProvider": {"boundWorkspaceIds": [1111]}},
    )
    del fake.policy_entries[next(r for r in fake.policy_entries if r.name == "b")]
    seen = await (await connect_policy(alone, runtime)).observe()
    assert seen.observed is not None
    assert seen.observed.to_release == (1111,), "nobody else claims it: back to the default"


@pytest.mark.parametrize(
    ("server", "spec", "equal"),
    [
        pytest.param(
            {"restriction_mode": "FULL_ACCESS"},
            {
                "restriction_mode": "FULL_ACCESS",
                "policy_enforcement": {"enforcement_mode": "ENFORCED"},
            },
            True,
            id="absent-enforcement-is-enforced",
        ),
        pytest.param(
            {"restriction_mode": "FULL_ACCESS", "blocked_internet_destinations": []},
            {"restriction_mode": "FULL_ACCESS"},
            True,
            id="empty-list-is-absent",
        ),
        pytest.param(
            {
                "restriction_mode": "RESTRICTED_ACCESS",
                "policy_enforcement": {"enforcement_mode": "DRY_RUN"},
            },
            {"restriction_mode": "RESTRICTED_ACCESS"},
            False,
            id="dry-run-differs-from-enforced",
        ),
        pytest.param(
            {
                "restriction_mode": "RESTRICTED_ACCESS",
                "allowed_databricks_destinations": [{"workspace_ids": [2, 1]}],
            },
            {
                "restriction_mode": "RESTRICTED_ACCESS",
                "allowed_databricks_destinations": [{"workspace_ids": [1]}, {"workspace_ids": [2]}],
            },
            True,
            id="databricks-destinations-as-one-set",
        ),
    ],
)
def test_normalised_access(server: Any, spec: Any, equal: bool) -> None:
    # Each id is the reason: how Databricks may render an equal policy (docs/serverless-egress.md
    # §1.3, the choices under "Unconfirmed"), or a difference that must be sent.
    assert (normalised_access(server) == normalised_access(spec)) is equal
