"""The write paths as tables: ``NccClient.update``/``delete`` and ``RuleClient.update``.

Each row sets Databricks (the emulator, in-process) up, observes as the engine would, optionally
changes something between the observe and the write (what Databricks would see from another
writer, or a fault), then calls the write and checks both sides: what the adapter returned (the
``Update``/``Deletion`` the engine reports, or the problem it raises) and what Databricks holds
afterwards, with the number of write calls that reached it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from ncc_emulator.endpoints import DELETE_NCC, PATCH_RULE, PATCH_WORKSPACE
from ncc_emulator.testing import RunningEmulator
from ncc_operator.databricks import CreatePrivateEndpointRule, DatabricksAccountClient
from ncc_operator.reconcile import InvalidSpec, Observation, Problem, Transient
from ncc_operator.resources.accounts import AccountPool
from ncc_operator.resources.ncc import connect_ncc
from ncc_operator.resources.rule import connect_rule
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import Ref
from tests.emulator_fixtures import EmulatorFactory
from tests.resources.test_adapters import (
    READY,
    STORAGE,
    FakeWorld,
    add_ncc,
    add_rule,
    make_world,
    ready_ncc,
)
from tests.resources.test_contract import PLS, put_rule

WORKSPACES = [(1111, "eastus2"), (2222, "eastus2"), (3333, "westus")]
# A 5xx the client does not re-send (retry.py: only 500/502/503/504 are): one attempt, at once.
UNRETRIED_5XX = {"rate_5xx": 1.0, "status_5xx": 501}
S3 = "com.amazonaws.us-east-1.s3"
SERVICE = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"


@dataclass
class Ctx:
    emulator: RunningEmulator
    fake: FakeWorld
    runtime: Runtime
    dbx: DatabricksAccountClient
    ncc_id: str = ""

    def held_nccs(self) -> set[str]:
        return {str(n["network_connectivity_config_id"]) for n in self.state("nccs")}

    def attached(self) -> set[int]:
        return {
            int(w["workspace_id"])
            for w in self.state("workspaces")
            if w["network_connectivity_config_id"] == self.ncc_id
        }

    def rule(self, rule_id: str) -> dict[str, Any]:
        return next(r for r in self.state("rules") if r["rule_id"] == rule_id)

    def state(self, key: str) -> list[dict[str, Any]]:
        return list(self.emulator.admin.state()[key])

    def writes(self, route_key: str) -> int:
        return self.emulator.admin.request_counts().get(route_key, 0)


@pytest.fixture
async def make_ctx(
    emulator_factory: EmulatorFactory,
) -> AsyncIterator[Callable[..., Awaitable[Ctx]]]:
    """``await make_ctx(cloud)``: an emulator with :data:`WORKSPACES`, a Ready account on it, and
    a Databricks client of that account (to act as another writer would)."""
    pools: list[AccountPool] = []

    async def make(cloud: str = "azure", **config: Any) -> Ctx:
        workspaces = WORKSPACES if cloud == "azure" else []
        emulator = emulator_factory(cloud, workspaces=workspaces, **config)
        fake, runtime = make_world(emulator, cloud)
        pools.append(runtime.pool)
        account = next(iter(fake.accounts.values()))
        return Ctx(emulator, fake, runtime, await runtime.pool.client(account))

    yield make
    for pool in pools:
        await pool.close()


Hook = Callable[[Ctx], Awaitable[None]]


async def nothing(ctx: Ctx) -> None:
    return None


def faults(**config: Any) -> Hook:
    async def hook(ctx: Ctx) -> None:
        ctx.emulator.admin.set_faults(**config)

    return hook


# -- NccClient.update: attach the planned workspaces, each on its own ---------------------------


@dataclass(frozen=True)
class AttachRow:
    listed: tuple[int, ...]
    attached: tuple[int, ...]
    """Workspaces attached to the NCC at Databricks afterwards."""
    patches: int
    """Workspace PATCHes that reached Databricks."""
    why: str
    message: str | None = None
    """The Update's message (``{ncc}``: the NCC's id)."""
    problem: type[Problem] | None = None
    match: str = ""
    before: tuple[int, ...] = ()
    """Attached by an earlier pass, before this observe."""
    plan: tuple[int, ...] | None = None
    """The plan ``update`` is handed, when not observe's own (state moved on after it)."""
    between: Hook = nothing


