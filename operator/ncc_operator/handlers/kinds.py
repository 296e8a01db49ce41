"""Handler registration shared by the three kinds: change, requested re-observe, tick, delete.

Every kind gets the same handlers, each a few lines that pick the cause and delegate to the
driver: create/update/resume (run now), a change of ``reconcile-requested-at`` (run now, forced),
a timer tick (run when due), delete (run until released), and a watch on blocked deletions that
switch to a policy releasing at once. Accounts own nothing at Databricks, so their delete handler
is optional (no finalizer).
"""

from __future__ import annotations

from typing import Any

import kopf

from ncc_operator.models import FINALIZER, GROUP, RECONCILE_REQUESTED_AT_ANNOTATION, VERSION
from ncc_operator.reconcile.driver import Adapter, Cause, blocked_deletion_now_released
from ncc_operator.settings import Settings

from .context import drive

REQUESTED_FIELD = ("metadata", "annotations", RECONCILE_REQUESTED_AT_ANNOTATION)


def register(plural: str, adapter: Adapter, settings: Settings, *, finalizer: bool = True) -> None:
    resource = (GROUP, VERSION, plural)

    @kopf.on.resume(*resource, id=f"{plural}-resume")
    @kopf.on.create(*resource, id=f"{plural}-create")
    @kopf.on.update(*resource, id=f"{plural}-update")
    async def changed(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        await drive(adapter, Cause.CHANGE, body=body, patch=patch, memo=memo, kwargs=kw)

    @kopf.on.field(*resource, field=REQUESTED_FIELD, id=f"{plural}-requested")
    async def requested(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        await drive(adapter, Cause.REQUESTED, body=body, patch=patch, memo=memo, kwargs=kw)

    @kopf.timer(*resource, interval=settings.tick_seconds, id=f"{plural}-tick")
    async def tick(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        await drive(adapter, Cause.TICK, body=body, patch=patch, memo=memo, kwargs=kw)

    @kopf.on.delete(*resource, optional=not finalizer, id=f"{plural}-delete")
    async def deleted(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        await drive(adapter, Cause.DELETE, body=body, patch=patch, memo=memo, kwargs=kw)

    def released_at_once(body: kopf.Body, **_: Any) -> bool:
        return finalizer and blocked_deletion_now_released(adapter, body, FINALIZER)

    # Kopf retries a blocked delete handler only when its delay ends (up to a minute), even if the
    # spec changes meanwhile; "Orphan always releases the finalizer at once" (DESIGN §3), so a
    # switch to Orphan/ObserveOnly during a blocked deletion is run from the watch event itself.
    @kopf.on.event(*resource, id=f"{plural}-release", when=released_at_once)
    async def release(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        if await drive(adapter, Cause.DELETE, body=body, patch=patch, memo=memo, kwargs=kw):
            finalizers = list(body.get("metadata", {}).get("finalizers", []))
            patch.setdefault("metadata", {})["finalizers"] = [
                f for f in finalizers if f != FINALIZER
            ]
