"""The generic reconcile: Observe → Create / Update / Delete, for every kind, in one decision table.

Per-kind adapters (``resources/``) implement :class:`ExternalClient`; this module decides what to
call, and is the only place that turns the outcome into status (conditions, ``id``,
``atProvider``, ``observedGeneration``), events and a requeue. It never talks to Kubernetes: the
result carries a minimal status patch (``None`` when nothing changed) that the Kopf wiring applies.

The table, in order (crossplane-runtime ``managed.Reconciler`` is the model):

1. paused → Synced=False ReconcilePaused; nothing else, deletion included.
2. deleting with ``Orphan`` or ``ObserveOnly`` → release at once, Databricks untouched.
3. terminal problem already reported for this generation → wait for a spec change.
4. connect (resolve references, credentials, claims) → observe.
5. deleting → delete until gone; a blocked delete keeps the finalizer with the remedy.
6. ``ObserveOnly`` → mirror what is observed; never write.
7. missing → create (drift event when it existed before); found by natural key → record the id
   first and return; not up to date → update (or report why it must wait); else in sync.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from . import conditions as cond
from .events import EventReason, Sink
from .observation import Creation, Deletion, Observation, Readiness, Update
from .problems import InvalidSpec, Problem

FAST_POLL_SECONDS = 10.0
"""Default requeue delay while something is transitional (Creating, AwaitingApproval) or just
changed; the driver passes the operator's ``fast_seconds`` setting."""

DELETE_BLOCKED_RETRY_SECONDS = 60.0
"""A blocked delete (attached workspaces, rules still purging) is retried at this pace."""


class ExternalClient(Protocol):
    """One kind's view of its Databricks object, bound to one custom resource."""

    async def observe(self) -> Observation: ...

    async def create(self) -> Creation: ...

    async def update(self, seen: Observation) -> Update: ...

    async def delete(self, seen: Observation) -> Deletion: ...


Connect = Callable[[], Awaitable[ExternalClient]]


@dataclass(frozen=True)
class Subject:
    """What the engine needs to know about one custom resource."""

    kind: str
    name: str
    generation: int
    status: Mapping[str, Any] = field(default_factory=dict)
    deleting: bool = False
    paused: bool = False
    observe_only: bool = False
    orphan_on_delete: bool = False
    forced: bool = False
    """A re-observe was requested (annotation or spec change): do not wait on a terminal state."""


@dataclass(frozen=True)
class Result:
    """What the wiring must do: patch status, release the finalizer, reconcile again later."""

    action: str
    status_patch: Mapping[str, Any] | None = None
    release: bool = False
    requeue_after: float | None = None
    problem: Problem | None = None


