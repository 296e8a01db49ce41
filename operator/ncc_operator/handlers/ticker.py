"""The scheduler's runner: one task that runs every object when the schedule says it is due.

Kopf's per-object timers would wake each object every few seconds to ask the schedule whether
it is due — 200 handler calls a second at 1,000 objects doing nothing, and a task per object.
Instead one task sleeps until the earliest due time (:meth:`Schedule.wait_due`), takes the
object's latest body from the index (so a deleted object, gone from the index, is never run),
runs the same pass a Kopf handler would, and writes its patch the way Kopf writes a handler's.
Objects being deleted are left to their delete handler, which Kopf retries at the delay the
driver asks for. A bounded number of passes run at once; the rest wait for a slot.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Mapping
from typing import Any

from ncc_operator.reconcile.driver import Cause, Driver
from ncc_operator.reconcile.schedule import Tag
from ncc_operator.resources.kube import KubeSecrets, KubeUnavailable, apply_patch
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import Entry, Ref

from .context import Kind, run_pass

logger = logging.getLogger(__name__)

CONCURRENT_PASSES = 512
"""Scheduled passes running at once. A pass mostly waits on Databricks, and the account's rate
limit bounds the calls, not this: rules of one NCC wait together on one shared read, so a small
bound would queue a whole batch behind passes that wait on a busy limiter (measured: 32 slots
held 1,000 rules' first Ready back from 18 s to 74 s). The bound only caps a burst's tasks."""


class Ticker:
    def __init__(
        self,
        kinds: Mapping[str, Kind],
        driver: Driver,
        runtime: Runtime,
        kube: KubeSecrets,
        *,
        concurrency: int = CONCURRENT_PASSES,
    ) -> None:
        self._kinds = kinds
        self._driver = driver
        self._runtime = runtime
        self._kube = kube
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()
        self._context: contextvars.Context | None = None

    def adopt_context(self) -> None:
        """Called from a Kopf handler: later passes run in a copy of its context.

        ``kopf.event`` finds Kopf's event poster through context variables that Kopf sets only
        in the tasks that run handlers; a pass started from here must see them too, or its
        events could not be posted. Every object's first pass is a handler's (resume or
        create), so the context is adopted before anything is scheduled.
        """
        if self._context is None:
            self._context = contextvars.copy_context()

    async def run(self) -> None:
        """Forever: wait for due objects, start a pass for each (at most ``concurrency``)."""
        while True:
            for uid, tag in await self._driver.schedule.wait_due():
                await self._slots.acquire()
                context = self._context or contextvars.copy_context()
                task = context.run(
                    asyncio.create_task, self._pass(uid, tag), name=f"pass {tag[0]} {uid}"
                )
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    def _entry(self, uid: str, tag: Tag) -> Entry | None:
        kind, namespace, name = tag
        entry = self._kinds[kind].indexed(self._runtime.world, Ref(namespace, name))
        return entry if entry is not None and entry.uid == uid else None

    async def _pass(self, uid: str, tag: Tag) -> None:
        try:
            await self._run(uid, tag)
        except Exception:  # never let one object stop the scheduler; the schedule retries it
            logger.exception("scheduled pass of %s %s/%s failed", *tag)
            self._driver.schedule.plan_retry(uid)
        finally:
            self._slots.release()

    async def _run(self, uid: str, tag: Tag) -> None:
        entry = self._entry(uid, tag)
        if entry is None:
            # Gone from the cluster (or its body no longer reads): nothing to run, ever.
            self._driver.schedule.forget(uid)
            return
        if entry.deleting:
            return  # its delete handler runs it, at the delay it asked Kopf for
        kind = self._kinds[tag[0]]
        patch: dict[str, Any] = {}
        await run_pass(
            kind,
            Cause.TICK,
            body=entry.body,
            patch=patch,
            runtime=self._runtime,
            driver=self._driver,
            kube=self._kube,
        )
        if not patch:
            return
        try:
            written = await apply_patch(self._kube, kind.plural, tag[1], tag[2], patch)
        except KubeUnavailable as error:
            logger.warning("status of %s %s/%s not written: %s", *tag, error)
            written = False
        if not written:
            self._driver.patch_lost(uid)
