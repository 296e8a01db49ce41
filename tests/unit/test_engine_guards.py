"""The engine's guards against duplicates and orphans, and its totality.

- A create is recorded as pending on the object (confirmed) before the POST; a pending create
  with no known outcome is settled by a natural-key lookup, never by a blind second POST.
- A deletion is released only when an observe confirms the object is gone, or when this
  resource never created or adopted anything (no id, no pending create).
- Any exception in a pass becomes Synced=False with a message and a backoff, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from ncc_operator.reconcile import (
    Conflict,
    Creation,
    Deletion,
    ExternalClient,
    InvalidSpec,
    Observation,
    OutcomeUnknown,
    Problem,
    ReferenceNotReady,
    Result,
    Subject,
    Transient,
    Update,
    reconcile,
)
from tests.unit.test_engine import Sink, condition

SUBJECT = Subject(kind="PrivateEndpointRule", name="ns/rule", generation=1)
HAS_ID = {"id": "id-1", "atProvider": {"state": "ESTABLISHED"}}


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Scripted:
    """Observations in order (the last repeats); records every call."""

    observations: list[Observation]
    deletion: Deletion = field(default_factory=lambda: Deletion(done=True))
    create_error: BaseException | None = None
    observe_error: BaseException | None = None
    calls: list[str] = field(default_factory=list)

    async def observe(self) -> Observation:
        self.calls.append("observe")
        if self.observe_error is not None:
            raise self.observe_error
        return self.observations.pop(0) if len(self.observations) > 1 else self.observations[0]

    async def create(self) -> Creation:
        self.calls.append("create")
        if self.create_error is not None:
            raise self.create_error
        return Creation("id-new")

    async def update(self, seen: Observation) -> Update:
        self.calls.append("update")
        return Update("updated")

    async def delete(self, seen: Observation) -> Deletion:
        self.calls.append("delete")
        return self.deletion


@dataclass
class Guard:
    calls: list[str]
    fail: bool = False

    async def mark_create_pending(self) -> None:
        self.calls.append("mark")
        if self.fail:
            raise Transient("the apiserver answered 503")


async def run(subject: Subject, client: Scripted, *, fail_mark: bool = False) -> Result:
    async def connect() -> ExternalClient:
        client.calls.append("connect")
        return client

    return await reconcile(subject, connect, Sink(), guard=Guard(client.calls, fail=fail_mark))


async def test_create_is_marked_pending_before_the_post() -> None:
    client = Scripted([Observation(exists=False)])
    result = await run(SUBJECT, client)
    assert client.calls == ["connect", "observe", "mark", "create"]
    assert result.action == "create"


async def test_no_post_when_the_pending_mark_cannot_be_written() -> None:
    client = Scripted([Observation(exists=False)])
    result = await run(SUBJECT, client, fail_mark=True)
    assert "create" not in client.calls, "a create whose guard was not recorded is never sent"
    assert condition(result, "Synced")["status"] == "False"


@pytest.mark.parametrize(
    ("pending_since", "creates", "why"),
    [
        pytest.param(
            1.0,
            False,
            "a pending create younger than the settle window is looked up again, "
            "not re-sent (listings may lag)",
            id="young",
        ),
        pytest.param(
            600.0,
            True,
            "after the settle window a lookup that still finds nothing settles it: "
            "the create never happened, so it is sent (again guarded)",
            id="settled",
        ),
    ],
)
async def test_pending_create_is_settled_by_lookup(
    pending_since: float, creates: bool, why: str
) -> None:
    client = Scripted([Observation(exists=False)])
    await run(replace(SUBJECT, create_pending=ago(pending_since)), client)
    assert ("create" in client.calls) is creates, why


async def test_an_unknown_outcome_restarts_the_settle_window() -> None:
    # A create that timed out after its whole deadline: the mark is refreshed, so the next
    # pass looks the object up for a full settle window before it may send again.
    client = Scripted([Observation(exists=False)], create_error=OutcomeUnknown("timed out"))
    await run(SUBJECT, client)
    assert client.calls == ["connect", "observe", "mark", "create", "mark"]


async def test_pending_mark_is_cleared_once_the_id_is_recorded() -> None:
    client = Scripted([Observation(exists=True, external_id="id-1")])
    result = await run(replace(SUBJECT, status=HAS_ID, create_pending=ago(5)), client)
    assert result.clear_create_pending


async def test_pending_mark_is_kept_while_the_id_is_not_recorded() -> None:
    client = Scripted([Observation(exists=True, external_id="id-9", adopted=True)])
    result = await run(replace(SUBJECT, create_pending=ago(5)), client)
    assert not result.clear_create_pending


async def test_pending_mark_is_cleared_when_the_create_was_refused() -> None:
    client = Scripted([Observation(exists=False)], create_error=InvalidSpec("bad group id"))
    result = await run(SUBJECT, client)
    assert result.clear_create_pending, "a 400 means nothing was created"


async def test_delete_is_released_only_after_an_observe_confirms_it_is_gone() -> None:
    still_there = Observation(exists=True, external_id="id-1")
    client = Scripted([still_there, still_there])
    result = await run(replace(SUBJECT, deleting=True, status=HAS_ID), client)
    assert client.calls == ["connect", "observe", "delete", "observe"]
    assert not result.release, "a 200 on DELETE is not trusted without looking again"
    gone = Scripted([still_there, Observation(exists=False)])
    released = await run(replace(SUBJECT, deleting=True, status=HAS_ID), gone)
    assert released.release


@pytest.mark.parametrize(
    ("connect_error", "why"),
    [
        pytest.param(Conflict("another resource owns it"), "in Conflict", id="conflict"),
        pytest.param(ReferenceNotReady("account not Ready"), "reference not ready", id="ref"),
        pytest.param(InvalidSpec("bad"), "refused spec", id="invalid"),
    ],
)
async def test_delete_of_a_resource_that_never_created_anything_releases_at_once(
    connect_error: Problem, why: str
) -> None:
    async def connect() -> ExternalClient:
        raise connect_error

    result = await reconcile(replace(SUBJECT, deleting=True), connect, Sink(), guard=None)
    assert result.release, f"no id and no pending create ({why}): nothing to delete"


async def test_delete_with_a_pending_create_and_no_reference_keeps_the_finalizer() -> None:
    async def connect() -> ExternalClient:
        raise ReferenceNotReady("DatabricksAccount ns/main is not Ready yet")

    subject = replace(SUBJECT, deleting=True, create_pending=ago(30))
    result = await reconcile(subject, connect, Sink(), guard=None)
    assert not result.release, "a create may have happened: look it up before releasing"
    assert "deletionPolicy: Orphan" in condition(result, "Synced")["message"]


@pytest.mark.parametrize(
    ("error", "why"),
    [
        pytest.param(
            ValueError("mask field unknown"), "a ValueError from mask validation", id="value-error"
        ),
        pytest.param(KeyError("connectionState"), "a bug reading a body", id="key-error"),
        pytest.param(
            RuntimeError("apiserver 503 reading a Secret"), "a Kubernetes 5xx", id="runtime"
        ),
    ],
)
async def test_any_exception_becomes_a_condition_with_backoff(
    error: BaseException, why: str
) -> None:
    client = Scripted([Observation(exists=False)], observe_error=error)
    result = await run(SUBJECT, client)
    synced = condition(result, "Synced")
    assert (synced["status"], synced["reason"]) == ("False", "ReconcileError"), why
    assert type(error).__name__ in synced["message"], why
    problem = result.problem
    assert problem is not None
    assert problem.backoff, "retried with backoff, not a hot loop"


async def test_conflict_drops_a_foreign_id_and_is_not_ready() -> None:
    async def connect() -> ExternalClient:
        raise Conflict("team-a/prod already manages this NCC", foreign=True)

    result = await reconcile(replace(SUBJECT, status=HAS_ID), connect, Sink(), guard=None)
    assert result.status_patch is not None
    assert result.status_patch["id"] is None, "a CR in Conflict records no foreign id"
    assert condition(result, "Ready")["status"] == "False"