class _Outcome:
    """Accumulates one pass's status, events and requeue; renders the minimal patch."""

    def __init__(self, subject: Subject, sink: Sink, fast_seconds: float) -> None:
        self.subject = subject
        self.sink = sink
        self.fast_seconds = fast_seconds
        self.fields: dict[str, Any] = {}
        self.conditions: list[cond.Condition] = []
        self.requeue_after: float | None = None

    def event(self, reason: EventReason, message: str, *, warning: bool = False) -> None:
        self.sink.event(warning=warning, reason=reason, message=message)

    def observed(self, seen: Observation | Creation) -> None:
        if seen.external_id:
            self.fields["id"] = seen.external_id
        self.fields["atProvider"] = dict(seen.at_provider)

    def readiness(self, readiness: Readiness | None) -> None:
        if readiness is None:
            return
        if readiness.ready:
            self.conditions.append(cond.ready(readiness.reason, readiness.message))
        else:
            self.conditions.append(cond.not_ready(readiness.reason, readiness.message))
        if readiness.transitional:
            self.fast()
        self._announce(cond.READY, readiness.reason, readiness.message, readiness.warning)

    def synced(self, message: str = "") -> None:
        self.conditions.append(cond.synced(message))
        previous = cond.find(self.subject.status.get("conditions", []), cond.SYNCED)
        if previous is not None and previous.get("status") == cond.Status.FALSE:
            self.event(EventReason.RECONCILE_SUCCESS, message or "Reconciled again.")

    def not_synced(self, reason: str, message: str, *, warning: bool = True) -> None:
        self.conditions.append(cond.not_synced(reason, message))
        self._announce(cond.SYNCED, reason, message, warning)

    def fast(self, seconds: float | None = None) -> None:
        """Reconcile again soon: after ``seconds``, or the fast pace, whichever is sooner."""
        delay = min(seconds, self.fast_seconds) if seconds is not None else self.fast_seconds
        self.requeue_after = min(self.requeue_after or delay, delay)

    def result(
        self, action: str, *, requeue_after: float | None = None, problem: Problem | None = None
    ) -> Result:
        return Result(
            action=action,
            status_patch=self._patch(),
            requeue_after=requeue_after if requeue_after is not None else self.requeue_after,
            problem=problem,
        )

    def _announce(self, type_: str, reason: str, message: str, warning: bool) -> None:
        """An event on every transition (a reason that differs from the recorded one)."""
        previous = cond.find(self.subject.status.get("conditions", []), type_)
        if previous is None or previous.get("reason") != reason:
            self.event(EventReason(reason), message, warning=warning)

    def _patch(self) -> dict[str, Any] | None:
        current = self.subject.status
        wanted: dict[str, Any] = dict(self.fields)
        wanted["observedGeneration"] = self.subject.generation
        if self.conditions:
            wanted["conditions"] = cond.merge(
                current.get("conditions", []),
                self.conditions,
                generation=self.subject.generation,
                now=_now(),
            )
        patch = {k: v for k, v in wanted.items() if current.get(k) != v}
        return patch or None


async def reconcile(
    subject: Subject, connect: Connect, sink: Sink, *, fast_seconds: float = FAST_POLL_SECONDS
) -> Result:
    """Run one pass of the decision table for ``subject``; never raises a :class:`Problem`.

    ``fast_seconds`` is the requeue delay while something is transitional or just changed.
    """
    started = time.monotonic()
    out = _Outcome(subject, sink, fast_seconds)
    try:
        result = await _decide(subject, connect, out)
    except Problem as problem:
        result = _problem(subject, out, problem)
    sink.reconciled(
        action=result.action,
        outcome="error" if result.problem else "success",
        seconds=time.monotonic() - started,
    )
    return result


async def _decide(subject: Subject, connect: Connect, out: _Outcome) -> Result:
    if subject.paused:
        out.not_synced(
            EventReason.RECONCILE_PAUSED,
            "Reconciliation is paused by the annotation ncc-operator.io/paused; nothing is read "
            "or written at Databricks (deletion waits too). Remove the annotation to resume.",
            warning=False,
        )
        return out.result("paused")
    if subject.deleting and (subject.orphan_on_delete or subject.observe_only):
        why = "ObserveOnly" if subject.observe_only else "deletionPolicy: Orphan"
        out.event(
            EventReason.ORPHANED, f"Released without touching Databricks ({why}); it still exists."
        )
        return Result(action="orphan", release=True)
    if _waiting_for_spec_change(subject):
        return Result(action="wait")
    client = await connect()
    seen = await client.observe()
    if subject.deleting:
        return await _delete(subject, client, seen, out)
    if subject.observe_only:
        return _mirror(subject, seen, out)
    return await _manage(subject, client, seen, out)


async def _delete(
    subject: Subject, client: ExternalClient, seen: Observation, out: _Outcome
) -> Result:
    if not seen.exists:
        return Result(action="release", release=True)
    deletion: Deletion = await client.delete(seen)
    if deletion.done:
        out.event(EventReason.DELETED, deletion.message or f"Deleted {subject.kind} at Databricks.")
        return Result(action="delete", release=True)
    out.not_synced(EventReason.DELETE_BLOCKED, deletion.blocked or "Deletion is not finished.")
    out.readiness(Readiness(False, EventReason.DELETING, "Deletion is waiting; see Synced."))
    return out.result("delete", requeue_after=deletion.retry_after or DELETE_BLOCKED_RETRY_SECONDS)


