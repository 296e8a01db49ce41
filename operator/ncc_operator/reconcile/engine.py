"""The generic reconcile: Observe → Create / Update / Delete, for every kind, in one decision table.

Per-kind adapters (``resources/``) implement :class:`ExternalClient`; this module decides what to
call, and is the only place that turns the outcome into status (conditions, ``id``,
``atProvider``, ``observedGeneration``), events and a requeue. It never talks to Kubernetes: the
result carries a minimal status patch (``None`` when nothing changed) that the Kopf wiring applies.

The table, in order (crossplane-runtime ``managed.Reconciler`` is the model):

1. paused → Synced=False ReconcilePaused; nothing else, deletion included.
2. deleting with ``Orphan`` or ``ObserveOnly`` → release at once, Databricks untouched.
3. deleting, and this resource never created or adopted anything (no recorded id, no pending
   create) → release at once: whatever matches its natural key is not ours to delete.
4. terminal problem already reported for this generation → wait for a spec change.
5. connect (resolve references, credentials, claims) → observe.
6. deleting → delete, then observe again; the finalizer goes only when that observe confirms
   the object is gone. A blocked delete keeps the finalizer with the remedy.
7. ``ObserveOnly`` → mirror what is observed; never write.
8. missing → create, guarded Crossplane-style: "create pending" is recorded on the object (and
   confirmed) before the POST; a pending create with no known outcome is settled by the
   natural-key lookup — looked up again until the settle window has passed, never re-sent
   blindly. Found by natural key → record the id first and return; not up to date → update
   (or report why it must wait); else in sync.

The engine is total: a :class:`Problem` becomes its condition; any other exception becomes
Synced=False ``ReconcileError`` naming it, retried with backoff.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from . import conditions as cond
from .events import EventReason, Sink
from .observation import Creation, Deletion, Observation, Readiness, Update
from .problems import Conflict, InvalidSpec, Problem, Unexpected

logger = logging.getLogger(__name__)

FAST_POLL_SECONDS = 10.0
"""Default requeue delay while something is transitional (Creating, AwaitingApproval) or just
changed; the driver passes the operator's ``fast_seconds`` setting."""

DELETE_BLOCKED_RETRY_SECONDS = 60.0
"""A blocked delete (attached workspaces, rules still purging) is retried at this pace."""


class ExternalClient(Protocol):
    """One kind's view of its Databricks object, bound to one custom resource.

    The contract, as in crossplane-runtime's ``ExternalClient``:

    - ``observe`` reads and never writes. It finds the object by the recorded id, else by
      ``externalId``, else by the natural key (the immutable target only), and returns one
      frozen :class:`Observation` whose ``observed`` is what ``update``/``delete`` act on.
      It raises a :class:`Problem` for anything that must stop the pass (a Conflict with
      another resource, a reference not Ready, a Databricks error).
    - ``create`` is not idempotent at Databricks: the engine calls it only after recording
      "create pending" and only when ``observe`` found nothing. A conflict answer ("already
      exists") is settled by looking the object up by natural key and adopting it.
    - ``update(seen)`` applies the difference ``seen`` describes; repeating it is harmless.
    - ``delete(seen)`` is idempotent (gone already counts as done); the engine observes again
      afterwards and releases only when that observation says the object is gone.
    """

    async def observe(self) -> Observation[Any]: ...

    async def create(self) -> Creation: ...

    async def update(self, seen: Observation[Any]) -> Update: ...

    async def delete(self, seen: Observation[Any]) -> Deletion: ...


Connect = Callable[[], Awaitable[ExternalClient]]


class CreateGuard(Protocol):
    """Records "create pending" on the Kubernetes object, confirmed, before a create is sent.

    Raises (a :class:`Problem` or anything else) when the write is not confirmed; the engine
    then sends nothing.
    """

    async def mark_create_pending(self) -> None: ...


CREATE_SETTLE_SECONDS = 30.0
"""A pending create younger than this, whose object the lookup does not find yet, is looked up
again instead of re-sent: listings can lag a create that timed out while succeeding."""


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
    create_pending: str | None = None
    """When a create was last marked pending (RFC 3339), if the mark is on the object."""

    @property
    def recorded_id(self) -> str | None:
        found = self.status.get("id")
        return str(found) if found else None


