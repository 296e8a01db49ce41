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

import contextlib
import dataclasses
import logging
import time
from datetime import UTC, datetime
from typing import Any

from . import conditions as cond
from .contract import (
    CREATE_SETTLE_SECONDS,
    Connect,
    CreateGuard,
    ExternalClient,
    Result,
    Subject,
)
from .events import EventReason, Sink
from .observation import Deletion, Observation, Readiness
from .outcome import Outcome
from .problems import Conflict, InvalidSpec, OutcomeUnknown, Problem, Unexpected

logger = logging.getLogger(__name__)

FAST_POLL_SECONDS = 10.0
"""Default requeue delay while something is transitional (Creating, AwaitingApproval) or just
changed; the driver passes the operator's ``fast_seconds`` setting."""
AFTER_WRITE_SECONDS = 2.0
"""The first look after our own create or update (at most the fast interval): what the write
started (a workspace attach, an NCC's first state) usually shows within seconds, and an NCC
waiting two fast polls for its attach held a 100-rule apply's Ready back by 20 s."""

DELETE_BLOCKED_RETRY_SECONDS = 60.0
"""A blocked delete (attached workspaces, rules still purging) is retried at this pace."""


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
    out = Outcome(subject, sink, fast_seconds)
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
    subject: Subject, connect: Connect, out: Outcome, guard: CreateGuard | None
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


def _before_connect(subject: Subject, out: Outcome) -> Result | None:
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
    subject: Subject, client: ExternalClient, seen: Observation[Any], out: Outcome
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


def _mirror(subject: Subject, seen: Observation[Any], out: Outcome) -> Result:
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
    out: Outcome,
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
    except OutcomeUnknown:
        # The settle window runs from when the outcome became unknown (a create can take its
        # whole deadline to time out), not from when the mark was first written.
        if guard is not None:
            with contextlib.suppress(Exception):
                await guard.mark_create_pending()
        raise
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
    out.fast(AFTER_WRITE_SECONDS)
    return out.result("create")


async def _manage(
    subject: Subject, client: ExternalClient, seen: Observation[Any], out: Outcome
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
        if update.at_provider is not None:
            out.observed(dataclasses.replace(seen, at_provider=update.at_provider))
        out.event(EventReason.UPDATED, update.message)
        out.readiness(seen.readiness)
        _synced_unless(seen, out)
        out.fast(AFTER_WRITE_SECONDS)
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


def _synced_unless(seen: Observation[Any], out: Outcome, message: str = "") -> None:
    if seen.unsynced is not None:
        out.not_synced(*seen.unsynced)
    else:
        out.synced(message)


def _problem(subject: Subject, out: Outcome, problem: Problem) -> Result:
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
