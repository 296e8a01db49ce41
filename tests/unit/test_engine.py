"""The generic reconcile decision table, driven with a scripted adapter and a recording sink."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import pytest

from ncc_operator.reconcile import (
    Creation,
    Deletion,
    EventReason,
    ExternalClient,
    InvalidSpec,
    Observation,
    Problem,
    Readiness,
    ReferenceNotReady,
    Result,
    Subject,
    Update,
    reconcile,
)
from ncc_operator.reconcile.engine import AFTER_WRITE_SECONDS
from ncc_operator.reconcile.outcome import merged

T = TypeVar("T")

ESTABLISHED = Readiness(True, "Established", "Traffic flows.")
PENDING = Readiness(False, "AwaitingApproval", "Approve it.", transitional=True)
REJECTED = Readiness(False, "Rejected", "Owner rejected it.", warning=True)


@dataclass
class FakeClient:
    seen: Observation
    deletion: Deletion = field(default_factory=lambda: Deletion(done=True))
    fail_on: str | None = None
    failure: Problem | None = None
    calls: list[str] = field(default_factory=list)

    async def observe(self) -> Observation:
        return await self._call("observe", self.seen)

    async def create(self) -> Creation:
        return await self._call("create", Creation("id-new", {"state": "CREATING"}))

    async def update(self, seen: Observation) -> Update:
        return await self._call("update", Update("Updated domainNames."))

    async def delete(self, seen: Observation) -> Deletion:
        return await self._call("delete", self.deletion)

    async def _call(self, name: str, value: T) -> T:
        self.calls.append(name)
        if self.fail_on == name and self.failure is not None:
            raise self.failure
        return value


@dataclass
class Sink:
    events: list[tuple[bool, str]] = field(default_factory=list)
    outcomes: list[tuple[str, str]] = field(default_factory=list)

    def event(self, *, warning: bool, reason: EventReason, message: str) -> None:
        assert message, "every event says something"
        self.events.append((warning, str(reason)))

    def reconciled(self, *, action: str, outcome: str, seconds: float) -> None:
        self.outcomes.append((action, outcome))

    def settled(self, status: Mapping[str, Any], *, released: bool) -> None:
        raise AssertionError("the engine leaves gauges to the driver")


async def run(subject: Subject, client: FakeClient, sink: Sink | None = None) -> Result:
    async def connect() -> ExternalClient:
        client.calls.append("connect")
        return client

    return await reconcile(subject, connect, sink or Sink())


def condition(result: Result, type_: str) -> Mapping[str, Any]:
    assert result.status_patch is not None
    found = [c for c in result.status_patch["conditions"] if c["type"] == type_]
    assert found, f"no {type_} condition in {result.status_patch}"
    first: Mapping[str, Any] = found[0]
    return first


def applied(status: Mapping[str, Any], result: Result) -> dict[str, Any]:
    return dict(merged(status, result.status_patch or {}))


SUBJECT = Subject(kind="PrivateEndpointRule", name="ns/rule", generation=3)
HAS_ID = {"id": "id-1", "atProvider": {"state": "ESTABLISHED"}}


@dataclass(frozen=True)
class Case:
    id: str
    why: str
    subject: Subject
    seen: Observation
    calls: list[str]
    action: str
    events: list[tuple[bool, str]]
    ready: tuple[str, str] | None = None
    synced: tuple[str, str] | None = None
    release: bool = False
    deletion: Deletion = field(default_factory=lambda: Deletion(done=True))


CASES = [
    Case(
        "create",
        "nothing exists: create, record the id, report Creating and poll fast",
        SUBJECT,
        Observation(exists=False),
        ["connect", "observe", "create"],
        "create",
        [(False, "Created"), (False, "Creating")],
        ready=("False", "Creating"),
        synced=("True", "ReconcileSuccess"),
    ),
    Case(
        "adopt",
        "found by natural key (a lost create, or adoption): record the id before anything else",
        SUBJECT,
        Observation(exists=True, external_id="id-9", adopted=True, readiness=PENDING),
        ["connect", "observe"],
        "adopt",
        [(False, "Adopted"), (False, "AwaitingApproval")],
        ready=("False", "AwaitingApproval"),
    ),
    Case(
        "in-sync",
        "exists and matches: no write at Databricks, Ready from the observation",
        replace(SUBJECT, status=HAS_ID),
        Observation(exists=True, external_id="id-1", readiness=ESTABLISHED),
        ["connect", "observe"],
        "observe",
        [(False, "Established")],
        ready=("True", "Established"),
        synced=("True", "ReconcileSuccess"),
    ),
    Case(
        "update",
        "mutable fields differ: update through the adapter",
        replace(SUBJECT, status=HAS_ID),
        Observation(exists=True, external_id="id-1", up_to_date=False, readiness=ESTABLISHED),
        ["connect", "observe", "update"],
        "update",
        [(False, "Updated"), (False, "Established")],
    ),
    Case(
        "update-waits",
        "an update that cannot apply yet (S3 enabled before ESTABLISHED) is reported, not sent",
        replace(SUBJECT, status=HAS_ID),
        Observation(
            exists=True,
            external_id="id-1",
            up_to_date=False,
            update_waiting="enabled waits for ESTABLISHED",
            readiness=PENDING,
        ),
        ["connect", "observe"],
        "observe",
        [(False, "AwaitingApproval")],
        synced=("True", "ReconcileSuccess"),
    ),
    Case(
        "drift-recreate",
        "recorded id is gone (deleted/deactivated out of band): drift event, then recreate",
        replace(SUBJECT, status=HAS_ID),
        Observation(exists=False, drift="rule id-1 was deactivated outside the operator"),
        ["connect", "observe", "create"],
        "create",
        [(True, "DriftDetected"), (False, "Recreated"), (False, "Creating")],
    ),
    Case(
        "rejected-not-retried",
        "REJECTED exists: reported with a warning, never recreated in a loop",
        replace(SUBJECT, status=HAS_ID),
        Observation(exists=True, external_id="id-1", readiness=REJECTED),
        ["connect", "observe"],
        "observe",
        [(True, "Rejected")],
        ready=("False", "Rejected"),
    ),
    Case(
        "paused",
        "paused: no Databricks call at all",
        replace(SUBJECT, paused=True),
        Observation(exists=False),
        [],
        "paused",
        [(False, "ReconcilePaused")],
        synced=("False", "ReconcilePaused"),
    ),
    Case(
        "orphan",
        "deletionPolicy Orphan releases at once without touching Databricks",
        replace(SUBJECT, deleting=True, orphan_on_delete=True, status=HAS_ID),
        Observation(exists=True),
        [],
        "orphan",
        [(False, "Orphaned")],
        release=True,
    ),
    Case(
        "observe-only-delete",
        "ObserveOnly never writes, deletion included",
        replace(SUBJECT, deleting=True, observe_only=True, status=HAS_ID),
        Observation(exists=True),
        [],
        "orphan",
        [(False, "Orphaned")],
        release=True,
    ),
    Case(
        "delete",
        "deleting an existing object: delete, then observe again; it is still shown (this fake "
        "never lets go), so the finalizer stays and the delete is looked at again soon",
        replace(SUBJECT, deleting=True, status=HAS_ID),
        Observation(exists=True, external_id="id-1"),
        ["connect", "observe", "delete", "observe"],
        "delete",
        [(True, "DeleteBlocked"), (False, "Deleting")],
        release=False,
    ),
    Case(
        "delete-gone",
        "already gone (or deactivated): release without a call",
        replace(SUBJECT, deleting=True, status=HAS_ID),
        Observation(exists=False),
        ["connect", "observe"],
        "release",
        [],
        release=True,
    ),
    Case(
        "delete-blocked",
        "Databricks refuses (workspaces attached): keep the finalizer and say why",
        replace(SUBJECT, deleting=True, status=HAS_ID),
        Observation(exists=True, external_id="id-1"),
        ["connect", "observe", "delete"],
        "delete",
        [(True, "DeleteBlocked"), (False, "Deleting")],
        synced=("False", "DeleteBlocked"),
        deletion=Deletion(done=False, blocked="attached to workspaces; move them or Orphan"),
    ),
    Case(
        "observe-only",
        "ObserveOnly mirrors status and never creates or updates",
        replace(SUBJECT, observe_only=True),
        Observation(exists=True, external_id="id-1", up_to_date=False, readiness=ESTABLISHED),
        ["connect", "observe"],
        "observe",
        [(False, "Established")],
        ready=("True", "Established"),
        synced=("True", "ReconcileSuccess"),
    ),
    Case(
        "observe-only-missing",
        "ObserveOnly with nothing to observe: NotFound with what to check",
        replace(SUBJECT, observe_only=True),
        Observation(exists=False),
        ["connect", "observe"],
        "observe",
        [(True, "NotFound")],
        ready=("False", "NotFound"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_decision_table(case: Case) -> None:
    client = FakeClient(case.seen, deletion=case.deletion)
    sink = Sink()
    result = await run(case.subject, client, sink)
    assert client.calls == case.calls, case.why
    assert result.action == case.action, case.why
    assert sink.events == case.events, case.why
    assert result.release is case.release, case.why
    if case.ready:
        ready = condition(result, "Ready")
        assert (ready["status"], ready["reason"]) == case.ready, case.why
    if case.synced:
        synced = condition(result, "Synced")
        assert (synced["status"], synced["reason"]) == case.synced, case.why


async def test_create_records_the_id_and_requeues_fast() -> None:
    result = await run(SUBJECT, FakeClient(Observation(exists=False)))
    assert result.status_patch is not None
    assert result.status_patch["id"] == "id-new"
    assert result.status_patch["observedGeneration"] == 3
    assert result.requeue_after is not None
    assert result.requeue_after <= 10


async def test_status_is_written_only_when_it_changes() -> None:
    # Second pass over the same observation: identical status, so no patch and no event.
    seen = Observation(exists=True, external_id="id-1", readiness=ESTABLISHED)
    first = await run(replace(SUBJECT, status=HAS_ID), FakeClient(seen))
    status = applied(HAS_ID, first)
    sink = Sink()
    second = await run(replace(SUBJECT, status=status), FakeClient(seen), sink)
    assert second.status_patch is None
    assert sink.events == []


async def test_transition_time_moves_only_when_status_flips() -> None:
    pending = Observation(exists=True, external_id="id-1", readiness=PENDING)
    first = await run(replace(SUBJECT, status=HAS_ID), FakeClient(pending))
    status = applied(HAS_ID, first)
    stamp = condition(first, "Ready")["lastTransitionTime"]
    # Same status (False) with a new reason keeps the time; the reason and message change.
    rejected = Observation(exists=True, external_id="id-1", readiness=REJECTED)
    second = await run(replace(SUBJECT, status=status), FakeClient(rejected))
    assert condition(second, "Ready")["lastTransitionTime"] == stamp
    assert condition(second, "Ready")["reason"] == "Rejected"


@pytest.mark.parametrize(
    ("problem", "ready_reason", "requeue"),
    [
        pytest.param(ReferenceNotReady("NCC x is not Ready"), "ReferenceNotReady", 5.0, id="ref"),
        pytest.param(InvalidSpec("bad group id"), "InvalidSpec", None, id="invalid-terminal"),
    ],
)
async def test_problems_become_conditions(
    problem: Problem, ready_reason: str, requeue: float | None
) -> None:
    client = FakeClient(Observation(exists=False), fail_on="create", failure=problem)
    sink = Sink()
    result = await run(SUBJECT, client, sink)
    assert result.problem is problem
    assert result.requeue_after == requeue
    synced = condition(result, "Synced")
    assert (synced["status"], synced["reason"], synced["message"]) == (
        "False",
        problem.reason,
        problem.message,
    )
    # With no Ready yet, Ready=False carries the same reason so the READY column is never blank.
    assert condition(result, "Ready")["reason"] == ready_reason
    assert sink.events == [(True, problem.reason)]
    assert sink.outcomes == [("error", "error")]


async def test_terminal_problem_waits_for_a_spec_change() -> None:
    client = FakeClient(Observation(exists=False), fail_on="create", failure=InvalidSpec("bad"))
    first = await run(SUBJECT, client)
    status = applied({}, first)
    # Same generation: not retried (no Databricks call).
    again = FakeClient(Observation(exists=False))
    waited = await run(replace(SUBJECT, status=status), again)
    assert (waited.action, again.calls) == ("wait", [])
    # New generation (spec edited) or a requested re-observe: tried again.
    for subject in (
        replace(SUBJECT, status=status, generation=4),
        replace(SUBJECT, status=status, forced=True),
    ):
        retry = FakeClient(Observation(exists=False))
        await run(subject, retry)
        assert retry.calls == ["connect", "observe", "create"]


async def test_delete_without_id_and_missing_reference_releases() -> None:
    # Never created, and the NCC/account is gone: nothing to look up, nothing to delete.
    client = FakeClient(Observation(exists=True))

    async def connect() -> ExternalClient:
        raise ReferenceNotReady("NetworkConnectivityConfig ns/ncc not found")

    result = await reconcile(replace(SUBJECT, deleting=True), connect, Sink())
    assert result.release
    assert client.calls == []


async def test_delete_with_id_and_missing_reference_keeps_the_finalizer() -> None:
    async def connect() -> ExternalClient:
        raise ReferenceNotReady("DatabricksAccount ns/acct is not Ready")

    result = await reconcile(replace(SUBJECT, deleting=True, status=HAS_ID), connect, Sink())
    assert not result.release
    synced = condition(result, "Synced")
    assert synced["reason"] == "ReferenceNotReady"
    assert "deletionPolicy: Orphan" in synced["message"], "a held finalizer names the way out"


@pytest.mark.parametrize(
    ("seen", "why"),
    [
        (Observation(exists=False), "a create: the new object's first state shows within seconds"),
        (
            Observation(exists=True, external_id="id-1", up_to_date=False, readiness=ESTABLISHED),
            "an update (a workspace attach): verified seconds later, not a fast poll later",
        ),
    ],
)
async def test_our_own_write_is_looked_at_again_within_seconds(seen: Observation, why: str) -> None:
    status = HAS_ID if seen.exists else {}
    result = await run(replace(SUBJECT, status=status), FakeClient(seen))
    assert result.requeue_after == AFTER_WRITE_SECONDS, why


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        pytest.param(
            Update("Bound workspace 1111."),
            {"bound": []},
            id="an update that says nothing of status leaves the observation's record",
        ),
        pytest.param(
            Update("Bound workspace 1111.", at_provider={"bound": [1111]}),
            {"bound": [1111]},
            # A policy's bound workspaces: an edit before the next pass must find 1111 recorded.
            id="an update's own record replaces the observation from before the write",
        ),
    ],
)
async def test_the_status_after_an_update_holds_what_the_update_recorded(
    update: Update, expected: dict[str, Any]
) -> None:
    seen = Observation(exists=True, external_id="id-1", up_to_date=False, at_provider={"bound": []})

    @dataclass
    class Recording(FakeClient):
        async def update(self, seen: Observation) -> Update:
            return update

    result = await run(replace(SUBJECT, status=HAS_ID), Recording(seen))
    assert result.action == "update"
    assert applied(HAS_ID, result)["atProvider"] == expected