ATTACH_ROWS = {
    "one": AttachRow(
        listed=(1111,),
        attached=(1111,),
        patches=1,
        message="Attached workspace(s) 1111 to NCC {ncc}.",
        why="the listed workspace is attached",
    ),
    "two": AttachRow(
        listed=(1111, 2222),
        attached=(1111, 2222),
        patches=2,
        message="Attached workspace(s) 1111, 2222 to NCC {ncc}.",
        why="one PATCH per workspace, all of the plan",
    ),
    "only-the-missing-one": AttachRow(
        listed=(1111, 2222),
        before=(1111,),
        attached=(1111, 2222),
        patches=1,
        message="Attached workspace(s) 2222 to NCC {ncc}.",
        why="an attached workspace is not PATCHed again",
    ),
    "unattachable-never-sent": AttachRow(
        listed=(3333, 1111),
        attached=(1111,),
        patches=1,
        message="Attached workspace(s) 1111 to NCC {ncc}.",
        why="a workspace in another region is reported by observe, never sent",
    ),
    "one-refusal-stops-none": AttachRow(
        listed=(1111,),
        plan=(3333, 1111),
        attached=(1111,),
        patches=2,
        problem=InvalidSpec,
        match=r"attaching workspace 3333 \(attached 1111\) failed: .*INVALID_PARAMETER_VALUE.*"
        r"is in region eastus2 but workspace 3333 is in region westus",
        why="Databricks refuses the first; the second is still attached, the refusal reported",
    ),
    "refusal-after-success-says-what-was-done": AttachRow(
        listed=(1111,),
        plan=(1111, 9999),
        attached=(1111,),
        patches=2,
        problem=InvalidSpec,
        match=r"attaching workspace 9999 \(attached 1111\) failed: .*does not exist",
        why="the message names the workspaces that were attached before the failure",
    ),
    "server-error": AttachRow(
        listed=(1111,),
        attached=(),
        patches=1,
        between=faults(**UNRETRIED_5XX),
        problem=Transient,
        match=r"attaching workspace 1111 failed: .*HTTP 501\)\. Retrying\.",
        why="a 5xx is retried later; nothing is attached",
    ),
}


@pytest.mark.parametrize("row", [pytest.param(r, id=n) for n, r in ATTACH_ROWS.items()])
async def test_ncc_update(make_ctx: Callable[..., Awaitable[Ctx]], row: AttachRow) -> None:
    ctx = await make_ctx()
    ctx.ncc_id = await ready_ncc(ctx.fake, ctx.runtime, workspaceIds=list(row.before))
    for ws in row.before:
        await ctx.dbx.update_workspace_network_connectivity_config(ws, ctx.ncc_id)
    entry = add_ncc(
        ctx.fake,
        "prod",
        workspaceIds=list(row.listed),
        status={"id": ctx.ncc_id, "conditions": READY},
    )
    client = await connect_ncc(entry, ctx.runtime)
    seen = await client.observe()
    assert seen.observed is not None
    if row.plan is not None:
        seen = dataclasses.replace(
            seen, observed=dataclasses.replace(seen.observed, to_attach=row.plan)
        )
    await row.between(ctx)
    ctx.emulator.admin.reset_counts()
    if row.problem is None:
        update = await client.update(seen)
        assert update.message == (row.message or "").format(ncc=ctx.ncc_id), row.why
    else:
        with pytest.raises(row.problem, match=row.match):
            await client.update(seen)
    patches = ctx.writes(PATCH_WORKSPACE.key)
    ctx.emulator.admin.clear_faults()
    assert (ctx.attached(), patches) == (set(row.attached), row.patches), row.why
    # The next observe sees the attachments at once (the workspace list is not served stale).
    again = await (await connect_ncc(entry, ctx.runtime)).observe()
    assert again.at_provider["attachedWorkspaceIds"] == sorted(row.attached), row.why


