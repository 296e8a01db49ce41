"""Handler registration shared by the three kinds: change, requested re-observe, tick, delete.

Every kind gets the same five handlers, each a few lines that pick the cause and delegate to
the driver: create/update/resume (run now), a change of ``reconcile-requested-at`` (run now,
forced), a timer tick (run when due), and delete (run until released). Accounts own nothing at
Databricks, so their delete handler is optional (no finalizer).
"""

from __future__ import annotations

from typing import Any

import kopf

from ncc_operator.models import GROUP, RECONCILE_REQUESTED_AT_ANNOTATION, VERSION
from ncc_operator.reconcile.driver import Adapter, Cause
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
