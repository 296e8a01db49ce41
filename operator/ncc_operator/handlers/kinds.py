"""Handler registration shared by the three kinds: change, requested re-observe, delete.

Every kind gets the same handlers, each a few lines that pick the cause and delegate to the
driver: create/update/resume (run now), a change of ``reconcile-requested-at`` (run now, forced),
delete (run until released), and a watch on blocked deletions that switch to a policy releasing
at once. Re-observing when due is not a Kopf timer: one scheduler runs every kind
(``handlers/ticker.py``). Accounts own nothing at Databricks, so they carry no finalizer at
all: their delete handler is optional.

One more watch handler covers a gap in Kopf's finalizer write (nolar/kopf#1252): Kopf adds the
finalizer with a JSON patch that tests the resourceVersion. When the apiserver commits it but
the answer is lost (a crash right after the commit), the retry fails that test (422), Kopf keeps
the finalizer as a patch "for the next cycle", and the next event — the committed write itself —
ends that cycle with nothing left to write: no write, no further event, and the create handler
never runs until someone edits the object. An object that carries our finalizer but has never
been handled therefore asks for one write of its own (:data:`FIRST_PASS_ANNOTATION`); the change
handler clears it in the same patch, so on the usual path nothing extra is ever written.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import kopf

from ncc_operator.models import FINALIZER, GROUP, RECONCILE_REQUESTED_AT_ANNOTATION, VERSION
from ncc_operator.reconcile.driver import Cause, Driver, blocked_deletion_now_released

from .context import Kind, drive, runtime_of
from .persistence import DIFFBASE_ANNOTATION, FIRST_PASS_ANNOTATION

REQUESTED_FIELD = ("metadata", "annotations", RECONCILE_REQUESTED_AT_ANNOTATION)


def register(kind: Kind, *, registry: kopf.OperatorRegistry) -> Kind:
    """The handlers of ``kind``; returns it, for the scheduler's table of kinds."""
    resource = (GROUP, VERSION, kind.plural)
    plural = kind.plural
    # Kinds that create at Databricks carry our finalizer; the others need none.
    finalizer = kind.creates

    def never_handled(body: kopf.Body, memo: kopf.Memo, **_: Any) -> bool:
        meta = body.get("metadata", {})
        annotations = meta.get("annotations") or {}
        driver: Driver | None = memo.get("driver")
        return (
            finalizer
            and FINALIZER in (meta.get("finalizers") or [])
            and not meta.get("deletionTimestamp")
            and DIFFBASE_ANNOTATION not in annotations
            # Once written, the mark's own event is the cycle Kopf runs the handler in; not
            # writing it again keeps a cycle that only waits (a handler's retry delay) a wait.
            and FIRST_PASS_ANNOTATION not in annotations
            # An event queued behind the first pass (its create-pending mark, say) predates the
            # diff base that pass stored; this process has run the object, so it was handled.
            and driver is not None
            and not driver.schedule.known(str(meta.get("uid", "")))
        )

    @kopf.on.resume(*resource, id=f"{plural}-resume", registry=registry)
    @kopf.on.create(*resource, id=f"{plural}-create", registry=registry)
    @kopf.on.update(*resource, id=f"{plural}-update", registry=registry)
    async def changed(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
        _first_pass_done(body, patch)
        await drive(kind, Cause.CHANGE, body=body, patch=patch, memo=memo)

    # Matches an event of a finalized object no change handler has run for yet. On the usual path
    # that handler runs in the same cycle and takes the mark out of the patch again; after a lost
    # finalizer answer the cycle ends early, the mark is written, and its event runs the handler.
    @kopf.on.event(*resource, id=f"{plural}-first-pass", when=never_handled, registry=registry)
    async def first_pass_due(patch: kopf.Patch, **_: Any) -> None:
        patch.setdefault("metadata", {}).setdefault("annotations", {})[FIRST_PASS_ANNOTATION] = (
            "true"
        )

    @kopf.on.field(*resource, field=REQUESTED_FIELD, id=f"{plural}-requested", registry=registry)
    async def requested(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
        await drive(kind, Cause.REQUESTED, body=body, patch=patch, memo=memo)

    @kopf.on.delete(*resource, optional=not finalizer, id=f"{plural}-delete", registry=registry)
    async def deleted(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
        await drive(kind, Cause.DELETE, body=body, patch=patch, memo=memo)

    def released_at_once(body: kopf.Body, memo: kopf.Memo, **_: Any) -> bool:
        return finalizer and blocked_deletion_now_released(
            kind.adapter, body, runtime_of(memo), FINALIZER
        )

    # Kopf retries a blocked delete handler only when its delay ends (up to a minute), even if the
    # spec changes meanwhile; "Orphan always releases the finalizer at once" (DESIGN §3), so a
    # switch to Orphan/ObserveOnly during a blocked deletion is run from the watch event itself.
    @kopf.on.event(*resource, id=f"{plural}-release", when=released_at_once, registry=registry)
    async def release(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
        # No guard: a release never creates.
        if await drive(
            dataclasses.replace(kind, creates=False),
            Cause.DELETE,
            body=body,
            patch=patch,
            memo=memo,
        ):
            finalizers = list(body.get("metadata", {}).get("finalizers", []))
            patch.setdefault("metadata", {})["finalizers"] = [
                f for f in finalizers if f != FINALIZER
            ]

    return kind


def _first_pass_done(body: kopf.Body, patch: kopf.Patch) -> None:
    """Take the first-pass mark out: of this cycle's patch (the usual path: never written), and
    off the object when an earlier cycle wrote it (it did its job)."""
    annotations = patch.get("metadata", {}).get("annotations", {})
    annotations.pop(FIRST_PASS_ANNOTATION, None)
    if FIRST_PASS_ANNOTATION in (body.get("metadata", {}).get("annotations") or {}):
        patch.setdefault("metadata", {}).setdefault("annotations", {})[FIRST_PASS_ANNOTATION] = None