# -- NccClient.delete ----------------------------------------------------------------------------


async def a_rule_resource(ctx: Ctx) -> None:
    add_rule(ctx.fake, "blob", "data")


async def six_rule_resources(ctx: Ctx) -> None:
    for i in range(6):
        add_rule(ctx.fake, f"r{i}", f"data{i}")


async def attach_1111(ctx: Ctx) -> None:
    await ctx.dbx.update_workspace_network_connectivity_config(1111, ctx.ncc_id)


async def delete_it_elsewhere(ctx: Ctx) -> None:
    await ctx.dbx.delete_network_connectivity_configuration(ctx.ncc_id)


async def a_rule_at_databricks(ctx: Ctx) -> None:
    # Made outside any resource (console, Terraform): no resource of ours waits on it.
    await ctx.dbx.create_private_endpoint_rule(
        ctx.ncc_id, CreatePrivateEndpointRule(resource_id=STORAGE.format("other"), group_id="blob")
    )


@dataclass(frozen=True)
class DeleteRow:
    done: bool
    held: bool
    """The NCC still exists at Databricks afterwards."""
    deletes: int
    """NCC DELETEs that reached Databricks."""
    text: str
    """The Deletion's message (done) or ``blocked`` (not done), ``{ncc}``: the NCC's id; or the
    problem's message pattern."""
    why: str
    retry_after: float | None = None
    problem: type[Problem] | None = None
    arrange: Hook = nothing
    """Before the observe."""
    between: Hook = nothing
    """After the observe, before the delete."""


DELETE_ROWS = {
    "deleted": DeleteRow(
        done=True,
        held=False,
        deletes=1,
        text="Deleted NCC {ncc} at Databricks.",
        why="nothing depends on it: deleted, finalizer may go",
    ),
    "rules-first": DeleteRow(
        arrange=a_rule_resource,
        done=False,
        held=True,
        deletes=0,
        text="Waiting for 1 PrivateEndpointRule(s) referencing this NCC to be deleted first: "
        "team/blob.",
        retry_after=10.0,
        why="a rule resource still refers to it: wait at the fast pace, send nothing",
    ),
    "many-rules-listed-briefly": DeleteRow(
        arrange=six_rule_resources,
        done=False,
        held=True,
        deletes=0,
        text="Waiting for 6 PrivateEndpointRule(s) referencing this NCC to be deleted first: "
        "team/r0, team/r1, team/r2, team/r3, team/r4 ….",
        retry_after=10.0,
        why="the message names five and says there are more",
    ),
    "attached": DeleteRow(
        arrange=attach_1111,
        done=False,
        held=True,
        deletes=0,
        text="NCC {ncc} is attached to workspace(s) 1111 and Databricks refuses to delete an "
        "attached NCC",
        why="observe saw an attached workspace: Databricks would refuse, nothing is sent",
    ),
    "attached-after-observe": DeleteRow(
        between=attach_1111,
        done=False,
        held=True,
        deletes=1,
        text="NCC {ncc} is attached to workspace(s) 1111 and Databricks refuses",
        why="Databricks' refusal names the workspace; the message is the same as if seen",
    ),
    "rule-outside-any-resource": DeleteRow(
        arrange=a_rule_at_databricks,
        done=False,
        held=True,
        deletes=1,
        text="Databricks still counts private endpoint rules of NCC {ncc}",
        retry_after=30.0,
        why="a refusal for rules is a short wait, retried every 30 s",
    ),
    "already-gone": DeleteRow(
        between=delete_it_elsewhere,
        done=True,
        held=False,
        deletes=1,
        text="Deleted NCC {ncc} at Databricks.",
        why="a 404 on delete is success: the finalizer may go",
    ),
    "server-error": DeleteRow(
        between=faults(**UNRETRIED_5XX),
        done=False,
        held=True,
        deletes=1,
        problem=Transient,
        text=r"deleting the NCC failed: .*HTTP 501\)\. Retrying\.",
        why="a 5xx is retried later; the NCC stays",
    ),
}


