"""Handler registration shared by the three kinds: change, requested re-observe, delete.

Every kind gets the same handlers, each a few lines that pick the cause and delegate to the
driver: create/update/resume (run now), a change of ``reconcile-requested-at`` (run now, forced),
delete (run until released), and a watch on blocked deletions that switch to a policy releasing
at once. Re-observing when due is not a Kopf timer: one scheduler runs every kind
(``handlers/ticker.py``). Accounts own nothing at Databricks, so they carry no finalizer at
all: their delete handler is optional.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import kopf

from ncc_operator.models import FINALIZER, GROUP, RECONCILE_REQUESTED_AT_ANNOTATION, VERSION
from ncc_operator.reconcile.driver import Cause, blocked_deletion_now_released

from .context import Kind, drive, runtime_of

REQUESTED_FIELD = ("metadata", "annotations", RECONCILE_REQUESTED_AT_ANNOTATION)


def register(kind: Kind, *, registry: kopf.OperatorRegistry) -> Kind:
    """The handlers of ``kind``; returns it, for the scheduler's table of kinds."""
    resource = (GROUP, VERSION, kind.plural)
    plural = kind.plural
    # Kinds that create at Databricks carry our finalizer; the others need none.
    finalizer = kind.creates

    @kopf.on.resume(*resource, id=f"{plural}-resume", registry=registry)
    @kopf.on.create(*resource, id=f"{plural}-create", registry=registry)
    @kopf.on.update(*resource, id=f"{plural}-update", registry=registry)
    async def changed(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
        await drive(kind, Cause.CHANGE, body=body, patch=patch, memo=memo)

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