@dataclass(frozen=True)
class Result:
    """What the wiring must do: patch status, release the finalizer, reconcile again later."""

    action: str
    status_patch: Mapping[str, Any] | None = None
    release: bool = False
    requeue_after: float | None = None
    problem: Problem | None = None
    clear_create_pending: bool = False
    """The pending-create mark can go: the id is recorded, or the create was refused."""


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
        self,
        action: str,
        *,
        requeue_after: float | None = None,
        problem: Problem | None = None,
        clear_create_pending: bool = False,
    ) -> Result:
        return Result(
            action=action,
            status_patch=self._patch(),
            requeue_after=requeue_after if requeue_after is not None else self.requeue_after,
            problem=problem,
            clear_create_pending=clear_create_pending and self.subject.create_pending is not None,
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
    subject: Subject,
    connect: Connect,
    sink: Sink,
    *,
    fast_seconds: float = FAST_POLL_SECONDS,
    guard: CreateGuard | None = None,
) -> Result:
    """Run one pass of the decision table for ``subject``; never raises (but cancellation).

    ``fast_seconds`` is the requeue delay while something is transitional or just changed;
    ``guard`` records "create pending" before any create (``None`` only where no create can
    happen, e.g. accounts, or in tests of other paths).
    """
    started = time.monotonic()
    out = _Outcome(subject, sink, fast_seconds)
    try:
        result = await _decide(subject, connect, out, guard)
    except Problem as problem:
        result = _problem(subject, out, problem)
    except Exception as error:
        # Total: nothing escapes as a traceback loop. The text names the type so a bug report
        # can find it; the log keeps the traceback once per pass for developers.
        logger.warning(
            "reconcile of %s %s failed unexpectedly", subject.kind, subject.name, exc_info=True
        )
        unexpected = Unexpected(
            f"Unexpected {type(error).__name__} while reconciling: {error}. Retrying with "
            "backoff; if it persists, report it with the operator's log."
        )
        result = _problem(subject, out, unexpected)
    sink.reconciled(
        action=result.action,
        outcome="error" if result.problem else "success",
        seconds=time.monotonic() - started,
    )
    return result


async def _decide(
    subject: Subject, connect: Connect, out: _Outcome, guard: CreateGuard | None
) -> Result:
    early = _before_connect(subject, out)
    if early is not None:
        return early
    client = await connect()
    seen = await client.observe()
    if subject.deleting:
        return await _delete(subject, client, seen, out)
    if subject.observe_only:
        return _mirror(subject, seen, out)
    if not seen.exists:
        return await _create(subject, client, seen, out, guard)
    return await _manage(subject, client, seen, out)


def _before_connect(subject: Subject, out: _Outcome) -> Result | None:
    """Rows 1 to 4 of the table: decided from the object alone, without calling anyone."""
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
    if subject.deleting and _never_created(subject):
        out.event(
            EventReason.DELETED,
            f"Released: this {subject.kind} never created or adopted anything at Databricks, "
            "so nothing was deleted there.",
        )
        return Result(action="release", release=True)
    if _waiting_for_spec_change(subject):
        return Result(action="wait")
    return None


def _never_created(subject: Subject) -> bool:
    """No id was recorded and no create is pending: this resource stands for nothing."""
    return subject.recorded_id is None and subject.create_pending is None


async def _delete(
    subject: Subject, client: ExternalClient, seen: Observation[Any], out: _Outcome
) -> Result:
    if not seen.exists:
        return Result(action="release", release=True)
    deletion: Deletion = await client.delete(seen)
    if deletion.done:
        # Trust an observation, not the DELETE's 200: look again before letting go.
        again = await client.observe()
        if not again.exists:
            out.event(
                EventReason.DELETED, deletion.message or f"Deleted {subject.kind} at Databricks."
            )
            return Result(action="delete", release=True)
        deletion = Deletion(
            done=False,
            blocked=f"Databricks accepted the delete of {subject.kind} {seen.external_id} but "
            "still shows it; looking again shortly.",
            retry_after=out.fast_seconds,
        )
    out.not_synced(EventReason.DELETE_BLOCKED, deletion.blocked or "Deletion is not finished.")
    out.readiness(Readiness(False, EventReason.DELETING, "Deletion is waiting; see Synced."))
    return out.result("delete", requeue_after=deletion.retry_after or DELETE_BLOCKED_RETRY_SECONDS)