@pytest.mark.parametrize("row", [pytest.param(r, id=n) for n, r in DELETE_ROWS.items()])
async def test_ncc_delete(make_ctx: Callable[..., Awaitable[Ctx]], row: DeleteRow) -> None:
    ctx = await make_ctx()
    ctx.ncc_id = await ready_ncc(ctx.fake, ctx.runtime)
    await row.arrange(ctx)
    client = await connect_ncc(ctx.fake.ncc_entries[Ref("team", "prod")], ctx.runtime)
    seen = await client.observe()
    await row.between(ctx)
    ctx.emulator.admin.reset_counts()
    if row.problem is not None:
        with pytest.raises(row.problem, match=row.text):
            await client.delete(seen)
    else:
        deletion = await client.delete(seen)
        text = deletion.message if row.done else deletion.blocked
        assert deletion.done is row.done, row.why
        assert text is not None
        assert text.startswith(row.text.format(ncc=ctx.ncc_id)), (text, row.why)
        assert deletion.retry_after == row.retry_after, row.why
    deletes = ctx.writes(DELETE_NCC.key)
    ctx.emulator.admin.clear_faults()
    assert (ctx.ncc_id in ctx.held_nccs(), deletes) == (row.held, row.deletes), row.why


# -- RuleClient.update: PATCH the mask observe computed ----------------------------------------


async def deactivate(ctx: Ctx) -> None:
    rule = next(r for r in ctx.state("rules") if not r["deactivated"])
    await ctx.dbx.delete_private_endpoint_rule(ctx.ncc_id, str(rule["rule_id"]))


@dataclass(frozen=True)
class RuleRow:
    cloud: str
    before: dict[str, Any]
    after: dict[str, Any]
    """The rule's target before and after the edit (``azure`` or ``aws`` of the spec)."""
    mask: tuple[str, ...]
    """What observe decided to PATCH."""
    holds: dict[str, Any]
    """Fields of the rule as Databricks holds it afterwards."""
    patches: int
    why: str
    problem: type[Problem] | None = None
    match: str = ""
    approve: bool = False
    """Approve it as the target's owner (S3 rules need no approval: ESTABLISHED, disabled)."""
    emulator: dict[str, Any] = field(default_factory=dict)
    between: Hook = nothing


