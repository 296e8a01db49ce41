"""The pass shared by every kind: lock, schedule, run the engine, apply the result.

This is the one place a :class:`~.engine.Result` becomes what the wiring applies: the status
patch goes into the handler's ``patch`` mapping, and a pending deletion raises
:class:`DeletionPending` (the handlers turn it into Kopf's ``TemporaryError``, so the finalizer
stays and Kopf retries at the planned time); nothing else ever raises — scheduled passes in
particular never give up on an object. Kopf-free: the wiring picks the adapter and the cause,
hands over the body and patch, and translates. Events and metrics go to the
:class:`~.events.Sink` the wiring's factory makes for each object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from ncc_operator.models import CREATE_PENDING_ANNOTATION

from . import conditions as cond
from .contract import CreateGuard, ExternalClient, Result, Subject
from .engine import FAST_POLL_SECONDS, reconcile
from .events import Sink
from .outcome import merged
from .problems import InvalidSpec
from .schedule import Locks, Schedule

DELETE_RETRY_CAP_SECONDS = 30.0
"""The longest a deletion waits before it is looked at again, whatever its backoff."""


class Cause(StrEnum):
    CHANGE = "change"
    """Spec or annotation changed, object created, or operator resumed: run now."""
    REQUESTED = "requested"
    """reconcile-requested-at changed: run now and let adapters retry terminal states."""
    TICK = "tick"
    """The schedule found the object due: run only if it still is (a change may have run it)."""
    DELETE = "delete"
    """Object is being deleted: run now; keep the finalizer until released."""


Context_contra = TypeVar("Context_contra", contravariant=True)
"""What the wiring hands every adapter call (the operator's shared runtime)."""
Parsed = TypeVar("Parsed")
"""What an adapter reads a body into, once per pass, and hands back to its other calls."""
SinkFactory = Callable[[str, Mapping[str, Any]], Sink]
"""``(kind, body)`` → the sink for that object's events and metrics."""


class DeletionPending(Exception):  # noqa: N818  (a state, not a programming error)
    """The deletion is not released yet: keep the finalizer, look again after ``delay`` s."""

    def __init__(self, message: str, *, delay: float) -> None:
        super().__init__(message)
        self.delay = delay


class Adapter(Protocol[Context_contra, Parsed]):
    """Per-kind glue: how to read a body, into a Subject and into a connected client.

    A pass parses the body once (:meth:`parse`) and hands the result to the other calls.
    """

    @property
    def kind(self) -> str: ...

    @property
    def resync_seconds(self) -> float | None:
        """Steady-state interval for this kind (None: the schedule's default)."""
        ...

    def parse(self, body: Mapping[str, Any], context: Context_contra) -> Parsed:
        """The body read with the kind's model; ``ValueError`` when the model refuses it."""
        ...

    def subject(self, parsed: Parsed, *, forced: bool) -> Subject: ...

    async def connect(
        self, parsed: Parsed, context: Context_contra, *, forced: bool
    ) -> ExternalClient: ...

    def dependents(self, parsed: Parsed, context: Context_contra) -> list[str]:
        """Uids of objects that wait on this one (ReferenceNotReady) and should look again."""
        ...

    def observers(self, parsed: Parsed, context: Context_contra) -> list[str]:
        """Uids of objects whose status summarises this one's (an NCC counts its rules by
        state): they look again within the fast interval after this one's status changed."""
        ...


C = TypeVar("C")
P = TypeVar("P")


class Driver:
    def __init__(
        self,
        schedule: Schedule | None = None,
        *,
        sinks: SinkFactory,
        fast_seconds: float = FAST_POLL_SECONDS,
    ) -> None:
        self.schedule = schedule if schedule is not None else Schedule()
        self.sinks = sinks
        self.locks = Locks()
        self.fast_seconds = fast_seconds
        self._written: dict[str, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
        """uid → (status a pass read, status after its patch): see :meth:`_fresh`."""

    async def run(
        self,
        adapter: Adapter[C, P],
        body: Mapping[str, Any],
        patch: MutableMapping[str, Any],
        context: C,
        cause: Cause,
        *,
        guard: CreateGuard | None = None,
    ) -> bool:
        """One pass for ``body``; True when the object was released (its finalizer may go).

        ``guard`` records "create pending" on the object before any create (kinds that create).
        """
        meta = body.get("metadata", {})
        uid = str(meta.get("uid", ""))
        tag = (adapter.kind, str(meta.get("namespace", "")), str(meta.get("name", "")))
        async with self.locks.of(uid):
            if cause is Cause.TICK and not self.schedule.due(uid):
                return False
            self.schedule.begin(uid)
            forced = cause is Cause.REQUESTED
            view = self._fresh(uid, body)
            try:
                parsed = adapter.parse(view, context)
            except ValueError as error:
                # Admitted under an older CRD, refused by today's model: say so, never a
                # traceback per tick; deletion releases only if nothing was ever created.
                result = _unreadable(view, error)
                patch.setdefault("status", {}).update(result.status_patch or {})
                self.schedule.plan(uid, result, tag=tag)
                return result.release
            if cause is Cause.CHANGE:
                # What dependents were refused for may be what just changed (an NCC's
                # allowedRuleNamespaces, an account's spec): their own retry can be minutes away.
                # They read this object from the index, which already holds the new spec.
                self._wake(adapter, parsed, context)
            subject = adapter.subject(parsed, forced=forced)

            async def connect() -> ExternalClient:
                return await adapter.connect(parsed, context, forced=forced)

            sink = self.sinks(adapter.kind, body)
            result = await reconcile(
                subject, connect, sink, fast_seconds=self.fast_seconds, guard=guard
            )
            if result.clear_create_pending:
                annotations = patch.setdefault("metadata", {}).setdefault("annotations", {})
                annotations[CREATE_PENDING_ANNOTATION] = None
            status = merged(subject.status, result.status_patch or {})
            if result.status_patch:
                patch.setdefault("status", {}).update(result.status_patch)
                self._written[uid] = (subject.status, status)
            else:
                self._written.pop(uid, None)
            sink.settled(status, released=result.release)
            if result.status_patch:
                # Coalesced: a batch of rules changing state costs their NCC one pass per
                # fast interval, not one per rule.
                for observer in adapter.observers(parsed, context):
                    self.schedule.soon(observer, self.fast_seconds)
            if _became_usable(subject.status, status):
                # Dependents wait on this object with a flat retry; wake them now instead.
                self._wake(adapter, parsed, context)
            if result.release:
                self._written.pop(uid, None)
                self.schedule.forget(uid)
                self.locks.forget(uid)
                return True
            delay = self.schedule.plan(uid, result, resync_seconds=adapter.resync_seconds, tag=tag)
        if cause is Cause.DELETE:
            # Keeps the finalizer; Kopf calls the delete handler again after the delay. The
            # scheduler leaves an object being deleted to that handler, so a wake-up
            # (schedule.now) cannot reach it: the delay is capped, so a fixed cause
            # (credentials, a reference) is seen soon.
            retry = min(delay, DELETE_RETRY_CAP_SECONDS)
            raise DeletionPending(_deletion_message(result.status_patch), delay=retry)
        return False

    def patch_lost(self, uid: str) -> None:
        """The status patch of the last pass was not written: the next pass reads the body as
        it is instead of laying that patch over it (see :meth:`_fresh`)."""
        self._written.pop(uid, None)

    def _wake(self, adapter: Adapter[C, P], parsed: P, context: C) -> None:
        for dependent in adapter.dependents(parsed, context):
            self.schedule.now(dependent)

    def written_status(self, uid: str, status: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The status this process last wrote for ``uid`` if ``status`` (what the cluster has
        shown us) predates it, else None: what other objects' passes should see of it.

        A rule waiting for its NCC's id is woken by the pass that recorded the id, before the
        write has come back through the watch; reading the index alone, it would find no id
        and wait for its own retry (seconds later) although the id is known."""
        written = self._written.get(uid)
        if written is None or dict(status) != dict(written[0]):
            return None
        return written[1]

    def _fresh(self, uid: str, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """``body``, with the status the previous pass patched if that patch is not in it yet.

        Kopf applies a handler's status patch only after the handler returns, so a change handler
        and a scheduled pass can both start from a body that predates it. The second must not act on
        the status the first already replaced (it would adopt the rule the first just created
        and repeat its events). Only the operator writes status, so a body still carrying the
        status the last pass read has not caught up. Only a pass that wrote is remembered, so a
        lost patch is redone by the pass after.
        """
        status = self.written_status(uid, body.get("status") or {})
        return body if status is None else {**body, "status": dict(status)}


def _unreadable(body: Mapping[str, Any], error: ValueError) -> Result:
    """The result for an object the operator's model refuses (e.g. a rule tightened since)."""
    meta = body.get("metadata", {})
    status = dict(body.get("status") or {})
    generation = int(meta.get("generation") or 0)
    message = (
        f"The operator cannot read this object: {error}. Fix the spec (it was admitted by an "
        "older CRD); nothing is done at Databricks until then."
    )
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conditions = cond.merge(
        status.get("conditions", []),
        [cond.not_synced("InvalidSpec", message), cond.not_ready("InvalidSpec", message)],
        generation=generation,
        now=now,
    )
    pending = (meta.get("annotations") or {}).get(CREATE_PENDING_ANNOTATION)
    never_created = not status.get("id") and not pending
    release = bool(meta.get("deletionTimestamp")) and never_created
    return Result(
        action="unreadable",
        status_patch={"conditions": conditions, "observedGeneration": generation},
        release=release,
        problem=InvalidSpec(message),
    )


def _deletion_message(patch: Mapping[str, Any] | None) -> str:
    for condition in (patch or {}).get("conditions", []):
        if condition.get("type") == "Synced" and condition.get("status") == "False":
            return str(condition.get("message", "deletion is waiting"))
    return "deletion is waiting"


def blocked_deletion_now_released(
    adapter: Adapter[C, Any], body: Mapping[str, Any], context: C, finalizer: str
) -> bool:
    """Our finalizer is waiting on a blocked delete (DeleteBlocked), and the spec now says the
    deletion must release without touching Databricks."""
    if finalizer not in body.get("metadata", {}).get("finalizers", []):
        return False
    conditions = (body.get("status") or {}).get("conditions", [])
    blocked = any(
        c.get("type") == "Synced" and c.get("reason") == "DeleteBlocked" for c in conditions
    )
    if not blocked:
        return False
    try:
        subject = adapter.subject(adapter.parse(body, context), forced=False)
    except ValueError:  # an object the model rejects: the regular handlers report it
        return False
    releases = subject.orphan_on_delete or subject.observe_only
    return subject.deleting and releases and not subject.paused


def _became_usable(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Ready or Synced turned True, or a Databricks id was recorded: what dependents wait for
    (Synced: an account whose credentials work again, so rules backing off may retry now)."""
    turned = any(_true(after, t) and not _true(before, t) for t in ("Ready", "Synced"))
    return turned or bool(after.get("id") and not before.get("id"))


def _true(status: Mapping[str, Any], type_: str) -> bool:
    return any(
        c.get("type") == type_ and c.get("status") == "True" for c in status.get("conditions", [])
    )