def _mirror(subject: Subject, seen: Observation, out: _Outcome) -> Result:
    if not seen.exists:
        out.conditions.append(
            cond.not_ready(
                EventReason.NOT_FOUND,
                f"ObserveOnly: no matching {subject.kind} exists at Databricks. Check externalId "
                "(or name and region), or switch managementPolicy to Manage to create it.",
            )
        )
        out.not_synced(EventReason.NOT_FOUND, "ObserveOnly: nothing to observe yet.")
        return out.result("observe")
    out.observed(seen)
    out.readiness(seen.readiness)
    out.synced("ObserveOnly: status mirrors Databricks; the operator never writes.")
    return out.result("observe")


async def _manage(
    subject: Subject, client: ExternalClient, seen: Observation, out: _Outcome
) -> Result:
    previous_id = subject.status.get("id")
    if not seen.exists:
        if previous_id:
            out.event(
                EventReason.DRIFT_DETECTED,
                seen.drift
                or f"{subject.kind} {previous_id} no longer exists at Databricks; recreating it.",
                warning=True,
            )
        created = await client.create()
        # The id is recorded before anything else happens to the object (DESIGN §3).
        out.observed(created)
        out.event(
            EventReason.RECREATED if previous_id else EventReason.CREATED,
            created.message or f"Created {subject.kind} {created.external_id} at Databricks.",
        )
        out.readiness(created.readiness or Readiness(False, EventReason.CREATING, "Creating."))
        out.synced()
        out.fast()
        return out.result("create")
    if seen.adopted:
        out.observed(seen)
        out.event(
            EventReason.ADOPTED,
            f"Found existing {subject.kind} {seen.external_id} at Databricks and recorded its id.",
        )
        out.readiness(seen.readiness)
        out.synced()
        out.fast(1.0)
        return out.result("adopt")
    out.observed(seen)
    if not seen.up_to_date and seen.update_waiting:
        out.readiness(seen.readiness)
        _synced_unless(seen, out, seen.update_waiting)
        out.fast()
        return out.result("observe")
    if not seen.up_to_date:
        update = await client.update(seen)
        out.event(EventReason.UPDATED, update.message)
        out.readiness(seen.readiness)
        _synced_unless(seen, out)
        out.fast()
        return out.result("update")
    out.readiness(seen.readiness)
    _synced_unless(seen, out)
    return out.result("observe")


def _synced_unless(seen: Observation, out: _Outcome, message: str = "") -> None:
    if seen.unsynced is not None:
        out.not_synced(*seen.unsynced)
    else:
        out.synced(message)


def _problem(subject: Subject, out: _Outcome, problem: Problem) -> Result:
    if subject.deleting and not subject.status.get("id") and problem.reason == "ReferenceNotReady":
        # Nothing was ever recorded and nothing can be looked up: there is nothing to delete.
        out.event(EventReason.DELETED, f"Released: {problem.message} (nothing was ever created).")
        return Result(action="release", release=True)
    out.conditions = []
    out.fields = {}
    message = problem.message
    if subject.deleting:
        # A finalizer must never hold an object without saying how to let it go.
        message += (
            " Deletion waits for this; to release the resource without deleting anything at "
            "Databricks, set spec.deletionPolicy: Orphan."
        )
    out.not_synced(problem.reason, message)
    if cond.find(subject.status.get("conditions", []), cond.READY) is None:
        out.conditions.append(cond.not_ready(problem.reason, problem.message))
    return out.result("error", requeue_after=problem.retry_after, problem=problem)


def _waiting_for_spec_change(subject: Subject) -> bool:
    """A terminal problem reported for this generation is not retried until the spec changes."""
    if subject.forced or subject.deleting:
        return False
    synced = cond.find(subject.status.get("conditions", []), cond.SYNCED)
    return (
        synced is not None
        and synced.get("reason") == InvalidSpec.reason
        and synced.get("observedGeneration") == subject.generation
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