def _mirror(subject: Subject, seen: Observation[Any], out: _Outcome) -> Result:
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


async def _create(
    subject: Subject,
    client: ExternalClient,
    seen: Observation[Any],
    out: _Outcome,
    guard: CreateGuard | None,
) -> Result:
    previous_id = subject.recorded_id
    if previous_id is None and _unsettled(subject, out.fast_seconds):
        # A create was sent moments ago and its outcome is unknown: the lookup may lag it.
        out.fast(out.fast_seconds)
        return out.result("wait-pending-create")
    if previous_id:
        out.event(
            EventReason.DRIFT_DETECTED,
            seen.drift
            or f"{subject.kind} {previous_id} no longer exists at Databricks; recreating it.",
            warning=True,
        )
    if guard is not None:
        await guard.mark_create_pending()
    try:
        created = await client.create()
    except InvalidSpec as refused:
        # Refused outright: nothing was created, so nothing is pending any more.
        return dataclasses.replace(_problem(subject, out, refused), clear_create_pending=True)
    # The id is recorded before anything else happens to the object (DESIGN §3).
    out.observed(created)
    if created.adopted:
        reason = EventReason.ADOPTED
    else:
        reason = EventReason.RECREATED if previous_id else EventReason.CREATED
    out.event(
        reason, created.message or f"Created {subject.kind} {created.external_id} at Databricks."
    )
    out.readiness(created.readiness or Readiness(False, EventReason.CREATING, "Creating."))
    out.synced()
    out.fast()
    return out.result("create")


async def _manage(
    subject: Subject, client: ExternalClient, seen: Observation[Any], out: _Outcome
) -> Result:
    previous_id = subject.recorded_id
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
    # The id is on the object (this pass read it): the pending-create mark has done its job.
    recorded = previous_id is not None and previous_id == seen.external_id
    if not seen.up_to_date and seen.update_waiting:
        out.readiness(seen.readiness)
        _synced_unless(seen, out, seen.update_waiting)
        out.fast()
        return out.result("observe", clear_create_pending=recorded)
    if not seen.up_to_date:
        update = await client.update(seen)
        out.event(EventReason.UPDATED, update.message)
        out.readiness(seen.readiness)
        _synced_unless(seen, out)
        out.fast()
        return out.result("update", clear_create_pending=recorded)
    out.readiness(seen.readiness)
    _synced_unless(seen, out)
    return out.result("observe", clear_create_pending=recorded)


def _unsettled(subject: Subject, fast_seconds: float) -> bool:
    """A create is pending and younger than the settle window (at least two fast polls)."""
    if subject.create_pending is None:
        return False
    try:
        since = datetime.strptime(subject.create_pending, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return False  # an unreadable mark settles nothing: treat it as old
    window = max(CREATE_SETTLE_SECONDS, 2 * fast_seconds)
    return (datetime.now(UTC) - since).total_seconds() < window


def _synced_unless(seen: Observation[Any], out: _Outcome, message: str = "") -> None:
    if seen.unsynced is not None:
        out.not_synced(*seen.unsynced)
    else:
        out.synced(message)


def _problem(subject: Subject, out: _Outcome, problem: Problem) -> Result:
    out.conditions = []
    out.fields = {}
    if isinstance(problem, Conflict) and problem.foreign and subject.recorded_id:
        # The id belongs to the resource that owns the object: forget it, and what was seen.
        out.fields["id"] = None
        out.fields["atProvider"] = None
    message = problem.message
    if subject.deleting:
        # A finalizer must never hold an object without saying how to let it go.
        message += (
            " Deletion waits for this; to release the resource without deleting anything at "
            "Databricks, set spec.deletionPolicy: Orphan."
        )
    out.not_synced(problem.reason, message)
    if problem.unready or cond.find(subject.status.get("conditions", []), cond.READY) is None:
        # E.g. a resource in Conflict stands for nothing: never Ready, whatever it showed.
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
