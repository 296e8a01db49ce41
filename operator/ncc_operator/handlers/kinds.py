"""Handler registration shared by the three kinds: change, requested re-observe, tick, delete.

Every kind gets the same handlers, each a few lines that pick the cause and delegate to the
driver: create/update/resume (run now), a change of ``reconcile-requested-at`` (run now, forced),
a timer tick (run when due), delete (run until released), and a watch on blocked deletions that
switch to a policy releasing at once. Accounts own nothing at Databricks, so they carry no
finalizer at all: their delete handler is optional and their timer is registered so that it does
not require one (see :func:`_timer`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, cast

import kopf

from ncc_operator.models import FINALIZER, GROUP, RECONCILE_REQUESTED_AT_ANNOTATION, VERSION
from ncc_operator.reconcile.driver import Adapter, Cause, blocked_deletion_now_released
from ncc_operator.resources.runtime import Runtime
from ncc_operator.settings import Settings

from .context import drive, runtime_of

REQUESTED_FIELD = ("metadata", "annotations", RECONCILE_REQUESTED_AT_ANNOTATION)
LIVE_INDEX = "live_accounts"
"""The index (handlers/indexes.py) of the uids of accounts still in the cluster: accounts are
the one kind without a finalizer."""

Fn = TypeVar("Fn", bound=Callable[..., Any])


def register(
    plural: str,
    adapter: Adapter[Runtime, Any],
    settings: Settings,
    *,
    registry: kopf.OperatorRegistry,
    finalizer: bool = True,
) -> None:
    resource = (GROUP, VERSION, plural)
    # Kinds with a finalizer create at Databricks: their passes carry the pending-create guard.
    creates = plural if finalizer else None

    @kopf.on.resume(*resource, id=f"{plural}-resume", registry=registry)
    @kopf.on.create(*resource, id=f"{plural}-create", registry=registry)
    @kopf.on.update(*resource, id=f"{plural}-update", registry=registry)
    async def changed(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        await drive(
            adapter, Cause.CHANGE, body=body, patch=patch, memo=memo, kwargs=kw, plural=creates
        )

    @kopf.on.field(*resource, field=REQUESTED_FIELD, id=f"{plural}-requested", registry=registry)
    async def requested(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        await drive(
            adapter, Cause.REQUESTED, body=body, patch=patch, memo=memo, kwargs=kw, plural=creates
        )

    @_timer(
        resource,
        interval=settings.tick_seconds,
        id=f"{plural}-tick",
        finalizer=finalizer,
        registry=registry,
    )
    async def tick(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        await drive(
            adapter, Cause.TICK, body=body, patch=patch, memo=memo, kwargs=kw, plural=creates
        )

    @kopf.on.delete(*resource, optional=not finalizer, id=f"{plural}-delete", registry=registry)
    async def deleted(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        await drive(
            adapter, Cause.DELETE, body=body, patch=patch, memo=memo, kwargs=kw, plural=creates
        )

    def released_at_once(body: kopf.Body, memo: kopf.Memo, **kw: Any) -> bool:
        return finalizer and blocked_deletion_now_released(
            adapter, body, runtime_of(memo, kw), FINALIZER
        )

    # Kopf retries a blocked delete handler only when its delay ends (up to a minute), even if the
    # spec changes meanwhile; "Orphan always releases the finalizer at once" (DESIGN §3), so a
    # switch to Orphan/ObserveOnly during a blocked deletion is run from the watch event itself.
    @kopf.on.event(*resource, id=f"{plural}-release", when=released_at_once, registry=registry)
    async def release(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
        if await drive(adapter, Cause.DELETE, body=body, patch=patch, memo=memo, kwargs=kw):
            finalizers = list(body.get("metadata", {}).get("finalizers", []))
            patch.setdefault("metadata", {})["finalizers"] = [
                f for f in finalizers if f != FINALIZER
            ]


def _timer(
    resource: tuple[str, str, str],
    *,
    interval: float,
    id: str,
    finalizer: bool,
    registry: kopf.OperatorRegistry,
) -> Callable[[Fn], Fn]:
    """``kopf.timer``; with ``finalizer=False`` one that does not make Kopf add a finalizer.

    Kopf hard-codes ``requires_finalizer=True`` for every timer (kopf/on.py; nolar/kopf#1074), so
    that deleting an object always passes through the operator, which stops its timer. An object
    that owns nothing outside the cluster must not wait on a running operator to be deleted, so
    the same handler is registered with that flag off, and it stops another way: Kopf drops a
    deleted object from its indexes before it processes the DELETED event, and then stops every
    timer whose ``when`` filter no longer matches (``match_daemons``). The registry's spawning
    part is not public API: ``tests/unit/test_wiring_kinds.py`` guards this against Kopf
    upgrades.
    """
    if finalizer:
        return cast(
            Callable[[Fn], Fn], kopf.timer(*resource, interval=interval, id=id, registry=registry)
        )

    def decorate(fn: Fn) -> Fn:
        scratch = kopf.OperatorRegistry()
        kopf.timer(*resource, interval=interval, id=id, when=_still_exists, registry=scratch)(fn)
        spawning = registry._spawning
        for handler in scratch._spawning.get_all_handlers():
            spawning.append(dataclasses.replace(handler, requires_finalizer=False))
        return fn

    return decorate


def _still_exists(uid: str, **kwargs: Any) -> bool:
    return uid in kwargs[LIVE_INDEX]