RULE_ROWS = {
    "azure-domain-names": RuleRow(
        cloud="azure",
        before={"resourceId": PLS.format("svc"), "domainNames": ["a.internal.example"]},
        after={
            "resourceId": PLS.format("svc"),
            "domainNames": ["a.internal.example", "b.internal.example"],
        },
        mask=("domain_names",),
        holds={"domain_names": ["a.internal.example", "b.internal.example"]},
        patches=1,
        approve=True,
        why="an Azure Private Link service rule's domain names are updatable",
    ),
    "aws-domain-names": RuleRow(
        cloud="aws",
        before={"endpointService": SERVICE, "domainNames": ["a.internal.example"]},
        after={"endpointService": SERVICE, "domainNames": ["c.internal.example"]},
        mask=("domain_names",),
        holds={"domain_names": ["c.internal.example"]},
        patches=1,
        why="a replaced list is sent whole",
    ),
    "s3-buckets": RuleRow(
        cloud="aws",
        before={"endpointService": S3, "resourceNames": ["bucket-a"]},
        after={"endpointService": S3, "resourceNames": ["bucket-a", "bucket-b"]},
        mask=("resource_names",),
        holds={"resource_names": ["bucket-a", "bucket-b"], "enabled": False},
        patches=1,
        why="S3 bucket names are updatable; enabled is untouched",
    ),
    "s3-enable": RuleRow(
        cloud="aws",
        before={"endpointService": S3, "resourceNames": ["bucket-a"]},
        after={"endpointService": S3, "resourceNames": ["bucket-a"], "enabled": True},
        mask=("enabled",),
        holds={"resource_names": ["bucket-a"], "enabled": True},
        patches=1,
        why="enabled is sent once the rule is ESTABLISHED (S3 establishes disabled)",
    ),
    "s3-not-yet-established": RuleRow(
        cloud="aws",
        emulator={"creating_seconds": 600},
        before={"endpointService": S3, "resourceNames": ["bucket-a"]},
        after={"endpointService": S3, "resourceNames": ["bucket-b"], "enabled": True},
        mask=("resource_names",),
        holds={"resource_names": ["bucket-b"], "enabled": False},
        patches=1,
        why="while PENDING, the buckets are sent and enabled waits (Databricks refuses it)",
    ),
    "aws-clear-refused": RuleRow(
        cloud="aws",
        before={"endpointService": SERVICE, "domainNames": ["a.internal.example"]},
        after={"endpointService": SERVICE},
        mask=("domain_names",),
        holds={"domain_names": ["a.internal.example"]},
        patches=1,
        problem=InvalidSpec,
        match=r"updating the rule failed: .*domain_names.*Fix the spec",
        why="Databricks refuses the clear: reported as the spec's fault, the list is unchanged",
    ),
    "deactivated-after-observe": RuleRow(
        cloud="azure",
        before={"resourceId": PLS.format("svc"), "domainNames": ["a.internal.example"]},
        after={"resourceId": PLS.format("svc"), "domainNames": ["b.internal.example"]},
        mask=("domain_names",),
        holds={"domain_names": ["a.internal.example"], "deactivated": True},
        patches=1,
        approve=True,
        between=deactivate,
        problem=Transient,
        match=r"updating the rule failed: .*INVALID_STATE.*Retrying\.",
        why="deleted by someone else meanwhile: retried (the next observe sees the drift)",
    ),
    "server-error": RuleRow(
        cloud="aws",
        before={"endpointService": S3, "resourceNames": ["bucket-a"]},
        after={"endpointService": S3, "resourceNames": ["bucket-b"]},
        mask=("resource_names",),
        holds={"resource_names": ["bucket-a"]},
        patches=1,
        between=faults(**UNRETRIED_5XX),
        problem=Transient,
        match=r"updating the rule failed: .*HTTP 501\)\. Retrying\.",
        why="a 5xx is retried later; Databricks keeps the old list",
    ),
}


@pytest.mark.parametrize("row", [pytest.param(r, id=n) for n, r in RULE_ROWS.items()])
async def test_rule_update(make_ctx: Callable[..., Awaitable[Ctx]], row: RuleRow) -> None:
    ctx = await make_ctx(row.cloud, **row.emulator)
    region = "eastus2" if row.cloud == "azure" else "us-east-1"
    ctx.ncc_id = await ready_ncc(ctx.fake, ctx.runtime, region=region)
    first = put_rule(ctx.fake, "rule", {row.cloud: row.before})
    created = await (await connect_rule(first, ctx.runtime, forced=False)).create()
    rule_id = created.external_id
    if row.approve:
        ctx.emulator.admin.approve(rule_id)
    edited = put_rule(ctx.fake, "rule", {row.cloud: row.after}, id=rule_id)
    ctx.runtime.observations.forget_ncc(ctx.ncc_id)
    client = await connect_rule(edited, ctx.runtime, forced=False)
    seen: Observation[Any] = await client.observe()
    assert seen.observed is not None
    assert (seen.up_to_date, seen.observed.mask) == (False, row.mask), row.why
    await row.between(ctx)
    ctx.emulator.admin.reset_counts()
    if row.problem is None:
        update = await client.update(seen)
        assert update.message == f"Updated {', '.join(row.mask)} of rule {rule_id}.", row.why
    else:
        with pytest.raises(row.problem, match=row.match):
            await client.update(seen)
    patches = ctx.writes(PATCH_RULE.key)
    ctx.emulator.admin.clear_faults()
    held = ctx.rule(rule_id)
    assert ({k: held[k] for k in row.holds}, patches) == (row.holds, row.patches), row.why
